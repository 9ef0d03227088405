//! Losses that turn distances between embeddings into a training signal.
//!
//! A loss only sees distances (and labels), never the tower: pytorch-metric-learning's split of
//! distance, loss and reduction keeps each piece testable on hand-made numbers.

mod contrastive;
mod koch;
mod mined;
mod mnrl;
mod objective;
mod reducer;
mod score_map;
mod scored;
mod triplet;

pub use contrastive::{contrastive_loss, contrastive_target, contrastive_targets, ContrastiveLoss};
pub use koch::{bce_with_logits, KochHead};
pub use mined::{gather_distances, mined_loss};
pub use mnrl::{mnrl_candidates_loss, mnrl_loss};
pub use objective::{Objective, ObjectiveLoss, Structure};
pub use reducer::Reducer;
pub use score_map::{score_map_loss, score_map_targets};
pub use scored::{cosent_loss, cosine_mse_loss, online_contrastive_loss};
pub use triplet::{triplet_loss, TripletLoss};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which loss a run trains with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// The seed's contrastive loss on pairs.
    #[default]
    Contrastive,
    /// `max(0, D(a,p) − D(a,n) + margin)` on triplets.
    Triplet,
    /// Multiple-negatives ranking (InfoNCE with in-batch negatives).
    Mnrl,
    /// Koch's learned head: weighted |e₁ − e₂| → sigmoid, binary cross-entropy.
    Koch,
}

impl LossKind {
    /// All choices, for help texts and error messages.
    pub const NAMES: [&'static str; 4] = ["contrastive", "triplet", "mnrl", "koch"];

    /// Whether the loss consumes triplets (else pairs).
    pub fn wants_triplets(self) -> bool {
        self == LossKind::Triplet
    }

    /// The objective's loss.
    pub fn objective_loss(self) -> ObjectiveLoss {
        match self {
            LossKind::Contrastive => ObjectiveLoss::Contrastive,
            LossKind::Triplet => ObjectiveLoss::Triplet,
            LossKind::Mnrl => ObjectiveLoss::Mnrl,
            LossKind::Koch => ObjectiveLoss::Koch,
        }
    }
}

impl FromStr for LossKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "contrastive" => Ok(LossKind::Contrastive),
            "triplet" => Ok(LossKind::Triplet),
            "mnrl" | "infonce" => Ok(LossKind::Mnrl),
            "koch" => Ok(LossKind::Koch),
            other => Err(format!(
                "unknown loss '{other}' (choose one of: {})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LossKind::Contrastive => "contrastive",
            LossKind::Triplet => "triplet",
            LossKind::Mnrl => "mnrl",
            LossKind::Koch => "koch",
        })
    }
}
