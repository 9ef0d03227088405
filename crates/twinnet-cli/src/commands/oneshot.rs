//! `twinnet oneshot`: N-way K-shot accuracy on (ideally unseen) classes.

use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Dataset, Split};
use twinnet::eval::{one_shot, OneShotResult, ShotRule};
use twinnet::model::TwinModel;

/// Flags of `twinnet oneshot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Data with class labels (IDX folder or image folder).
    #[arg(long)]
    pub data: String,
    /// IDX split.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Comma-separated classes to draw episodes from (default: all).
    #[arg(long)]
    pub classes: Option<String>,
    /// Image folders: how many folder levels down the classes sit (2 for alphabet/character).
    #[arg(long, default_value_t = 1)]
    pub class_depth: usize,
    /// N: classes per episode.
    #[arg(long, default_value_t = 5)]
    pub ways: usize,
    /// K: support examples per class.
    #[arg(long, default_value_t = 1)]
    pub shots: usize,
    /// Episodes.
    #[arg(long, default_value_t = 2000)]
    pub episodes: usize,
    /// Compare the query with each class's mean embedding instead of the mean distance to its supports.
    #[arg(long)]
    pub prototype: bool,
    /// Seed of the episodes.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `oneshot --json` prints.
#[derive(Serialize)]
pub struct OneShotOutput {
    #[serde(flatten)]
    result: OneShotResult,
    /// Classes the episodes were drawn from.
    classes: Vec<String>,
    /// Classes that the model was also trained on (then it is not one-shot).
    seen_in_training: Vec<String>,
}

/// Runs `twinnet oneshot`.
pub fn run(args: Args) -> Result<()> {
    let out = evaluate(&args)?;
    if !out.seen_in_training.is_empty() {
        eprintln!(
            "warning: {} of the evaluated classes were in the model's training data ({}); this is not one-shot on unseen classes",
            out.seen_in_training.len(),
            out.seen_in_training.join(", ")
        );
    }
    if args.json {
        return print_json(&out);
    }
    println!("{}", table(&out));
    Ok(())
}

/// Runs the episodes (used by `demo` too).
pub fn evaluate(args: &Args) -> Result<OneShotOutput> {
    let model = TwinModel::load(&args.model)?;
    let mut spec = DataSpec::parse(&args.data)?;
    spec.class_depth = args.class_depth;
    let classes = args.classes.as_deref().map(parse_class_list);
    let data = load_dataset(
        &spec,
        args.split,
        Some(model.manifest.input.shape),
        classes.as_deref(),
    )?;
    let Dataset::Labeled(d) = data else {
        bail!(
            "one-shot episodes need class labels; {} is a pair list",
            spec.path.display()
        );
    };
    if d.is_empty() {
        bail!("the selection holds no examples");
    }
    let emb = model.embed_all(d.len(), |i| d.item(i));
    let rule = if args.prototype {
        ShotRule::Prototype
    } else {
        ShotRule::MeanDistance
    };
    let result = one_shot(
        &emb,
        model.manifest.tower.embedding_dim(),
        &d.labels,
        &d.class_names,
        args.ways,
        args.shots,
        args.episodes,
        args.seed,
        &model.scorer,
        rule,
    )?;
    let trained = &model.manifest.training.classes;
    let seen = d
        .class_names
        .iter()
        .filter(|c| trained.contains(c))
        .cloned()
        .collect();
    Ok(OneShotOutput {
        result,
        classes: d.class_names.clone(),
        seen_in_training: seen,
    })
}

/// The result as a table.
pub fn table(out: &OneShotOutput) -> String {
    let r = &out.result;
    let mut t = Table::new(&["metric", "value"]);
    t.row(vec![
        "task".into(),
        format!("{}-way {}-shot, {} episodes", r.ways, r.shots, r.episodes),
    ]);
    t.row(vec!["classes".into(), out.classes.join(", ")]);
    t.row(vec![
        "accuracy".into(),
        format!("{} ± {} (95 % CI)", f4(r.accuracy), f4(r.ci95)),
    ]);
    t.row(vec!["chance".into(), f4(r.chance)]);
    t.render()
}
