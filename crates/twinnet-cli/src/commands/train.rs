//! `twinnet train`.

use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use twinnet::data::{load_dataset, parse_class_list, DataSpec, ImageShape, Split};
use twinnet::model::MANIFEST_FILE;
use twinnet::tower::{CnnConfig, MlpConfig, TowerConfig};
use twinnet::train::{train, Checkpoint, OptimizerKind, TrainConfig, TrainReport};
use twinnet::{Distance, LossKind};

/// Flags of `twinnet train`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Training data: an IDX folder, an image folder (one sub-folder per class) or a TSV pair
    /// list (path_a, path_b, label with 1 = same); force a format with idx:, folder:, pairs:.
    #[arg(long)]
    pub data: String,
    /// Output model directory (also holds metrics.jsonl and the checkpoint).
    #[arg(long)]
    pub out: PathBuf,
    /// IDX split to train on.
    #[arg(long, default_value = "train")]
    pub split: Split,
    /// Comma-separated class names to train on (default: all).
    #[arg(long)]
    pub classes: Option<String>,
    /// Epochs (with --resume: the total to reach).
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Pairs (or triplets) per step.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Optimizer: adam or sgd (momentum 0.9).
    #[arg(long, default_value = "adam")]
    pub optimizer: OptimizerKind,
    /// Loss: contrastive (pairs) or triplet.
    #[arg(long, default_value = "contrastive")]
    pub loss: LossKind,
    /// Margin m of the loss.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f32,
    /// Distance: euclidean, squared-euclidean or cosine.
    #[arg(long, default_value = "euclidean")]
    pub distance: Distance,
    /// Tower: cnn or mlp.
    #[arg(long, default_value = "cnn")]
    pub tower: String,
    /// Embedding length.
    #[arg(long, default_value_t = 64)]
    pub embedding_dim: usize,
    /// Input size N or WxH (image folders and pair lists are resized to it; default: the
    /// size of the first image).
    #[arg(long)]
    pub image_size: Option<String>,
    /// Input channels for image folders and pair lists: 1 (grayscale) or 3 (RGB); default:
    /// from the first image.
    #[arg(long)]
    pub channels: Option<usize>,
    /// Output channels of the conv blocks, comma-separated.
    #[arg(long, default_value = "32,64")]
    pub conv_channels: String,
    /// Widths of the hidden fully connected layers, comma-separated (may be empty).
    #[arg(long, default_value = "256")]
    pub hidden: String,
    /// Scale embeddings to unit length.
    #[arg(long)]
    pub normalize: bool,
    /// Seed of every random choice (same seed and data → same metrics).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fraction of the training data held out for validation and threshold calibration.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Validation pairs drawn from the held-out items.
    #[arg(long, default_value_t = 5000)]
    pub val_pairs: usize,
    /// Pairs per epoch (default: one per training item).
    #[arg(long)]
    pub pairs_per_epoch: Option<usize>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Replace an existing model in --out.
    #[arg(long)]
    pub force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Hide the progress bar and per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `twinnet train`.
pub fn run(args: Args) -> Result<()> {
    let report = train_with(&args)?;
    if args.json {
        return print_json(&report);
    }
    println!("{}", report_table(&report));
    println!("model written to {}", args.out.display());
    Ok(())
}

/// Trains as the flags say and returns the report (used by `demo` too).
pub fn train_with(args: &Args) -> Result<TrainReport> {
    guard_output(&args.out, args.resume, args.force)?;
    let spec = DataSpec::parse(&args.data)?;
    let classes = args.classes.as_deref().map(parse_class_list);
    let wanted = requested_shape(args)?;
    let data = load_dataset(&spec, args.split, wanted, classes.as_deref())?;
    let shape = data.shape();
    let tower = tower_config(args, shape)?;
    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        weight_decay: args.weight_decay,
        optimizer: args.optimizer,
        loss: args.loss,
        margin: args.margin,
        distance: args.distance,
        seed: args.seed,
        validation_fraction: args.val_fraction,
        validation_pairs: args.val_pairs,
        pairs_per_epoch: args.pairs_per_epoch,
    };
    train(
        data,
        &spec.to_string(),
        tower,
        &cfg,
        &args.out,
        args.resume,
        !args.quiet && !args.json,
    )
}

fn guard_output(out: &Path, resume: bool, force: bool) -> Result<()> {
    if resume {
        if Checkpoint::locate(out).is_none() {
            bail!("--resume: no checkpoint in {}", out.display());
        }
        return Ok(());
    }
    if !force && (out.join(MANIFEST_FILE).exists() || Checkpoint::locate(out).is_some()) {
        bail!(
            "{} already holds a model or checkpoint; use --resume to continue it, --force to replace it, or another --out",
            out.display()
        );
    }
    Ok(())
}

fn requested_shape(args: &Args) -> Result<Option<ImageShape>> {
    if let Some(c) = args.channels {
        if c != 1 && c != 3 {
            bail!("--channels must be 1 or 3, not {c}");
        }
    }
    let size = args.image_size.as_deref().map(parse_size).transpose()?;
    Ok(match (size, args.channels) {
        (None, None) => None,
        (Some((w, h)), c) => Some(ImageShape {
            channels: c.unwrap_or(1),
            height: h,
            width: w,
        }),
        (None, Some(c)) => Some(ImageShape {
            channels: c,
            height: 28,
            width: 28,
        }),
    })
}

/// Parses `N` or `WxH`.
pub fn parse_size(s: &str) -> Result<(usize, usize)> {
    let parse = |v: &str| -> Result<usize> {
        match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => bail!("--image-size '{s}' is not N or WxH with positive numbers"),
        }
    };
    match s.split_once(['x', 'X']) {
        Some((w, h)) => Ok((parse(w)?, parse(h)?)),
        None => {
            let n = parse(s)?;
            Ok((n, n))
        }
    }
}

fn parse_list(flag: &str, s: &str) -> Result<Vec<usize>> {
    s.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| anyhow::anyhow!("{flag}: '{v}' is not a positive number"))
        })
        .collect()
}

fn tower_config(args: &Args, shape: ImageShape) -> Result<TowerConfig> {
    let hidden = parse_list("--hidden", &args.hidden)?;
    Ok(match args.tower.as_str() {
        "cnn" => TowerConfig::Cnn(CnnConfig {
            channels: shape.channels,
            height: shape.height,
            width: shape.width,
            conv_channels: parse_list("--conv-channels", &args.conv_channels)?,
            kernel_size: 5,
            hidden,
            embedding_dim: args.embedding_dim,
            normalize: args.normalize,
        }),
        "mlp" => TowerConfig::Mlp(MlpConfig {
            input_dim: shape.numel(),
            hidden,
            embedding_dim: args.embedding_dim,
            normalize: args.normalize,
        }),
        other => bail!("unknown --tower '{other}' (choose one of: cnn, mlp)"),
    })
}

/// The per-epoch table of a report.
pub fn report_table(report: &TrainReport) -> String {
    let mut t = Table::new(&[
        "epoch",
        "loss",
        "val_auc",
        "val_eer",
        "val_acc",
        "threshold",
        "pairs/s",
        "secs",
    ]);
    for m in &report.history {
        t.row(vec![
            m.epoch.to_string(),
            f4(m.train_loss),
            f4(m.val_auc),
            f4(m.val_eer),
            f4(m.val_accuracy),
            format!("{:.4}", m.val_threshold),
            format!("{:.0}", m.pairs_per_s),
            format!("{:.1}", m.seconds),
        ]);
    }
    t.render()
}
