//! The library's front door to training: a [`Recipe`], an optional observer, data in; a
//! [`Trained`] model in memory out, nothing printed.

use super::observer::{Observer, Silent};
use super::run::{fit_image, Trained};
use super::track::{train_tracker, TrackTrainReport};
use crate::data::Dataset;
use crate::distributed::{Collective, Local};
use crate::recipe::Recipe;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Trains a Siamese network from a recipe.
///
/// Checkpoints go to the recipe's `out` directory when it has one (so a run can be resumed),
/// else to a temporary directory that is removed afterwards. The model is written only by
/// [`Trained::save`].
///
/// ```
/// use twinnet::data::{Dataset, ImageShape, LabeledImages};
/// use twinnet::train::{Recorder, Trainer};
/// use twinnet::Recipe;
///
/// // Two classes of 4×4 images: bright top half or bright bottom half, 40 of each.
/// let shape = ImageShape { channels: 1, height: 4, width: 4 };
/// let (mut pixels, mut labels) = (Vec::new(), Vec::new());
/// for i in 0..80 {
///     let top = i % 2 == 0;
///     for k in 0..16 {
///         let lit = (k < 8) == top;
///         pixels.push(if lit { 0.9 } else { 0.1 } + 0.01 * (i % 7) as f32);
///     }
///     labels.push(i % 2);
/// }
/// let data = Dataset::Labeled(LabeledImages {
///     pixels, labels, shape, class_names: vec!["top".into(), "bottom".into()],
/// });
/// let recipe = Recipe::from_toml(
///     "tower = \"mlp\"\nhidden = \"16\"\nembedding-dim = 4\nepochs = 2\nbatch-size = 16\nval-pairs = 40\nval-fraction = 0.25",
/// ).unwrap();
/// let mut seen = Recorder::default();
/// let trained = Trainer::new(recipe).observer(&mut seen).fit(data).unwrap();
/// assert_eq!(trained.history.len(), 2);
/// assert_eq!(seen.epochs.len(), 2); // the observer saw each epoch end
/// assert!(trained.history[1].val_auc > 0.9, "{:?}", trained.history);
/// ```
pub struct Trainer<'o> {
    recipe: Recipe,
    observer: Option<&'o mut dyn Observer>,
    resume: bool,
    world: Option<&'o dyn Collective>,
}

impl<'o> Trainer<'o> {
    /// A trainer for `recipe` (checked when [`fit`](Self::fit) starts).
    pub fn new(recipe: Recipe) -> Self {
        Self {
            recipe,
            observer: None,
            resume: false,
            world: None,
        }
    }

    /// Trains data-parallel with the other ranks of `world` (e.g. [`crate::distributed::Mpi`]):
    /// each rank trains on its share of every batch, `batch-size` is per rank, and rank 0
    /// alone writes checkpoints and metrics (see [`crate::distributed`]). Image models only.
    pub fn distributed(mut self, world: &'o dyn Collective) -> Self {
        self.world = Some(world);
        self
    }

    /// Reports progress to `observer` (default: nothing).
    pub fn observer(mut self, observer: &'o mut dyn Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Continues from the checkpoint in the recipe's `out` directory.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Trains a SiamFC tracker on the recipe's `sequences:DIR` data (its `[track]` table, or the
    /// defaults), writing the model to the recipe's `out` after each epoch.
    pub fn fit_sequences(self) -> Result<TrackTrainReport> {
        let spec = self.recipe.data.clone().unwrap_or_default();
        let Some(dir) = self.recipe.sequences_dir() else {
            anyhow::bail!("`data` must be sequences:DIR for a tracker, not '{spec}'");
        };
        let Some(out) = self.recipe.out.clone() else {
            anyhow::bail!("`out` is required to train a tracker");
        };
        if self.world.is_some_and(|w| w.size() > 1) {
            anyhow::bail!("a tracker does not train on several ranks (--distributed) yet; train it in one process");
        }
        // `cnn` is the recipe default, so only another explicit tower is a contradiction.
        if !matches!(self.recipe.tower.as_str(), "siamfc" | "cnn") {
            let tower = &self.recipe.tower;
            anyhow::bail!("`tower` {tower} cannot track; sequences:DIR data trains the siamfc tower (`[track.tower]`)");
        }
        let sequences = crate::data::load_sequences(&dir)?;
        let track = self.recipe.track.clone().unwrap_or_default();
        let cfg = self.recipe.train_config();
        let mut silent = Silent;
        let observer = self.observer.unwrap_or(&mut silent);
        train_tracker(&sequences, &spec, &cfg, &track, &out, self.resume, observer)
    }

    /// Trains on `data` (read it with [`Recipe::load_data`], or build it in memory).
    pub fn fit(self, data: Dataset) -> Result<Trained> {
        let tower = self.recipe.tower_config(data.shape())?;
        let spec = self.recipe.data.clone().unwrap_or_else(|| "memory".into());
        let temp;
        let dir: PathBuf = match &self.recipe.out {
            Some(out) => out.clone(),
            None => {
                temp = tempfile::tempdir().context("cannot create a checkpoint directory")?;
                temp.path().to_path_buf()
            }
        };
        let mut silent = Silent;
        let observer = match self.observer {
            Some(o) => o,
            None => &mut silent,
        };
        fit_image(
            data,
            &spec,
            tower,
            &self.recipe.train_config(),
            &dir,
            self.resume,
            observer,
            self.world.unwrap_or(&Local),
        )
    }
}
