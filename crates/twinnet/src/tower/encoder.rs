//! One abstraction over every tower: a batch of inputs in, one output per input out.
//!
//! The image towers (CNN, MLP) take a pixel batch `[B, C, H, W]`, the text tower (BERT or a bag
//! of wordpieces, pooled) takes token ids with their mask; all of them give embeddings
//! `[B, dim]`. The output is an associated type so that a fully-convolutional tower (SiamFC's)
//! can give feature maps `[B, C, H, W]` instead, to be cross-correlated rather than compared by
//! a distance. Whatever the tower, both sides of a pair go through the same `encode`, so there
//! is one set of weights.

use super::Tower;
use burn::tensor::Tensor;

/// A shared-weight encoder.
pub trait Encoder {
    /// One batch of inputs.
    type Batch;
    /// What the encoder gives for the batch (embeddings `[B, dim]` for every tower so far).
    type Output;
    /// Encodes a batch in one forward pass.
    fn encode(&self, batch: Self::Batch) -> Self::Output;
}

impl Encoder for Tower {
    type Batch = Tensor<4>;
    type Output = Tensor<2>;
    fn encode(&self, batch: Tensor<4>) -> Tensor<2> {
        self.forward(batch)
    }
}

/// Token ids `[B, L]` and their attention mask `[B, L]` (1 for a token, 0 for padding).
#[cfg(feature = "text")]
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Token ids.
    pub ids: Tensor<2, burn::tensor::Int>,
    /// Attention mask.
    pub mask: Tensor<2>,
}

#[cfg(feature = "text")]
impl Encoder for super::text::TextTower {
    type Batch = TokenBatch;
    type Output = Tensor<2>;
    fn encode(&self, batch: TokenBatch) -> Tensor<2> {
        self.forward(batch.ids, batch.mask)
    }
}

/// Encodes the rows of several batches (the sides of pairs, or of triplets) with one pass
/// through `encoder`, and splits the output back: the same weights for every side, by
/// construction.
///
/// ```
/// use burn::tensor::Tensor;
/// use twinnet::backend::inference_device;
/// use twinnet::tower::{encode_sides, MlpConfig, TowerConfig};
/// let dev = inference_device();
/// let tower = TowerConfig::Mlp(MlpConfig { input_dim: 4, hidden: vec![8], embedding_dim: 3, normalize: false })
///     .init(&dev)
///     .unwrap();
/// let x = Tensor::<4>::ones([2, 1, 1, 4], &dev);
/// let sides = encode_sides(&tower, vec![x.clone(), x]);
/// assert_eq!(sides.len(), 2);
/// assert_eq!(sides[0].dims(), [2, 3]);
/// // One encoder, identical inputs: identical embeddings on both sides.
/// let (a, b): (Vec<f32>, Vec<f32>) = (sides[0].clone().into_data().to_vec().unwrap(), sides[1].clone().into_data().to_vec().unwrap());
/// assert_eq!(a, b);
/// ```
pub fn encode_sides<E: Encoder<Batch = Tensor<4>, Output = Tensor<2>>>(
    encoder: &E,
    sides: Vec<Tensor<4>>,
) -> Vec<Tensor<2>> {
    let sizes: Vec<usize> = sides.iter().map(|s| s.dims()[0]).collect();
    let all = encoder.encode(Tensor::cat(sides, 0));
    let dim = all.dims()[1];
    let mut start = 0;
    sizes
        .into_iter()
        .map(|n| {
            let part = all.clone().slice([start..start + n, 0..dim]);
            start += n;
            part
        })
        .collect()
}
