//! `twinnet demo`: the main job on the bundled MNIST sample, end to end.

use super::eval::{eval_table, evaluate};
use super::train::report_table;
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
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Digits the demo trains on, and the digits it keeps unseen for one-shot.
const SEEN: &str = "0,1,2,3,4";
const UNSEEN: &str = "5,6,7,8,9";

#[derive(Serialize)]
struct DemoOutput {
    model: String,
    train: twinnet::train::TrainReport,
    eval_seen: super::eval::EvalOutput,
    eval_unseen: super::eval::EvalOutput,
    oneshot: twinnet::eval::OneShotReport,
    verify: Vec<Verdict>,
    plots: Vec<String>,
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
    let spec = format!("idx:{}", data.display());
    if !args.json {
        println!(
            "twinnet demo: a Siamese CNN trained on digits 0-4 of the bundled MNIST sample ({}),\nthen tested on held-out digits, including 5-9 that it never saw",
            data.display()
        );
    }
    // The demo trains what recipes/demo.toml says, at the sample it found and the flags given.
    let mut recipe = twinnet::Recipe::from_toml(include_str!("../../../../recipes/demo.toml"))?;
    recipe.data = Some(spec.clone());
    recipe.out = Some(model_dir.clone());
    recipe.epochs = args.epochs;
    recipe.seed = args.seed;
    let (dataset, data_spec) = recipe.load_data()?;
    let _ = std::fs::remove_dir_all(&model_dir);
    let tower = recipe.tower_config(dataset.shape())?;
    let report = twinnet::train::train(
        dataset,
        &data_spec,
        tower,
        &recipe.train_config(),
        &model_dir,
        false,
        !args.json,
    )?;
    let seen = evaluate(&model_dir, &spec, Split::Test, Some(SEEN), 4000, 0)?;
    let unseen = evaluate(&model_dir, &spec, Split::Test, Some(UNSEEN), 4000, 0)?;
    let oneshot = {
        let model = twinnet::model::TwinModel::load(&model_dir)?;
        let spec = twinnet::data::DataSpec::parse(&spec)?;
        let unseen: Vec<String> = UNSEEN.split(',').map(String::from).collect();
        let twinnet::data::Dataset::Labeled(d) = twinnet::data::load_dataset(
            &spec,
            Split::Test,
            Some(model.manifest.input.shape),
            Some(&unseen),
        )?
        else {
            anyhow::bail!("the bundled sample is not labelled");
        };
        let settings = twinnet::eval::OneShotSettings::default(); // 5-way 1-shot, 2,000 episodes
        twinnet::eval::evaluate_one_shot(&model, &spec, &d, &settings)?
    };
    let plots = twinnet::eval::make_plots(
        &model_dir,
        &spec,
        Split::Test,
        None,
        4000,
        1000,
        0,
        &args.out.join("plots"),
    )?;

    // Verify a few test digits written out as PNG files, as a user would.
    let test = read_idx_split(&data, Split::Test)?;
    let samples = args.out.join("samples");
    std::fs::create_dir_all(&samples)?;
    let nth_of = |class: &str, skip: usize| -> Option<usize> {
        let c = test.class_names.iter().position(|n| n == class)?;
        test.labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == c)
            .map(|(i, _)| i)
            .nth(skip)
    };
    let mut files = Vec::new();
    for (class, skip) in [("3", 0), ("3", 1), ("4", 0), ("7", 0), ("7", 1), ("9", 0)] {
        let i = nth_of(class, skip).ok_or_else(|| anyhow::anyhow!("sample lacks digit {class}"))?;
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
            eval_seen: seen,
            eval_unseen: unseen,
            oneshot,
            verify: verdicts,
            plots: plots.iter().map(|p| p.display().to_string()).collect(),
        });
    }
    println!("\nTraining on digits {SEEN} (validation metrics; threshold calibrated on validation pairs)");
    println!("{}", report_table(&report));
    println!(
        "\nVerification on {} balanced pairs of held-out test digits {SEEN} (seen classes)",
        seen.pairs
    );
    println!("{}", eval_table(&seen));
    println!(
        "\nVerification on {} balanced pairs of digits {UNSEEN} (never trained on)",
        unseen.pairs
    );
    println!("{}", eval_table(&unseen));
    println!("\nOne-shot on the unseen digits {UNSEEN}");
    println!("{}", super::oneshot::table(&oneshot));
    println!("\nVerification of sample images (3/3 and 7/7 are the same digit; 7 and 9 were never trained on)");
    println!("{}", verdict_table(&verdicts));
    println!(
        "\nmodel: {}   metrics: {}/metrics.jsonl   pictures: {}/plots/",
        model_dir.display(),
        model_dir.display(),
        args.out.display()
    );
    Ok(())
}
