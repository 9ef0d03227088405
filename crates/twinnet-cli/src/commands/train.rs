//! `twinnet train`.

use crate::output::emit;
use anyhow::{bail, Result};
use std::path::PathBuf;
use twinnet::data::{AugmentConfig, Split};
use twinnet::loss::Reducer;
use twinnet::sampling::Miner;
use twinnet::train::{check_output_dir, train, OptimizerKind, SamplerKind, TrainReport};
use twinnet::{Distance, LossKind, Recipe};

/// Flags of `twinnet train`. Recipe flags left out take their value from `--config`, then
/// from the default shown.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Training data: an IDX folder, an image folder (one sub-folder per class), a TSV pair
    /// list (path_a, path_b, label with 1 = same), or signatures:DIR (DIR/<writer>/genuine/*
    /// and DIR/<writer>/forged/*); force a format with idx:, folder:, pairs:.
    #[arg(long)]
    pub data: Option<String>,
    /// Output model directory (also holds metrics.jsonl and the checkpoint).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A recipe: a TOML file with any of these flags as keys (kebab-case, e.g. `batch-size =
    /// 64`, `miner = "batch-hard"`, an `[augment]` table; see recipes/); flags on the command
    /// line win.
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
    /// Kernel size of each conv block, comma-separated, e.g. 10,7,4,4 [default: 5 for every
    /// block].
    #[arg(long)]
    pub kernel_sizes: Option<String>,
    /// Stride of each conv block, comma-separated [default: 1 for every block].
    #[arg(long)]
    pub strides: Option<String>,
    /// Max-pool after each conv block, comma-separated: 2 (2×2) or 0 (none), e.g. 2,2,2,0
    /// [default: 2 for every block].
    #[arg(long)]
    pub pools: Option<String>,
    /// Normalisation after each convolution: none, batch or instance [default: none].
    #[arg(long)]
    pub norm: Option<twinnet::tower::ConvNorm>,
    /// Dropout probability before each fully connected layer [default: 0].
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Average the last conv block over the image instead of flattening it.
    #[arg(long)]
    pub global_pool: bool,
    /// What the embedding goes through: none or sigmoid (Koch et al.) [default: none].
    #[arg(long)]
    pub embedding_activation: Option<twinnet::tower::EmbeddingActivation>,
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
    /// Comma-separated classes (signatures: writers) held out whole for validation and
    /// calibration, instead of --val-fraction of them [default: none].
    #[arg(long)]
    pub val_classes: Option<String>,
    /// Handwriting preprocessing: threshold the ink, crop to it, fit the --image-size canvas
    /// keeping the aspect ratio (centred, padded), ink bright on black; stored in the model so
    /// embed, verify and serve prepare images the same way.
    #[arg(long)]
    pub handwriting: bool,
    /// Ink threshold of --handwriting: otsu or a gray level in (0, 1) [default: otsu].
    #[arg(long)]
    pub ink_threshold: Option<String>,
    /// Paper left around the ink by --handwriting, as a fraction of the canvas's shorter side
    /// [default: 0.05].
    #[arg(long)]
    pub ink_margin: Option<f32>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Replace an existing model in --out.
    #[arg(long)]
    pub force: bool,
    /// Learning-rate schedule after the warm-up: constant, linear or cosine [default: constant].
    #[arg(long)]
    pub lr_schedule: Option<twinnet::train::LrSchedule>,
    /// Fraction of the steps spent warming the learning rate up from 0 [default: 0].
    #[arg(long)]
    pub warmup: Option<f64>,
    /// Largest gradient norm; larger gradients are scaled down to it [default: none].
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Write the epoch with the best validation AUC as the model, not the last one.
    #[arg(long)]
    pub keep_best: bool,
    /// Stop once this many epochs in a row brought no better validation AUC [default: none].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Also validate every N optimiser steps (printed, and kept in metrics.jsonl as
    /// step_validations) [default: only after each epoch].
    #[arg(long)]
    pub validate_every: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Hide the progress bar and per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// The recipe: `--config` (or the defaults), then every flag given on top.
    pub fn recipe(&self) -> Result<Recipe> {
        let mut r = match &self.config {
            Some(path) => Recipe::from_file(path)?,
            None => Recipe::default(),
        };
        macro_rules! set {
            ($($flag:ident => $key:ident),* $(,)?) => {
                $( if let Some(v) = self.$flag.clone() { r.$key = v; } )*
            };
        }
        macro_rules! set_some {
            ($($flag:ident),* $(,)?) => {
                $( if self.$flag.is_some() { r.$flag = self.$flag.clone(); } )*
            };
        }
        set!(split => split, class_depth => class_depth, epochs => epochs,
            batch_size => batch_size, lr => lr, weight_decay => weight_decay,
            optimizer => optimizer, lr_schedule => lr_schedule, warmup => warmup,
            loss => loss, margin => margin, distance => distance, sampler => sampler,
            classes_per_batch => classes_per_batch, per_class => per_class, miner => miner,
            reducer => reducer, mnrl_scale => mnrl_scale, tower => tower,
            embedding_dim => embedding_dim, conv_channels => conv_channels, hidden => hidden,
            seed => seed, val_fraction => val_fraction, val_pairs => val_pairs,
            ink_threshold => ink_threshold, ink_margin => ink_margin,
            kernel_sizes => kernel_sizes, strides => strides, pools => pools, norm => norm,
            dropout => dropout, embedding_activation => embedding_activation);
        set_some!(data, out, classes, image_size, channels, val_classes);
        set_some!(pairs_per_epoch, grad_clip, patience, validate_every);
        r.pk_replacement |= self.pk_replacement;
        r.normalize |= self.normalize;
        r.handwriting |= self.handwriting;
        r.global_pool |= self.global_pool;
        r.keep_best |= self.keep_best;
        if self.augment && r.augment.is_none() {
            r.augment = Some(AugmentConfig::default());
        }
        Ok(r)
    }
}

/// Runs `twinnet train`.
pub fn run(args: Args) -> Result<()> {
    let (report, out) = train_with(&args)?;
    emit(&report, args.json)?;
    if !args.json {
        println!("model written to {}", out.display());
    }
    Ok(())
}

/// Trains as the flags (and `--config`) say; returns the report and the model directory written.
fn train_with(args: &Args) -> Result<(TrainReport, PathBuf)> {
    let recipe = args.recipe()?;
    let Some(out) = recipe.out.clone() else {
        bail!("--out is required (on the command line or in --config)");
    };
    if recipe.data.is_none() {
        bail!("--data is required (on the command line or in --config)");
    }
    check_output_dir(&out, args.resume, args.force)?;
    let (dataset, spec) = recipe.load_data()?;
    let tower = recipe.tower_config(dataset.shape())?;
    let show_progress = !args.quiet && !args.json;
    let cfg = recipe.train_config();
    let report = train(
        dataset,
        &spec,
        tower,
        &cfg,
        &out,
        args.resume,
        show_progress,
    )?;
    Ok((report, out))
}
