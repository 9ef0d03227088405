//! The one training loop every model kind runs through.
//!
//! A [`Task`] says what a model kind trains on (its batches, the loss of one batch, how it is
//! validated); the loop owns everything else, the same for images and text: the optimiser
//! step with its learning-rate schedule, the NaN guard, skipped batches, a loader thread that
//! prepares the next batches while the current one trains, validation after each epoch,
//! keep-best and early stopping, and the observer that reports progress. Checkpoints are
//! written by the caller's epoch hook, so a model kind decides what its state holds.

use super::observer::{EpochEnd, Interrupted, Observer, StepProgress};
use super::optim::OptimSettings;
use crate::distributed::Collective;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What one model kind trains on.
pub(crate) trait Task: Sync {
    /// The trainable module.
    type Net: Module;
    /// One step's worth of work (indices, targets), drawn from the epoch's seed.
    type Batch: Sync;
    /// The inputs of a batch, built on the loader thread.
    type Inputs: Send;
    /// What validation measures.
    type Validation;

    /// The batches of `epoch` (1-based); the same for the same seed and epoch.
    fn batches(&self, epoch: usize) -> Result<Vec<Self::Batch>>;
    /// Examples (pairs, triplets, items, texts) in a batch, the unit of the throughput figure.
    fn units(&self, batch: &Self::Batch) -> usize;
    /// Builds a batch's inputs; `(epoch, k)` seeds anything random (augmentation).
    fn prepare(&self, batch: &Self::Batch, epoch: usize, k: usize) -> Self::Inputs;
    /// The loss of a batch and the tuples it saw; `None` when there was nothing to learn from
    /// (a miner found no tuples): the batch is skipped, never stepped on with a zero loss.
    fn loss(
        &self,
        net: &Self::Net,
        batch: &Self::Batch,
        inputs: Self::Inputs,
    ) -> Option<(Tensor<1>, usize)>;
    /// The loss value and the gradients of one step, with the tuples trained on; `None`
    /// skips the batch. By default one backward pass of [`Task::loss`]; a task may compute
    /// them in parts (GradCache) to bound the memory of a large batch.
    fn gradients(
        &self,
        net: &Self::Net,
        batch: &Self::Batch,
        inputs: Self::Inputs,
    ) -> Option<(f32, GradientsParams, usize)> {
        let (loss, tuples) = self.loss(net, batch, inputs)?;
        Some(backward_step(loss, tuples, net))
    }
    /// Rank `rank`'s share of `batch` when `size` ranks train together (each rank prepares and
    /// embeds only its share). Model kinds that cannot train on several ranks refuse.
    fn shard(&self, _batch: &Self::Batch, _rank: usize, _size: usize) -> Result<Self::Batch> {
        bail!("this model kind does not train on several ranks (--distributed) yet")
    }
    /// Data-parallel [`Task::gradients`]: the whole `batch`'s loss from this rank's share
    /// (embedded from `inputs`, prepared from [`Task::shard`]'s batch) and every other rank's
    /// gathered embeddings, and its gradients already reduced over the ranks; `None` (on every
    /// rank alike) skips the batch. Called only for a task whose [`Task::shard`] succeeded.
    fn sharded_gradients(
        &self,
        _net: &Self::Net,
        _batch: &Self::Batch,
        _inputs: Self::Inputs,
        _world: &dyn Collective,
    ) -> Option<(f32, GradientsParams, usize)> {
        unreachable!("sharded_gradients of a task without shards")
    }
    /// Validates the inference copy of the module.
    fn validate(&self, net: &Self::Net) -> Result<Self::Validation>;
    /// The number keep-best and early stopping compare (higher is better).
    fn score(&self, validation: &Self::Validation) -> f64;
}

