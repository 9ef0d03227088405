//! Checkpoints: everything needed to continue a run exactly where it stopped.
//!
//! A checkpoint is a folder holding the module and optimiser state (burn records, which keep
//! parameter ids so Adam's moments reattach), the best epoch's weights when keep-best is on,
//! and `state.json` (what the model kind needs to rebuild the run). It is written as a new
//! folder and swapped in by rename, so a crash mid-write leaves the previous checkpoint intact.
//! Image training and text fine-tuning write the same folder; only `state.json` differs.

use super::engine::LoopState;
use super::run::EpochMetrics;
use super::SiameseNet;
use super::TrainConfig;
use crate::batch::InputSpec;
use crate::fsutil::sync_dir;
use crate::loss::KochHead;
use crate::tower::TowerConfig;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

/// Folder name of the checkpoint inside a run's output directory.
pub const CHECKPOINT_DIR: &str = "checkpoint";
const TOWER_FILE: &str = "tower.bpk";
const BEST_FILE: &str = "best.bpk";
const OPTIM_FILE: &str = "optimizer.bpk";
const STATE_FILE: &str = "state.json";

/// Checks that a run may write to `out`: with `resume`, that `out` holds a checkpoint to
/// continue; otherwise that it holds no model or checkpoint yet, unless `force` (replace them).
/// Nothing a user trained is overwritten by accident.
pub fn check_output_dir(out: &Path, resume: bool, force: bool) -> Result<()> {
    if resume {
        if locate(out).is_none() {
            bail!("`resume`: no checkpoint in {}", out.display());
        }
        return Ok(());
    }
    if !force && (out.join(crate::model::MANIFEST_FILE).exists() || locate(out).is_some()) {
        bail!(
            "{} already holds a model or checkpoint; use `resume` to continue it, `force` to replace it, or another `out`",
            out.display()
        );
    }
    Ok(())
}

/// The image run state saved after each epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Epochs completed.
    pub epoch: usize,
    /// The recipe; a resumed run must use the same one (except for the epoch count).
    pub config: TrainConfig,
    /// The tower architecture.
    pub tower: TowerConfig,
    /// Input preprocessing fitted at the start of the run.
    pub input: InputSpec,
    /// The data spec.
    pub data: String,
    /// Class names trained on.
    pub classes: Vec<String>,
    /// Metrics of every completed epoch.
    pub history: Vec<EpochMetrics>,
    /// Steps taken and the best epoch (absent in checkpoints of twinnet before 0.1's trainer).
    #[serde(default)]
    pub progress: LoopState,
}

impl Checkpoint {
    /// Writes the checkpoint under `out/checkpoint`, replacing the previous one atomically.
    pub fn save(&self, out: &Path, tower: &SiameseNet, optim: &ModuleOptimizer) -> Result<()> {
        save_checkpoint(out, tower, optim, self, None)
    }

    /// Finds the last good checkpoint of a run in `out` (also one left half-swapped by a crash).
    pub fn locate(out: &Path) -> Option<PathBuf> {
        locate(out)
    }

    /// Loads the checkpoint of `out`, its tower (built from the checkpoint's architecture on
    /// `device`) and the optimiser state into `optim`.
    pub fn load(
        out: &Path,
        device: &burn::tensor::Device,
        optim: ModuleOptimizer,
    ) -> Result<(Self, SiameseNet, ModuleOptimizer)> {
        let (dir, mut state): (PathBuf, Self) = load_state(out)?;
        if state.progress.epoch == 0 {
            state.progress.epoch = state.epoch;
        }
        let fresh = SiameseNet {
            tower: state.tower.init(device)?,
            head: (state.config.loss == crate::loss::LossKind::Koch)
                .then(|| KochHead::new(state.tower.embedding_dim(), device)),
        };
        let (tower, optim) = load_modules(&dir, fresh, optim)?;
        Ok((state, tower, optim))
    }
}

/// Finds the last good checkpoint folder in `out`.
pub(crate) fn locate(out: &Path) -> Option<PathBuf> {
    [CHECKPOINT_DIR.to_string(), format!(".{CHECKPOINT_DIR}.old")]
        .iter()
        .map(|n| out.join(n))
        .find(|d| d.join(STATE_FILE).is_file())
}

/// Writes `net`, `optim`, `state` (and the best weights) as `out/checkpoint`, atomically.
pub(crate) fn save_checkpoint<M: Module>(
    out: &Path,
    net: &M,
    optim: &ModuleOptimizer,
    state: &impl Serialize,
    best: Option<&M>,
) -> Result<()> {
    let dir = out.join(CHECKPOINT_DIR);
    let old = out.join(format!(".{CHECKPOINT_DIR}.old"));
    // A fresh folder of its own (removed if anything below fails), never a fixed name two
    // runs could share.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{CHECKPOINT_DIR}-"))
        .tempdir_in(out)
        .with_context(|| format!("cannot create a checkpoint folder in {}", out.display()))?;
    let write = |m: &M, file: &str| {
        m.clone()
            .into_record()
            .save(tmp.path().join(file))
            .map_err(|e| anyhow::anyhow!("cannot write checkpoint weights {file}: {e}"))
    };
    write(net, TOWER_FILE)?;
    if let Some(b) = best {
        write(b, BEST_FILE)?;
    }
    optim
        .save(tmp.path().join(OPTIM_FILE))
        .map_err(|e| anyhow::anyhow!("cannot write optimizer state: {e}"))?;
    fs::write(
        tmp.path().join(STATE_FILE),
        serde_json::to_vec_pretty(state)?,
    )?;
    sync_files(tmp.path());
    let _ = fs::remove_dir_all(&old);
    if dir.exists() {
        fs::rename(&dir, &old).with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    let tmp = tmp.keep();
    fs::rename(&tmp, &dir).with_context(|| format!("cannot write {}", dir.display()))?;
    sync_dir(out);
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Reads the state of the checkpoint in `out`; returns its folder too.
pub(crate) fn load_state<S: DeserializeOwned>(out: &Path) -> Result<(PathBuf, S)> {
    let Some(dir) = locate(out) else {
        bail!(
            "resume: no checkpoint in {} (expected {}/{CHECKPOINT_DIR}/{STATE_FILE})",
            out.display(),
            out.display()
        );
    };
    let path = dir.join(STATE_FILE);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let state = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: invalid checkpoint state", path.display()))?;
    Ok((dir, state))
}

/// Loads the checkpoint's weights into `fresh` and its optimiser state into `optim`.
pub(crate) fn load_modules<M: Module>(
    dir: &Path,
    fresh: M,
    optim: ModuleOptimizer,
) -> Result<(M, ModuleOptimizer)> {
    let net = load_weights(&dir.join(TOWER_FILE), fresh)?;
    let optim = optim
        .load(dir.join(OPTIM_FILE))
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(OPTIM_FILE).display()))?;
    Ok((net, optim))
}

/// The best epoch's weights of the checkpoint folder `dir`, if it kept them.
pub(crate) fn load_best<M: Module>(dir: &Path, fresh: M) -> Result<Option<M>> {
    let path = dir.join(BEST_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    load_weights(&path, fresh).map(Some)
}

fn load_weights<M: Module>(path: &Path, fresh: M) -> Result<M> {
    let record =
        ModuleRecord::load(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    fresh
        .try_load_record(record)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Syncs every file in `dir` and `dir` itself.
fn sync_files(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if let Ok(f) = fs::File::open(e.path()) {
                let _ = f.sync_all();
            }
        }
    }
    sync_dir(dir);
}
