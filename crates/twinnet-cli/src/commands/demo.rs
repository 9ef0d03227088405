//! `twinnet demo`: the main job on the bundled MNIST sample, end to end.

use crate::output::{emit, say};
use anyhow::Result;
use std::path::PathBuf;
use twinnet::demo::{run_demo, sample_dir};

/// Flags of `twinnet demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundled sample (IDX folder); found next to the binary's sources by default.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where the demo writes its model, metrics and sample images (replaced on each run).
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Runs `twinnet demo`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let data = sample_dir(args.data.as_deref())?;
    if !json {
        say(format!(
            "twinnet demo: a Siamese CNN trained on digits 0-4 of the bundled MNIST sample ({}),\nthen tested on held-out digits, including 5-9 that it never saw",
            data.display()
        ))?;
    }
    let report = run_demo(&data, &args.out, args.epochs, args.seed, !json)?;
    emit(&report, json)
}
