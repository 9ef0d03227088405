//! The convolutional tower (conv → ReLU → max-pool blocks, then fully connected layers).

use anyhow::{bail, Result};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of a CNN tower. The default is the reference tower for 28×28 digits:
/// conv 1→32 k5, pool 2, conv 32→64 k5, pool 2, fc 1024→256, fc 256→64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnConfig {
    /// Input channels (1 grayscale, 3 RGB).
    pub channels: usize,
    /// Input height in pixels.
    pub height: usize,
    /// Input width in pixels.
    pub width: usize,
    /// Output channels of each conv block.
    pub conv_channels: Vec<usize>,
    /// Square kernel size of every convolution.
    pub kernel_size: usize,
    /// Widths of the hidden fully connected layers.
    pub hidden: Vec<usize>,
    /// Length of the embedding.
    pub embedding_dim: usize,
    /// Scale embeddings to unit length.
    pub normalize: bool,
}

impl Default for CnnConfig {
    fn default() -> Self {
        Self {
            channels: 1,
            height: 28,
            width: 28,
            conv_channels: vec![32, 64],
            kernel_size: 5,
            hidden: vec![256],
            embedding_dim: 64,
            normalize: false,
        }
    }
}

impl CnnConfig {
    /// Spatial size `[h, w]` after all conv + pool blocks, or an error naming the block that
    /// would shrink the image to nothing.
    pub fn feature_map(&self) -> Result<[usize; 2]> {
        let (mut h, mut w) = (self.height, self.width);
        for (i, _) in self.conv_channels.iter().enumerate() {
            if h < self.kernel_size || w < self.kernel_size {
                bail!(
                    "input {}x{} is too small for conv block {} (kernel {}); use a larger `image-size` or fewer conv layers",
                    self.width, self.height, i + 1, self.kernel_size
                );
            }
            // A valid convolution, then a 2×2 max-pool that drops an odd last row/column.
            let (conv_h, conv_w) = (h - self.kernel_size + 1, w - self.kernel_size + 1);
            h = conv_h / 2;
            w = conv_w / 2;
            if h == 0 || w == 0 {
                bail!(
                    "input {}x{} shrinks to nothing after conv block {}; use a larger `image-size`",
                    self.width,
                    self.height,
                    i + 1
                );
            }
        }
        Ok([h, w])
    }

    /// Builds a freshly initialised tower.
    pub fn init(&self, device: &Device) -> Result<CnnTower> {
        if self.channels == 0 || self.embedding_dim == 0 || self.kernel_size == 0 {
            bail!("tower channels, kernel size and embedding dimension must be positive");
        }
        let [h, w] = self.feature_map()?;
        let mut convs = Vec::new();
        let mut c_in = self.channels;
        for &c_out in &self.conv_channels {
            convs.push(
                Conv2dConfig::new([c_in, c_out], [self.kernel_size, self.kernel_size]).init(device),
            );
            c_in = c_out;
        }
        let mut fcs = Vec::new();
        let mut d_in = c_in * h * w;
        for &d_out in self
            .hidden
            .iter()
            .chain(std::iter::once(&self.embedding_dim))
        {
            fcs.push(LinearConfig::new(d_in, d_out).init(device));
            d_in = d_out;
        }
        Ok(CnnTower {
            convs,
            fcs,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            relu: Relu::new(),
            normalize: self.normalize,
        })
    }
}

/// A CNN tower; see [`CnnConfig`].
#[derive(Module, Debug)]
pub struct CnnTower {
    convs: Vec<Conv2d>,
    fcs: Vec<Linear>,
    pool: MaxPool2d,
    relu: Relu,
    #[module(skip)]
    normalize: bool,
}

impl CnnTower {
    /// Hidden fully connected layers (all but the embedding layer).
    pub fn hidden_layers(&self) -> usize {
        self.fcs.len() - 1
    }

    /// The flattened last conv block (`conv`), or the last hidden layer after its ReLU.
    pub fn features(&self, input: Tensor<4>, conv: bool) -> Tensor<2> {
        let mut x = input;
        for c in &self.convs {
            x = crate::kernels::conv2d_relu_pool(c, &self.pool, x);
        }
        let mut x: Tensor<2> = x.flatten(1, 3);
        if conv {
            return x;
        }
        for fc in &self.fcs[..self.fcs.len() - 1] {
            x = self.relu.forward(fc.forward(x));
        }
        x
    }

    /// `[B, C, H, W]` → `[B, dim]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let mut x = input;
        for conv in &self.convs {
            x = crate::kernels::conv2d_relu_pool(conv, &self.pool, x);
        }
        let mut x: Tensor<2> = x.flatten(1, 3);
        let last = self.fcs.len() - 1;
        for (i, fc) in self.fcs.iter().enumerate() {
            x = fc.forward(x);
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
