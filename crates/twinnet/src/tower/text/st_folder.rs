//! The files that make a twinnet BERT model directory a sentence-transformers folder too, so
//! `SentenceTransformer(dir)` and `AutoModel.from_pretrained(dir)` load what twinnet trained:
//! `config.json` (Hugging Face's BERT config), `modules.json` (Transformer → Pooling →
//! Normalize), `sentence_bert_config.json`, `1_Pooling/config.json`,
//! `config_sentence_transformers.json` and `tokenizer_config.json`. The weights are already
//! written under Hugging Face's tensor names and `tokenizer.json` is the fast tokenizer's own
//! file. twinnet itself keeps reading its `manifest.json`, which wins when both are there.

use super::bert::BertConfig;
use super::model::TextManifest;
use super::pooling::Pooling;
use crate::fsutil::write_atomic;
use anyhow::Result;
use serde_json::json;
use std::path::Path;

/// Writes the sentence-transformers files of a BERT text model into `out`.
pub(super) fn write_st_files(out: &Path, bert: &BertConfig, manifest: &TextManifest) -> Result<()> {
    let family = bert.model_type.as_deref().unwrap_or("bert");
    let architecture = match family {
        "roberta" => "RobertaModel",
        "xlm-roberta" => "XLMRobertaModel",
        _ => "BertModel",
    };
    let put = |name: &str, v: serde_json::Value| {
        write_atomic(&out.join(name), &serde_json::to_vec_pretty(&v)?)
    };
    put(
        "config.json",
        json!({
            "architectures": [architecture],
            "model_type": family,
            "vocab_size": bert.vocab_size,
            "hidden_size": bert.hidden_size,
            "num_hidden_layers": bert.num_hidden_layers,
            "num_attention_heads": bert.num_attention_heads,
            "intermediate_size": bert.intermediate_size,
            "max_position_embeddings": bert.max_position_embeddings,
            "type_vocab_size": bert.type_vocab_size,
            "layer_norm_eps": bert.layer_norm_eps,
            "hidden_act": bert.hidden_act,
            "position_embedding_type": "absolute",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "pad_token_id": bert.pad_token_id.unwrap_or(if family == "bert" { 0 } else { 1 }),
        }),
    )?;
    let mut modules = vec![
        json!({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}),
        json!({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}),
    ];
    if manifest.normalize {
        modules.push(json!({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}));
    }
    put("modules.json", json!(modules))?;
    put(
        "sentence_bert_config.json",
        json!({"max_seq_length": manifest.max_seq_length, "do_lower_case": false}),
    )?;
    std::fs::create_dir_all(out.join("1_Pooling"))?;
    put(
        "1_Pooling/config.json",
        pooling_json(&manifest.pooling, bert.hidden_size),
    )?;
    put(
        "config_sentence_transformers.json",
        json!({"__version__": {"twinnet": env!("CARGO_PKG_VERSION")}, "prompts": {}, "default_prompt_name": null, "similarity_fn_name": "cosine"}),
    )?;
    if !out.join("tokenizer_config.json").is_file() {
        put(
            "tokenizer_config.json",
            json!({"tokenizer_class": "BertTokenizer", "do_lower_case": true, "model_max_length": manifest.max_seq_length}),
        )?;
    }
    Ok(())
}

/// `1_Pooling/config.json` for `p` over `dim`-wide token states.
fn pooling_json(p: &Pooling, dim: usize) -> serde_json::Value {
    json!({
        "word_embedding_dimension": dim,
        "pooling_mode_cls_token": p.cls,
        "pooling_mode_mean_tokens": p.mean,
        "pooling_mode_max_tokens": p.max,
        "pooling_mode_mean_sqrt_len_tokens": p.mean_sqrt_len,
        "pooling_mode_weightedmean_tokens": false,
        "pooling_mode_lasttoken": false,
    })
}
