//! Image training: the one loop ([`super::engine`]) over an [`ImageTask`], with checkpoints,
//! resume, keep-best and the model directory at the end.

use super::checkpoint::{load_best, save_checkpoint, Checkpoint};
use super::data::Split;
use super::engine::{run_epochs, LoopState, StepValidation};
use super::image_task::{check_recipe, pk_sampler, validate, ImageTask};
use super::net::SiameseNet;
use super::observer::{EpochEnd, Observer, ProgressBars, Silent};
use super::{SamplerKind, TrainConfig};
use crate::backend;
use crate::batch::InputSpec;
use crate::data::Dataset;
use crate::distributed::{Collective, Local};
use crate::fsutil::{write_atomic, DirLock};
use crate::loss::{KochHead, LossKind};
use crate::model::{save_model_with_head, Manifest, TrainingSummary};
use crate::tower::TowerConfig;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Validation ROC AUC.
    pub val_auc: f64,
    /// Validation equal error rate.
    pub val_eer: f64,
    /// Validation accuracy at the threshold calibrated on the validation pairs.
    pub val_accuracy: f64,
    /// That threshold.
    pub val_threshold: f32,
    /// Training throughput (pairs or triplets per second).
    pub pairs_per_s: f64,
    /// Wall time of the epoch in seconds (training and validation).
    pub seconds: f64,
    /// The training part of `seconds` (batches, forward, backward, optimiser; no validation),
    /// the figure time-to-accuracy comparisons add up.
    #[serde(default)]
    pub train_seconds: f64,
    /// Tuples the loss saw (mined tuples for P×K batches; pairs or triplets otherwise).
    #[serde(default)]
    pub tuples: usize,
    /// Batches in which the miner found nothing to learn from (skipped).
    #[serde(default)]
    pub empty_batches: usize,
    /// Validations inside the epoch, with `validate-every` (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_validations: Vec<StepValidation>,
}

/// What a finished run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    /// Per-epoch metrics, including epochs from before a resume.
    pub history: Vec<EpochMetrics>,
    /// The manifest of the written model.
    pub manifest: Manifest,
    /// Epoch the run started from (0 unless resumed).
    pub resumed_from: usize,
}

/// Trains a tower on `data` and writes the model directory, `metrics.jsonl` and a checkpoint
/// per epoch to `out`. With `resume`, continues from the checkpoint in `out`. With
/// `show_progress`, draws progress bars and a line per epoch on stderr.
#[allow(clippy::too_many_arguments)]
pub fn train(
    data: Dataset,
    data_spec: &str,
    tower_cfg: TowerConfig,
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    show_progress: bool,
) -> Result<TrainReport> {
    let mut bars = ProgressBars::new(if cfg.sampler == SamplerKind::Pk {
        "images"
    } else {
        "pairs"
    });
    let observer: &mut dyn Observer = if show_progress {
        &mut bars
    } else {
        &mut Silent
    };
    train_observed(data, data_spec, tower_cfg, cfg, out, resume, observer)
}

/// [`train`] reporting to `observer` instead of printing.
#[allow(clippy::too_many_arguments)]
pub fn train_observed(
    data: Dataset,
    data_spec: &str,
    tower_cfg: TowerConfig,
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    observer: &mut dyn Observer,
) -> Result<TrainReport> {
    fit_image(
        data, data_spec, tower_cfg, cfg, out, resume, observer, &Local,
    )?
    .save(out)
}

/// A trained image model in memory: its weights, the manifest it will be written with and the
/// run's history. [`Trained::save`] writes the model directory.
#[derive(Debug)]
pub struct Trained {
    net: SiameseNet,
    manifest: Manifest,
    /// Per-epoch metrics, including epochs from before a resume.
    pub history: Vec<EpochMetrics>,
    /// Epoch the run started from (0 unless resumed).
    pub resumed_from: usize,
    /// The output folder stays locked until the model is saved (the value dropped); only the
    /// writing rank (rank 0) holds it.
    _lock: Option<DirLock>,
}

/// Locks a run's output folder (created if missing) for as long as the run writes there: a
/// second run into the same folder stops at once instead of interleaving checkpoints.
pub(crate) fn lock_output(out: &Path) -> Result<DirLock> {
    DirLock::try_now(
        out,
        OUTPUT_LOCK,
        "another twinnet run is writing to this folder; wait for it, or give another `out`",
    )
}

/// The lock file in a run's output folder.
pub const OUTPUT_LOCK: &str = ".twinnet.lock";

