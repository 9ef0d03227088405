//! `twinnet finetune`: fine-tune a pretrained text model on text pairs.

use crate::output::{emit, say};
use anyhow::Result;
use std::path::PathBuf;
use twinnet::loss::Reducer;
use twinnet::sampling::Miner;
use twinnet::text::{ScratchTower, TextModel};
use twinnet::train::{
    check_output_dir, finetune_text_observed, Observer, ProgressBars, Silent, TextDataSource,
    TextFormat, TextLoss, TextTrainConfig,
};

/// Flags of `twinnet finetune`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The starting text model (a twinnet text model or a sentence-transformers folder).
    #[arg(long, required_unless_present = "scratch")]
    pub model: Option<PathBuf>,
    /// Train a small bag-of-wordpieces tower from scratch instead, over the tokenizer.json in
    /// --tokenizer (e.g. data/minilm).
    #[arg(long, conflicts_with = "model", requires = "tokenizer")]
    pub scratch: bool,
    /// Folder holding the tokenizer.json of a --scratch tower.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// --scratch: width of the token embeddings.
    #[arg(long, default_value_t = 128)]
    pub embedding_dim: usize,
    /// --scratch: width of the sentence embedding.
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// --scratch: longest text in tokens.
    #[arg(long, default_value_t = 256)]
    pub max_seq_length: usize,
    /// Training data (TSV; .csv or .jsonl too; see --format): pairs `text_a<TAB>text_b<TAB>label (1 = same) or
    /// score (0–1 or 0–5)`, triplets `anchor<TAB>positive<TAB>negative`, or labelled texts
    /// `label<TAB>text`.
    #[arg(long)]
    pub data: PathBuf,
    /// What --data holds: pairs, triplets or labeled. Triplets and labelled texts need --val.
    #[arg(long, default_value = "pairs")]
    pub format: TextFormat,
    /// Labelled texts: which tuples of each P×K batch train (batch-hard, batch-all, semi-hard,
    /// hard-pairs, none).
    #[arg(long, default_value = "batch-hard")]
    pub miner: Miner,
    /// Labelled texts: classes per batch (P).
    #[arg(long, default_value_t = 8)]
    pub classes_per_batch: usize,
    /// Labelled texts: texts per class in a batch (K).
    #[arg(long, default_value_t = 2)]
    pub per_class: usize,
    /// Validation pairs (same format); the threshold is calibrated on them. Default: a seeded
    /// --val-fraction of --data, held out of training.
    #[arg(long)]
    pub val: Option<PathBuf>,
    /// Fraction of --data held out for validation when --val is not given.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// The model directory to write (after every epoch).
    #[arg(long)]
    pub out: PathBuf,
    /// Loss: contrastive (cosine distance, labels), online-contrastive (hard pairs of each
    /// batch), mnrl (in-batch negatives, positive pairs only; with triplets the negatives join
    /// as hard negatives), cosent or mse (scores), triplet (triplets, or labelled texts with
    /// --miner).
    #[arg(long, default_value = "contrastive")]
    pub loss: TextLoss,
    /// Passes over the training pairs.
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Pairs per step.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Peak learning rate (AdamW, linear warm-up over --warmup of the steps, then linear decay).
    #[arg(long, default_value_t = 2e-5)]
    pub lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Fraction of the steps spent warming up.
    #[arg(long, default_value_t = 0.1)]
    pub warmup: f64,
    /// Margin of the (online) contrastive loss on the cosine distance.
    #[arg(long, default_value_t = 0.5)]
    pub margin: f32,
    /// Inverse temperature of mnrl and cosent.
    #[arg(long, default_value_t = 20.0)]
    pub scale: f32,
    /// Train on at most this many pairs or triplets (a seeded subset).
    #[arg(long)]
    pub max_pairs: Option<usize>,
    /// Seed of the split, the subset and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Labelled texts: reducer of the mined tuples' losses (mean or mean-non-zero).
    #[arg(long, default_value = "mean")]
    pub reducer: Reducer,
    /// Keep the model of the epoch with the best validation AUC, not the last one.
    #[arg(long)]
    pub keep_best: bool,
    /// Stop once this many epochs in a row brought no better validation AUC.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Also validate every N optimiser steps (printed, and kept in metrics.jsonl).
    #[arg(long)]
    pub validate_every: Option<usize>,
    /// Embed at most N texts at a time with cached gradients (GradCache): a --batch-size
    /// beyond memory, the same gradient as the whole batch at once.
    #[arg(long)]
    pub mini_batch_size: Option<usize>,
    /// Continue from the checkpoint in --out (same flags; --epochs may grow); the result
    /// equals an uninterrupted run.
    #[arg(long)]
    pub resume: bool,
    /// Replace a model already in --out.
    #[arg(long)]
    pub force: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `twinnet finetune`.
pub fn run(args: Args, json: bool) -> Result<()> {
    check_output_dir(&args.out, args.resume, args.force)?;
    let source = TextDataSource {
        data: args.data.clone(),
        format: args.format,
        val: args.val.clone(),
        val_fraction: args.val_fraction,
        max_pairs: args.max_pairs,
        seed: args.seed,
    };
    let (data, val) = source.read()?;
    let cfg = TextTrainConfig {
        loss: args.loss,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        weight_decay: args.weight_decay,
        warmup_fraction: args.warmup,
        margin: args.margin,
        scale: args.scale,
        seed: args.seed,
        miner: args.miner,
        classes_per_batch: args.classes_per_batch,
        per_class: args.per_class,
        reducer: args.reducer,
        keep_best: args.keep_best,
        patience: args.patience,
        validate_every: args.validate_every,
        mini_batch_size: args.mini_batch_size,
    };
    let scratch = args.tokenizer.clone().map(|tokenizer| ScratchTower {
        tokenizer,
        embedding_dim: args.embedding_dim,
        hidden: args.hidden,
        max_seq_length: args.max_seq_length,
    });
    let device = twinnet::backend::training_device();
    let (model, start) =
        TextModel::start(args.model.as_deref(), scratch.as_ref(), args.seed, device)?;
    let mut bars = ProgressBars::new("texts");
    let observer: &mut dyn Observer = if args.quiet { &mut Silent } else { &mut bars };
    let (out, resume) = (&args.out, args.resume);
    let report = finetune_text_observed(model, &start, &data, &val, &cfg, out, resume, observer)?;
    emit(&report, json)?;
    if !json {
        say(format!("model written to {}", report.out))?;
    }
    Ok(())
}
