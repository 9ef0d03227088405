//! The fully connected tower for plain feature vectors.

use anyhow::{bail, Result};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of an MLP tower.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Length of the input vector (a flattened image counts its pixels × channels).
    pub input_dim: usize,
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Length of the embedding.
    pub embedding_dim: usize,
    /// Scale embeddings to unit length.
    pub normalize: bool,
}

impl MlpConfig {
    /// Builds a freshly initialised tower.
    pub fn init(&self, device: &Device) -> Result<MlpTower> {
        if self.input_dim == 0 || self.embedding_dim == 0 {
            bail!("MLP input and embedding dimensions must be positive");
        }
        self.parameter_count()?;
        let mut layers = Vec::new();
        let mut d_in = self.input_dim;
        for &d_out in self
            .hidden
            .iter()
            .chain(std::iter::once(&self.embedding_dim))
        {
            layers.push(LinearConfig::new(d_in, d_out).init(device));
            d_in = d_out;
        }
        Ok(MlpTower {
            layers,
            relu: Relu::new(),
            normalize: self.normalize,
        })
    }
}

/// An MLP tower; see [`MlpConfig`].
#[derive(Module, Debug)]
pub struct MlpTower {
    layers: Vec<Linear>,
    relu: Relu,
    #[module(skip)]
    normalize: bool,
}

impl MlpTower {
    /// Hidden layers (all but the embedding layer).
    pub fn hidden_layers(&self) -> usize {
        self.layers.len() - 1
    }

    /// The last hidden layer's output after its ReLU.
    pub fn hidden_features(&self, input: Tensor<2>) -> Tensor<2> {
        let mut x = input;
        for layer in &self.layers[..self.layers.len() - 1] {
            x = self.relu.forward(layer.forward(x));
        }
        x
    }

    /// `[B, input_dim]` → `[B, dim]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let mut x = input;
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.relu.forward(x);
            }
        }
        if self.normalize {
            super::l2_normalize(x)
        } else {
            x
        }
    }
}
