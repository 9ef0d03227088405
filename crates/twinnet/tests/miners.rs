//! Miners on hand-made distance matrices whose expected tuples are listed by hand, and the
//! mined losses against hand-computed values with finite-difference gradient checks.

use burn::tensor::{Int, Tensor, TensorData};
use std::collections::BTreeSet;
use twinnet::backend::{inference_device, training_device};
use twinnet::loss::{bce_with_logits, mined_loss, mnrl_loss, Reducer};
use twinnet::sampling::{Mined, Miner};
use twinnet::Distance;

fn ints(t: Tensor<1, Int>) -> Vec<i64> {
    t.into_data().convert::<i64>().try_to_vec::<i64>().unwrap()
}

fn floats(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// Four items, classes [0, 0, 1, 1], with a symmetric distance matrix:
///
/// ```text
///        0    1    2    3
///   0  0.0  0.5  0.3  0.9
///   1  0.5  0.0  0.8  1.4
///   2  0.3  0.8  0.0  0.2
///   3  0.9  1.4  0.2  0.0
/// ```
fn case() -> (Tensor<2>, Tensor<1, Int>) {
    let d = vec![
        0.0, 0.5, 0.3, 0.9, 0.5, 0.0, 0.8, 1.4, 0.3, 0.8, 0.0, 0.2, 0.9, 1.4, 0.2, 0.0,
    ];
    let dev = inference_device();
    (
        Tensor::from_data(TensorData::new(d, [4, 4]), &dev),
        Tensor::from_data(TensorData::new(vec![0i64, 0, 1, 1], [4]), &dev),
    )
}

fn triplets(m: Mined) -> BTreeSet<(i64, i64, i64)> {
    let Mined::Triplets { a, p, n } = m else {
        panic!("expected triplets")
    };
    let (a, p, n) = (ints(a), ints(p), ints(n));
    (0..a.len()).map(|i| (a[i], p[i], n[i])).collect()
}

fn pairs(m: Mined) -> BTreeSet<(i64, i64, bool)> {
    let Mined::Pairs { a, b, same } = m else {
        panic!("expected pairs")
    };
    let (a, b, s) = (ints(a), ints(b), floats(same));
    (0..a.len()).map(|i| (a[i], b[i], s[i] == 1.0)).collect()
}

#[test]
fn batch_all_triplets_are_every_valid_combination() {
    let (d, l) = case();
    let got = triplets(Miner::BatchAll.mine(d, &l, 1.0, true));
    let want: BTreeSet<_> = [
        (0, 1, 2),
        (0, 1, 3),
        (1, 0, 2),
        (1, 0, 3),
        (2, 3, 0),
        (2, 3, 1),
        (3, 2, 0),
        (3, 2, 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
}

#[test]
fn batch_all_pairs_are_the_upper_triangle() {
    let (d, l) = case();
    let got = pairs(Miner::BatchAll.mine(d, &l, 1.0, false));
    let want: BTreeSet<_> = [
        (0, 1, true),
        (0, 2, false),
        (0, 3, false),
        (1, 2, false),
        (1, 3, false),
        (2, 3, true),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
}

#[test]
fn batch_hard_takes_farthest_positive_and_nearest_negative() {
    let (d, l) = case();
    // Anchor 0: positive 1 (only one), nearest negative 2 (0.3).
    // Anchor 1: positive 0, nearest negative 2 (0.8). Anchor 2: positive 3, nearest negative 0 (0.3).
    // Anchor 3: positive 2, nearest negative 0 (0.9).
    let got = triplets(Miner::BatchHard.mine(d, &l, 1.0, true));
    let want: BTreeSet<_> = [(0, 1, 2), (1, 0, 2), (2, 3, 0), (3, 2, 0)]
        .into_iter()
        .collect();
    assert_eq!(got, want);
}

#[test]
fn batch_hard_with_more_positives_picks_the_farthest() {
    // Classes [0, 0, 0, 1]; anchor 0 has positives 1 (0.2) and 2 (0.7), negative 3 (0.4).
    let d = vec![
        0.0, 0.2, 0.7, 0.4, 0.2, 0.0, 0.3, 0.9, 0.7, 0.3, 0.0, 0.6, 0.4, 0.9, 0.6, 0.0,
    ];
    let dev = inference_device();
    let d = Tensor::<2>::from_data(TensorData::new(d, [4, 4]), &dev);
    let l = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 0, 0, 1], [4]), &dev);
    let got = triplets(Miner::BatchHard.mine(d, &l, 1.0, true));
    // Item 3 has no positive, so it is no anchor.
    let want: BTreeSet<_> = [(0, 2, 3), (1, 2, 3), (2, 0, 3)].into_iter().collect();
    assert_eq!(got, want);
}

#[test]
fn semi_hard_keeps_negatives_inside_the_margin_window() {
    let (d, l) = case();
    // Margin 0.5: window D(a,p) < D(a,n) < D(a,p) + 0.5.
    // (0,1): d_ap 0.5, negatives 2 (0.3 ✗ closer), 3 (0.9 ✓) → (0,1,3).
    // (1,0): d_ap 0.5, negatives 2 (0.8 ✓), 3 (1.4 ✗) → (1,0,2).
    // (2,3): d_ap 0.2, negatives 0 (0.3 ✓), 1 (0.8 ✗) → (2,3,0).
    // (3,2): d_ap 0.2, negatives 0 (0.9 ✗), 1 (1.4 ✗) → none.
    let got = triplets(Miner::SemiHard.mine(d.clone(), &l, 0.5, true));
    let want: BTreeSet<_> = [(0, 1, 3), (1, 0, 2), (2, 3, 0)].into_iter().collect();
    assert_eq!(got, want);
    // A wide margin picks the nearest negative beyond the positive: (3,2) → 0 (0.9 < 1.4).
    let got = triplets(Miner::SemiHard.mine(d, &l, 2.0, true));
    assert!(
        got.contains(&(3, 2, 0)) && got.contains(&(0, 1, 3)),
        "{got:?}"
    );
    assert_eq!(got.len(), 4);
}

#[test]
fn hard_pairs_follow_online_contrastive_rules() {
    let (d, l) = case();
    // Positive distances: (0,1) 0.5, (2,3) 0.2 → max 0.5. Negative: 0.3, 0.9, 0.8, 1.4 → min 0.3.
    // Hard positives: D > 0.3 → (0,1). Hard negatives: D < 0.5 → (0,2).
    let got = pairs(Miner::HardPairs.mine(d, &l, 1.0, false));
    let want: BTreeSet<_> = [(0, 1, true), (0, 2, false)].into_iter().collect();
    assert_eq!(got, want);
}

#[test]
fn miners_that_find_nothing_say_so() {
    // Well separated: no semi-hard negative within a tiny margin, no hard pairs.
    let d = vec![
        0.0, 0.1, 5.0, 5.0, 0.1, 0.0, 5.0, 5.0, 5.0, 5.0, 0.0, 0.1, 5.0, 5.0, 0.1, 0.0,
    ];
    let dev = inference_device();
    let d = Tensor::<2>::from_data(TensorData::new(d, [4, 4]), &dev);
    let l = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 0, 1, 1], [4]), &dev);
    assert_eq!(Miner::SemiHard.mine(d.clone(), &l, 0.5, true).count(), 0);
    assert_eq!(Miner::HardPairs.mine(d, &l, 1.0, false).count(), 0);
}

