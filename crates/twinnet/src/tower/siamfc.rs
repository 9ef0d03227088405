//! SiamFC's fully-convolutional tower (Bertinetto et al., 2016) and its cross-correlation head.
//!
//! One tower embeds both the exemplar crop z (127×127) and the search crop x (255×255) into
//! feature maps; the cross-correlation of x's map with z's map as the kernel is a score map
//! (17×17 with the default shapes) whose peak is where the target moved. There is no padding
//! anywhere, so a feature-map cell always sees the same image region wherever it sits: the
//! property that makes the correlation a translation-equivariant search.

use anyhow::{bail, Result};
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Relu};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Shape of a SiamFC tower: AlexNet-like conv layers without padding, 3×3 stride-2 max pools
/// after the layers `pools` marks, batch norm + ReLU after every layer but the last.
///
/// The default (conv 11×11 stride 4, 5×5 stride 2, then 3×3, 3×3, 3×3; strided convolutions
/// instead of pools) keeps SiamFC's total stride of 8 and its 17×17 score map for 127/255 crops
/// with a 7×7 exemplar map, at a cost two CPU cores can track with in real time; SiamFC's own
/// layout is strides `2,1,1,1,1` with pools after the first two layers and widths
/// `96,256,384,384,256`.
///
/// ```
/// use twinnet::tower::SiamFcConfig;
/// let c = SiamFcConfig::default();
/// assert_eq!(c.total_stride().unwrap(), 8);
/// assert_eq!(c.feature_side(127).unwrap(), 7);
/// assert_eq!(c.feature_side(255).unwrap(), 23);
/// assert_eq!(c.score_size().unwrap(), 17);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SiamFcConfig {
    /// Input channels: 3, the RGB crops the tracker and its training cut.
    pub channels: usize,
    /// Output channels of each conv layer.
    pub widths: Vec<usize>,
    /// Square kernel of each layer.
    pub kernels: Vec<usize>,
    /// Stride of each layer.
    pub strides: Vec<usize>,
    /// Whether a 3×3 stride-2 max pool follows each layer.
    pub pools: Vec<bool>,
    /// Batch norm after every layer but the last.
    pub batch_norm: bool,
    /// Side of the exemplar crop z.
    pub exemplar_size: usize,
    /// Side of the search crop x.
    pub search_size: usize,
}

impl Default for SiamFcConfig {
    fn default() -> Self {
        Self {
            channels: 3,
            widths: vec![24, 48, 64, 64, 48],
            kernels: vec![11, 5, 3, 3, 3],
            strides: vec![4, 2, 1, 1, 1],
            pools: vec![false; 5],
            batch_norm: true,
            exemplar_size: 127,
            search_size: 255,
        }
    }
}

const POOL: usize = 3;
const POOL_STRIDE: usize = 2;

impl SiamFcConfig {
    fn check_layers(&self) -> Result<()> {
        let n = self.widths.len();
        if n == 0 || self.kernels.len() != n || self.strides.len() != n || self.pools.len() != n {
            bail!(
                "the siamfc tower needs one width, kernel, stride and pool per layer (got {}, {}, {}, {})",
                n,
                self.kernels.len(),
                self.strides.len(),
                self.pools.len()
            );
        }
        if self.channels != 3 {
            bail!(
                "siamfc crops are cut in RGB: `channels` must be 3, got {}",
                self.channels
            );
        }
        if self
            .widths
            .iter()
            .chain(&self.kernels)
            .chain(&self.strides)
            .any(|&v| v == 0 || v > 4096)
        {
            bail!("siamfc widths, kernels and strides must be 1 to 4096");
        }
        Ok(())
    }

    /// The pixels one feature-map cell steps over.
    pub fn total_stride(&self) -> Result<usize> {
        self.check_layers()?;
        Ok(self
            .strides
            .iter()
            .zip(&self.pools)
            .map(|(&s, &p)| if p { s * POOL_STRIDE } else { s })
            .product())
    }

    /// Side of the feature map of a `side`×`side` input; an error when it would vanish.
    pub fn feature_side(&self, side: usize) -> Result<usize> {
        self.check_layers()?;
        if side == 0 || side > crate::tower::MAX_INPUT_SIDE {
            bail!(
                "siamfc input side must be 1 to {}, got {side}",
                crate::tower::MAX_INPUT_SIDE
            );
        }
        let mut s = side;
        for i in 0..self.widths.len() {
            let k = self.kernels[i];
            if s < k {
                bail!(
                    "a {side}-pixel input is smaller than layer {}'s {k}×{k} kernel",
                    i + 1
                );
            }
            s = (s - k) / self.strides[i] + 1;
            if self.pools[i] {
                if s < POOL {
                    bail!("a {side}-pixel input vanishes at layer {}'s pool", i + 1);
                }
                s = (s - POOL) / POOL_STRIDE + 1;
            }
        }
        Ok(s)
    }

    /// Side of the score map: the search features correlated with the exemplar features.
    pub fn score_size(&self) -> Result<usize> {
        let (z, x) = (
            self.feature_side(self.exemplar_size)?,
            self.feature_side(self.search_size)?,
        );
        if x < z {
            bail!(
                "the search crop ({}) must be larger than the exemplar crop ({})",
                self.search_size,
                self.exemplar_size
            );
        }
        Ok(x - z + 1)
    }

