//! The convolutional tower (conv → [norm] → ReLU → [max-pool] blocks, then fully connected
//! layers).

use anyhow::{bail, Result};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, InstanceNorm, InstanceNormConfig, Linear,
    LinearConfig, Relu,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Normalisation after each convolution, before its ReLU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConvNorm {
    /// None (the reference tower).
    #[default]
    None,
    /// Batch normalisation (running statistics at inference).
    Batch,
    /// Instance normalisation (each image's own statistics, also at inference).
    Instance,
}

/// What the embedding layer's output goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbeddingActivation {
    /// Nothing: a linear embedding.
    #[default]
    None,
    /// A sigmoid, as in Koch et al.'s 4096-d embedding (compared by their weighted-L1 head).
    Sigmoid,
}

/// Shape of a CNN tower. The default is the reference tower for 28×28 digits:
/// conv 1→32 k5, pool 2, conv 32→64 k5, pool 2, fc 1024→256, fc 256→64.
///
/// Per-block kernel sizes, strides and pools, a normalisation, dropout before the fully
/// connected layers, a global average pool and a sigmoid embedding are enough for SigNet-style
/// and Koch-style towers; every one of them is off by default, and a manifest without them
/// reads as the reference tower. Blocks with stride 1, a 2×2 pool and no normalisation run
/// through twinnet's fused convolution kernel; the others through burn's ops.
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
    /// Square kernel size of every convolution (unless `kernel_sizes` says otherwise).
    pub kernel_size: usize,
    /// Widths of the hidden fully connected layers.
    pub hidden: Vec<usize>,
    /// Length of the embedding.
    pub embedding_dim: usize,
    /// Scale embeddings to unit length.
    pub normalize: bool,
    /// Kernel size of each block (empty: `kernel_size` for all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernel_sizes: Vec<usize>,
    /// Stride of each block's convolution (empty: 1 for all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strides: Vec<usize>,
    /// Each block's max-pool: 2 (2×2, stride 2) or 0 (none) (empty: 2 for all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<usize>,
    /// Normalisation after each convolution.
    #[serde(default, skip_serializing_if = "is_default")]
    pub norm: ConvNorm,
    /// Dropout probability before each fully connected layer (training only).
    #[serde(default, skip_serializing_if = "is_default")]
    pub dropout: f64,
    /// Average each channel of the last block over the image instead of flattening it.
    #[serde(default, skip_serializing_if = "is_default")]
    pub global_pool: bool,
    /// What the embedding goes through.
    #[serde(default, skip_serializing_if = "is_default")]
    pub embedding_activation: EmbeddingActivation,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
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
            kernel_sizes: Vec::new(),
            strides: Vec::new(),
            pools: Vec::new(),
            norm: ConvNorm::None,
            dropout: 0.0,
            global_pool: false,
            embedding_activation: EmbeddingActivation::None,
        }
    }
}

/// One block's geometry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block {
    pub(super) kernel: usize,
    pub(super) stride: usize,
    pub(super) pool: bool,
}

impl CnnConfig {
    /// Each block's kernel, stride and pool, or an error naming the list at fault.
    pub(super) fn blocks(&self) -> Result<Vec<Block>> {
        let n = self.conv_channels.len();
        let per_block = |name: &str, v: &[usize], default: usize| -> Result<Vec<usize>> {
            match v.len() {
                0 => Ok(vec![default; n]),
                m if m == n => Ok(v.to_vec()),
                m => bail!("`{name}` lists {m} values for {n} conv blocks"),
            }
        };
        let kernels = per_block("kernel-sizes", &self.kernel_sizes, self.kernel_size)?;
        let strides = per_block("strides", &self.strides, 1)?;
        let pools = per_block("pools", &self.pools, 2)?;
        if kernels.contains(&0) || strides.contains(&0) {
            bail!("kernel sizes and strides must be positive");
        }
        if let Some(p) = pools.iter().find(|&&p| p != 0 && p != 2) {
            bail!("`pools`: each block's pool is 2 (a 2×2 max-pool) or 0 (none), not {p}");
        }
        Ok((0..n)
            .map(|i| Block {
                kernel: kernels[i],
                stride: strides[i],
                pool: pools[i] == 2,
            })
            .collect())
    }