#[test]
fn miner_and_loss_combinations_are_checked() {
    assert!(Miner::SemiHard
        .check(false)
        .unwrap_err()
        .to_string()
        .contains("`loss` triplet"));
    assert!(Miner::HardPairs
        .check(true)
        .unwrap_err()
        .to_string()
        .contains("`loss` contrastive"));
    let err = "fancy".parse::<Miner>().unwrap_err();
    assert!(
        err.contains("batch-hard") && err.contains("semi-hard"),
        "{err}"
    );
}

#[test]
fn batch_all_at_1024_is_chunked_and_complete() {
    // 64 classes × 16: every anchor has 15 positives and 1008 negatives.
    let dev = inference_device();
    let b = 1024;
    let labels: Vec<i64> = (0..b as i64).map(|i| i / 16).collect();
    let l = Tensor::<1, Int>::from_data(TensorData::new(labels, [b]), &dev);
    let d = Tensor::<2>::zeros([b, b], &dev);
    assert_eq!(
        Miner::BatchAll.mine(d, &l, 1.0, true).count(),
        b * 15 * 1008
    );
}

#[test]
fn mined_losses_match_hand_computation() {
    let (d, l) = case();
    let mined = Miner::BatchHard.mine(d.clone(), &l, 1.0, true);
    // Triplets (0,1,2) 0.5−0.3+1 = 1.2; (1,0,2) 0.5−0.8+1 = 0.7; (2,3,0) 0.2−0.3+1 = 0.9;
    // (3,2,0) 0.2−0.9+1 = 0.3.
    let per = floats(mined_loss(&d, &mined, 1.0));
    let mut sorted = per.clone();
    sorted.sort_by(f32::total_cmp);
    for (got, want) in sorted.iter().zip([0.3, 0.7, 0.9, 1.2]) {
        assert!((got - want).abs() < 1e-6, "{per:?}");
    }
    let mean = floats(Reducer::Mean.reduce(mined_loss(&d, &mined, 1.0)))[0];
    assert!((mean - 0.775).abs() < 1e-6);
    // With margin 0.25 only (0,1,2) 0.45 and (2,3,0) 0.15 stay positive: mean-non-zero = 0.3.
    let nz = floats(Reducer::MeanNonZero.reduce(mined_loss(&d, &mined, 0.25)))[0];
    assert!((nz - 0.3).abs() < 1e-6, "{nz}");
    // Contrastive on the hard pairs: (0,1) same, D 0.5 → ½·0.25; (0,2) different, D 0.3 → ½·0.49.
    let hp = Miner::HardPairs.mine(d.clone(), &l, 1.0, false);
    let mean = floats(Reducer::Mean.reduce(mined_loss(&d, &hp, 1.0)))[0];
    assert!((mean - (0.125 + 0.245) / 2.0).abs() < 1e-6, "{mean}");
}

