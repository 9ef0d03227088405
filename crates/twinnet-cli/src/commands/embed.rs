//! `twinnet embed`.

use crate::output::{print_json, say};
use anyhow::Result;
use std::path::PathBuf;
use twinnet::embedder::{Embedded, Embedder, Input, InputKind};
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
    /// Text models: put this before every text (e.g. "query: ") [default: the model's default
    /// prompt, if it names one; "" for none].
    #[arg(long, conflicts_with = "prompt_name")]
    pub prompt: Option<String>,
    /// Text models: the prompt of this name from the model's prompts.
    #[arg(long)]
    pub prompt_name: Option<String>,
    /// Print JSON: `[{"input": …, "embedding": […]}, …]` for images, `[{"text": …,
    /// "embedding": […]}, …]` for texts, in input order.
    #[arg(long)]
    pub json: bool,
}

/// Runs `twinnet embed`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let model = Embedder::load(&args.model)?
        .with_prompt(args.prompt_name.as_deref(), args.prompt.as_deref())?;
    let name = args.model.display().to_string();
    let file = args.text_file.as_deref();
    let inputs = model.gather_inputs(&name, &args.inputs, &args.texts, file)?;
    let text = model.input_kind() == InputKind::Text;
    let bar = counter_bar("texts", !text || inputs.len() <= TEXT_BATCH);
    bar.set_length(inputs.len() as u64);
    let embeddings = model.embed_with_progress(&inputs, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    if json {
        return print_json(&Embedded::rows(&inputs, embeddings));
    }
    let names: Vec<String> = inputs.iter().map(Input::describe).collect();
    let column = if text { "text" } else { "input" };
    let rows = names.iter().map(String::as_str);
    let table = embedding_table(column, rows.zip(embeddings.iter().map(Vec::as_slice)));
    say(table)
}
