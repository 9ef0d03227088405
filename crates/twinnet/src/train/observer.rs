//! How a training run reports progress: an observer trait the loop calls, so a library user
//! gets callbacks and nothing printed, and the command line plugs in progress bars.

use indicatif::{ProgressBar, ProgressStyle};

/// Where one epoch stands, after each optimiser step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepProgress {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Examples seen so far in this epoch.
    pub units_done: u64,
    /// Mean training loss over this epoch's steps so far.
    pub mean_loss: f64,
    /// Examples per second in this epoch.
    pub units_per_s: f64,
    /// Learning rate of the step just taken.
    pub learning_rate: f64,
}

/// The end of an epoch, as the model kind reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochEnd {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Epochs the run goes to.
    pub epochs: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation score that keep-best compares (AUC).
    pub score: f64,
    /// The epoch's record as it is written to `metrics.jsonl`.
    pub record: serde_json::Value,
    /// One line for people.
    pub summary: String,
}

/// Receives a run's progress. Every method has an empty default.
pub trait Observer {
    /// An epoch starts; `units` examples will be seen.
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _units: u64) {}
    /// A step was taken.
    fn step(&mut self, _progress: &StepProgress) {}
    /// The epoch's steps are done (validation follows).
    fn epoch_cleared(&mut self) {}
    /// An epoch ended (after validation and the checkpoint).
    fn epoch_finished(&mut self, _end: &EpochEnd) {}
    /// Something a person may want to know (skipped batches, early stopping).
    fn note(&mut self, _message: &str) {}
    /// The run is stopping with an error.
    fn abandoned(&mut self) {}
    /// Asked after every step: `true` stops the run there with [`Interrupted`] (a Ctrl-C seen
    /// by a Python caller). The checkpoint of the last finished epoch is kept, so the run
    /// resumes from it.
    fn stop_requested(&mut self) -> bool {
        false
    }
}

/// A run stopped because its observer asked it to ([`Observer::stop_requested`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("training stopped on request at epoch {epoch}, step {step}; the checkpoint of the last finished epoch is kept (resume to continue)")]
pub struct Interrupted {
    /// The epoch it stopped in (1-based).
    pub epoch: usize,
    /// Optimiser steps taken in the run when it stopped.
    pub step: usize,
}

/// Reports nothing: the default for library calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// Keeps every epoch's end, for a library user who wants the figures without printing.
///
/// ```
/// use twinnet::train::{EpochEnd, Observer, Recorder};
/// let mut r = Recorder::default();
/// let end = EpochEnd { epoch: 1, epochs: 2, train_loss: 0.5, score: 0.9,
///     record: serde_json::json!({"epoch": 1}), summary: "epoch 1/2".into() };
/// r.epoch_finished(&end);
/// r.note("skipped 1 batch");
/// assert_eq!(r.epochs, [end]);
/// assert_eq!(r.notes, ["skipped 1 batch"]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Epoch ends in order.
    pub epochs: Vec<EpochEnd>,
    /// Notes in order.
    pub notes: Vec<String>,
}

impl Observer for Recorder {
    fn epoch_finished(&mut self, end: &EpochEnd) {
        self.epochs.push(end.clone());
    }
    fn note(&mut self, message: &str) {
        self.notes.push(message.to_string());
    }
}

/// A progress bar per epoch and a line per finished epoch on stderr (what the CLI shows).
#[derive(Debug)]
pub struct ProgressBars {
    bar: ProgressBar,
    unit: &'static str,
}

impl ProgressBars {
    /// Bars that count `unit`s ("pairs", "images", "texts").
    pub fn new(unit: &'static str) -> Self {
        Self {
            bar: ProgressBar::hidden(),
            unit,
        }
    }
}

impl Observer for ProgressBars {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, units: u64) {
        self.bar = ProgressBar::new(units);
        self.bar.set_style(
            ProgressStyle::with_template(&format!(
                "epoch {epoch}/{epochs} [{{bar:30}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}<{{eta}})"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
    }
    fn step(&mut self, p: &StepProgress) {
        self.bar.set_position(p.units_done);
        self.bar.set_message(format!(
            "loss {:.4}  {:.0} {}/s",
            p.mean_loss, p.units_per_s, self.unit
        ));
    }
    fn epoch_cleared(&mut self) {
        self.bar.finish_and_clear();
    }
    fn epoch_finished(&mut self, end: &EpochEnd) {
        eprintln!("{}", end.summary);
    }
    fn note(&mut self, message: &str) {
        self.bar.suspend(|| eprintln!("{message}"));
    }
    fn abandoned(&mut self) {
        self.bar.abandon();
    }
}
