//! The tracking model directory: `manifest.json` (the SiamFC tower's shape, the tracker's
//! settings, what it was trained on) + `model.safetensors`, the same layout as every model.

use super::header::{ManifestHeader, ModelKind};
use super::load::{fill_checked, read_manifest};
use super::{tower_to_safetensors, weights_info, WeightsInfo};
use super::{MANIFEST_FILE, WEIGHTS_FILE};
use crate::backend;
use crate::fsutil::write_atomic;
use crate::tower::{SiamFcConfig, SiamFcNet};
use anyhow::{bail, Context, Result};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const TRACKER_FORMAT_VERSION: u32 = 1;

/// How the tracker follows a target (SiamFC's published settings by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrackerSettings {
    /// Search scales per frame (odd: one at the current size, the others around it).
    pub scale_num: usize,
    /// Ratio between neighbouring scales.
    pub scale_step: f32,
    /// Score factor of every scale but the current one (prefers staying the same size).
    pub scale_penalty: f32,
    /// How far the size moves toward the best scale each frame (damping).
    pub scale_lr: f32,
    /// Weight of the cosine window that penalises large moves.
    pub window_influence: f32,
    /// Score-map upsampling factor (bicubic) before the peak is taken.
    pub upscale: usize,
    /// Context around the target in the exemplar (0.5: p = (w+h)/4 per side).
    pub context: f32,
}

impl Default for TrackerSettings {
    fn default() -> Self {
        Self {
            scale_num: 3,
            scale_step: 1.0375,
            scale_penalty: 0.9745,
            scale_lr: 0.59,
            window_influence: 0.176,
            upscale: 16,
            context: 0.5,
        }
    }
}

impl TrackerSettings {
    /// Refuses settings the tracker cannot run with, naming the field.
    pub fn check(&self) -> Result<()> {
        if self.scale_num == 0 || self.scale_num.is_multiple_of(2) || self.scale_num > 9 {
            bail!("`scale-num` must be odd, 1 to 9, got {}", self.scale_num);
        }
        let finite_pos = |v: f32| v.is_finite() && v > 0.0;
        if !finite_pos(self.scale_step)
            || !finite_pos(self.scale_penalty)
            || !finite_pos(self.context)
        {
            bail!("`scale-step`, `scale-penalty` and `context` must be positive numbers");
        }
        if !(0.0..=1.0).contains(&self.scale_lr) || !(0.0..=1.0).contains(&self.window_influence) {
            bail!("`scale-lr` and `window-influence` must be in [0, 1]");
        }
        if !(1..=32).contains(&self.upscale) {
            bail!("`upscale` must be 1 to 32, got {}", self.upscale);
        }
        Ok(())
    }
}

/// The manifest of a tracking model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerManifest {
    /// Kind (`twinnet-tracker`), layout version and the twinnet that wrote it.
    #[serde(flatten)]
    pub header: ManifestHeader,
    /// The tower and crop sizes.
    pub tower: SiamFcConfig,
    /// The tracker's settings.
    pub tracker: TrackerSettings,
    /// What it was trained on and how (the recipe, sequences, validation figures).
    pub training: serde_json::Value,
    /// The weights file.
    pub weights: WeightsInfo,
}

impl TrackerManifest {
    /// A manifest for a freshly trained network; `weights` is filled in by [`save_tracker`].
    pub fn new(tower: SiamFcConfig, tracker: TrackerSettings, training: serde_json::Value) -> Self {
        Self {
            header: ManifestHeader::current(ModelKind::Tracker, TRACKER_FORMAT_VERSION),
            tower,
            tracker,
            training,
            weights: WeightsInfo {
                file: WEIGHTS_FILE.into(),
                sha256: String::new(),
                parameters: 0,
                tensors: Default::default(),
            },
        }
    }
}

/// Writes `net` and `manifest` into `dir` (created if needed), each file atomically.
pub fn save_tracker(
    dir: &Path,
    net: &SiamFcNet,
    mut manifest: TrackerManifest,
) -> Result<TrackerManifest> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create model directory {}", dir.display()))?;
    let bytes = tower_to_safetensors(net)?;
    manifest.weights = weights_info(WEIGHTS_FILE, &bytes)?;
    write_atomic(&dir.join(WEIGHTS_FILE), &bytes)?;
    write_atomic(
        &dir.join(MANIFEST_FILE),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(manifest)
}

/// A loaded tracking model.
#[derive(Debug)]
pub struct TrackerModel {
    /// Its manifest.
    pub manifest: TrackerManifest,
    /// The network, without autodiff.
    pub net: SiamFcNet,
    /// The device it computes on.
    pub device: Device,
    /// The directory it came from.
    pub dir: PathBuf,
}

impl TrackerModel {
    /// Loads a tracking model directory, refusing one whose weights do not match its manifest.
    pub fn load(dir: &Path) -> Result<Self> {
        let (manifest, path): (TrackerManifest, _) =
            read_manifest(dir, ModelKind::Tracker, TRACKER_FORMAT_VERSION)?;
        manifest
            .tracker
            .check()
            .with_context(|| format!("{}: invalid `tracker`", path.display()))?;
        let device = backend::inference_device();
        let fresh = manifest
            .tower
            .init(&device)
            .with_context(|| format!("{}: invalid `tower`", path.display()))?;
        let weights = dir.join(&manifest.weights.file);
        let bytes = std::fs::read(&weights)
            .with_context(|| format!("cannot read weights {}", weights.display()))?;
        let sha = &manifest.weights.sha256;
        let net = fill_checked(fresh, &bytes, &weights, sha, true, "siamfc")?;
        Ok(Self {
            manifest,
            net,
            device,
            dir: dir.to_path_buf(),
        })
    }
}