impl Trained {
    /// The manifest the model will be written with (threshold, recipe, validation).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Writes the model directory (`manifest.json`, `model.safetensors`, a head if any) to
    /// `dir`, atomically file by file, and returns the run's report.
    pub fn save(&self, dir: &Path) -> Result<TrainReport> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let manifest = save_model_with_head(
            dir,
            &self.net.tower,
            self.net.head.as_ref(),
            self.manifest.clone(),
        )?;
        Ok(TrainReport {
            history: self.history.clone(),
            manifest,
            resumed_from: self.resumed_from,
        })
    }
}

/// Trains as [`train_observed`] does, with checkpoints in `out`, and returns the model in
/// memory instead of writing it.
///
/// With several ranks in `world`, each trains on its share of every batch and the batch is
/// the ranks' together: `batch-size` (and a P×K batch's `classes-per-batch`) is per rank, so
/// N ranks on batch B step as one process on batch N·B would. Rank 0 alone locks `out` and
/// writes the checkpoints and `metrics.jsonl`; every rank reads them on `resume`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_image(
    data: Dataset,
    data_spec: &str,
    tower_cfg: TowerConfig,
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    observer: &mut dyn Observer,
    world: &dyn Collective,
) -> Result<Trained> {
    let whole;
    let cfg = if world.size() > 1 {
        let mut c = cfg.clone();
        c.batch_size *= world.size();
        c.classes_per_batch *= world.size();
        whole = c;
        &whole
    } else {
        cfg
    };
    let writes = world.rank() == 0;
    cfg.check()?;
    check_recipe(
        cfg,
        matches!(data, Dataset::Pairs(_) | Dataset::Signatures(_)),
    )?;
    let classes = data.class_names();
    let shape = data.shape();
    let [c, h, w] = tower_cfg.input_shape();
    if tower_cfg.kind_name() == "cnn" && [c, h, w] != [shape.channels, shape.height, shape.width] {
        bail!(
            "tower input {c}x{h}x{w} does not match the data ({}x{}x{})",
            shape.channels,
            shape.height,
            shape.width
        );
    }
    let split = Split::new(
        data,
        cfg.validation_fraction,
        cfg.validation_pairs,
        &cfg.validation_classes,
        cfg.seed,
    )?;
    let device = backend::training_device();
    let fresh_net = || -> Result<SiameseNet> {
        Ok(SiameseNet {
            tower: tower_cfg.init(&device)?,
            head: (cfg.loss == LossKind::Koch)
                .then(|| KochHead::new(tower_cfg.embedding_dim(), &device)),
        })
    };
    let lock = if writes {
        Some(lock_output(out)?)
    } else {
        None
    };
    let mut best_net = None;
    let (mut state, net, mut optim) = if resume {
        let (state, net, optim) = Checkpoint::load(out, &device, cfg.optim().build())?;
        check_resumable(&state, cfg, &tower_cfg, data_spec, &classes)?;
        if cfg.keep_best {
            let dir = Checkpoint::locate(out).context("the checkpoint disappeared")?;
            best_net = load_best(&dir, fresh_net()?)?;
        }
        (state, net, optim)
    } else {
        let input = InputSpec {
            handwriting: cfg.handwriting,
            ..InputSpec::fitted(shape, split.training_items())
        };
        let state = Checkpoint {
            epoch: 0,
            config: cfg.clone(),
            tower: tower_cfg.clone(),
            input,
            data: data_spec.to_string(),
            classes: classes.clone(),
            history: Vec::new(),
            progress: LoopState::default(),
        };
        let net = backend::init_seeded(&device, cfg.seed, fresh_net)?;
        (state, net, cfg.optim().build())
    };
    if let (SamplerKind::Pk, Some(index)) = (cfg.sampler, &split.train_index) {
        pk_sampler(cfg).check(index, &classes)?;
    }
    let resumed_from = state.epoch;
    if resume && resumed_from >= cfg.epochs {
        tracing::info!("checkpoint already has {resumed_from} epochs; writing the model");
    }
    let input = state.input;
    let task = ImageTask {
        split: &split,
        input: &input,
        cfg,
        device: device.clone(),
    };
    // The validation of the model that is written: the last epoch's (the best one's with
    // keep-best); recomputed only when no epoch ran (a resume that had already finished).
    let mut final_validation = None;
    let progress = state.progress.clone();
    let (net, progress) = run_epochs(
        &task,
        net,
        &mut optim,
        &cfg.optim(),
        cfg.epochs,
        cfg.patience,
        cfg.validate_every,
        progress,
        observer,
        world,
        |done| {
            let (val, threshold) = done.validation;
            let metrics = EpochMetrics {
                epoch: done.epoch,
                train_loss: done.stats.loss,
                val_auc: val.auc,
                val_eer: val.eer,
                val_accuracy: val.accuracy,
                val_threshold: *threshold,
                pairs_per_s: done.stats.seen as f64 / done.stats.train_seconds.max(1e-9),
                seconds: done.seconds,
                train_seconds: done.stats.train_seconds,
                tuples: done.stats.tuples,
                empty_batches: done.stats.empty_batches,
                step_validations: done.stats.step_validations.clone(),
            };
            if done.improved || !cfg.keep_best {
                final_validation = Some((val.clone(), *threshold));
            }
            if done.improved && cfg.keep_best {
                best_net = Some(done.net.clone());
            }
            state.history.push(metrics.clone());
            state.epoch = done.epoch;
            state.config.epochs = cfg.epochs;
            state.progress = done.state.clone();
            let best = if cfg.keep_best {
                best_net.as_ref()
            } else {
                None
            };
            // The checkpoint first: an epoch in metrics.jsonl is always one a resume can start
            // after, even when the run is killed between the two writes.
            if writes {
                save_checkpoint(out, done.net, done.optim, &state, best)?;
                write_jsonl(&out.join("metrics.jsonl"), &state.history)?;
            }
            Ok(EpochEnd {
                epoch: done.epoch,
                epochs: cfg.epochs,
                train_loss: metrics.train_loss,
                score: metrics.val_auc,
                summary: format!(
                    "epoch {}/{}: loss {:.4}  val auc {:.4}  eer {:.4}  acc {:.4}  {:.0} pairs/s  {:.1}s",
                    done.epoch,
                    cfg.epochs,
                    metrics.train_loss,
                    metrics.val_auc,
                    metrics.val_eer,
                    metrics.val_accuracy,
                    metrics.pairs_per_s,
                    metrics.seconds
                ),
                record: serde_json::to_value(&metrics)?,
            })
        },
    )?;
    let net = match best_net {
        Some(best) if cfg.keep_best => best,
        _ => net,
    };
    let (val, threshold) = match final_validation {
        Some(v) => v,
        None => validate(&net, &split, &input, cfg)?,
    };
    let summary = TrainingSummary {
        data: data_spec.to_string(),
        classes: state.classes.clone(),
        train_items: if split.train_items.is_empty() {
            split.train_pairs.len()
        } else {
            split.train_items.len()
        },
        validation_items: split.val_count,
        epochs: progress.epoch,
        batch_size: cfg.batch_size,
        optimizer: cfg.optimizer.to_string(),
        learning_rate: cfg.learning_rate,
        weight_decay: cfg.weight_decay,
        seed: cfg.seed,
        backend: backend::backend_name().to_string(),
        validation: Some(val),
    };
    let manifest = Manifest::new(
        state.tower.clone(),
        input,
        cfg.distance,
        cfg.loss,
        cfg.margin,
        threshold,
        summary,
    );
    Ok(Trained {
        net: net.valid(),
        manifest,
        history: state.history,
        resumed_from,
        _lock: lock,
    })
}

