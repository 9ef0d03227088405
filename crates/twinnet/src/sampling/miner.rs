//! Online miners: which pairs or triplets of one batch are worth learning from.
//!
//! Every miner reads one `[B, B]` distance matrix (detached: mining picks tuples, it is not
//! differentiated) and the batch labels, and works with masks on the backend — no Rust loops
//! over pairs. What it returns are index tensors; the loss then gathers the differentiable
//! distances it needs, as pytorch-metric-learning separates miner and loss.

use anyhow::{bail, Result};
use burn::tensor::{Bool, Device, Int, Tensor};
use std::fmt;
use std::str::FromStr;

/// Elements of the largest intermediate mask a triplet miner builds at once; positive pairs are
/// processed in chunks below it, so batch-all at B = 1024 never builds a B³ tensor.
const MAX_MASK_ELEMENTS: usize = 1 << 20;

/// Which tuples of a batch to train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Miner {
    /// No mining: with P×K batches, every valid tuple (as batch-all).
    #[default]
    None,
    /// Every valid pair (contrastive) or triplet (a, p, n).
    BatchAll,
    /// Per anchor, its farthest positive and nearest negative.
    BatchHard,
    /// FaceNet's semi-hard triplets: negatives farther than the positive but within the margin.
    SemiHard,
    /// Online contrastive: positives farther than the nearest negative pair, negatives nearer
    /// than the farthest positive pair.
    HardPairs,
}

impl Miner {
    /// All choices, for help texts and errors.
    pub const NAMES: [&'static str; 5] =
        ["none", "batch-all", "batch-hard", "semi-hard", "hard-pairs"];
}

impl FromStr for Miner {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Self::None,
            "batch-all" => Self::BatchAll,
            "batch-hard" => Self::BatchHard,
            "semi-hard" => Self::SemiHard,
            "hard-pairs" => Self::HardPairs,
            other => {
                return Err(format!(
                    "unknown miner '{other}' (choose one of: {})",
                    Self::NAMES.join(", ")
                ))
            }
        })
    }
}

impl fmt::Display for Miner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::BatchAll => "batch-all",
            Self::BatchHard => "batch-hard",
            Self::SemiHard => "semi-hard",
            Self::HardPairs => "hard-pairs",
        })
    }
}

/// Tuples found in a batch, as indices into it.
#[derive(Debug, Clone)]
pub enum Mined {
    /// Pairs `(a, b)` and whether each is a same-class pair (1.0) or not (0.0).
    Pairs {
        /// First items.
        a: Tensor<1, Int>,
        /// Second items.
        b: Tensor<1, Int>,
        /// 1.0 for same class, 0.0 otherwise.
        same: Tensor<1>,
    },
    /// Triplets `(anchor, positive, negative)`.
    Triplets {
        /// Anchors.
        a: Tensor<1, Int>,
        /// Positives.
        p: Tensor<1, Int>,
        /// Negatives.
        n: Tensor<1, Int>,
    },
}

impl Mined {
    /// How many tuples the miner found.
    pub fn count(&self) -> usize {
        match self {
            Mined::Pairs { a, .. } | Mined::Triplets { a, .. } => a.dims()[0],
        }
    }
}

/// Same-class mask without the diagonal, and different-class mask, both `[B, B]`.
fn label_masks(labels: &Tensor<1, Int>) -> (Tensor<2, Bool>, Tensor<2, Bool>) {
    let b = labels.dims()[0];
    let device = labels.device();
    let row = labels.clone().unsqueeze_dim::<2>(1).expand([b, b]);
    let col = labels.clone().unsqueeze_dim::<2>(0).expand([b, b]);
    let same = row.equal(col);
    let eye = Tensor::<2, Int>::eye(b, &device).equal_elem(1);
    let pos = same.clone().bool_and(eye.bool_not());
    (pos, same.bool_not())
}

fn column(t: &Tensor<2, Int>, k: usize) -> Tensor<1, Int> {
    let n = t.dims()[0];
    t.clone().slice([0..n, k..k + 1]).reshape([n])
}

fn empty_int(device: &Device) -> Tensor<1, Int> {
    Tensor::<1, Int>::zeros([0], device)
}

impl Miner {
    /// Whether the miner gives pairs (for pair losses) or triplets.
    pub fn check(self, wants_triplets: bool) -> Result<()> {
        match (self, wants_triplets) {
            (Miner::SemiHard, false) => {
                bail!("the semi-hard miner gives triplets; use it with `loss` triplet")
            }
            (Miner::HardPairs, true) => {
                bail!("the hard-pairs miner gives pairs; use it with `loss` contrastive")
            }
            _ => Ok(()),
        }
    }

