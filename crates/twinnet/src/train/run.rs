//! The training loop.

use super::checkpoint::Checkpoint;
use super::data::Split;
use super::net::SiameseNet;
use super::step::{batch_inputs, batch_loss, Batch};
use super::{OptimizerKind, SamplerKind, TrainConfig};
use crate::backend;
use crate::batch::InputSpec;
use crate::data::Dataset;
use crate::eval::{calibrate_threshold, embed_items, evaluate_pairs, VerificationMetrics};
use crate::fsutil::write_atomic;
use crate::loss::{KochHead, LossKind};
use crate::model::{save_model_with_head, Manifest, TrainingSummary};
use crate::sampling::{balanced_pairs, random_triplets, rng_for, stream, Miner, PkSampler};
use crate::score::Scorer;
use crate::tower::TowerConfig;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

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
/// per epoch to `out`. With `resume`, continues from the checkpoint in `out`.
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
    if cfg.epochs == 0 || cfg.batch_size == 0 {
        bail!("--epochs and --batch-size must be at least 1");
    }
    check_recipe(cfg, matches!(data, Dataset::Pairs(_)))?;
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
        cfg.seed,
    )?;
    let device = backend::training_device();
    let fresh_optim = build_optimizer(cfg);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;

    let (mut state, mut tower, mut optim) = if resume {
        let (state, tower, optim) = Checkpoint::load(out, &device, fresh_optim)?;
        check_resumable(&state, cfg, &tower_cfg, data_spec)?;
        (state, tower, optim)
    } else {
        let input = InputSpec::fitted(shape, split.training_items());
        let state = Checkpoint {
            epoch: 0,
            config: cfg.clone(),
            tower: tower_cfg.clone(),
            input,
            data: data_spec.to_string(),
            classes: classes.clone(),
            history: Vec::new(),
        };
        let net = backend::init_seeded(&device, cfg.seed, || -> Result<SiameseNet> {
            Ok(SiameseNet {
                tower: tower_cfg.init(&device)?,
                head: (cfg.loss == LossKind::Koch)
                    .then(|| KochHead::new(tower_cfg.embedding_dim(), &device)),
            })
        })?;
        (state, net, fresh_optim)
    };
    if let (SamplerKind::Pk, Some(index)) = (cfg.sampler, &split.train_index) {
        pk_sampler(cfg).check(index, &classes)?;
    }
    let resumed_from = state.epoch;
    if resume && resumed_from >= cfg.epochs {
        tracing::info!("checkpoint already has {resumed_from} epochs; writing the model");
    }
    let input = state.input;
    // The last epoch's validation is also the final model's; it is recomputed only when no
    // epoch ran (a resume that had already reached --epochs).
    let mut last_validation = None;

    for epoch in resumed_from + 1..=cfg.epochs {
        let started = Instant::now();
        let (new_tower, stats) = train_epoch(
            tower,
            &mut optim,
            &split,
            &input,
            cfg,
            epoch,
            &device,
            show_progress,
        )?;
        tower = new_tower;
        if stats.tuples == 0 {
            bail!("epoch {epoch}: the {} miner found no tuples in any batch; nothing was learned (try another --miner or larger batches)", cfg.miner);
        }
        if stats.empty_batches > 0 && show_progress {
            eprintln!(
                "epoch {epoch}: the miner found no tuples in {} batches (skipped)",
                stats.empty_batches
            );
        }
        let train_secs = started.elapsed().as_secs_f64();
        let (val, threshold) = validate(&tower, &split, &input, cfg)?;
        last_validation = Some((val.clone(), threshold));
        let metrics = EpochMetrics {
            epoch,
            train_loss: stats.loss,
            val_auc: val.auc,
            val_eer: val.eer,
            val_accuracy: val.accuracy,
            val_threshold: threshold,
            pairs_per_s: stats.seen as f64 / train_secs.max(1e-9),
            seconds: started.elapsed().as_secs_f64(),
            train_seconds: train_secs,
            tuples: stats.tuples,
            empty_batches: stats.empty_batches,
        };
        if show_progress {
            eprintln!(
                "epoch {epoch}/{}: loss {:.4}  val auc {:.4}  eer {:.4}  acc {:.4}  {:.0} pairs/s  {:.1}s",
                cfg.epochs,
                metrics.train_loss,
                metrics.val_auc,
                metrics.val_eer,
                metrics.val_accuracy,
                metrics.pairs_per_s,
                metrics.seconds
            );
        }
        state.history.push(metrics);
        state.epoch = epoch;
        state.config.epochs = cfg.epochs;
        write_metrics(out, &state.history)?;
        state.save(out, &tower, &optim)?;
    }

    let (val, threshold) = match last_validation {
        Some(v) => v,
        None => validate(&tower, &split, &input, cfg)?,
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
        epochs: state.epoch,
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
    let net = tower.valid();
    let manifest = save_model_with_head(out, &net.tower, net.head.as_ref(), manifest)?;
    Ok(TrainReport {
        history: state.history,
        manifest,
        resumed_from,
    })
}

