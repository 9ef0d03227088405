//! The text tower (BERT → pooling → optional normalisation) and its model directory.
//!
//! A text model directory holds `manifest.json` (format `twinnet-text-model`),
//! `model.safetensors` under Hugging Face tensor names and `tokenizer.json`. A
//! sentence-transformers folder is accepted as it is, too: `--model` reads its `config.json`,
//! `sentence_bert_config.json`, `modules.json` and `1_Pooling/config.json` directly.

use super::encoder::{BagConfig, EncoderConfig, TextEncoder};
use super::pooling::Pooling;
use super::tokenize::TextTokenizer;
use super::weights::{TensorSink, TensorSource};
use crate::backend;
use crate::batch::to_rows;
use crate::distance::Distance;
use crate::fsutil::{sha256_hex, write_atomic};
use crate::tower::l2_normalize;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use crate::model::TEXT_FORMAT;
use crate::model::{model_kind, ManifestHeader, ModelKind};
const TEXT_FORMAT_VERSION: u32 = 1;
/// Tokenizer file inside a text model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Sentences per forward pass when embedding many texts.
pub const TEXT_BATCH: usize = 32;

/// The shared text tower: one token encoder, its pooling and optional unit-length scaling.
#[derive(Module, Debug)]
pub struct TextTower {
    /// The token encoder.
    pub encoder: TextEncoder,
    #[module(skip)]
    pooling: Pooling,
    #[module(skip)]
    normalize: bool,
}

impl TextTower {
    /// Token ids and mask `[B, L]` → sentence embeddings `[B, dim]`.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<2> {
        let hidden = self.encoder.forward(ids, mask.clone());
        let pooled = self.pooling.forward(hidden, mask);
        if self.normalize {
            l2_normalize(pooled)
        } else {
            pooled
        }
    }
}

/// Everything a text model directory says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextManifest {
    /// Kind ([`TEXT_FORMAT`]), layout version and the twinnet that wrote it.
    #[serde(flatten)]
    pub header: ManifestHeader,
    /// Where the weights came from (the imported folder, or the training run).
    pub source: String,
    /// The encoder's shape.
    pub encoder: EncoderConfig,
    /// Pooling of token states.
    pub pooling: Pooling,
    /// Whether embeddings are scaled to unit length.
    pub normalize: bool,
    /// Longest input in tokens, special tokens included; longer texts are truncated.
    pub max_seq_length: usize,
    /// Distance used by `verify` and evaluation.
    pub distance: Distance,
    /// Decision threshold on the distance, once one has been calibrated on validation data.
    pub threshold: Option<f32>,
    /// SHA-256 of `model.safetensors`, checked on load.
    pub weights_sha256: String,
    /// SHA-256 of `tokenizer.json`, checked on load.
    pub tokenizer_sha256: String,
    /// How the model was fine-tuned by twinnet, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_tuning: Option<serde_json::Value>,
    /// Named prompts (e.g. `query` → `"query: "`), as sentence-transformers keeps them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub prompts: std::collections::BTreeMap<String, String>,
    /// The prompt applied when none is chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_prompt_name: Option<String>,
}

impl TextManifest {
    /// A manifest for a model not yet written (hashes are filled in by [`save_text_model`]),
    /// compared by cosine distance, with no threshold until one is calibrated.
    pub fn new(
        source: String,
        encoder: EncoderConfig,
        pooling: Pooling,
        normalize: bool,
        max_seq_length: usize,
    ) -> Self {
        Self {
            header: ManifestHeader::current(ModelKind::Text, TEXT_FORMAT_VERSION),
            source,
            encoder,
            pooling,
            normalize,
            max_seq_length,
            distance: Distance::Cosine,
            threshold: None,
            weights_sha256: String::new(),
            tokenizer_sha256: String::new(),
            fine_tuning: None,
            prompts: Default::default(),
            default_prompt_name: None,
        }
    }

    /// Length of the embedding.
    pub fn embedding_dim(&self) -> usize {
        self.encoder.hidden_size() * self.pooling.blocks()
    }
}

/// Whether `dir` holds a text model (twinnet's or a sentence-transformers folder).
pub fn is_text_model(dir: &Path) -> bool {
    model_kind(dir) == Some(ModelKind::Text)
}

/// A loaded text model, ready to embed and compare texts.
pub struct TextModel {
    /// The manifest (built from the folder's own files for a sentence-transformers folder).
    pub manifest: TextManifest,
    /// The encoder, without autodiff.
    pub tower: TextTower,
    /// The tokenizer, truncating at `manifest.max_seq_length`.
    pub tokenizer: TextTokenizer,
    /// The device it computes on.
    pub device: Device,
    /// The directory it came from.
    pub dir: PathBuf,
    /// The prompt put before every text embedded ([`TextModel::with_prompt`]).
    pub(super) prompt: Option<String>,
}

