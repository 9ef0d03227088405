//! The self-contained model directory: `manifest.json` + `model.safetensors`.
//!
//! The manifest says everything `embed` and `verify` need (architecture, preprocessing,
//! distance, threshold) and what the model was trained on; the weights are plain safetensors
//! with readable names, so other tools can read them too.

use crate::backend;
use crate::batch::{to_rows, InputSpec};
use crate::data::{load_image_with, shift_image};
use crate::distance::Distance;
use crate::eval::VerificationMetrics;
use crate::fsutil::{sha256_hex, write_atomic};
use crate::loss::{KochHead, LossKind};
use crate::score::Scorer;
use crate::tower::{FeatureLayer, Tower, TowerConfig};
use anyhow::{bail, Context, Result};
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod check;
mod header;
mod load;
mod tracker;
pub use header::{
    model_kind, read_header, ManifestHeader, ModelKind, IMAGE_FORMAT, TEXT_FORMAT, TRACKER_FORMAT,
};
pub use tracker::{save_tracker, TrackerManifest, TrackerModel, TrackerSettings};

/// File name of the manifest inside a model directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Version 2 stores fully connected weights in PyTorch's `[out, in]` layout (version 1 kept
/// burn's `[in, out]`); both load.
const FORMAT_VERSION: u32 = 2;
/// The first version whose weights are in PyTorch's layout.
const PYTORCH_LAYOUT_VERSION: u32 = 2;

/// What a model was trained on and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The `--data` spec.
    pub data: String,
    /// Class names the model was trained on (empty for a pair list).
    pub classes: Vec<String>,
    /// Items (or pairs, for a pair list) used for training.
    pub train_items: usize,
    /// Items (or pairs) held out for validation and threshold calibration.
    pub validation_items: usize,
    /// Epochs completed.
    pub epochs: usize,
    /// Pairs (or triplets) per batch.
    pub batch_size: usize,
    /// Optimiser name.
    pub optimizer: String,
    /// Learning rate.
    pub learning_rate: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Seed of the run.
    pub seed: u64,
    /// Backend the model was trained on.
    pub backend: String,
    /// Validation metrics of the final model.
    pub validation: Option<VerificationMetrics>,
}

/// Facts about the weights file, checked on load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    /// File name inside the model directory.
    pub file: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Number of scalar parameters.
    pub parameters: usize,
    /// Every tensor's name and shape.
    pub tensors: BTreeMap<String, Vec<usize>>,
}

/// The manifest of a model directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Kind ([`IMAGE_FORMAT`]), layout version and the twinnet that wrote it.
    #[serde(flatten)]
    pub header: ManifestHeader,
    /// The tower architecture.
    pub tower: TowerConfig,
    /// Input preprocessing.
    pub input: InputSpec,
    /// Distance between embeddings.
    pub distance: Distance,
    /// Loss the model was trained with.
    pub loss: LossKind,
    /// Margin of that loss.
    pub margin: f32,
    /// Decision threshold on the distance: `distance ≤ threshold` means same.
    pub threshold: f32,
    /// Where the threshold came from (always the validation split for trained models).
    pub threshold_source: String,
    /// What the model was trained on.
    pub training: TrainingSummary,
    /// The weights file.
    pub weights: WeightsInfo,
    /// The learned Koch head's weights file, when the model scores pairs with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<WeightsInfo>,
}

impl Manifest {
    /// A manifest for a freshly trained model; `weights` is filled in by [`save_model`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        tower: TowerConfig,
        input: InputSpec,
        distance: Distance,
        loss: LossKind,
        margin: f32,
        threshold: f32,
        training: TrainingSummary,
    ) -> Self {
        Self {
            header: ManifestHeader::current(ModelKind::Image, FORMAT_VERSION),
            tower,
            input,
            distance,
            loss,
            margin,
            threshold,
            threshold_source: "validation".into(),
            training,
            weights: WeightsInfo {
                file: WEIGHTS_FILE.into(),
                sha256: String::new(),
                parameters: 0,
                tensors: BTreeMap::new(),
            },
            head: None,
        }
    }
}

/// File name of a Koch head's weights inside a model directory.
pub const HEAD_FILE: &str = "head.safetensors";

/// Serialises a module's parameters to safetensors bytes in PyTorch's layout (fully connected
/// weights `[out, in]`, as `torch.nn.Linear` holds them), so the file tagged `pt` loads there.
pub fn tower_to_safetensors<M: ModuleSnapshot>(tower: &M) -> Result<Vec<u8>> {
    to_safetensors(tower, true)
}

fn to_safetensors<M: ModuleSnapshot>(tower: &M, pytorch_layout: bool) -> Result<Vec<u8>> {
    // One metadata key only: the header is serialised from a hash map, and a single entry keeps
    // the file byte-for-byte reproducible (and its hash stable) across saves.
    let mut store = SafetensorsStore::from_bytes(None)
        .clear_metadata()
        .metadata("format", "pt");
    if pytorch_layout {
        store = store.with_to_adapter(BurnToPyTorchAdapter);
    }
    tower
        .save_into(&mut store)
        .map_err(|e| anyhow::anyhow!("cannot serialise weights: {e}"))?;
    store
        .get_bytes()
        .map_err(|e| anyhow::anyhow!("cannot serialise weights: {e}"))
}

