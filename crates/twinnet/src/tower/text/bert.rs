//! A BERT encoder in burn, loading and saving Hugging Face tensor names, so a sentence-transformers
//! model runs here with the same numbers and a fine-tuned one goes back to `transformers`.

use super::names::TensorNames;
use super::weights::{TensorSink, TensorSource};
use anyhow::{bail, Context, Result};
use burn::module::{Module, Param};
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

/// The fields of a Hugging Face BERT `config.json` the encoder needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Token vocabulary size (rows of the word embedding).
    pub vocab_size: usize,
    /// Width of every hidden state.
    pub hidden_size: usize,
    /// Encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer; `hidden_size` must divide evenly.
    pub num_attention_heads: usize,
    /// Width of the feed-forward block.
    pub intermediate_size: usize,
    /// Longest sequence the position table covers.
    pub max_position_embeddings: usize,
    /// Token type (segment) vocabulary; sentence encoders use type 0 only.
    #[serde(default = "two")]
    pub type_vocab_size: usize,
    /// LayerNorm epsilon; BERT uses 1e-12, far below burn's default.
    #[serde(default = "bert_eps")]
    pub layer_norm_eps: f64,
    /// Feed-forward activation; only the exact (erf) GELU is supported.
    #[serde(default = "gelu_name")]
    pub hidden_act: String,
    /// The architecture family: `bert` (also when absent), `roberta` or `xlm-roberta`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    /// The padding token's id; RoBERTa's positions count from one past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_token_id: Option<usize>,
    /// MPNet: rows of the relative-position bias table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_attention_num_buckets: Option<usize>,
    /// Whose tensor names the checkpoint read uses (a DistilBERT one differs); never written:
    /// twinnet writes every model under BERT's names.
    #[serde(skip)]
    pub names: TensorNames,
}

fn two() -> usize {
    2
}
fn bert_eps() -> f64 {
    1e-12
}
fn gelu_name() -> String {
    "gelu".into()
}

impl BertConfig {
    /// Reads and checks a `config.json`.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let raw: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a BERT config", path.display()))?;
        check_family(&raw).with_context(|| format!("{}: unsupported model", path.display()))?;
        let cfg = super::distilbert::read_config(raw)
            .with_context(|| format!("{}: not a BERT config", path.display()))?;
        cfg.check()
            .with_context(|| format!("{}: unsupported BERT config", path.display()))?;
        Ok(cfg)
    }

    /// The first position id of a text: 0 for BERT; `pad_token_id + 1` for RoBERTa and XLM-R,
    /// whose position table keeps the rows up to the padding id unused; 2 for MPNet (fixed by
    /// transformers whatever the config says).
    ///
    /// ```
    /// let cfg: twinnet::text::BertConfig = serde_json::from_value(serde_json::json!({
    ///     "vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 1,
    ///     "intermediate_size": 8, "max_position_embeddings": 16,
    ///     "model_type": "xlm-roberta", "pad_token_id": 1})).unwrap();
    /// assert_eq!(cfg.position_offset(), 2);
    /// ```
    pub fn position_offset(&self) -> usize {
        match self.model_type.as_deref() {
            Some("roberta" | "xlm-roberta") => self.pad_token_id.unwrap_or(1) + 1,
            // transformers' MPNetEmbeddings fixes its padding index at 1, whatever the config.
            Some("mpnet") => 2,
            _ => 0,
        }
    }

    /// Whose tensor names the checkpoint uses.
    pub fn tensor_names(&self) -> TensorNames {
        if self.model_type.as_deref() == Some("mpnet") {
            TensorNames::Mpnet
        } else {
            self.names
        }
    }

    /// MPNet's bias table rows (32 when the config does not say).
    pub fn relative_buckets(&self) -> usize {
        self.relative_attention_num_buckets.unwrap_or(32)
    }

    /// Refuses shapes and activations the encoder cannot run faithfully.
    pub fn check(&self) -> Result<()> {
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            bail!(
                "hidden_size {} is not divisible by num_attention_heads {}",
                self.hidden_size,
                self.num_attention_heads
            );
        }
        if self.hidden_act != "gelu" {
            bail!(
                "hidden_act '{}' is not supported (only 'gelu')",
                self.hidden_act
            );
        }
        if self.vocab_size == 0 || self.hidden_size == 0 || self.num_hidden_layers == 0 {
            bail!("vocab_size, hidden_size and num_hidden_layers must be positive");
        }
        if self.position_offset() >= self.max_position_embeddings {
            bail!(
                "pad_token_id {:?} leaves no positions of the {} in the table",
                self.pad_token_id,
                self.max_position_embeddings
            );
        }
        Ok(())
    }
}

