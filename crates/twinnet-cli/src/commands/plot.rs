//! `twinnet plot`: ROC, distance histograms, an embedding map and training curves as PNG + SVG.

use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Dataset, Split};
use twinnet::eval::plots::{plot_distances, plot_embeddings, plot_roc, plot_training};
use twinnet::eval::{evaluate_model_scores, roc_curve, VerificationMetrics};
use twinnet::model::TwinModel;
use twinnet::train::EpochMetrics;

/// Flags of `twinnet plot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (its metrics.jsonl gives the training curves).
    #[arg(long)]
    pub model: PathBuf,
    /// Evaluation data for the ROC, histograms and embedding map.
    #[arg(long)]
    pub data: String,
    /// IDX split.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Comma-separated classes (default: all).
    #[arg(long)]
    pub classes: Option<String>,
    /// Balanced pairs for the ROC and histograms.
    #[arg(long, default_value_t = 10_000)]
    pub pairs: usize,
    /// Items shown in the embedding map.
    #[arg(long, default_value_t = 2000)]
    pub points: usize,
    /// Seed of the pair draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the pictures.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the written files as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Written {
    files: Vec<String>,
}

/// Runs `twinnet plot`.
pub fn run(args: Args) -> Result<()> {
    let files = make_plots(
        &args.model,
        &args.data,
        args.split,
        args.classes.as_deref(),
        args.pairs,
        args.points,
        args.seed,
        &args.out,
    )?;
    let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    if args.json {
        return crate::output::print_json(&Written { files });
    }
    for f in files {
        println!("{f}");
    }
    Ok(())
}

/// Writes every picture for `model` on `data` into `out` (used by `eval --plots` and `demo`).
#[allow(clippy::too_many_arguments)]
pub fn make_plots(
    model_dir: &Path,
    data: &str,
    split: Split,
    classes: Option<&str>,
    pairs: usize,
    points: usize,
    seed: u64,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let model = TwinModel::load(model_dir)?;
    let spec = DataSpec::parse(data)?;
    let classes = classes.map(parse_class_list);
    let dataset = load_dataset(
        &spec,
        split,
        Some(model.manifest.input.shape),
        classes.as_deref(),
    )?;
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
    let metrics_path = model.dir.join("metrics.jsonl");
    if let Ok(text) = std::fs::read_to_string(&metrics_path) {
        let history: Vec<EpochMetrics> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("{}: {e}", metrics_path.display()))?;
        if !history.is_empty() {
            files.extend(plot_training(&out.join("training"), &history)?);
        }
    }
    Ok(files)
}
