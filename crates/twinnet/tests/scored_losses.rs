//! CoSENT, cosine-MSE and online contrastive: values against hand-computed cases, CoSENT's
//! gradient against finite differences.

use burn::tensor::{Tensor, TensorData};
use twinnet::backend::{inference_device, training_device};
use twinnet::loss::{cosent_loss, cosine_mse_loss, online_contrastive_loss};

fn t1(v: &[f32]) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), &inference_device())
}

fn cosent_ref(cos: &[f64], gold: &[f32], scale: f64) -> f64 {
    let mut sum = 1.0;
    for i in 0..cos.len() {
        for j in 0..cos.len() {
            if gold[i] > gold[j] {
                sum += (scale * (cos[j] - cos[i])).exp();
            }
        }
    }
    sum.ln()
}

#[test]
fn cosent_values() {
    // One ordered pair: log(1 + e^{20·(0.2 − 0.9)}) = log(1 + e^{−14}).
    let v: f32 = cosent_loss(t1(&[0.9, 0.2]), &[1.0, 0.0], 20.0).into_scalar();
    assert!(
        (f64::from(v) - (1.0 + (-14f64).exp()).ln()).abs() < 1e-7,
        "{v}"
    );
    // Wrong order costs about the violation: log(1 + e^{14}) ≈ 14.
    let v: f32 = cosent_loss(t1(&[0.2, 0.9]), &[1.0, 0.0], 20.0).into_scalar();
    assert!(
        (f64::from(v) - (1.0 + 14f64.exp()).ln()).abs() < 1e-4,
        "{v}"
    );
    // Equal gold scores give no ordered pair: log(1) = 0.
    let v: f32 = cosent_loss(t1(&[0.3, 0.8]), &[0.5, 0.5], 20.0).into_scalar();
    assert!(v.abs() < 1e-7);
    // Three items against the reference formula.
    let cos = [0.5, 0.1, 0.7];
    let gold = [0.8, 0.2, 0.4];
    let v: f32 = cosent_loss(t1(&cos), &gold, 20.0).into_scalar();
    let want = cosent_ref(&[0.5, 0.1, 0.7], &gold, 20.0);
    assert!(
        (f64::from(v) - want).abs() < 1e-4 * want.max(1.0),
        "{v} vs {want}"
    );
}

#[test]
fn cosent_gradient_matches_finite_differences() {
    let cos = vec![0.5f32, 0.1, 0.7, -0.2];
    let gold = [0.8, 0.2, 0.4, 0.0];
    let dev = training_device();
    let x = Tensor::<1>::from_data(TensorData::new(cos.clone(), [4]), &dev).require_grad();
    let loss = cosent_loss(x.clone(), &gold, 5.0);
    let g = x
        .grad(&loss.backward())
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for (i, &gi) in g.iter().enumerate() {
        let h = 1e-4;
        let at = |delta: f64| {
            let v: Vec<f64> = cos
                .iter()
                .enumerate()
                .map(|(k, &c)| f64::from(c) + if k == i { delta } else { 0.0 })
                .collect();
            cosent_ref(&v, &gold, 5.0)
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (f64::from(gi) - numeric).abs() < 1e-3 * (1.0 + numeric.abs()),
            "d/dcos{i}: autodiff {gi} vs finite difference {numeric}"
        );
    }
}

#[test]
fn cosine_mse_is_mean_squared_error() {
    let v: f32 = cosine_mse_loss(t1(&[0.9, 0.1]), t1(&[1.0, 0.5])).into_scalar();
    assert!((v - (0.01 + 0.16) / 2.0).abs() < 1e-6);
}

#[test]
fn online_contrastive_counts_only_hard_pairs() {
    // Positives at 0.2 and 0.6, negatives at 0.5 and 0.9, margin 1. Hard: the positive at 0.6
    // (beyond the nearest negative, 0.5) and the negative at 0.5 (inside the farthest positive,
    // 0.6). Loss = (½·0.6² + ½·(1 − 0.5)²) / 2 = 0.1525.
    let same = [true, true, false, false];
    let v: f32 = online_contrastive_loss(t1(&[0.2, 0.6, 0.5, 0.9]), &same, 1.0).into_scalar();
    assert!((v - 0.1525).abs() < 1e-6, "{v}");
    // Already separated: no hard pair, no loss.
    let v: f32 = online_contrastive_loss(t1(&[0.1, 0.2, 0.8, 0.9]), &same, 1.0).into_scalar();
    assert_eq!(v, 0.0);
}
