//! ROC analysis of pair distances: AUC, EER, TAR at a FAR, and threshold calibration.
//!
//! A pair is accepted as "same" when its distance is `≤` the threshold. Pairs with tied
//! distances are accepted or rejected together, so ties become diagonal ROC segments and count
//! one half in the AUC, as in the Mann–Whitney statistic.

use serde::{Deserialize, Serialize};

/// One operating point: accepting every pair with distance `≤ threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// Distance threshold.
    pub threshold: f32,
    /// False accept rate: accepted different pairs / different pairs.
    pub far: f64,
    /// True accept rate: accepted same pairs / same pairs.
    pub tar: f64,
}

/// The ROC from `(−∞: nothing accepted)` to `(max distance: everything accepted)`, one point
/// per distinct distance.
pub fn roc_curve(distances: &[f32], same: &[bool]) -> Vec<RocPoint> {
    assert_eq!(distances.len(), same.len(), "one label per distance");
    let pos = same.iter().filter(|&&s| s).count() as f64;
    let neg = same.len() as f64 - pos;
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    let mut points = vec![RocPoint {
        threshold: f32::NEG_INFINITY,
        far: 0.0,
        tar: 0.0,
    }];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let d = distances[order[i]];
        while i < order.len() && distances[order[i]] == d {
            if same[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        points.push(RocPoint {
            threshold: d,
            far: if neg > 0.0 { fp / neg } else { 0.0 },
            tar: if pos > 0.0 { tp / pos } else { 0.0 },
        });
    }
    points
}

/// Summary of a verification run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationMetrics {
    /// Area under the ROC curve (1 = perfect, 0.5 = chance).
    pub auc: f64,
    /// Equal error rate: where false accepts and false rejects are equally frequent.
    pub eer: f64,
    /// True accept rate at a false accept rate of 1e-2.
    pub tar_at_far_1e2: f64,
    /// True accept rate at a false accept rate of 1e-3.
    pub tar_at_far_1e3: f64,
    /// Accuracy at `threshold`.
    pub accuracy: f64,
    /// The decision threshold the accuracy was measured at.
    pub threshold: f32,
    /// Number of pairs.
    pub pairs: usize,
    /// Number of same pairs among them.
    pub positives: usize,
}

impl VerificationMetrics {
    /// Computes every metric for `distances`/`same`, accuracy at the given `threshold`.
    ///
    /// ```
    /// use twinnet::eval::VerificationMetrics;
    /// // One same pair (0.6) lies beyond a different pair (0.4).
    /// let m = VerificationMetrics::compute(&[0.1, 0.6, 0.4, 0.9], &[true, true, false, false], 0.5);
    /// assert_eq!(m.auc, 0.75);
    /// assert_eq!(m.eer, 0.5);
    /// assert_eq!(m.accuracy, 0.5); // 0.1 accepted, 0.9 rejected: right; 0.6 and 0.4: wrong
    /// assert_eq!((m.pairs, m.positives), (4, 2));
    /// ```
    pub fn compute(distances: &[f32], same: &[bool], threshold: f32) -> Self {
        let roc = roc_curve(distances, same);
        Self {
            auc: auc(&roc),
            eer: eer(&roc),
            tar_at_far_1e2: tar_at_far(&roc, 1e-2),
            tar_at_far_1e3: tar_at_far(&roc, 1e-3),
            accuracy: accuracy_at(distances, same, threshold),
            threshold,
            pairs: same.len(),
            positives: same.iter().filter(|&&s| s).count(),
        }
    }
}

/// Trapezoidal area under the ROC.
pub fn auc(roc: &[RocPoint]) -> f64 {
    roc.windows(2)
        .map(|w| (w[1].far - w[0].far) * (w[1].tar + w[0].tar) / 2.0)
        .sum()
}

