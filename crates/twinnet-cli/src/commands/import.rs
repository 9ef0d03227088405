//! `twinnet import`: bring a model made elsewhere into a twinnet model directory.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::text::import_sentence_transformers;

/// Flags of `twinnet import`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand, Debug)]
enum Source {
    /// A sentence-transformers folder (config.json, model.safetensors, tokenizer.json,
    /// sentence_bert_config.json, modules.json, 1_Pooling/config.json). `--model` also accepts
    /// such a folder directly; importing pins its files by hash in a manifest.
    SentenceTransformers {
        /// The folder.
        path: PathBuf,
        /// The twinnet model directory to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace a model already in `--out`.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `twinnet import`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let Source::SentenceTransformers { path, out, force } = args.source;
    emit(&import_sentence_transformers(&path, &out, force)?, json)
}
