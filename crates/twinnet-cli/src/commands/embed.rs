//! `twinnet embed`.

use crate::output::{print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::model::TwinModel;

/// Flags of `twinnet embed`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Image files to embed.
    pub inputs: Vec<PathBuf>,
    /// Print JSON: `[{"input": …, "embedding": […]}, …]` in input order.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Embedded {
    input: String,
    embedding: Vec<f32>,
}

/// Runs `twinnet embed`.
pub fn run(args: Args) -> Result<()> {
    if args.inputs.is_empty() {
        bail!("no input files given");
    }
    let model = TwinModel::load(&args.model)?;
    let embeddings = model.embed_files(&args.inputs)?;
    let rows: Vec<Embedded> = args
        .inputs
        .iter()
        .zip(embeddings)
        .map(|(p, e)| Embedded {
            input: p.display().to_string(),
            embedding: e,
        })
        .collect();
    if args.json {
        return print_json(&rows);
    }
    let mut t = Table::new(&["input", "dim", "embedding"]);
    for r in &rows {
        let head: Vec<String> = r
            .embedding
            .iter()
            .take(6)
            .map(|v| format!("{v:.4}"))
            .collect();
        t.row(vec![
            r.input.clone(),
            r.embedding.len().to_string(),
            format!("[{}, …]", head.join(", ")),
        ]);
    }
    println!("{}", t.render());
    Ok(())
}
