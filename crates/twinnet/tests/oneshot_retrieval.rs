//! One-shot episodes and retrieval metrics on hand-made embeddings whose answers are known.

use twinnet::data::{read_image_folder_at_depth, ImageShape};
use twinnet::eval::{map_at_r, one_shot, retrieval, ShotRule};
use twinnet::score::Scorer;
use twinnet::Distance;

fn names(n: usize) -> Vec<String> {
    (0..n).map(|c| format!("c{c}")).collect()
}

/// Classes on a line, far apart, with a little spread inside each: every episode is solvable.
fn separated(classes: usize, per: usize) -> (Vec<f32>, Vec<usize>) {
    let mut emb = Vec::new();
    let mut labels = Vec::new();
    for c in 0..classes {
        for k in 0..per {
            emb.extend([c as f32 * 10.0 + k as f32 * 0.1, 0.0]);
            labels.push(c);
        }
    }
    (emb, labels)
}

#[test]
fn separated_classes_are_always_recognised() {
    let (emb, labels) = separated(6, 4);
    let scorer = Scorer::Distance(Distance::Euclidean);
    for rule in [ShotRule::MeanDistance, ShotRule::Prototype] {
        let r = one_shot(&emb, 2, &labels, &names(6), 5, 1, 300, 1, &scorer, rule).unwrap();
        assert_eq!(r.accuracy, 1.0);
        assert_eq!(r.ci95, 0.0);
        assert_eq!(r.chance, 0.2);
        let r = one_shot(&emb, 2, &labels, &names(6), 3, 3, 100, 1, &scorer, rule).unwrap();
        assert_eq!(r.accuracy, 1.0);
    }
}

#[test]
fn identical_embeddings_give_chance_and_a_seeded_result() {
    // Every item at the same point: ties go to the first class drawn, which is the query's class
    // one time in N on average.
    let labels: Vec<usize> = (0..40).map(|i| i % 4).collect();
    let emb = vec![0.5f32; 80];
    let scorer = Scorer::Distance(Distance::Euclidean);
    let r = one_shot(
        &emb,
        2,
        &labels,
        &names(4),
        4,
        1,
        4000,
        3,
        &scorer,
        ShotRule::MeanDistance,
    )
    .unwrap();
    assert!((r.accuracy - 0.25).abs() < 0.03, "{}", r.accuracy);
    assert!((r.ci95 - 1.96 * (r.accuracy * (1.0 - r.accuracy) / 4000.0).sqrt()).abs() < 1e-12);
    let again = one_shot(
        &emb,
        2,
        &labels,
        &names(4),
        4,
        1,
        4000,
        3,
        &scorer,
        ShotRule::MeanDistance,
    )
    .unwrap();
    assert_eq!(r, again);
}

#[test]
fn prototype_and_mean_distance_can_disagree() {
    // One query class A at x = 0 with supports at −1 and +1 (prototype 0, mean distance 1),
    // class B with both supports at 0.9 (prototype 0.9, mean distance 0.9). A query at 0:
    // mean distance picks B, the prototype picks A.
    let emb = vec![-1.0f32, 1.0, 0.0, 0.9, 0.9];
    let labels = vec![0, 0, 0, 1, 1];
    let scorer = Scorer::Distance(Distance::Euclidean);
    // With 2 shots, class 0 (3 items) is the only one that can give a query; class 1 needs 3.
    let err = one_shot(
        &emb,
        1,
        &labels,
        &names(2),
        2,
        2,
        10,
        0,
        &scorer,
        ShotRule::Prototype,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("2-way 2-shot")
            && err.contains("at least 3 examples")
            && err.contains("1 of them"),
        "{err}"
    );
}

#[test]
fn too_many_ways_or_shots_say_how_many_there_are() {
    let (emb, labels) = separated(3, 2);
    let scorer = Scorer::Distance(Distance::Euclidean);
    let err = one_shot(
        &emb,
        2,
        &labels,
        &names(3),
        5,
        1,
        10,
        0,
        &scorer,
        ShotRule::MeanDistance,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("3 classes"), "{err}");
    let err = one_shot(
        &emb,
        2,
        &labels,
        &names(3),
        2,
        2,
        10,
        0,
        &scorer,
        ShotRule::MeanDistance,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("smallest class: 2 examples"), "{err}");
}

