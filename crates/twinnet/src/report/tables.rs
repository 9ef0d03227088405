//! Tables of the image-model reports and of the commands shared by every model kind.

use super::{f4, opt4, Table};
use crate::data::Fetched;
use crate::embedder::Verdict;
use crate::eval::{EvalReport, ForgeryMetrics, OneShotReport, RetrievalMetrics, SignatureEval};
use crate::gallery::{Entry, Identification};
use crate::train::TrainReport;
use std::fmt;

impl fmt::Display for TrainReport {
    /// One row per epoch: loss and the validation metrics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "epoch",
            "loss",
            "val_auc",
            "val_eer",
            "val_acc",
            "threshold",
            "pairs/s",
            "secs",
        ]);
        for m in &self.history {
            t.row(vec![
                m.epoch.to_string(),
                f4(m.train_loss),
                f4(m.val_auc),
                f4(m.val_eer),
                f4(m.val_accuracy),
                format!("{:.4}", m.val_threshold),
                format!("{:.0}", m.pairs_per_s),
                format!("{:.1}", m.seconds),
            ]);
        }
        t.fmt(f)
    }
}

impl fmt::Display for EvalReport {
    /// The verification metrics, then the retrieval metrics when measured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["metric", "value"]);
        t.pair("pairs", format!("{} ({} same)", self.pairs, self.positives));
        t.pair("roc_auc", f4(self.auc)).pair("eer", f4(self.eer));
        for (far, tar) in &self.tar_at_far {
            t.pair(format!("tar@far={far}"), f4(*tar));
        }
        t.pair(
            "threshold (from validation)",
            format!("{:.4}", self.threshold),
        );
        t.pair("accuracy", f4(self.accuracy));
        t.fmt(f)?;
        if let Some(r) = &self.retrieval {
            write!(f, "\n\n{r}")?;
        }
        match &self.signatures {
            Some(s) => write!(f, "\n\n{s}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for SignatureEval {
    /// Skilled and random forgeries side by side, by pairs and against references.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "scoring",
            "genuine",
            "skilled",
            "random",
            "eer_skilled",
            "eer_random",
            "auc_skilled",
            "auc_random",
            "frr",
            "far_skilled",
            "far_random",
        ]);
        let mut add = |name: String, m: &ForgeryMetrics| {
            t.row(vec![
                name,
                m.genuine_pairs.to_string(),
                m.skilled_pairs.to_string(),
                m.random_pairs.to_string(),
                f4(m.eer_skilled),
                f4(m.eer_random),
                f4(m.auc_skilled),
                f4(m.auc_random),
                f4(m.frr),
                f4(m.far_skilled),
                f4(m.far_random),
            ]);
        };
        add(format!("pairs ({} writers)", self.writers), &self.pairs);
        if let Some(r) = &self.references {
            add(format!("mean of {} references", r.references), &r.mean);
            add(format!("min of {} references", r.references), &r.min);
        }
        t.fmt(f)
    }
}

impl fmt::Display for RetrievalMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["retrieval", "value"]);
        t.pair("queries", self.queries.to_string());
        t.pair("precision@1", f4(self.precision_at_1));
        for (k, v) in &self.recall_at_k {
            t.pair(format!("recall@{k}"), f4(*v));
        }
        t.pair("MAP@R", f4(self.map_at_r));
        t.fmt(f)
    }
}

impl fmt::Display for OneShotReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.result;
        let mut t = Table::new(&["metric", "value"]);
        t.pair(
            "task",
            format!("{}-way {}-shot, {} episodes", r.ways, r.shots, r.episodes),
        );
        let classes = match self.classes.len() {
            0..=10 => self.classes.join(", "),
            n => format!("{n}: {}, …", self.classes[..4].join(", ")),
        };
        t.pair("classes", classes);
        if let Some(a) = &self.within_alphabets {
            t.pair("episodes within", a.join(", "));
        }
        let accuracy = format!("{} ± {} (95 % CI)", f4(r.accuracy), f4(r.ci95));
        t.pair("accuracy", accuracy).pair("chance", f4(r.chance));
        let shifted = match self.tta_shift {
            0 => String::new(),
            s => format!(", averaged over shifts of up to {s} px"),
        };
        let centred = if self.centered { ", centred" } else { "" };
        let features = format!("{:?}{centred}{shifted}", self.layer).to_lowercase();
        t.pair("features", features);
        if let Some(l) = self.whiten_shrinkage {
            let how = format!("within-class covariance of the training classes, shrinkage {l}");
            t.pair("whitening", how);
        }
        t.fmt(f)
    }
}

impl fmt::Display for Identification {
    /// The decision, then the nearest entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "identified as: {}", self.label)?;
        let mut t = Table::new(&["id", "label", "distance"]);
        for h in &self.matches {
            let d = format!("{:.4}", h.distance);
            t.row(vec![h.id.to_string(), h.label.clone(), d]);
        }
        t.fmt(f)
    }
}

