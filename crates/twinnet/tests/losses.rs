//! Loss values against hand-computed cases, and gradients against finite differences.

use burn::tensor::{Tensor, TensorData};
use twinnet::backend::{inference_device, training_device};
use twinnet::loss::{contrastive_loss, contrastive_target, ContrastiveLoss, TripletLoss};
use twinnet::Distance;

fn t1(v: &[f32]) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), &inference_device())
}

fn values(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn contrastive_similar_branch_is_half_squared_distance() {
    // Y = 0 (similar): L = ½·D²
    let l = values(contrastive_loss(
        t1(&[0.5, 2.0, 0.0]),
        t1(&[0.0, 0.0, 0.0]),
        1.0,
    ));
    assert!(
        close(l[0], 0.125) && close(l[1], 2.0) && close(l[2], 0.0),
        "{l:?}"
    );
}

#[test]
fn contrastive_dissimilar_branch_hinges_at_margin() {
    // Y = 1 (dissimilar): L = ½·max(0, m − D)²; zero at D = m and beyond.
    let l = values(contrastive_loss(
        t1(&[0.3, 1.0, 1.7, 0.0]),
        t1(&[1.0; 4]),
        1.0,
    ));
    assert!(close(l[0], 0.5 * 0.49), "{l:?}");
    assert_eq!(l[1], 0.0, "D = m gives zero");
    assert_eq!(l[2], 0.0, "D > m gives zero");
    assert!(close(l[3], 0.5), "{l:?}");
    // A margin of 2 moves the hinge.
    let l2 = values(contrastive_loss(t1(&[1.5]), t1(&[1.0]), 2.0));
    assert!(close(l2[0], 0.125), "{l2:?}");
}

#[test]
fn contrastive_mean_over_batch_and_label_convention() {
    // File labels use 1 = same; the seed's Y uses 0 = similar.
    assert_eq!(contrastive_target(true), 0.0);
    assert_eq!(contrastive_target(false), 1.0);
    let y = t1(&[contrastive_target(true), contrastive_target(false)]);
    let loss = ContrastiveLoss { margin: 1.0 }.forward(t1(&[0.5, 0.5]), y);
    // (0.125 + 0.125) / 2
    assert!(close(values(loss)[0], 0.125));
}

#[test]
fn triplet_loss_values() {
    let l = TripletLoss { margin: 1.0 }.forward(t1(&[0.5, 0.5, 0.2]), t1(&[0.8, 2.0, 1.2]));
    // max(0, 0.5−0.8+1)=0.7, max(0, 0.5−2+1)=0, max(0, 0.2−1.2+1)=0 (at the hinge) → mean 0.7/3
    assert!(close(values(l)[0], 0.7 / 3.0));
}

fn rows(v: &[f32], cols: usize) -> Vec<Vec<f64>> {
    v.chunks(cols)
        .map(|r| r.iter().map(|&x| x as f64).collect())
        .collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() + 1e-9).sqrt()
}

/// Reference contrastive loss in f64, mean over rows.
fn contrastive_ref(a: &[Vec<f64>], b: &[Vec<f64>], y: &[f64], m: f64) -> f64 {
    let n = a.len() as f64;
    a.iter()
        .zip(b)
        .zip(y)
        .map(|((a, b), &y)| {
            let d = dist(a, b);
            (1.0 - y) * 0.5 * d * d + y * 0.5 * (m - d).max(0.0).powi(2)
        })
        .sum::<f64>()
        / n
}

fn triplet_ref(a: &[Vec<f64>], p: &[Vec<f64>], n: &[Vec<f64>], m: f64) -> f64 {
    let k = a.len() as f64;
    (0..a.len())
        .map(|i| (dist(&a[i], &p[i]) - dist(&a[i], &n[i]) + m).max(0.0))
        .sum::<f64>()
        / k
}

fn numeric_grad(x: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    let h = 1e-4f32;
    (0..x.len())
        .map(|i| {
            let mut up = x.to_vec();
            let mut down = x.to_vec();
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h as f64)
        })
        .collect()
}

fn assert_grads_close(analytic: &[f32], numeric: &[f64]) {
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a as f64 - n).abs() < 2e-3 * (1.0 + n.abs()),
            "gradient {i}: autodiff {a} vs finite difference {n}"
        );
    }
}