/// A bag-of-wordpieces tower to train from scratch ([`TextModel::start`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScratchTower {
    /// Folder holding the `tokenizer.json` (e.g. a MiniLM folder).
    pub tokenizer: PathBuf,
    /// Width of the token embeddings.
    pub embedding_dim: usize,
    /// Width of the sentence embedding.
    pub hidden: usize,
    /// Longest text in tokens.
    pub max_seq_length: usize,
}

impl TextModel {
    /// Loads a twinnet text model directory or a sentence-transformers folder.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, backend::inference_device())
    }

    /// Like [`TextModel::load`], onto `device` (the training device, for fine-tuning).
    pub fn load_on(dir: &Path, device: Device) -> Result<Self> {
        if !dir.is_dir() {
            bail!("model directory {} does not exist", dir.display());
        }
        let manifest_path = dir.join(crate::model::MANIFEST_FILE);
        let (manifest, check_hashes) = if manifest_path.is_file() {
            let m: TextManifest = serde_json::from_value(super::st_folder::read_json(
                &manifest_path,
            )?)
            .with_context(|| format!("{}: invalid text manifest", manifest_path.display()))?;
            m.header
                .check(&manifest_path, ModelKind::Text, TEXT_FORMAT_VERSION)?;
            m.encoder
                .check()
                .with_context(|| format!("{}: unsupported BERT config", manifest_path.display()))?;
            m.check_prompts()
                .with_context(|| manifest_path.display().to_string())?;
            (m, true)
        } else {
            (super::st_folder::read_st_manifest(dir)?, false)
        };
        if manifest.max_seq_length > manifest.encoder.max_positions() {
            bail!(
                "max_seq_length {} exceeds the {} positions the model has",
                manifest.max_seq_length,
                manifest.encoder.max_positions()
            );
        }
        let weights_path = dir.join(crate::model::WEIGHTS_FILE);
        let src = TensorSource::open(&weights_path)?;
        let tokenizer_path = dir.join(TOKENIZER_FILE);
        if check_hashes {
            let sha = sha256_hex(src.bytes());
            if sha != manifest.weights_sha256 {
                bail!(
                    "{}: SHA-256 {sha} does not match the manifest ({}); the file was changed",
                    weights_path.display(),
                    manifest.weights_sha256
                );
            }
            let tok = std::fs::read(&tokenizer_path)
                .with_context(|| format!("cannot read {}", tokenizer_path.display()))?;
            if sha256_hex(&tok) != manifest.tokenizer_sha256 {
                bail!(
                    "{}: SHA-256 does not match the manifest; the file was changed",
                    tokenizer_path.display()
                );
            }
        }
        let tokenizer = TextTokenizer::from_file(
            &tokenizer_path,
            manifest.max_seq_length,
            manifest.encoder.vocab_size(),
        )?;
        let encoder = manifest.encoder.load(&src, &device)?;
        let tower = TextTower {
            encoder,
            pooling: manifest.pooling.clone(),
            normalize: manifest.normalize,
        };
        Ok(Self {
            prompt: manifest.default_prompt(),
            manifest,
            tower,
            tokenizer,
            device,
            dir: dir.to_path_buf(),
        })
    }

    /// A fresh bag-of-wordpieces model over the tokenizer in `tokenizer_dir` (its
    /// `tokenizer.json`), to be trained from scratch: mean pooling, unit-length embeddings,
    /// cosine distance, weights drawn from `seed`.
    pub fn scratch(
        tokenizer_dir: &Path,
        embedding_dim: usize,
        hidden_size: usize,
        max_seq_length: usize,
        seed: u64,
        device: Device,
    ) -> Result<Self> {
        let tokenizer_path = tokenizer_dir.join(TOKENIZER_FILE);
        let tokenizer = TextTokenizer::from_file(&tokenizer_path, max_seq_length, usize::MAX)?;
        let cfg = BagConfig {
            vocab_size: tokenizer.vocab_size(),
            embedding_dim,
            hidden_size,
        };
        let bag = backend::init_seeded(&device, seed, || cfg.init(&device))?;
        let manifest = TextManifest::new(
            format!("from scratch over {}", tokenizer_path.display()),
            EncoderConfig::Bag(cfg),
            Pooling::mean(),
            true,
            max_seq_length,
        );
        Ok(Self {
            tower: TextTower {
                encoder: TextEncoder::Bag(bag),
                pooling: manifest.pooling.clone(),
                normalize: true,
            },
            manifest,
            tokenizer,
            device,
            dir: tokenizer_dir.to_path_buf(),
            prompt: None,
        })
    }

    /// The model a fine-tuning run starts from, and how its report names it: `model` loaded
    /// (a twinnet text model or a sentence-transformers folder), or else a tower from scratch
    /// over `scratch.tokenizer`'s `tokenizer.json`.
    pub fn start(
        model: Option<&Path>,
        scratch: Option<&ScratchTower>,
        seed: u64,
        device: Device,
    ) -> Result<(Self, String)> {
        match (model, scratch) {
            (Some(m), _) => Ok((Self::load_on(m, device)?, m.display().to_string())),
            (None, Some(s)) => Ok((
                Self::scratch(
                    &s.tokenizer,
                    s.embedding_dim,
                    s.hidden,
                    s.max_seq_length,
                    seed,
                    device,
                )?,
                "scratch (bag of wordpieces)".to_string(),
            )),
            (None, None) => {
                bail!("give a `model` to start from, or a `tokenizer` for a tower from scratch")
            }
        }
    }

    /// What must match for two sets of embeddings to be comparable: the weights' SHA-256 (from
    /// the manifest, or hashed here for a sentence-transformers folder, only when asked for).
    pub fn fingerprint(&self) -> Result<String> {
        if !self.manifest.weights_sha256.is_empty() {
            return Ok(format!("text:{}", self.manifest.weights_sha256));
        }
        let path = self.dir.join(crate::model::WEIGHTS_FILE);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(format!("text:{}", sha256_hex(&bytes)))
    }

    /// Token ids of each text (special tokens added, truncated to `max_seq_length`).
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        self.tokenizer.encode(texts)
    }

    /// Embeds texts in input order, `progress` called with the number done after each batch.
    ///
    /// Texts are grouped by length so each batch pads little; the result does not depend on
    /// the grouping (padding is masked out of attention and pooling).
    pub fn embed_with_progress(
        &self,
        texts: &[&str],
        progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let prompted = self.prompted(texts);
        let with: Option<Vec<&str>> = prompted
            .as_ref()
            .map(|v| v.iter().map(String::as_str).collect());
        let texts = with.as_deref().unwrap_or(texts);
        embed_texts(&self.tower, &self.tokenizer, &self.device, texts, progress)
    }

    /// Embeds texts in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_progress(texts, |_| {})
    }

    /// The model's distance between two embeddings.
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        self.manifest.distance.between(a, b)
    }

    /// Writes this model as a twinnet text model directory (weights, tokenizer, manifest), each
    /// file atomically; returns the manifest written.
    pub fn save(&self, out: &Path, source: &str) -> Result<TextManifest> {
        let mut manifest = self.manifest.clone();
        manifest.source = source.to_string();
        save_text_model(
            out,
            &self.tower.encoder,
            manifest,
            &self.dir.join(TOKENIZER_FILE),
        )
    }
}

