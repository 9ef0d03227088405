//! Tables of the text-model reports.

use super::{f4, opt4, Table};
use crate::eval::TextEvalReport;
use crate::text::Imported;
use crate::train::TextTrainReport;
use std::fmt;

impl fmt::Display for TextTrainReport {
    /// The starting model's validation, then one row per epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "epoch",
            "train loss",
            "val AUC",
            "val AP",
            "val acc",
            "threshold",
            "texts/s",
        ]);
        let s = &self.start;
        let (auc, ap) = (f4(s.auc), f4(s.average_precision));
        let start = ["start".into(), "-".into(), auc, ap, opt4(s.accuracy)];
        t.row([&start[..], &[opt4(s.threshold), "-".into()]].concat());
        for e in &self.history {
            let v = &e.validation;
            t.row(vec![
                e.epoch.to_string(),
                f4(e.train_loss),
                f4(v.auc),
                f4(v.average_precision),
                opt4(v.accuracy),
                opt4(v.threshold),
                format!("{:.1}", e.texts_per_s),
            ]);
        }
        t.fmt(f)
    }
}

impl fmt::Display for TextEvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metrics;
        let mut t = Table::new(&["metric", "value"]);
        t.pair("pairs", m.pairs.to_string());
        t.pair("ROC AUC", f4(m.auc)).pair("EER", f4(m.eer));
        t.pair("average precision", f4(m.average_precision));
        t.pair("accuracy", opt4(m.accuracy)).pair("F1", opt4(m.f1));
        t.pair(
            format!("threshold ({})", self.threshold_source),
            opt4(m.threshold),
        );
        t.pair("Spearman", f4(m.spearman))
            .pair("Pearson", f4(m.pearson));
        t.fmt(f)
    }
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["model", "dim", "max tokens", "normalize", "weights sha256"]);
        t.row(vec![
            self.out.clone(),
            self.embedding_dim.to_string(),
            self.max_seq_length.to_string(),
            self.normalize.to_string(),
            self.weights_sha256.chars().take(16).collect(),
        ]);
        t.fmt(f)
    }
}
