//! The triplet loss (Schroff, Kalenichenko & Philbin 2015, FaceNet).

use burn::tensor::Tensor;

/// Triplet loss `max(0, D(a,p) − D(a,n) + margin)`, averaged over the batch.
#[derive(Debug, Clone, Copy)]
pub struct TripletLoss {
    /// How much farther the negative must be than the positive before a triplet stops teaching.
    pub margin: f32,
}

impl TripletLoss {
    /// Mean loss over anchor–positive and anchor–negative distances, both `[B]`.
    pub fn forward(&self, d_ap: Tensor<1>, d_an: Tensor<1>) -> Tensor<1> {
        triplet_loss(d_ap, d_an, self.margin).mean()
    }
}

/// Per-triplet loss, before reduction.
///
/// ```
/// use burn::tensor::Tensor;
/// use twinnet::{backend::inference_device, loss::triplet_loss};
/// let dev = inference_device();
/// let d_ap = Tensor::<1>::from_floats([1.0, 0.5, 0.25], &dev);
/// let d_an = Tensor::<1>::from_floats([0.5, 1.0, 2.0], &dev);
/// let l: Vec<f32> = triplet_loss(d_ap, d_an, 1.0).into_data().to_vec().unwrap();
/// // 1 − 0.5 + 1, 0.5 − 1 + 1, and a negative far enough away to teach nothing.
/// assert_eq!(l, [1.5, 0.5, 0.0]);
/// ```
pub fn triplet_loss(d_ap: Tensor<1>, d_an: Tensor<1>, margin: f32) -> Tensor<1> {
    (d_ap - d_an).add_scalar(margin).clamp_min(0.0)
}
