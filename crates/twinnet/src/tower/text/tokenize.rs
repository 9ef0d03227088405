//! Wordpiece tokenisation through the Hugging Face `tokenizers` crate, truncated to the model's
//! own `max_seq_length` rather than whatever `tokenizer.json` bakes in.

use anyhow::{bail, Result};
use burn::tensor::{Device, Int, Tensor, TensorData};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// A tokenizer that emits ids with the special tokens added, never padded.
pub struct TextTokenizer {
    inner: Tokenizer,
    pad_id: u32,
}

impl TextTokenizer {
    /// Loads `tokenizer.json`, truncating to `max_len` tokens (special tokens included) and
    /// refusing one whose ids would fall outside a vocabulary of `vocab_size`.
    pub fn from_file(path: &Path, max_len: usize, vocab_size: usize) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::from_bytes(&bytes, path, max_len, vocab_size)
    }

    /// Like [`TextTokenizer::from_file`], for the bytes of a `tokenizer.json`; `path` names
    /// it in errors.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        max_len: usize,
        vocab_size: usize,
    ) -> Result<Self> {
        // The tokenizers crate `expect`s on some malformed files (found by fuzzing: invalid
        // JSON, or an invalid \u escape, inside `decoder`; a bad precompiled charsmap): parse the
        // JSON strictly first and build the tokenizer from the parsed value, and turn whatever
        // still panics inside the crate into an error naming the file.
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| anyhow::anyhow!("{}: not valid JSON: {e}", path.display()))?;
        let mut inner: Tokenizer = guarded(|| serde_json::from_value(value))
            .map_err(|e| anyhow::anyhow!("{}: cannot load tokenizer: {e}", path.display()))?
            .map_err(|e| anyhow::anyhow!("{}: cannot load tokenizer: {e}", path.display()))?;
        let n = inner.get_vocab_size(true);
        if n > vocab_size {
            bail!(
                "{}: the tokenizer has {n} tokens but the model's vocabulary has {vocab_size}; \
                 they do not belong together",
                path.display()
            );
        }
        // A vocabulary's ids need not be dense: one id past the embedding table would panic
        // in the lookup, so the largest id is what must fit.
        if let Some(id) = inner.get_vocab(true).values().copied().max() {
            if id as usize >= vocab_size {
                bail!(
                    "{}: the tokenizer has token id {id} but the model's vocabulary has \
                     {vocab_size} rows; they do not belong together",
                    path.display()
                );
            }
        }
        let pad_id = inner
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| inner.token_to_id("[PAD]"))
            .unwrap_or(0);
        if pad_id as usize >= vocab_size {
            bail!(
                "{}: the padding id {pad_id} is outside the model's vocabulary of {vocab_size}",
                path.display()
            );
        }
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..TruncationParams::default()
            }))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // Some broken post-processors (a single-text template naming a second sequence, a
        // special token it does not define) panic on every text: refuse them here, once.
        guarded(|| inner.encode("a", true))
            .map_err(|e| anyhow::anyhow!("{}: cannot tokenise with it: {e}", path.display()))?
            .map_err(|e| anyhow::anyhow!("{}: cannot tokenise with it: {e}", path.display()))?;
        Ok(Self { inner, pad_id })
    }

    /// Number of distinct token ids (added tokens included).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids of each text, in input order.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let encodings = guarded(|| self.inner.encode_batch(texts.to_vec(), true))
            .map_err(|e| anyhow::anyhow!("tokenisation failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("tokenisation failed: {e}"))?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Pads `ids` to the longest and returns `(ids [B, L], mask [B, L])` on `device`.
    pub fn batch(&self, ids: &[&[u32]], device: &Device) -> (Tensor<2, Int>, Tensor<2>) {
        let len = ids.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let b = ids.len();
        let mut flat = Vec::with_capacity(b * len);
        let mut mask = Vec::with_capacity(b * len);
        for seq in ids {
            flat.extend(seq.iter().map(|&t| i64::from(t)));
            flat.extend(std::iter::repeat_n(i64::from(self.pad_id), len - seq.len()));
            mask.extend(std::iter::repeat_n(1.0f32, seq.len()));
            mask.extend(std::iter::repeat_n(0.0f32, len - seq.len()));
        }
        (
            Tensor::from_data(TensorData::new(flat, [b, len]), device),
            Tensor::from_data(TensorData::new(mask, [b, len]), device),
        )
    }
}

thread_local! {
    /// Set while [`guarded`] runs on this thread: its panics are answered as errors, so the
    /// panic hook stays quiet about them.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside the tokenizers crate into an error carrying its message.
///
/// The first call wraps the process's panic hook so that panics caught here print nothing;
/// every other panic still goes to the previous hook (the default one, or a fuzzer's).
fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info)
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|p| {
        let message = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the tokenizers library failed ({message})")
    })
}
