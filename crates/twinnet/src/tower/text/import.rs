//! Importing a sentence-transformers folder as a twinnet text model directory: the files are
//! copied and pinned by hash in a manifest, and the copy is read back and must embed exactly
//! like the source before the import counts.

use super::{Pooling, TextModel};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::Path;

/// What an import wrote (the JSON of `twinnet import`).
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// The source folder.
    pub source: String,
    /// The model directory written.
    pub out: String,
    /// Embedding length.
    pub embedding_dim: usize,
    /// Longest text in tokens.
    pub max_seq_length: usize,
    /// How token vectors become one sentence vector.
    pub pooling: Pooling,
    /// Whether embeddings are scaled to unit length.
    pub normalize: bool,
    /// SHA-256 of the weights file.
    pub weights_sha256: String,
}

/// Imports the sentence-transformers folder `src` into `out`; a model already in `out` is
/// replaced only with `force`.
pub fn import_sentence_transformers(src: &Path, out: &Path, force: bool) -> Result<Imported> {
    if out.join(crate::model::MANIFEST_FILE).exists() && !force {
        bail!(
            "{} already holds a model; pass `force` to replace it",
            out.display()
        );
    }
    let model = TextModel::load(src)?;
    let m = model.save(out, &src.display().to_string())?;
    let copy = TextModel::load(out)?;
    let probe = ["twinnet checks the import with this sentence."];
    if model.embed(&probe)? != copy.embed(&probe)? {
        bail!("{}: the imported model embeds differently", out.display());
    }
    Ok(Imported {
        source: src.display().to_string(),
        out: out.display().to_string(),
        embedding_dim: m.embedding_dim(),
        max_seq_length: m.max_seq_length,
        pooling: m.pooling.clone(),
        normalize: m.normalize,
        weights_sha256: m.weights_sha256.clone(),
    })
}
