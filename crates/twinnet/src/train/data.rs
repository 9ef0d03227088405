//! What a run trains on, split once (seeded) into training and validation parts.

use crate::data::{Dataset, ImageShape};
use crate::sampling::{balanced_pairs, rng_for, split_indices, stream, ClassIndex};
use anyhow::{bail, Result};

/// The split used by one run: a pool of items, the training part and the fixed validation pairs.
pub(crate) struct Split {
    /// Pixels of the items the run refers to (`[C, H, W]` each).
    pub pixels: Vec<f32>,
    pub shape: ImageShape,
    /// Training items grouped by class (labelled data only).
    pub train_index: Option<ClassIndex>,
    /// Training items (labelled) as item indices.
    pub train_items: Vec<usize>,
    /// Fixed training pairs (pair-list data only).
    pub train_pairs: Vec<(usize, usize, bool)>,
    /// Fixed validation pairs.
    pub val_pairs: Vec<(usize, usize, bool)>,
    /// Number of validation items (labelled) or pairs (pair list).
    pub val_count: usize,
}

impl Split {
    /// Class of item `i` (labelled data only).
    pub fn label(&self, i: usize) -> usize {
        self.train_index.as_ref().map_or(0, |idx| idx.labels[i])
    }

    pub fn item(&self, i: usize) -> &[f32] {
        let n = self.shape.numel();
        &self.pixels[i * n..(i + 1) * n]
    }

    pub fn new(data: Dataset, fraction: f64, val_pairs: usize, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&fraction) || fraction == 0.0 {
            bail!("`val-fraction` must be in (0, 1); the threshold is calibrated on the validation split");
        }
        match data {
            Dataset::Labeled(d) => {
                let mut rng = rng_for(seed, stream::SPLIT, 0);
                let (train, val) = split_indices(d.len(), fraction, &mut rng);
                let n_classes = d.class_names.len();
                let train_index = ClassIndex::subset(&d.labels, &train, n_classes);
                train_index
                    .check_pairable()
                    .map_err(|e| anyhow::anyhow!("training split: {e}"))?;
                let val_index = ClassIndex::subset(&d.labels, &val, n_classes);
                let mut vrng = rng_for(seed, stream::VALIDATION, 0);
                let val_pairs = balanced_pairs(&val_index, val_pairs, &mut vrng).map_err(|e| {
                    anyhow::anyhow!(
                        "validation split ({} items) cannot give pairs: {e}; raise `val-fraction` or add data",
                        val.len()
                    )
                })?;
                Ok(Self {
                    shape: d.shape,
                    train_index: Some(train_index),
                    train_items: train,
                    train_pairs: Vec::new(),
                    val_pairs,
                    val_count: val.len(),
                    pixels: d.pixels,
                })
            }
            Dataset::Pairs(p) => {
                let mut rng = rng_for(seed, stream::SPLIT, 0);
                let (train, val) = split_indices(p.pairs.len(), fraction, &mut rng);
                let train_pairs: Vec<_> = train.iter().map(|&i| p.pairs[i]).collect();
                let val_pairs: Vec<_> = val.iter().map(|&i| p.pairs[i]).collect();
                if train_pairs.is_empty()
                    || val_pairs.iter().all(|v| v.2)
                    || val_pairs.iter().all(|v| !v.2)
                {
                    bail!(
                        "the pair list's validation split ({} pairs) needs both same and different pairs; add pairs or raise `val-fraction`",
                        val_pairs.len()
                    );
                }
                Ok(Self {
                    shape: p.shape,
                    train_index: None,
                    train_items: Vec::new(),
                    val_count: val_pairs.len(),
                    train_pairs,
                    val_pairs,
                    pixels: p.pixels,
                })
            }
        }
    }

    /// The training items (each once), for fitting the input normalisation.
    pub fn training_items(&self) -> impl Iterator<Item = &[f32]> + Clone + '_ {
        let ids: Vec<usize> = if self.train_items.is_empty() {
            let seen: std::collections::BTreeSet<usize> = self
                .train_pairs
                .iter()
                .flat_map(|&(a, b, _)| [a, b])
                .collect();
            seen.into_iter().collect()
        } else {
            self.train_items.clone()
        };
        (0..ids.len()).map(move |k| self.item(ids[k]))
    }
}
