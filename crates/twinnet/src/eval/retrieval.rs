//! Retrieval metrics: every item as a query against all the others.

use crate::score::Scorer;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Precision and recall of nearest-neighbour retrieval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalMetrics {
    /// Fraction of queries whose nearest neighbour has the query's class.
    pub precision_at_1: f64,
    /// Fraction of queries with a same-class item among the k nearest, for k = 1, 5, 10.
    pub recall_at_k: Vec<(usize, f64)>,
    /// Mean average precision at R (Musgrave et al. 2020), R = number of other same-class items.
    pub map_at_r: f64,
    /// Queries evaluated (items whose class has another item).
    pub queries: usize,
}

/// Retrieval over `n` embeddings (`dim` each) with class `labels`; each query is scored
/// against every other item and only its own ranking is kept, so memory stays O(n) per
/// worker thread however large `n` is.
pub fn retrieval(emb: &[f32], dim: usize, labels: &[usize], scorer: &Scorer) -> RetrievalMetrics {
    let n = labels.len();
    let ks = [1usize, 5, 10];
    let mut class_size = std::collections::HashMap::new();
    for &l in labels {
        *class_size.entry(l).or_insert(0usize) += 1;
    }
    let row = |i: usize| &emb[i * dim..(i + 1) * dim];
    let per_query: Vec<(f64, [bool; 3], f64)> = (0..n)
        .into_par_iter()
        .filter(|&q| class_size[&labels[q]] > 1)
        .map(|q| {
            let r = class_size[&labels[q]] - 1;
            let mut scored: Vec<(f32, usize)> = (0..n)
                .filter(|&j| j != q)
                .map(|j| (scorer.score(row(q), row(j)), j))
                .collect();
            let keep = r.max(10).min(scored.len());
            if keep < scored.len() {
                scored.select_nth_unstable_by(keep - 1, |a, b| {
                    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                });
                scored.truncate(keep);
            }
            scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let hit: Vec<bool> = scored
                .iter()
                .map(|&(_, j)| labels[j] == labels[q])
                .collect();
            let p1 = if hit[0] { 1.0 } else { 0.0 };
            let rk = ks.map(|k| hit.iter().take(k).any(|&h| h));
            (p1, rk, map_at_r(&hit, r))
        })
        .collect();
    let q = per_query.len().max(1) as f64;
    RetrievalMetrics {
        precision_at_1: per_query.iter().map(|x| x.0).sum::<f64>() / q,
        recall_at_k: ks
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, per_query.iter().filter(|x| x.1[i]).count() as f64 / q))
            .collect(),
        map_at_r: per_query.iter().map(|x| x.2).sum::<f64>() / q,
        queries: per_query.len(),
    }
}

/// MAP@R of one ranked hit list: `(1/R) Σ_{i ≤ R} P(i) · hit(i)`.
///
/// ```
/// use twinnet::eval::map_at_r;
/// // R = 3 relevant items; hits at ranks 1 and 3: (1/1 + 2/3) / 3.
/// assert!((map_at_r(&[true, false, true, true], 3) - 5.0 / 9.0).abs() < 1e-12);
/// assert_eq!(map_at_r(&[true, true, true], 3), 1.0);
/// ```
pub fn map_at_r(hits: &[bool], r: usize) -> f64 {
    if r == 0 {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, &h) in hits.iter().take(r).enumerate() {
        if h {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / r as f64
}
