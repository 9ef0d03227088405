//! One objective for every modality, in pytorch-metric-learning's shape: a distance, a miner,
//! a loss and a reducer, with one `forward(embeddings, structure)`.
//!
//! Fixed pairs and triplets from a sampler and tuples mined from a labelled batch take the same
//! path: the structure says which rows of the embedding matrix belong together, the objective
//! turns them into one loss and says how many tuples it saw. A batch with nothing to learn from
//! (a miner found no tuple) gives `None`, and the trainer skips it.

use super::{
    bce_with_logits, contrastive_loss, contrastive_targets, cosent_loss, cosine_mse_loss,
    mined_loss, mnrl_candidates_loss, online_contrastive_loss, triplet_loss, KochHead, Reducer,
};
use crate::distance::Distance;
use crate::sampling::{Mined, Miner};
use burn::tensor::{Int, Tensor, TensorData};

/// Which loss the objective computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectiveLoss {
    /// The seed's contrastive loss on pairs (fixed or mined).
    Contrastive,
    /// Contrastive on the hard pairs of a batch of fixed pairs only.
    OnlineContrastive,
    /// `max(0, D(a,p) − D(a,n) + m)` on triplets (fixed or mined).
    Triplet,
    /// Multiple-negatives ranking: each anchor must pick its own positive among the batch's.
    Mnrl,
    /// CoSENT on gold scores of pairs.
    Cosent,
    /// Squared error between cosine similarity and the gold score of pairs.
    Mse,
    /// Koch's learned head on pairs (fixed or mined), binary cross-entropy.
    Koch,
}

/// Which rows of a batch's embeddings `[rows, dim]` belong together.
#[derive(Debug, Clone, Copy)]
pub enum Structure<'a> {
    /// Rows `0..n` are the first items of `n` pairs, rows `n..2n` the second.
    Pairs {
        /// Whether each pair is a same pair.
        same: &'a [bool],
        /// Gold similarity of each pair (the label as 0/1 when there is no score).
        gold: &'a [f32],
    },
    /// Rows `0..n` anchors, `n..2n` positives, `2n..3n` negatives.
    Triplets,
    /// Rows are items of the given classes (a P×K batch); tuples are mined.
    Labels(&'a [i64]),
    /// Rows come in consecutive groups of `size` of one class; the first two of each group are
    /// an anchor and its positive (MNRL on P×K batches, two views of one item).
    Groups {
        /// Rows per group.
        size: usize,
    },
}

/// Distance + miner + loss + reducer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// The loss.
    pub loss: ObjectiveLoss,
    /// How embeddings are compared (and how a miner ranks them).
    pub distance: Distance,
    /// Which tuples of a labelled batch train.
    pub miner: Miner,
    /// How per-tuple losses become one number.
    pub reducer: Reducer,
    /// Margin of the contrastive and triplet losses, and of semi-hard mining.
    pub margin: f32,
    /// Inverse temperature of MNRL and CoSENT.
    pub scale: f32,
}

