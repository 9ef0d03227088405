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

/// The loss of a batch and how many tuples it was computed over; `None` when a miner found
/// nothing to learn from.
pub(crate) fn batch_loss(
    net: &SiameseNet,
    batch: &Batch,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    device: &Device,
    aug_seed: (u64, u64),
) -> Option<(Tensor<1>, usize)> {
    let images = |items: &[usize]| -> Tensor<4> {
        match &cfg.augment {
            None => input.batch(
                &items.iter().map(|&i| split.item(i)).collect::<Vec<_>>(),
                device,
            ),
            Some(aug) => {
                let mut rng = rng_for(cfg.seed ^ 0xA06, aug_seed.0, aug_seed.1);
                let owned: Vec<Vec<f32>> = items
                    .iter()
                    .map(|&i| aug.apply(split.item(i), split.shape, &mut rng))
                    .collect();
                input.batch(&owned.iter().map(Vec::as_slice).collect::<Vec<_>>(), device)
            }
        }
    };
    match batch {
        Batch::Tuples(tuples) => {
            let slot = |k: usize| -> Vec<usize> { tuples.iter().map(|(t, _)| t[k]).collect() };
            let n = tuples.len();
            if cfg.loss == LossKind::Triplet {
                let (ea, ep, en) =
                    net.tower
                        .embed_triplet(images(&slot(0)), images(&slot(1)), images(&slot(2)));
                let d_ap = cfg.distance.pairwise(ea.clone(), ep);
                let d_an = cfg.distance.pairwise(ea, en);
                return Some((TripletLoss { margin: cfg.margin }.forward(d_ap, d_an), n));
            }
            let (ea, eb) = net.tower.embed_pair(images(&slot(0)), images(&slot(1)));
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
            let emb = net.tower.forward(images(items));
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
