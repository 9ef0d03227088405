//! What a run trains on, split once (seeded) into training and validation parts.

use crate::data::{Dataset, ImageShape, SignatureSet};
use crate::sampling::{
    balanced_pairs, rng_for, sampled_signature_pairs, split_indices, stream, ClassIndex,
    SignaturePair,
};
use anyhow::{bail, Context, Result};

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

    /// Splits `data`: `fraction` of the items (of the pairs; of the writers) held out, or the
    /// classes named in `val_classes` held out whole (signatures only, for now).
    pub fn new(
        data: Dataset,
        fraction: f64,
        val_pairs: usize,
        val_classes: &[String],
        seed: u64,
    ) -> Result<Self> {
        if !(0.0..1.0).contains(&fraction) || fraction == 0.0 {
            bail!("`val-fraction` must be in (0, 1); the threshold is calibrated on the validation split");
        }
        if !val_classes.is_empty() && !matches!(data, Dataset::Signatures(_)) {
            bail!("`val-classes` holds out writers of a signatures: folder; other data is split by `val-fraction`");
        }
        let split = match data {
            Dataset::Signatures(set) => {
                signature_split(set, fraction, val_pairs, val_classes, seed)
            }
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
                if train_pairs.is_empty() {
                    bail!("the pair list leaves no training pairs; lower `val-fraction`");
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
        }?;
        // Checked once here, not at every validation: the threshold is calibrated on these.
        let same: Vec<bool> = split.val_pairs.iter().map(|p| p.2).collect();
        crate::eval::require_same_and_different(&same).context(
            "the validation split cannot calibrate a threshold; add data or raise `val-fraction`",
        )?;
        Ok(split)
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

/// Writer-independent split of a signature set: validation writers never train, and the
/// training pairs are genuine, skilled and random pairs of the training writers.
fn signature_split(
    set: SignatureSet,
    fraction: f64,
    val_pairs: usize,
    val_classes: &[String],
    seed: u64,
) -> Result<Split> {
    let names = &set.images.class_names;
    let (train, val): (Vec<usize>, Vec<usize>) = if val_classes.is_empty() {
        split_indices(names.len(), fraction, &mut rng_for(seed, stream::SPLIT, 0))
    } else {
        (0..names.len()).partition(|&w| !val_classes.contains(&names[w]))
    };
    if train.len() < 2 || val.len() < 2 {
        bail!(
            "a signature split needs at least 2 training and 2 validation writers (random forgeries pair two writers); it has {} and {} of {} writers — choose `classes`, `val-classes` or `val-fraction` accordingly",
            train.len(),
            val.len(),
            names.len()
        );
    }
    let labels = &set.images.labels;
    let as_bool = |v: Vec<(usize, usize, SignaturePair)>| -> Vec<(usize, usize, bool)> {
        v.into_iter()
            .map(|(a, b, k)| (a, b, k == SignaturePair::Genuine))
            .collect()
    };
    let mut rng = rng_for(seed, stream::TRAIN, 0);
    let train_pairs = as_bool(sampled_signature_pairs(
        labels,
        &set.forged,
        &train,
        &mut rng,
    ));
    let mut vrng = rng_for(seed, stream::VALIDATION, 0);
    let mut val_all = sampled_signature_pairs(labels, &set.forged, &val, &mut vrng);
    // Shuffled, so a cap keeps every kind in proportion.
    val_all.truncate(val_pairs.max(2));
    let val_pairs = as_bool(val_all);
    if val_pairs.iter().all(|p| p.2) || val_pairs.iter().all(|p| !p.2) {
        bail!("the validation writers give only one kind of pair; raise `val-pairs`");
    }
    Ok(Split {
        shape: set.images.shape,
        train_index: None,
        train_items: Vec::new(),
        val_count: val_pairs.len(),
        train_pairs,
        val_pairs,
        pixels: set.images.pixels,
    })
}
