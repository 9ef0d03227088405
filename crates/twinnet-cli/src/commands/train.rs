//! `twinnet train`.

use crate::output::{f4, print_json, Table};
use anyhow::Context;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use twinnet::data::AugmentConfig;
use twinnet::data::{load_dataset, parse_class_list, DataSpec, ImageShape, Split};
use twinnet::loss::Reducer;
use twinnet::model::MANIFEST_FILE;
use twinnet::sampling::Miner;
use twinnet::tower::{CnnConfig, MlpConfig, TowerConfig};
use twinnet::train::{train, Checkpoint, OptimizerKind, SamplerKind, TrainConfig, TrainReport};
use twinnet::{Distance, LossKind};

/// Flags of `twinnet train`. Recipe flags left out take their value from `--config`, then
/// from the default shown.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Training data: an IDX folder, an image folder (one sub-folder per class) or a TSV pair
    /// list (path_a, path_b, label with 1 = same); force a format with idx:, folder:, pairs:.
    #[arg(long)]
    pub data: Option<String>,
    /// Output model directory (also holds metrics.jsonl and the checkpoint).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A TOML file with any of these flags as keys (kebab-case, e.g. `batch-size = 64`,
    /// `miner = "batch-hard"`, an `[augment]` table); flags on the command line win.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// IDX split to train on [default: train].
    #[arg(long)]
    pub split: Option<Split>,
    /// Comma-separated class names to train on [default: all].
    #[arg(long)]
    pub classes: Option<String>,
    /// Image folders: how many folder levels down the classes sit, e.g. 2 for
    /// `alphabet/character/*.png`; class names are the relative paths [default: 1].
    #[arg(long)]
    pub class_depth: Option<usize>,
    /// Epochs; with --resume, the total to reach [default: 8].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Pairs (or triplets) per step with --sampler pairs [default: 128].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Learning rate [default: 0.001].
    #[arg(long)]
    pub lr: Option<f64>,
    /// L2 weight decay [default: 0].
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Optimizer: adam or sgd (momentum 0.9) [default: adam].
    #[arg(long)]
    pub optimizer: Option<OptimizerKind>,
    /// Loss: contrastive, triplet, mnrl (in-batch negatives) or koch (learned head) [default: contrastive].
    #[arg(long)]
    pub loss: Option<LossKind>,
    /// Margin m of the contrastive or triplet loss [default: 1.0].
    #[arg(long)]
    pub margin: Option<f32>,
    /// Distance: euclidean, squared-euclidean or cosine [default: euclidean].
    #[arg(long)]
    pub distance: Option<Distance>,
    /// Batches: pairs (balanced random pairs or triplets), pk (P classes × K examples), or
    /// views (two augmented views of P distinct items; with --loss mnrl and --augment)
    /// [default: pairs].
    #[arg(long)]
    pub sampler: Option<SamplerKind>,
    /// P: classes per P×K batch, or items per batch with --sampler views [default: 8].
    #[arg(long)]
    pub classes_per_batch: Option<usize>,
    /// K: examples per class in a P×K batch [default: 4]; batch-hard mining wants a small K (its
    /// hardest of many positives is often an outlier).
    #[arg(long)]
    pub per_class: Option<usize>,
    /// Draw a class's examples with replacement when it has fewer than K.
    #[arg(long)]
    pub pk_replacement: bool,
    /// Miner over each P×K batch: none, batch-all, batch-hard, semi-hard, hard-pairs [default: none].
    #[arg(long)]
    pub miner: Option<Miner>,
    /// Reducer of per-tuple losses: mean or mean-non-zero [default: mean].
    #[arg(long)]
    pub reducer: Option<Reducer>,
    /// Scale (inverse temperature) of the mnrl loss [default: 20].
    #[arg(long)]
    pub mnrl_scale: Option<f32>,
    /// Augment training images on the fly (random affine, brightness/contrast; no flip).
    #[arg(long)]
    pub augment: bool,
    /// Tower: cnn or mlp [default: cnn].
    #[arg(long)]
    pub tower: Option<String>,
    /// Embedding length [default: 64].
    #[arg(long)]
    pub embedding_dim: Option<usize>,
    /// Input size N or WxH (image folders and pair lists are resized to it) [default: the
    /// size of the first image].
    #[arg(long)]
    pub image_size: Option<String>,
    /// Input channels for image folders and pair lists: 1 (grayscale) or 3 (RGB) [default:
    /// from the first image].
    #[arg(long)]
    pub channels: Option<usize>,
    /// Output channels of the conv blocks, comma-separated [default: 32,64].
    #[arg(long)]
    pub conv_channels: Option<String>,
    /// Widths of the hidden fully connected layers, comma-separated, may be empty [default: 256].
    #[arg(long)]
    pub hidden: Option<String>,
    /// Scale embeddings to unit length.
    #[arg(long)]
    pub normalize: bool,
    /// Seed of every random choice (same seed and data → same metrics) [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fraction of the training data held out for validation and threshold calibration [default: 0.1].
    #[arg(long)]
    pub val_fraction: Option<f64>,
    /// Validation pairs drawn from the held-out items [default: 5000].
    #[arg(long)]
    pub val_pairs: Option<usize>,
    /// Pairs (or images, for P×K) per epoch [default: one per training item].
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
    /// The `[augment]` table of the config file (not a flag).
    #[arg(skip)]
    pub file_augment: Option<AugmentConfig>,
}

