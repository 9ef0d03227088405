//! `twinnet eval`.

use crate::output::{emit, say};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use twinnet::eval::{evaluate_model_dir, evaluate_text_model, EvalSettings, ThresholdFrom};
use twinnet::report::counter_bar;

use super::data_args::DataArgs;

/// Flags of `twinnet eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Balanced pairs to draw (labelled data; a pair list uses its own pairs).
    #[arg(long, default_value_t = 10_000)]
    pub pairs: usize,
    /// Seed of the pair draw (same seed → same pairs).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also compute retrieval metrics (precision@1, recall@1/5/10, MAP@R), every item as a
    /// query against all the others.
    #[arg(long)]
    pub retrieval: bool,
    /// Signatures: also compare each questioned signature against K genuine references of the
    /// claimed writer (mean and min distance), as a bank checks specimens.
    #[arg(long, value_name = "K")]
    pub references: Option<usize>,
    /// Also write the pictures (ROC, histograms, embedding map, training curves) to this folder.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Text models: labelled validation pairs (TSV) to calibrate the decision threshold on,
    /// for a model that has none yet (never calibrate on the test pairs).
    #[arg(long, value_name = "TSV")]
    pub calibration: Option<PathBuf>,
    /// Text models: decide with this distance threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
}

/// Runs `twinnet eval`.
pub fn run(args: Args, json: bool) -> Result<()> {
    if twinnet::text::is_text_model(&args.model) {
        return run_text(&args, json);
    }
    if args.calibration.is_some() || args.threshold.is_some() {
        bail!("--calibration and --threshold apply to text models; an image model uses the threshold calibrated when it was trained");
    }
    let data = args.data.eval_data();
    let settings = EvalSettings {
        pairs: args.pairs,
        seed: args.seed,
        retrieval: args.retrieval,
        plots: args.plots.clone(),
        references: args.references,
    };
    let report = evaluate_model_dir(&args.model, &data, &settings)?;
    if let (Some(dir), false) = (&args.plots, json) {
        say(format!("pictures written to {}", dir.display()))?;
    }
    emit(&report, json)
}

/// `twinnet eval` for a text model on a TSV of text pairs.
fn run_text(args: &Args, json: bool) -> Result<()> {
    let threshold = match (args.threshold, &args.calibration) {
        (Some(t), _) => ThresholdFrom::Given(t),
        (None, Some(file)) => ThresholdFrom::Calibration(file.clone()),
        (None, None) => ThresholdFrom::Model,
    };
    let bar = counter_bar("texts", false);
    let report = evaluate_text_model(
        &args.model,
        Path::new(&args.data.data),
        &threshold,
        |n, total| {
            bar.set_length(total as u64);
            bar.inc(n as u64)
        },
    )?;
    bar.finish_and_clear();
    emit(&report, json)?;
    if report.metrics.threshold.is_none() {
        eprintln!(
            "note: no threshold: accuracy and F1 need --calibration VALIDATION.tsv or --threshold"
        );
    }
    Ok(())
}
