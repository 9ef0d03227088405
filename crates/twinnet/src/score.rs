//! How a trained model scores a pair of embeddings: a fixed distance, or Koch's learned head.
//! Lower always means more alike, so one threshold rule (`score ≤ threshold` → same) serves both.

use crate::distance::Distance;

/// The pair score of a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Scorer {
    /// A fixed distance.
    Distance(Distance),
    /// `1 − σ(w · |a − b| + bias)` from a Koch head.
    Koch {
        /// One weight per embedding dimension.
        weights: Vec<f32>,
        /// The bias.
        bias: f32,
    },
}

impl Scorer {
    /// Score of one pair of embeddings.
    pub fn score(&self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Scorer::Distance(d) => d.between(a, b),
            Scorer::Koch { weights, bias } => {
                let z: f32 = bias
                    + weights
                        .iter()
                        .zip(a.iter().zip(b))
                        .map(|(w, (x, y))| w * (x - y).abs())
                        .sum::<f32>();
                1.0 - 1.0 / (1.0 + (-z).exp())
            }
        }
    }
}
