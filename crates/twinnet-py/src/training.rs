//! `twinnet.train` and `twinnet.finetune`: the library's trainers, reporting each epoch to a
//! Python callable and stopping cleanly on Ctrl-C.
//!
//! Training runs with the GIL released. After every optimiser step the observer takes the GIL
//! for a moment to let Python look at its signals: a Ctrl-C (KeyboardInterrupt) or an exception
//! raised by the callback stops the run after that step through the library's
//! [`Observer::stop_requested`], the checkpoint of the last finished epoch stays in `out`, and
//! the exception is raised in the caller. `resume=True` continues from that checkpoint.

use crate::errors::{json, to_py, IntoPy};
use pyo3::prelude::*;
use serde::Deserialize;
use std::path::PathBuf;
use twinnet::loss::Reducer;
use twinnet::sampling::Miner;
use twinnet::text::{ScratchTower, TextModel};
use twinnet::train::{
    check_output_dir, finetune_text_observed, train_observed, EpochEnd, Observer, ProgressBars,
    StepProgress, TextDataSource, TextFormat, TextLoss, TextTrainConfig,
};
use twinnet::Recipe;

/// Reports to Python: progress bars on stderr when asked, the callback after every epoch, and
/// the first Python exception seen (which stops the run).
struct PyObserver {
    on_epoch: Option<Py<PyAny>>,
    bars: Option<ProgressBars>,
    error: Option<PyErr>,
}

impl PyObserver {
    fn new(on_epoch: Option<Py<PyAny>>, progress: bool, unit: &'static str) -> Self {
        Self {
            on_epoch,
            bars: progress.then(|| ProgressBars::new(unit)),
            error: None,
        }
    }

    /// The run's outcome: the Python exception that stopped it wins over the library's error.
    fn finish<T>(self, result: anyhow::Result<T>) -> PyResult<T> {
        match (self.error, result) {
            (Some(e), _) => Err(e),
            (None, r) => r.py_err(),
        }
    }
}

impl Observer for PyObserver {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, units: u64) {
        if let Some(b) = &mut self.bars {
            b.epoch_started(epoch, epochs, units);
        }
    }
    fn step(&mut self, p: &StepProgress) {
        if let Some(b) = &mut self.bars {
            b.step(p);
        }
        if self.error.is_none() {
            self.error = Python::attach(|py| py.check_signals()).err();
        }
    }
    fn epoch_cleared(&mut self) {
        if let Some(b) = &mut self.bars {
            b.epoch_cleared();
        }
    }
    fn epoch_finished(&mut self, end: &EpochEnd) {
        if let Some(b) = &mut self.bars {
            b.epoch_finished(end);
        }
        let (Some(cb), None) = (&self.on_epoch, &self.error) else {
            return;
        };
        let record = serde_json::json!({
            "epoch": end.epoch,
            "epochs": end.epochs,
            "train_loss": end.train_loss,
            "score": end.score,
            "summary": end.summary,
            "record": end.record,
        });
        self.error = Python::attach(|py| cb.call1(py, (record.to_string(),)).err());
    }
    fn note(&mut self, message: &str) {
        if let Some(b) = &mut self.bars {
            b.note(message);
        }
    }
    fn abandoned(&mut self) {
        if let Some(b) = &mut self.bars {
            b.abandoned();
        }
    }
    fn stop_requested(&mut self) -> bool {
        self.error.is_some()
    }
}

/// Trains an image model as `twinnet train` does; the report as JSON.
#[pyfunction]
#[pyo3(signature = (recipe_json, recipe_path, data, out, on_epoch = None, resume = false, force = false, progress = false))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    recipe_json: Option<String>,
    recipe_path: Option<String>,
    data: Option<String>,
    out: Option<String>,
    on_epoch: Option<Py<PyAny>>,
    resume: bool,
    force: bool,
    progress: bool,
) -> PyResult<String> {
    let mut recipe = match (&recipe_json, &recipe_path) {
        (Some(j), _) => {
            serde_json::from_str::<Recipe>(j).map_err(|e| to_py(anyhow::anyhow!("recipe: {e}")))?
        }
        (None, Some(p)) => Recipe::from_file(p.as_ref()).map_err(|e| to_py(e.into()))?,
        (None, None) => Recipe::default(),
    };
    if data.is_some() {
        recipe.data = data;
    }
    if let Some(o) = out {
        recipe.out = Some(PathBuf::from(o));
    }
    let mut observer = PyObserver::new(on_epoch, progress, "pairs");
    let result = py.detach(|| -> anyhow::Result<_> {
        let Some(out) = recipe.out.clone() else {
            anyhow::bail!("`out` is required (as an argument or in the recipe)");
        };
        if recipe.data.is_none() {
            anyhow::bail!("`data` is required (as an argument or in the recipe)");
        }
        check_output_dir(&out, resume, force)?;
        let (dataset, spec) = recipe.load_data()?;
        let tower = recipe.tower_config(dataset.shape())?;
        let cfg = recipe.train_config();
        train_observed(dataset, &spec, tower, &cfg, &out, resume, &mut observer)
    });
    let report = observer.finish(result)?;
    json(&report)
}