    /// Spatial size `[h, w]` after all conv + pool blocks, or an error naming the block that
    /// would shrink the image to nothing.
    pub fn feature_map(&self) -> Result<[usize; 2]> {
        let (mut h, mut w) = (self.height, self.width);
        for (i, b) in self.blocks()?.iter().enumerate() {
            if h < b.kernel || w < b.kernel {
                bail!(
                    "input {}x{} is too small for conv block {} (kernel {}); use a larger `image-size` or fewer conv layers",
                    self.width, self.height, i + 1, b.kernel
                );
            }
            // A valid convolution, then a 2×2 max-pool that drops an odd last row/column.
            h = (h - b.kernel) / b.stride + 1;
            w = (w - b.kernel) / b.stride + 1;
            if b.pool {
                h /= 2;
                w /= 2;
            }
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
        if !(0.0..1.0).contains(&self.dropout) {
            bail!("`dropout` must be in [0, 1), got {}", self.dropout);
        }
        self.parameter_count()?;
        let blocks = self.blocks()?;
        let [h, w] = self.feature_map()?;
        let mut convs = Vec::new();
        let (mut batch_norms, mut instance_norms) = (Vec::new(), Vec::new());
        let mut c_in = self.channels;
        for (&c_out, b) in self.conv_channels.iter().zip(&blocks) {
            convs.push(
                Conv2dConfig::new([c_in, c_out], [b.kernel, b.kernel])
                    .with_stride([b.stride, b.stride])
                    .init(device),
            );
            match self.norm {
                ConvNorm::None => {}
                ConvNorm::Batch => batch_norms.push(BatchNormConfig::new(c_out).init(device)),
                ConvNorm::Instance => {
                    instance_norms.push(InstanceNormConfig::new(c_out).init(device))
                }
            }
            c_in = c_out;
        }
        let mut fcs = Vec::new();
        let mut d_in = if self.global_pool { c_in } else { c_in * h * w };
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
            batch_norms,
            instance_norms,
            fcs,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            relu: Relu::new(),
            pooled: blocks.iter().map(|b| b.pool).collect(),
            global_pool: self.global_pool,
            sigmoid: self.embedding_activation == EmbeddingActivation::Sigmoid,
            normalize: self.normalize,
        })
    }
}

/// A CNN tower; see [`CnnConfig`].
#[derive(Module, Debug)]
pub struct CnnTower {
    convs: Vec<Conv2d>,
    batch_norms: Vec<BatchNorm>,
    instance_norms: Vec<InstanceNorm>,
    fcs: Vec<Linear>,
    pool: MaxPool2d,
    dropout: Dropout,
    relu: Relu,
    #[module(skip)]
    pooled: Vec<bool>,
    #[module(skip)]
    global_pool: bool,
    #[module(skip)]
    sigmoid: bool,
    #[module(skip)]
    normalize: bool,
}

impl CnnTower {
    /// Hidden fully connected layers (all but the embedding layer).
    pub fn hidden_layers(&self) -> usize {
        self.fcs.len() - 1
    }

    /// The conv blocks: the fused kernel where a block is conv → ReLU (→ 2×2 pool), burn's
    /// ops where a normalisation sits between the convolution and the ReLU.
    fn conv_blocks(&self, input: Tensor<4>) -> Tensor<2> {
        let mut x = input;
        for (i, conv) in self.convs.iter().enumerate() {
            let normed = if let Some(bn) = self.batch_norms.get(i) {
                Some(bn.forward(conv.forward(x.clone())))
            } else {
                self.instance_norms
                    .get(i)
                    .map(|n| n.forward(conv.forward(x.clone())))
            };
            x = match (normed, self.pooled[i]) {
                (Some(y), true) => self.pool.forward(self.relu.forward(y)),
                (Some(y), false) => self.relu.forward(y),
                (None, true) => crate::kernels::conv2d_relu_pool(conv, &self.pool, x),
                (None, false) => crate::kernels::conv2d_relu(conv, x),
            };
        }
        if self.global_pool {
            let [b, c, _, _] = x.dims();
            x.mean_dim(3).mean_dim(2).reshape([b, c])
        } else {
            x.flatten(1, 3)
        }
    }

    /// The flattened (or globally pooled) last conv block (`conv`), or the last hidden layer
    /// after its ReLU.
    pub fn features(&self, input: Tensor<4>, conv: bool) -> Tensor<2> {
        let mut x = self.conv_blocks(input);
        if conv {
            return x;
        }
        for fc in &self.fcs[..self.fcs.len() - 1] {
            x = self.relu.forward(fc.forward(self.dropout.forward(x)));
        }
        x
    }

    /// `[B, C, H, W]` → `[B, dim]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let mut x = self.conv_blocks(input);
        let last = self.fcs.len() - 1;
        for (i, fc) in self.fcs.iter().enumerate() {
            x = fc.forward(self.dropout.forward(x));
            if i < last {
                x = self.relu.forward(x);
            }
        }
        if self.sigmoid {
            x = burn::tensor::activation::sigmoid(x);
        }
        if self.normalize {
            super::l2_normalize(x)
        } else {
            x
        }
    }
}

impl std::str::FromStr for ConvNorm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "batch" => Ok(Self::Batch),
            "instance" => Ok(Self::Instance),
            other => Err(format!(
                "unknown norm '{other}' (choose one of: none, batch, instance)"
            )),
        }
    }
}

