//! `twinnet eval`.

use crate::output::{f4, print_json, Table};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use twinnet::data::Dataset;
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Split};
use twinnet::eval::{evaluate_model_scores, retrieval, RetrievalMetrics};
use twinnet::model::TwinModel;

/// Flags of `twinnet eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Evaluation data (IDX folder, image folder or pair list; see `train --help`). For a text
    /// model: a TSV of text pairs `text_a<TAB>text_b<TAB>label or score`.
    #[arg(long)]
    pub data: String,
    /// IDX split to evaluate on.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Comma-separated class names to evaluate on (default: all).
    #[arg(long)]
    pub classes: Option<String>,
    /// Balanced pairs to draw (labelled data; a pair list uses its own pairs).
    #[arg(long, default_value_t = 10_000)]
    pub pairs: usize,
    /// Seed of the pair draw (same seed → same pairs).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Image folders: how many folder levels down the classes sit.
    #[arg(long, default_value_t = 1)]
    pub class_depth: usize,
    /// Also compute retrieval metrics (precision@1, recall@1/5/10, MAP@R), every item as a
    /// query against all the others.
    #[arg(long)]
    pub retrieval: bool,
    /// Also write the pictures (ROC, histograms, embedding map, training curves) to this folder.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Text models: labelled validation pairs (TSV) to calibrate the decision threshold on,
    /// for a model that has none yet (never calibrate on the test pairs).
    #[arg(long, value_name = "TSV")]
    pub calibration: Option<PathBuf>,
    /// Text models: decide with this distance threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The result of `twinnet eval`, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct EvalOutput {
    /// ROC AUC.
    pub auc: f64,
    /// Equal error rate.
    pub eer: f64,
    /// Accuracy at the model's threshold (calibrated on validation data at training time).
    pub accuracy: f64,
    /// The model's threshold.
    pub threshold: f32,
    /// True accept rate at each false accept rate.
    pub tar_at_far: BTreeMap<String, f64>,
    /// Pairs evaluated.
    pub pairs: usize,
    /// Same pairs among them.
    pub positives: usize,
    /// Model directory.
    pub model: String,
    /// Data spec.
    pub data: String,
    /// Classes evaluated (empty: all).
    pub classes: Vec<String>,
    /// Seed of the pair draw.
    pub seed: u64,
    /// Retrieval metrics, with `--retrieval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalMetrics>,
}

/// Runs `twinnet eval`.
pub fn run(args: Args) -> Result<()> {
    if twinnet::text::is_text_model(&args.model) {
        return super::text_eval::run(&args);
    }
    if args.calibration.is_some() || args.threshold.is_some() {
        anyhow::bail!("--calibration and --threshold apply to text models; an image model uses the threshold calibrated when it was trained");
    }
    let out = evaluate_at_depth(
        &args.model,
        &args.data,
        args.split,
        args.classes.as_deref(),
        args.pairs,
        args.seed,
        args.class_depth,
        args.retrieval,
        args.plots.as_deref(),
    )?;
    if args.json {
        return print_json(&out);
    }
    if let Some(dir) = &args.plots {
        println!("pictures written to {}", dir.display());
    }
    println!("{}", eval_table(&out));
    if let Some(r) = &out.retrieval {
        println!("\n{}", retrieval_table(r));
    }
    Ok(())
}

/// Evaluates a model directory on a data spec (used by `demo` too).
pub fn evaluate(
    model_dir: &Path,
    data: &str,
    split: Split,
    classes: Option<&str>,
    pairs: usize,
    seed: u64,
) -> Result<EvalOutput> {
    evaluate_at_depth(model_dir, data, split, classes, pairs, seed, 1, false, None)
}

/// [`evaluate`] with a folder class depth and optional retrieval metrics.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_at_depth(
    model_dir: &Path,
    data: &str,
    split: Split,
    classes: Option<&str>,
    pairs: usize,
    seed: u64,
    class_depth: usize,
    with_retrieval: bool,
    plots: Option<&Path>,
) -> Result<EvalOutput> {
    let model = TwinModel::load(model_dir)?;
    let mut spec = DataSpec::parse(data)?;
    spec.class_depth = class_depth;
    let classes = classes.map(parse_class_list);
    let data_set = load_dataset(
        &spec,
        split,
        Some(model.manifest.input.shape),
        classes.as_deref(),
    )?;
    let (m, scores, same) = evaluate_model_scores(&model, &data_set, pairs, seed)?;
    if let Some(dir) = plots {
        twinnet::eval::draw_plots(&model, &data_set, &m, &scores, &same, 2000, dir)?;
    }
    let retrieval_metrics = match (&data_set, with_retrieval) {
        (Dataset::Labeled(d), true) => {
            let emb = model.embed_all(d.len(), |i| d.item(i));
            Some(retrieval(
                &emb,
                model.manifest.tower.embedding_dim(),
                &d.labels,
                &model.scorer,
            ))
        }
        (Dataset::Pairs(_), true) => {
            anyhow::bail!("--retrieval needs class labels, not a pair list")
        }
        _ => None,
    };
    Ok(EvalOutput {
        auc: m.auc,
        eer: m.eer,
        accuracy: m.accuracy,
        threshold: m.threshold,
        tar_at_far: BTreeMap::from([
            ("1e-2".to_string(), m.tar_at_far_1e2),
            ("1e-3".to_string(), m.tar_at_far_1e3),
        ]),
        pairs: m.pairs,
        positives: m.positives,
        model: model_dir.display().to_string(),
        data: spec.to_string(),
        classes: classes.unwrap_or_default(),
        seed,
        retrieval: retrieval_metrics,
    })
}

/// The metrics as a two-column table.
pub fn eval_table(out: &EvalOutput) -> String {
    let mut t = Table::new(&["metric", "value"]);
    t.row(vec![
        "pairs".into(),
        format!("{} ({} same)", out.pairs, out.positives),
    ]);
    t.row(vec!["roc_auc".into(), f4(out.auc)]);
    t.row(vec!["eer".into(), f4(out.eer)]);
    for (far, tar) in &out.tar_at_far {
        t.row(vec![format!("tar@far={far}"), f4(*tar)]);
    }
    t.row(vec![
        "threshold (from validation)".into(),
        format!("{:.4}", out.threshold),
    ]);
    t.row(vec!["accuracy".into(), f4(out.accuracy)]);
    t.render()
}

/// Retrieval metrics as a table.
pub fn retrieval_table(r: &RetrievalMetrics) -> String {
    let mut t = Table::new(&["retrieval", "value"]);
    t.row(vec!["queries".into(), r.queries.to_string()]);
    t.row(vec!["precision@1".into(), f4(r.precision_at_1)]);
    for (k, v) in &r.recall_at_k {
        t.row(vec![format!("recall@{k}"), f4(*v)]);
    }
    t.row(vec!["MAP@R".into(), f4(r.map_at_r)]);
    t.render()
}
