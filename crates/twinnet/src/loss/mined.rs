//! Pair and triplet losses over the tuples a miner picked from a distance matrix.

use super::{contrastive_loss, contrastive_targets, triplet_loss};
use crate::sampling::Mined;
use burn::tensor::{Int, Tensor};

/// Differentiable distances `D[a, b]` gathered from the `[B, B]` matrix.
pub fn gather_distances(dist: &Tensor<2>, a: &Tensor<1, Int>, b: &Tensor<1, Int>) -> Tensor<1> {
    let n = dist.dims()[0];
    let flat = a.clone().mul_scalar(n as i64).add(b.clone());
    dist.clone().reshape([n * n]).select(0, flat)
}

/// Per-tuple losses of mined tuples: the contrastive loss for pairs, the triplet loss for
/// triplets. `dist` is the differentiable `[B, B]` distance matrix.
pub fn mined_loss(dist: &Tensor<2>, mined: &Mined, margin: f32) -> Tensor<1> {
    match mined {
        Mined::Pairs { a, b, same } => {
            let d = gather_distances(dist, a, b);
            contrastive_loss(d, contrastive_targets(same.clone()), margin)
        }
        Mined::Triplets { a, p, n } => triplet_loss(
            gather_distances(dist, a, p),
            gather_distances(dist, a, n),
            margin,
        ),
    }
}