fn check_resumable(
    state: &Checkpoint,
    cfg: &TrainConfig,
    tower: &TowerConfig,
    data_spec: &str,
    classes: &[String],
) -> Result<()> {
    let mut saved = state.config.clone();
    saved.epochs = cfg.epochs;
    if &saved != cfg {
        bail!("resume: the checkpoint was made with another recipe ({saved:?}); resume with the same recipe, changing only `epochs`");
    }
    if &state.tower != tower {
        bail!(
            "resume: the checkpoint holds a different tower architecture ({:?})",
            state.tower
        );
    }
    if state.data != data_spec {
        bail!(
            "resume: the checkpoint was trained on {}, not {data_spec}",
            state.data
        );
    }
    if state.classes != classes {
        bail!(
            "resume: the checkpoint was trained on the classes {}, not {} (give the same `classes`)",
            state.classes.join(","),
            classes.join(",")
        );
    }
    Ok(())
}

/// Reads the `metrics.jsonl` a run wrote into `dir`; empty when there is none.
pub fn read_metrics(dir: &Path) -> Result<Vec<EpochMetrics>> {
    let path = dir.join("metrics.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not an epoch record", path.display(), i + 1))
        })
        .collect()
}

/// Writes one JSON line per record to `path`, atomically (the `metrics.jsonl` of every model
/// kind).
pub(crate) fn write_jsonl<T: Serialize>(path: &Path, records: &[T]) -> Result<()> {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}