/// Refuses a `config.json` of an architecture family the encoder does not implement. BERT,
/// RoBERTa and XLM-R share tensor names; RoBERTa and XLM-R count positions from
/// `padding_idx + 1` ([`BertConfig::position_offset`]); DistilBERT is the same encoder under
/// other names ([`TensorNames`]); MPNet adds a relative-position bias to attention
/// (`mpnet.rs`). The rest (DeBERTa, ALBERT, …) differ in layout, so they are refused rather
/// than loaded and embedded wrongly. Relative position
/// embeddings change the attention itself.
///
/// ```
/// use twinnet::text::check_family;
/// assert!(check_family(&serde_json::json!({"model_type": "bert"})).is_ok());
/// assert!(check_family(&serde_json::json!({"model_type": "xlm-roberta"})).is_ok());
/// assert!(check_family(&serde_json::json!({})).is_ok()); // old configs name no family
/// let e = check_family(&serde_json::json!({"model_type": "deberta-v2"})).unwrap_err();
/// assert!(e.to_string().starts_with("model_type 'deberta-v2' is not supported"));
/// let rel = serde_json::json!({"model_type": "bert", "position_embedding_type": "relative_key"});
/// assert!(check_family(&rel).unwrap_err().to_string().contains("relative_key"));
/// ```
pub fn check_family(config: &serde_json::Value) -> Result<()> {
    if let Some(t) = config.get("model_type").and_then(|v| v.as_str()) {
        if !matches!(
            t,
            "bert" | "roberta" | "xlm-roberta" | "distilbert" | "mpnet"
        ) {
            bail!("model_type '{t}' is not supported: BERT, RoBERTa, XLM-R, DistilBERT and MPNet ('bert', 'roberta', 'xlm-roberta', 'distilbert', 'mpnet') encoders load here, so another model is refused rather than embedded wrongly");
        }
    }
    if let Some(p) = config
        .get("position_embedding_type")
        .and_then(|v| v.as_str())
    {
        if p != "absolute" {
            bail!("position_embedding_type '{p}' is not supported (only 'absolute')");
        }
    }
    Ok(())
}

/// One transformer layer: self-attention then feed-forward, each with a residual and LayerNorm.
#[derive(Module, Debug)]
pub struct BertLayer {
    pub(super) query: Linear,
    pub(super) key: Linear,
    pub(super) value: Linear,
    pub(super) attention_output: Linear,
    pub(super) attention_norm: LayerNorm,
    pub(super) intermediate: Linear,
    pub(super) output: Linear,
    pub(super) output_norm: LayerNorm,
    #[module(skip)]
    pub(super) heads: usize,
    /// The LayerNorms' epsilon, for the fused inference layer.
    #[module(skip)]
    pub(super) eps: f64,
}

impl BertLayer {
    /// `x` `[B, L, H]`, `mask_bias` `[B, 1, 1, L]` (0 for tokens, a large negative for padding).
    fn forward(&self, x: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        let [b, l, h] = x.dims();
        let dh = h / self.heads;
        let split = |t: Tensor<3>| t.reshape([b, l, self.heads, dh]).swap_dims(1, 2);
        let q = split(self.query.forward(x.clone()));
        let k = split(self.key.forward(x.clone()));
        let v = split(self.value.forward(x.clone()));
        let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((dh as f64).sqrt()) + mask_bias;
        let context = softmax(scores, 3)
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([b, l, h]);
        let attended = self
            .attention_norm
            .forward(self.attention_output.forward(context) + x);
        let ff = self
            .output
            .forward(gelu(self.intermediate.forward(attended.clone())));
        self.output_norm.forward(ff + attended)
    }
}

