//! Evaluating a saved image model on the data a user names: verification (ROC, EER,
//! TAR@FAR at the threshold calibrated on validation data when the model was trained, never
//! here), retrieval, and one-shot episodes, each as one call that a front end only prints.

use super::signatures::{
    signature_pair_metrics, signature_reference_metrics, ForgeryMetrics, ReferenceMetrics,
};
use super::RetrievalMetrics;
use super::{evaluate_model_scores, evaluate_one_shot, retrieval, OneShotReport, OneShotSettings};
use crate::data::{load_dataset, DataSpec, Dataset, SignatureSet, Split};
use crate::model::TwinModel;
use anyhow::{bail, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The evaluation data: a data spec, its split and the classes to keep.
#[derive(Debug, Clone)]
pub struct EvalData {
    /// A data spec (`idx:`, `folder:`, `pairs:` or a path).
    pub spec: String,
    /// The IDX split.
    pub split: Split,
    /// Classes to keep (all when `None`).
    pub classes: Option<Vec<String>>,
    /// Image folders: how many folder levels down the classes sit.
    pub class_depth: usize,
}

impl EvalData {
    /// The test split of `spec`, every class, classes one folder down.
    pub fn new(spec: &str) -> Self {
        Self {
            spec: spec.to_string(),
            split: Split::Test,
            classes: None,
            class_depth: 1,
        }
    }

    /// Reads the data at the model's input shape.
    pub fn load(&self, model: &TwinModel) -> Result<(DataSpec, Dataset)> {
        let mut spec = DataSpec::parse(&self.spec)?;
        spec.class_depth = self.class_depth;
        // Questioned images are prepared exactly as the training images were.
        spec.handwriting = model.manifest.input.handwriting;
        let data = load_dataset(
            &spec,
            self.split,
            Some(model.manifest.input.shape),
            self.classes.as_deref(),
        )?;
        Ok((spec, data))
    }
}

/// A verification evaluation of a model directory (the JSON of `twinnet eval`).
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// ROC AUC.
    pub auc: f64,
    /// Equal error rate.
    pub eer: f64,
    /// Accuracy at the model's threshold (calibrated on validation data at training time).
    pub accuracy: f64,
    /// The model's threshold.
    pub threshold: f32,
    /// True accept rate at each false accept rate.
    pub tar_at_far: BTreeMap<String, f64>,
    /// Pairs evaluated.
    pub pairs: usize,
    /// Same pairs among them.
    pub positives: usize,
    /// Model directory.
    pub model: String,
    /// Data spec.
    pub data: String,
    /// Classes evaluated (empty: all).
    pub classes: Vec<String>,
    /// Seed of the pair draw.
    pub seed: u64,
    /// Retrieval metrics, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalMetrics>,
    /// For a signature folder: skilled and random forgeries apart (keys at the top level).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<SignatureEval>,
}

/// Signature figures of an evaluation (`eer_skilled`, `eer_random`, … in the JSON).
#[derive(Debug, Clone, Serialize)]
pub struct SignatureEval {
    /// Every genuine–genuine, genuine–skilled and genuine–random pair of the writers.
    #[serde(flatten)]
    pub pairs: ForgeryMetrics,
    /// Writers evaluated.
    pub writers: usize,
    /// Questioned signatures against K references, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<ReferenceMetrics>,
}

/// How a verification evaluation draws its pairs and what else it measures.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    /// Balanced pairs to draw from labelled data (a pair list uses its own pairs).
    pub pairs: usize,
    /// Seed of the pair draw (same seed → same pairs).
    pub seed: u64,
    /// Also measure retrieval (every item a query against all the others).
    pub retrieval: bool,
    /// Also draw the pictures into this folder.
    pub plots: Option<PathBuf>,
    /// Signatures: also compare each questioned signature against this many genuine
    /// references of the claimed writer.
    pub references: Option<usize>,
}

impl Default for EvalSettings {
    fn default() -> Self {
        Self {
            pairs: 10_000,
            seed: 0,
            retrieval: false,
            plots: None,
            references: None,
        }
    }
}

