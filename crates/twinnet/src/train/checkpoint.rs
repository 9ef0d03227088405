//! Checkpoints: everything needed to continue a run exactly where it stopped.
//!
//! A checkpoint is a folder holding the tower and optimiser state (burn records, which keep
//! parameter ids so Adam's moments reattach) and `state.json`. It is written as a new folder
//! and swapped in by rename, so a crash mid-write leaves the previous checkpoint intact.

use super::run::EpochMetrics;
use super::SiameseNet;
use super::TrainConfig;
use crate::batch::InputSpec;
use crate::loss::KochHead;
use crate::tower::TowerConfig;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

/// Folder name of the checkpoint inside a run's output directory.
pub const CHECKPOINT_DIR: &str = "checkpoint";
const TOWER_FILE: &str = "tower.bpk";
const OPTIM_FILE: &str = "optimizer.bpk";
const STATE_FILE: &str = "state.json";

/// The run state saved after each epoch.
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
    /// The `--data` spec.
    pub data: String,
    /// Class names trained on.
    pub classes: Vec<String>,
    /// Metrics of every completed epoch.
    pub history: Vec<EpochMetrics>,
}

impl Checkpoint {
    /// Writes the checkpoint under `out/checkpoint`, replacing the previous one atomically.
    pub fn save(&self, out: &Path, tower: &SiameseNet, optim: &ModuleOptimizer) -> Result<()> {
        let dir = out.join(CHECKPOINT_DIR);
        let tmp = out.join(format!(".{CHECKPOINT_DIR}.tmp"));
        let old = out.join(format!(".{CHECKPOINT_DIR}.old"));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        tower
            .clone()
            .into_record()
            .save(tmp.join(TOWER_FILE))
            .map_err(|e| anyhow::anyhow!("cannot write checkpoint weights: {e}"))?;
        optim
            .save(tmp.join(OPTIM_FILE))
            .map_err(|e| anyhow::anyhow!("cannot write optimizer state: {e}"))?;
        fs::write(tmp.join(STATE_FILE), serde_json::to_vec_pretty(self)?)?;
        sync_dir(&tmp);
        let _ = fs::remove_dir_all(&old);
        if dir.exists() {
            fs::rename(&dir, &old).with_context(|| format!("cannot replace {}", dir.display()))?;
        }
        fs::rename(&tmp, &dir).with_context(|| format!("cannot write {}", dir.display()))?;
        let _ = fs::remove_dir_all(&old);
        Ok(())
    }

    /// Finds the last good checkpoint of a run in `out` (also one left half-swapped by a crash).
    pub fn locate(out: &Path) -> Option<PathBuf> {
        [CHECKPOINT_DIR.to_string(), format!(".{CHECKPOINT_DIR}.old")]
            .iter()
            .map(|n| out.join(n))
            .find(|d| d.join(STATE_FILE).is_file())
    }

    /// Loads the checkpoint of `out`, its tower (built from the checkpoint's architecture on
    /// `device`) and the optimiser state into `optim`.
    pub fn load(
        out: &Path,
        device: &burn::tensor::Device,
        optim: ModuleOptimizer,
    ) -> Result<(Self, SiameseNet, ModuleOptimizer)> {
        let Some(dir) = Self::locate(out) else {
            bail!(
                "--resume: no checkpoint in {} (expected {}/{CHECKPOINT_DIR}/{STATE_FILE})",
                out.display(),
                out.display()
            );
        };
        let state_path = dir.join(STATE_FILE);
        let state: Self = serde_json::from_slice(
            &fs::read(&state_path)
                .with_context(|| format!("cannot read {}", state_path.display()))?,
        )
        .with_context(|| format!("{}: invalid checkpoint state", state_path.display()))?;
        let record = ModuleRecord::load(dir.join(TOWER_FILE))
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(TOWER_FILE).display()))?;
        let fresh = SiameseNet {
            tower: state.tower.init(device)?,
            head: (state.config.loss == crate::loss::LossKind::Koch)
                .then(|| KochHead::new(state.tower.embedding_dim(), device)),
        };
        let tower = fresh
            .try_load_record(record)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(TOWER_FILE).display()))?;
        let optim = optim
            .load(dir.join(OPTIM_FILE))
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(OPTIM_FILE).display()))?;
        Ok((state, tower, optim))
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if let Ok(f) = fs::File::open(e.path()) {
                let _ = f.sync_all();
            }
        }
    }
}
