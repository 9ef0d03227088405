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
