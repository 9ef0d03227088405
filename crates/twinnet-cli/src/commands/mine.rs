//! `twinnet mine-negatives`: hard negatives for text pairs (sentence-transformers'
//! `mine_hard_negatives`), written as triplets for `finetune --format triplets`.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::sampling::{HardNegatives, NegativeSampling};

/// Flags of `twinnet mine-negatives`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The text model that scores the candidates.
    #[arg(long)]
    pub model: PathBuf,
    /// `anchor<TAB>positive` rows (.csv/.jsonl too), or labelled pairs (rows labelled 1 kept).
    #[arg(long)]
    pub data: PathBuf,
    /// The triplet file to write (TSV; .csv or .jsonl by extension).
    #[arg(long)]
    pub out: PathBuf,
    /// Negatives per pair.
    #[arg(long, default_value_t = 3)]
    pub num_negatives: usize,
    /// Skip the best-ranked candidates up to this rank.
    #[arg(long, default_value_t = 0)]
    pub range_min: usize,
    /// Look no further than this rank.
    #[arg(long)]
    pub range_max: Option<usize>,
    /// Skip candidates with a cosine above this.
    #[arg(long)]
    pub max_score: Option<f32>,
    /// Skip candidates with a cosine below this.
    #[arg(long)]
    pub min_score: Option<f32>,
    /// A negative scores at most the positive's cosine minus this.
    #[arg(long)]
    pub absolute_margin: Option<f32>,
    /// A negative scores at most the positive's cosine × (1 − this), e.g. 0.05.
    #[arg(long)]
    pub relative_margin: Option<f32>,
    /// Take the top candidates, or a seeded random choice among them (top, random).
    #[arg(long, default_value = "top")]
    pub sampling: NegativeSampling,
    /// Seed of --sampling random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Runs `twinnet mine-negatives`.
pub fn run(a: Args, json: bool) -> Result<()> {
    let cfg = HardNegatives {
        num_negatives: a.num_negatives,
        range_min: a.range_min,
        range_max: a.range_max,
        max_score: a.max_score,
        min_score: a.min_score,
        absolute_margin: a.absolute_margin,
        relative_margin: a.relative_margin,
        sampling: a.sampling,
        seed: a.seed,
    };
    let bar = twinnet::report::counter_bar("texts", json);
    let report =
        twinnet::text::mine_negatives_file(&a.model, &a.data, &a.out, &cfg, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    emit(&report, json)
}