fn numeric_grad(x: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    let h = 1e-3f32;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h as f64)
        })
        .collect()
}

/// Mined loss of embeddings `e` through the real pipeline (distance matrix → miner → loss).
fn pipeline(
    e: &[f32],
    labels: &[i64],
    miner: Miner,
    triplets: bool,
    reducer: Reducer,
) -> (f64, Vec<f32>) {
    let dev = training_device();
    let n = labels.len();
    let t =
        Tensor::<2>::from_data(TensorData::new(e.to_vec(), [n, e.len() / n]), &dev).require_grad();
    let l = Tensor::<1, Int>::from_data(TensorData::new(labels.to_vec(), [n]), &dev);
    let dist = Distance::Euclidean.matrix(t.clone());
    let mined = miner.mine(dist.clone().detach(), &l, 0.8, triplets);
    let loss = reducer.reduce(mined_loss(&dist, &mined, 0.8));
    let value: f32 = loss.clone().into_scalar();
    let grads = loss.backward();
    let g = t
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    (value as f64, g)
}

#[test]
fn mined_loss_gradients_match_finite_differences() {
    let e = vec![
        0.1, 0.9, 0.3, 0.2, -0.4, 0.5, 0.8, 0.1, 0.6, -0.7, 0.2, 0.3, 0.05, 0.4, -0.2, 0.9, 0.3,
        0.35,
    ];
    let labels = vec![0i64, 0, 0, 1, 1, 1];
    for (miner, triplets, reducer) in [
        (Miner::BatchHard, true, Reducer::Mean),
        (Miner::BatchAll, true, Reducer::MeanNonZero),
        (Miner::BatchAll, false, Reducer::Mean),
        (Miner::HardPairs, false, Reducer::Mean),
    ] {
        let (_, g) = pipeline(&e, &labels, miner, triplets, reducer);
        // Hold the mined tuples fixed (as mining is not differentiated): finite differences of
        // the loss over the same tuples.
        let dev = inference_device();
        let l = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [6]), &dev);
        let e0 = Tensor::<2>::from_data(TensorData::new(e.clone(), [6, 3]), &dev);
        let mined = miner.mine(Distance::Euclidean.matrix(e0), &l, 0.8, triplets);
        let f = |x: &[f32]| -> f64 {
            let t = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [6, 3]), &dev);
            let d = Distance::Euclidean.matrix(t);
            floats(reducer.reduce(mined_loss(&d, &mined, 0.8)))[0] as f64
        };
        let num = numeric_grad(&e, f);
        for (i, (&a, &n)) in g.iter().zip(&num).enumerate() {
            assert!(
                (a as f64 - n).abs() < 5e-3 * (1.0 + n.abs()),
                "{miner} grad {i}: {a} vs {n}"
            );
        }
    }
}