impl Objective {
    /// The loss of one batch and the tuples it saw; `None` when there was nothing to learn from.
    /// `head` is the learned pair head of [`ObjectiveLoss::Koch`].
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use twinnet::loss::{Objective, ObjectiveLoss, Reducer, Structure};
    /// use twinnet::{backend::inference_device, sampling::Miner, Distance};
    /// let objective = Objective {
    ///     loss: ObjectiveLoss::Contrastive, distance: Distance::Euclidean, miner: Miner::None,
    ///     reducer: Reducer::Mean, margin: 1.0, scale: 20.0,
    /// };
    /// // Two pairs: a same pair at distance 0.5, a different pair at distance 0.25.
    /// let e = Tensor::<2>::from_floats([[0.0, 0.0], [0.0, 0.0], [0.5, 0.0], [0.25, 0.0]], &inference_device());
    /// let s = Structure::Pairs { same: &[true, false], gold: &[1.0, 0.0] };
    /// let (loss, tuples) = objective.forward(e, s, None).unwrap();
    /// // (½·0.5² + ½·0.75²) / 2
    /// assert!((loss.into_scalar::<f32>() - 0.203125).abs() < 1e-6);
    /// assert_eq!(tuples, 2);
    /// ```
    pub fn forward(
        &self,
        e: Tensor<2>,
        structure: Structure<'_>,
        head: Option<&KochHead>,
    ) -> Option<(Tensor<1>, usize)> {
        let device = e.device();
        let [rows, dim] = e.dims();
        let d = self.distance;
        let part =
            |e: &Tensor<2>, k: usize, n: usize| e.clone().slice([k * n..(k + 1) * n, 0..dim]);
        match structure {
            Structure::Pairs { same, gold } => {
                let n = same.len();
                let (ea, eb) = (part(&e, 0, n), part(&e, 1, n));
                let similarity = |ea, eb| d.pairwise(ea, eb).neg().add_scalar(1.0);
                let loss = match self.loss {
                    ObjectiveLoss::Koch => {
                        let s: Vec<f32> = same.iter().map(|&s| f32::from(u8::from(s))).collect();
                        let s = Tensor::from_data(TensorData::new(s, [n]), &device);
                        bce_with_logits(head?.logits(ea, eb), s)
                    }
                    ObjectiveLoss::Mnrl => mnrl_candidates_loss(ea, eb, self.scale),
                    ObjectiveLoss::OnlineContrastive => {
                        online_contrastive_loss(d.pairwise(ea, eb), same, self.margin)
                    }
                    ObjectiveLoss::Cosent => cosent_loss(similarity(ea, eb), gold, self.scale),
                    ObjectiveLoss::Mse => {
                        let g = Tensor::from_data(TensorData::new(gold.to_vec(), [n]), &device);
                        cosine_mse_loss(similarity(ea, eb), g)
                    }
                    ObjectiveLoss::Contrastive | ObjectiveLoss::Triplet => {
                        let s: Vec<f32> = same.iter().map(|&s| f32::from(u8::from(s))).collect();
                        let s = Tensor::from_data(TensorData::new(s, [n]), &device);
                        let per_pair = contrastive_loss(
                            d.pairwise(ea, eb),
                            contrastive_targets(s),
                            self.margin,
                        );
                        self.reducer.reduce(per_pair)
                    }
                };
                Some((loss, n))
            }
            Structure::Triplets => {
                let n = rows / 3;
                let (a, p, neg) = (part(&e, 0, n), part(&e, 1, n), part(&e, 2, n));
                let loss = if self.loss == ObjectiveLoss::Mnrl {
                    // The triplets' negatives join the in-batch candidates as hard negatives.
                    mnrl_candidates_loss(a, Tensor::cat(vec![p, neg], 0), self.scale)
                } else {
                    let per =
                        triplet_loss(d.pairwise(a.clone(), p), d.pairwise(a, neg), self.margin);
                    self.reducer.reduce(per)
                };
                Some((loss, n))
            }
            Structure::Groups { size } => {
                let groups = rows / size;
                let idx = |off: usize| {
                    let v: Vec<i64> = (0..groups).map(|c| (c * size + off) as i64).collect();
                    Tensor::<1, Int>::from_data(TensorData::new(v, [groups]), &device)
                };
                let (a, p) = (e.clone().select(0, idx(0)), e.select(0, idx(1)));
                Some((mnrl_candidates_loss(a, p, self.scale), groups))
            }
            Structure::Labels(labels) => {
                let l =
                    Tensor::<1, Int>::from_data(TensorData::new(labels.to_vec(), [rows]), &device);
                if self.loss == ObjectiveLoss::Koch {
                    let dist = d.matrix(e.clone()).detach();
                    let Mined::Pairs { a, b, same } = self.miner.mine(dist, &l, self.margin, false)
                    else {
                        return None;
                    };
                    let count = a.dims()[0];
                    if count == 0 {
                        return None;
                    }
                    let logits = head?.logits(e.clone().select(0, a), e.select(0, b));
                    return Some((bce_with_logits(logits, same), count));
                }
                let dist = d.matrix(e);
                let triplets = self.loss == ObjectiveLoss::Triplet;
                let mined = self
                    .miner
                    .mine(dist.clone().detach(), &l, self.margin, triplets);
                let count = mined.count();
                if count == 0 {
                    return None;
                }
                Some((
                    self.reducer.reduce(mined_loss(&dist, &mined, self.margin)),
                    count,
                ))
            }
        }
    }
}
