//! Fine-tuning a pretrained text tower on text pairs: both texts of every pair go through the one
//! BERT in a single padded batch, the loss compares their embeddings, AdamW updates the shared
//! weights with a linear warm-up and decay (sentence-transformers' schedule).

use super::checkpoint::{load_modules, load_state, save_checkpoint};
use super::config::{check_loop_counts, non_negative, positive};
use super::engine::{run_epochs, LoopState, StepValidation, Task};
use super::observer::{EpochEnd, Observer, ProgressBars, Silent};
use super::optim::{LrSchedule, OptimSettings};
use super::run::write_jsonl;
use super::text_batches::{epoch_batches, step_loss, StepBatch, TextTrainData};
use super::OptimizerKind;
use crate::backend;
use crate::data::TextPairs;
use crate::distance::Distance;
use crate::eval::{
    calibrate_threshold, evaluate_text_pairs, tower_pair_distances, TextPairMetrics,
};
use crate::loss::{Objective, ObjectiveLoss, Reducer};
use crate::sampling::Miner;
use crate::text::{save_text_model, TextModel, TextTower, TOKENIZER_FILE};
use crate::tower::{Encoder, TokenBatch};
use anyhow::{bail, Result};
use burn::module::Module;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The training signal for text pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TextLoss {
    /// The seed's contrastive loss on the cosine distance (labels).
    #[default]
    Contrastive,
    /// Contrastive on the batch's hard pairs only (labels).
    OnlineContrastive,
    /// Multiple-negatives ranking: each text must pick its partner among the batch's (positive
    /// pairs only; the other pairs of the batch are the negatives).
    Mnrl,
    /// CoSENT on gold scores (or labels): only the order of the scores matters.
    Cosent,
    /// Squared error between cosine similarity and the gold score.
    Mse,
    /// `max(0, D(a,p) − D(a,n) + margin)` on cosine distance: triplet files, or labelled texts
    /// with a miner.
    Triplet,
}

impl TextLoss {
    /// All choices, for help texts and errors.
    pub const NAMES: [&'static str; 6] = [
        "contrastive",
        "online-contrastive",
        "mnrl",
        "cosent",
        "mse",
        "triplet",
    ];
}

impl std::fmt::Display for TextLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The same names the command line takes.
        let i = match self {
            Self::Contrastive => 0,
            Self::OnlineContrastive => 1,
            Self::Mnrl => 2,
            Self::Cosent => 3,
            Self::Mse => 4,
            Self::Triplet => 5,
        };
        f.write_str(Self::NAMES[i])
    }
}

impl std::str::FromStr for TextLoss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "contrastive" => Self::Contrastive,
            "online-contrastive" => Self::OnlineContrastive,
            "mnrl" => Self::Mnrl,
            "cosent" => Self::Cosent,
            "mse" => Self::Mse,
            "triplet" => Self::Triplet,
            other => {
                return Err(format!(
                    "unknown text loss '{other}' (choose one of: {})",
                    Self::NAMES.join(", ")
                ))
            }
        })
    }
}

/// A fine-tuning recipe. Defaults follow sentence-transformers' fit().
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextTrainConfig {
    /// The loss.
    pub loss: TextLoss,
    /// Passes over the training pairs.
    pub epochs: usize,
    /// Pairs per step (2 × texts through the tower).
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Fraction of all steps spent warming the learning rate up from 0.
    pub warmup_fraction: f64,
    /// Margin of the (online) contrastive loss on cosine distance.
    pub margin: f32,
    /// Inverse temperature of MNRL and CoSENT.
    pub scale: f32,
    /// Seed of the batch order.
    pub seed: u64,
    /// Labelled texts: which tuples of a P×K batch the loss sees.
    pub miner: Miner,
    /// Labelled texts: classes per batch (P).
    pub classes_per_batch: usize,
    /// Labelled texts: texts per class in a batch (K).
    pub per_class: usize,
    /// Labelled texts: how the mined tuples' losses are averaged.
    #[serde(default)]
    pub reducer: Reducer,
    /// Keep the model of the epoch with the best validation AUC, not the last one.
    #[serde(default)]
    pub keep_best: bool,
    /// Stop once this many epochs in a row brought no better validation AUC.
    #[serde(default)]
    pub patience: Option<usize>,
    /// Also validate every this many optimiser steps (reported, and kept in the epoch record).
    #[serde(default)]
    pub validate_every: Option<usize>,
    /// Embed at most this many texts at a time with cached gradients (GradCache), so a large
    /// batch — MNRL's negatives — fits in memory; the gradient is the whole batch's.
    #[serde(default)]
    pub mini_batch_size: Option<usize>,
}

