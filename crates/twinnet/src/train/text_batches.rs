//! What one text training step sees: pairs, triplets or a P×K batch of labelled texts, all
//! texts of a step in one padded batch, and the loss each kind of data takes.

use super::text::{TextLoss, TextTrainConfig};
use crate::data::TextPairs;
use crate::loss::Structure;
use crate::sampling::{no_duplicate_batches, rng_for, stream, ClassIndex, PkSampler};
use anyhow::{bail, Result};
use burn::tensor::Tensor;
use rand::seq::SliceRandom;

/// The shuffled `order` in batches: for MNRL without a text repeated inside a batch (it would
/// be its own false negative), for the other losses in plain consecutive chunks.
fn batch_order<'a>(
    order: &[usize],
    cfg: &TextTrainConfig,
    keys: impl Fn(usize) -> Vec<&'a str>,
) -> Vec<Vec<usize>> {
    if cfg.loss == TextLoss::Mnrl {
        no_duplicate_batches(order, cfg.batch_size, keys)
    } else {
        order
            .chunks_exact(cfg.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// Training data for a text tower.
#[derive(Debug, Clone)]
pub enum TextTrainData {
    /// Pairs with labels or scores.
    Pairs(TextPairs),
    /// `(anchor, positive, negative)` texts.
    Triplets(Vec<[String; 3]>),
    /// Texts with a class each; P×K batches, tuples mined inside each batch.
    Labeled {
        /// The texts.
        texts: Vec<String>,
        /// Class index of each text.
        labels: Vec<usize>,
        /// Class names.
        classes: Vec<String>,
    },
}

impl TextTrainData {
    /// Every text in a fixed layout: pair i at 2i, 2i+1; triplet i at 3i..3i+3; text i at i.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Self::Pairs(p) => p
                .pairs
                .iter()
                .flat_map(|(a, b)| [a.as_str(), b.as_str()])
                .collect(),
            Self::Triplets(t) => t
                .iter()
                .flat_map(|r| r.iter().map(String::as_str))
                .collect(),
            Self::Labeled { texts, .. } => texts.iter().map(String::as_str).collect(),
        }
    }

    /// Training examples (pairs, triplets or texts).
    pub fn len(&self) -> usize {
        match self {
            Self::Pairs(p) => p.pairs.len(),
            Self::Triplets(t) => t.len(),
            Self::Labeled { texts, .. } => texts.len(),
        }
    }

    /// Whether there is nothing to train on.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuses a loss that cannot learn from this kind of data.
    pub fn check(&self, cfg: &TextTrainConfig) -> Result<()> {
        let ok = match self {
            Self::Pairs(_) => cfg.loss != TextLoss::Triplet,
            Self::Triplets(_) => matches!(cfg.loss, TextLoss::Triplet | TextLoss::Mnrl),
            Self::Labeled { .. } => matches!(cfg.loss, TextLoss::Triplet | TextLoss::Contrastive),
        };
        if !ok {
            let (kind, choices) = match self {
                Self::Pairs(_) => (
                    "pairs",
                    "contrastive, online-contrastive, mnrl, cosent, mse",
                ),
                Self::Triplets(_) => ("triplets", "triplet, mnrl"),
                Self::Labeled { .. } => ("labelled texts", "triplet, contrastive (with `miner`)"),
            };
            bail!(
                "`loss` {} cannot train on {kind}; choose one of: {choices}",
                cfg.loss
            );
        }
        Ok(())
    }
}

/// One step: positions (in [`TextTrainData::texts`]) of the texts to embed, in batch order, and
/// what the loss needs to know about them.
pub struct StepBatch {
    /// Text positions, embedded together in one padded forward pass.
    pub texts: Vec<usize>,
    /// What those texts are.
    pub targets: StepTargets,
}

/// The supervision of one step.
pub enum StepTargets {
    /// `texts` = the `n` first texts then the `n` second texts; labels and gold scores.
    Pairs {
        /// Same (label 1 or score ≥ 0.5) per pair.
        same: Vec<bool>,
        /// Gold target per pair.
        gold: Vec<f32>,
    },
    /// `texts` = anchors, positives, negatives (`n` each).
    Triplets,
    /// `texts` = the batch's items; their classes.
    Labeled(Vec<i64>),
}

/// The batches of one epoch, seeded by `(cfg.seed, epoch)`.
pub fn epoch_batches(
    data: &TextTrainData,
    cfg: &TextTrainConfig,
    epoch: usize,
) -> Result<Vec<StepBatch>> {
    let mut rng = rng_for(cfg.seed, stream::SHUFFLE, epoch as u64);
    let batches = match data {
        TextTrainData::Pairs(p) => {
            let same = p.same();
            // MNRL learns from the same pairs only (the batch's others are its negatives).
            let mut order: Vec<usize> = (0..p.pairs.len())
                .filter(|&i| cfg.loss != TextLoss::Mnrl || same[i])
                .collect();
            order.shuffle(&mut rng);
            batch_order(&order, cfg, |i| {
                vec![p.pairs[i].0.as_str(), p.pairs[i].1.as_str()]
            })
            .iter()
            .map(|c| StepBatch {
                texts: c
                    .iter()
                    .map(|&i| 2 * i)
                    .chain(c.iter().map(|&i| 2 * i + 1))
                    .collect(),
                targets: StepTargets::Pairs {
                    same: c.iter().map(|&i| same[i]).collect(),
                    gold: c.iter().map(|&i| p.targets[i]).collect(),
                },
            })
            .collect()
        }
        TextTrainData::Triplets(t) => {
            let mut order: Vec<usize> = (0..t.len()).collect();
            order.shuffle(&mut rng);
            batch_order(&order, cfg, |i| t[i].iter().map(String::as_str).collect())
                .iter()
                .map(|c| StepBatch {
                    texts: (0..3)
                        .flat_map(|k| c.iter().map(move |&i| 3 * i + k))
                        .collect(),
                    targets: StepTargets::Triplets,
                })
                .collect()
        }
        TextTrainData::Labeled {
            texts,
            labels,
            classes,
        } => {
            let index = ClassIndex::new(labels, classes.len());
            let sampler = PkSampler {
                classes_per_batch: cfg.classes_per_batch,
                per_class: cfg.per_class,
                replacement: true,
            };
            sampler.check(&index, classes)?;
            let n = (texts.len() / sampler.batch_size()).max(1);
            sampler
                .batches(&index, n, &mut rng)
                .into_iter()
                .map(|b| StepBatch {
                    targets: StepTargets::Labeled(b.iter().map(|&i| labels[i] as i64).collect()),
                    texts: b,
                })
                .collect()
        }
    };
    Ok(batches)
}

/// The loss of one step, `e` the embeddings of `batch.texts` in order, through the one
/// [`Objective`](crate::loss::Objective) on the cosine distance.
///
/// `None` when a miner found nothing in a P×K batch: the batch is skipped, as for images.
pub fn step_loss(
    cfg: &TextTrainConfig,
    e: Tensor<2>,
    batch: &StepBatch,
) -> Option<(Tensor<1>, usize)> {
    let objective = cfg.objective();
    let structure = match &batch.targets {
        StepTargets::Pairs { same, gold } => Structure::Pairs { same, gold },
        StepTargets::Triplets => Structure::Triplets,
        StepTargets::Labeled(labels) => Structure::Labels(labels),
    };
    objective.forward(e, structure, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PairTarget;

    #[test]
    fn mnrl_batches_never_repeat_a_text_and_the_other_losses_keep_plain_chunks() {
        // Eight positive pairs; "q" is the anchor of four of them.
        let pairs: Vec<(String, String)> = (0..8)
            .map(|i| {
                (
                    if i % 2 == 0 {
                        "q".to_string()
                    } else {
                        format!("a{i}")
                    },
                    format!("b{i}"),
                )
            })
            .collect();
        let data = TextTrainData::Pairs(TextPairs {
            pairs,
            targets: vec![1.0; 8],
            kind: PairTarget::Labels,
        });
        let mnrl = TextTrainConfig {
            loss: TextLoss::Mnrl,
            batch_size: 2,
            ..TextTrainConfig::default()
        };
        let texts = data.texts();
        for epoch in 1..4 {
            let batches = epoch_batches(&data, &mnrl, epoch).unwrap();
            // Greedy, like sentence-transformers' sampler: at most one q-pair per batch, so 3 or 4.
            assert!(
                (3..=4).contains(&batches.len()),
                "{} batches",
                batches.len()
            );
            for b in &batches {
                let mut seen: Vec<&str> = b.texts.iter().map(|&i| texts[i]).collect();
                seen.sort_unstable();
                let n = seen.len();
                seen.dedup();
                assert_eq!(seen.len(), n, "a text repeated in {:?}", b.texts);
            }
        }
        let plain = TextTrainConfig {
            loss: TextLoss::Contrastive,
            batch_size: 2,
            ..TextTrainConfig::default()
        };
        let repeats = (1..20).any(|e| {
            epoch_batches(&data, &plain, e)
                .unwrap()
                .iter()
                .any(|b| b.texts.iter().filter(|&&i| texts[i] == "q").count() > 1)
        });
        assert!(
            repeats,
            "without MNRL a batch may hold \"q\" twice (plain shuffled chunks)"
        );
    }
}