/// Equal error rate, interpolated linearly between the two ROC points that bracket FAR = FRR.
pub fn eer(roc: &[RocPoint]) -> f64 {
    for w in roc.windows(2) {
        let (f0, r0) = (w[0].far, 1.0 - w[0].tar);
        let (f1, r1) = (w[1].far, 1.0 - w[1].tar);
        if r1 <= f1 {
            // FRR − FAR changes sign on this segment.
            let g0 = r0 - f0;
            let g1 = r1 - f1;
            let s = if g0 == g1 { 0.0 } else { g0 / (g0 - g1) };
            return f0 + s * (f1 - f0);
        }
    }
    1.0
}

/// The best true accept rate among operating points whose false accept rate is `≤ far`.
///
/// ```
/// use twinnet::eval::{roc_curve, tar_at_far};
/// let roc = roc_curve(&[0.1, 0.2, 0.3, 0.4, 0.5], &[true, true, false, true, false]);
/// assert_eq!(tar_at_far(&roc, 0.0), 2.0 / 3.0); // before the first false accept
/// assert_eq!(tar_at_far(&roc, 0.5), 1.0);
/// ```
pub fn tar_at_far(roc: &[RocPoint], far: f64) -> f64 {
    roc.iter()
        .filter(|p| p.far <= far + 1e-12)
        .map(|p| p.tar)
        .fold(0.0, f64::max)
}

/// Fraction of pairs classified correctly when `distance ≤ threshold` means same.
pub fn accuracy_at(distances: &[f32], same: &[bool], threshold: f32) -> f64 {
    if same.is_empty() {
        return 0.0;
    }
    let correct = distances
        .iter()
        .zip(same)
        .filter(|(&d, &s)| (d <= threshold) == s)
        .count();
    correct as f64 / same.len() as f64
}

/// Refuses pairs that cannot measure verification: without at least one same and one
/// different pair there is no ROC, no AUC and no threshold to calibrate (an empty draw would
/// otherwise report an AUC of −0 and a threshold of 0).
///
/// ```
/// use twinnet::eval::require_same_and_different;
/// assert!(require_same_and_different(&[true, false]).is_ok());
/// assert!(require_same_and_different(&[true, true]).is_err());
/// assert!(require_same_and_different(&[]).is_err());
/// ```
pub fn require_same_and_different(same: &[bool]) -> anyhow::Result<()> {
    let positives = same.iter().filter(|&&s| s).count();
    if positives == 0 || positives == same.len() {
        anyhow::bail!(
            "verification needs at least one same and one different pair; these {} pairs hold {positives} same and {} different",
            same.len(),
            same.len() - positives
        );
    }
    Ok(())
}

/// The threshold with the best accuracy on these (validation) pairs: the midpoint between the
/// last accepted distance and the next one, so that it generalises instead of sitting on a point.
///
/// ```
/// use twinnet::eval::calibrate_threshold;
/// let t = calibrate_threshold(&[0.1, 0.3, 0.7, 0.9], &[true, true, false, false]);
/// assert_eq!(t, 0.5); // halfway between the farthest same pair and the nearest different one
/// ```
pub fn calibrate_threshold(distances: &[f32], same: &[bool]) -> f32 {
    let roc = roc_curve(distances, same);
    let pos = same.iter().filter(|&&s| s).count() as f64;
    let neg = same.len() as f64 - pos;
    let total = (pos + neg).max(1.0);
    let mut best = (f64::NEG_INFINITY, 0usize);
    for (k, p) in roc.iter().enumerate() {
        let acc = (p.tar * pos + (1.0 - p.far) * neg) / total;
        if acc > best.0 {
            best = (acc, k);
        }
    }
    let k = best.1;
    match (roc[k].threshold.is_finite(), roc.get(k + 1)) {
        (true, Some(next)) => (roc[k].threshold + next.threshold) / 2.0,
        (true, None) => roc[k].threshold,
        (false, Some(next)) => next.threshold - next.threshold.abs().max(1e-6) * 1e-3,
        (false, None) => 0.0,
    }
}
