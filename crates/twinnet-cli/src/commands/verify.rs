//! `twinnet verify`.

use crate::output::{print_json, say};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use twinnet::embedder::{Embedder, Input, InputKind};
use twinnet::report::verdict_table;

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
    let text = model.input_kind() == InputKind::Text;
    match (text, args.text) {
        (true, false) => bail!(
            "{} is a text model; pass --text to compare two texts",
            args.model.display()
        ),
        (false, true) => bail!(
            "{} is an image model; --text needs a text model",
            args.model.display()
        ),
        _ => {}
    }
    let input = |p: &Path| -> Result<Input> {
        if !text {
            return Ok(Input::ImageFile(p.to_path_buf()));
        }
        let s = p.to_str().context("a text argument is not valid UTF-8")?;
        Ok(Input::Text(s.to_string()))
    };
    let mut v = model.verdict(&input(&args.a)?, &input(&args.b)?)?;
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
    if json {
        return print_json(&v);
    }
    say(verdict_table(&[v]))?;
    Ok(())
}
