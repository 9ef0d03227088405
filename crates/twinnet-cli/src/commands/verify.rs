//! `twinnet verify`.

use crate::output::{print_json, Table};
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::model::TwinModel;

/// Flags of `twinnet verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// First image.
    pub a: PathBuf,
    /// Second image.
    pub b: PathBuf,
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
    /// The model's threshold.
    pub threshold: f32,
    /// `distance ≤ threshold`.
    pub same: bool,
}

/// Runs `twinnet verify`.
pub fn run(args: Args) -> Result<()> {
    let model = TwinModel::load(&args.model)?;
    let v = verify(&model, &args.a, &args.b)?;
    if args.json {
        return print_json(&v);
    }
    println!("{}", verdict_table(&[v]));
    Ok(())
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
        threshold,
        same: distance <= threshold,
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
            format!("{:.4}", v.threshold),
            v.same.to_string(),
        ]);
    }
    t.render()
}
