//! Dataset-level hard-negative mining, sentence-transformers' `mine_hard_negatives`: for each
//! (anchor, positive) pair, the corpus texts the model scores closest to the anchor — skipping
//! the anchor's own positives — become negatives, so MNRL or a triplet loss trains on the
//! mistakes the model would make instead of random, easy ones.
//!
//! The window (`range_min..range_max` of the ranking) and the margins guard against the
//! mined "negative" being an unlabelled positive: with `relative_margin` 0.05 a candidate must
//! score at most 95 % of the pair's own positive.

use super::{rng_for, stream};
use anyhow::{bail, Result};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

/// Which of the candidates that pass the window and margins become negatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegativeSampling {
    /// The highest-scoring ones.
    Top,
    /// A seeded random choice among them.
    Random,
}

impl std::str::FromStr for NegativeSampling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "top" => Ok(Self::Top),
            "random" => Ok(Self::Random),
            other => Err(format!(
                "unknown sampling '{other}' (choose one of: top, random)"
            )),
        }
    }
}

/// The mining settings; [`Default`] is sentence-transformers' (3 negatives, the top ones, no
/// window or margin).
#[derive(Debug, Clone, PartialEq)]
pub struct HardNegatives {
    /// Negatives per pair (one triplet each).
    pub num_negatives: usize,
    /// Skip this many of the best-ranked candidates.
    pub range_min: usize,
    /// Look no further than this rank (exclusive); `None` for the whole corpus.
    pub range_max: Option<usize>,
    /// Candidates scoring above this (cosine) are skipped.
    pub max_score: Option<f32>,
    /// Candidates scoring below this are skipped.
    pub min_score: Option<f32>,
    /// A candidate must score at most the positive's score minus this.
    pub absolute_margin: Option<f32>,
    /// A candidate must score at most the positive's score × (1 − this).
    pub relative_margin: Option<f32>,
    /// Top or random among the candidates left.
    pub sampling: NegativeSampling,
    /// Seed of the random choice.
    pub seed: u64,
}

impl Default for HardNegatives {
    fn default() -> Self {
        Self {
            num_negatives: 3,
            range_min: 0,
            range_max: None,
            max_score: None,
            min_score: None,
            absolute_margin: None,
            relative_margin: None,
            sampling: NegativeSampling::Top,
            seed: 0,
        }
    }
}

/// What mining found.
#[derive(Debug, Clone, PartialEq)]
pub struct MinedTriplets {
    /// `[anchor, positive, negative]`, pairs in input order, each pair's negatives best first.
    pub triplets: Vec<[String; 3]>,
    /// Input pairs.
    pub pairs: usize,
    /// Distinct positive texts the negatives were drawn from.
    pub corpus: usize,
    /// Pairs for which no candidate passed the window and margins.
    pub pairs_without_negative: usize,
    /// Mean cosine of anchor and positive.
    pub mean_positive_score: f64,
    /// Mean cosine of anchor and mined negative.
    pub mean_negative_score: f64,
}