/// The BERT encoder: token + position + type embeddings, then the layers.
#[derive(Module, Debug)]
pub struct Bert {
    pub(super) word_embeddings: Embedding,
    pub(super) position_embeddings: Embedding,
    pub(super) token_type_embeddings: Embedding,
    pub(super) embeddings_norm: LayerNorm,
    pub(super) layers: Vec<BertLayer>,
    /// MPNet's relative-position bias table, `[buckets, heads]`, shared by every layer.
    pub(super) relative_attention_bias: Option<Embedding>,
    /// The first position id ([`BertConfig::position_offset`]).
    #[module(skip)]
    pub(super) position_offset: usize,
    /// The names the weights are written under (MPNet's own, else BERT's).
    #[module(skip)]
    pub(super) names: TensorNames,
}

/// Added to attention scores of padding keys; exp() of it is exactly 0 in f32.
pub(super) const MASKED: f32 = -1.0e9;

impl Bert {
    /// Token ids `[B, L]` and attention mask `[B, L]` (1 token, 0 padding) → hidden `[B, L, H]`.
    ///
    /// Inference on the flex backend runs the fused ragged layer
    /// ([`crate::kernels::encoder_layer`]): same numbers, no work on padding.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<3> {
        if let Some(lens) = self.ragged_lengths(&mask) {
            return self.forward_ragged(ids, &lens);
        }
        self.forward_padded(ids, mask)
    }

    /// The reference forward in burn's ops (training, other backends, a mask that is not a
    /// prefix of ones per row).
    pub fn forward_padded(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<3> {
        let [b, l] = ids.dims();
        let device = ids.device();
        let first = self.position_offset as i64;
        let positions = Tensor::<1, Int>::arange(first..first + l as i64, &device)
            .reshape([1, l])
            .expand([b, l]);
        let types = Tensor::<2, Int>::zeros([b, l], &device);
        let mut x = self.embeddings_norm.forward(
            self.word_embeddings.forward(ids)
                + self.position_embeddings.forward(positions)
                + self.token_type_embeddings.forward(types),
        );
        let mut mask_bias = mask
            .neg()
            .add_scalar(1.0)
            .mul_scalar(MASKED)
            .reshape([b, 1, 1, l]);
        if let Some(table) = &self.relative_attention_bias {
            mask_bias = mask_bias + super::mpnet::position_bias(table, l, &device);
        }
        for layer in &self.layers {
            x = layer.forward(x, mask_bias.clone());
        }
        x
    }

    /// Builds the encoder from Hugging Face tensor names (`embeddings.word_embeddings.weight`,
    /// `encoder.layer.0.attention.self.query.weight`, …), checking every shape against `cfg`.
    pub fn load(cfg: &BertConfig, src: &TensorSource, device: &Device) -> Result<Self> {
        let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
        let names = cfg.tensor_names();
        let name = |bert: &str| names.translate(bert);
        let norm = |prefix: &str| -> Result<LayerNorm> {
            let mut ln = LayerNormConfig::new(h)
                .with_epsilon(cfg.layer_norm_eps)
                .init(device);
            ln.gamma =
                Param::from_tensor(src.tensor1(&name(&format!("{prefix}.weight")), h, device)?);
            ln.beta = Some(Param::from_tensor(src.tensor1(
                &name(&format!("{prefix}.bias")),
                h,
                device,
            )?));
            Ok(ln)
        };
        let linear = |prefix: &str, d_in: usize, d_out: usize| -> Result<Linear> {
            // PyTorch stores `[out, in]`; burn multiplies by `[in, out]`.
            let w = src.tensor2(&name(&format!("{prefix}.weight")), [d_out, d_in], device)?;
            Ok(Linear {
                weight: Param::from_tensor(w.transpose()),
                bias: Some(Param::from_tensor(src.tensor1(
                    &name(&format!("{prefix}.bias")),
                    d_out,
                    device,
                )?)),
            })
        };
        let embedding = |name: &str, rows: usize| -> Result<Embedding> {
            Ok(Embedding {
                weight: Param::from_tensor(src.tensor2(name, [rows, h], device)?),
            })
        };
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for n in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{n}");
            layers.push(BertLayer {
                query: linear(&format!("{p}.attention.self.query"), h, h)?,
                key: linear(&format!("{p}.attention.self.key"), h, h)?,
                value: linear(&format!("{p}.attention.self.value"), h, h)?,
                attention_output: linear(&format!("{p}.attention.output.dense"), h, h)?,
                attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(&format!("{p}.intermediate.dense"), h, i)?,
                output: linear(&format!("{p}.output.dense"), i, h)?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
                heads: cfg.num_attention_heads,
                eps: cfg.layer_norm_eps,
            });
        }
        Ok(Self {
            word_embeddings: embedding("embeddings.word_embeddings.weight", cfg.vocab_size)?,
            position_embeddings: embedding(
                "embeddings.position_embeddings.weight",
                cfg.max_position_embeddings,
            )?,
            // DistilBERT has no token types: one zero row adds nothing.
            // DistilBERT and MPNet have no token types: one zero row adds nothing.
            token_type_embeddings: match names {
                TensorNames::Bert => embedding(
                    "embeddings.token_type_embeddings.weight",
                    cfg.type_vocab_size,
                )?,
                _ => Embedding {
                    weight: Param::from_tensor(Tensor::zeros([1, h], device)),
                },
            },
            embeddings_norm: norm("embeddings.LayerNorm")?,
            layers,
            relative_attention_bias: match names {
                TensorNames::Mpnet => Some(Embedding {
                    weight: Param::from_tensor(src.tensor2(
                        super::mpnet::BIAS_TENSOR,
                        [cfg.relative_buckets(), cfg.num_attention_heads],
                        device,
                    )?),
                }),
                _ => None,
            },
            position_offset: cfg.position_offset(),
            names: match names {
                TensorNames::Mpnet => TensorNames::Mpnet,
                _ => TensorNames::Bert,
            },
        })
    }

    /// Writes every weight under its Hugging Face name (the inverse of [`Bert::load`]).
    pub fn save(&self, sink: &mut TensorSink) {
        let names = self.names;
        let norm = |sink: &mut TensorSink, prefix: &str, ln: &LayerNorm| {
            sink.put(
                &names.translate(&format!("{prefix}.weight")),
                ln.gamma.val(),
            );
            if let Some(beta) = &ln.beta {
                sink.put(&names.translate(&format!("{prefix}.bias")), beta.val());
            }
        };
        let linear = |sink: &mut TensorSink, prefix: &str, l: &Linear| {
            let weight = l.weight.val().transpose();
            sink.put(&names.translate(&format!("{prefix}.weight")), weight);
            if let Some(bias) = &l.bias {
                sink.put(&names.translate(&format!("{prefix}.bias")), bias.val());
            }
        };
        sink.put(
            "embeddings.word_embeddings.weight",
            self.word_embeddings.weight.val(),
        );
        sink.put(
            "embeddings.position_embeddings.weight",
            self.position_embeddings.weight.val(),
        );
        if names == TensorNames::Bert {
            sink.put(
                "embeddings.token_type_embeddings.weight",
                self.token_type_embeddings.weight.val(),
            );
        }
        if let Some(table) = &self.relative_attention_bias {
            sink.put(super::mpnet::BIAS_TENSOR, table.weight.val());
        }
        norm(sink, "embeddings.LayerNorm", &self.embeddings_norm);
        for (n, layer) in self.layers.iter().enumerate() {
            let p = format!("encoder.layer.{n}");
            linear(sink, &format!("{p}.attention.self.query"), &layer.query);
            linear(sink, &format!("{p}.attention.self.key"), &layer.key);
            linear(sink, &format!("{p}.attention.self.value"), &layer.value);
            linear(
                sink,
                &format!("{p}.attention.output.dense"),
                &layer.attention_output,
            );
            norm(
                sink,
                &format!("{p}.attention.output.LayerNorm"),
                &layer.attention_norm,
            );
            linear(
                sink,
                &format!("{p}.intermediate.dense"),
                &layer.intermediate,
            );
            linear(sink, &format!("{p}.output.dense"), &layer.output);
            norm(sink, &format!("{p}.output.LayerNorm"), &layer.output_norm);
        }
    }
}
