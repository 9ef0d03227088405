//! Micro-batching: concurrent embed requests share one forward pass.
//!
//! The model lives on one worker thread. Requests queue their prepared inputs; each time the
//! worker is free it takes everything waiting (up to `max_batch` inputs), runs one batched
//! forward, and hands each request its rows. A lone request waits for nobody; under load the
//! queue fills while the worker computes, so batches grow with the load by themselves.

use crate::embedder::{Embedder, InputKind, Prepared};
use crate::score::Scorer;
use anyhow::{Context, Result};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use tokio::sync::oneshot;

/// Why a batch could not be embedded.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchError {
    /// The queue is full: the server is overloaded (answered with 503).
    Busy,
    /// The worker has stopped (shutdown or a crash; 503).
    Stopped,
    /// The model refused the inputs (400).
    Model(String),
}

struct Job {
    items: Vec<Prepared>,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>, BatchError>>,
}

/// Figures about the model the handlers need without touching it.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// What the model takes.
    pub kind: InputKind,
    /// Embedding length.
    pub dim: usize,
    /// Pair score for verification.
    pub scorer: Scorer,
    /// Calibrated threshold, if any.
    pub threshold: Option<f32>,
    /// Architecture + weights hash.
    pub fingerprint: String,
}

/// The handle requests use to reach the model's worker thread.
#[derive(Clone)]
pub struct Batcher {
    tx: SyncSender<Job>,
    info: ModelInfo,
}

impl Batcher {
    /// Starts the worker thread that owns `model`. `max_batch` bounds one forward pass,
    /// `queue` the number of waiting requests before new ones are turned away as busy;
    /// `on_batch` is told the size of every batch (for metrics).
    pub fn start(
        model: Embedder,
        max_batch: usize,
        queue: usize,
        on_batch: impl Fn(usize) + Send + 'static,
    ) -> Result<Self> {
        let info = ModelInfo {
            kind: model.input_kind(),
            dim: model.dim(),
            scorer: model.scorer(),
            threshold: model.threshold(),
            fingerprint: model.fingerprint()?,
        };
        let (tx, rx) = mpsc::sync_channel(queue.max(1));
        std::thread::Builder::new()
            .name("twinnet-model".into())
            .spawn(move || worker(model, rx, max_batch.max(1), on_batch))
            .context("cannot start the model thread")?;
        Ok(Self { tx, info })
    }

    /// What the model is.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Embeds prepared inputs, in order, sharing a forward pass with other waiting requests.
    pub async fn embed(&self, items: Vec<Prepared>) -> Result<Vec<Vec<f32>>, BatchError> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { items, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(BatchError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(BatchError::Stopped),
        }
        answer.await.unwrap_or(Err(BatchError::Stopped))
    }
}

fn worker(model: Embedder, rx: Receiver<Job>, max_batch: usize, on_batch: impl Fn(usize)) {
    // Ends when every sender is gone, i.e. the server has shut down and finished its requests.
    while let Ok(first) = rx.recv() {
        let mut size = first.items.len();
        let mut jobs = vec![first];
        while size < max_batch {
            match rx.try_recv() {
                Ok(job) => {
                    size += job.items.len();
                    jobs.push(job);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let counts: Vec<usize> = jobs.iter().map(|j| j.items.len()).collect();
        let (items, replies): (Vec<Vec<Prepared>>, Vec<_>) =
            jobs.into_iter().map(|j| (j.items, j.reply)).unzip();
        let items: Vec<Prepared> = items.into_iter().flatten().collect();
        on_batch(items.len());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            model.embed_prepared(&items)
        }));
        match result {
            Ok(Ok(rows)) => {
                let mut rows = rows.into_iter();
                for (reply, n) in replies.into_iter().zip(counts) {
                    // A client that went away no longer listens; nothing to do.
                    let _ = reply.send(Ok(rows.by_ref().take(n).collect()));
                }
            }
            Ok(Err(e)) => {
                let e = BatchError::Model(format!("{e:#}"));
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
            Err(_) => {
                tracing::error!("the model panicked on a batch of {}", items.len());
                for reply in replies {
                    let _ = reply.send(Err(BatchError::Model(
                        "the model failed on this batch".into(),
                    )));
                }
            }
        }
    }
}
