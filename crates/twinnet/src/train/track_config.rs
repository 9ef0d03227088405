//! The `[track]` table of a recipe: what a SiamFC run needs besides the common training keys.

use crate::model::TrackerSettings;
use crate::sampling::CropSpec;
use crate::tower::SiamFcConfig;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// SiamFC training settings (`[track]`, with `[track.tower]` and `[track.tracker]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrackConfig {
    /// The tower and crop sizes.
    pub tower: SiamFcConfig,
    /// The tracker's settings, stored in the model.
    pub tracker: TrackerSettings,
    /// Largest distance in frames between the exemplar and the search frame of a pair.
    pub max_gap: usize,
    /// Largest relative stretch of a training search crop.
    pub stretch: f32,
    /// Largest shift of a training search crop's centre, in search-crop pixels.
    pub shift: f32,
    /// Mirror both crops of a pair left to right at random (a target seen mirrored is still
    /// itself; the centred labels are symmetric).
    pub flip: bool,
    /// Largest random change of each crop's brightness and contrast (0.1: ±10 %), drawn
    /// separately for the exemplar and the search crop.
    pub color_jitter: f32,
    /// Score-map cells within this many search-crop pixels of the centre are positives.
    pub positive_radius: f32,
    /// Fixed validation pairs drawn from the held-out sequences.
    pub val_pairs: usize,
}

impl Default for TrackConfig {
    fn default() -> Self {
        Self {
            tower: SiamFcConfig::default(),
            tracker: TrackerSettings::default(),
            max_gap: 100,
            stretch: 0.05,
            shift: 4.0,
            flip: true,
            color_jitter: 0.1,
            positive_radius: 16.0,
            val_pairs: 256,
        }
    }
}

impl TrackConfig {
    /// Refuses settings no run can train with, naming the key.
    pub fn check(&self) -> Result<()> {
        self.tower.score_size()?;
        self.tracker.check()?;
        if self.max_gap == 0 {
            bail!("`track.max-gap` must be at least 1 frame");
        }
        if !((0.0..0.5).contains(&self.stretch) && self.shift.is_finite() && self.shift >= 0.0) {
            bail!("`track.stretch` must be in [0, 0.5) and `track.shift` a number ≥ 0");
        }
        if !(0.0..0.5).contains(&self.color_jitter) {
            bail!("`track.color-jitter` must be in [0, 0.5)");
        }
        if !(self.positive_radius.is_finite() && self.positive_radius > 0.0) {
            bail!("`track.positive-radius` must be a positive number of pixels");
        }
        if self.val_pairs == 0 {
            bail!("`track.val-pairs` must be at least 1");
        }
        Ok(())
    }

    /// How training crops are cut.
    pub fn crops(&self) -> CropSpec {
        CropSpec {
            exemplar_size: self.tower.exemplar_size,
            search_size: self.tower.search_size,
            context: self.tracker.context,
            stretch: self.stretch,
            shift: self.shift,
        }
    }

    /// The positive radius in score-map cells.
    pub fn radius_cells(&self) -> Result<f32> {
        Ok(self.positive_radius / self.tower.total_stride()? as f32)
    }
}
