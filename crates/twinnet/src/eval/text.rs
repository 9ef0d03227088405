//! Text-pair evaluation: verification metrics for labelled pairs, rank and linear correlation
//! with gold similarity scores for scored pairs.

use super::roc::{accuracy_at, auc, eer, roc_curve};
use crate::data::{PairTarget, TextPairs};
use serde::Serialize;

/// Metrics of a model on one text-pair file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TextPairMetrics {
    /// Pairs evaluated.
    pub pairs: usize,
    /// Whether the file held labels or scores.
    pub targets: PairTarget,
    /// ROC AUC of `−distance` against same/different (scores: same = score ≥ 0.5).
    pub auc: f64,
    /// Equal error rate.
    pub eer: f64,
    /// Average precision of ranking the pairs by distance, same pairs as the relevant ones.
    pub average_precision: f64,
    /// Accuracy at `threshold`, when there is one.
    pub accuracy: Option<f64>,
    /// F1 of "same" at `threshold`, when there is one.
    pub f1: Option<f64>,
    /// The decision threshold used (calibrated on validation data, never on these pairs).
    pub threshold: Option<f32>,
    /// Spearman rank correlation between similarity (−distance) and the gold target.
    pub spearman: f64,
    /// Pearson correlation between similarity (1 − distance) and the gold target.
    pub pearson: f64,
}

/// Scores `distances` (one per pair of `data`) against the gold targets.
pub fn evaluate_text_pairs(
    data: &TextPairs,
    distances: &[f32],
    threshold: Option<f32>,
) -> TextPairMetrics {
    let same = data.same();
    let roc = roc_curve(distances, &same);
    let similarity: Vec<f64> = distances.iter().map(|&d| 1.0 - f64::from(d)).collect();
    let gold: Vec<f64> = data.targets.iter().map(|&t| f64::from(t)).collect();
    TextPairMetrics {
        pairs: distances.len(),
        targets: data.kind,
        auc: auc(&roc),
        eer: eer(&roc),
        average_precision: average_precision(distances, &same),
        accuracy: threshold.map(|t| accuracy_at(distances, &same, t)),
        f1: threshold.map(|t| f1_at(distances, &same, t)),
        threshold,
        spearman: spearman(&similarity, &gold),
        pearson: pearson(&similarity, &gold),
    }
}

/// F1 of predicting "same" as `distance ≤ threshold`.
pub fn f1_at(distances: &[f32], same: &[bool], threshold: f32) -> f64 {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&d, &s) in distances.iter().zip(same) {
        match (d <= threshold, s) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    if tp == 0 {
        return 0.0;
    }
    2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
}

/// Average precision with pairs ranked by ascending distance; tied distances form one block
/// whose precision is counted once, so the order of ties does not matter.
pub fn average_precision(distances: &[f32], same: &[bool]) -> f64 {
    let positives = same.iter().filter(|&&s| s).count();
    if positives == 0 {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    let (mut seen, mut hits, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && distances[order[j]] == distances[order[i]] {
            j += 1;
        }
        let block_hits = order[i..j].iter().filter(|&&k| same[k]).count();
        seen += j - i;
        hits += block_hits;
        ap += block_hits as f64 * hits as f64 / seen as f64;
        i = j;
    }
    ap / positives as f64
}

/// Pearson correlation; 0 when either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx == 0.0 || syy == 0.0 {
        return 0.0;
    }
    sxy / (sxx * syy).sqrt()
}

/// Ranks from 1, ties sharing the mean of their ranks.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && v[order[j]] == v[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j + 1) as f64 / 2.0;
        for &k in &order[i..j] {
            r[k] = mean_rank;
        }
        i = j;
    }
    r
}

/// Spearman rank correlation (Pearson of the tie-averaged ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// The distinct texts of `data` (first-seen order) and, per pair, the positions of its texts,
/// so each text is embedded once however many pairs it is in.
pub fn distinct_texts(data: &TextPairs) -> (Vec<&str>, Vec<(usize, usize)>) {
    let mut pos = std::collections::HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut index = Vec::with_capacity(data.pairs.len());
    for (a, b) in &data.pairs {
        let mut ids = [0usize; 2];
        for (k, t) in [a.as_str(), b.as_str()].into_iter().enumerate() {
            ids[k] = *pos.entry(t).or_insert_with(|| {
                texts.push(t);
                texts.len() - 1
            });
        }
        index.push((ids[0], ids[1]));
    }
    (texts, index)
}

#[cfg(feature = "text")]
/// The model's distance for every pair of `data`, each distinct text embedded once the way the
/// model embeds (its prompt included); `progress(done, total)` is called after each batch,
/// counted in distinct texts.
pub fn text_pair_distances(
    model: &crate::text::TextModel,
    data: &TextPairs,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Vec<f32>> {
    pair_distances(model.manifest.distance, data, |texts| {
        let total = texts.len();
        model.embed_with_progress(texts, |n| progress(n, total))
    })
}

/// [`text_pair_distances`] for a tower that is not (yet) a saved model, e.g. during training
/// (texts as given, no prompt).
#[cfg(feature = "text")]
pub fn tower_pair_distances(
    tower: &crate::text::TextTower,
    tokenizer: &crate::text::TextTokenizer,
    device: &burn::tensor::Device,
    distance: crate::distance::Distance,
    data: &TextPairs,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Vec<f32>> {
    pair_distances(distance, data, |texts| {
        let total = texts.len();
        crate::text::embed_texts(tower, tokenizer, device, texts, |n| progress(n, total))
    })
}

/// `distance` for every pair of `data`, its distinct texts embedded once by `embed`.
#[cfg(feature = "text")]
fn pair_distances(
    distance: crate::distance::Distance,
    data: &TextPairs,
    embed: impl FnOnce(&[&str]) -> anyhow::Result<Vec<Vec<f32>>>,
) -> anyhow::Result<Vec<f32>> {
    let (texts, index) = distinct_texts(data);
    let e = embed(&texts)?;
    Ok(index
        .iter()
        .map(|&(a, b)| distance.between(&e[a], &e[b]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlations_match_hand_computed_values() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&x, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&x, &[8.0, 6.0, 4.0, 2.0]) + 1.0).abs() < 1e-12);
        // Monotone but not linear: Spearman 1, Pearson below 1.
        let y = [1.0, 10.0, 100.0, 1000.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        assert!(pearson(&x, &y) < 0.9);
        // Ties share ranks: x ranks [1, 2.5, 2.5, 4] against y ranks [1, 2, 3, 4].
        let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]);
        // Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5 / √22.5 = 0.948683 (scipy agrees).
        assert!((rho - 4.5 / (4.5f64 * 5.0).sqrt()).abs() < 1e-12, "{rho}");
    }

    #[test]
    fn average_precision_and_f1_on_a_known_ranking() {
        // Ranked by distance: same, diff, same, diff → AP = (1/1 + 2/3) / 2.
        let d = [0.1, 0.2, 0.3, 0.4];
        let s = [true, false, true, false];
        assert!((average_precision(&d, &s) - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        // Threshold 0.25 accepts the first two: tp 1, fp 1, fn 1 → F1 = 2/4.
        assert!((f1_at(&d, &s, 0.25) - 0.5).abs() < 1e-12);
        assert_eq!(f1_at(&d, &s, 0.05), 0.0);
    }
}
