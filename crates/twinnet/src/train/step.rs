//! One image batch: its inputs (built and augmented on the loader thread) and its loss through
//! the one tower and the one [`Objective`](crate::loss::Objective).

use super::data::Split;
use super::net::SiameseNet;
use super::{SamplerKind, TrainConfig};
use crate::batch::InputSpec;
use crate::distributed::{gather_rows, share, Collective};
use crate::loss::{LossKind, Structure};
use crate::sampling::rng_for;
use crate::tower::Encoder;
use burn::tensor::{Device, Tensor};

/// One batch of training work (or one rank's share of it).
pub(crate) enum Batch {
    /// Fixed tuples: `(items, same)`; pairs have 2 items, triplets 3. `offset`: where the
    /// first tuple sits in the whole batch (0 unless this is a rank's share).
    Tuples {
        tuples: Vec<(Vec<usize>, bool)>,
        offset: usize,
    },
    /// A P×K batch of items (K consecutive items share a class); `offset` as for tuples.
    Pk { items: Vec<usize>, offset: usize },
}

impl Batch {
    /// A whole batch of tuples.
    pub fn tuples(tuples: Vec<(Vec<usize>, bool)>) -> Self {
        Batch::Tuples { tuples, offset: 0 }
    }

    /// A whole P×K batch.
    pub fn pk(items: Vec<usize>) -> Self {
        Batch::Pk { items, offset: 0 }
    }

    /// Pairs, triplets or items in the batch (the unit of the throughput figure).
    pub fn len(&self) -> usize {
        match self {
            Batch::Tuples { tuples, .. } => tuples.len(),
            Batch::Pk { items, .. } => items.len(),
        }
    }

    /// Rank `rank`'s contiguous share of `size`: tuples, or items of a P×K batch.
    pub fn share(&self, rank: usize, size: usize) -> Self {
        let part = share(self.len(), rank, size);
        match self {
            Batch::Tuples { tuples, offset } => Batch::Tuples {
                tuples: tuples[part.clone()].to_vec(),
                offset: offset + part.start,
            },
            Batch::Pk { items, offset } => Batch::Pk {
                items: items[part.clone()].to_vec(),
                offset: offset + part.start,
            },
        }
    }
}

/// The normalised (and augmented) pixels of a batch: one buffer per tuple position (one for a
/// P×K batch). Built on the loader thread while the previous batch trains.
pub(crate) struct BatchInputs(Vec<Vec<f32>>);

/// The inputs of `batch`. Augmentation draws from the stream of `(epoch, step)` and, within
/// it, one stream per slot of the whole batch (tuple position and index), so the result does
/// not depend on which thread builds it, nor on which rank builds which share.
pub(crate) fn batch_inputs(
    batch: &Batch,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    aug_seed: (u64, u64),
) -> BatchInputs {
    // Slot `first + j` of tuple position `position` gets its own stream.
    let images = |items: &[usize], position: u64, first: usize| -> Vec<f32> {
        match &cfg.augment {
            None => input.normalized(items.iter().map(|&i| split.item(i))),
            Some(aug) => {
                let owned: Vec<Vec<f32>> = items
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| {
                        let mut rng = rng_for(cfg.seed ^ 0xA06, aug_seed.0, aug_seed.1);
                        rng.set_stream(position << 32 | (first + j) as u64);
                        aug.apply(split.item(i), split.shape, &mut rng)
                    })
                    .collect();
                input.normalized(owned.iter().map(Vec::as_slice))
            }
        }
    };
    BatchInputs(match batch {
        Batch::Tuples { tuples, offset } => {
            let arity = tuples.first().map_or(0, |(t, _)| t.len());
            (0..arity)
                .map(|k| {
                    let items: Vec<usize> = tuples.iter().map(|(t, _)| t[k]).collect();
                    images(&items, k as u64, *offset)
                })
                .collect()
        }
        Batch::Pk { items, offset } => vec![images(items, 0, *offset)],
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
    let e = batch_embeddings(net, inputs, input, device);
    batch_objective(net, batch, e, split, cfg)
}

/// The embeddings of a batch's inputs: every tuple position's rows one after the other (one
/// block for a P×K batch), in one forward pass through the tower.
pub(crate) fn batch_embeddings(
    net: &SiameseNet,
    inputs: BatchInputs,
    input: &InputSpec,
    device: &Device,
) -> Tensor<2> {
    let all: Vec<Tensor<4>> = inputs
        .0
        .into_iter()
        .map(|buf| input.tensor(buf, device))
        .collect();
    net.tower.encode(Tensor::cat(all, 0))
}

/// The objective of a whole batch on its embeddings `e` (laid out as [`batch_embeddings`]
/// lays them out).
pub(crate) fn batch_objective(
    net: &SiameseNet,
    batch: &Batch,
    e: Tensor<2>,
    split: &Split,
    cfg: &TrainConfig,
) -> Option<(Tensor<1>, usize)> {
    let objective = cfg.objective();
    let head = net.head.as_ref();
    match batch {
        Batch::Tuples { tuples, .. } => {
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
        Batch::Pk { items, .. } => {
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

/// The whole batch's embeddings from this rank's (`local`, embedded from its share) and every
/// other rank's, gathered: each tuple position's rows in rank order, as one process embedding
/// the whole batch would lay them out.
pub(crate) fn gathered_embeddings(
    world: &dyn Collective,
    batch: &Batch,
    local: Tensor<2>,
) -> Tensor<2> {
    let size = world.size();
    let shares: Vec<usize> = (0..size)
        .map(|r| share(batch.len(), r, size).len())
        .collect();
    let arity = match batch {
        Batch::Tuples { tuples, .. } => tuples.first().map_or(1, |(t, _)| t.len()),
        Batch::Pk { .. } => 1,
    };
    let rows: Vec<usize> = shares.iter().map(|n| n * arity).collect();
    let parts = gather_rows(world, local, &rows);
    let mut blocks = Vec::with_capacity(arity * size);
    for k in 0..arity {
        for (part, &n) in parts.iter().zip(&shares) {
            blocks.push(part.clone().narrow(0, k * n, n));
        }
    }
    Tensor::cat(blocks, 0)
}