    /// Mines one batch. `dist` is the `[B, B]` distance matrix (detached), `labels` the class
    /// of each item, `margin` the loss margin (used by semi-hard).
    pub fn mine(
        self,
        dist: Tensor<2>,
        labels: &Tensor<1, Int>,
        margin: f32,
        triplets: bool,
    ) -> Mined {
        let (pos, neg) = label_masks(labels);
        match (self, triplets) {
            (Miner::None | Miner::BatchAll, false) => all_pairs(pos, neg),
            (Miner::None | Miner::BatchAll, true) => all_triplets(pos, neg),
            (Miner::BatchHard, true) => batch_hard(dist, pos, neg),
            (Miner::BatchHard, false) => match batch_hard(dist, pos, neg) {
                Mined::Triplets { a, p, n } => {
                    let device = a.device();
                    let k = a.dims()[0];
                    let same = Tensor::cat(
                        vec![
                            Tensor::<1>::ones([k], &device),
                            Tensor::<1>::zeros([k], &device),
                        ],
                        0,
                    );
                    Mined::Pairs {
                        a: Tensor::cat(vec![a.clone(), a], 0),
                        b: Tensor::cat(vec![p, n], 0),
                        same,
                    }
                }
                pairs => pairs,
            },
            (Miner::SemiHard, _) => semi_hard(dist, pos, neg, margin),
            (Miner::HardPairs, _) => hard_pairs(dist, pos, neg),
        }
    }
}

/// Pairs `i < j` selected by `mask`, with their same flag from `pos`.
fn upper_pairs(mask: Tensor<2, Bool>, pos: Tensor<2, Bool>) -> Mined {
    let b = mask.dims()[0];
    let device = mask.device();
    // `triu_mask` marks what is *not* in the triangle from `offset`; offset 1 = strictly above the diagonal.
    let upper = Tensor::<2, Bool>::triu_mask([b, b], 1, &device).bool_not();
    let idx = mask.bool_and(upper).argwhere();
    if idx.dims()[0] == 0 {
        return Mined::Pairs {
            a: empty_int(&device),
            b: empty_int(&device),
            same: Tensor::zeros([0], &device),
        };
    }
    let a = column(&idx, 0);
    let bb = column(&idx, 1);
    let flat = a.clone().mul_scalar(b as i64).add(bb.clone());
    let same = pos.float().reshape([b * b]).select(0, flat);
    Mined::Pairs { a, b: bb, same }
}

fn all_pairs(pos: Tensor<2, Bool>, neg: Tensor<2, Bool>) -> Mined {
    let any = pos.clone().bool_or(neg);
    upper_pairs(any, pos)
}

/// The positive pairs `(a, p)` of a batch, as index columns: `B·(K−1)` of them for P×K batches.
fn positive_pairs(pos: Tensor<2, Bool>) -> Option<(Tensor<1, Int>, Tensor<1, Int>)> {
    let idx = pos.argwhere();
    (idx.dims()[0] > 0).then(|| (column(&idx, 0), column(&idx, 1)))
}

/// Triplets from positive pairs `(a, p)` and a `[M, B]` mask of admissible negatives per pair,
/// processed in chunks of pairs so no intermediate exceeds [`MAX_MASK_ELEMENTS`]. The work is
/// `M · B = B²·(K−1)`: quadratic in the batch for a fixed K, never cubic.
fn triplets_from_pairs(
    a: Tensor<1, Int>,
    p: Tensor<1, Int>,
    b: usize,
    admissible: impl Fn(Tensor<1, Int>, Tensor<1, Int>) -> Tensor<2, Bool>,
) -> Mined {
    let device = a.device();
    let m = a.dims()[0];
    let chunk = (MAX_MASK_ELEMENTS / b.max(1)).clamp(1, m.max(1));
    let (mut aa, mut pp, mut nn) = (Vec::new(), Vec::new(), Vec::new());
    let mut start = 0;
    while start < m {
        let end = (start + chunk).min(m);
        let (ca, cp) = (
            a.clone().narrow(0, start, end - start),
            p.clone().narrow(0, start, end - start),
        );
        let idx = admissible(ca.clone(), cp.clone()).argwhere();
        if idx.dims()[0] > 0 {
            let row = column(&idx, 0);
            aa.push(ca.select(0, row.clone()));
            pp.push(cp.select(0, row));
            nn.push(column(&idx, 1));
        }
        start = end;
    }
    if aa.is_empty() {
        return Mined::Triplets {
            a: empty_int(&device),
            p: empty_int(&device),
            n: empty_int(&device),
        };
    }
    Mined::Triplets {
        a: Tensor::cat(aa, 0),
        p: Tensor::cat(pp, 0),
        n: Tensor::cat(nn, 0),
    }
}