    /// Parameters of the tower and head (batch norm's running statistics included).
    pub fn parameter_count(&self) -> Result<usize> {
        self.score_size()?;
        let mut total: usize = 2; // the head's scale and bias
        let mut c_in = self.channels;
        for (i, (&w, &k)) in self.widths.iter().zip(&self.kernels).enumerate() {
            let conv = c_in
                .checked_mul(w)
                .and_then(|v| v.checked_mul(k * k))
                .and_then(|v| v.checked_add(w));
            let norm = if self.batch_norm && i + 1 < self.widths.len() {
                4 * w
            } else {
                0
            };
            total = conv
                .and_then(|c| total.checked_add(c + norm))
                .filter(|&t| t <= crate::tower::MAX_TOWER_PARAMETERS)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "the siamfc tower has more than {} parameters",
                        crate::tower::MAX_TOWER_PARAMETERS
                    )
                })?;
            c_in = w;
        }
        Ok(total)
    }

    /// Checks the configuration and builds a freshly initialised network on `device`.
    pub fn init(&self, device: &Device) -> Result<SiamFcNet> {
        self.parameter_count()?;
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut c_in = self.channels;
        for (i, (&w, &k)) in self.widths.iter().zip(&self.kernels).enumerate() {
            let s = self.strides[i];
            convs.push(
                Conv2dConfig::new([c_in, w], [k, k])
                    .with_stride([s, s])
                    .init(device),
            );
            if self.batch_norm && i + 1 < self.widths.len() {
                norms.push(BatchNormConfig::new(w).init(device));
            }
            c_in = w;
        }
        let param =
            |v: f32| Param::from_tensor(Tensor::from_data(TensorData::new(vec![v], [1]), device));
        Ok(SiamFcNet {
            convs,
            norms,
            pool: MaxPool2dConfig::new([POOL, POOL])
                .with_strides([POOL_STRIDE, POOL_STRIDE])
                .init(),
            relu: Relu::new(),
            scale: param(ADJUST_SCALE),
            bias: param(0.0),
            pools: self.pools.clone(),
        })
    }
}

/// SiamFC's initial scale of the raw correlation (its `adjust` layer's 0.001).
pub const ADJUST_SCALE: f32 = 1e-3;

/// The tower and the learned scale and bias of its score maps.
#[derive(Module, Debug)]
pub struct SiamFcNet {
    convs: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    pool: MaxPool2d,
    relu: Relu,
    /// Multiplies the raw correlation.
    pub scale: Param<Tensor<1>>,
    /// Added to the scaled correlation.
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    pools: Vec<bool>,
}

impl SiamFcNet {
    /// Feature maps of a batch of crops `[B, C, S, S]`.
    pub fn features(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input;
        let last = self.convs.len() - 1;
        for (i, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x);
            if i < last {
                if let Some(bn) = self.norms.get(i) {
                    x = bn.forward(x);
                }
                x = self.relu.forward(x);
            }
            if self.pools[i] {
                x = self.pool.forward(x);
            }
        }
        x
    }

    /// Score maps `[B, 1, s, s]`: each search map of `x` correlated with the exemplar map of the
    /// same row of `z` (or with the single exemplar when `z` has one row), scaled and shifted.
    pub fn score(&self, z: Tensor<4>, x: Tensor<4>) -> Tensor<4> {
        let raw = xcorr(z, x);
        let [b, c, h, w] = raw.dims();
        let scale = self.scale.val().reshape([1, 1, 1, 1]).expand([b, c, h, w]);
        let bias = self.bias.val().reshape([1, 1, 1, 1]).expand([b, c, h, w]);
        raw * scale + bias
    }

    /// Score maps of exemplar crops `z` and search crops `x` through the one tower.
    pub fn forward(&self, z: Tensor<4>, x: Tensor<4>) -> Tensor<4> {
        self.score(self.features(z), self.features(x))
    }
}

/// Cross-correlation of each search feature map with its exemplar feature map as the kernel:
/// `z` `[B, C, h, w]` (or `[1, C, h, w]`, shared by every row), `x` `[B, C, H, W]` →
/// `[B, 1, H−h+1, W−w+1]`. One grouped convolution over the whole batch.
///
/// ```
/// use burn::tensor::{Tensor, TensorData};
/// use twinnet::tower::xcorr;
/// let device = twinnet::backend::inference_device();
/// // A 1×3×3 map correlated with a 1×2×2 kernel of ones: sums of each 2×2 window.
/// let x = Tensor::<4>::from_data(TensorData::new((1..=9).map(|v| v as f32).collect(), [1, 1, 3, 3]), &device);
/// let z = Tensor::<4>::ones([1, 1, 2, 2], &device);
/// let s: Vec<f32> = xcorr(z, x).into_data().try_to_vec().unwrap();
/// assert_eq!(s, vec![12.0, 16.0, 24.0, 28.0]);
/// ```
pub fn xcorr(z: Tensor<4>, x: Tensor<4>) -> Tensor<4> {
    let [bz, c, _, _] = z.dims();
    let [b, cx, hx, wx] = x.dims();
    assert_eq!(c, cx, "exemplar and search features differ in channels");
    if bz == 1 {
        // One exemplar for every search map: a plain convolution.
        return conv2d(x, z, None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
    }
    assert_eq!(bz, b, "one exemplar per search crop, or one for all");
    let out = conv2d(
        x.reshape([1, b * c, hx, wx]),
        z,
        None,
        ConvOptions::new([1, 1], [0, 0], [1, 1], b),
    );
    let [_, _, oh, ow] = out.dims();
    out.reshape([b, 1, oh, ow])
}
