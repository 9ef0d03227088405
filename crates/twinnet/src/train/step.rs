//! One image batch: its inputs (built and augmented on the loader thread) and its loss through
//! the one tower and the one [`Objective`](crate::loss::Objective).

use super::data::Split;
use super::net::SiameseNet;
use super::{SamplerKind, TrainConfig};
use crate::batch::InputSpec;
use crate::loss::{LossKind, Structure};
use crate::sampling::rng_for;
use crate::tower::Encoder;
use burn::tensor::{Device, Tensor};

/// One batch of training work.
pub(crate) enum Batch {
    /// Fixed tuples: `(items, same)`; pairs have 2 items, triplets 3.
    Tuples(Vec<(Vec<usize>, bool)>),
    /// A P×K batch of items (K consecutive items share a class).
    Pk(Vec<usize>),
}

impl Batch {
    /// Pairs, triplets or items in the batch (the unit of the throughput figure).
    pub fn len(&self) -> usize {
        match self {
            Batch::Tuples(t) => t.len(),
            Batch::Pk(items) => items.len(),
        }
    }
}

/// The normalised (and augmented) pixels of a batch: one buffer per tuple position (one for a
/// P×K batch). Built on the loader thread while the previous batch trains.
pub(crate) struct BatchInputs(Vec<Vec<f32>>);

/// The inputs of `batch`. Augmentation draws from the stream of `(epoch, step)`, so the
/// result does not depend on which thread builds it.
pub(crate) fn batch_inputs(
    batch: &Batch,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    aug_seed: (u64, u64),
) -> BatchInputs {
    let images = |items: &[usize]| -> Vec<f32> {
        match &cfg.augment {
            None => input.normalized(items.iter().map(|&i| split.item(i))),
            Some(aug) => {
                let mut rng = rng_for(cfg.seed ^ 0xA06, aug_seed.0, aug_seed.1);
                let owned: Vec<Vec<f32>> = items
                    .iter()
                    .map(|&i| aug.apply(split.item(i), split.shape, &mut rng))
                    .collect();
                input.normalized(owned.iter().map(Vec::as_slice))
            }
        }
    };
    BatchInputs(match batch {
        Batch::Tuples(tuples) => {
            let arity = tuples.first().map_or(0, |(t, _)| t.len());
            (0..arity)
                .map(|k| images(&tuples.iter().map(|(t, _)| t[k]).collect::<Vec<_>>()))
                .collect()
        }
        Batch::Pk(items) => vec![images(items)],
    })
}

/// The loss of a batch and how many tuples it was computed over; `None` when a miner found
/// nothing to learn from. Every input of the batch goes through the one tower in a single
/// batched forward pass; the objective sees the embeddings and the batch's structure.
pub(crate) fn batch_loss(
    net: &SiameseNet,
    batch: &Batch,
    inputs: BatchInputs,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    device: &Device,
) -> Option<(Tensor<1>, usize)> {
    let objective = cfg.objective();
    let head = net.head.as_ref();
    match batch {
        Batch::Tuples(tuples) => {
            let all: Vec<Tensor<4>> = inputs
                .0
                .into_iter()
                .map(|buf| input.tensor(buf, device))
                .collect();
            let e = net.tower.encode(Tensor::cat(all, 0));
            if cfg.loss == LossKind::Triplet {
                return objective.forward(e, Structure::Triplets, head);
            }
            let same: Vec<bool> = tuples.iter().map(|(_, s)| *s).collect();
            let gold: Vec<f32> = same.iter().map(|&s| f32::from(u8::from(s))).collect();
            objective.forward(
                e,
                Structure::Pairs {
                    same: &same,
                    gold: &gold,
                },
                head,
            )
        }
        Batch::Pk(items) => {
            let buf = inputs
                .0
                .into_iter()
                .next()
                .expect("one input buffer for a P×K batch");
            let e = net.tower.encode(input.tensor(buf, device));
            if cfg.loss == LossKind::Mnrl {
                // The first two items of each class: anchor and positive; the other classes'
                // positives are the anchor's negatives.
                let size = if cfg.sampler == SamplerKind::Views {
                    2
                } else {
                    cfg.per_class
                };
                return objective.forward(e, Structure::Groups { size }, head);
            }
            let labels: Vec<i64> = items.iter().map(|&i| split.label(i) as i64).collect();
            objective.forward(e, Structure::Labels(&labels), head)
        }
    }
}
