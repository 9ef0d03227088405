//! Signature verification figures: skilled and random forgeries scored apart.
//!
//! One EER over all impostors would hide the case that matters: random forgeries (someone
//! else's own signature) are easy, skilled ones (an imitation of the claimed writer's) are
//! hard. So every figure comes twice, and the error rates at the model's threshold (calibrated
//! on validation writers when it was trained, never here) are FRR on genuine pairs and FAR on
//! each impostor kind. With references, each questioned signature is compared against K genuine
//! references of the claimed writer and scored by the mean and the minimum distance, the way a
//! bank checks a cheque against the specimens on file.

use super::roc::{auc, eer, roc_curve};
use crate::data::SignatureSet;
use crate::sampling::{all_signature_pairs, rng_for, stream, SignaturePair};
use crate::score::Scorer;
use anyhow::{bail, Result};
use rand::seq::SliceRandom;
use serde::Serialize;

/// Figures of one way of scoring (pairs, or questioned signatures against references).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForgeryMetrics {
    /// EER of genuine against skilled forgeries.
    pub eer_skilled: f64,
    /// EER of genuine against random forgeries.
    pub eer_random: f64,
    /// ROC AUC of genuine against skilled forgeries.
    pub auc_skilled: f64,
    /// ROC AUC of genuine against random forgeries.
    pub auc_random: f64,
    /// Genuine comparisons rejected at the threshold.
    pub frr: f64,
    /// Skilled forgeries accepted at the threshold.
    pub far_skilled: f64,
    /// Random forgeries accepted at the threshold.
    pub far_random: f64,
    /// Genuine comparisons scored (pairs, or questioned signatures against references).
    pub genuine_pairs: usize,
    /// Skilled-forgery comparisons scored.
    pub skilled_pairs: usize,
    /// Random-forgery comparisons scored.
    pub random_pairs: usize,
}

impl ForgeryMetrics {
    /// The figures of scored comparisons of each kind, at `threshold` (`score ≤ threshold`
    /// accepts).
    ///
    /// ```
    /// use twinnet::eval::ForgeryMetrics;
    /// let m = ForgeryMetrics::from_scores(&[0.1, 0.2, 0.9], &[0.5, 0.15], &[2.0, 3.0], 0.3);
    /// assert!(m.eer_random.abs() < 1e-12 && (m.auc_random - 1.0).abs() < 1e-12);
    /// // 3 of the 6 genuine–skilled orderings put the genuine pair closer.
    /// assert!((m.auc_skilled - 0.5).abs() < 1e-12);
    /// assert_eq!((m.frr, m.far_skilled, m.far_random), (1.0 / 3.0, 0.5, 0.0));
    /// assert_eq!((m.genuine_pairs, m.skilled_pairs, m.random_pairs), (3, 2, 2));
    /// ```
    pub fn from_scores(genuine: &[f32], skilled: &[f32], random: &[f32], threshold: f32) -> Self {
        let against = |impostor: &[f32]| {
            let scores: Vec<f32> = genuine.iter().chain(impostor).copied().collect();
            let same: Vec<bool> = (0..scores.len()).map(|i| i < genuine.len()).collect();
            let roc = roc_curve(&scores, &same);
            (eer(&roc), auc(&roc))
        };
        let (eer_skilled, auc_skilled) = against(skilled);
        let (eer_random, auc_random) = against(random);
        let rate = |v: &[f32], accept: bool| {
            v.iter().filter(|&&d| (d <= threshold) == accept).count() as f64 / v.len().max(1) as f64
        };
        Self {
            eer_skilled,
            eer_random,
            auc_skilled,
            auc_random,
            frr: rate(genuine, false),
            far_skilled: rate(skilled, true),
            far_random: rate(random, true),
            genuine_pairs: genuine.len(),
            skilled_pairs: skilled.len(),
            random_pairs: random.len(),
        }
    }
}

