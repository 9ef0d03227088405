//! The seed's contrastive loss (Hadsell, Chopra & LeCun 2006).

use burn::tensor::Tensor;

/// Contrastive loss `L = (1−Y)·½·D² + Y·½·max(0, m−D)²`, averaged over the batch.
///
/// `Y = 0` marks a similar pair and `Y = 1` a dissimilar one, as in the seed paper. Files and the
/// CLI use the common `1 = same` convention instead; [`contrastive_target`] is the one place the
/// two meet.
#[derive(Debug, Clone, Copy)]
pub struct ContrastiveLoss {
    /// Dissimilar pairs farther apart than this contribute nothing.
    pub margin: f32,
}

impl ContrastiveLoss {
    /// Mean loss over a batch of distances `[B]` and seed-convention targets `[B]` (0 similar, 1 dissimilar).
    pub fn forward(&self, distance: Tensor<1>, target: Tensor<1>) -> Tensor<1> {
        contrastive_loss(distance, target, self.margin).mean()
    }
}

/// Per-pair contrastive loss, before reduction.
///
/// ```
/// use burn::tensor::Tensor;
/// use twinnet::{backend::inference_device, loss::contrastive_loss};
/// let dev = inference_device();
/// // A similar pair at D = 0.5, dissimilar pairs at 0.25 (inside margin 1) and 2 (outside).
/// let d = Tensor::<1>::from_floats([0.5, 0.25, 2.0], &dev);
/// let y = Tensor::<1>::from_floats([0.0, 1.0, 1.0], &dev);
/// let l: Vec<f32> = contrastive_loss(d, y, 1.0).into_data().to_vec().unwrap();
/// // ½·0.5² = 0.125, ½·(1 − 0.25)² = 0.28125, and nothing beyond the margin.
/// assert_eq!(l, [0.125, 0.28125, 0.0]);
/// ```
pub fn contrastive_loss(distance: Tensor<1>, target: Tensor<1>, margin: f32) -> Tensor<1> {
    let similar = target.clone().neg().add_scalar(1.0) * distance.clone().powi_scalar(2);
    let hinge = distance
        .neg()
        .add_scalar(margin)
        .clamp_min(0.0)
        .powi_scalar(2);
    (similar + target * hinge).mul_scalar(0.5)
}

/// Converts the file/CLI label (`true` = same class) to the seed's target `Y` (0 similar, 1 dissimilar).
///
/// This and [`contrastive_targets`] (its tensor form) are the only conversion between the two
/// conventions in twinnet.
///
/// ```
/// assert_eq!(twinnet::loss::contrastive_target(true), 0.0); // similar: Y = 0
/// assert_eq!(twinnet::loss::contrastive_target(false), 1.0); // dissimilar: Y = 1
/// ```
pub fn contrastive_target(same: bool) -> f32 {
    if same {
        0.0
    } else {
        1.0
    }
}

/// [`contrastive_target`] for a tensor of `same` flags (1.0 same, 0.0 different), as miners give them.
pub fn contrastive_targets(same: Tensor<1>) -> Tensor<1> {
    same.neg().add_scalar(1.0)
}
