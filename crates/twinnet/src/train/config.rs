//! The recipe of a training run.

use super::optim::{LrSchedule, OptimSettings};
use crate::data::{AugmentConfig, Handwriting};
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
    /// Adam with decoupled weight decay (Loshchilov & Hutter), what text fine-tuning uses.
    AdamW,
}

impl FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "adam" => Ok(Self::Adam),
            "sgd" => Ok(Self::Sgd),
            "adamw" => Ok(Self::AdamW),
            other => Err(format!(
                "unknown optimizer '{other}' (choose one of: adam, adamw, sgd)"
            )),
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Adam => "adam",
            Self::Sgd => "sgd",
            Self::AdamW => "adamw",
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
    /// Learning-rate schedule after the warm-up.
    pub lr_schedule: LrSchedule,
    /// Fraction of all steps spent warming the learning rate up from 0.
    pub warmup_fraction: f64,
    /// Largest gradient norm (larger gradients are scaled down); `None` for no clipping.
    pub grad_clip: Option<f32>,
    /// Write the epoch with the best validation AUC as the model, not the last one.
    pub keep_best: bool,
    /// Stop once this many epochs in a row brought no better validation AUC.
    pub patience: Option<usize>,
    /// Also validate every this many optimiser steps (reported, and kept in `metrics.jsonl`).
    pub validate_every: Option<usize>,
    /// Handwriting preprocessing the data was read with; the model's manifest records it so
    /// questioned images are prepared the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handwriting: Option<Handwriting>,
    /// Classes held out whole for validation (class-disjoint validation, e.g. unseen writers);
    /// empty: `validation_fraction` of the items (of the writers, for signatures) is held out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validation_classes: Vec<String>,
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
            lr_schedule: LrSchedule::Constant,
            warmup_fraction: 0.0,
            grad_clip: None,
            keep_best: false,
            patience: None,
            validate_every: None,
            handwriting: None,
            validation_classes: Vec::new(),
        }
    }
}

impl TrainConfig {
    /// The objective of this recipe.
    pub fn objective(&self) -> crate::loss::Objective {
        crate::loss::Objective {
            loss: self.loss.objective_loss(),
            distance: self.distance,
            miner: self.miner,
            reducer: self.reducer,
            margin: self.margin,
            scale: self.mnrl_scale,
        }
    }

    /// The optimiser settings of this recipe.
    pub fn optim(&self) -> OptimSettings {
        OptimSettings {
            kind: self.optimizer,
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            schedule: self.lr_schedule,
            warmup_fraction: self.warmup_fraction,
            grad_clip: self.grad_clip,
        }
    }
}

impl TrainConfig {
    /// Refuses settings no run can train with (zero epochs, a rate that is not a positive
    /// finite number, a negative margin …), naming the recipe key.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.epochs == 0 || self.batch_size == 0 {
            anyhow::bail!("`epochs` and `batch-size` must be at least 1");
        }
        if self.validation_pairs < 2 {
            anyhow::bail!(
                "`val-pairs` must be at least 2 (a same and a different pair calibrate the threshold), not {}",
                self.validation_pairs
            );
        }
        positive("lr", self.learning_rate)?;
        non_negative("weight-decay", self.weight_decay)?;
        non_negative("margin", f64::from(self.margin))?;
        positive("mnrl-scale", f64::from(self.mnrl_scale))?;
        if !(0.0..1.0).contains(&self.warmup_fraction) {
            anyhow::bail!("`warmup` must be in [0, 1), not {}", self.warmup_fraction);
        }
        if let Some(c) = self.grad_clip {
            positive("grad-clip", f64::from(c))?;
        }
        check_loop_counts(self.validate_every, self.patience)
    }
}

/// Refuses a value that is not a positive finite number, naming the recipe key.
pub(crate) fn positive(key: &str, v: f64) -> anyhow::Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        anyhow::bail!("`{key}` must be a positive finite number, not {v}")
    }
}

/// Refuses a value that is not a finite number ≥ 0, naming the recipe key.
pub(crate) fn non_negative(key: &str, v: f64) -> anyhow::Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        anyhow::bail!("`{key}` must be a finite number ≥ 0, not {v}")
    }
}

/// Refuses a validation interval or a patience of 0.
pub(crate) fn check_loop_counts(
    validate_every: Option<usize>,
    patience: Option<usize>,
) -> anyhow::Result<()> {
    if validate_every == Some(0) {
        anyhow::bail!("`validate-every` must be at least 1 step");
    }
    if patience == Some(0) {
        anyhow::bail!("`patience` must be at least 1 epoch");
    }
    Ok(())
}
