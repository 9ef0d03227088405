//! `twinnet embed`.

use crate::output::{print_json, Table};
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::data::read_text_lines;
use twinnet::model::TwinModel;
use twinnet::text::{TextModel, TEXT_BATCH};

/// Flags of `twinnet embed`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Image files to embed.
    pub inputs: Vec<PathBuf>,
    /// A text to embed with a text model (repeatable).
    #[arg(long = "text", value_name = "TEXT")]
    pub texts: Vec<String>,
    /// A file with one text per line to embed with a text model (`-` reads standard input;
    /// an empty line is an empty text).
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    /// Print JSON: `[{"input": …, "embedding": […]}, …]` for images, `[{"text": …,
    /// "embedding": […]}, …]` for texts, in input order.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct EmbeddedText {
    text: String,
    embedding: Vec<f32>,
}

#[derive(Serialize)]
struct Embedded {
    input: String,
    embedding: Vec<f32>,
}

/// Runs `twinnet embed`.
pub fn run(args: Args) -> Result<()> {
    if twinnet::text::is_text_model(&args.model) {
        return run_text(args);
    }
    if !args.texts.is_empty() || args.text_file.is_some() {
        bail!(
            "{} is an image model; --text and --text-file need a text model",
            args.model.display()
        );
    }
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
    let table: Vec<(String, &[f32])> = rows
        .iter()
        .map(|r| (r.input.clone(), r.embedding.as_slice()))
        .collect();
    println!("{}", embedding_table("input", &table));
    Ok(())
}

fn run_text(args: Args) -> Result<()> {
    if !args.inputs.is_empty() {
        bail!(
            "{} is a text model; give texts with --text or --text-file, not files",
            args.model.display()
        );
    }
    let mut texts = args.texts.clone();
    if let Some(file) = &args.text_file {
        texts.extend(read_text_lines(file)?);
    }
    if texts.is_empty() {
        bail!("no texts given (use --text or --text-file)");
    }
    let model = TextModel::load(&args.model)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bar = ProgressBar::new(refs.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} texts {per_sec} eta {eta}")
            .expect("static template"),
    );
    if refs.len() <= TEXT_BATCH {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let embeddings = model.embed_with_progress(&refs, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    let rows: Vec<EmbeddedText> = texts
        .into_iter()
        .zip(embeddings)
        .map(|(text, embedding)| EmbeddedText { text, embedding })
        .collect();
    if args.json {
        return print_json(&rows);
    }
    let table: Vec<(String, &[f32])> = rows
        .iter()
        .map(|r| (r.text.clone(), r.embedding.as_slice()))
        .collect();
    println!("{}", embedding_table("text", &table));
    Ok(())
}

/// One row per input: its name, the dimension and the first values.
fn embedding_table(what: &str, rows: &[(String, &[f32])]) -> String {
    let mut t = Table::new(&[what, "dim", "embedding"]);
    for (name, e) in rows {
        let head: Vec<String> = e.iter().take(6).map(|v| format!("{v:.4}")).collect();
        t.row(vec![
            name.clone(),
            e.len().to_string(),
            format!("[{}, …]", head.join(", ")),
        ]);
    }
    t.render()
}
