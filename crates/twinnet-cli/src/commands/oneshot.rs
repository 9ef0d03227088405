//! `twinnet oneshot`: N-way K-shot accuracy on (ideally unseen) classes.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::eval::{one_shot_model_dir, OneShotSettings, ShotRule, DEFAULT_WHITEN_SHRINKAGE};
use twinnet::tower::FeatureLayer;

use super::data_args::DataArgs;

/// Flags of `twinnet oneshot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
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
    /// Draw each episode's classes from one alphabet (the first folder of the class names, as
    /// with --class-depth 2 on Omniglot): Lake et al.'s within-alphabet runs.
    #[arg(long)]
    pub within_alphabet: bool,
}

/// Runs `twinnet oneshot`.
pub fn run(args: Args, json: bool) -> Result<()> {
    let data = args.data.eval_data();
    let settings = OneShotSettings {
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
        within_alphabet: args.within_alphabet,
    };
    let out = one_shot_model_dir(&args.model, &data, &settings)?;
    if !out.seen_in_training.is_empty() {
        eprintln!(
            "warning: {} of the evaluated classes were in the model's training data ({}); this is not one-shot on unseen classes",
            out.seen_in_training.len(),
            out.seen_in_training.join(", ")
        );
    }
    emit(&out, json)
}
