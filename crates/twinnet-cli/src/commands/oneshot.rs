//! `twinnet oneshot`: N-way K-shot accuracy on (ideally unseen) classes.

use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use std::path::PathBuf;
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Dataset, Split};
use twinnet::eval::{
    evaluate_one_shot, OneShotReport, OneShotSettings, ShotRule, DEFAULT_WHITEN_SHRINKAGE,
};
use twinnet::model::TwinModel;
use twinnet::tower::FeatureLayer;

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
    /// Where to read the tower: embedding (its output), hidden (the last hidden layer) or conv
    /// (the flattened last conv block, which transfers best to unseen classes). Other layers are
    /// compared by cosine distance.
    #[arg(long, default_value = "embedding")]
    pub layer: FeatureLayer,
    /// Subtract the mean feature of the model's training classes (from --data's train split)
    /// before comparing (SimpleShot's centring), then compare by cosine distance.
    #[arg(long)]
    pub center: bool,
    /// Whiten with the within-class covariance of the model's training classes (from --data's
    /// train split; implies --center): directions in which a seen class varies within itself
    /// count less when comparing unseen ones.
    #[arg(long)]
    pub whiten: bool,
    /// Shrinkage λ of --whiten: λ times the mean variance is added to the covariance (larger is
    /// closer to no whitening).
    #[arg(long, default_value_t = DEFAULT_WHITEN_SHRINKAGE, value_name = "LAMBDA")]
    pub whiten_shrinkage: f64,
    /// Average each image's features over copies of it moved by up to R pixels in x and y
    /// (every offset of a (2R+1)² grid, zero fill); the centring mean is averaged the same way.
    /// 0 (the default) reads each image once.
    #[arg(long, default_value_t = 0, value_name = "R")]
    pub tta_shift: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
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

/// The flags as library settings.
pub fn settings(args: &Args) -> OneShotSettings {
    OneShotSettings {
        ways: args.ways,
        shots: args.shots,
        episodes: args.episodes,
        seed: args.seed,
        rule: if args.prototype {
            ShotRule::Prototype
        } else {
            ShotRule::MeanDistance
        },
        layer: args.layer,
        center: args.center,
        whiten: args.whiten.then_some(args.whiten_shrinkage),
        tta_shift: args.tta_shift,
    }
}

/// Loads the model and the data the flags name and runs the episodes.
pub fn evaluate(args: &Args) -> Result<OneShotReport> {
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
    evaluate_one_shot(&model, &spec, &d, &settings(args))
}

/// The result as a table.
pub fn table(out: &OneShotReport) -> String {
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
    let shifted = if out.tta_shift > 0 {
        format!(", averaged over shifts of up to {} px", out.tta_shift)
    } else {
        String::new()
    };
    t.row(vec![
        "features".into(),
        format!(
            "{:?}{}{shifted}",
            out.layer,
            if out.centered { ", centred" } else { "" }
        )
        .to_lowercase(),
    ]);
    if let Some(l) = out.whiten_shrinkage {
        t.row(vec![
            "whitening".into(),
            format!("within-class covariance of the training classes, shrinkage {l}"),
        ]);
    }
    t.render()
}
