//! `twinnet verify`.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::embedder::Embedder;

/// Flags of `twinnet verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// First image (or text, with --text).
    pub a: PathBuf,
    /// Second image (or text, with --text).
    pub b: PathBuf,
    /// Compare the two arguments as texts with a text model.
    #[arg(long)]
    pub text: bool,
    /// Decide with this distance threshold instead of the model's calibrated one.
    #[arg(long)]
    pub threshold: Option<f32>,
}

/// Runs `twinnet verify`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let model = Embedder::load(&args.model)?;
    let name = args.model.display().to_string();
    let [a, b] = model.pair_inputs(&name, &args.a, &args.b, args.text)?;
    let mut v = model.verdict(&a, &b)?;
    if let Some(t) = args.threshold {
        v.verification = v.verification.at_threshold(t)?;
    }
    if v.verification.threshold.is_none() {
        eprintln!(
            "note: {} has no calibrated threshold; pass --threshold, or train or evaluate it on \
             labelled pairs to calibrate one",
            args.model.display()
        );
    }
    emit(&v, json)
}