/// Names and shapes of the tensors in safetensors bytes.
pub fn safetensors_shapes(bytes: &[u8]) -> Result<BTreeMap<String, Vec<usize>>> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| anyhow::anyhow!("not a valid safetensors file: {e}"))?;
    Ok(st
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, view.shape().to_vec()))
        .collect())
}

pub(crate) fn weights_info(file: &str, bytes: &[u8]) -> Result<WeightsInfo> {
    let tensors = safetensors_shapes(bytes)?;
    Ok(WeightsInfo {
        file: file.into(),
        sha256: sha256_hex(bytes),
        parameters: tensors.values().map(|s| s.iter().product::<usize>()).sum(),
        tensors,
    })
}

/// Writes `tower` and `manifest` into `dir` (created if needed), each file atomically, and
/// returns the manifest with its weights section filled in.
pub fn save_model(dir: &Path, tower: &Tower, manifest: Manifest) -> Result<Manifest> {
    save_model_with_head(dir, tower, None, manifest)
}

/// Like [`save_model`], with a Koch head written beside the tower.
pub fn save_model_with_head(
    dir: &Path,
    tower: &Tower,
    head: Option<&KochHead>,
    mut manifest: Manifest,
) -> Result<Manifest> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create model directory {}", dir.display()))?;
    let bytes = tower_to_safetensors(tower)?;
    // The weights are written in this version's layout, whatever the manifest came from.
    manifest.header.format_version = FORMAT_VERSION;
    manifest.weights = weights_info(WEIGHTS_FILE, &bytes)?;
    manifest.head = None;
    if let Some(head) = head {
        let hb = tower_to_safetensors(head)?;
        manifest.head = Some(weights_info(HEAD_FILE, &hb)?);
        write_atomic(&dir.join(HEAD_FILE), &hb)?;
    }
    write_atomic(&dir.join(WEIGHTS_FILE), &bytes)?;
    let json = serde_json::to_vec_pretty(&manifest)?;
    write_atomic(&dir.join(MANIFEST_FILE), &json)?;
    Ok(manifest)
}

/// A loaded model, ready to embed and verify.
pub struct TwinModel {
    /// The manifest it was loaded from.
    pub manifest: Manifest,
    /// The tower, without autodiff.
    pub tower: Tower,
    /// The device it computes on.
    pub device: Device,
    /// How it scores a pair of embeddings.
    pub scorer: Scorer,
    /// The directory it came from.
    pub dir: PathBuf,
}

impl TwinModel {
    /// Loads a model directory, refusing one whose manifest does not match its weights.
    pub fn load(dir: &Path) -> Result<Self> {
        let (manifest, manifest_path): (Manifest, _) =
            load::read_manifest(dir, ModelKind::Image, FORMAT_VERSION)?;
        manifest
            .check()
            .with_context(|| format!("{}: invalid manifest", manifest_path.display()))?;
        let weights_path = dir.join(&manifest.weights.file);
        let bytes = std::fs::read(&weights_path)
            .with_context(|| format!("cannot read weights {}", weights_path.display()))?;
        let device = backend::inference_device();
        let tower = load_tower(&manifest, &bytes, &weights_path, &device)?;
        let scorer = match &manifest.head {
            None => Scorer::Distance(manifest.distance),
            Some(info) => {
                let layout = manifest.header.format_version >= PYTORCH_LAYOUT_VERSION;
                load_head(dir, info, manifest.tower.embedding_dim(), &device, layout)?.to_scorer()
            }
        };
        Ok(Self {
            manifest,
            tower,
            device,
            scorer,
            dir: dir.to_path_buf(),
        })
    }

