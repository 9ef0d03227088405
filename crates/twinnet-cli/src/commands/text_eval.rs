//! `twinnet eval` for a text model on a TSV of text pairs.

use super::eval::Args;
use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::Path;
use twinnet::data::{read_text_pairs, TextPairs};
use twinnet::eval::{
    calibrate_threshold, evaluate_text_pairs, text_pair_distances, TextPairMetrics,
};
use twinnet::text::TextModel;

#[derive(Serialize)]
struct TextEvalOutput {
    #[serde(flatten)]
    metrics: TextPairMetrics,
    /// Where the threshold came from: `--threshold`, `calibration` (the `--calibration` file),
    /// `model` (calibrated on validation data when it was fine-tuned), or `none`.
    threshold_source: String,
    model: String,
    data: String,
}

fn distances(model: &TextModel, data: &TextPairs) -> Result<Vec<f32>> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} texts {per_sec} eta {eta}")
            .expect("static template"),
    );
    let d = text_pair_distances(model, data, |n, total| {
        bar.set_length(total as u64);
        bar.inc(n as u64)
    })?;
    bar.finish_and_clear();
    Ok(d)
}

/// Evaluates a text model on `args.data` (a pair TSV).
pub fn run(args: &Args) -> Result<()> {
    let model = TextModel::load(&args.model)?;
    let data = read_text_pairs(Path::new(&args.data))?;
    let (threshold, source) = match (args.threshold, &args.calibration) {
        (Some(t), _) => (Some(t), "--threshold"),
        (None, Some(file)) => {
            let cal = read_text_pairs(file)?;
            if cal.same().iter().all(|&s| s) || cal.same().iter().all(|&s| !s) {
                bail!(
                    "{}: calibration needs both same and different pairs",
                    file.display()
                );
            }
            let d = distances(&model, &cal)?;
            (Some(calibrate_threshold(&d, &cal.same())), "calibration")
        }
        (None, None) => match model.manifest.threshold {
            Some(t) => (Some(t), "model"),
            None => (None, "none"),
        },
    };
    let d = distances(&model, &data)?;
    let out = TextEvalOutput {
        metrics: evaluate_text_pairs(&data, &d, threshold),
        threshold_source: source.into(),
        model: args.model.display().to_string(),
        data: args.data.clone(),
    };
    if args.json {
        return print_json(&out);
    }
    let m = &out.metrics;
    let opt = |v: Option<f64>| v.map_or("-".into(), f4);
    let mut t = Table::new(&["metric", "value"]);
    t.row(vec!["pairs".into(), m.pairs.to_string()]);
    t.row(vec!["ROC AUC".into(), f4(m.auc)]);
    t.row(vec!["EER".into(), f4(m.eer)]);
    t.row(vec!["average precision".into(), f4(m.average_precision)]);
    t.row(vec!["accuracy".into(), opt(m.accuracy)]);
    t.row(vec!["F1".into(), opt(m.f1)]);
    t.row(vec![
        format!("threshold ({})", out.threshold_source),
        m.threshold.map_or("-".into(), |t| format!("{t:.4}")),
    ]);
    t.row(vec!["Spearman".into(), f4(m.spearman)]);
    t.row(vec!["Pearson".into(), f4(m.pearson)]);
    println!("{}", t.render());
    if m.threshold.is_none() {
        eprintln!(
            "note: no threshold: accuracy and F1 need --calibration VALIDATION.tsv or --threshold"
        );
    }
    Ok(())
}