#[test]
fn map_at_r_by_hand() {
    // R = 3, hits at ranks 1 and 3: (1/1 + 2/3) / 3.
    assert!((map_at_r(&[true, false, true, true], 3) - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    assert_eq!(map_at_r(&[false, false], 2), 0.0);
    assert_eq!(map_at_r(&[true, true], 2), 1.0);
}

#[test]
fn retrieval_on_a_known_layout() {
    // 1-D: class 0 at 0.0, 0.1, 0.2; class 1 at 0.15, 5.0.
    let emb = vec![0.0f32, 0.1, 0.2, 0.15, 5.0];
    let labels = vec![0, 0, 0, 1, 1];
    let r = retrieval(&emb, 1, &labels, &Scorer::Distance(Distance::Euclidean));
    assert_eq!(r.queries, 5);
    // Nearest neighbours: q0 (0.0) → 1 (0.1) ✓; q1 (0.1) → 3 (0.05) ✗; q2 (0.2) → 3 (0.05) ✗;
    // q3 (0.15) → 1 or 2 (0.05, tie broken by index → 1) ✗; q4 (5.0) → 2 ✗ → P@1 = 1/5.
    assert!(
        (r.precision_at_1 - 0.2).abs() < 1e-12,
        "{}",
        r.precision_at_1
    );
    // MAP@R: q0 R=2 ranks [1 ✓, 3 ✗] → 1/2; q1 R=2 [3 ✗, 0 ✓] → (1/2)/2; q2 R=2 [3 ✗, 1 ✓] → 1/4;
    // q3 R=1 [1 ✗] → 0; q4 R=1 [2 ✗] → 0.
    assert!(
        (r.map_at_r - (0.5 + 0.25 + 0.25) / 5.0).abs() < 1e-12,
        "{}",
        r.map_at_r
    );
    // recall@1 equals P@1.
    assert!((r.recall_at_k[0].1 - 0.2).abs() < 1e-12);
    assert_eq!(r.recall_at_k[2].0, 10);
    assert_eq!(
        r.recall_at_k[2].1, 1.0,
        "within 10 everyone finds a same-class item"
    );
}

#[test]
fn class_depth_two_reads_omniglot_layout() {
    let dir = tempfile::tempdir().unwrap();
    for (alpha, chars) in [("greek", ["alpha", "beta"]), ("latin", ["a", "b"])] {
        for ch in chars {
            let d = dir.path().join(alpha).join(ch);
            std::fs::create_dir_all(&d).unwrap();
            for k in 0..2 {
                image::GrayImage::from_pixel(5, 5, image::Luma([k * 100]))
                    .save(d.join(format!("{k}.png")))
                    .unwrap();
            }
        }
    }
    let shape = ImageShape {
        channels: 1,
        height: 5,
        width: 5,
    };
    let d = read_image_folder_at_depth(dir.path(), Some(shape), 2, None).unwrap();
    assert_eq!(
        d.class_names,
        vec!["greek/alpha", "greek/beta", "latin/a", "latin/b"]
    );
    assert_eq!(d.len(), 8);
    let err = read_image_folder_at_depth(dir.path(), Some(shape), 3, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("depth 3"), "{err}");
}

#[test]
fn feature_layers_have_their_widths() {
    use burn::tensor::{Distribution, Tensor};
    use twinnet::tower::{CnnConfig, FeatureLayer, MlpConfig, TowerConfig};
    let device = twinnet::backend::inference_device();
    let cnn = twinnet::backend::init_seeded(&device, 1, || {
        TowerConfig::Cnn(CnnConfig::default()).init(&device)
    })
    .unwrap();
    let x = Tensor::<4>::random([3, 1, 28, 28], Distribution::Default, &device);
    // Reference tower: 64 × 4 × 4 conv features, 256 hidden, 64-d embedding.
    assert_eq!(
        cnn.features(x.clone(), FeatureLayer::Conv).dims(),
        [3, 1024]
    );
    assert_eq!(
        cnn.features(x.clone(), FeatureLayer::Hidden).dims(),
        [3, 256]
    );
    let e = cnn.features(x.clone(), FeatureLayer::Embedding);
    assert_eq!(
        e.into_data().try_to_vec::<f32>().unwrap(),
        cnn.forward(x).into_data().try_to_vec::<f32>().unwrap()
    );
    let mlp = TowerConfig::Mlp(MlpConfig {
        input_dim: 784,
        hidden: vec![],
        embedding_dim: 8,
        normalize: false,
    })
    .init(&device)
    .unwrap();
    assert!(mlp.check_layer(FeatureLayer::Conv).is_err());
    assert!(mlp.check_layer(FeatureLayer::Hidden).is_err());
    assert!(mlp.check_layer(FeatureLayer::Embedding).is_ok());
}
