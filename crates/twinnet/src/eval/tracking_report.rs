//! `track eval`: a tracking model and the two baselines on the same sequences, by the same
//! code, with OTB's success and precision plots.

use super::tracking::{score_tracker, TrackerScore};
use crate::data::{load_sequences, FrameStore};
use crate::model::TrackerModel;
use crate::tracking::{NccTracker, SiamFcTracker, StaticTracker, Tracker};
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

/// The baselines, scored like the model.
#[derive(Debug, Clone, Serialize)]
pub struct Baselines {
    /// The box that stays at its first position.
    #[serde(rename = "static")]
    pub static_box: TrackerScore,
    /// Normalised cross-correlation template matching on raw pixels.
    pub ncc: TrackerScore,
}

/// What `track eval` reports: the model's figures at the top level, the baselines beside them.
#[derive(Debug, Clone, Serialize)]
pub struct TrackingReport {
    /// The model directory.
    pub model: String,
    /// The sequences folder.
    pub sequences_dir: String,
    /// Frames over all sequences.
    pub frames: usize,
    /// The model's figures (`success_auc`, `precision_20px`, `fps`, `sequences`, `curves`).
    #[serde(flatten)]
    pub siamfc: TrackerScore,
    /// The baselines.
    pub baselines: Baselines,
    /// Pictures written (success and precision plots, PNG + SVG).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plots: Vec<String>,
}

/// Evaluates the tracking model in `model_dir` and both baselines on every sequence of
/// `sequences_dir`; with `plots`, draws the success and precision plots there.
pub fn evaluate_tracking(
    model_dir: &Path,
    sequences_dir: &Path,
    plots: Option<&Path>,
    show_progress: bool,
) -> Result<TrackingReport> {
    let model = TrackerModel::load(model_dir)?;
    let seqs = load_sequences(sequences_dir)?;
    let frames = FrameStore::load(seqs.iter().flat_map(|s| &s.frames))?;
    let total: usize = seqs.iter().map(|s| s.len()).sum();
    let bar = if show_progress {
        indicatif::ProgressBar::new(3 * total as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>8} [{bar:30}] {pos}/{len} frames {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let run = |t: &mut dyn Tracker| {
        bar.set_message(t.name());
        score_tracker(t, &seqs, &frames, &mut |n| bar.inc(n as u64))
    };
    let siamfc = run(&mut SiamFcTracker::new(&model)?)?;
    let baselines = Baselines {
        static_box: run(&mut StaticTracker::default())?,
        ncc: run(&mut NccTracker::default())?,
    };
    bar.finish_and_clear();
    let mut written = Vec::new();
    if let Some(dir) = plots {
        written = draw(dir, &[&siamfc, &baselines.ncc, &baselines.static_box])?;
    }
    Ok(TrackingReport {
        model: model_dir.display().to_string(),
        sequences_dir: sequences_dir.display().to_string(),
        frames: total,
        siamfc,
        baselines,
        plots: written,
    })
}

#[cfg(feature = "plots")]
fn draw(dir: &Path, scores: &[&TrackerScore]) -> Result<Vec<String>> {
    let mut out = super::tracking_plots::plot_success(&dir.join("success"), scores)?;
    out.extend(super::tracking_plots::plot_precision(
        &dir.join("precision"),
        scores,
    )?);
    Ok(out.iter().map(|p| p.display().to_string()).collect())
}

#[cfg(not(feature = "plots"))]
fn draw(_: &Path, _: &[&TrackerScore]) -> Result<Vec<String>> {
    anyhow::bail!("this build of twinnet has no `plots` feature")
}
