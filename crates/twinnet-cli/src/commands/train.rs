//! `twinnet train`.

use crate::output::{emit, say};
use anyhow::{bail, Result};
use std::path::PathBuf;
use twinnet::data::{AugmentConfig, Split};
use twinnet::loss::Reducer;
use twinnet::sampling::Miner;
use twinnet::train::{check_output_dir, train, OptimizerKind, SamplerKind, TrainReport};
use twinnet::{Distance, LossKind, Recipe};

/// Declares the `train` flags once: each becomes `--flag-name`, and each but the command's own
/// (`own`) is laid over the recipe key of the same name — `value` and `some` when given,
/// `flag` when set.
macro_rules! train_flags {
    ($( $(#[doc = $doc:literal])+ $how:ident $name:ident: $ty:ty, )*) => {
        /// Flags of `twinnet train`. Recipe flags left out take their value from `--config`, then
        /// from the default shown.
        #[derive(clap::Args, Debug, Clone, Default)]
        pub struct Args {
            $( $(#[doc = $doc])+ #[arg(long)] pub $name: $ty, )*
        }

        impl Args {
            /// Lays every recipe flag given over `r`.
            fn overlay(&self, r: &mut Recipe) {
                $( train_flags!(@$how self r $name); )*
            }
        }
    };
    (@value $s:ident $r:ident $n:ident) => { if let Some(v) = $s.$n.clone() { $r.$n = v; } };
    (@some $s:ident $r:ident $n:ident) => { if $s.$n.is_some() { $r.$n = $s.$n.clone(); } };
    (@flag $s:ident $r:ident $n:ident) => { $r.$n |= $s.$n; };
    (@own $s:ident $r:ident $n:ident) => {};
}

train_flags! {
    /// Training data: an IDX folder, an image folder (one sub-folder per class), a TSV pair
    /// list (path_a, path_b, label with 1 = same), or signatures:DIR (DIR/<writer>/genuine/*
    /// and DIR/<writer>/forged/*), or sequences:DIR (tracking sequences, SiamFC); force a format
    /// with idx:, folder:, pairs:.
    some data: Option<String>,
    /// Output model directory (also holds metrics.jsonl and the checkpoint).
    some out: Option<PathBuf>,
    /// A recipe: a TOML file with any of these flags as keys (kebab-case, e.g. `batch-size =
    /// 64`, `miner = "batch-hard"`, an `[augment]` table; see recipes/); flags on the command
    /// line win.
    own config: Option<PathBuf>,
    /// IDX split to train on [default: train].
    value split: Option<Split>,
    /// Comma-separated class names to train on [default: all].
    some classes: Option<String>,
    /// Image folders: how many folder levels down the classes sit, e.g. 2 for
    /// `alphabet/character/*.png`; class names are the relative paths [default: 1].
    value class_depth: Option<usize>,
    /// Epochs; with --resume, the total to reach [default: 8].
    value epochs: Option<usize>,
    /// Pairs (or triplets) per step with --sampler pairs [default: 128].
    value batch_size: Option<usize>,
    /// Learning rate [default: 0.001].
    value lr: Option<f64>,
    /// L2 weight decay [default: 0].
    value weight_decay: Option<f64>,
    /// Optimizer: adam or sgd (momentum 0.9) [default: adam].
    value optimizer: Option<OptimizerKind>,
    /// Loss: contrastive, triplet, mnrl (in-batch negatives) or koch (learned head) [default: contrastive].
    value loss: Option<LossKind>,
    /// Margin m of the contrastive or triplet loss [default: 1.0].
    value margin: Option<f32>,
    /// Distance: euclidean, squared-euclidean or cosine [default: euclidean].
    value distance: Option<Distance>,
    /// Batches: pairs (balanced random pairs or triplets), pk (P classes × K examples), or
    /// views (two augmented views of P distinct items; with --loss mnrl and --augment)
    /// [default: pairs].
    value sampler: Option<SamplerKind>,
    /// P: classes per P×K batch, or items per batch with --sampler views [default: 8].
    value classes_per_batch: Option<usize>,
    /// K: examples per class in a P×K batch [default: 4]; batch-hard mining wants a small K (its
    /// hardest of many positives is often an outlier).
    value per_class: Option<usize>,
    /// Draw a class's examples with replacement when it has fewer than K.
    flag pk_replacement: bool,
    /// Miner over each P×K batch: none, batch-all, batch-hard, semi-hard, hard-pairs [default: none].
    value miner: Option<Miner>,
    /// Reducer of per-tuple losses: mean or mean-non-zero [default: mean].
    value reducer: Option<Reducer>,
    /// Scale (inverse temperature) of the mnrl loss [default: 20].
    value mnrl_scale: Option<f32>,
    /// Augment training images on the fly (random affine, brightness/contrast; no flip).
    own augment: bool,
    /// Tower: cnn or mlp [default: cnn].
    value tower: Option<String>,
    /// Embedding length [default: 64].
    value embedding_dim: Option<usize>,
    /// Input size N or WxH (image folders and pair lists are resized to it) [default: the
    /// size of the first image].
    some image_size: Option<String>,
    /// Input channels for image folders and pair lists: 1 (grayscale) or 3 (RGB) [default:
    /// from the first image].
    some channels: Option<usize>,
    /// Output channels of the conv blocks, comma-separated [default: 32,64].
    value conv_channels: Option<String>,
    /// Widths of the hidden fully connected layers, comma-separated, may be empty [default: 256].
    value hidden: Option<String>,
    /// Kernel size of each conv block, comma-separated, e.g. 10,7,4,4 [default: 5 for every
    /// block].
    value kernel_sizes: Option<String>,
    /// Stride of each conv block, comma-separated [default: 1 for every block].
    value strides: Option<String>,
    /// Max-pool after each conv block, comma-separated: 2 (2×2) or 0 (none), e.g. 2,2,2,0
    /// [default: 2 for every block].
    value pools: Option<String>,
    /// Normalisation after each convolution: none, batch or instance [default: none].
    value norm: Option<twinnet::tower::ConvNorm>,
    /// Dropout probability before each fully connected layer [default: 0].
    value dropout: Option<f64>,
    /// Average the last conv block over the image instead of flattening it.
    flag global_pool: bool,
    /// What the embedding goes through: none or sigmoid (Koch et al.) [default: none].
    value embedding_activation: Option<twinnet::tower::EmbeddingActivation>,
    /// Scale embeddings to unit length.
    flag normalize: bool,
    /// Seed of every random choice (same seed and data → same metrics) [default: 42].
    value seed: Option<u64>,
    /// Fraction of the training data held out for validation and threshold calibration [default: 0.1].
    value val_fraction: Option<f64>,
    /// Validation pairs drawn from the held-out items [default: 5000].
    value val_pairs: Option<usize>,
    /// Pairs (or images, for P×K) per epoch [default: one per training item].
    some pairs_per_epoch: Option<usize>,
    /// Comma-separated classes (signatures: writers) held out whole for validation and
    /// calibration, instead of --val-fraction of them [default: none].
    some val_classes: Option<String>,
    /// Handwriting preprocessing: threshold the ink, crop to it, fit the --image-size canvas
    /// keeping the aspect ratio (centred, padded), ink bright on black; stored in the model so
    /// embed, verify and serve prepare images the same way.
    flag handwriting: bool,
    /// Ink threshold of --handwriting: otsu or a gray level in (0, 1) [default: otsu].
    value ink_threshold: Option<String>,
    /// Paper left around the ink by --handwriting, as a fraction of the canvas's shorter side
    /// [default: 0.05].
    value ink_margin: Option<f32>,
    /// Continue from the checkpoint in --out.
    own resume: bool,
    /// Replace an existing model in --out.
    own force: bool,
    /// Learning-rate schedule after the warm-up: constant, linear or cosine [default: constant].
    value lr_schedule: Option<twinnet::train::LrSchedule>,
    /// Fraction of the steps spent warming the learning rate up from 0 [default: 0].
    value warmup: Option<f64>,
    /// Largest gradient norm; larger gradients are scaled down to it [default: none].
    some grad_clip: Option<f32>,
    /// Write the epoch with the best validation AUC as the model, not the last one.
    flag keep_best: bool,
    /// Stop once this many epochs in a row brought no better validation AUC [default: none].
    some patience: Option<usize>,
    /// Also validate every N optimiser steps (printed, and kept in metrics.jsonl as
    /// step_validations) [default: only after each epoch].
    some validate_every: Option<usize>,
    /// Hide the progress bar and per-epoch lines.
    own quiet: bool,
    /// Train data-parallel across processes: `mpi` under `mpirun -np N` (or Slurm, or the
    /// MPI Operator); --batch-size is per rank, rank 0 writes (needs the `mpi` build feature).
    own distributed: Option<Distributed>,
}

/// How `--distributed` reaches the other processes.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distributed {
    /// MPI: every process mpirun starts is a rank.
    Mpi,
}

impl Args {
    /// The recipe: `--config` (or the defaults), then every flag given on top.
    pub fn recipe(&self) -> Result<Recipe> {
        let mut r = match &self.config {
            Some(path) => Recipe::from_file(path)?,
            None => Recipe::default(),
        };
        self.overlay(&mut r);
        if self.augment && r.augment.is_none() {
            r.augment = Some(AugmentConfig::default());
        }
        Ok(r)
    }
}

/// Runs `twinnet train`: a tracker for `sequences:` data, else a Siamese network.
pub fn run(args: Args, json: bool) -> Result<()> {
    if args.distributed.is_some() {
        return train_distributed(&args, json);
    }
    let recipe = args.recipe()?;
    let out = match (recipe.sequences_dir(), recipe.out.clone()) {
        (Some(_), Some(out)) => {
            check_output_dir(&out, args.resume, args.force)?;
            let mut bars = twinnet::train::ProgressBars::new("pairs");
            let mut trainer = twinnet::train::Trainer::new(recipe).resume(args.resume);
            if !args.quiet && !json {
                trainer = trainer.observer(&mut bars);
            }
            emit(&trainer.fit_sequences()?, json)?;
            out
        }
        _ => {
            let (report, out) = train_with(&args, json)?;
            emit(&report, json)?;
            out
        }
    };
    if !json {
        say(format!("model written to {}", out.display()))?;
    }
    Ok(())
}

/// The image data and output folder the flags name (required, checked).
fn data_and_out(args: &Args, recipe: &Recipe) -> Result<PathBuf> {
    let Some(out) = recipe.out.clone() else {
        bail!("--out is required (on the command line or in --config)");
    };
    if recipe.data.is_none() {
        bail!("--data is required (on the command line or in --config)");
    }
    check_output_dir(&out, args.resume, args.force)?;
    Ok(out)
}

/// `--distributed mpi`: every rank trains its share; rank 0 alone writes and prints.
#[cfg(feature = "mpi")]
fn train_distributed(args: &Args, json: bool) -> Result<()> {
    use twinnet::distributed::Collective;
    let recipe = args.recipe()?;
    if recipe.sequences_dir().is_some() {
        bail!(
            "--distributed trains image models; a tracker (sequences: data) trains in one process"
        );
    }
    let world = twinnet::distributed::Mpi::init()?;
    let lead = world.rank() == 0;
    // Only the writing rank checks the folder: another rank could see rank 0's first writes.
    let out = if lead {
        Some(data_and_out(args, &recipe)?)
    } else {
        None
    };
    let (dataset, _) = recipe.load_data()?;
    let mut bars = twinnet::train::ProgressBars::new("pairs");
    let mut trainer = twinnet::Trainer::new(recipe)
        .resume(args.resume)
        .distributed(&world);
    if lead && !args.quiet && !json {
        trainer = trainer.observer(&mut bars);
    }
    let trained = trainer.fit(dataset)?;
    if let Some(out) = out {
        emit(&trained.save(&out)?, json)?;
        if !json {
            say(format!(
                "model written to {} ({} ranks)",
                out.display(),
                world.size()
            ))?;
        }
    }
    Ok(())
}

#[cfg(not(feature = "mpi"))]
fn train_distributed(_args: &Args, _json: bool) -> Result<()> {
    bail!("--distributed mpi needs twinnet built with the `mpi` feature (cargo build --release --features mpi, with an MPI library such as OpenMPI installed)")
}

/// Trains as the flags (and `--config`) say; returns the report and the model directory written.
fn train_with(args: &Args, json: bool) -> Result<(TrainReport, PathBuf)> {
    let recipe = args.recipe()?;
    let out = data_and_out(args, &recipe)?;
    let (dataset, spec) = recipe.load_data()?;
    let tower = recipe.tower_config(dataset.shape())?;
    let (cfg, bars) = (recipe.train_config(), !args.quiet && !json);
    let report = train(dataset, &spec, tower, &cfg, &out, args.resume, bars)?;
    Ok((report, out))
}