impl TextTrainConfig {
    /// Refuses settings no run can train with, naming the recipe key.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            bail!("`epochs` must be at least 1");
        }
        positive("lr", self.learning_rate)?;
        non_negative("weight-decay", self.weight_decay)?;
        non_negative("margin", f64::from(self.margin))?;
        positive("scale", f64::from(self.scale))?;
        if !(0.0..1.0).contains(&self.warmup_fraction) {
            bail!("`warmup` must be in [0, 1), not {}", self.warmup_fraction);
        }
        if self.mini_batch_size == Some(0) {
            bail!("`mini-batch-size` must be at least 1");
        }
        check_loop_counts(self.validate_every, self.patience)
    }

    /// The objective of this recipe: every text loss compares cosine distances.
    pub fn objective(&self) -> Objective {
        Objective {
            loss: match self.loss {
                TextLoss::Contrastive => ObjectiveLoss::Contrastive,
                TextLoss::OnlineContrastive => ObjectiveLoss::OnlineContrastive,
                TextLoss::Mnrl => ObjectiveLoss::Mnrl,
                TextLoss::Cosent => ObjectiveLoss::Cosent,
                TextLoss::Mse => ObjectiveLoss::Mse,
                TextLoss::Triplet => ObjectiveLoss::Triplet,
            },
            distance: Distance::Cosine,
            miner: self.miner,
            reducer: self.reducer,
            margin: self.margin,
            scale: self.scale,
        }
    }
}

impl Default for TextTrainConfig {
    fn default() -> Self {
        Self {
            loss: TextLoss::Contrastive,
            epochs: 1,
            batch_size: 16,
            learning_rate: 2e-5,
            weight_decay: 0.01,
            warmup_fraction: 0.1,
            margin: 0.5,
            scale: 20.0,
            seed: 0,
            miner: Miner::BatchHard,
            classes_per_batch: 8,
            per_class: 2,
            reducer: Reducer::Mean,
            keep_best: false,
            patience: None,
            validate_every: None,
            mini_batch_size: None,
        }
    }
}

/// One epoch of fine-tuning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation metrics after the epoch.
    pub validation: TextPairMetrics,
    /// Wall time of the epoch's training steps.
    pub seconds: f64,
    /// Training texts through the tower per second (two per pair, three per triplet).
    pub texts_per_s: f64,
    /// Validations inside the epoch, with `validate-every` (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_validations: Vec<StepValidation>,
}

/// What [`finetune_text`] did.
#[derive(Debug, Clone, Serialize)]
pub struct TextTrainReport {
    /// Validation metrics of the starting model.
    pub start: TextPairMetrics,
    /// One entry per epoch.
    pub history: Vec<TextEpoch>,
    /// Where the model was written.
    pub out: String,
}

fn validate(tower: &TextTower, model: &TextModel, val: &TextPairs) -> Result<TextPairMetrics> {
    let device = backend::inference_device();
    let d = tower_pair_distances(
        tower,
        &model.tokenizer,
        &device,
        model.manifest.distance,
        val,
        |_, _| {},
    )?;
    let threshold = calibrate_threshold(&d, &val.same());
    Ok(evaluate_text_pairs(val, &d, Some(threshold)))
}