/// The keys a `--config` TOML file may hold: the recipe flags, in kebab-case.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    data: Option<String>,
    out: Option<PathBuf>,
    split: Option<String>,
    classes: Option<String>,
    class_depth: Option<usize>,
    epochs: Option<usize>,
    batch_size: Option<usize>,
    lr: Option<f64>,
    weight_decay: Option<f64>,
    optimizer: Option<String>,
    loss: Option<String>,
    margin: Option<f32>,
    distance: Option<String>,
    sampler: Option<String>,
    classes_per_batch: Option<usize>,
    per_class: Option<usize>,
    pk_replacement: Option<bool>,
    miner: Option<String>,
    reducer: Option<String>,
    mnrl_scale: Option<f32>,
    augment: Option<AugmentConfig>,
    tower: Option<String>,
    embedding_dim: Option<usize>,
    image_size: Option<String>,
    channels: Option<usize>,
    conv_channels: Option<String>,
    hidden: Option<String>,
    normalize: Option<bool>,
    seed: Option<u64>,
    val_fraction: Option<f64>,
    val_pairs: Option<usize>,
    pairs_per_epoch: Option<usize>,
}

fn parse_key<T: std::str::FromStr<Err = String>>(
    key: &str,
    v: Option<String>,
) -> Result<Option<T>> {
    v.map(|s| {
        s.parse::<T>()
            .map_err(|e| anyhow::anyhow!("config key '{key}': {e}"))
    })
    .transpose()
}

impl Args {
    /// Fills every flag that was not given from the `--config` file, if any.
    pub fn with_config_file(mut self) -> Result<Self> {
        let Some(path) = self.config.clone() else {
            return Ok(self);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let f: FileConfig = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!("{}: {}", path.display(), e.to_string().replace('\n', " "))
        })?;
        macro_rules! fill {
            ($($field:ident),*) => { $( if self.$field.is_none() { self.$field = f.$field; } )* };
        }
        fill!(
            data,
            out,
            classes,
            class_depth,
            epochs,
            batch_size,
            lr,
            weight_decay,
            margin,
            classes_per_batch,
            per_class,
            mnrl_scale,
            tower,
            embedding_dim,
            image_size,
            channels,
            conv_channels,
            hidden,
            seed,
            val_fraction,
            val_pairs,
            pairs_per_epoch
        );
        macro_rules! fill_parsed {
            ($($field:ident),*) => { $( if self.$field.is_none() { self.$field = parse_key(stringify!($field), f.$field)?; } )* };
        }
        fill_parsed!(split, optimizer, loss, distance, sampler, miner, reducer);
        self.pk_replacement |= f.pk_replacement.unwrap_or(false);
        self.normalize |= f.normalize.unwrap_or(false);
        self.file_augment = f.augment;
        Ok(self)
    }
}

