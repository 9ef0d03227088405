//! The loss of one batch, for every sampler × loss × miner combination.
//!
//! Every input of a batch goes through the one tower in a single batched forward pass.

use super::data::Split;
use super::net::SiameseNet;
use super::{SamplerKind, TrainConfig};
use crate::batch::InputSpec;
use crate::loss::{
    bce_with_logits, contrastive_target, mined_loss, mnrl_loss, ContrastiveLoss, LossKind,
    TripletLoss,
};
use crate::sampling::{rng_for, Mined};
use burn::tensor::{Device, Int, Tensor, TensorData};

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
/// nothing to learn from.
pub(crate) fn batch_loss(
    net: &SiameseNet,
    batch: &Batch,
    inputs: BatchInputs,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    device: &Device,
) -> Option<(Tensor<1>, usize)> {
    let mut slots = inputs.0.into_iter().map(|buf| input.tensor(buf, device));
    let mut images = || slots.next().expect("one input buffer per tuple position");
    match batch {
        Batch::Tuples(tuples) => {
            let n = tuples.len();
            if cfg.loss == LossKind::Triplet {
                let (xa, xp, xn) = (images(), images(), images());
                let (ea, ep, en) = net.tower.embed_triplet(xa, xp, xn);
                let d_ap = cfg.distance.pairwise(ea.clone(), ep);
                let d_an = cfg.distance.pairwise(ea, en);
                return Some((TripletLoss { margin: cfg.margin }.forward(d_ap, d_an), n));
            }
            let (xa, xb) = (images(), images());
            let (ea, eb) = net.tower.embed_pair(xa, xb);
            if let (LossKind::Koch, Some(head)) = (cfg.loss, &net.head) {
                let same: Vec<f32> = tuples
                    .iter()
                    .map(|(_, s)| if *s { 1.0 } else { 0.0 })
                    .collect();
                let same = Tensor::from_data(TensorData::new(same, [n]), device);
                return Some((bce_with_logits(head.logits(ea, eb), same), n));
            }
            let target: Vec<f32> = tuples.iter().map(|(_, s)| contrastive_target(*s)).collect();
            let target = Tensor::from_data(TensorData::new(target, [n]), device);
            Some((
                ContrastiveLoss { margin: cfg.margin }
                    .forward(cfg.distance.pairwise(ea, eb), target),
                n,
            ))
        }
        Batch::Pk(items) => {
            let emb = net.tower.forward(images());
            let labels: Vec<i64> = items.iter().map(|&i| split.label(i) as i64).collect();
            let b = items.len();
            let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [b]), device);
            match cfg.loss {
                LossKind::Mnrl => {
                    // The first two items of each class: anchor and positive; the other
                    // classes' positives are the anchor's negatives.
                    let k = if cfg.sampler == SamplerKind::Views {
                        2
                    } else {
                        cfg.per_class
                    };
                    let idx = |off: usize| {
                        let v: Vec<i64> = (0..b / k).map(|c| (c * k + off) as i64).collect();
                        let n = v.len();
                        Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device)
                    };
                    let (a, p) = (emb.clone().select(0, idx(0)), emb.select(0, idx(1)));
                    Some((mnrl_loss(a, p, cfg.mnrl_scale), b / k))
                }
                LossKind::Koch => {
                    let head = net.head.as_ref()?;
                    let dist = cfg.distance.matrix(emb.clone()).detach();
                    let Mined::Pairs { a, b: bb, same } =
                        cfg.miner.mine(dist, &labels, cfg.margin, false)
                    else {
                        return None;
                    };
                    let count = a.dims()[0];
                    if count == 0 {
                        return None;
                    }
                    let logits = head.logits(emb.clone().select(0, a), emb.select(0, bb));
                    Some((bce_with_logits(logits, same), count))
                }
                LossKind::Contrastive | LossKind::Triplet => {
                    let dist = cfg.distance.matrix(emb);
                    let mined = cfg.miner.mine(
                        dist.clone().detach(),
                        &labels,
                        cfg.margin,
                        cfg.loss.wants_triplets(),
                    );
                    let count = mined.count();
                    if count == 0 {
                        return None;
                    }
                    Some((
                        cfg.reducer.reduce(mined_loss(&dist, &mined, cfg.margin)),
                        count,
                    ))
                }
            }
        }
    }
}
