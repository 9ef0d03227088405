//! The one objective: every structure of a batch against hand-computed losses, and the batches
//! it must skip.

use burn::tensor::Tensor;
use twinnet::backend::inference_device;
use twinnet::loss::{mnrl_loss, Objective, ObjectiveLoss, Reducer, Structure};
use twinnet::sampling::Miner;
use twinnet::Distance;

fn objective(loss: ObjectiveLoss, reducer: Reducer) -> Objective {
    Objective {
        loss,
        distance: Distance::SquaredEuclidean,
        miner: Miner::None,
        reducer,
        margin: 1.0,
        scale: 20.0,
    }
}

fn rows(v: &[[f32; 2]]) -> Tensor<2> {
    let flat: Vec<f32> = v.iter().flatten().copied().collect();
    Tensor::<1>::from_floats(flat.as_slice(), &inference_device()).reshape([v.len(), 2])
}

fn value(t: Tensor<1>) -> f32 {
    t.into_scalar::<f32>()
}

#[test]
fn fixed_triplets_take_the_reducer() {
    // Anchors at 0; positives at squared distances 0.25 and 1; negatives at 4 and 0.5.
    let e = rows(&[
        [0.0, 0.0],
        [0.0, 0.0],
        [0.5, 0.0],
        [1.0, 0.0],
        [2.0, 0.0],
        [0.0, 0.5f32.sqrt()],
    ]);
    // Per triplet: max(0, 0.25 − 4 + 1) = 0, max(0, 1 − 0.5 + 1) = 1.5.
    let (mean, n) = objective(ObjectiveLoss::Triplet, Reducer::Mean)
        .forward(e.clone(), Structure::Triplets, None)
        .unwrap();
    assert_eq!(n, 2);
    assert!((value(mean) - 0.75).abs() < 1e-6);
    let (nz, _) = objective(ObjectiveLoss::Triplet, Reducer::MeanNonZero)
        .forward(e, Structure::Triplets, None)
        .unwrap();
    assert!((value(nz) - 1.5).abs() < 1e-6);
}

#[test]
fn groups_are_mnrl_over_the_first_two_rows_of_each_group() {
    let e = rows(&[
        [1.0, 0.0],
        [0.9, 0.1],
        [0.0, 0.0],
        [0.0, 1.0],
        [0.1, 0.9],
        [5.0, 5.0],
    ]);
    let (loss, n) = objective(ObjectiveLoss::Mnrl, Reducer::Mean)
        .forward(e.clone(), Structure::Groups { size: 3 }, None)
        .unwrap();
    assert_eq!(n, 2);
    let pick = |i: i64| {
        let idx = Tensor::<1, burn::tensor::Int>::from_ints([i, i + 3], &inference_device());
        e.clone().select(0, idx)
    };
    let expected = value(mnrl_loss(pick(0), pick(1), 20.0));
    assert!((value(loss) - expected).abs() < 1e-6);
}

#[test]
fn mined_batches_without_tuples_and_a_missing_head_are_skipped() {
    // Every item its own class: no triplet to mine (pairs still have their negatives).
    let e = rows(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]);
    let t = objective(ObjectiveLoss::Triplet, Reducer::Mean);
    assert!(t
        .forward(e.clone(), Structure::Labels(&[0, 1, 2]), None)
        .is_none());
    let o = objective(ObjectiveLoss::Contrastive, Reducer::Mean);
    // Two of one class: the mined pairs are one same and two different pairs.
    let (loss, n) = o
        .forward(e.clone(), Structure::Labels(&[0, 0, 1]), None)
        .unwrap();
    assert!(n >= 3, "{n}");
    assert!(value(loss).is_finite());
    let koch = objective(ObjectiveLoss::Koch, Reducer::Mean);
    let s = Structure::Pairs {
        same: &[true],
        gold: &[1.0],
    };
    assert!(koch
        .forward(rows(&[[0.0, 0.0], [1.0, 0.0]]), s, None)
        .is_none());
}

#[test]
fn scored_pairs_compare_cosine_similarity_with_the_gold_score() {
    let mut o = objective(ObjectiveLoss::Mse, Reducer::Mean);
    o.distance = Distance::Cosine;
    // cos = 1 for the first pair, 0 for the second; gold 1 and 0.5 → ((0)² + (0.5)²) / 2.
    let e = rows(&[[1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 3.0]]);
    let s = Structure::Pairs {
        same: &[true, true],
        gold: &[1.0, 0.5],
    };
    let (loss, n) = o.forward(e, s, None).unwrap();
    assert_eq!(n, 2);
    assert!((value(loss) - 0.125).abs() < 1e-5);
}