/// The loss value, `net`'s gradients of `loss` (none when the loss is not finite: the loop stops
/// there) and the tuples: [`Task::gradients`]' one backward pass.
pub(crate) fn backward_step<M: Module>(
    loss: Tensor<1>,
    tuples: usize,
    net: &M,
) -> (f32, GradientsParams, usize) {
    let value: f32 = loss.clone().into_scalar();
    if !value.is_finite() {
        return (value, GradientsParams::new(), tuples);
    }
    (
        value,
        GradientsParams::from_grads(loss.backward(), net),
        tuples,
    )
}

/// The best validation score so far and the epoch that reached it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Its validation score (higher is better).
    pub score: f64,
}

/// Where a run stands: saved in every checkpoint so a resumed run continues the schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Epochs completed.
    pub epoch: usize,
    /// Optimiser steps taken (the learning-rate schedule's clock).
    pub step: usize,
    /// Best validation so far.
    pub best: Option<Best>,
}

/// Epoch figures the loop measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct EpochStats {
    /// Mean loss over the steps taken.
    pub loss: f64,
    /// Examples seen (skipped batches included).
    pub seen: usize,
    /// Tuples the loss saw.
    pub tuples: usize,
    /// Batches skipped because there was nothing to learn from.
    pub empty_batches: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Seconds spent on training steps (no validation).
    pub train_seconds: f64,
    /// Validations inside the epoch (every `validate_every` steps).
    pub step_validations: Vec<StepValidation>,
}

/// A validation inside an epoch, taken every `validate-every` optimiser steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepValidation {
    /// Optimiser steps taken so far in the run.
    pub step: usize,
    /// The validation score (AUC).
    pub score: f64,
}

/// What the epoch hook is told after each epoch.
pub(crate) struct EpochDone<'a, T: Task> {
    pub epoch: usize,
    pub stats: &'a EpochStats,
    pub validation: &'a T::Validation,
    pub state: &'a LoopState,
    /// Whether this epoch is the best so far (always true without keep-best).
    pub improved: bool,
    pub net: &'a T::Net,
    pub optim: &'a ModuleOptimizer,
    /// Seconds since the epoch started (training and validation).
    pub seconds: f64,
}

/// Runs epochs `state.epoch + 1 ..= settings.epochs` of `task`.
///
/// After each epoch `on_epoch` turns the figures into the model kind's record (for the history
/// and the observer) and writes its checkpoint. Returns the trained module and the final state;
/// training stops early once `patience` epochs in a row brought no better validation score.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_epochs<T: Task>(
    task: &T,
    mut net: T::Net,
    optim: &mut ModuleOptimizer,
    settings: &OptimSettings,
    epochs: usize,
    patience: Option<usize>,
    validate_every: Option<usize>,
    mut state: LoopState,
    observer: &mut dyn Observer,
    world: &dyn Collective,
    mut on_epoch: impl FnMut(EpochDone<'_, T>) -> Result<EpochEnd>,
) -> Result<(T::Net, LoopState)> {
    let steps_per_epoch = task.batches(1)?.len();
    let total_steps = steps_per_epoch * epochs;
    for epoch in state.epoch + 1..=epochs {
        let started = Instant::now();
        let (next, stats) = train_epoch(
            task,
            net,
            optim,
            settings,
            epoch,
            epochs,
            total_steps,
            &mut state.step,
            validate_every,
            observer,
            world,
        )?;
        net = next;
        if stats.steps == 0 {
            bail!("epoch {epoch}: every batch was skipped (the miner found no tuples); nothing was learned (try another miner or larger batches)");
        }
        if stats.empty_batches > 0 {
            observer.note(&format!(
                "epoch {epoch}: nothing to learn from in {} batches (skipped)",
                stats.empty_batches
            ));
        }
        let validation = task.validate(&net.valid())?;
        let score = task.score(&validation);
        let improved = state.best.is_none_or(|b| score > b.score);
        if improved {
            state.best = Some(Best { epoch, score });
        }
        state.epoch = epoch;
        let end = on_epoch(EpochDone {
            epoch,
            stats: &stats,
            validation: &validation,
            state: &state,
            improved,
            net: &net,
            optim,
            seconds: started.elapsed().as_secs_f64(),
        })?;
        observer.epoch_finished(&end);
        if let (Some(p), Some(best)) = (patience, state.best) {
            if epoch - best.epoch >= p && epoch < epochs {
                observer.note(&format!(
                    "early stop after epoch {epoch}: no better validation score for {p} epochs (best {:.4} at epoch {})",
                    best.score, best.epoch
                ));
                break;
            }
        }
    }
    Ok((net, state))
}