#[test]
fn contrastive_gradient_matches_finite_differences() {
    let dev = training_device();
    // Two similar pairs and two dissimilar ones, one inside the margin, one outside.
    let a = vec![0.1, 0.2, -0.3, 0.5, 0.0, 0.4, 0.2, 0.2, 0.2, -0.1, 0.3, 0.6];
    let b = vec![
        0.3, -0.1, 0.2, 0.1, 0.1, 0.0, 0.5, 0.1, -0.2, 0.9, 1.0, -0.5,
    ];
    let y: Vec<f32> = vec![0.0, 0.0, 1.0, 1.0];
    let ta = Tensor::<2>::from_data(TensorData::new(a.clone(), [4, 3]), &dev).require_grad();
    let tb = Tensor::<2>::from_data(TensorData::new(b.clone(), [4, 3]), &dev).require_grad();
    let ty = Tensor::<1>::from_data(TensorData::new(y.clone(), [4]), &dev);
    let loss = ContrastiveLoss { margin: 1.0 }
        .forward(Distance::Euclidean.pairwise(ta.clone(), tb.clone()), ty);
    let value: f32 = loss.clone().into_scalar();
    let yf: Vec<f64> = y.iter().map(|&v| v as f64).collect();
    assert!((value as f64 - contrastive_ref(&rows(&a, 3), &rows(&b, 3), &yf, 1.0)).abs() < 1e-5);
    let grads = loss.backward();
    let ga = ta
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let gb = tb
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let na = numeric_grad(&a, |x| contrastive_ref(&rows(x, 3), &rows(&b, 3), &yf, 1.0));
    let nb = numeric_grad(&b, |x| contrastive_ref(&rows(&a, 3), &rows(x, 3), &yf, 1.0));
    assert_grads_close(&ga, &na);
    assert_grads_close(&gb, &nb);
}

#[test]
fn triplet_gradient_matches_finite_differences() {
    let dev = training_device();
    let a = vec![0.1, 0.2, -0.3, 0.5, 0.0, 0.4];
    let p = vec![0.3, -0.1, 0.2, 0.1, 0.1, 0.0];
    let n = vec![0.2, 0.2, 0.1, 2.5, 1.0, -1.0];
    let mk = |v: &Vec<f32>| {
        Tensor::<2>::from_data(TensorData::new(v.clone(), [2, 3]), &dev).require_grad()
    };
    let (ta, tp, tn) = (mk(&a), mk(&p), mk(&n));
    let d = Distance::Euclidean;
    let loss = TripletLoss { margin: 1.0 }.forward(
        d.pairwise(ta.clone(), tp.clone()),
        d.pairwise(ta.clone(), tn.clone()),
    );
    let grads = loss.backward();
    let g = |t: &Tensor<2>| {
        t.grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let f =
        |a: &[f32], p: &[f32], n: &[f32]| triplet_ref(&rows(a, 3), &rows(p, 3), &rows(n, 3), 1.0);
    assert_grads_close(&g(&ta), &numeric_grad(&a, |x| f(x, &p, &n)));
    assert_grads_close(&g(&tp), &numeric_grad(&p, |x| f(&a, x, &n)));
    assert_grads_close(&g(&tn), &numeric_grad(&n, |x| f(&a, &p, x)));
}

#[test]
fn distances_on_tensors_match_plain_vectors() {
    let a = [0.3f32, -0.2, 0.9];
    let b = [0.1f32, 0.4, 0.2];
    let dev = inference_device();
    let ta = Tensor::<2>::from_data(TensorData::new(a.to_vec(), [1, 3]), &dev);
    let tb = Tensor::<2>::from_data(TensorData::new(b.to_vec(), [1, 3]), &dev);
    for d in [
        Distance::Euclidean,
        Distance::SquaredEuclidean,
        Distance::Cosine,
    ] {
        let t = values(d.pairwise(ta.clone(), tb.clone()))[0];
        assert!((t - d.between(&a, &b)).abs() < 1e-5, "{d}");
    }
    // Hand-computed: squared = 0.04 + 0.36 + 0.49 = 0.89
    assert!((Distance::SquaredEuclidean.between(&a, &b) - 0.89).abs() < 1e-6);
    // Cosine distance of parallel vectors is 0, of opposite ones 2.
    assert!(Distance::Cosine.between(&[1.0, 2.0], &[2.0, 4.0]).abs() < 1e-5);
    assert!((Distance::Cosine.between(&[1.0, 0.0], &[-3.0, 0.0]) - 2.0).abs() < 1e-5);
}
