//! ROC, AUC, EER, TAR@FAR and threshold calibration on small known cases.

use twinnet::eval::{accuracy_at, calibrate_threshold, roc_curve, VerificationMetrics};

#[test]
fn perfect_separation() {
    let d = [0.1, 0.2, 0.8, 0.9];
    let s = [true, true, false, false];
    let m = VerificationMetrics::compute(&d, &s, 0.5);
    assert_eq!(m.auc, 1.0);
    assert_eq!(m.eer, 0.0);
    assert_eq!(m.accuracy, 1.0);
    assert_eq!(m.tar_at_far_1e3, 1.0);
    let t = calibrate_threshold(&d, &s);
    assert!(
        (t - 0.5).abs() < 1e-6,
        "midpoint between 0.2 and 0.8, got {t}"
    );
}

#[test]
fn reversed_scores_give_zero_auc() {
    let m = VerificationMetrics::compute(&[0.9, 0.8, 0.1], &[true, true, false], 0.5);
    assert_eq!(m.auc, 0.0);
    assert_eq!(m.eer, 1.0);
}

#[test]
fn hand_computed_auc() {
    // Same pairs at 0.1 and 0.4, different at 0.3 and 0.5: of the 4 (same, different)
    // combinations, 3 rank the same pair closer → AUC = 0.75.
    let d = [0.1, 0.4, 0.3, 0.5];
    let s = [true, true, false, false];
    let m = VerificationMetrics::compute(&d, &s, 0.35);
    assert!((m.auc - 0.75).abs() < 1e-12);
    // EER: at t=0.3 FAR=0.5, FRR=0.5 exactly.
    assert!((m.eer - 0.5).abs() < 1e-12, "eer {}", m.eer);
    // Accuracy at 0.35: 0.1 ✓, 0.4 ✗ (rejected same), 0.3 ✗ (accepted different), 0.5 ✓.
    assert_eq!(m.accuracy, 0.5);
}

#[test]
fn ties_count_half() {
    // All four distances tie: one diagonal segment → AUC 0.5.
    let m = VerificationMetrics::compute(&[0.3; 4], &[true, false, true, false], 0.3);
    assert!((m.auc - 0.5).abs() < 1e-12);
    assert!((m.eer - 0.5).abs() < 1e-12);
    // A tie between one same and one different pair among otherwise separated ones:
    // same [0.1, 0.5], different [0.5, 0.9] → pairs: (0.1<0.5 ✓, 0.1<0.9 ✓, 0.5=0.5 ½, 0.5<0.9 ✓) = 3.5/4.
    let m = VerificationMetrics::compute(&[0.1, 0.5, 0.5, 0.9], &[true, true, false, false], 0.3);
    assert!((m.auc - 0.875).abs() < 1e-12, "auc {}", m.auc);
    // Tied points move together along the ROC.
    let roc = roc_curve(&[0.1, 0.5, 0.5, 0.9], &[true, true, false, false]);
    assert_eq!(roc.len(), 4);
    assert_eq!((roc[2].far, roc[2].tar), (0.5, 1.0));
}

#[test]
fn tar_at_far_picks_the_best_point_within_the_far() {
    // 10 different pairs, one of which (0.15) is closer than most same pairs.
    let mut d = vec![0.1, 0.2, 0.3, 0.4];
    let mut s = vec![true; 4];
    d.push(0.15);
    s.push(false);
    for k in 0..9 {
        d.push(1.0 + k as f32);
        s.push(false);
    }
    let m = VerificationMetrics::compute(&d, &s, 0.5);
    // FAR ≤ 1e-2 allows no false accept: only the same pair at 0.1 → TAR 0.25.
    assert_eq!(m.tar_at_far_1e2, 0.25);
    assert_eq!(m.tar_at_far_1e3, 0.25);
    assert_eq!(accuracy_at(&d, &s, 0.5), 13.0 / 14.0);
}

#[test]
fn calibration_maximises_accuracy() {
    let d = [0.1, 0.2, 0.35, 0.3, 0.6, 0.7];
    let s = [true, true, true, false, false, false];
    let t = calibrate_threshold(&d, &s);
    let best = accuracy_at(&d, &s, t);
    for cand in [0.0, 0.15, 0.25, 0.32, 0.4, 0.65, 1.0] {
        assert!(
            accuracy_at(&d, &s, cand) <= best,
            "threshold {cand} beats calibrated {t}"
        );
    }
}
