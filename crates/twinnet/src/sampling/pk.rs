//! P×K batches: P classes, K examples of each, so every batch holds positives and negatives
//! for every anchor — what the miners need.

use super::ClassIndex;
use anyhow::{bail, Result};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

/// How P×K batches are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PkSampler {
    /// Classes per batch (P).
    pub classes_per_batch: usize,
    /// Examples per class (K).
    pub per_class: usize,
    /// Draw examples with replacement when a class has fewer than K.
    pub replacement: bool,
}

impl PkSampler {
    /// Items per batch.
    pub fn batch_size(&self) -> usize {
        self.classes_per_batch * self.per_class
    }

    /// Checks that `index` can give such batches, with an error naming what is short.
    pub fn check(&self, index: &ClassIndex, class_names: &[String]) -> Result<()> {
        if self.classes_per_batch < 2 {
            bail!("`classes-per-batch` must be at least 2 (a batch needs negatives)");
        }
        if self.per_class == 0 {
            bail!("`per-class` must be at least 1");
        }
        let usable = index.by_class.iter().filter(|c| !c.is_empty()).count();
        if usable < self.classes_per_batch {
            bail!(
                "`classes-per-batch` {} but the training data has only {usable} classes",
                self.classes_per_batch
            );
        }
        if !self.replacement {
            if let Some((c, items)) = index
                .by_class
                .iter()
                .enumerate()
                .find(|(_, items)| !items.is_empty() && items.len() < self.per_class)
            {
                let name = class_names.get(c).map(String::as_str).unwrap_or("?");
                bail!(
                    "class '{name}' has {} training examples, fewer than `per-class` {}; lower `per-class` or allow `pk-replacement`",
                    items.len(),
                    self.per_class
                );
            }
        }
        Ok(())
    }

    /// `n_batches` batches of `P·K` items, ordered class by class (K consecutive items share a class).
    pub fn batches<R: Rng>(
        &self,
        index: &ClassIndex,
        n_batches: usize,
        rng: &mut R,
    ) -> Vec<Vec<usize>> {
        let classes: Vec<usize> = (0..index.by_class.len())
            .filter(|&c| {
                let n = index.by_class[c].len();
                n >= self.per_class || (self.replacement && n > 0)
            })
            .collect();
        (0..n_batches)
            .map(|_| {
                let chosen: Vec<usize> = classes
                    .choose_multiple(rng, self.classes_per_batch)
                    .copied()
                    .collect();
                let mut batch = Vec::with_capacity(self.batch_size());
                for c in chosen {
                    let items = &index.by_class[c];
                    if items.len() >= self.per_class {
                        let mut picked: Vec<usize> = items
                            .choose_multiple(rng, self.per_class)
                            .copied()
                            .collect();
                        picked.shuffle(rng);
                        batch.extend(picked);
                    } else {
                        batch.extend(
                            (0..self.per_class).map(|_| items[rng.random_range(0..items.len())]),
                        );
                    }
                }
                batch
            })
            .collect()
    }
}
