//! Multiple-negatives ranking loss (InfoNCE with in-batch negatives), as in
//! sentence-transformers: each anchor must pick its own positive among all positives of the batch.

use burn::tensor::activation::log_softmax;
use burn::tensor::Tensor;

/// Mean cross-entropy of `scale · cos(anchorᵢ, positiveⱼ)` with the target `j = i`.
/// `scale` is the inverse temperature (sentence-transformers uses 20).
pub fn mnrl_loss(anchors: Tensor<2>, positives: Tensor<2>, scale: f32) -> Tensor<1> {
    let n = anchors.dims()[0];
    let a = crate::tower::l2_normalize(anchors);
    let p = crate::tower::l2_normalize(positives);
    let logits = a.matmul(p.transpose()).mul_scalar(scale);
    let logp = log_softmax(logits, 1);
    let eye = Tensor::<2>::eye(n, &logp.device());
    (logp * eye).sum_dim(1).reshape([n]).neg().mean()
}
