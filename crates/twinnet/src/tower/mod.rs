//! Towers: the one shared sub-network every input of a pair or triplet passes through — the
//! image towers here, the text towers in [`text`] (with the `text` feature), all behind one
//! [`Encoder`] trait.
//!
//! A Siamese network is a single tower applied to each input, so there is exactly one set of
//! weights; [`Tower::embed_pair`] runs both sides of a batch through one batched forward pass.

mod cnn;
mod encoder;
pub mod face;
mod features;
mod mlp;
mod siamfc;
mod size;
#[cfg(feature = "text")]
pub mod text;

pub use cnn::{CnnConfig, CnnTower, ConvNorm, EmbeddingActivation};
#[cfg(feature = "text")]
pub use encoder::TokenBatch;
pub use encoder::{encode_sides, Encoder};
pub use features::FeatureLayer;
pub use mlp::{MlpConfig, MlpTower};
pub use siamfc::{xcorr, SiamFcConfig, SiamFcNet, ADJUST_SCALE};
pub use size::{MAX_INPUT_CHANNELS, MAX_INPUT_SIDE, MAX_TOWER_PARAMETERS};

use anyhow::Result;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Architecture of a tower, stored in the model manifest so a model file rebuilds itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TowerConfig {
    /// Convolutional tower for images.
    Cnn(CnnConfig),
    /// Fully connected tower for feature vectors (images are flattened).
    Mlp(MlpConfig),
}

impl TowerConfig {
    /// Input shape `[channels, height, width]` the tower expects (`[1, 1, d]` for a vector).
    pub fn input_shape(&self) -> [usize; 3] {
        match self {
            TowerConfig::Cnn(c) => [c.channels, c.height, c.width],
            TowerConfig::Mlp(m) => [1, 1, m.input_dim],
        }
    }

    /// Length of the embedding the tower produces.
    pub fn embedding_dim(&self) -> usize {
        match self {
            TowerConfig::Cnn(c) => c.embedding_dim,
            TowerConfig::Mlp(m) => m.embedding_dim,
        }
    }

    /// Parameters, counted without building the tower; an error when the tower
    /// would be too big to build (see [`MAX_TOWER_PARAMETERS`]).
    pub fn parameter_count(&self) -> Result<usize> {
        match self {
            TowerConfig::Cnn(c) => c.parameter_count(),
            TowerConfig::Mlp(m) => m.parameter_count(),
        }
    }

    /// Short name for tables and logs.
    pub fn kind_name(&self) -> &'static str {
        match self {
            TowerConfig::Cnn(_) => "cnn",
            TowerConfig::Mlp(_) => "mlp",
        }
    }

    /// Checks the configuration and builds a freshly initialised tower on `device`.
    pub fn init(&self, device: &Device) -> Result<Tower> {
        Ok(match self {
            TowerConfig::Cnn(c) => Tower::Cnn(c.init(device)?),
            TowerConfig::Mlp(m) => Tower::Mlp(m.init(device)?),
        })
    }
}

/// The shared-weight encoder. Tensor names in the model file start with the variant name
/// (`Cnn.convs.0.weight`), so a file says which architecture it holds.
#[derive(Module, Debug)]
// A model holds one tower, so the size of the larger variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Tower {
    /// Convolutional tower.
    Cnn(CnnTower),
    /// Fully connected tower.
    Mlp(MlpTower),
}

impl Tower {
    /// Embeds a batch of inputs `[B, C, H, W]` → `[B, dim]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        match self {
            Tower::Cnn(t) => t.forward(input),
            Tower::Mlp(t) => t.forward(input.flatten(1, 3)),
        }
    }

    /// Embeds both sides of a batch of pairs in one forward pass through the one tower.
    ///
    /// Returns `(embeddings of a, embeddings of b)`, each `[B, dim]`.
    pub fn embed_pair(&self, a: Tensor<4>, b: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let mut sides = encode_sides(self, vec![a, b]).into_iter();
        (
            sides.next().expect("two sides"),
            sides.next().expect("two sides"),
        )
    }

    /// Embeds anchors, positives and negatives in one forward pass.
    pub fn embed_triplet(
        &self,
        a: Tensor<4>,
        p: Tensor<4>,
        n: Tensor<4>,
    ) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let mut s = encode_sides(self, vec![a, p, n]).into_iter();
        let mut next = || s.next().expect("three sides");
        (next(), next(), next())
    }
}

/// Scales each row to unit length, so Euclidean distance becomes a function of the angle.
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x
        .clone()
        .powi_scalar(2)
        .sum_dim(1)
        .add_scalar(crate::distance::EPS)
        .sqrt();
    x / norm
}
