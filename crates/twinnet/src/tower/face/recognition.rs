//! face-api's face recognition network (a port of dlib's ResNet-29 face descriptor): a
//! 150×150 RGB crop in, a 128-d descriptor out; two faces are the same person when their
//! descriptors are close (face-api suggests a Euclidean distance below 0.6).
//!
//! The layers follow face-api's `FaceRecognitionNet.forwardInput` one for one: RGB mean
//! subtracted, /255; a 7×7 stride-2 convolution and a 3×3 stride-2 max-pool; residual blocks
//! (conv → scale → ReLU, conv → scale, + input, ReLU) at 32, 64, 128 and 256 channels, each
//! stage opened by a stride-2 block whose shortcut is a 2×2 average pool, zero-padded in
//! channels (and, where the pooled map is one larger, the block's output zero-padded at the
//! bottom and right); a mean over the map and a 256 → 128 matrix. Every convolution has a bias
//! followed by a per-channel scale and shift (batch norm folded). TensorFlow.js weights are
//! `[h, w, in, out]` (NHWC); burn's convolutions are NCHW, so filters are transposed on load.

use super::tfjs::TfjsWeights;
use anyhow::Result;
use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

/// The side of the crop the network takes.
pub const FACE_CROP: usize = 150;
/// The descriptor's length.
pub const DESCRIPTOR_DIM: usize = 128;
/// The RGB means face-api subtracts (0–255 scale).
const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

/// One convolution with its bias and folded batch-norm scale.
#[derive(Debug, Clone)]
struct ConvScale {
    filters: Tensor<4>,
    bias: Tensor<1>,
    scale: Tensor<4>,
    shift: Tensor<4>,
}

impl ConvScale {
    fn load(
        w: &mut TfjsWeights,
        name: &str,
        k: usize,
        cin: usize,
        cout: usize,
        device: &Device,
    ) -> Result<Self> {
        let f = w.take(&format!("{name}/conv/filters"), &[k, k, cin, cout])?;
        let filters = Tensor::<4>::from_data(TensorData::new(f.values, [k, k, cin, cout]), device)
            .permute([3, 2, 0, 1]);
        let vector = |w: &mut TfjsWeights, key: &str| -> Result<Tensor<1>> {
            let t = w.take(&format!("{name}/{key}"), &[cout])?;
            Ok(Tensor::from_data(TensorData::new(t.values, [cout]), device))
        };
        let bias = vector(w, "conv/bias")?;
        let scale = vector(w, "scale/weights")?.reshape([1, cout, 1, 1]);
        let shift = vector(w, "scale/biases")?.reshape([1, cout, 1, 1]);
        Ok(Self {
            filters,
            bias,
            scale,
            shift,
        })
    }

    /// `stride` 1 pads as TensorFlow's `same` (k = 3: one pixel); `stride` 2 is `valid`.
    fn forward(&self, x: Tensor<4>, stride: usize, relu: bool) -> Tensor<4> {
        let k = self.filters.dims()[2];
        let pad = if stride == 1 { k / 2 } else { 0 };
        let options = ConvOptions::new([stride, stride], [pad, pad], [1, 1], 1);
        let out = conv2d(x, self.filters.clone(), Some(self.bias.clone()), options);
        let out = out * self.scale.clone() + self.shift.clone();
        if relu {
            burn::tensor::activation::relu(out)
        } else {
            out
        }
    }
}

/// A residual block: two 3×3 convolutions and the shortcut.
#[derive(Debug, Clone)]
struct Residual {
    conv1: ConvScale,
    conv2: ConvScale,
    down: bool,
}

impl Residual {
    fn load(
        w: &mut TfjsWeights,
        name: &str,
        cin: usize,
        cout: usize,
        device: &Device,
    ) -> Result<Self> {
        Ok(Self {
            conv1: ConvScale::load(w, &format!("{name}/conv1"), 3, cin, cout, device)?,
            conv2: ConvScale::load(w, &format!("{name}/conv2"), 3, cout, cout, device)?,
            // conv64_down, …, conv256_down_out: the stride-2 blocks that open a stage.
            down: name.contains("_down"),
        })
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        if !self.down {
            let out = self.conv1.forward(x.clone(), 1, true);
            let out = self.conv2.forward(out, 1, false);
            return burn::tensor::activation::relu(out + x);
        }
        let out = self.conv1.forward(x.clone(), 2, true);
        let mut out = self.conv2.forward(out, 1, false);
        let pooled = avg_pool2d(x, AvgPoolOptions::new([2, 2]).with_stride([2, 2]));
        let [b, c_in, ph, pw] = pooled.dims();
        let [_, c_out, oh, ow] = out.dims();
        if (ph, pw) != (oh, ow) {
            // face-api appends one zero row and one zero column to the block's output.
            let device = out.device();
            out = Tensor::cat(vec![out, Tensor::zeros([b, c_out, 1, ow], &device)], 2);
            out = Tensor::cat(vec![out, Tensor::zeros([b, c_out, oh + 1, 1], &device)], 3);
        }
        let shortcut = if c_in == c_out {
            pooled
        } else {
            let device = pooled.device();
            Tensor::cat(
                vec![pooled, Tensor::zeros([b, c_out - c_in, ph, pw], &device)],
                1,
            )
        };
        burn::tensor::activation::relu(out + shortcut)
    }
}

/// The network with face-api's weights.
#[derive(Debug, Clone)]
pub struct FaceRecognitionNet {
    stem: ConvScale,
    blocks: Vec<Residual>,
    fc: Tensor<2>,
}

impl FaceRecognitionNet {
    /// Builds it from face-api's `face_recognition_model` weights; every tensor must be there
    /// with its shape, and none may be left over (another network's manifest fails).
    pub fn from_tfjs(mut w: TfjsWeights, device: &Device) -> Result<Self> {
        let stem = ConvScale::load(&mut w, "conv32_down", 7, 3, 32, device)?;
        let plan: [(&str, usize, usize); 14] = [
            ("conv32_1", 32, 32),
            ("conv32_2", 32, 32),
            ("conv32_3", 32, 32),
            ("conv64_down", 32, 64),
            ("conv64_1", 64, 64),
            ("conv64_2", 64, 64),
            ("conv64_3", 64, 64),
            ("conv128_down", 64, 128),
            ("conv128_1", 128, 128),
            ("conv128_2", 128, 128),
            ("conv256_down", 128, 256),
            ("conv256_1", 256, 256),
            ("conv256_2", 256, 256),
            ("conv256_down_out", 256, 256),
        ];
        let blocks = plan
            .into_iter()
            .map(|(name, cin, cout)| Residual::load(&mut w, name, cin, cout, device))
            .collect::<Result<Vec<_>>>()?;
        let fc = w.take("fc", &[256, DESCRIPTOR_DIM])?;
        let fc = Tensor::from_data(TensorData::new(fc.values, [256, DESCRIPTOR_DIM]), device);
        if !w.is_empty() {
            anyhow::bail!(
                "{}: tensors the face recognition network does not use: {}",
                w.source,
                w.names().join(", ")
            );
        }
        Ok(Self { stem, blocks, fc })
    }

    /// Descriptors of `[B, 3, 150, 150]` RGB crops with values in 0–255.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let device = x.device();
        let mean = Tensor::<1>::from_floats(MEAN_RGB, &device).reshape([1, 3, 1, 1]);
        let x = (x - mean) / 255.0;
        let x = self.stem.forward(x, 2, true);
        let mut x = max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let [b, c, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([b, c]);
        pooled.matmul(self.fc.clone())
    }
}