impl HardNegatives {
    /// Refuses settings that can mine nothing or make no sense.
    pub fn check(&self) -> Result<()> {
        if self.num_negatives == 0 {
            bail!("num_negatives must be at least 1");
        }
        if let Some(max) = self.range_max {
            if max <= self.range_min {
                bail!("range_max {max} must exceed range_min {}", self.range_min);
            }
        }
        for (name, v) in [
            ("max_score", self.max_score),
            ("min_score", self.min_score),
            ("absolute_margin", self.absolute_margin),
            ("relative_margin", self.relative_margin),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                bail!("{name} must be a finite number");
            }
        }
        if self
            .relative_margin
            .is_some_and(|m| !(0.0..1.0).contains(&m))
        {
            bail!("relative_margin must lie in [0, 1)");
        }
        Ok(())
    }

    /// Mines negatives for `pairs` from their positives, with `embed` giving one vector per
    /// text (the vectors are normalised here, so scores are cosines).
    pub fn mine(
        &self,
        pairs: &[(String, String)],
        embed: impl FnMut(&[&str]) -> Result<Vec<Vec<f32>>>,
    ) -> Result<MinedTriplets> {
        self.check()?;
        if pairs.is_empty() {
            bail!("no pairs to mine negatives for");
        }
        let (corpus, anchors) = (
            distinct(pairs.iter().map(|p| &p.1)),
            distinct(pairs.iter().map(|p| &p.0)),
        );
        let mut embed = embed;
        let texts: Vec<&str> = anchors.iter().chain(&corpus).map(|s| s.as_str()).collect();
        let mut vectors = embed(&texts)?;
        if vectors.len() != texts.len() {
            bail!(
                "the model gave {} vectors for {} texts",
                vectors.len(),
                texts.len()
            );
        }
        vectors.iter_mut().for_each(|v| normalise(v));
        let (anchor_vecs, corpus_vecs) = vectors.split_at(anchors.len());
        let anchor_at: HashMap<&str, usize> = anchors
            .iter()
            .enumerate()
            .map(|(i, a)| (a.as_str(), i))
            .collect();
        let corpus_at: HashMap<&str, usize> = corpus
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut positives_of: HashMap<&str, HashSet<usize>> = HashMap::new();
        for (a, p) in pairs {
            positives_of
                .entry(a)
                .or_default()
                .insert(corpus_at[p.as_str()]);
        }
        let per_pair: Vec<(f32, Vec<(usize, f32)>)> = pairs
            .par_iter()
            .enumerate()
            .map(|(k, (a, p))| {
                let av = &anchor_vecs[anchor_at[a.as_str()]];
                let positive = dot(av, &corpus_vecs[corpus_at[p.as_str()]]);
                let own = &positives_of[a.as_str()];
                let mut ranked: Vec<(usize, f32)> = corpus_vecs
                    .iter()
                    .enumerate()
                    .filter(|&(c, _)| !own.contains(&c) && corpus[c] != *a)
                    .map(|(c, v)| (c, dot(av, v)))
                    .collect();
                ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                let end = self.range_max.unwrap_or(usize::MAX).min(ranked.len());
                let start = self.range_min.min(end);
                let mut kept: Vec<(usize, f32)> = ranked[start..end]
                    .iter()
                    .copied()
                    .filter(|&(_, s)| self.passes(s, positive))
                    .collect();
                if self.sampling == NegativeSampling::Random {
                    kept.shuffle(&mut rng_for(self.seed, stream::NEGATIVES, k as u64));
                }
                kept.truncate(self.num_negatives);
                (positive, kept)
            })
            .collect();
        let mut triplets = Vec::new();
        let (mut pos_sum, mut neg_sum, mut without) = (0.0f64, 0.0f64, 0);
        for ((a, p), (positive, negs)) in pairs.iter().zip(&per_pair) {
            pos_sum += f64::from(*positive);
            without += usize::from(negs.is_empty());
            for &(c, s) in negs {
                neg_sum += f64::from(s);
                triplets.push([a.clone(), p.clone(), corpus[c].clone()]);
            }
        }
        Ok(MinedTriplets {
            mean_positive_score: pos_sum / pairs.len() as f64,
            mean_negative_score: if triplets.is_empty() {
                0.0
            } else {
                neg_sum / triplets.len() as f64
            },
            triplets,
            pairs: pairs.len(),
            corpus: corpus.len(),
            pairs_without_negative: without,
        })
    }

    /// Whether a candidate scoring `s` against a pair whose positive scores `positive` is kept.
    fn passes(&self, s: f32, positive: f32) -> bool {
        self.max_score.is_none_or(|m| s <= m)
            && self.min_score.is_none_or(|m| s >= m)
            && self.absolute_margin.is_none_or(|m| s <= positive - m)
            && self
                .relative_margin
                .is_none_or(|m| s <= positive * (1.0 - m))
    }
}

/// The distinct texts, in order of first appearance.
fn distinct<'a>(texts: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut seen = HashSet::new();
    texts.filter(|t| seen.insert(t.as_str())).cloned().collect()
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
