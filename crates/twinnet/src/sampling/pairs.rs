//! Balanced pairs and random triplets over class labels.

use anyhow::{bail, Result};
use rand::seq::SliceRandom;
use rand::Rng;

/// Items grouped by class, the lookup every sampler needs.
#[derive(Debug, Clone)]
pub struct ClassIndex {
    /// `by_class[c]` lists the items of class `c`.
    pub by_class: Vec<Vec<usize>>,
    /// The items that may be drawn.
    pub items: Vec<usize>,
    /// Class of every item of the underlying data (indexed by item, not by position in `items`).
    pub labels: Vec<usize>,
}

impl ClassIndex {
    /// Groups all items by `labels` (class index per item, `< n_classes`).
    pub fn new(labels: &[usize], n_classes: usize) -> Self {
        let all: Vec<usize> = (0..labels.len()).collect();
        Self::subset(labels, &all, n_classes)
    }

    /// Groups only `items` (indices into `labels`), e.g. the training part of a split.
    pub fn subset(labels: &[usize], items: &[usize], n_classes: usize) -> Self {
        let mut by_class = vec![Vec::new(); n_classes];
        for &i in items {
            by_class[labels[i]].push(i);
        }
        Self {
            by_class,
            items: items.to_vec(),
            labels: labels.to_vec(),
        }
    }

    /// Items whose class has at least one other item: the only possible anchors of a positive.
    fn positive_anchors(&self) -> Vec<usize> {
        self.by_class
            .iter()
            .filter(|items| items.len() >= 2)
            .flatten()
            .copied()
            .collect()
    }

    fn non_empty_classes(&self) -> usize {
        self.by_class.iter().filter(|c| !c.is_empty()).count()
    }

    /// Explains why this selection cannot give both positive and negative pairs, if it cannot.
    pub fn check_pairable(&self) -> Result<()> {
        let classes = self.non_empty_classes();
        if classes < 2 {
            bail!(
                "the selected data has {classes} class(es) with examples; pairs need at least 2 classes for negatives"
            );
        }
        if self.positive_anchors().is_empty() {
            bail!("no selected class has two examples, so no positive pair can be formed");
        }
        Ok(())
    }
}

/// `n` pairs, half positive (same class) and half negative, in random order.
///
/// Positive anchors are drawn uniformly from items whose class has a second item; negatives
/// pair a uniform item with a uniform item of another class. Returns `(a, b, same)`.
pub fn balanced_pairs<R: Rng>(
    index: &ClassIndex,
    n: usize,
    rng: &mut R,
) -> Result<Vec<(usize, usize, bool)>> {
    index.check_pairable()?;
    let anchors = index.positive_anchors();
    let items = &index.items;
    let mut pairs = Vec::with_capacity(n);
    for k in 0..n {
        if k % 2 == 0 {
            let a = anchors[rng.random_range(0..anchors.len())];
            let class = &index.by_class[index.labels[a]];
            let b = loop {
                let b = class[rng.random_range(0..class.len())];
                if b != a {
                    break b;
                }
            };
            pairs.push((a, b, true));
        } else {
            let a = items[rng.random_range(0..items.len())];
            let b = loop {
                let b = items[rng.random_range(0..items.len())];
                if index.labels[b] != index.labels[a] {
                    break b;
                }
            };
            pairs.push((a, b, false));
        }
    }
    pairs.shuffle(rng);
    Ok(pairs)
}

/// `n` triplets `(anchor, positive, negative)` with a random anchor that has a positive.
pub fn random_triplets<R: Rng>(
    index: &ClassIndex,
    n: usize,
    rng: &mut R,
) -> Result<Vec<(usize, usize, usize)>> {
    index.check_pairable()?;
    let anchors = index.positive_anchors();
    let items = &index.items;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let a = anchors[rng.random_range(0..anchors.len())];
        let class = &index.by_class[index.labels[a]];
        let p = loop {
            let p = class[rng.random_range(0..class.len())];
            if p != a {
                break p;
            }
        };
        let neg = loop {
            let x = items[rng.random_range(0..items.len())];
            if index.labels[x] != index.labels[a] {
                break x;
            }
        };
        out.push((a, p, neg));
    }
    Ok(out)
}

/// Splits `0..n` into `(train, held_out)` with `fraction` held out, shuffled by `rng`.
pub fn split_indices<R: Rng>(n: usize, fraction: f64, rng: &mut R) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    let held = ((n as f64) * fraction).round() as usize;
    let held = held.min(n);
    let val = idx[..held].to_vec();
    let mut train = idx[held..].to_vec();
    train.sort_unstable();
    let mut val = val;
    val.sort_unstable();
    (train, val)
}