/// Questioned signatures against K references of the claimed writer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceMetrics {
    /// Genuine references per writer.
    pub references: usize,
    /// Scored by the mean distance to the references.
    pub mean: ForgeryMetrics,
    /// Scored by the smallest distance to a reference.
    pub min: ForgeryMetrics,
}

/// Every genuine–genuine, genuine–skilled and genuine–random pair of all the writers in `set`:
/// what a signature evaluation scores.
pub(crate) fn every_signature_pair(set: &SignatureSet) -> Vec<(usize, usize, SignaturePair)> {
    let writers: Vec<usize> = (0..set.images.class_names.len()).collect();
    all_signature_pairs(&set.images.labels, &set.forged, &writers)
}

/// Pair figures of the writers in `set`, given every item's embedding (`dim` values each).
pub fn signature_pair_metrics(
    set: &SignatureSet,
    embeddings: &[f32],
    dim: usize,
    scorer: &Scorer,
    threshold: f32,
) -> ForgeryMetrics {
    let row = |i: usize| &embeddings[i * dim..(i + 1) * dim];
    let (mut g, mut s, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for (a, b, kind) in every_signature_pair(set) {
        let d = scorer.score(row(a), row(b));
        match kind {
            SignaturePair::Genuine => g.push(d),
            SignaturePair::Skilled => s.push(d),
            SignaturePair::Random => r.push(d),
        }
    }
    ForgeryMetrics::from_scores(&g, &s, &r, threshold)
}

/// Reference figures: for each writer, `k` genuine references drawn with `seed`; questioned are
/// its other genuine signatures, its forgeries, and every other writer's genuine signatures
/// (random forgeries claiming it). A writer needs more than `k` genuine signatures.
pub fn signature_reference_metrics(
    set: &SignatureSet,
    embeddings: &[f32],
    dim: usize,
    scorer: &Scorer,
    threshold: f32,
    k: usize,
    seed: u64,
) -> Result<ReferenceMetrics> {
    if k == 0 {
        bail!("`references` must be at least 1");
    }
    let n = set.images.class_names.len();
    let row = |i: usize| &embeddings[i * dim..(i + 1) * dim];
    let groups: Vec<(Vec<usize>, Vec<usize>)> = (0..n).map(|w| set.writer_items(w)).collect();
    let mut rng = rng_for(seed, stream::EVAL, 0);
    let mut refs = Vec::with_capacity(n);
    let mut held = Vec::with_capacity(n);
    for (w, (genuine, _)) in groups.iter().enumerate() {
        if genuine.len() <= k {
            bail!(
                "writer {} has {} genuine signatures; {k} references leave none to question",
                set.images.class_names[w],
                genuine.len()
            );
        }
        let mut g = genuine.clone();
        g.shuffle(&mut rng);
        let rest = g.split_off(k);
        refs.push(g);
        held.push(rest);
    }
    let score = |q: usize, w: usize| -> (f32, f32) {
        let d: Vec<f32> = refs[w]
            .iter()
            .map(|&r| scorer.score(row(q), row(r)))
            .collect();
        let mean = d.iter().sum::<f32>() / d.len() as f32;
        (mean, d.iter().copied().fold(f32::INFINITY, f32::min))
    };
    let mut mean = [Vec::new(), Vec::new(), Vec::new()];
    let mut min = [Vec::new(), Vec::new(), Vec::new()];
    let mut push = |kind: usize, (a, b): (f32, f32)| {
        mean[kind].push(a);
        min[kind].push(b);
    };
    for w in 0..n {
        for &q in &held[w] {
            push(0, score(q, w));
        }
        for &q in &groups[w].1 {
            push(1, score(q, w));
        }
        for (other, rest) in held.iter().enumerate() {
            if other != w {
                for &q in rest {
                    push(2, score(q, w));
                }
            }
        }
    }
    let metrics = |v: &[Vec<f32>; 3]| ForgeryMetrics::from_scores(&v[0], &v[1], &v[2], threshold);
    Ok(ReferenceMetrics {
        references: k,
        mean: metrics(&mean),
        min: metrics(&min),
    })
}
