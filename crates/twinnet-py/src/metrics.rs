//! `twinnet.eval`: the verification and one-shot metrics over embeddings from any model.

use crate::errors::{json, to_py, IntoPy};
use crate::inputs::floats;
use pyo3::prelude::*;
use std::str::FromStr;
use twinnet::eval::{
    calibrate_threshold, one_shot_grouped, roc_curve, tar_at_far, ShotRule, VerificationMetrics,
};
use twinnet::score::Scorer;
use twinnet::Distance;

/// Verification metrics of `distances` (lower = more alike) with `same` (True = a pair of
/// one identity), accuracy at `threshold` or, without one, at the threshold that is best on
/// these pairs; TAR at each FAR in `fars`. JSON.
#[pyfunction]
#[pyo3(signature = (distances, same, threshold = None, fars = vec![1e-2, 1e-3]))]
pub fn verification(
    py: Python<'_>,
    distances: Vec<f32>,
    same: Vec<bool>,
    threshold: Option<f32>,
    fars: Vec<f64>,
) -> PyResult<String> {
    let value = py
        .detach(|| -> anyhow::Result<_> {
            if distances.len() != same.len() {
                anyhow::bail!("{} distances but {} labels", distances.len(), same.len());
            }
            let positives = same.iter().filter(|&&s| s).count();
            if positives == 0 || positives == same.len() {
                anyhow::bail!(
                    "verification needs both same and different pairs ({positives} of {} are same)",
                    same.len()
                );
            }
            if let Some(i) = distances.iter().position(|d| !d.is_finite()) {
                anyhow::bail!("distance {i} is {}", distances[i]);
            }
            if let Some(f) = fars.iter().find(|f| !(0.0..=1.0).contains(*f)) {
                anyhow::bail!("FAR {f} is not in [0, 1]");
            }
            let (t, source) = match threshold {
                Some(t) if t.is_finite() => (t, "given"),
                Some(t) => anyhow::bail!("threshold {t} is not a finite number"),
                None => (calibrate_threshold(&distances, &same), "these pairs"),
            };
            let m = VerificationMetrics::compute(&distances, &same, t);
            let roc = roc_curve(&distances, &same);
            let tar: serde_json::Map<String, serde_json::Value> = fars
                .iter()
                .map(|&f| (format!("{f}"), tar_at_far(&roc, f).into()))
                .collect();
            let mut v = serde_json::to_value(m)?;
            v["threshold_source"] = source.into();
            v["tar_at_far"] = tar.into();
            Ok(v)
        })
        .py_err()?;
    json(&value)
}

/// N-way K-shot episodes over `n × dim` f32 embeddings (bytes) with class ids `labels`
/// (`names[id]`), optionally drawn within groups (`groups[id]`, e.g. alphabets). JSON.
#[pyfunction]
#[pyo3(signature = (embeddings, dim, labels, names, groups, ways, shots, episodes, seed, distance, rule))]
#[allow(clippy::too_many_arguments)]
pub fn oneshot(
    py: Python<'_>,
    embeddings: &[u8],
    dim: usize,
    labels: Vec<usize>,
    names: Vec<String>,
    groups: Option<Vec<usize>>,
    ways: usize,
    shots: usize,
    episodes: usize,
    seed: u64,
    distance: &str,
    rule: &str,
) -> PyResult<String> {
    let emb = floats(embeddings);
    let distance = Distance::from_str(distance).map_err(|e| to_py(anyhow::anyhow!("{e}")))?;
    let rule: ShotRule = serde_json::from_value(rule.into()).map_err(|_| {
        to_py(anyhow::anyhow!(
            "rule {rule}: give mean-distance or prototype"
        ))
    })?;
    let (result, used) = py
        .detach(|| -> anyhow::Result<_> {
            if dim == 0 || emb.len() != labels.len() * dim {
                anyhow::bail!(
                    "{} values for {} embeddings of {dim}",
                    emb.len(),
                    labels.len()
                );
            }
            if let Some(l) = labels.iter().find(|&&l| l >= names.len()) {
                anyhow::bail!("label {l} has no name ({} names)", names.len());
            }
            let groups = groups.unwrap_or_else(|| vec![0; names.len()]);
            if groups.len() != names.len() {
                anyhow::bail!("{} groups for {} classes", groups.len(), names.len());
            }
            let scorer = Scorer::Distance(distance);
            one_shot_grouped(
                &emb, dim, &labels, &names, &groups, ways, shots, episodes, seed, &scorer, rule,
            )
        })
        .py_err()?;
    let mut v = serde_json::to_value(result).map_err(|e| to_py(e.into()))?;
    v["groups_used"] = used.into();
    json(&v)
}
