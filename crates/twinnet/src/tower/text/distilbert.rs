//! DistilBERT checkpoints: the same post-LayerNorm encoder as BERT under other names and config
//! fields, without token-type embeddings. Read into [`BertConfig`] and [`Bert`](super::Bert)
//! (a zero token-type row changes nothing), and written back under BERT's names with a BERT
//! `config.json`, which `transformers` loads as the same function.

use super::bert::BertConfig;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// Whose tensor names a checkpoint uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TensorNames {
    /// `encoder.layer.N.attention.self.query…` (BERT, RoBERTa, XLM-R, and all twinnet writes).
    #[default]
    Bert,
    /// `transformer.layer.N.attention.q_lin…`, no `embeddings.token_type_embeddings`.
    DistilBert,
    /// `encoder.layer.N.attention.attn.q…`, no token types, a relative-position bias table.
    Mpnet,
}

impl TensorNames {
    /// The checkpoint's name for the tensor BERT calls `bert`.
    ///
    /// ```
    /// use twinnet::text::TensorNames;
    /// let n = TensorNames::DistilBert.translate("encoder.layer.3.attention.self.query.weight");
    /// assert_eq!(n, "transformer.layer.3.attention.q_lin.weight");
    /// let n = TensorNames::DistilBert.translate("encoder.layer.0.output.LayerNorm.bias");
    /// assert_eq!(n, "transformer.layer.0.output_layer_norm.bias");
    /// assert_eq!(TensorNames::Bert.translate("embeddings.LayerNorm.weight"), "embeddings.LayerNorm.weight");
    /// ```
    pub fn translate(self, bert: &str) -> String {
        let Some(rest) = bert.strip_prefix("encoder.layer.") else {
            return bert.to_string();
        };
        let (layer, part) = rest.split_once('.').unwrap_or((rest, ""));
        match self {
            Self::Bert => return bert.to_string(),
            Self::Mpnet => return super::mpnet::translate(layer, part),
            Self::DistilBert => {}
        }
        const MAP: [(&str, &str); 8] = [
            ("attention.self.query.", "attention.q_lin."),
            ("attention.self.key.", "attention.k_lin."),
            ("attention.self.value.", "attention.v_lin."),
            ("attention.output.dense.", "attention.out_lin."),
            ("attention.output.LayerNorm.", "sa_layer_norm."),
            ("intermediate.dense.", "ffn.lin1."),
            ("output.dense.", "ffn.lin2."),
            ("output.LayerNorm.", "output_layer_norm."),
        ];
        for (from, to) in MAP {
            if let Some(tail) = part.strip_prefix(from) {
                return format!("transformer.layer.{layer}.{to}{tail}");
            }
        }
        format!("transformer.layer.{layer}.{part}")
    }
}

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
