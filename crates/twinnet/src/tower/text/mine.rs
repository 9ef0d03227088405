//! Hard-negative mining over a pair file with a text model: read the (anchor, positive) pairs,
//! mine with [`HardNegatives`], write the triplets `finetune --format triplets` trains on.

use super::TextModel;
use crate::data::{read_positive_pairs, write_text_triplets};
use crate::sampling::HardNegatives;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::Path;

/// What `mine-negatives` did: the figures of [`crate::sampling::MinedTriplets`] and the file.
#[derive(Debug, Clone, Serialize)]
pub struct MiningReport {
    /// Input (anchor, positive) pairs.
    pub pairs: usize,
    /// Distinct positives the negatives came from.
    pub corpus: usize,
    /// Triplets written.
    pub triplets: usize,
    /// Pairs that got no negative (the window or margins left none).
    pub pairs_without_negative: usize,
    /// Mean cosine of anchor and positive.
    pub mean_positive_score: f64,
    /// Mean cosine of anchor and mined negative.
    pub mean_negative_score: f64,
    /// The triplet file written.
    pub out: String,
}

/// Mines negatives for the pairs in `data` with the text model in `model` and writes the
/// triplets to `out` (TSV, `.csv` or `.jsonl`), atomically; `progress` gets embedded counts.
pub fn mine_negatives_file(
    model: &Path,
    data: &Path,
    out: &Path,
    cfg: &HardNegatives,
    mut progress: impl FnMut(usize),
) -> Result<MiningReport> {
    cfg.check()?;
    let pairs = read_positive_pairs(data)?;
    let model = TextModel::load(model)?;
    let mined = cfg.mine(&pairs, |texts| {
        model.embed_with_progress(texts, &mut progress)
    })?;
    write_text_triplets(out, &mined.triplets)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(MiningReport {
        pairs: mined.pairs,
        corpus: mined.corpus,
        triplets: mined.triplets.len(),
        pairs_without_negative: mined.pairs_without_negative,
        mean_positive_score: mined.mean_positive_score,
        mean_negative_score: mined.mean_negative_score,
        out: out.display().to_string(),
    })
}

impl std::fmt::Display for MiningReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::report::{f4, Table};
        let mut t = Table::new(&["figure", "value"]);
        t.pair("pairs", self.pairs.to_string())
            .pair("corpus", self.corpus.to_string())
            .pair("triplets", self.triplets.to_string())
            .pair(
                "pairs_without_negative",
                self.pairs_without_negative.to_string(),
            )
            .pair("mean_positive_score", f4(self.mean_positive_score))
            .pair("mean_negative_score", f4(self.mean_negative_score))
            .pair("out", self.out.clone());
        t.fmt(f)
    }
}
