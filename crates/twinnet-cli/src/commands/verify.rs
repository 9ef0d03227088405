//! `twinnet verify`.

use crate::output::{print_json, Table};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::model::TwinModel;
use twinnet::text::TextModel;

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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The decision for one pair.
#[derive(Debug, Serialize)]
pub struct Verdict {
    /// First input.
    pub a: String,
    /// Second input.
    pub b: String,
    /// Distance between their embeddings.
    pub distance: f32,
    /// The threshold decided with: the model's calibrated one or `--threshold`; `null` for a
    /// text model that has none yet.
    pub threshold: Option<f32>,
    /// `distance ≤ threshold`; `null` without a threshold.
    pub same: Option<bool>,
}

/// Runs `twinnet verify`.
pub fn run(args: Args) -> Result<()> {
    let v = if twinnet::text::is_text_model(&args.model) {
        if !args.text {
            bail!(
                "{} is a text model; pass --text to compare two texts",
                args.model.display()
            );
        }
        verify_texts(&args)?
    } else {
        if args.text {
            bail!(
                "{} is an image model; --text needs a text model",
                args.model.display()
            );
        }
        let model = TwinModel::load(&args.model)?;
        let mut v = verify(&model, &args.a, &args.b)?;
        if let Some(t) = args.threshold {
            v.threshold = Some(t);
            v.same = Some(v.distance <= t);
        }
        v
    };
    if v.threshold.is_none() {
        eprintln!(
            "note: {} has no calibrated threshold; pass --threshold, or train or evaluate it on \
             labelled pairs to calibrate one",
            args.model.display()
        );
    }
    if args.json {
        return print_json(&v);
    }
    println!("{}", verdict_table(&[v]));
    Ok(())
}

fn verify_texts(args: &Args) -> Result<Verdict> {
    let text = |p: &Path| -> Result<String> {
        p.to_str()
            .map(str::to_string)
            .context("a text argument is not valid UTF-8")
    };
    let (a, b) = (text(&args.a)?, text(&args.b)?);
    let model = TextModel::load(&args.model)?;
    let e = model.embed(&[&a, &b])?;
    let distance = model.distance(&e[0], &e[1]);
    let threshold = args.threshold.or(model.manifest.threshold);
    Ok(Verdict {
        a,
        b,
        distance,
        threshold,
        same: threshold.map(|t| distance <= t),
    })
}

/// Embeds both files and compares them against the model's threshold.
pub fn verify(model: &TwinModel, a: &Path, b: &Path) -> Result<Verdict> {
    let e = model.embed_files(&[a.to_path_buf(), b.to_path_buf()])?;
    let distance = model.distance(&e[0], &e[1]);
    let threshold = model.manifest.threshold;
    Ok(Verdict {
        a: a.display().to_string(),
        b: b.display().to_string(),
        distance,
        threshold: Some(threshold),
        same: Some(distance <= threshold),
    })
}

/// Verdicts as a table.
pub fn verdict_table(vs: &[Verdict]) -> String {
    let mut t = Table::new(&["a", "b", "distance", "threshold", "same"]);
    for v in vs {
        t.row(vec![
            v.a.clone(),
            v.b.clone(),
            format!("{:.4}", v.distance),
            v.threshold.map_or("-".into(), |t| format!("{t:.4}")),
            v.same.map_or("-".into(), |s| s.to_string()),
        ]);
    }
    t.render()
}
