//! The main job on the bundled MNIST sample, end to end: train the recipe in
//! `recipes/demo.toml` on digits 0–4, evaluate verification on held-out test digits of seen and
//! of never-seen classes (5–9), one-shot on the unseen digits, draw the pictures, and verify a
//! few test digits written out as PNG files, as a user would.

use crate::data::{parse_class_list, read_idx_split, save_item_png, Split};
use crate::embedder::{Embedder, Input, Verdict};
use crate::eval::{
    evaluate_model_dir, make_plots, one_shot_model_dir, EvalData, EvalReport, EvalSettings,
    OneShotReport, OneShotSettings,
};
use crate::report::verdict_table;
use crate::train::{train, TrainReport};
use crate::Recipe;
use anyhow::{bail, Result};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Digits the demo trains on.
pub const SEEN: &str = "0,1,2,3,4";
/// Digits it keeps unseen, for verification and one-shot on new classes.
pub const UNSEEN: &str = "5,6,7,8,9";

/// Everything the demo measured (the JSON of `twinnet demo`).
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The model directory.
    pub model: String,
    /// Training, epoch by epoch.
    pub train: TrainReport,
    /// Verification on test digits of the trained classes.
    pub eval_seen: EvalReport,
    /// Verification on test digits of the unseen classes.
    pub eval_unseen: EvalReport,
    /// 5-way 1-shot on the unseen classes.
    pub oneshot: OneShotReport,
    /// Sample pairs verified from PNG files.
    pub verify: Vec<Verdict>,
    /// The pictures written.
    pub plots: Vec<String>,
}

/// The bundled MNIST sample: `explicit`, or `assets/mnist-sample` under the working directory
/// or the source tree.
pub fn sample_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let candidates = [
        PathBuf::from("assets/mnist-sample"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample"),
    ];
    match candidates.into_iter().find(|p| p.is_dir()) {
        Some(p) => Ok(p),
        None => bail!("cannot find the bundled sample (assets/mnist-sample); give `data`"),
    }
}

/// Runs the demo on the IDX sample in `data`, writing into `out` (its `model/` is replaced).
pub fn run_demo(
    data: &Path,
    out: &Path,
    epochs: usize,
    seed: u64,
    show_progress: bool,
) -> Result<DemoReport> {
    let model_dir = out.join("model");
    let spec = format!("idx:{}", data.display());
    let mut recipe = Recipe::from_toml(include_str!("../../../recipes/demo.toml"))?;
    recipe.data = Some(spec.clone());
    recipe.out = Some(model_dir.clone());
    recipe.epochs = epochs;
    recipe.seed = seed;
    let (dataset, data_spec) = recipe.load_data()?;
    let _ = std::fs::remove_dir_all(&model_dir);
    let tower = recipe.tower_config(dataset.shape())?;
    let cfg = recipe.train_config();
    let report = train(
        dataset,
        &data_spec,
        tower,
        &cfg,
        &model_dir,
        false,
        show_progress,
    )?;
    let classes = |list: &str| EvalData {
        classes: Some(parse_class_list(list)),
        ..EvalData::new(&spec)
    };
    let pairs = EvalSettings {
        pairs: 4000,
        ..EvalSettings::default()
    };
    let plots = make_plots(
        &model_dir,
        &EvalData::new(&spec),
        4000,
        1000,
        0,
        &out.join("plots"),
    )?;
    Ok(DemoReport {
        model: model_dir.display().to_string(),
        train: report,
        eval_seen: evaluate_model_dir(&model_dir, &classes(SEEN), &pairs)?,
        eval_unseen: evaluate_model_dir(&model_dir, &classes(UNSEEN), &pairs)?,
        oneshot: one_shot_model_dir(&model_dir, &classes(UNSEEN), &OneShotSettings::default())?,
        verify: verify_samples(data, &out.join("samples"), &model_dir)?,
        plots: plots.iter().map(|p| p.display().to_string()).collect(),
    })
}

/// Writes a few test digits out as PNG files and verifies pairs of them.
fn verify_samples(data: &Path, samples: &Path, model_dir: &Path) -> Result<Vec<Verdict>> {
    let test = read_idx_split(data, Split::Test)?;
    std::fs::create_dir_all(samples)?;
    let nth_of = |class: &str, skip: usize| -> Option<usize> {
        let c = test.class_names.iter().position(|n| n == class)?;
        let mut of_class = test.labels.iter().enumerate().filter(|(_, &l)| l == c);
        of_class.nth(skip).map(|(i, _)| i)
    };
    let mut files = Vec::new();
    for (class, skip) in [("3", 0), ("3", 1), ("4", 0), ("7", 0), ("7", 1), ("9", 0)] {
        let Some(i) = nth_of(class, skip) else {
            bail!("the sample lacks digit {class}");
        };
        let path = samples.join(format!("digit{class}_{skip}.png"));
        save_item_png(test.item(i), test.shape, &path)?;
        files.push(Input::ImageFile(path));
    }
    let model = Embedder::load(model_dir)?;
    [(0, 1), (0, 2), (3, 4), (3, 5)]
        .iter()
        .map(|&(a, b)| model.verdict(&files[a], &files[b]))
        .collect()
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seen, unseen) = (&self.eval_seen, &self.eval_unseen);
        writeln!(f, "\nTraining on digits {SEEN} (validation metrics; threshold calibrated on validation pairs)\n{}", self.train)?;
        writeln!(f, "\nVerification on {} balanced pairs of held-out test digits {SEEN} (seen classes)\n{seen}", seen.pairs)?;
        writeln!(
            f,
            "\nVerification on {} balanced pairs of digits {UNSEEN} (never trained on)\n{unseen}",
            unseen.pairs
        )?;
        writeln!(
            f,
            "\nOne-shot on the unseen digits {UNSEEN}\n{}",
            self.oneshot
        )?;
        writeln!(f, "\nVerification of sample images (3/3 and 7/7 are the same digit; 7 and 9 were never trained on)")?;
        writeln!(f, "{}", verdict_table(&self.verify))?;
        let m = &self.model;
        let pictures = Path::new(m)
            .parent()
            .unwrap_or(Path::new("."))
            .join("plots");
        write!(
            f,
            "\nmodel: {m}   metrics: {m}/metrics.jsonl   pictures: {}/",
            pictures.display()
        )
    }
}
