//! The token encoders a text tower can use: the pretrained BERT, or a small bag of wordpiece
//! embeddings trained from scratch for users with no pretrained model.

use super::bert::{Bert, BertConfig};
use super::weights::{TensorSink, TensorSource};
use anyhow::{bail, Result};
use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::tanh;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of a bag-of-wordpieces encoder: each token's embedding goes through one dense layer
/// with tanh; pooling then averages the tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BagConfig {
    /// Token vocabulary size (the tokenizer's).
    pub vocab_size: usize,
    /// Width of the token embeddings.
    pub embedding_dim: usize,
    /// Width of each token's output (the sentence embedding after mean pooling).
    pub hidden_size: usize,
}

/// The bag-of-wordpieces encoder; see [`BagConfig`].
#[derive(Module, Debug)]
pub struct BagEncoder {
    embeddings: Embedding,
    projection: Linear,
}

impl BagConfig {
    /// A freshly initialised encoder (seed it through `backend::init_seeded`).
    pub fn init(&self, device: &Device) -> Result<BagEncoder> {
        if self.vocab_size == 0 || self.embedding_dim == 0 || self.hidden_size == 0 {
            bail!("vocabulary, embedding and hidden sizes must be positive");
        }
        Ok(BagEncoder {
            embeddings: EmbeddingConfig::new(self.vocab_size, self.embedding_dim).init(device),
            projection: LinearConfig::new(self.embedding_dim, self.hidden_size).init(device),
        })
    }
}

impl BagEncoder {
    fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        tanh(self.projection.forward(self.embeddings.forward(ids)))
    }

    fn load(cfg: &BagConfig, src: &TensorSource, device: &Device) -> Result<Self> {
        let w = src.tensor2(
            "projection.weight",
            [cfg.hidden_size, cfg.embedding_dim],
            device,
        )?;
        Ok(Self {
            embeddings: Embedding {
                weight: Param::from_tensor(src.tensor2(
                    "embeddings.weight",
                    [cfg.vocab_size, cfg.embedding_dim],
                    device,
                )?),
            },
            projection: Linear {
                weight: Param::from_tensor(w.transpose()),
                bias: Some(Param::from_tensor(src.tensor1(
                    "projection.bias",
                    cfg.hidden_size,
                    device,
                )?)),
            },
        })
    }

    fn save(&self, sink: &mut TensorSink) {
        sink.put("embeddings.weight", self.embeddings.weight.val());
        // PyTorch's `[out, in]` layout, like the BERT weights.
        sink.put(
            "projection.weight",
            self.projection.weight.val().transpose(),
        );
        if let Some(b) = &self.projection.bias {
            sink.put("projection.bias", b.val());
        }
    }
}

/// Which encoder a text model has, as stored in its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EncoderConfig {
    /// A BERT (e.g. all-MiniLM-L6-v2).
    Bert(BertConfig),
    /// A bag of wordpiece embeddings.
    Bag(BagConfig),
}

impl EncoderConfig {
    /// Width of each token's output state.
    pub fn hidden_size(&self) -> usize {
        match self {
            Self::Bert(c) => c.hidden_size,
            Self::Bag(c) => c.hidden_size,
        }
    }

    /// Rows of the token embedding table.
    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Bert(c) => c.vocab_size,
            Self::Bag(c) => c.vocab_size,
        }
    }

    /// Longest input the encoder can take, in tokens.
    pub fn max_positions(&self) -> usize {
        match self {
            Self::Bert(c) => c.max_position_embeddings - c.position_offset(),
            Self::Bag(_) => usize::MAX,
        }
    }

    /// Refuses configurations the encoder cannot run.
    pub fn check(&self) -> Result<()> {
        match self {
            Self::Bert(c) => c.check(),
            Self::Bag(c) => {
                if c.vocab_size == 0 || c.embedding_dim == 0 || c.hidden_size == 0 {
                    bail!("vocabulary, embedding and hidden sizes must be positive");
                }
                Ok(())
            }
        }
    }

    /// Builds the encoder from saved weights.
    pub fn load(&self, src: &TensorSource, device: &Device) -> Result<TextEncoder> {
        Ok(match self {
            Self::Bert(c) => TextEncoder::Bert(Bert::load(c, src, device)?),
            Self::Bag(c) => TextEncoder::Bag(BagEncoder::load(c, src, device)?),
        })
    }
}

/// A text model's token encoder.
// One encoder per loaded model: the size of the larger variant costs nothing, and boxing it
// would hide the module from burn's derive.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum TextEncoder {
    /// A BERT.
    Bert(Bert),
    /// A bag of wordpiece embeddings.
    Bag(BagEncoder),
}

impl TextEncoder {
    /// Token ids and mask `[B, L]` → token states `[B, L, H]`.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<3> {
        match self {
            Self::Bert(b) => b.forward(ids, mask),
            Self::Bag(b) => b.forward(ids),
        }
    }

    /// Writes every weight into `sink` (Hugging Face names for BERT).
    pub fn save(&self, sink: &mut TensorSink) {
        match self {
            Self::Bert(b) => b.save(sink),
            Self::Bag(b) => b.save(sink),
        }
    }
}
