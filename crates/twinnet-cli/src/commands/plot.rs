//! `twinnet plot`: ROC, distance histograms, an embedding map and training curves as PNG + SVG.

use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use twinnet::eval::make_plots;

use crate::output::{print_json, say};

use super::data_args::DataArgs;

/// Flags of `twinnet plot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (its metrics.jsonl gives the training curves).
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Balanced pairs for the ROC and histograms.
    #[arg(long, default_value_t = 10_000)]
    pub pairs: usize,
    /// Items shown in the embedding map.
    #[arg(long, default_value_t = 2000)]
    pub points: usize,
    /// Seed of the pair draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the pictures.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the written files as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Written {
    files: Vec<String>,
}

/// Runs `twinnet plot`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let data = args.data.eval_data();
    let files = make_plots(
        &args.model,
        &data,
        args.pairs,
        args.points,
        args.seed,
        &args.out,
    )?;
    let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    if json {
        return print_json(&Written { files });
    }
    for f in files {
        say(f)?;
    }
    Ok(())
}
