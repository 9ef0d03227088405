//! The whole set of pictures for a model on a dataset: ROC, distance histograms, the embedding
//! map and, when the model directory holds its `metrics.jsonl`, the training curves.

use super::plots::{plot_distances, plot_embeddings, plot_roc, plot_training};
use super::{evaluate_model_scores, roc_curve, EvalData, VerificationMetrics};
use crate::data::Dataset;
use crate::model::TwinModel;
use crate::train::read_metrics;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Writes every picture for the model in `model_dir` on `data` into `out`: ROC and histograms
/// over `pairs` balanced pairs drawn with `seed`, `points` items in the embedding map.
pub fn make_plots(
    model_dir: &Path,
    data: &EvalData,
    pairs: usize,
    points: usize,
    seed: u64,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let model = TwinModel::load(model_dir)?;
    let (_, dataset) = data.load(&model)?;
    let (metrics, scores, same) = evaluate_model_scores(&model, &dataset, pairs, seed)?;
    draw_plots(&model, &dataset, &metrics, &scores, &same, points, out)
}

/// Draws every picture from an already evaluated model (`eval --plots` reuses its own scores).
pub fn draw_plots(
    model: &TwinModel,
    dataset: &Dataset,
    metrics: &VerificationMetrics,
    scores: &[f32],
    same: &[bool],
    points: usize,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let mut files = plot_roc(
        &out.join("roc"),
        &roc_curve(scores, same),
        metrics.eer,
        metrics.threshold,
    )?;
    files.extend(plot_distances(
        &out.join("distances"),
        scores,
        same,
        metrics.threshold,
    )?);
    if let Dataset::Labeled(d) = dataset {
        // An evenly spread subset, so every class shows.
        let step = (d.len() / points.max(1)).max(1);
        let idx: Vec<usize> = (0..d.len()).step_by(step).take(points).collect();
        let emb = model.embed_all(idx.len(), |k| d.item(idx[k]));
        let labels: Vec<usize> = idx.iter().map(|&i| d.labels[i]).collect();
        files.extend(plot_embeddings(
            &out.join("embeddings"),
            &emb,
            model.manifest.tower.embedding_dim(),
            &labels,
            &d.class_names,
        )?);
    }
    let history = read_metrics(&model.dir)?;
    if !history.is_empty() {
        files.extend(plot_training(&out.join("training"), &history)?);
    }
    Ok(files)
}
