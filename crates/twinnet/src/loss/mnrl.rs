//! Multiple-negatives ranking loss (InfoNCE with in-batch negatives), as in
//! sentence-transformers: each anchor must pick its own positive among all positives of the batch.

use burn::tensor::activation::log_softmax;
use burn::tensor::Tensor;

/// Mean cross-entropy of `scale · cos(anchorᵢ, positiveⱼ)` with the target `j = i`.
/// `scale` is the inverse temperature (sentence-transformers uses 20).
pub fn mnrl_loss(anchors: Tensor<2>, positives: Tensor<2>, scale: f32) -> Tensor<1> {
    mnrl_candidates_loss(anchors, positives, scale)
}

/// MNRL over any candidate set: anchor `i` must pick candidate `i` among all `m ≥ n`
/// candidates (its positive; the rest, e.g. other positives and hard negatives, are negatives).
pub fn mnrl_candidates_loss(anchors: Tensor<2>, candidates: Tensor<2>, scale: f32) -> Tensor<1> {
    let n = anchors.dims()[0];
    let m = candidates.dims()[0];
    let a = crate::tower::l2_normalize(anchors);
    let c = crate::tower::l2_normalize(candidates);
    let logits = a.matmul(c.transpose()).mul_scalar(scale);
    let logp = log_softmax(logits, 1);
    let device = logp.device();
    let eye = Tensor::<2>::eye(n, &device);
    let target = if m > n {
        Tensor::cat(vec![eye, Tensor::<2>::zeros([n, m - n], &device)], 1)
    } else {
        eye
    };
    (logp * target).sum_dim(1).reshape([n]).neg().mean()
}
