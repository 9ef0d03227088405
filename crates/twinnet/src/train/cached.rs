//! Cached gradients (GradCache: Gao et al. 2021; sentence-transformers'
//! `CachedMultipleNegativesRankingLoss`): a batch larger than memory allows, with the loss — and
//! MNRL's in-batch negatives — over the whole batch.
//!
//! First every text is embedded in chunks by the inference copy of the tower (no autodiff
//! graph); the loss over
//! all embeddings gives its gradient with respect to each embedding; then each chunk is embedded
//! again with the graph and back-propagated with that gradient (`Σ e · ∂L/∂e`), the chunks'
//! weight gradients summed. The sum equals the full batch's gradient, while only one chunk's
//! activations exist at a time; the price is a second forward pass.

use super::text::TextTrainConfig;
use super::text_batches::{step_loss, StepBatch};
use crate::text::{TextModel, TextTower};
use crate::tower::{Encoder, TokenBatch};
use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;

/// The loss value, the weight gradients and the tuples of `batch`, embedding at most `chunk`
/// texts at a time; `None` when the batch is skipped (a miner found nothing).
pub(super) fn cached_gradients(
    tower: &TextTower,
    model: &TextModel,
    ids: &[Vec<u32>],
    batch: &StepBatch,
    cfg: &TextTrainConfig,
    chunk: usize,
) -> Option<(f32, GradientsParams, usize)> {
    let seqs: Vec<&[u32]> = batch.texts.iter().map(|&i| ids[i].as_slice()).collect();
    let encode = |part: &[&[u32]]| {
        let (ids, mask) = model.tokenizer.batch(part, &model.device);
        tower.encode(TokenBatch { ids, mask })
    };
    // The first pass needs no graph: the inference copy of the tower on the inference device
    // (which also takes the fused inference layer).
    let frozen = tower.valid();
    let inference = crate::backend::inference_device();
    let parts: Vec<Tensor<2>> = seqs
        .chunks(chunk)
        .map(|c| {
            let (ids, mask) = model.tokenizer.batch(c, &inference);
            frozen.encode(TokenBatch { ids, mask })
        })
        .collect();
    let all = Tensor::from_inner(Tensor::cat(parts, 0)).require_grad();
    let (loss, tuples) = step_loss(cfg, all.clone(), batch)?;
    let value: f32 = loss.clone().into_scalar();
    if !value.is_finite() {
        return Some((value, GradientsParams::new(), tuples));
    }
    let dl_de = all.grad(&loss.backward())?;
    let dim = dl_de.dims()[1];
    let mut sum = GradientsAccumulator::new();
    let mut start = 0;
    for c in seqs.chunks(chunk) {
        let g = Tensor::from_inner(dl_de.clone().slice([start..start + c.len(), 0..dim]));
        let surrogate = (encode(c) * g).sum();
        sum.accumulate(
            tower,
            GradientsParams::from_grads(surrogate.backward(), tower),
        );
        start += c.len();
    }
    Some((value, sum.grads(), tuples))
}
