//! OTB's one-pass evaluation (Wu et al., 2013): each tracker starts from the first
//! ground-truth box of each sequence and runs to the end, never reset. Success is the share of
//! frames whose overlap (IoU) with the ground truth exceeds a threshold, over thresholds 0 to 1
//! in steps of 0.05, and `success_auc` the mean of those 21 rates; precision is the share of
//! frames whose centre lies within a distance of the true centre, `precision_20px` at 20 pixels.
//! Every frame counts, the first one included, as in OTB's toolkit; the figures over many
//! sequences are the means of the sequences' curves (each sequence weighs the same).

use crate::data::{BoxXywh, FrameStore, Sequence};
use crate::tracking::{follow, Tracker};
use anyhow::Result;
use serde::{Deserialize, Serialize};

/// Overlap thresholds of the success plot.
pub const SUCCESS_THRESHOLDS: usize = 21;
/// Centre-error thresholds of the precision plot: 0 to 50 pixels.
pub const PRECISION_PIXELS: usize = 51;

/// Success and precision of one run of boxes against the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtbCurves {
    /// Success rate at IoU > 0, 0.05, …, 1.
    pub success: Vec<f64>,
    /// Precision at centre error ≤ 0, 1, …, 50 px.
    pub precision: Vec<f64>,
}

impl OtbCurves {
    /// The curves of `boxes` against `truth` (the same length).
    ///
    /// ```
    /// use twinnet::data::BoxXywh;
    /// use twinnet::eval::OtbCurves;
    /// let t = BoxXywh { x: 1.0, y: 1.0, w: 10.0, h: 10.0 };
    /// let half = BoxXywh { x: 6.0, ..t }; // IoU 1/3, centre 5 px away
    /// let c = OtbCurves::of(&[t, half], &[t, t]);
    /// assert_eq!(c.success[0], 1.0); // both overlap
    /// assert_eq!(c.success[7], 0.5); // IoU > 0.35: only the exact box
    /// assert_eq!(c.precision[4], 0.5);
    /// assert_eq!(c.precision[5], 1.0);
    /// assert_eq!(c.success[20], 0.0); // nothing overlaps by more than 1
    /// assert!((c.success_auc() - (7.0 + 13.0 * 0.5) / 21.0).abs() < 1e-9);
    /// assert_eq!(c.precision_20px(), 1.0);
    /// ```
    pub fn of(boxes: &[BoxXywh], truth: &[BoxXywh]) -> Self {
        let n = boxes.len().min(truth.len()).max(1) as f64;
        let ious: Vec<f32> = boxes.iter().zip(truth).map(|(b, t)| b.iou(t)).collect();
        let errors: Vec<f32> = boxes
            .iter()
            .zip(truth)
            .map(|(b, t)| {
                let ((bx, by), (tx, ty)) = (b.center(), t.center());
                ((bx - tx).powi(2) + (by - ty).powi(2)).sqrt()
            })
            .collect();
        let success = (0..SUCCESS_THRESHOLDS)
            .map(|k| {
                let th = k as f32 * 0.05;
                // OTB counts IoU > threshold, so nothing passes at 1.
                ious.iter().filter(|&&v| v > th).count() as f64 / n
            })
            .collect();
        let precision = (0..PRECISION_PIXELS)
            .map(|px| errors.iter().filter(|&&e| e <= px as f32).count() as f64 / n)
            .collect();
        Self { success, precision }
    }

    /// Area under the success plot (the mean success rate over the thresholds).
    pub fn success_auc(&self) -> f64 {
        self.success.iter().sum::<f64>() / self.success.len().max(1) as f64
    }

    /// Precision at 20 pixels.
    pub fn precision_20px(&self) -> f64 {
        self.precision.get(20).copied().unwrap_or(0.0)
    }

    /// The mean of several runs' curves.
    pub fn mean(curves: &[OtbCurves]) -> Self {
        let n = curves.len().max(1) as f64;
        let avg = |f: fn(&OtbCurves) -> &Vec<f64>, len: usize| {
            (0..len)
                .map(|i| curves.iter().map(|c| f(c)[i]).sum::<f64>() / n)
                .collect()
        };
        Self {
            success: avg(|c| &c.success, SUCCESS_THRESHOLDS),
            precision: avg(|c| &c.precision, PRECISION_PIXELS),
        }
    }
}

/// One tracker on one sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceScore {
    /// Sequence name.
    pub name: String,
    /// Frames.
    pub frames: usize,
    /// Area under its success plot.
    pub success_auc: f64,
    /// Precision at 20 px.
    pub precision_20px: f64,
    /// Frames per second of the tracker alone (crops, network, peak; frames decoded beforehand).
    pub fps: f64,
}

/// One tracker over a set of sequences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackerScore {
    /// The tracker's name.
    pub tracker: String,
    /// Mean area under the sequences' success plots.
    pub success_auc: f64,
    /// Mean precision at 20 px.
    pub precision_20px: f64,
    /// All frames over all tracking time.
    pub fps: f64,
    /// Per sequence.
    pub sequences: Vec<SequenceScore>,
    /// The mean curves, for the plots.
    pub curves: OtbCurves,
}

/// Runs `tracker` over `seq` from its first ground-truth box; returns the boxes and the
/// seconds spent inside the tracker.
pub fn run_sequence(
    tracker: &mut dyn Tracker,
    seq: &Sequence,
    frames: &FrameStore,
) -> Result<(Vec<BoxXywh>, f64)> {
    let stored = seq.frames.iter().map(|p| {
        frames
            .get(p)
            .map(|f| f.as_ref())
            .ok_or_else(|| anyhow::anyhow!("frame {} was not loaded", p.display()))
    });
    follow(tracker, seq.boxes[0], stored, |_, _, _| Ok(()))
}

/// Scores `tracker` on every sequence; `progress` is told after each sequence.
pub fn score_tracker(
    tracker: &mut dyn Tracker,
    seqs: &[Sequence],
    frames: &FrameStore,
    progress: &mut dyn FnMut(usize),
) -> Result<TrackerScore> {
    let (mut all, mut rows) = (Vec::new(), Vec::new());
    let (mut total_frames, mut total_seconds) = (0usize, 0f64);
    for seq in seqs {
        let (boxes, seconds) = run_sequence(tracker, seq, frames)?;
        let curves = OtbCurves::of(&boxes, &seq.boxes);
        rows.push(SequenceScore {
            name: seq.name.clone(),
            frames: seq.len(),
            success_auc: curves.success_auc(),
            precision_20px: curves.precision_20px(),
            fps: seq.len() as f64 / seconds.max(1e-9),
        });
        total_frames += seq.len();
        total_seconds += seconds;
        all.push(curves);
        progress(seq.len());
    }
    let curves = OtbCurves::mean(&all);
    Ok(TrackerScore {
        tracker: tracker.name().into(),
        success_auc: curves.success_auc(),
        precision_20px: curves.precision_20px(),
        fps: total_frames as f64 / total_seconds.max(1e-9),
        sequences: rows,
        curves,
    })
}