/// What a fine-tuning checkpoint holds besides the weights and the optimiser.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TextCheckpoint {
    /// The recipe; a resumed run must use the same one (except for the epoch count).
    config: TextTrainConfig,
    /// Where the weights came from.
    start: String,
    /// Training examples.
    train_examples: usize,
    /// Validation of the starting model.
    start_metrics: TextPairMetrics,
    /// Every completed epoch.
    history: Vec<TextEpoch>,
    /// Epochs, steps and the best epoch so far.
    progress: LoopState,
}

/// Fine-tuning as a [`Task`] of the one loop.
struct TextTask<'a> {
    data: &'a TextTrainData,
    val: &'a TextPairs,
    model: &'a TextModel,
    cfg: &'a TextTrainConfig,
    /// Every training text, tokenised once.
    ids: Vec<Vec<u32>>,
}

impl Task for TextTask<'_> {
    type Net = TextTower;
    type Batch = StepBatch;
    type Inputs = ();
    type Validation = TextPairMetrics;

    fn batches(&self, epoch: usize) -> Result<Vec<StepBatch>> {
        epoch_batches(self.data, self.cfg, epoch)
    }
    fn units(&self, batch: &StepBatch) -> usize {
        batch.texts.len()
    }
    fn prepare(&self, _: &StepBatch, _: usize, _: usize) {}
    fn loss(&self, tower: &TextTower, batch: &StepBatch, _: ()) -> Option<(Tensor<1>, usize)> {
        let seqs: Vec<&[u32]> = batch
            .texts
            .iter()
            .map(|&i| self.ids[i].as_slice())
            .collect();
        let (ids, mask) = self.model.tokenizer.batch(&seqs, &self.model.device);
        step_loss(self.cfg, tower.encode(TokenBatch { ids, mask }), batch)
    }
    fn gradients(
        &self,
        tower: &TextTower,
        batch: &StepBatch,
        inputs: (),
    ) -> Option<(f32, burn::optim::GradientsParams, usize)> {
        match self.cfg.mini_batch_size {
            Some(chunk) if chunk < batch.texts.len() => {
                let (model, ids) = (self.model, &self.ids);
                super::cached::cached_gradients(tower, model, ids, batch, self.cfg, chunk)
            }
            _ => {
                let (loss, tuples) = self.loss(tower, batch, inputs)?;
                Some(super::engine::backward_step(loss, tuples, tower))
            }
        }
    }
    fn validate(&self, tower: &TextTower) -> Result<TextPairMetrics> {
        validate(tower, self.model, self.val)
    }
    fn score(&self, v: &TextPairMetrics) -> f64 {
        v.auc
    }
}

/// Trains the text model `model` (loaded on the training device: a pretrained one to
/// fine-tune, or [`TextModel::scratch`]) on `data`, validating (and calibrating the decision
/// threshold) on the labelled pairs `val` after every epoch, and writes the model to `out`
/// after every epoch. `start` names the starting point in the manifest.
pub fn finetune_text(
    model: TextModel,
    start: &str,
    data: &TextTrainData,
    val: &TextPairs,
    cfg: &TextTrainConfig,
    out: &Path,
    show_progress: bool,
) -> Result<TextTrainReport> {
    let mut bars = ProgressBars::new("texts");
    let observer: &mut dyn Observer = if show_progress {
        &mut bars
    } else {
        &mut Silent
    };
    finetune_text_observed(model, start, data, val, cfg, out, false, observer)
}

