//! `twinnet demo`: the main job on the bundled MNIST sample, end to end.

use super::eval::{eval_table, evaluate};
use super::train::{report_table, train_with};
use super::verify::{verdict_table, verify, Verdict};
use crate::output::print_json;
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use twinnet::data::{read_idx_split, save_item_png, Split};
use twinnet::model::TwinModel;

/// Flags of `twinnet demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundled sample (IDX folder); found next to the binary's sources by default.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where the demo writes its model, metrics and sample images (replaced on each run).
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = 8)]
    pub epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct DemoOutput {
    model: String,
    train: twinnet::train::TrainReport,
    eval: super::eval::EvalOutput,
    verify: Vec<Verdict>,
}

/// Locates the bundled MNIST sample.
pub fn sample_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let candidates = [
        PathBuf::from("assets/mnist-sample"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample"),
    ];
    match candidates.iter().find(|p| p.is_dir()) {
        Some(p) => Ok(p.clone()),
        None => bail!("cannot find the bundled sample (assets/mnist-sample); pass --data"),
    }
}

/// Runs `twinnet demo`.
pub fn run(args: Args) -> Result<()> {
    let data = sample_dir(args.data.as_deref())?;
    let model_dir = args.out.join("model");
    if !args.json {
        println!(
            "twinnet demo: training a Siamese CNN on the bundled MNIST sample ({})",
            data.display()
        );
    }
    let train_args = super::train::Args {
        data: Some(format!("idx:{}", data.display())),
        out: Some(model_dir.clone()),
        epochs: Some(args.epochs),
        seed: Some(args.seed),
        val_pairs: Some(2000),
        force: true,
        json: args.json,
        quiet: args.json,
        ..Default::default()
    };
    let report = train_with(&train_args)?;
    let spec = format!("idx:{}", data.display());
    let eval = evaluate(&model_dir, &spec, Split::Test, None, 4000, 0)?;

    // Verify a few test digits written out as PNG files, as a user would.
    let test = read_idx_split(&data, Split::Test)?;
    let samples = args.out.join("samples");
    std::fs::create_dir_all(&samples)?;
    let first_of = |class: &str, skip: usize| -> Option<usize> {
        let c = test.class_names.iter().position(|n| n == class)?;
        test.labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == c)
            .map(|(i, _)| i)
            .nth(skip)
    };
    let mut files = Vec::new();
    for (class, skip) in [("3", 0), ("3", 1), ("8", 0), ("7", 0), ("7", 1), ("1", 0)] {
        let i =
            first_of(class, skip).ok_or_else(|| anyhow::anyhow!("sample lacks digit {class}"))?;
        let path = samples.join(format!("digit{class}_{skip}.png"));
        save_item_png(test.item(i), test.shape, &path)?;
        files.push(path);
    }
    let model = TwinModel::load(&model_dir)?;
    let verdicts = [(0, 1), (0, 2), (3, 4), (3, 5)]
        .iter()
        .map(|&(a, b)| verify(&model, &files[a], &files[b]))
        .collect::<Result<Vec<_>>>()?;

    if args.json {
        return print_json(&DemoOutput {
            model: model_dir.display().to_string(),
            train: report,
            eval,
            verify: verdicts,
        });
    }
    println!("\nTraining (validation metrics; threshold calibrated on validation pairs)");
    println!("{}", report_table(&report));
    println!(
        "\nEvaluation on {} balanced pairs of held-out test digits",
        eval.pairs
    );
    println!("{}", eval_table(&eval));
    println!("\nVerification of sample images (1 = same digit expected for 3/3 and 7/7)");
    println!("{}", verdict_table(&verdicts));
    println!(
        "\nmodel: {}   metrics: {}/metrics.jsonl",
        model_dir.display(),
        model_dir.display()
    );
    Ok(())
}