/// Every `(a, p, n)` with `p` a positive and `n` a negative of `a`.
fn all_triplets(pos: Tensor<2, Bool>, neg: Tensor<2, Bool>) -> Mined {
    let b = pos.dims()[0];
    let Some((a, p)) = positive_pairs(pos) else {
        let device = neg.device();
        return Mined::Triplets {
            a: empty_int(&device),
            p: empty_int(&device),
            n: empty_int(&device),
        };
    };
    triplets_from_pairs(a, p, b, |a, _| neg.clone().select(0, a))
}

fn batch_hard(dist: Tensor<2>, pos: Tensor<2, Bool>, neg: Tensor<2, Bool>) -> Mined {
    let device = dist.device();
    let b = dist.dims()[0];
    let far_pos = dist
        .clone()
        .mask_fill(pos.clone().bool_not(), f32::NEG_INFINITY)
        .argmax(1)
        .reshape([b]);
    let near_neg = dist
        .mask_fill(neg.clone().bool_not(), f32::INFINITY)
        .argmin(1)
        .reshape([b]);
    let valid = pos.any_dim(1).bool_and(neg.any_dim(1)).reshape([b]);
    let anchors = valid.argwhere();
    if anchors.dims()[0] == 0 {
        return Mined::Triplets {
            a: empty_int(&device),
            p: empty_int(&device),
            n: empty_int(&device),
        };
    }
    let a = column(&anchors, 0);
    Mined::Triplets {
        p: far_pos.select(0, a.clone()),
        n: near_neg.select(0, a.clone()),
        a,
    }
}

/// For each positive pair (a, p), the nearest negative n with `D(a,p) < D(a,n) < D(a,p) + m`;
/// pairs with no such negative are skipped.
fn semi_hard(dist: Tensor<2>, pos: Tensor<2, Bool>, neg: Tensor<2, Bool>, margin: f32) -> Mined {
    let b = dist.dims()[0];
    let device = dist.device();
    let none = || Mined::Triplets {
        a: empty_int(&device),
        p: empty_int(&device),
        n: empty_int(&device),
    };
    let Some((a, p)) = positive_pairs(pos) else {
        return none();
    };
    // Window of admissible negatives for every positive pair: [M, B].
    let m = a.dims()[0];
    let d_an = dist.clone().select(0, a.clone());
    let d_ap = dist
        .reshape([b * b])
        .select(0, a.clone().mul_scalar(b as i64).add(p.clone()))
        .reshape([m, 1])
        .expand([m, b]);
    let window = neg
        .select(0, a.clone())
        .bool_and(d_an.clone().greater(d_ap.clone()))
        .bool_and(d_an.clone().lower(d_ap.add_scalar(margin)));
    let choice = d_an
        .mask_fill(window.clone().bool_not(), f32::INFINITY)
        .argmin(1)
        .reshape([m]);
    let found = window.any_dim(1).reshape([m]).argwhere();
    if found.dims()[0] == 0 {
        return none();
    }
    let rows = column(&found, 0);
    Mined::Triplets {
        a: a.select(0, rows.clone()),
        p: p.select(0, rows.clone()),
        n: choice.select(0, rows),
    }
}

/// Online contrastive mining over the whole batch.
fn hard_pairs(dist: Tensor<2>, pos: Tensor<2, Bool>, neg: Tensor<2, Bool>) -> Mined {
    let b = dist.dims()[0];
    let max_pos = dist
        .clone()
        .mask_fill(pos.clone().bool_not(), f32::NEG_INFINITY)
        .max()
        .reshape([1, 1])
        .expand([b, b]);
    let min_neg = dist
        .clone()
        .mask_fill(neg.clone().bool_not(), f32::INFINITY)
        .min()
        .reshape([1, 1])
        .expand([b, b]);
    let hard_pos = pos.clone().bool_and(dist.clone().greater(min_neg));
    let hard_neg = neg.bool_and(dist.lower(max_pos));
    upper_pairs(hard_pos.bool_or(hard_neg), pos)
}
