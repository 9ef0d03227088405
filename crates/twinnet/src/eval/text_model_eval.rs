//! Evaluating a saved text model on a file of text pairs, with its decision threshold taken
//! from where the user says: given, calibrated on separate validation pairs, or the model's own.

use super::{calibrate_threshold, evaluate_text_pairs, text_pair_distances, TextPairMetrics};
use crate::data::read_text_pairs;
use crate::text::TextModel;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where a text evaluation's decision threshold comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ThresholdFrom {
    /// This value.
    Given(f32),
    /// Calibrated on these labelled validation pairs (never on the test pairs).
    Calibration(PathBuf),
    /// The model's own (calibrated when it was fine-tuned), if it has one.
    Model,
}

/// A text model's metrics on a pair file (the JSON of `twinnet eval` for a text model).
#[derive(Debug, Clone, Serialize)]
pub struct TextEvalReport {
    /// The metrics.
    #[serde(flatten)]
    pub metrics: TextPairMetrics,
    /// Where the threshold came from: `--threshold`, `calibration` (the calibration file),
    /// `model` (calibrated on validation data when it was fine-tuned), or `none`.
    pub threshold_source: String,
    /// Model directory.
    pub model: String,
    /// The evaluated pair file.
    pub data: String,
}

/// Evaluates the text model in `model_dir` on the pairs in `data`; `progress(done, total)`
/// counts distinct texts embedded.
pub fn evaluate_text_model(
    model_dir: &Path,
    data: &Path,
    threshold: &ThresholdFrom,
    mut progress: impl FnMut(usize, usize),
) -> Result<TextEvalReport> {
    let model = TextModel::load(model_dir)?;
    let pairs = read_text_pairs(data)?;
    super::require_same_and_different(&pairs.same())
        .with_context(|| format!("{}", data.display()))?;
    let (threshold, source) = match threshold {
        ThresholdFrom::Given(t) => (Some(crate::embedder::check_threshold(*t)?), "--threshold"),
        ThresholdFrom::Calibration(file) => {
            let cal = read_text_pairs(file)?;
            let same = cal.same();
            super::require_same_and_different(&same)
                .with_context(|| format!("{}: calibration", file.display()))?;
            let d = text_pair_distances(&model, &cal, &mut progress)?;
            (Some(calibrate_threshold(&d, &same)), "calibration")
        }
        ThresholdFrom::Model => match model.manifest.threshold {
            Some(t) => (Some(t), "model"),
            None => (None, "none"),
        },
    };
    let d: Vec<f32> = text_pair_distances(&model, &pairs, &mut progress)?;
    Ok(TextEvalReport {
        metrics: evaluate_text_pairs(&pairs, &d, threshold),
        threshold_source: source.into(),
        model: model_dir.display().to_string(),
        data: data.display().to_string(),
    })
}
