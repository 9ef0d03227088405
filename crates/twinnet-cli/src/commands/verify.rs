//! `twinnet verify`: two inputs against each other, or one against a claimed identity's
//! references in a gallery.

use crate::output::emit;
use anyhow::{bail, Result};
use std::path::PathBuf;
use twinnet::embedder::{Embedder, Input};
use twinnet::gallery::{require_existing, ClaimScore, DEFAULT_INDEX_ABOVE};

/// Flags of `twinnet verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// First image (or text, with --text); with --claim, the questioned one.
    pub a: PathBuf,
    /// Second image (or text, with --text); not with --claim.
    pub b: Option<PathBuf>,
    /// Compare the two arguments as texts with a text model.
    #[arg(long)]
    pub text: bool,
    /// Decide with this distance threshold instead of the model's calibrated one.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Check A against every reference enrolled under this label in --gallery (e.g. a
    /// writer's genuine signatures) instead of against B.
    #[arg(long, requires = "gallery")]
    pub claim: Option<String>,
    /// Gallery holding the claimed label's references: a directory or
    /// postgres://user@host:port/db?gallery=NAME.
    #[arg(long, requires = "claim")]
    pub gallery: Option<String>,
    /// With --claim: decide by the mean distance to the references or the closest one's.
    #[arg(long, default_value = "mean")]
    pub score: ClaimScore,
}

/// Runs `twinnet verify`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let model = Embedder::load(&args.model)?;
    let name = args.model.display().to_string();
    if let (Some(claim), Some(gallery)) = (&args.claim, &args.gallery) {
        if args.b.is_some() {
            bail!("--claim checks one input against the gallery's references; give one input, not two");
        }
        require_existing(gallery)?;
        let g = model.open_gallery(gallery, DEFAULT_INDEX_ABOVE)?;
        let input = if args.text {
            Input::Text(args.a.to_string_lossy().into_owned())
        } else {
            Input::ImageFile(args.a.clone())
        };
        let check = model.verify_claim(&g, &input, claim, args.score, args.threshold)?;
        return emit(&check, json);
    }
    let Some(b) = &args.b else {
        bail!("give two inputs to compare, or one with --claim LABEL --gallery G");
    };
    let [a, b] = model.pair_inputs(&name, &args.a, b, args.text)?;
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
