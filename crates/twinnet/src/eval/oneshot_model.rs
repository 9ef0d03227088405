//! One-shot evaluation of a model on a dataset: its features (at a chosen layer, optionally
//! averaged over shifts), centred and whitened with statistics of the model's *own training
//! classes* (never of the evaluated ones), then N-way K-shot episodes.

use super::{one_shot_grouped, OneShotResult, ShotRule, Whitener};
use crate::data::{load_dataset, DataSpec, Dataset, LabeledImages, Split};
use crate::distance::Distance;
use crate::model::TwinModel;
use crate::score::Scorer;
use crate::tower::FeatureLayer;
use anyhow::{bail, Result};
use serde::Serialize;

/// Training images at most used for the centring mean and the whitening covariance.
const MAX_TRAINING_FEATURES: usize = 10_000;

/// How the episodes are set up and the features prepared.
#[derive(Debug, Clone, PartialEq)]
pub struct OneShotSettings {
    /// N.
    pub ways: usize,
    /// K.
    pub shots: usize,
    /// Episodes.
    pub episodes: usize,
    /// Seed of the episodes.
    pub seed: u64,
    /// How a query is matched against the supports.
    pub rule: ShotRule,
    /// Where the tower is read.
    pub layer: FeatureLayer,
    /// Subtract the training classes' mean feature.
    pub center: bool,
    /// Whiten with the training classes' within-class covariance, with this shrinkage.
    pub whiten: Option<f64>,
    /// Average each image's features over all shifts of up to this many pixels.
    pub tta_shift: usize,
    /// Draw each episode's classes from one alphabet: the first folder of the class names
    /// (`alphabet/character`), Lake et al.'s within-alphabet protocol.
    pub within_alphabet: bool,
}

impl Default for OneShotSettings {
    fn default() -> Self {
        Self {
            ways: 5,
            shots: 1,
            episodes: 2000,
            seed: 0,
            rule: ShotRule::MeanDistance,
            layer: FeatureLayer::Embedding,
            center: false,
            whiten: None,
            tta_shift: 0,
            within_alphabet: false,
        }
    }
}

/// What a one-shot evaluation measured, and on what.
#[derive(Debug, Clone, Serialize)]
pub struct OneShotReport {
    /// Accuracy, interval and chance.
    #[serde(flatten)]
    pub result: OneShotResult,
    /// The evaluated classes.
    pub classes: Vec<String>,
    /// Evaluated classes the model was trained on (empty for true one-shot).
    pub seen_in_training: Vec<String>,
    /// Where the tower was read.
    pub layer: FeatureLayer,
    /// Whether features were centred (always with whitening).
    pub centered: bool,
    /// Shift-averaging radius.
    pub tta_shift: usize,
    /// Whether features were whitened.
    pub whitened: bool,
    /// The whitening shrinkage, when whitened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whiten_shrinkage: Option<f64>,
    /// With within-alphabet episodes: the alphabets that have N classes, which the episodes
    /// were drawn within.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_alphabets: Option<Vec<String>>,
}

/// Runs the episodes on `data` (read from `spec`, whose training split also gives the
/// centring and whitening statistics of the model's own training classes).
pub fn evaluate_one_shot(
    model: &TwinModel,
    spec: &DataSpec,
    data: &LabeledImages,
    s: &OneShotSettings,
) -> Result<OneShotReport> {
    if data.is_empty() {
        bail!("the selection holds no examples");
    }
    // The model's own scorer fits its own embedding; anything else is compared by cosine.
    let center = s.center || s.whiten.is_some();
    let own_scorer = s.layer == FeatureLayer::Embedding && !center;
    let (mut emb, dim) =
        model.features_all_shifted(data.len(), s.layer, |i| data.item(i), s.tta_shift)?;
    if center {
        let base = training_features(model, spec, s.layer, s.tta_shift)?;
        for row in emb.chunks_mut(dim) {
            row.iter_mut().zip(&base.mean).for_each(|(x, m)| *x -= m);
        }
        if let Some(shrinkage) = s.whiten {
            Whitener::fit(&base.features, dim, &base.labels, shrinkage)?.apply(&mut emb);
        }
    }
    let scorer = if own_scorer {
        model.scorer.clone()
    } else {
        Scorer::Distance(Distance::Cosine)
    };
    let (alphabets, groups) = alphabets_of(&data.class_names, s.within_alphabet)?;
    let (result, used) = one_shot_grouped(
        &emb,
        dim,
        &data.labels,
        &data.class_names,
        &groups,
        s.ways,
        s.shots,
        s.episodes,
        s.seed,
        &scorer,
        s.rule,
    )?;
    let trained = &model.manifest.training.classes;
    Ok(OneShotReport {
        result,
        classes: data.class_names.clone(),
        seen_in_training: data
            .class_names
            .iter()
            .filter(|c| trained.contains(c))
            .cloned()
            .collect(),
        layer: s.layer,
        centered: center,
        tta_shift: s.tta_shift,
        whitened: s.whiten.is_some(),
        whiten_shrinkage: s.whiten,
        within_alphabets: s
            .within_alphabet
            .then(|| used.iter().map(|&g| alphabets[g].clone()).collect()),
    })
}

/// Each class's alphabet (the part of its name before the first `/`) as a group index, and
/// the alphabets; one group for all when `within` is off.
fn alphabets_of(class_names: &[String], within: bool) -> Result<(Vec<String>, Vec<usize>)> {
    if !within {
        return Ok((vec![String::new()], vec![0; class_names.len()]));
    }
    if !class_names.iter().any(|c| c.contains('/')) {
        bail!("`within-alphabet` needs classes named alphabet/character (an image folder read with `class-depth` 2)");
    }
    let mut alphabets: Vec<String> = Vec::new();
    let groups = class_names
        .iter()
        .map(|c| {
            let a = c.split_once('/').map_or(c.as_str(), |(a, _)| a);
            match alphabets.iter().position(|x| x == a) {
                Some(i) => i,
                None => {
                    alphabets.push(a.to_string());
                    alphabets.len() - 1
                }
            }
        })
        .collect();
    Ok((alphabets, groups))
}

struct TrainingFeatures {
    features: Vec<f32>,
    labels: Vec<usize>,
    mean: Vec<f32>,
}

/// Features of up to 10,000 training-split images of the model's own training classes.
fn training_features(
    model: &TwinModel,
    spec: &DataSpec,
    layer: FeatureLayer,
    tta_shift: usize,
) -> Result<TrainingFeatures> {
    let trained = &model.manifest.training.classes;
    if trained.is_empty() {
        bail!("`center` and `whiten` need the model's training classes; this model was trained on a pair list");
    }
    let Dataset::Labeled(base) = load_dataset(
        spec,
        Split::Train,
        Some(model.manifest.input.shape),
        Some(trained.as_slice()),
    )?
    else {
        bail!("`center` and `whiten` need labelled training data");
    };
    let n = base.len().min(MAX_TRAINING_FEATURES);
    if n == 0 {
        bail!(
            "`center`/`whiten`: no training examples of the model's classes in {}",
            spec.path.display()
        );
    }
    let (features, dim) = model.features_all_shifted(n, layer, |i| base.item(i), tta_shift)?;
    let mut mean = vec![0.0f64; dim];
    for row in features.chunks(dim) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &x)| *m += f64::from(x));
    }
    Ok(TrainingFeatures {
        features,
        labels: base.labels[..n].to_vec(),
        mean: mean.iter().map(|m| (m / n as f64) as f32).collect(),
    })
}
