//! DistilBERT checkpoints: the same post-LayerNorm encoder as BERT under other names and config
//! fields, without token-type embeddings. Read into [`BertConfig`] and [`Bert`](super::Bert)
//! (a zero token-type row changes nothing), and written back under BERT's names with a BERT
//! `config.json`, which `transformers` loads as the same function.

use super::bert::BertConfig;
use super::names::TensorNames;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// A DistilBERT `config.json` in BERT's fields (`dim` → `hidden_size`, `n_layers`, `n_heads`,
/// `hidden_dim` → `intermediate_size`, `activation` → `hidden_act`; LayerNorm ε 1e-12 as
/// DistilBERT hard-codes; one token type). Sinusoidal position tables are refused.
pub(super) fn as_bert_config(raw: &Value) -> Result<Value> {
    if raw.get("sinusoidal_pos_embds").and_then(Value::as_bool) == Some(true) {
        bail!("sinusoidal_pos_embds: true is not supported (learned position embeddings only)");
    }
    let field = |name: &str| -> Result<Value> {
        raw.get(name)
            .cloned()
            .with_context(|| format!("DistilBERT config without '{name}'"))
    };
    Ok(json!({
        "model_type": "bert",
        "vocab_size": field("vocab_size")?,
        "hidden_size": field("dim")?,
        "num_hidden_layers": field("n_layers")?,
        "num_attention_heads": field("n_heads")?,
        "intermediate_size": field("hidden_dim")?,
        "max_position_embeddings": field("max_position_embeddings")?,
        "type_vocab_size": 1,
        "layer_norm_eps": 1e-12,
        "hidden_act": raw.get("activation").cloned().unwrap_or(json!("gelu")),
        "pad_token_id": raw.get("pad_token_id").cloned().unwrap_or(json!(0)),
    }))
}

/// Reads a config of either naming, marking which tensor names its checkpoint uses.
pub(super) fn read_config(raw: Value) -> Result<BertConfig> {
    let distil = raw.get("model_type").and_then(Value::as_str) == Some("distilbert");
    let raw = if distil { as_bert_config(&raw)? } else { raw };
    let mut cfg: BertConfig = serde_json::from_value(raw)?;
    if distil {
        cfg.names = TensorNames::DistilBert;
    }
    Ok(cfg)
}