fn build_optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    let decay = (cfg.weight_decay > 0.0).then(|| WeightDecayConfig::new(cfg.weight_decay as f32));
    match cfg.optimizer {
        OptimizerKind::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::Sgd => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
            .init(),
    }
}

fn check_resumable(
    state: &Checkpoint,
    cfg: &TrainConfig,
    tower: &TowerConfig,
    data_spec: &str,
) -> Result<()> {
    let mut saved = state.config.clone();
    saved.epochs = cfg.epochs;
    if &saved != cfg {
        bail!("--resume: the checkpoint was made with another recipe ({saved:?}); resume with the same flags, changing only --epochs");
    }
    if &state.tower != tower {
        bail!(
            "--resume: the checkpoint holds a different tower architecture ({:?})",
            state.tower
        );
    }
    if state.data != data_spec {
        bail!(
            "--resume: the checkpoint was trained on {}, not {data_spec}",
            state.data
        );
    }
    Ok(())
}

/// Refuses recipes whose pieces do not fit together, naming the valid choices.
fn check_recipe(cfg: &TrainConfig, pair_list: bool) -> Result<()> {
    let pk = cfg.sampler == SamplerKind::Pk;
    if pair_list && (cfg.loss == LossKind::Triplet || pk || cfg.loss == LossKind::Mnrl) {
        bail!("--loss {} / --sampler {} need class labels; use an IDX or image-folder dataset, not a pair list", cfg.loss, cfg.sampler);
    }
    if cfg.miner != Miner::None && !pk {
        bail!("--miner {} works on P×K batches; add --sampler pk (with --classes-per-batch and --per-class)", cfg.miner);
    }
    if cfg.sampler == SamplerKind::Views {
        if pair_list {
            bail!(
                "--sampler views needs a labelled dataset (IDX or image folder), not a pair list"
            );
        }
        if cfg.loss != LossKind::Mnrl || cfg.augment.is_none() || cfg.miner != Miner::None {
            bail!("--sampler views learns by telling augmented views apart: use --loss mnrl with --augment and --miner none");
        }
        if cfg.classes_per_batch < 2 {
            bail!("--sampler views needs --classes-per-batch 2 or more (the items per batch)");
        }
        return Ok(());
    }
    if cfg.loss == LossKind::Mnrl && !pk {
        bail!("--loss mnrl uses in-batch negatives; add --sampler pk with --per-class 2 or more (or --sampler views)");
    }
    if pk && cfg.per_class < 2 {
        bail!(
            "--per-class {} gives no positives in a P×K batch; the miners and losses need K ≥ 2",
            cfg.per_class
        );
    }
    if pk {
        let wants_triplets = cfg.loss.wants_triplets();
        cfg.miner.check(wants_triplets)?;
        if cfg.loss == LossKind::Mnrl && cfg.miner != Miner::None {
            bail!("--loss mnrl does its own in-batch mining; use --miner none");
        }
    }
    Ok(())
}

fn pk_sampler(cfg: &TrainConfig) -> PkSampler {
    PkSampler {
        classes_per_batch: cfg.classes_per_batch,
        per_class: cfg.per_class,
        replacement: cfg.pk_replacement,
    }
}

struct EpochStats {
    loss: f64,
    seen: usize,
    tuples: usize,
    empty_batches: usize,
}