impl std::str::FromStr for EmbeddingActivation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "sigmoid" => Ok(Self::Sigmoid),
            other => Err(format!(
                "unknown embedding activation '{other}' (choose one of: none, sigmoid)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::inference_device;
    use burn::tensor::{Distribution, Tolerance};

    /// Koch et al. (2015)'s network: 105×105 input, convolutions 10×10 (64), 7×7 (128),
    /// 4×4 (128), 4×4 (256), max-pools after the first three, a 4096-d sigmoid embedding.
    fn koch() -> CnnConfig {
        CnnConfig {
            height: 105,
            width: 105,
            conv_channels: vec![64, 128, 128, 256],
            kernel_sizes: vec![10, 7, 4, 4],
            pools: vec![2, 2, 2, 0],
            hidden: vec![],
            embedding_dim: 4096,
            embedding_activation: EmbeddingActivation::Sigmoid,
            ..CnnConfig::default()
        }
    }

    #[test]
    fn koch_network_has_the_published_parameter_count() {
        let cfg = koch();
        assert_eq!(cfg.feature_map().unwrap(), [6, 6]);
        let device = inference_device();
        let tower = cfg.init(&device).unwrap();
        let head = crate::loss::KochHead::new(4096, &device);
        // Koch et al.'s siamese network, weighted-L1 head included: 38,951,745 parameters.
        assert_eq!(tower.num_params() + head.num_params(), 38_951_745);
        let out = tower.forward(Tensor::random(
            [1, 1, 105, 105],
            Distribution::Default,
            &device,
        ));
        let v = out.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(v.len(), 4096);
        assert!(
            v.iter().all(|&x| (0.0..=1.0).contains(&x)),
            "sigmoid embedding"
        );
    }

    #[test]
    fn fused_blocks_match_burns_ops() {
        let cfg = CnnConfig {
            height: 12,
            width: 10,
            conv_channels: vec![3, 4],
            kernel_sizes: vec![3, 2],
            pools: vec![2, 0],
            ..CnnConfig::default()
        };
        let device = inference_device();
        let tower = cfg.init(&device).unwrap();
        let x: Tensor<4> = Tensor::random([2, 1, 12, 10], Distribution::Default, &device);
        // The definition, with burn's ops only.
        let relu = |t| burn::tensor::activation::relu(t);
        let y = tower.pool.forward(relu(tower.convs[0].forward(x.clone())));
        let y = relu(tower.convs[1].forward(y)).flatten::<2>(1, 3);
        let fast = tower.conv_blocks(x);
        assert_eq!(fast.dims(), [2, 4 * 4 * 3]);
        fast.into_data()
            .assert_approx_eq::<f32>(&y.into_data(), Tolerance::absolute(1e-5));
    }

    #[test]
    fn strides_norms_and_global_pooling_shape_the_output() {
        let device = inference_device();
        for norm in [ConvNorm::Batch, ConvNorm::Instance] {
            let cfg = CnnConfig {
                height: 20,
                width: 30,
                conv_channels: vec![4, 8],
                kernel_sizes: vec![5, 3],
                strides: vec![2, 1],
                pools: vec![0, 2],
                norm,
                dropout: 0.2,
                global_pool: true,
                hidden: vec![16],
                embedding_dim: 6,
                ..CnnConfig::default()
            };
            // 20×30 → conv 5/2: 8×13 → conv 3: 6×11 → pool: 3×5.
            assert_eq!(cfg.feature_map().unwrap(), [3, 5]);
            let tower = cfg.init(&device).unwrap();
            let x = Tensor::random([3, 1, 20, 30], Distribution::Default, &device);
            assert_eq!(tower.conv_blocks(x.clone()).dims(), [3, 8]);
            let a = tower.forward(x.clone()).into_data();
            // No autodiff: dropout is off and batch norm uses its running statistics.
            a.assert_approx_eq::<f32>(&tower.forward(x).into_data(), Tolerance::absolute(0.0));
        }
    }

    #[test]
    fn bad_block_lists_are_named() {
        let cfg = CnnConfig {
            kernel_sizes: vec![5],
            ..CnnConfig::default()
        };
        let err = cfg.feature_map().unwrap_err().to_string();
        assert_eq!(err, "`kernel-sizes` lists 1 values for 2 conv blocks");
        let cfg = CnnConfig {
            pools: vec![2, 3],
            ..CnnConfig::default()
        };
        assert!(cfg.feature_map().unwrap_err().to_string().contains("not 3"));
        let old: CnnConfig = serde_json::from_str(
            r#"{"channels":1,"height":28,"width":28,"conv_channels":[32,64],"kernel_size":5,"hidden":[256],"embedding_dim":64,"normalize":false}"#,
        )
        .unwrap();
        assert_eq!(
            old,
            CnnConfig::default(),
            "a manifest without the new keys reads as before"
        );
        assert!(!serde_json::to_string(&old).unwrap().contains("pools"));
    }
}