/// `twinnet finetune`'s settings, as keyword arguments (the same names, snake_case).
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FinetuneOptions {
    model: Option<PathBuf>,
    tokenizer: Option<PathBuf>,
    embedding_dim: usize,
    hidden: usize,
    max_seq_length: usize,
    data: Option<PathBuf>,
    format: TextFormat,
    miner: Miner,
    classes_per_batch: usize,
    per_class: usize,
    val: Option<PathBuf>,
    val_fraction: f64,
    out: Option<PathBuf>,
    loss: TextLoss,
    epochs: usize,
    batch_size: usize,
    lr: f64,
    weight_decay: f64,
    warmup: f64,
    margin: f32,
    scale: f32,
    max_pairs: Option<usize>,
    seed: u64,
    reducer: Reducer,
    keep_best: bool,
    patience: Option<usize>,
    validate_every: Option<usize>,
    resume: bool,
    force: bool,
}

impl Default for FinetuneOptions {
    /// The defaults of `twinnet finetune`.
    fn default() -> Self {
        Self {
            model: None,
            tokenizer: None,
            embedding_dim: 128,
            hidden: 128,
            max_seq_length: 256,
            data: None,
            format: TextFormat::default(),
            miner: Miner::BatchHard,
            classes_per_batch: 8,
            per_class: 2,
            val: None,
            val_fraction: 0.1,
            out: None,
            loss: TextLoss::default(),
            epochs: 1,
            batch_size: 16,
            lr: 2e-5,
            weight_decay: 0.01,
            warmup: 0.1,
            margin: 0.5,
            scale: 20.0,
            max_pairs: None,
            seed: 0,
            reducer: Reducer::default(),
            keep_best: false,
            patience: None,
            validate_every: None,
            resume: false,
            force: false,
        }
    }
}

/// Fine-tunes a text model as `twinnet finetune` does (`options_json`: its settings); the
/// report as JSON.
#[pyfunction]
#[pyo3(signature = (options_json, on_epoch = None, progress = false))]
pub fn finetune(
    py: Python<'_>,
    options_json: String,
    on_epoch: Option<Py<PyAny>>,
    progress: bool,
) -> PyResult<String> {
    let o: FinetuneOptions =
        serde_json::from_str(&options_json).map_err(|e| to_py(anyhow::anyhow!("finetune: {e}")))?;
    let mut observer = PyObserver::new(on_epoch, progress, "texts");
    let result = py.detach(|| -> anyhow::Result<_> {
        let (Some(data), Some(out)) = (o.data.clone(), o.out.clone()) else {
            anyhow::bail!("finetune: `data` and `out` are required");
        };
        check_output_dir(&out, o.resume, o.force)?;
        let source = TextDataSource {
            data,
            format: o.format,
            val: o.val.clone(),
            val_fraction: o.val_fraction,
            max_pairs: o.max_pairs,
            seed: o.seed,
        };
        let (train, val) = source.read()?;
        let cfg = TextTrainConfig {
            loss: o.loss,
            epochs: o.epochs,
            batch_size: o.batch_size,
            learning_rate: o.lr,
            weight_decay: o.weight_decay,
            warmup_fraction: o.warmup,
            margin: o.margin,
            scale: o.scale,
            seed: o.seed,
            miner: o.miner,
            classes_per_batch: o.classes_per_batch,
            per_class: o.per_class,
            reducer: o.reducer,
            keep_best: o.keep_best,
            patience: o.patience,
            validate_every: o.validate_every,
            mini_batch_size: None,
        };
        let scratch = o.tokenizer.clone().map(|tokenizer| ScratchTower {
            tokenizer,
            embedding_dim: o.embedding_dim,
            hidden: o.hidden,
            max_seq_length: o.max_seq_length,
        });
        let device = twinnet::backend::training_device();
        let (model, start) =
            TextModel::start(o.model.as_deref(), scratch.as_ref(), o.seed, device)?;
        finetune_text_observed(
            model,
            &start,
            &train,
            &val,
            &cfg,
            &out,
            o.resume,
            &mut observer,
        )
    });
    let report = observer.finish(result)?;
    json(&report)
}
