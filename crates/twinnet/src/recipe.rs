//! A recipe: everything a training run is made of, as one serde type.
//!
//! A TOML file (`recipes/mnist.toml`, `twinnet train --config run.toml`) deserialises straight
//! into [`Recipe`]; its keys are the `train` command's flag names, and a key that is not one of
//! them is refused with the list of valid keys. A recipe turns into the pieces the library
//! trains with: the data ([`Recipe::load_data`]), the tower ([`Recipe::tower_config`]) and the
//! loop's settings ([`Recipe::train_config`]).
//!
//! ```
//! use twinnet::Recipe;
//! let r = Recipe::from_toml("loss = \"triplet\"\nsampler = \"pk\"\nper-class = 8\n").unwrap();
//! assert_eq!(r.train_config().per_class, 8);
//! assert_eq!(r.epochs, 8); // every key left out keeps its default
//! let err = Recipe::from_toml("epochz = 3").unwrap_err().to_string();
//! assert!(err.contains("epochz") && err.contains("batch-size"));
//! ```

use crate::data::{
    load_dataset, parse_class_list, AugmentConfig, DataSpec, Dataset, Handwriting, ImageShape,
    Split, Threshold,
};
use crate::distance::Distance;
use crate::loss::{LossKind, Reducer};
use crate::sampling::Miner;
use crate::tower::{CnnConfig, ConvNorm, EmbeddingActivation, MlpConfig, TowerConfig};
use crate::train::{LrSchedule, OptimizerKind, SamplerKind, TrainConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A recipe that cannot be used, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// The file could not be read.
    #[error("cannot read recipe {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    #[error("{origin}: {message}")]
    Parse {
        /// The file (or "recipe" for a string).
        origin: String,
        /// serde's message on one line (it names the key and the valid ones).
        message: String,
    },
    /// A key holds a value no run can use.
    #[error("recipe key `{key}`: {reason}")]
    Invalid {
        /// The key (the flag name without its dashes).
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Everything `twinnet train` accepts. Keys are kebab-case (`batch-size`); every key has the
/// default that `twinnet train --help` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Recipe {
    /// Data spec: an IDX folder, an image folder or a TSV pair list (`idx:`, `folder:`,
    /// `pairs:` force a format).
    pub data: Option<String>,
    /// Output model directory.
    pub out: Option<PathBuf>,
    /// IDX split to train on.
    pub split: Split,
    /// Comma-separated class names to train on (all when absent).
    pub classes: Option<String>,
    /// Image folders: folder levels down to the classes.
    pub class_depth: usize,
    /// Epochs (with resume: the total to reach).
    pub epochs: usize,
    /// Pairs (or triplets) per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Learning-rate schedule after the warm-up.
    pub lr_schedule: LrSchedule,
    /// Fraction of the steps spent warming up.
    pub warmup: f64,
    /// Largest gradient norm.
    pub grad_clip: Option<f32>,
    /// Write the best validation epoch's model instead of the last one.
    pub keep_best: bool,
    /// Stop after this many epochs without a better validation AUC.
    pub patience: Option<usize>,
    /// Also validate every this many optimiser steps.
    pub validate_every: Option<usize>,
    /// Loss.
    pub loss: LossKind,
    /// Margin of the loss.
    pub margin: f32,
    /// Distance between embeddings.
    pub distance: Distance,
    /// How batches are drawn.
    pub sampler: SamplerKind,
    /// P of a P×K batch (items per batch for the views sampler).
    pub classes_per_batch: usize,
    /// K of a P×K batch.
    pub per_class: usize,
    /// Draw a class's examples with replacement when it has fewer than K.
    pub pk_replacement: bool,
    /// Miner over each P×K batch.
    pub miner: Miner,
    /// Reducer of per-tuple losses.
    pub reducer: Reducer,
    /// Inverse temperature of the mnrl loss.
    pub mnrl_scale: f32,
    /// Augmentation ranges (a `[augment]` table); none when absent.
    pub augment: Option<AugmentConfig>,
    /// Tower: `cnn` or `mlp`.
    pub tower: String,
    /// Embedding length.
    pub embedding_dim: usize,
    /// Input size `N` or `WxH` (the first image's size when absent).
    pub image_size: Option<String>,
    /// Input channels, 1 or 3 (from the first image when absent).
    pub channels: Option<usize>,
    /// Output channels of the conv blocks, comma-separated.
    pub conv_channels: String,
    /// Widths of the hidden fully connected layers, comma-separated (may be empty).
    pub hidden: String,
    /// Kernel size of each conv block, comma-separated (empty: 5 for every block).
    pub kernel_sizes: String,
    /// Stride of each conv block, comma-separated (empty: 1 for every block).
    pub strides: String,
    /// Max-pool of each conv block, comma-separated: 2 (2×2) or 0 (none) (empty: 2 for all).
    pub pools: String,
    /// Normalisation after each convolution: none, batch or instance.
    pub norm: ConvNorm,
    /// Dropout probability before each fully connected layer.
    pub dropout: f64,
    /// Average the last conv block over the image instead of flattening it.
    pub global_pool: bool,
    /// What the embedding goes through: none or sigmoid (Koch et al.).
    pub embedding_activation: EmbeddingActivation,
    /// Scale embeddings to unit length.
    pub normalize: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// Fraction of the training data held out for validation and calibration.
    pub val_fraction: f64,
    /// Validation pairs drawn from the held-out items.
    pub val_pairs: usize,
    /// Pairs (or images, for P×K) per epoch; one per training item when absent.
    pub pairs_per_epoch: Option<usize>,
    /// Comma-separated classes (writers) held out whole for validation and calibration,
    /// instead of `val-fraction` of the items.
    pub val_classes: Option<String>,
    /// Handwriting preprocessing: threshold, crop to the ink, fit the canvas keeping the aspect
    /// ratio, ink bright on black.
    pub handwriting: bool,
    /// Ink threshold of the handwriting preprocessing: `otsu` or a gray level in (0, 1).
    pub ink_threshold: String,
    /// Paper left around the ink, as a fraction of the canvas's shorter side.
    pub ink_margin: f32,
    /// SiamFC tracking settings (`[track]`), for `sequences:` data.
    pub track: Option<crate::train::TrackConfig>,
}

impl Default for Recipe {
    fn default() -> Self {
        let t = TrainConfig::default();
        Self {
            data: None,
            out: None,
            split: Split::Train,
            classes: None,
            class_depth: 1,
            epochs: t.epochs,
            batch_size: t.batch_size,
            lr: t.learning_rate,
            weight_decay: t.weight_decay,
            optimizer: t.optimizer,
            lr_schedule: t.lr_schedule,
            warmup: t.warmup_fraction,
            grad_clip: t.grad_clip,
            keep_best: t.keep_best,
            patience: t.patience,
            validate_every: t.validate_every,
            loss: t.loss,
            margin: t.margin,
            distance: t.distance,
            sampler: t.sampler,
            classes_per_batch: t.classes_per_batch,
            per_class: t.per_class,
            pk_replacement: t.pk_replacement,
            miner: t.miner,
            reducer: t.reducer,
            mnrl_scale: t.mnrl_scale,
            augment: t.augment,
            tower: "cnn".into(),
            embedding_dim: 64,
            image_size: None,
            channels: None,
            conv_channels: "32,64".into(),
            hidden: "256".into(),
            kernel_sizes: String::new(),
            strides: String::new(),
            pools: String::new(),
            norm: ConvNorm::None,
            dropout: 0.0,
            global_pool: false,
            embedding_activation: EmbeddingActivation::None,
            normalize: false,
            seed: t.seed,
            val_fraction: t.validation_fraction,
            val_pairs: t.validation_pairs,
            pairs_per_epoch: t.pairs_per_epoch,
            val_classes: None,
            handwriting: false,
            ink_threshold: "otsu".into(),
            ink_margin: Handwriting::default().margin,
            track: None,
        }
    }
}

impl Recipe {
    /// Parses a recipe from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, RecipeError> {
        Self::parse(text, "recipe")
    }

    /// Reads a recipe file.
    pub fn from_file(path: &Path) -> Result<Self, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, origin: &str) -> Result<Self, RecipeError> {
        toml::from_str(text).map_err(|e| RecipeError::Parse {
            origin: origin.to_string(),
            message: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })
    }

    /// The recipe as TOML (every key, defaults included).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// The loop's settings.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            weight_decay: self.weight_decay,
            optimizer: self.optimizer,
            loss: self.loss,
            margin: self.margin,
            distance: self.distance,
            seed: self.seed,
            validation_fraction: self.val_fraction,
            validation_pairs: self.val_pairs,
            pairs_per_epoch: self.pairs_per_epoch,
            sampler: self.sampler,
            classes_per_batch: self.classes_per_batch,
            per_class: self.per_class,
            pk_replacement: self.pk_replacement,
            miner: self.miner,
            reducer: self.reducer,
            mnrl_scale: self.mnrl_scale,
            augment: self.augment,
            lr_schedule: self.lr_schedule,
            warmup_fraction: self.warmup,
            grad_clip: self.grad_clip,
            keep_best: self.keep_best,
            patience: self.patience,
            validate_every: self.validate_every,
            // Checked by `data_spec`, which every run reads its data through.
            handwriting: self.handwriting_settings().ok().flatten(),
            validation_classes: self
                .val_classes
                .as_deref()
                .map(parse_class_list)
                .unwrap_or_default(),
        }
    }

    /// The folder of tracking sequences a `sequences:DIR` data spec names, if it is one.
    pub fn sequences_dir(&self) -> Option<PathBuf> {
        let rest = self.data.as_deref()?.strip_prefix("sequences:")?;
        Some(PathBuf::from(rest))
    }

    /// The handwriting preprocessing the recipe asks for, if any.
    pub fn handwriting_settings(&self) -> Result<Option<Handwriting>, RecipeError> {
        if !self.handwriting {
            return Ok(None);
        }
        let threshold = match self.ink_threshold.trim() {
            "otsu" => Threshold::Otsu,
            v => Threshold::Fixed(v.parse::<f32>().map_err(|_| {
                invalid(
                    "ink-threshold",
                    format!("'{v}' is neither `otsu` nor a number"),
                )
            })?),
        };
        let hw = Handwriting {
            threshold,
            invert: true,
            margin: self.ink_margin,
        };
        hw.check().map_err(|e| {
            let key = if matches!(threshold, Threshold::Fixed(t) if !(t > 0.0 && t < 1.0)) {
                "ink-threshold"
            } else {
                "ink-margin"
            };
            invalid(key, e.to_string())
        })?;
        Ok(Some(hw))
    }

    /// The image shape the data is read at (`None`: the first image's own).
    pub fn requested_shape(&self) -> Result<Option<ImageShape>, RecipeError> {
        if let Some(c) = self.channels {
            if c != 1 && c != 3 {
                return Err(invalid("channels", format!("must be 1 or 3, not {c}")));
            }
        }
        let size = self.image_size.as_deref().map(parse_size).transpose()?;
        Ok(match (size, self.channels) {
            (None, None) => None,
            (Some((width, height)), c) => Some(ImageShape {
                channels: c.unwrap_or(1),
                height,
                width,
            }),
            (None, Some(channels)) => Some(ImageShape {
                channels,
                height: 28,
                width: 28,
            }),
        })
    }

    /// The data spec with the recipe's class depth.
    pub fn data_spec(&self) -> anyhow::Result<DataSpec> {
        let Some(data) = self.data.as_deref() else {
            return Err(invalid("data", "is required".into()).into());
        };
        let mut spec = DataSpec::parse(data)?;
        spec.class_depth = self.class_depth;
        spec.handwriting = self.handwriting_settings()?;
        Ok(spec)
    }

    /// Reads the training data the recipe names; returns it with its canonical spec.
    pub fn load_data(&self) -> anyhow::Result<(Dataset, String)> {
        let spec = self.data_spec()?;
        let mut classes = self.classes.as_deref().map(parse_class_list);
        if let Some(val) = self.val_classes.as_deref().map(parse_class_list) {
            // The held-out classes are read too (after the training ones); the split sets them
            // aside by name.
            let Some(train) = classes.as_mut() else {
                return Err(invalid(
                    "val-classes",
                    "needs `classes` too: the classes to train on".into(),
                )
                .into());
            };
            if let Some(both) = val.iter().find(|v| train.contains(v)) {
                return Err(invalid(
                    "val-classes",
                    format!("'{both}' is also a training class in `classes`"),
                )
                .into());
            }
            train.extend(val);
        }
        let data = load_dataset(
            &spec,
            self.split,
            self.requested_shape()?,
            classes.as_deref(),
        )?;
        Ok((data, spec.to_string()))
    }

    /// The tower for inputs of `shape`.
    pub fn tower_config(&self, shape: ImageShape) -> Result<TowerConfig, RecipeError> {
        let hidden = parse_list("hidden", &self.hidden)?;
        Ok(match self.tower.as_str() {
            "cnn" => TowerConfig::Cnn(CnnConfig {
                channels: shape.channels,
                height: shape.height,
                width: shape.width,
                conv_channels: parse_list("conv-channels", &self.conv_channels)?,
                kernel_size: 5,
                hidden,
                embedding_dim: self.embedding_dim,
                normalize: self.normalize,
                kernel_sizes: parse_list("kernel-sizes", &self.kernel_sizes)?,
                strides: parse_list("strides", &self.strides)?,
                pools: parse_pools(&self.pools)?,
                norm: self.norm,
                dropout: self.dropout,
                global_pool: self.global_pool,
                embedding_activation: self.embedding_activation,
            }),
            "mlp" => TowerConfig::Mlp(MlpConfig {
                input_dim: shape.numel(),
                hidden,
                embedding_dim: self.embedding_dim,
                normalize: self.normalize,
            }),
            "siamfc" => {
                return Err(invalid(
                    "tower",
                    "the siamfc tower trains on tracking sequences: `data` sequences:DIR".into(),
                ))
            }
            other => {
                return Err(invalid(
                    "tower",
                    format!("unknown tower '{other}' (choose one of: cnn, mlp, siamfc)"),
                ))
            }
        })
    }
}

