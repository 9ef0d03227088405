//! `twinnet oneshot`: N-way K-shot accuracy on (ideally unseen) classes.

use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;
use twinnet::data::{load_dataset, parse_class_list, DataSpec, Dataset, Split};
use twinnet::eval::{one_shot, OneShotResult, ShotRule, Whitener, DEFAULT_WHITEN_SHRINKAGE};
use twinnet::model::TwinModel;
use twinnet::score::Scorer;
use twinnet::tower::FeatureLayer;
use twinnet::Distance;

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

/// What `oneshot --json` prints.
#[derive(Serialize)]
pub struct OneShotOutput {
    #[serde(flatten)]
    result: OneShotResult,
    /// Classes the episodes were drawn from.
    classes: Vec<String>,
    /// Classes that the model was also trained on (then it is not one-shot).
    seen_in_training: Vec<String>,
    /// Where the tower was read.
    layer: FeatureLayer,
    /// Whether features were centred on the training classes' mean.
    centered: bool,
    /// Radius in pixels of the test-time shift averaging (0: none).
    tta_shift: usize,
    /// Whether features were whitened with the training classes' within-class covariance.
    whitened: bool,
    /// Shrinkage λ of the whitening (when whitened).
    #[serde(skip_serializing_if = "Option::is_none")]
    whiten_shrinkage: Option<f64>,
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
    // The model's own scorer fits its own embedding; anything else is compared by cosine.
    let center = args.center || args.whiten;
    let own_scorer = args.layer == FeatureLayer::Embedding && !center;
    let (mut emb, dim) =
        model.features_all_shifted(d.len(), args.layer, |i| d.item(i), args.tta_shift)?;
    if center {
        let base = training_features(&model, &spec, args.layer, args.tta_shift)?;
        for row in emb.chunks_mut(dim) {
            row.iter_mut().zip(&base.mean).for_each(|(x, m)| *x -= m);
        }
        if args.whiten {
            Whitener::fit(&base.features, dim, &base.labels, args.whiten_shrinkage)?
                .apply(&mut emb);
        }
    }
    let scorer = if own_scorer {
        model.scorer.clone()
    } else {
        Scorer::Distance(Distance::Cosine)
    };
    let rule = if args.prototype {
        ShotRule::Prototype
    } else {
        ShotRule::MeanDistance
    };
    let result = one_shot(
        &emb,
        dim,
        &d.labels,
        &d.class_names,
        args.ways,
        args.shots,
        args.episodes,
        args.seed,
        &scorer,
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
        layer: args.layer,
        centered: center,
        tta_shift: args.tta_shift,
        whitened: args.whiten,
        whiten_shrinkage: args.whiten.then_some(args.whiten_shrinkage),
    })
}

/// Features at `layer` of (up to 10,000) training-split items of the classes the model was
/// trained on, with their labels and mean: statistics of seen classes only, never of the
/// evaluated ones.
struct TrainingFeatures {
    features: Vec<f32>,
    labels: Vec<usize>,
    mean: Vec<f32>,
}

fn training_features(
    model: &TwinModel,
    spec: &DataSpec,
    layer: FeatureLayer,
    tta_shift: usize,
) -> Result<TrainingFeatures> {
    let trained = &model.manifest.training.classes;
    if trained.is_empty() {
        bail!("--center and --whiten need the model's training classes; this model was trained on a pair list");
    }
    let Dataset::Labeled(base) = load_dataset(
        spec,
        Split::Train,
        Some(model.manifest.input.shape),
        Some(trained.as_slice()),
    )?
    else {
        bail!("--center and --whiten need labelled training data");
    };
    let n = base.len().min(10_000);
    if n == 0 {
        bail!(
            "--center/--whiten: no training examples of the model's classes in {}",
            spec.path.display()
        );
    }
    let (features, dim) = model.features_all_shifted(n, layer, |i| base.item(i), tta_shift)?;
    let mut mean = vec![0.0f64; dim];
    for row in features.chunks(dim) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &x)| *m += f64::from(x));
    }
    Ok(TrainingFeatures {
        features,
        labels: base.labels[..n].to_vec(),
        mean: mean.iter().map(|m| (m / n as f64) as f32).collect(),
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