impl fmt::Display for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fetched::Dataset {
                dataset,
                dest,
                train,
                test,
            } => {
                let mut t = Table::new(&["dataset", "folder", "train", "test"]);
                t.row(vec![
                    dataset.clone(),
                    dest.clone(),
                    train.to_string(),
                    test.to_string(),
                ]);
                t.fmt(f)
            }
            Fetched::Signatures {
                dataset,
                dest,
                from,
                writers,
                genuine,
                forged,
            } => {
                let mut t =
                    Table::new(&["dataset", "folder", "writers", "genuine", "forged", "from"]);
                let [w, g, fo] = [writers, genuine, forged].map(|n| n.to_string());
                t.row(vec![dataset.clone(), dest.clone(), w, g, fo, from.clone()]);
                t.fmt(f)
            }
            Fetched::Characters {
                dataset,
                dest,
                from,
                alphabets,
                characters,
                images,
            } => {
                let mut t = Table::new(&[
                    "dataset",
                    "folder",
                    "alphabets",
                    "characters",
                    "images",
                    "from",
                ]);
                let [a, c, i] = [alphabets, characters, images].map(|n| n.to_string());
                t.row(vec![dataset.clone(), dest.clone(), a, c, i, from.clone()]);
                t.fmt(f)
            }
            Fetched::Sequences {
                dataset,
                dest,
                from,
                frames,
                train,
                test,
            } => {
                let mut t = Table::new(&["dataset", "folder", "frames", "train", "test", "from"]);
                let (n, tr, te) = (
                    frames.to_string(),
                    train.len().to_string(),
                    test.len().to_string(),
                );
                t.row(vec![dataset.clone(), dest.clone(), n, tr, te, from.clone()]);
                t.fmt(f)
            }
            Fetched::Networks {
                package,
                dest,
                networks,
            } => {
                let mut t = Table::new(&["network (manifest)", "tensors", "values", "folder"]);
                for n in networks {
                    let (k, v) = (n.tensors.to_string(), n.parameters.to_string());
                    t.row(vec![n.manifest.clone(), k, v, dest.clone()]);
                }
                t.fmt(f)?;
                write!(f, "\nfrom {package}")
            }
            Fetched::Model {
                model,
                dest,
                embedding_dim,
                max_seq_length,
            } => {
                let mut t = Table::new(&["model", "folder", "dim", "max tokens"]);
                let (dim, max) = (embedding_dim.to_string(), max_seq_length.to_string());
                t.row(vec![model.clone(), dest.clone(), dim, max]);
                t.fmt(f)
            }
        }
    }
}

impl fmt::Display for Verdict {
    /// The table of this one verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        verdict_table(std::slice::from_ref(self)).fmt(f)
    }
}

/// Verdicts, one row per pair.
pub fn verdict_table(verdicts: &[Verdict]) -> Table {
    let mut t = Table::new(&["a", "b", "distance", "threshold", "same"]);
    for v in verdicts {
        let m = &v.verification;
        t.row(vec![
            v.a.clone(),
            v.b.clone(),
            format!("{:.4}", m.distance),
            opt4(m.threshold),
            m.same.map_or("-".into(), |s| s.to_string()),
        ]);
    }
    t
}

/// A gallery's entries.
pub fn entry_table(entries: &[Entry]) -> Table {
    let mut t = Table::new(&["id", "label", "source"]);
    for e in entries {
        t.row(vec![e.id.to_string(), e.label.clone(), e.source.clone()]);
    }
    t
}

/// One row per input: its name (column `what`), the dimension and the first values.
pub fn embedding_table<'a>(
    what: &str,
    rows: impl IntoIterator<Item = (&'a str, &'a [f32])>,
) -> Table {
    let mut t = Table::new(&[what, "dim", "embedding"]);
    for (name, e) in rows {
        let head: Vec<String> = e.iter().take(6).map(|v| format!("{v:.4}")).collect();
        let values = format!("[{}, …]", head.join(", "));
        t.row(vec![name.to_string(), e.len().to_string(), values]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedder::Verification;

    #[test]
    fn verdicts_show_a_missing_threshold_as_a_dash() {
        let v = |threshold: Option<f32>| Verdict {
            a: "x.png".into(),
            b: "y.png".into(),
            verification: Verification {
                distance: 0.25,
                threshold,
                same: threshold.map(|t| 0.25 <= t),
            },
        };
        let s = verdict_table(&[v(Some(0.5)), v(None)]).to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "a      b      distance  threshold  same");
        assert_eq!(lines[2], "x.png  y.png  0.2500    0.5000     true");
        assert_eq!(lines[3], "x.png  y.png  0.2500    -          -");
    }
}
