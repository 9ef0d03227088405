//! Turning items (pixels in `[0, 1]`) into normalised input tensors.

use crate::data::{Handwriting, ImageShape};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// How raw pixels become tower input: `(x − mean) / std` at the model's shape.
///
/// Stored in the manifest, so `embed` and `verify` prepare files exactly as training did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Shape every input is converted and resized to.
    pub shape: ImageShape,
    /// Mean pixel value of the training data.
    pub mean: f32,
    /// Standard deviation of the training pixels.
    pub std: f32,
    /// Handwriting preprocessing every image goes through before normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handwriting: Option<Handwriting>,
}

impl InputSpec {
    /// An input spec whose normalisation comes from the training items (two streaming passes,
    /// no copy of the pixels).
    pub fn fitted<'a>(shape: ImageShape, items: impl Iterator<Item = &'a [f32]> + Clone) -> Self {
        // One flat sum in item order, exactly as over the concatenated pixels.
        let n = items.clone().map(<[f32]>::len).sum::<usize>().max(1) as f64;
        let sum = items
            .clone()
            .flat_map(|item| item.iter())
            .map(|&p| p as f64)
            .sum::<f64>();
        let mean = sum / n;
        let var = items
            .flat_map(|item| item.iter())
            .map(|&p| (p as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        Self {
            shape,
            mean: mean as f32,
            std: (var.sqrt() as f32).max(1e-6),
            handwriting: None,
        }
    }

    /// Stacks items into a normalised `[B, C, H, W]` tensor on `device`.
    pub fn batch(&self, items: &[&[f32]], device: &Device) -> Tensor<4> {
        self.tensor(self.normalized(items.iter().copied()), device)
    }

    /// The normalised pixels of `items`, one after another (what [`InputSpec::tensor`] takes).
    pub fn normalized<'a>(&self, items: impl ExactSizeIterator<Item = &'a [f32]>) -> Vec<f32> {
        let s = self.shape;
        let mut buf = Vec::with_capacity(items.len() * s.numel());
        let inv = 1.0 / self.std;
        for item in items {
            debug_assert_eq!(item.len(), s.numel());
            buf.extend(item.iter().map(|&p| (p - self.mean) * inv));
        }
        buf
    }

    /// A `[B, C, H, W]` tensor of normalised pixels on `device` (no copy).
    pub fn tensor(&self, normalized: Vec<f32>, device: &Device) -> Tensor<4> {
        let s = self.shape;
        let n = normalized.len() / s.numel().max(1);
        Tensor::from_data(
            TensorData::new(normalized, [n, s.channels, s.height, s.width]),
            device,
        )
    }
}

/// Reads a `[B, D]` tensor back into one row-major vector.
pub fn to_rows(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("embeddings are f32 tensors")
}
