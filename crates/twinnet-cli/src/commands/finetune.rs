//! `twinnet finetune`: fine-tune a pretrained text model on text pairs.

use crate::output::{f4, print_json, Table};
use anyhow::{bail, Result};
use rand::seq::SliceRandom;
use std::path::PathBuf;
use twinnet::data::read_text_pairs;
use twinnet::sampling::{rng_for, stream};
use twinnet::train::{finetune_text, TextLoss, TextTrainConfig};

/// Flags of `twinnet finetune`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The starting text model (a twinnet text model or a sentence-transformers folder).
    #[arg(long)]
    pub model: PathBuf,
    /// Training pairs: TSV `text_a<TAB>text_b<TAB>label (1 = same) or score (0–1 or 0–5)`.
    #[arg(long)]
    pub data: PathBuf,
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
    /// batch), mnrl (in-batch negatives, positive pairs only), cosent or mse (scores).
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
    /// Train on at most this many pairs (a seeded subset).
    #[arg(long)]
    pub max_pairs: Option<usize>,
    /// Seed of the split, the subset and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace a model already in --out.
    #[arg(long)]
    pub force: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `twinnet finetune`.
pub fn run(args: Args) -> Result<()> {
    if args.out.join(twinnet::model::MANIFEST_FILE).exists() && !args.force {
        bail!(
            "{} already holds a model; pass --force to replace it",
            args.out.display()
        );
    }
    if !(0.0..1.0).contains(&args.val_fraction) {
        bail!("--val-fraction must be in [0, 1)");
    }
    let all = read_text_pairs(&args.data)?;
    let (train, val) = match &args.val {
        Some(v) => (all.clone(), read_text_pairs(v)?),
        None => {
            let n_val = ((all.pairs.len() as f64) * args.val_fraction).round() as usize;
            if n_val == 0 {
                bail!("no validation pairs: give --val or a larger --val-fraction");
            }
            let mut order: Vec<usize> = (0..all.pairs.len()).collect();
            order.shuffle(&mut rng_for(args.seed, stream::SPLIT, 0));
            let (v, t) = order.split_at(n_val);
            (all.subset(t), all.subset(v))
        }
    };
    let train = match args.max_pairs {
        Some(n) if n < train.pairs.len() => {
            let mut idx: Vec<usize> = (0..train.pairs.len()).collect();
            idx.shuffle(&mut rng_for(args.seed, stream::TRAIN, 0));
            idx.truncate(n);
            idx.sort_unstable();
            train.subset(&idx)
        }
        _ => train,
    };
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
    };
    let report = finetune_text(&args.model, &train, &val, &cfg, &args.out, !args.quiet)?;
    if args.json {
        return print_json(&report);
    }
    let mut t = Table::new(&[
        "epoch",
        "train loss",
        "val AUC",
        "val AP",
        "val acc",
        "threshold",
        "pairs/s",
    ]);
    let s = &report.start;
    t.row(vec![
        "start".into(),
        "-".into(),
        f4(s.auc),
        f4(s.average_precision),
        s.accuracy.map_or("-".into(), f4),
        s.threshold.map_or("-".into(), |x| format!("{x:.4}")),
        "-".into(),
    ]);
    for e in &report.history {
        let v = &e.validation;
        t.row(vec![
            e.epoch.to_string(),
            f4(e.train_loss),
            f4(v.auc),
            f4(v.average_precision),
            v.accuracy.map_or("-".into(), f4),
            v.threshold.map_or("-".into(), |x| format!("{x:.4}")),
            format!("{:.1}", e.pairs_per_s),
        ]);
    }
    println!("{}", t.render());
    println!("model written to {}", report.out);
    Ok(())
}