/// [`finetune_text`] reporting to `observer`; with `resume`, continues from the checkpoint in
/// `out` (written after every epoch) and ends with the same weights as an uninterrupted run.
#[allow(clippy::too_many_arguments)]
pub fn finetune_text_observed(
    model: TextModel,
    start: &str,
    data: &TextTrainData,
    val: &TextPairs,
    cfg: &TextTrainConfig,
    out: &Path,
    resume: bool,
    observer: &mut dyn Observer,
) -> Result<TextTrainReport> {
    if cfg.batch_size < 2 {
        bail!("`batch-size` must be at least 2 pairs");
    }
    let val_same = val.same();
    if val_same.iter().all(|&s| s) || val_same.iter().all(|&s| !s) {
        bail!("validation pairs must include both same and different pairs");
    }
    cfg.check()?;
    // Refuse a recipe that cannot run before spending time on anything.
    data.check(cfg)?;
    let steps_per_epoch = epoch_batches(data, cfg, 1)?.len();
    if steps_per_epoch == 0 {
        bail!(
            "{} training examples do not fill one batch of {}",
            data.len(),
            cfg.batch_size
        );
    }
    let tokenizer_path = model.dir.join(TOKENIZER_FILE);
    let settings = OptimSettings {
        kind: OptimizerKind::AdamW,
        learning_rate: cfg.learning_rate,
        weight_decay: cfg.weight_decay,
        schedule: LrSchedule::Linear,
        warmup_fraction: cfg.warmup_fraction,
        grad_clip: Some(1.0),
    };
    let _lock = super::run::lock_output(out)?;
    let (mut state, tower, mut optim) = if resume {
        let (dir, state): (_, TextCheckpoint) = load_state(out)?;
        let mut saved = state.config.clone();
        saved.epochs = cfg.epochs;
        if &saved != cfg || state.start != start || state.train_examples != data.len() {
            bail!("resume: the checkpoint was made with another recipe, start or data ({saved:?} from {}); resume with the same ones, changing only `epochs`", state.start);
        }
        let (tower, optim) = load_modules(&dir, model.tower.clone(), settings.build())?;
        (state, tower, optim)
    } else {
        let state = TextCheckpoint {
            config: cfg.clone(),
            start: start.to_string(),
            train_examples: data.len(),
            start_metrics: validate(&model.tower.valid(), &model, val)?,
            history: Vec::new(),
            progress: LoopState::default(),
        };
        (state, model.tower.clone(), settings.build())
    };
    let task = TextTask {
        data,
        val,
        model: &model,
        cfg,
        ids: model.tokenizer.encode(&data.texts())?,
    };
    let progress = state.progress.clone();
    run_epochs(
        &task,
        tower,
        &mut optim,
        &settings,
        cfg.epochs,
        cfg.patience,
        cfg.validate_every,
        progress,
        observer,
        &crate::distributed::Local,
        |done| {
            let stats = done.stats;
            let record = TextEpoch {
                epoch: done.epoch,
                train_loss: stats.loss,
                validation: done.validation.clone(),
                seconds: stats.train_seconds,
                texts_per_s: stats.seen as f64 / stats.train_seconds.max(1e-9),
                step_validations: stats.step_validations.clone(),
            };
            if done.improved || !cfg.keep_best {
                let mut manifest = model.manifest.clone();
                manifest.source = format!("trained by twinnet from {start}");
                manifest.threshold = record.validation.threshold;
                manifest.fine_tuning = Some(serde_json::json!({
                    "start": start,
                    "config": cfg,
                    "train_examples": data.len(),
                    "validation_pairs": val.pairs.len(),
                    "epochs_done": done.epoch,
                    "validation_start": state.start_metrics,
                    "validation": record.validation,
                    "threshold_source": "validation",
                }));
                save_text_model(out, &done.net.valid().encoder, manifest, &tokenizer_path)?;
            }
            state.history.push(record.clone());
            state.progress = done.state.clone();
            // The checkpoint before metrics.jsonl: every epoch listed there can be resumed after.
            save_checkpoint(out, done.net, done.optim, &state, None)?;
            write_jsonl(&out.join("metrics.jsonl"), &state.history)?;
            let v = &record.validation;
            Ok(EpochEnd {
                epoch: done.epoch,
                epochs: cfg.epochs,
                train_loss: record.train_loss,
                score: v.auc,
                summary: format!(
                    "epoch {}/{}: loss {:.4}  val auc {:.4}  ap {:.4}  {:.1} texts/s  {:.1}s",
                    done.epoch,
                    cfg.epochs,
                    record.train_loss,
                    v.auc,
                    v.average_precision,
                    record.texts_per_s,
                    record.seconds
                ),
                record: serde_json::to_value(&record)?,
            })
        },
    )?;
    Ok(TextTrainReport {
        start: state.start_metrics,
        history: state.history,
        out: out.display().to_string(),
    })
}
