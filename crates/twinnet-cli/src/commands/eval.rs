//! `twinnet eval`.

use crate::output::{f4, print_json, Table};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Split};
use twinnet::eval::evaluate_model;
use twinnet::model::TwinModel;

/// Flags of `twinnet eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Evaluation data (IDX folder, image folder or pair list; see `train --help`).
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
}

/// Runs `twinnet eval`.
pub fn run(args: Args) -> Result<()> {
    let out = evaluate(
        &args.model,
        &args.data,
        args.split,
        args.classes.as_deref(),
        args.pairs,
        args.seed,
    )?;
    if args.json {
        return print_json(&out);
    }
    println!("{}", eval_table(&out));
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
    let model = TwinModel::load(model_dir)?;
    let spec = DataSpec::parse(data)?;
    let classes = classes.map(parse_class_list);
    let data_set = load_dataset(
        &spec,
        split,
        Some(model.manifest.input.shape),
        classes.as_deref(),
    )?;
    let m = evaluate_model(&model, &data_set, pairs, seed)?;
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
