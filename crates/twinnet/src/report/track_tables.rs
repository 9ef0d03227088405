//! Tables of the tracking reports.

use super::{f4, opt4, Table};
use crate::eval::TrackingReport;
use crate::tracking::TrackRun;
use crate::train::TrackTrainReport;
use std::fmt;

impl fmt::Display for TrackTrainReport {
    /// One row per epoch: loss and the validation figures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "epoch",
            "loss",
            "val_loss",
            "val_hit",
            "val_err_px",
            "pairs/s",
            "secs",
        ]);
        for e in &self.history {
            t.row(vec![
                e.epoch.to_string(),
                f4(e.train_loss),
                f4(e.val_loss),
                f4(e.val_hit_rate),
                format!("{:.1}", e.val_center_error_px),
                format!("{:.1}", e.pairs_per_s),
                format!("{:.1}", e.train_seconds),
            ]);
        }
        t.fmt(f)
    }
}

impl fmt::Display for TrackingReport {
    /// The model and the baselines overall, then the model per sequence.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["tracker", "success_auc", "precision_20px", "fps"]);
        for s in [
            &self.siamfc,
            &self.baselines.ncc,
            &self.baselines.static_box,
        ] {
            t.row(vec![
                s.tracker.clone(),
                f4(s.success_auc),
                f4(s.precision_20px),
                format!("{:.1}", s.fps),
            ]);
        }
        t.fmt(f)?;
        writeln!(f)?;
        let mut t = Table::new(&[
            "sequence",
            "frames",
            "success_auc",
            "precision_20px",
            "ncc_auc",
            "static_auc",
        ]);
        for (k, s) in self.siamfc.sequences.iter().enumerate() {
            let other = |b: &crate::eval::TrackerScore| b.sequences.get(k).map(|q| q.success_auc);
            t.row(vec![
                s.name.clone(),
                s.frames.to_string(),
                f4(s.success_auc),
                f4(s.precision_20px),
                opt4(other(&self.baselines.ncc)),
                opt4(other(&self.baselines.static_box)),
            ]);
        }
        t.fmt(f)?;
        for p in &self.plots {
            write!(f, "\nwrote {p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TrackRun {
    /// The run's figures (the boxes go to the `--out` file).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "sequence",
            "frames",
            "fps",
            "fps_with_decoding",
            "success_auc",
            "precision_20px",
        ]);
        t.row(vec![
            self.sequence.clone(),
            self.frames.to_string(),
            format!("{:.1}", self.fps),
            format!("{:.1}", self.fps_with_decoding),
            opt4(self.success_auc),
            opt4(self.precision_20px),
        ]);
        t.fmt(f)
    }
}