/// The batches of one epoch, drawn from the epoch's own random stream.
fn epoch_batches(split: &Split, cfg: &TrainConfig, epoch: usize) -> Result<Vec<Batch>> {
    let mut rng = rng_for(cfg.seed, stream::TRAIN, epoch as u64);
    let per_epoch = cfg.pairs_per_epoch.unwrap_or(split.train_items.len());
    let tuples: Vec<(Vec<usize>, bool)> = match (&split.train_index, cfg.sampler, cfg.loss) {
        (Some(index), SamplerKind::Pk, _) => {
            let pk = pk_sampler(cfg);
            let n = (per_epoch / pk.batch_size()).max(1);
            return Ok(pk
                .batches(index, n, &mut rng)
                .into_iter()
                .map(Batch::Pk)
                .collect());
        }
        (Some(_), SamplerKind::Views, _) => {
            // Two views of each item, side by side: [i, i, j, j, …]; each gets its own
            // augmentation when the batch is built.
            let mut items = split.train_items.clone();
            items.shuffle(&mut rng);
            items.truncate(per_epoch.min(items.len()));
            return Ok(items
                .chunks_exact(cfg.classes_per_batch)
                .map(|c| Batch::Pk(c.iter().flat_map(|&i| [i, i]).collect()))
                .collect());
        }
        (Some(index), _, LossKind::Triplet) => random_triplets(index, per_epoch, &mut rng)?
            .into_iter()
            .map(|(a, p, n)| (vec![a, p, n], true))
            .collect(),
        (Some(index), _, _) => balanced_pairs(index, per_epoch, &mut rng)?
            .into_iter()
            .map(|(a, b, s)| (vec![a, b], s))
            .collect(),
        (None, _, _) => {
            let mut pairs = split.train_pairs.clone();
            pairs.shuffle(&mut rng_for(cfg.seed, stream::SHUFFLE, epoch as u64));
            pairs.into_iter().map(|(a, b, s)| (vec![a, b], s)).collect()
        }
    };
    Ok(tuples
        .chunks(cfg.batch_size)
        .map(|c| Batch::Tuples(c.to_vec()))
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn train_epoch(
    net: SiameseNet,
    optim: &mut ModuleOptimizer,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
    epoch: usize,
    device: &Device,
    show_progress: bool,
) -> Result<(SiameseNet, EpochStats)> {
    let batches = epoch_batches(split, cfg, epoch)?;
    let total: usize = batches.iter().map(Batch::len).sum();
    let bar = progress_bar(total as u64, epoch, cfg.epochs, show_progress);
    let started = Instant::now();
    let mut stats = EpochStats {
        loss: 0.0,
        seen: 0,
        tuples: 0,
        empty_batches: 0,
    };
    let mut steps = 0usize;
    // A loader thread builds (and augments) the next batches' inputs while this one trains; the
    // channel holds two, so at most three batches' pixels exist at once.
    let net = std::thread::scope(|scope| -> Result<SiameseNet> {
        let mut net = net;
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let batches = &batches;
        scope.spawn(move || {
            for (k, batch) in batches.iter().enumerate() {
                let inputs = batch_inputs(batch, split, input, cfg, (epoch as u64, k as u64));
                if tx.send(inputs).is_err() {
                    break; // the training loop stopped early
                }
            }
        });
        for (k, batch) in batches.iter().enumerate() {
            let inputs = rx.recv().context("the batch loader thread stopped")?;
            bar.inc(batch.len() as u64);
            stats.seen += batch.len();
            let Some((loss, tuples)) = batch_loss(&net, batch, inputs, split, input, cfg, device)
            else {
                stats.empty_batches += 1;
                continue;
            };
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bar.abandon();
                bail!(
                    "loss became {value} at epoch {epoch}, step {}; stopped (the last good checkpoint is kept). Try a lower --lr",
                    k + 1
                );
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(cfg.learning_rate, net, grads);
            stats.loss += value as f64;
            stats.tuples += tuples;
            steps += 1;
            bar.set_message(format!(
                "loss {:.4}  {:.0} {}/s",
                stats.loss / steps as f64,
                stats.seen as f64 / started.elapsed().as_secs_f64().max(1e-9),
                if cfg.sampler == SamplerKind::Pk {
                    "images"
                } else {
                    "pairs"
                }
            ));
        }
        Ok(net)
    })?;
    bar.finish_and_clear();
    stats.loss /= steps.max(1) as f64;
    Ok((net, stats))
}

/// Validation metrics and the threshold calibrated on the validation pairs.
fn validate(
    net: &SiameseNet,
    split: &Split,
    input: &InputSpec,
    cfg: &TrainConfig,
) -> Result<(VerificationMetrics, f32)> {
    let infer = net.valid();
    let scorer = match &infer.head {
        Some(head) => head.to_scorer(),
        None => Scorer::Distance(cfg.distance),
    };
    let device = backend::inference_device();
    // Embed each item used by a validation pair once.
    let mut items: Vec<usize> = split.val_pairs.iter().flat_map(|p| [p.0, p.1]).collect();
    items.sort_unstable();
    items.dedup();
    let emb = embed_items(
        &infer.tower,
        input,
        &device,
        items.len(),
        |k| split.item(items[k]),
        512,
    );
    let pos = |i: usize| {
        items
            .binary_search(&i)
            .expect("validation item was embedded")
    };
    let pairs: Vec<_> = split
        .val_pairs
        .iter()
        .map(|&(a, b, s)| (pos(a), pos(b), s))
        .collect();
    let dim = emb.len() / items.len().max(1);
    let (_, d) = evaluate_pairs(&emb, dim, &pairs, &scorer, 0.0);
    let same: Vec<bool> = pairs.iter().map(|p| p.2).collect();
    let threshold = calibrate_threshold(&d, &same);
    Ok((
        VerificationMetrics::compute(&d, &same, threshold),
        threshold,
    ))
}

fn write_metrics(out: &Path, history: &[EpochMetrics]) -> Result<()> {
    let mut text = String::new();
    for m in history {
        text.push_str(&serde_json::to_string(m)?);
        text.push('\n');
    }
    write_atomic(&out.join("metrics.jsonl"), text.as_bytes())
}

fn progress_bar(len: u64, epoch: usize, epochs: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "epoch {epoch}/{epochs} [{{bar:30}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}<{{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