    /// Features of `n` items at `layer` (see [`FeatureLayer`]), row-major, with their width.
    pub fn features_all<'a>(
        &self,
        n: usize,
        layer: FeatureLayer,
        item: impl Fn(usize) -> &'a [f32],
    ) -> Result<(Vec<f32>, usize)> {
        self.features_all_shifted(n, layer, item, 0)
    }

    /// Features of `n` items at `layer`, each averaged over copies of the image moved by every
    /// offset in `[−radius, radius]²` pixels (test-time shift averaging; radius 0 reads each
    /// image once, [`Self::features_all`]). A tower trained on a few classes is most fragile, on classes it
    /// never saw, to where in the frame a stroke sits; the average takes position out:
    /// 5-way 1-shot on unseen digits rises by 1–3 points at radius 2–4 (README). Costs
    /// `(2·radius + 1)²` forward passes per item, done in chunks so memory stays bounded.
    pub fn features_all_shifted<'a>(
        &self,
        n: usize,
        layer: FeatureLayer,
        item: impl Fn(usize) -> &'a [f32],
        radius: usize,
    ) -> Result<(Vec<f32>, usize)> {
        self.tower.check_layer(layer)?;
        let shape = self.manifest.input.shape;
        if 2 * radius + 1 > shape.height.min(shape.width) {
            bail!(
                "a shift radius of {radius} pixels does not fit a {}x{} input (at most {})",
                shape.width,
                shape.height,
                (shape.height.min(shape.width) - 1) / 2
            );
        }
        let r = radius as isize;
        let offsets: Vec<(isize, isize)> = (-r..=r)
            .flat_map(|dy| (-r..=r).map(move |dx| (dx, dy)))
            .collect();
        let mut out = Vec::new();
        let mut dim = 0;
        for start in (0..n).step_by(256) {
            let originals: Vec<&[f32]> = (start..(start + 256).min(n)).map(&item).collect();
            let mut sum: Vec<f32> = Vec::new();
            for &(dx, dy) in &offsets {
                // (The copy at offset (0, 0) is negligible next to the forward pass.)
                let moved: Vec<Vec<f32>> = originals
                    .iter()
                    .map(|x| shift_image(x, shape, dx, dy))
                    .collect();
                let refs: Vec<&[f32]> = moved.iter().map(Vec::as_slice).collect();
                let f = self
                    .tower
                    .features(self.manifest.input.batch(&refs, &self.device), layer);
                dim = f.dims()[1];
                let rows = to_rows(f);
                if sum.is_empty() {
                    sum = rows;
                } else {
                    sum.iter_mut().zip(&rows).for_each(|(s, x)| *s += x);
                }
            }
            // Exact at radius 0: x · 1.0 = x.
            let inv = 1.0 / offsets.len() as f32;
            out.extend(sum.into_iter().map(|s| s * inv));
        }
        Ok((out, dim))
    }

    /// Embeds items given as `[C, H, W]` pixels in `[0, 1]` at the model's input shape.
    pub fn embed_pixels(&self, items: &[&[f32]]) -> Vec<Vec<f32>> {
        let dim = self.manifest.tower.embedding_dim();
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(256) {
            let rows = to_rows(
                self.tower
                    .forward(self.manifest.input.batch(chunk, &self.device)),
            );
            out.extend(rows.chunks(dim).map(<[f32]>::to_vec));
        }
        out
    }

    /// Embeds `n` items (each `[C, H, W]` at the model's shape) in batches; `n · dim` values.
    pub fn embed_all<'a>(&self, n: usize, item: impl Fn(usize) -> &'a [f32]) -> Vec<f32> {
        crate::eval::embed_items(
            &self.tower,
            &self.manifest.input,
            &self.device,
            n,
            item,
            512,
        )
    }

    /// Decodes, converts and resizes image files as the model expects, then embeds them.
    pub fn embed_files(&self, paths: &[PathBuf]) -> Result<Vec<Vec<f32>>> {
        let pixels: Vec<Vec<f32>> = paths
            .iter()
            .map(|p| {
                load_image_with(
                    p,
                    self.manifest.input.shape,
                    self.manifest.input.handwriting.as_ref(),
                )
            })
            .collect::<Result<_>>()?;
        let refs: Vec<&[f32]> = pixels.iter().map(Vec::as_slice).collect();
        Ok(self.embed_pixels(&refs))
    }

    /// Score of two embeddings (the distance, or the Koch head's dissimilarity); compare it
    /// with the manifest's threshold.
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        self.scorer.score(a, b)
    }
}

/// A store reading safetensors bytes in PyTorch's layout (version 2) or burn's (version 1).
fn reader(bytes: Vec<u8>, pytorch_layout: bool) -> SafetensorsStore {
    let store = SafetensorsStore::from_bytes(Some(bytes));
    if pytorch_layout {
        store.with_from_adapter(PyTorchToBurnAdapter)
    } else {
        store
    }
}

fn load_head(
    dir: &Path,
    info: &WeightsInfo,
    dim: usize,
    device: &Device,
    pytorch_layout: bool,
) -> Result<KochHead> {
    let path = dir.join(&info.file);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read head weights {}", path.display()))?;
    if info.sha256 != sha256_hex(&bytes) {
        bail!(
            "{} has changed since the manifest was written (SHA-256 differs)",
            path.display()
        );
    }
    let mut head = KochHead::new(dim, device);
    let mut store = reader(bytes, pytorch_layout);
    let result = head
        .load_from(&mut store)
        .map_err(|e| anyhow::anyhow!("{}: cannot load head: {e}", path.display()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        bail!(
            "{}: head weights do not fit an embedding of {dim}",
            path.display()
        );
    }
    Ok(head)
}

/// Builds the manifest's tower and fills it with `bytes`, checking names, shapes and hash.
pub fn load_tower(
    manifest: &Manifest,
    bytes: &[u8],
    path: &Path,
    device: &Device,
) -> Result<Tower> {
    let tower = manifest
        .tower
        .init(device)
        .with_context(|| "the manifest's tower configuration is invalid")?;
    let pytorch_layout = manifest.header.format_version >= PYTORCH_LAYOUT_VERSION;
    let expected = &manifest.weights.sha256;
    let kind = manifest.tower.kind_name();
    load::fill_checked(tower, bytes, path, expected, pytorch_layout, kind)
}
