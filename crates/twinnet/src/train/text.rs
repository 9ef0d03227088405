//! Fine-tuning a pretrained text tower on text pairs: both texts of every pair go through the one
//! BERT in a single padded batch, the loss compares their embeddings, AdamW updates the shared
//! weights with a linear warm-up and decay (sentence-transformers' schedule).

use super::text_batches::{epoch_batches, step_loss, TextTrainData};
use crate::backend;
use crate::data::TextPairs;
use crate::eval::{
    calibrate_threshold, evaluate_text_pairs, tower_pair_distances, TextPairMetrics,
};
use crate::fsutil::write_atomic;
use crate::sampling::Miner;
use crate::text::{save_text_model, TextModel, TextTower, TOKENIZER_FILE};
use anyhow::{bail, Context, Result};
use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

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
    if cfg.batch_size < 2 {
        bail!("batch size must be at least 2 pairs");
    }
    let val_same = val.same();
    if val_same.iter().all(|&s| s) || val_same.iter().all(|&s| !s) {
        bail!("validation pairs must include both same and different pairs");
    }
    if cfg.epochs == 0 {
        bail!("epochs must be at least 1");
    }
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
    let mut tower = model.tower.clone();
    let start_metrics = validate(&tower.valid(), &model, val)?;
    // Every training text, tokenised once.
    let ids = model.tokenizer.encode(&data.texts())?;
    let total_steps = steps_per_epoch * cfg.epochs;
    let warmup = ((total_steps as f64) * cfg.warmup_fraction).round() as usize;
    let mut optim: ModuleOptimizer = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay as f32)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let device = model.device.clone();
    let mut history = Vec::new();
    let mut step = 0usize;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for epoch in 1..=cfg.epochs {
        let batches = epoch_batches(data, cfg, epoch)?;
        let bar = if show_progress {
            ProgressBar::new(steps_per_epoch as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "epoch {epoch}/{} {{bar:30}} {{pos}}/{{len}} steps {{msg}} eta {{eta}}",
                cfg.epochs
            ))
            .expect("static template"),
        );
        let started = Instant::now();
        let mut loss_sum = 0.0;
        let mut examples = 0usize;
        for (k, batch) in batches.iter().enumerate() {
            let lr = if step < warmup {
                cfg.learning_rate * (step + 1) as f64 / warmup as f64
            } else {
                cfg.learning_rate * (total_steps.saturating_sub(step)) as f64
                    / (total_steps - warmup).max(1) as f64
            };
            let seqs: Vec<&[u32]> = batch.texts.iter().map(|&i| ids[i].as_slice()).collect();
            let (t, m) = model.tokenizer.batch(&seqs, &device);
            let loss = step_loss(cfg, tower.forward(t, m), batch);
            examples += batch.texts.len();
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bail!("loss became {value} at epoch {epoch}, step {}; stopped (the last written model is kept). Try a lower --lr", k + 1);
            }
            let grads = GradientsParams::from_grads(loss.backward(), &tower);
            tower = optim.step(lr, tower, grads);
            loss_sum += f64::from(value);
            step += 1;
            bar.inc(1);
            bar.set_message(format!(
                "loss {:.4}  {:.1} texts/s",
                loss_sum / (k + 1) as f64,
                examples as f64 / started.elapsed().as_secs_f64().max(1e-9)
            ));
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let validation = validate(&tower.valid(), &model, val)?;
        let record = TextEpoch {
            epoch,
            train_loss: loss_sum / steps_per_epoch.max(1) as f64,
            validation,
            seconds,
            texts_per_s: examples as f64 / seconds.max(1e-9),
        };
        let mut manifest = model.manifest.clone();
        manifest.source = format!("trained by twinnet from {start}");
        manifest.threshold = record.validation.threshold;
        manifest.fine_tuning = Some(serde_json::json!({
            "start": start,
            "config": cfg,
            "train_examples": data.len(),
            "validation_pairs": val.pairs.len(),
            "epochs_done": epoch,
            "validation_start": start_metrics,
            "validation": record.validation,
            "threshold_source": "validation",
        }));
        save_text_model(out, &tower.valid().encoder, manifest, &tokenizer_path)?;
        let mut log = std::fs::read(out.join("metrics.jsonl")).unwrap_or_default();
        if epoch == 1 {
            log.clear();
        }
        log.extend(serde_json::to_vec(&record)?);
        log.push(b'\n');
        write_atomic(&out.join("metrics.jsonl"), &log)?;
        history.push(record);
    }
    Ok(TextTrainReport {
        start: start_metrics,
        history,
        out: out.display().to_string(),
    })
}
