//! `twinnet embed`.

use crate::output::{print_json, say};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::data::read_text_lines;
use twinnet::embedder::{Embedder, Input, InputKind};
use twinnet::report::{counter_bar, embedding_table};
use twinnet::text::TEXT_BATCH;

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

/// One embedded input, as printed with `--json` (`text` for texts, `input` for files).
#[derive(Serialize)]
struct Embedded {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    embedding: Vec<f32>,
}

/// Runs `twinnet embed`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let model = Embedder::load(&args.model)?;
    let text = model.input_kind() == InputKind::Text;
    let name = args.model.display();
    let mut inputs: Vec<Input> = Vec::new();
    if text {
        if !args.inputs.is_empty() {
            bail!("{name} is a text model; give texts with --text or --text-file, not files");
        }
        inputs.extend(args.texts.iter().cloned().map(Input::Text));
        if let Some(file) = &args.text_file {
            inputs.extend(read_text_lines(file)?.into_iter().map(Input::Text));
        }
        if inputs.is_empty() {
            bail!("no texts given (use --text or --text-file)");
        }
    } else {
        if !args.texts.is_empty() || args.text_file.is_some() {
            bail!("{name} is an image model; --text and --text-file need a text model");
        }
        if args.inputs.is_empty() {
            bail!("no input files given");
        }
        inputs.extend(args.inputs.iter().cloned().map(Input::ImageFile));
    }
    let bar = counter_bar("texts", !text || inputs.len() <= TEXT_BATCH);
    bar.set_length(inputs.len() as u64);
    let embeddings = model.embed_with_progress(&inputs, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    let names: Vec<String> = inputs.iter().map(Input::describe).collect();
    if json {
        let rows: Vec<Embedded> = names
            .into_iter()
            .zip(embeddings)
            .map(|(name, embedding)| Embedded {
                text: text.then(|| name.clone()),
                input: (!text).then_some(name),
                embedding,
            })
            .collect();
        return print_json(&rows);
    }
    let column = if text { "text" } else { "input" };
    let rows = names
        .iter()
        .map(String::as_str)
        .zip(embeddings.iter().map(Vec::as_slice));
    say(embedding_table(column, rows))?;
    Ok(())
}