/// Runs `twinnet train`.
pub fn run(args: Args) -> Result<()> {
    let (report, out) = train_with(&args)?;
    if args.json {
        return print_json(&report);
    }
    println!("{}", report_table(&report));
    println!("model written to {}", out.display());
    Ok(())
}

/// Trains as the flags (and `--config`) say; returns the report and the model directory written
/// (used by `demo` too).
pub fn train_with(args: &Args) -> Result<(TrainReport, PathBuf)> {
    let args = args.clone().with_config_file()?;
    let Some(data) = args.data.as_deref() else {
        bail!("--data is required (on the command line or in --config)");
    };
    let Some(out) = args.out.as_deref() else {
        bail!("--out is required (on the command line or in --config)");
    };
    guard_output(out, args.resume, args.force)?;
    let mut spec = DataSpec::parse(data)?;
    spec.class_depth = args.class_depth.unwrap_or(1);
    let classes = args.classes.as_deref().map(parse_class_list);
    let wanted = requested_shape(&args)?;
    let dataset = load_dataset(
        &spec,
        args.split.unwrap_or(Split::Train),
        wanted,
        classes.as_deref(),
    )?;
    let tower = tower_config(&args, dataset.shape())?;
    let d = TrainConfig::default();
    let cfg = TrainConfig {
        epochs: args.epochs.unwrap_or(d.epochs),
        batch_size: args.batch_size.unwrap_or(d.batch_size),
        learning_rate: args.lr.unwrap_or(d.learning_rate),
        weight_decay: args.weight_decay.unwrap_or(d.weight_decay),
        optimizer: args.optimizer.unwrap_or(d.optimizer),
        loss: args.loss.unwrap_or(d.loss),
        margin: args.margin.unwrap_or(d.margin),
        distance: args.distance.unwrap_or(d.distance),
        seed: args.seed.unwrap_or(d.seed),
        validation_fraction: args.val_fraction.unwrap_or(d.validation_fraction),
        validation_pairs: args.val_pairs.unwrap_or(d.validation_pairs),
        pairs_per_epoch: args.pairs_per_epoch,
        sampler: args.sampler.unwrap_or(d.sampler),
        classes_per_batch: args.classes_per_batch.unwrap_or(d.classes_per_batch),
        per_class: args.per_class.unwrap_or(d.per_class),
        pk_replacement: args.pk_replacement,
        miner: args.miner.unwrap_or(d.miner),
        reducer: args.reducer.unwrap_or(d.reducer),
        mnrl_scale: args.mnrl_scale.unwrap_or(d.mnrl_scale),
        augment: args
            .file_augment
            .or(args.augment.then(AugmentConfig::default)),
    };
    let report = train(
        dataset,
        &spec.to_string(),
        tower,
        &cfg,
        out,
        args.resume,
        !args.quiet && !args.json,
    )?;
    Ok((report, out.to_path_buf()))
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
    let hidden = parse_list("--hidden", args.hidden.as_deref().unwrap_or("256"))?;
    let embedding_dim = args.embedding_dim.unwrap_or(64);
    Ok(match args.tower.as_deref().unwrap_or("cnn") {
        "cnn" => TowerConfig::Cnn(CnnConfig {
            channels: shape.channels,
            height: shape.height,
            width: shape.width,
            conv_channels: parse_list(
                "--conv-channels",
                args.conv_channels.as_deref().unwrap_or("32,64"),
            )?,
            kernel_size: 5,
            hidden,
            embedding_dim,
            normalize: args.normalize,
        }),
        "mlp" => TowerConfig::Mlp(MlpConfig {
            input_dim: shape.numel(),
            hidden,
            embedding_dim,
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