#[allow(clippy::too_many_arguments)]
fn train_epoch<T: Task>(
    task: &T,
    net: T::Net,
    optim: &mut ModuleOptimizer,
    settings: &OptimSettings,
    epoch: usize,
    epochs: usize,
    total_steps: usize,
    step: &mut usize,
    validate_every: Option<usize>,
    observer: &mut dyn Observer,
    world: &dyn Collective,
) -> Result<(T::Net, EpochStats)> {
    let batches = task.batches(epoch)?;
    // With several ranks each prepares only its share of every batch.
    let shards = if world.size() > 1 {
        let (rank, size) = (world.rank(), world.size());
        let shards: Result<Vec<T::Batch>> =
            batches.iter().map(|b| task.shard(b, rank, size)).collect();
        Some(shards?)
    } else {
        None
    };
    let total: usize = batches.iter().map(|b| task.units(b)).sum();
    observer.epoch_started(epoch, epochs, total as u64);
    let started = Instant::now();
    let mut stats = EpochStats::default();
    // A loader thread builds the next batches' inputs while this one trains; the channel holds
    // two, so at most three batches' inputs exist at once.
    let net = std::thread::scope(|scope| -> Result<T::Net> {
        let mut net = net;
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let work = shards.as_ref().unwrap_or(&batches);
        scope.spawn(move || {
            for (k, batch) in work.iter().enumerate() {
                if tx.send(task.prepare(batch, epoch, k)).is_err() {
                    break; // the training loop stopped early
                }
            }
        });
        for (k, batch) in batches.iter().enumerate() {
            let inputs = rx.recv().context("the batch loader thread stopped")?;
            stats.seen += task.units(batch);
            let step_result = match &shards {
                Some(_) => task.sharded_gradients(&net, batch, inputs, world),
                None => task.gradients(&net, batch, inputs),
            };
            let Some((value, grads, tuples)) = step_result else {
                stats.empty_batches += 1;
                continue;
            };
            if !value.is_finite() {
                observer.abandoned();
                bail!(
                    "loss became {value} at epoch {epoch}, step {}; stopped (the last good checkpoint is kept). Try a lower learning rate (`lr`)",
                    k + 1
                );
            }
            let lr = settings.learning_rate_at(*step, total_steps);
            net = optim.step(lr, net, grads);
            *step += 1;
            stats.loss += f64::from(value);
            stats.tuples += tuples;
            stats.steps += 1;
            observer.step(&StepProgress {
                epoch,
                units_done: stats.seen as u64,
                mean_loss: stats.loss / stats.steps as f64,
                units_per_s: stats.seen as f64 / started.elapsed().as_secs_f64().max(1e-9),
                learning_rate: lr,
            });
            // Ranks stop together: one rank leaving alone would leave the others waiting.
            let stop = observer.stop_requested();
            let stop_all = world.size() > 1 && !world.all(!stop);
            if stop || stop_all {
                observer.abandoned();
                let step = *step;
                return Err(Interrupted { epoch, step }.into());
            }
            if validate_every.is_some_and(|n| step.is_multiple_of(n)) {
                let score = task.score(&task.validate(&net.valid())?);
                let v = StepValidation { step: *step, score };
                observer.note(&format!("step {}: validation {score:.4}", v.step));
                stats.step_validations.push(v);
            }
        }
        Ok(net)
    })?;
    observer.epoch_cleared();
    stats.train_seconds = started.elapsed().as_secs_f64();
    stats.loss /= stats.steps.max(1) as f64;
    Ok((net, stats))
}
