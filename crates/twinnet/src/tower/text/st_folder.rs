//! The files that make a twinnet BERT model directory a sentence-transformers folder too, so
//! `SentenceTransformer(dir)` and `AutoModel.from_pretrained(dir)` load what twinnet trained:
//! `config.json` (Hugging Face's BERT config), `modules.json` (Transformer → Pooling →
//! Normalize), `sentence_bert_config.json`, `1_Pooling/config.json`,
//! `config_sentence_transformers.json` and `tokenizer_config.json` (and reads a folder's own
//! files back into a manifest). The weights are already
//! written under Hugging Face's tensor names and `tokenizer.json` is the fast tokenizer's own
//! file. twinnet itself keeps reading its `manifest.json`, which wins when both are there.

use super::bert::BertConfig;
use super::encoder::EncoderConfig;
use super::model::TextManifest;
use super::model::TOKENIZER_FILE;
use super::pooling::Pooling;
use crate::fsutil::write_atomic;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Writes the sentence-transformers files of a BERT text model into `out`.
pub(super) fn write_st_files(out: &Path, bert: &BertConfig, manifest: &TextManifest) -> Result<()> {
    let family = bert.model_type.as_deref().unwrap_or("bert");
    let architecture = match family {
        "roberta" => "RobertaModel",
        "xlm-roberta" => "XLMRobertaModel",
        "mpnet" => "MPNetModel",
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
        })
        .as_object()
        .cloned()
        .map(|mut c| {
            if let Some(n) = bert.relative_attention_num_buckets {
                c.insert("relative_attention_num_buckets".into(), n.into());
            }
            serde_json::Value::Object(c)
        })
        .unwrap_or_default(),
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
        json!({"__version__": {"twinnet": env!("CARGO_PKG_VERSION")}, "prompts": manifest.prompts, "default_prompt_name": manifest.default_prompt_name, "similarity_fn_name": "cosine"}),
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

pub(super) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", path.display()))
}

fn require(dir: &Path, file: &str) -> Result<PathBuf> {
    let p = dir.join(file);
    if !p.is_file() {
        bail!(
            "{} is not a complete sentence-transformers model: {file} is missing",
            dir.display()
        );
    }
    Ok(p)
}

/// Reads a sentence-transformers folder's description of itself (no weights yet).
pub(super) fn read_st_manifest(dir: &Path) -> Result<TextManifest> {
    let modules_path = require(dir, "modules.json")?;
    let modules = read_json(&modules_path)?;
    let modules = modules
        .as_array()
        .with_context(|| format!("{}: expected a list of modules", modules_path.display()))?;
    let kinds: Vec<&str> = modules
        .iter()
        .map(|m| m["type"].as_str().unwrap_or(""))
        .collect();
    let mut pooling_dir = None;
    let mut normalize = false;
    for (m, kind) in modules.iter().zip(&kinds) {
        match kind.rsplit('.').next().unwrap_or("") {
            "Transformer" => {}
            "Pooling" => pooling_dir = Some(m["path"].as_str().unwrap_or("1_Pooling").to_string()),
            "Normalize" => normalize = true,
            other => bail!(
                "{}: module type '{other}' is not supported (Transformer, Pooling, Normalize)",
                modules_path.display()
            ),
        }
    }
    if kinds.first().is_none_or(|k| !k.ends_with("Transformer")) {
        bail!(
            "{}: the first module must be a Transformer",
            modules_path.display()
        );
    }
    let pooling = match pooling_dir {
        Some(p) => Pooling::from_file(&require(dir, &format!("{p}/config.json"))?)?,
        None => bail!("{}: no Pooling module", modules_path.display()),
    };
    let bert = BertConfig::from_file(&require(dir, "config.json")?)?;
    let st_path = require(dir, "sentence_bert_config.json")?;
    // sentence-transformers 6 keeps the limit in the tokenizer's config (model_max_length),
    // else it is the position table's length; older versions write it here.
    let usable = bert.max_position_embeddings - bert.position_offset();
    let tokenizer_limit = || {
        let v = read_json(&dir.join("tokenizer_config.json")).ok()?;
        let n = v["model_max_length"].as_u64()? as usize;
        (n <= usable).then_some(n)
    };
    let max_seq_length = match read_json(&st_path)?["max_seq_length"].as_u64() {
        Some(n) => n as usize,
        None => tokenizer_limit().unwrap_or(usable),
    };
    require(dir, "model.safetensors")?;
    require(dir, TOKENIZER_FILE)?;
    let mut manifest = TextManifest::new(
        dir.display().to_string(),
        EncoderConfig::Bert(bert),
        pooling,
        normalize,
        max_seq_length,
    );
    (manifest.prompts, manifest.default_prompt_name) = super::prompts::read_st_prompts(dir)?;
    manifest
        .check_prompts()
        .with_context(|| format!("{}", dir.join(super::prompts::ST_CONFIG_FILE).display()))?;
    Ok(manifest)
}
