//! Embedding items with a tower and scoring pairs of them.

use super::VerificationMetrics;
use crate::batch::{to_rows, InputSpec};
use crate::score::Scorer;
use crate::tower::Tower;
use burn::tensor::Device;

/// Embeds `n` items fetched by `item(i)` in batches of `batch`; returns `n · dim` values.
///
/// `tower` must not carry autodiff (use `Module::valid`), so no gradient tape is recorded.
pub fn embed_items<'a>(
    tower: &Tower,
    input: &InputSpec,
    device: &Device,
    n: usize,
    item: impl Fn(usize) -> &'a [f32],
    batch: usize,
) -> Vec<f32> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let end = (start + batch).min(n);
        let items: Vec<&[f32]> = (start..end).map(&item).collect();
        out.extend(to_rows(tower.forward(input.batch(&items, device))));
        start = end;
    }
    out
}

/// Score (distance, or Koch dissimilarity) of each pair `(a, b, _)` between rows of `embeddings` (`dim` values per row).
pub fn pair_distances(
    embeddings: &[f32],
    dim: usize,
    pairs: &[(usize, usize, bool)],
    scorer: &Scorer,
) -> Vec<f32> {
    let row = |i: usize| &embeddings[i * dim..(i + 1) * dim];
    pairs
        .iter()
        .map(|&(a, b, _)| scorer.score(row(a), row(b)))
        .collect()
}

/// Verification metrics of `pairs` over already computed embeddings, accuracy at `threshold`.
pub fn evaluate_pairs(
    embeddings: &[f32],
    dim: usize,
    pairs: &[(usize, usize, bool)],
    scorer: &Scorer,
    threshold: f32,
) -> (VerificationMetrics, Vec<f32>) {
    let d = pair_distances(embeddings, dim, pairs, scorer);
    let same: Vec<bool> = pairs.iter().map(|p| p.2).collect();
    (VerificationMetrics::compute(&d, &same, threshold), d)
}

/// Verification metrics of a model on a dataset: for labelled items, `n_pairs` balanced pairs
/// drawn with `seed` (the same seed gives the same pairs); for a pair list, its pairs. The
/// accuracy is measured at the threshold stored in the model, never fitted here.
pub fn evaluate_model(
    model: &crate::model::TwinModel,
    data: &crate::data::Dataset,
    n_pairs: usize,
    seed: u64,
) -> anyhow::Result<VerificationMetrics> {
    Ok(evaluate_model_scores(model, data, n_pairs, seed)?.0)
}

/// [`evaluate_model`], also returning each pair's score and label (for plots).
pub fn evaluate_model_scores(
    model: &crate::model::TwinModel,
    data: &crate::data::Dataset,
    n_pairs: usize,
    seed: u64,
) -> anyhow::Result<(VerificationMetrics, Vec<f32>, Vec<bool>)> {
    use crate::data::Dataset;
    use crate::sampling::{balanced_pairs, rng_for, stream, ClassIndex};
    let pairs = match data {
        Dataset::Labeled(d) => {
            let index = ClassIndex::new(&d.labels, d.class_names.len());
            let mut rng = rng_for(seed, stream::EVAL, 0);
            balanced_pairs(&index, n_pairs, &mut rng)?
        }
        Dataset::Pairs(p) => p.pairs.clone(),
        Dataset::Signatures(s) => super::signatures::every_signature_pair(s)
            .into_iter()
            .map(|(a, b, k)| (a, b, k == crate::sampling::SignaturePair::Genuine))
            .collect(),
    };
    let same: Vec<bool> = pairs.iter().map(|p| p.2).collect();
    super::require_same_and_different(&same)?;
    if data.shape() != model.manifest.input.shape {
        anyhow::bail!(
            "the data's images are {:?} but the model expects {:?}",
            data.shape(),
            model.manifest.input.shape
        );
    }
    let mut items: Vec<usize> = pairs.iter().flat_map(|p| [p.0, p.1]).collect();
    items.sort_unstable();
    items.dedup();
    let emb = embed_items(
        &model.tower,
        &model.manifest.input,
        &model.device,
        items.len(),
        |k| data.item(items[k]),
        512,
    );
    let pos = |i: usize| items.binary_search(&i).expect("item was embedded");
    let local: Vec<_> = pairs.iter().map(|&(a, b, s)| (pos(a), pos(b), s)).collect();
    let dim = model.manifest.tower.embedding_dim();
    let (metrics, scores) =
        evaluate_pairs(&emb, dim, &local, &model.scorer, model.manifest.threshold);
    Ok((metrics, scores, same))
}