#[test]
fn mnrl_and_koch_bce_values_and_gradients() {
    let dev = inference_device();
    // Two anchors, two positives. Cosine sims: a0·p0 = 1, a0·p1 = 0, a1·p0 = 0, a1·p1 = 1.
    let a = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0], [2, 2]), &dev);
    let p = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, 0.0, 0.0, 3.0], [2, 2]), &dev);
    // loss per row = −log(e^s / (e^s + 1)) with scale s = 2 → log(1 + e^{−2}).
    let l = floats(mnrl_loss(a, p, 2.0))[0] as f64;
    assert!((l - (1.0 + (-2.0f64).exp()).ln()).abs() < 1e-6, "{l}");
    // BCE on logits: z = 0 → ln 2 for either label; z = 3, y = 1 → ln(1 + e^{−3}).
    let z = Tensor::<1>::from_data(TensorData::new(vec![0.0f32, 3.0], [2]), &dev);
    let y = Tensor::<1>::from_data(TensorData::new(vec![0.0f32, 1.0], [2]), &dev);
    let v = floats(bce_with_logits(z, y))[0] as f64;
    let want = (2f64.ln() + (1.0 + (-3.0f64).exp()).ln()) / 2.0;
    assert!((v - want).abs() < 1e-6, "{v} vs {want}");
    // Gradient of the mnrl loss against finite differences.
    let ad = training_device();
    let av = vec![0.3f32, 0.8, -0.5, 0.2, 0.9, 0.1];
    let pv = vec![0.4f32, 0.6, -0.2, 0.5, 0.7, -0.3];
    let ta = Tensor::<2>::from_data(TensorData::new(av.clone(), [3, 2]), &ad).require_grad();
    let tp = Tensor::<2>::from_data(TensorData::new(pv.clone(), [3, 2]), &ad);
    let loss = mnrl_loss(ta.clone(), tp, 5.0);
    let g = ta
        .grad(&loss.backward())
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let f = |x: &[f32]| -> f64 {
        let t = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [3, 2]), &dev);
        let p = Tensor::<2>::from_data(TensorData::new(pv.clone(), [3, 2]), &dev);
        floats(mnrl_loss(t, p, 5.0))[0] as f64
    };
    for (a, n) in g.iter().zip(numeric_grad(&av, f)) {
        assert!((*a as f64 - n).abs() < 5e-3 * (1.0 + n.abs()), "{a} vs {n}");
    }
}