/// Evaluates the model in `model_dir` on `data`.
pub fn evaluate_model_dir(
    model_dir: &Path,
    data: &EvalData,
    s: &EvalSettings,
) -> Result<EvalReport> {
    let model = TwinModel::load(model_dir)?;
    let (spec, data_set) = data.load(&model)?;
    let (m, scores, same) = evaluate_model_scores(&model, &data_set, s.pairs, s.seed)?;
    if let Some(dir) = &s.plots {
        draw_into(dir, &model, &data_set, &m, &scores, &same)?;
    }
    // A signature set is embedded once, for its forgery figures and retrieval alike.
    let signature_embeddings = match &data_set {
        Dataset::Signatures(set) => Some(model.embed_all(set.images.len(), |i| set.images.item(i))),
        _ => None,
    };
    let retrieval_metrics = match (&data_set, s.retrieval) {
        (Dataset::Labeled(d), true) => {
            let emb = model.embed_all(d.len(), |i| d.item(i));
            let dim = model.manifest.tower.embedding_dim();
            Some(retrieval(&emb, dim, &d.labels, &model.scorer))
        }
        (Dataset::Signatures(set), true) => {
            let dim = model.manifest.tower.embedding_dim();
            let emb = signature_embeddings.as_deref().expect("embedded above");
            Some(retrieval(emb, dim, &set.images.labels, &model.scorer))
        }
        (Dataset::Pairs(_), true) => bail!("`retrieval` needs class labels, not a pair list"),
        _ => None,
    };
    let signatures = match (&data_set, &signature_embeddings) {
        (Dataset::Signatures(set), Some(emb)) => Some(signature_eval(&model, set, emb, s)?),
        _ if s.references.is_some() => {
            bail!("`references` compares signatures with a writer's references; use a signatures: folder")
        }
        _ => None,
    };
    Ok(EvalReport {
        auc: m.auc,
        eer: m.eer,
        accuracy: m.accuracy,
        threshold: m.threshold,
        tar_at_far: BTreeMap::from([
            ("1e-2".to_string(), m.tar_at_far_1e2),
            ("1e-3".to_string(), m.tar_at_far_1e3),
        ]),
        pairs: m.pairs,
        positives: m.positives,
        model: model_dir.display().to_string(),
        data: spec.to_string(),
        classes: data.classes.clone().unwrap_or_default(),
        seed: s.seed,
        retrieval: retrieval_metrics,
        signatures,
    })
}

fn signature_eval(
    model: &TwinModel,
    set: &SignatureSet,
    emb: &[f32],
    s: &EvalSettings,
) -> Result<SignatureEval> {
    let dim = model.manifest.tower.embedding_dim();
    let threshold = model.manifest.threshold;
    let references = s
        .references
        .map(|k| signature_reference_metrics(set, emb, dim, &model.scorer, threshold, k, s.seed))
        .transpose()?;
    Ok(SignatureEval {
        pairs: signature_pair_metrics(set, emb, dim, &model.scorer, threshold),
        writers: set.images.class_names.len(),
        references,
    })
}

/// N-way K-shot episodes of the model in `model_dir` on `data` (which must carry class labels).
pub fn one_shot_model_dir(
    model_dir: &Path,
    data: &EvalData,
    s: &OneShotSettings,
) -> Result<OneShotReport> {
    let model = TwinModel::load(model_dir)?;
    let (spec, data_set) = data.load(&model)?;
    let Dataset::Labeled(d) = data_set else {
        bail!(
            "one-shot episodes need class labels; {} is a pair list",
            spec.path.display()
        );
    };
    evaluate_one_shot(&model, &spec, &d, s)
}

#[cfg(feature = "plots")]
fn draw_into(
    dir: &Path,
    model: &TwinModel,
    data: &Dataset,
    m: &super::VerificationMetrics,
    scores: &[f32],
    same: &[bool],
) -> Result<()> {
    super::draw_plots(model, data, m, scores, same, 2000, dir).map(|_| ())
}

#[cfg(not(feature = "plots"))]
fn draw_into(
    dir: &Path,
    _: &TwinModel,
    _: &Dataset,
    _: &super::VerificationMetrics,
    _: &[f32],
    _: &[bool],
) -> Result<()> {
    bail!("{}: pictures need the `plots` feature", dir.display())
}