fn invalid(key: &'static str, reason: String) -> RecipeError {
    RecipeError::Invalid { key, reason }
}

/// Parses `N` or `WxH` (an image size).
///
/// ```
/// assert_eq!(twinnet::recipe::parse_size("28").unwrap(), (28, 28));
/// assert_eq!(twinnet::recipe::parse_size("220x155").unwrap(), (220, 155));
/// assert!(twinnet::recipe::parse_size("0x5").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<(usize, usize), RecipeError> {
    let parse = |v: &str| match v.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(
            "image-size",
            format!("'{s}' is not N or WxH with positive numbers"),
        )),
    };
    match s.split_once(['x', 'X']) {
        Some((w, h)) => Ok((parse(w)?, parse(h)?)),
        None => {
            let n = parse(s)?;
            Ok((n, n))
        }
    }
}

/// Pool sizes: 2 or 0 per block.
fn parse_pools(s: &str) -> Result<Vec<usize>, RecipeError> {
    s.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| match v {
            "2" => Ok(2),
            "0" => Ok(0),
            _ => Err(invalid(
                "pools",
                format!("'{v}' is neither 2 (a 2×2 max-pool) nor 0 (none)"),
            )),
        })
        .collect()
}

fn parse_list(key: &'static str, s: &str) -> Result<Vec<usize>, RecipeError> {
    s.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| invalid(key, format!("'{v}' is not a positive number")))
        })
        .collect()
}
