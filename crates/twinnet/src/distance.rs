//! Distances between embeddings, the thing every loss, threshold and metric is expressed in.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Small constant inside square roots and norms: keeps the gradient of `sqrt` finite when two
/// embeddings coincide (a positive pair that has collapsed to one point).
pub const EPS: f32 = 1e-9;

/// How two embeddings are compared. Smaller always means more alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    /// `‖a − b‖₂`, the distance of the seed's contrastive loss.
    #[default]
    Euclidean,
    /// `‖a − b‖₂²`, cheaper and smooth at zero.
    SquaredEuclidean,
    /// `1 − cos(a, b)`, in [0, 2]; insensitive to embedding length.
    Cosine,
}

impl Distance {
    /// All choices, for help texts and error messages.
    pub const NAMES: [&'static str; 3] = ["euclidean", "squared-euclidean", "cosine"];

    /// Row-wise distance between two `[batch, dim]` embedding tensors → `[batch]`.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use twinnet::{backend::inference_device, Distance};
    /// let dev = inference_device();
    /// let a = Tensor::<2>::from_floats([[0.0, 0.0], [1.0, 1.0]], &dev);
    /// let b = Tensor::<2>::from_floats([[3.0, 4.0], [1.0, 1.0]], &dev);
    /// let d: Vec<f32> = Distance::SquaredEuclidean.pairwise(a, b).into_data().to_vec().unwrap();
    /// assert_eq!(d, [25.0, 0.0]);
    /// ```
    pub fn pairwise(self, a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
        match self {
            Distance::Euclidean => squared_euclidean(a, b).add_scalar(EPS).sqrt(),
            Distance::SquaredEuclidean => squared_euclidean(a, b),
            Distance::Cosine => {
                let dot = (a.clone() * b.clone()).sum_dim(1).squeeze_dim::<1>(1);
                let na = a.powi_scalar(2).sum_dim(1).squeeze_dim::<1>(1);
                let nb = b.powi_scalar(2).sum_dim(1).squeeze_dim::<1>(1);
                let denom = (na * nb).add_scalar(EPS).sqrt();
                (dot / denom).neg().add_scalar(1.0)
            }
        }
    }

    /// All pairwise distances within one batch of embeddings `[B, dim]` → `[B, B]`, the one
    /// matrix every miner works from.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use twinnet::{backend::inference_device, Distance};
    /// let e = Tensor::<2>::from_floats([[0.0, 0.0], [0.0, 2.0], [1.0, 0.0]], &inference_device());
    /// let m: Vec<f32> = Distance::SquaredEuclidean.matrix(e).into_data().to_vec().unwrap();
    /// assert_eq!(m, [0.0, 4.0, 1.0, 4.0, 0.0, 5.0, 1.0, 5.0, 0.0]);
    /// ```
    pub fn matrix(self, e: Tensor<2>) -> Tensor<2> {
        match self {
            Distance::Euclidean => squared_matrix(e).add_scalar(EPS).sqrt(),
            Distance::SquaredEuclidean => squared_matrix(e),
            Distance::Cosine => {
                let n = crate::tower::l2_normalize(e);
                n.clone().matmul(n.transpose()).neg().add_scalar(1.0)
            }
        }
    }

    /// The same distance on plain vectors, for galleries, metrics and tests.
    ///
    /// ```
    /// use twinnet::Distance;
    /// let (a, b) = ([0.0, 0.0], [3.0, 4.0]);
    /// assert!((Distance::Euclidean.between(&a, &b) - 5.0).abs() < 1e-6);
    /// assert_eq!(Distance::SquaredEuclidean.between(&a, &b), 25.0);
    /// // Cosine distance ignores length: 0 for the same direction, 2 for opposite ones.
    /// assert!(Distance::Cosine.between(&[1.0, 1.0], &[3.0, 3.0]).abs() < 1e-6);
    /// assert!((Distance::Cosine.between(&[1.0, 0.0], &[-2.0, 0.0]) - 2.0).abs() < 1e-6);
    /// ```
    pub fn between(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Distance::Euclidean => (sq_dist(a, b) + EPS).sqrt(),
            Distance::SquaredEuclidean => sq_dist(a, b),
            Distance::Cosine => {
                let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                let na: f32 = a.iter().map(|x| x * x).sum();
                let nb: f32 = b.iter().map(|x| x * x).sum();
                1.0 - dot / (na * nb + EPS).sqrt()
            }
        }
    }
}

fn squared_euclidean(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    (a - b).powi_scalar(2).sum_dim(1).squeeze_dim::<1>(1)
}

/// `‖eᵢ‖² + ‖eⱼ‖² − 2 eᵢ·eⱼ`, clamped at zero against rounding.
fn squared_matrix(e: Tensor<2>) -> Tensor<2> {
    let sq = e.clone().powi_scalar(2).sum_dim(1); // [B, 1]
    let gram = e.clone().matmul(e.transpose());
    (sq.clone() + sq.transpose() - gram.mul_scalar(2.0)).clamp_min(0.0)
}

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl FromStr for Distance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "euclidean" => Ok(Distance::Euclidean),
            "squared-euclidean" | "sqeuclidean" => Ok(Distance::SquaredEuclidean),
            "cosine" => Ok(Distance::Cosine),
            other => Err(format!(
                "unknown distance '{other}' (choose one of: {})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for Distance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Distance::Euclidean => "euclidean",
            Distance::SquaredEuclidean => "squared-euclidean",
            Distance::Cosine => "cosine",
        })
    }
}
