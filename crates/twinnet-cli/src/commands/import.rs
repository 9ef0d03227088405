//! `twinnet import`: bring a model made elsewhere into a twinnet model directory.

use crate::output::{print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::text::TextModel;

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
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct Imported {
    source: String,
    out: String,
    embedding_dim: usize,
    max_seq_length: usize,
    pooling: twinnet::text::Pooling,
    normalize: bool,
    weights_sha256: String,
}

/// Runs `twinnet import`.
pub fn run(args: Args) -> Result<()> {
    let Source::SentenceTransformers {
        path,
        out,
        force,
        json,
    } = args.source;
    if out.join(twinnet::model::MANIFEST_FILE).exists() && !force {
        bail!(
            "{} already holds a model; pass --force to replace it",
            out.display()
        );
    }
    let model = TextModel::load(&path)?;
    let m = model.save(&out, &path.display().to_string())?;
    // Read it back: the written directory must load and embed like the source.
    let copy = TextModel::load(&out)?;
    let probe = ["twinnet checks the import with this sentence."];
    if model.embed(&probe)? != copy.embed(&probe)? {
        bail!("{}: the imported model embeds differently", out.display());
    }
    let r = Imported {
        source: path.display().to_string(),
        out: out.display().to_string(),
        embedding_dim: m.embedding_dim(),
        max_seq_length: m.max_seq_length,
        pooling: m.pooling.clone(),
        normalize: m.normalize,
        weights_sha256: m.weights_sha256.clone(),
    };
    if json {
        return print_json(&r);
    }
    let mut t = Table::new(&["model", "dim", "max tokens", "normalize", "weights sha256"]);
    t.row(vec![
        r.out,
        r.embedding_dim.to_string(),
        r.max_seq_length.to_string(),
        r.normalize.to_string(),
        r.weights_sha256[..16].to_string(),
    ]);
    println!("{}", t.render());
    Ok(())
}
