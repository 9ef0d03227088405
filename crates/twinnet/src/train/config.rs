//! The recipe of a training run.

use crate::data::AugmentConfig;
use crate::distance::Distance;
use crate::loss::{LossKind, Reducer};
use crate::sampling::Miner;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which optimiser updates the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba).
    #[default]
    Adam,
    /// Stochastic gradient descent with momentum 0.9.
    Sgd,
}

impl FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "adam" => Ok(Self::Adam),
            "sgd" => Ok(Self::Sgd),
            other => Err(format!(
                "unknown optimizer '{other}' (choose one of: adam, sgd)"
            )),
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Adam => "adam",
            Self::Sgd => "sgd",
        })
    }
}

/// How training batches are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Balanced random pairs (or random triplets), fresh every epoch.
    #[default]
    Pairs,
    /// P classes × K examples per batch, for miners and in-batch losses.
    Pk,
    /// Instance discrimination (SimCLR-like): each batch holds two augmented views of each of
    /// `--classes-per-batch` distinct items; with `--loss mnrl` every item must find its own
    /// other view. Learns features that do not depend on the training classes.
    Views,
}

impl FromStr for SamplerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pairs" => Ok(Self::Pairs),
            "pk" => Ok(Self::Pk),
            "views" => Ok(Self::Views),
            other => Err(format!(
                "unknown sampler '{other}' (choose one of: pairs, pk, views)"
            )),
        }
    }
}

impl fmt::Display for SamplerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pairs => "pairs",
            Self::Pk => "pk",
            Self::Views => "views",
        })
    }
}

/// Everything about a run except the data and the tower shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Pairs (or triplets) per optimisation step.
    pub batch_size: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Loss.
    pub loss: LossKind,
    /// Margin of the loss.
    pub margin: f32,
    /// Distance between embeddings.
    pub distance: Distance,
    /// Seed of every random choice.
    pub seed: u64,
    /// Fraction of the training items held out for validation and threshold calibration.
    pub validation_fraction: f64,
    /// Number of fixed validation pairs drawn from the held-out items.
    pub validation_pairs: usize,
    /// Pairs per epoch; `None` means one per training item.
    pub pairs_per_epoch: Option<usize>,
    /// How batches are drawn.
    pub sampler: SamplerKind,
    /// P of a P×K batch.
    pub classes_per_batch: usize,
    /// K of a P×K batch.
    pub per_class: usize,
    /// Allow drawing a class's examples with replacement when it has fewer than K.
    pub pk_replacement: bool,
    /// Which tuples of a P×K batch to train on.
    pub miner: Miner,
    /// How per-tuple losses are averaged.
    pub reducer: Reducer,
    /// Inverse temperature of the multiple-negatives ranking loss.
    pub mnrl_scale: f32,
    /// On-the-fly augmentation of training images (never of validation or evaluation).
    pub augment: Option<AugmentConfig>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 8,
            batch_size: 128,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            optimizer: OptimizerKind::Adam,
            loss: LossKind::Contrastive,
            margin: 1.0,
            distance: Distance::Euclidean,
            seed: 42,
            validation_fraction: 0.1,
            validation_pairs: 5000,
            pairs_per_epoch: None,
            sampler: SamplerKind::Pairs,
            classes_per_batch: 8,
            per_class: 4,
            pk_replacement: false,
            miner: Miner::None,
            reducer: Reducer::Mean,
            mnrl_scale: 20.0,
            augment: None,
        }
    }
}