/// Embeds texts in input order with `tower` on `device`, `progress` called with the number done
/// after each batch.
///
/// Texts are grouped by length so each batch pads little; the result does not depend on the
/// grouping (padding is masked out of attention and pooling).
pub fn embed_texts(
    tower: &TextTower,
    tokenizer: &TextTokenizer,
    device: &Device,
    texts: &[&str],
    mut progress: impl FnMut(usize),
) -> Result<Vec<Vec<f32>>> {
    let ids = tokenizer.encode(texts)?;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
    let mut out = vec![Vec::new(); texts.len()];
    for chunk in order.chunks(TEXT_BATCH) {
        let seqs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
        let (t, m) = tokenizer.batch(&seqs, device);
        let e = tower.forward(t, m);
        let dim = e.dims()[1];
        let rows = to_rows(e);
        for (&i, row) in chunk.iter().zip(rows.chunks(dim)) {
            out[i] = row.to_vec();
        }
        progress(chunk.len());
    }
    Ok(out)
}

/// Writes a text model directory: the encoder's weights (Hugging Face names for BERT), the tokenizer
/// copied from `tokenizer`, and `manifest` with both files' hashes; each file atomically.
pub fn save_text_model(
    out: &Path,
    encoder: &TextEncoder,
    mut manifest: TextManifest,
    tokenizer: &Path,
) -> Result<TextManifest> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create model directory {}", out.display()))?;
    let mut sink = TensorSink::default();
    encoder.save(&mut sink);
    let weights = sink.to_bytes()?;
    let tokenizer_bytes =
        std::fs::read(tokenizer).with_context(|| format!("cannot read {}", tokenizer.display()))?;
    manifest.header = ManifestHeader::current(ModelKind::Text, TEXT_FORMAT_VERSION);
    manifest.weights_sha256 = sha256_hex(&weights);
    manifest.tokenizer_sha256 = sha256_hex(&tokenizer_bytes);
    write_atomic(&out.join(crate::model::WEIGHTS_FILE), &weights)?;
    // The tokenizer may be the one already in `out` (saving over the model being trained).
    if tokenizer != out.join(TOKENIZER_FILE) {
        write_atomic(&out.join(TOKENIZER_FILE), &tokenizer_bytes)?;
        // The slow tokenizer's files beside it, for `AutoTokenizer` (sentence-transformers).
        for name in [
            "tokenizer_config.json",
            "special_tokens_map.json",
            "vocab.txt",
        ] {
            let src = tokenizer.with_file_name(name);
            if src.is_file() {
                write_atomic(&out.join(name), &std::fs::read(&src)?)?;
            }
        }
    }
    if let EncoderConfig::Bert(bert) = &manifest.encoder {
        super::st_folder::write_st_files(out, bert, &manifest)?;
    }
    write_atomic(
        &out.join(crate::model::MANIFEST_FILE),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(manifest)
}
