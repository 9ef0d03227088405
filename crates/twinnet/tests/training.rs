//! Training on the bundled sample: learning, determinism, resume, model files, shared weights.

use std::path::{Path, PathBuf};
use twinnet::data::{load_dataset, DataSpec, Dataset, Split};
use twinnet::model::{load_tower, TwinModel, MANIFEST_FILE, WEIGHTS_FILE};
use twinnet::tower::{CnnConfig, TowerConfig};
use twinnet::train::{train, train_observed, Interrupted, Observer, TrainConfig, TrainReport};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample")
}

fn data() -> (Dataset, String) {
    let spec = DataSpec::parse(sample().to_str().unwrap()).unwrap();
    (
        load_dataset(&spec, Split::Train, None, None).unwrap(),
        spec.to_string(),
    )
}

fn small_cnn() -> TowerConfig {
    TowerConfig::Cnn(CnnConfig {
        conv_channels: vec![8, 16],
        hidden: vec![64],
        embedding_dim: 16,
        ..CnnConfig::default()
    })
}

fn cfg(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        pairs_per_epoch: Some(1536),
        validation_pairs: 1000,
        seed: 7,
        ..TrainConfig::default()
    }
}

fn run(out: &Path, epochs: usize, resume: bool) -> TrainReport {
    let (d, spec) = data();
    train(d, &spec, small_cnn(), &cfg(epochs), out, resume, false).unwrap()
}

#[test]
fn short_training_beats_chance_and_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let (d, spec) = data();
    // 2 × 32 batches: enough to separate clearly from an untrained tower (AUC ≈ 0.7–0.8 on
    // MNIST) across seeds (0.948–0.960 measured for seeds 1, 2, 3, 7).
    let cfg = TrainConfig {
        pairs_per_epoch: Some(4096),
        ..cfg(2)
    };
    let report = train(d, &spec, small_cnn(), &cfg, dir.path(), false, false).unwrap();
    let last = report.history.last().unwrap();
    assert!(
        last.val_auc > 0.9,
        "validation AUC {} should clearly beat chance (0.5)",
        last.val_auc
    );
    assert!(last.train_loss < report.history[0].train_loss * 1.5);
    for f in [
        MANIFEST_FILE,
        WEIGHTS_FILE,
        "metrics.jsonl",
        "checkpoint/state.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    let lines = std::fs::read_to_string(dir.path().join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 2);
    let m = &report.manifest;
    assert_eq!(m.threshold_source, "validation");
    assert_eq!(m.threshold, last.val_threshold);
    assert_eq!(m.training.classes.len(), 10);
    assert_eq!(m.training.epochs, 2);
}

#[test]
fn resume_continues_like_an_uninterrupted_run() {
    let straight = tempfile::tempdir().unwrap();
    let full = run(straight.path(), 2, false);
    let split = tempfile::tempdir().unwrap();
    let first = run(split.path(), 1, false);
    assert_eq!(first.history.len(), 1);
    let resumed = run(split.path(), 2, true);
    assert_eq!(resumed.resumed_from, 1);
    assert_eq!(resumed.history.len(), 2);
    for (a, b) in full.history.iter().zip(&resumed.history) {
        assert_eq!(a.epoch, b.epoch);
        assert!(
            (a.train_loss - b.train_loss).abs() < 1e-5,
            "epoch {} loss {} vs {}",
            a.epoch,
            a.train_loss,
            b.train_loss
        );
        assert!(
            (a.val_auc - b.val_auc).abs() < 1e-5,
            "auc {} vs {}",
            a.val_auc,
            b.val_auc
        );
        assert!((a.val_accuracy - b.val_accuracy).abs() < 1e-5);
    }
    // Same seed and data, fresh run: the same metrics.
    let again = tempfile::tempdir().unwrap();
    let repeat = run(again.path(), 2, false);
    assert!((repeat.history[1].val_auc - full.history[1].val_auc).abs() < 1e-5);
}

/// Asks the run to stop once it has taken `after` steps (as a Ctrl-C seen by Python would).
struct StopAfter {
    after: usize,
    steps: usize,
}

impl Observer for StopAfter {
    fn step(&mut self, _: &twinnet::train::StepProgress) {
        self.steps += 1;
    }
    fn stop_requested(&mut self) -> bool {
        self.steps >= self.after
    }
}

#[test]
fn a_stop_request_ends_the_run_after_that_step_and_resume_continues_from_the_last_epoch() {
    let straight = tempfile::tempdir().unwrap();
    let full = run(straight.path(), 2, false);
    let split = tempfile::tempdir().unwrap();
    let (d, spec) = data();
    // 1536 pairs / 128 = 12 steps an epoch: stop 3 steps into epoch 2.
    let mut stop = StopAfter {
        after: 15,
        steps: 0,
    };
    let err = train_observed(
        d,
        &spec,
        small_cnn(),
        &cfg(2),
        split.path(),
        false,
        &mut stop,
    )
    .unwrap_err();
    assert_eq!(
        err.downcast_ref::<Interrupted>(),
        Some(&Interrupted { epoch: 2, step: 15 }),
        "{err:#}"
    );
    assert!(
        !split.path().join(MANIFEST_FILE).exists(),
        "no model from a stopped run"
    );
    assert!(split.path().join("checkpoint/state.json").is_file());
    let resumed = run(split.path(), 2, true);
    assert_eq!(resumed.resumed_from, 1);
    for (a, b) in full.history.iter().zip(&resumed.history) {
        assert!((a.train_loss - b.train_loss).abs() < 1e-5, "{a:?} vs {b:?}");
        assert!((a.val_auc - b.val_auc).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}

#[test]
fn concurrent_trainings_with_one_seed_agree() {
    // burn draws initial weights lazily from one process-wide generator: trainings running side
    // by side (a test harness, a service) must still each depend on their seed alone.
    let histories: Vec<Vec<(f64, f64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let dir = tempfile::tempdir().unwrap();
                    run(dir.path(), 1, false)
                        .history
                        .iter()
                        .map(|h| (h.train_loss, h.val_auc))
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(histories[0], histories[1]);
    assert_eq!(histories[0], histories[2]);
}

#[test]
fn resume_without_checkpoint_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (d, spec) = data();
    let err = train(d, &spec, small_cnn(), &cfg(1), dir.path(), true, false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no checkpoint"), "{err}");
}

fn embed_all(model: &TwinModel, d: &Dataset, n: usize) -> Vec<Vec<f32>> {
    let items: Vec<&[f32]> = (0..n).map(|i| d.item(i)).collect();
    model.embed_pixels(&items)
}

#[test]
fn save_load_gives_identical_embeddings_and_one_weight_set() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), 1, false);
    let model = TwinModel::load(dir.path()).unwrap();
    let (d, _) = data();
    let e1 = embed_all(&model, &d, 40);
    // Save the loaded model again and reload: bit-identical embeddings and weights.
    let copy = tempfile::tempdir().unwrap();
    let m2 = twinnet::model::save_model(copy.path(), &model.tower, model.manifest.clone()).unwrap();
    assert_eq!(m2.weights.sha256, report.manifest.weights.sha256);
    let e2 = embed_all(&TwinModel::load(copy.path()).unwrap(), &d, 40);
    assert_eq!(e1, e2);
    // One set of tower weights in the file: each layer once, parameter count = one tower.
    let w = &model.manifest.weights;
    use burn::module::Module;
    assert_eq!(w.parameters, model.tower.num_params());
    assert_eq!(w.tensors.len(), 8, "{:?}", w.tensors.keys());
    assert!(w.tensors.contains_key("Cnn.convs.0.weight"));
    let bytes = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.len(), 8);
}

#[test]
fn both_sides_of_a_pair_use_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), 1, false);
    let model = TwinModel::load(dir.path()).unwrap();
    let (d, _) = data();
    let input = model.manifest.input;
    let (x, y) = (d.item(0), d.item(1));
    let pair = |tower: &twinnet::tower::Tower| {
        let (a, b) = tower.embed_pair(
            input.batch(&[x], &model.device),
            input.batch(&[y], &model.device),
        );
        (twinnet::batch::to_rows(a), twinnet::batch::to_rows(b))
    };
    let (a0, b0) = pair(&model.tower);
    // The same image on both sides gives the same embedding.
    let (s1, s2) = model.tower.embed_pair(
        input.batch(&[x], &model.device),
        input.batch(&[x], &model.device),
    );
    assert_eq!(twinnet::batch::to_rows(s1), twinnet::batch::to_rows(s2));
    // Change one weight of the first conv layer: both embeddings move.
    let mut bytes = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    let offset = {
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let view = st.tensor("Cnn.convs.0.weight").unwrap();
        view.data().as_ptr() as usize - bytes.as_ptr() as usize
    };
    let v = f32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap()) + 0.5;
    bytes[offset..offset + 4].copy_from_slice(&v.to_le_bytes());
    let mut manifest = model.manifest.clone();
    manifest.weights.sha256.clear();
    let changed = load_tower(&manifest, &bytes, Path::new("edited"), &model.device).unwrap();
    let (a1, b1) = pair(&changed);
    assert_ne!(a0, a1, "first embedding must move");
    assert_ne!(b0, b1, "second embedding must move");
}

#[test]
fn mismatched_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), 1, false);
    let path = dir.path().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    // Another architecture: an embedding of 32 instead of 16.
    std::fs::write(
        &path,
        text.replace("\"embedding_dim\": 16", "\"embedding_dim\": 32"),
    )
    .unwrap();
    let err = TwinModel::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("does not match") && err.contains("Cnn.fcs.1"),
        "{err}"
    );
    // Same architecture, other weights: the hash catches it.
    std::fs::write(&path, &text).unwrap();
    let w = dir.path().join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&w).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
    std::fs::write(&w, bytes).unwrap();
    let err = TwinModel::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("SHA-256"), "{err}");
}

#[test]
fn a_diverging_loss_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (d, spec) = data();
    let mut c = cfg(2);
    c.optimizer = twinnet::train::OptimizerKind::Sgd;
    c.learning_rate = 1e12;
    let err = train(d, &spec, small_cnn(), &c, dir.path(), false, false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("loss became") && err.contains("`lr`"), "{err}");
    assert!(
        !dir.path().join(MANIFEST_FILE).exists(),
        "no model is written from a diverged run"
    );
}

#[test]
fn shift_averaged_features_are_the_mean_over_the_offset_grid() {
    use twinnet::data::shift_image;
    use twinnet::tower::FeatureLayer;
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), 1, false);
    let model = TwinModel::load(dir.path()).unwrap();
    let (d, _) = data();
    let n = 300; // more than one chunk of 256
    let shape = model.manifest.input.shape;
    let (plain, dim) = model
        .features_all(n, FeatureLayer::Conv, |i| d.item(i))
        .unwrap();
    let (r0, dim0) = model
        .features_all_shifted(n, FeatureLayer::Conv, |i| d.item(i), 0)
        .unwrap();
    assert_eq!((r0, dim0), (plain.clone(), dim));
    // Radius 1: the mean of the nine copies moved by (−1…1, −1…1), read one by one.
    let (avg, dim1) = model
        .features_all_shifted(n, FeatureLayer::Conv, |i| d.item(i), 1)
        .unwrap();
    assert_eq!(dim1, dim);
    let mut want = vec![0.0f32; n * dim];
    for dy in -1..=1 {
        for dx in -1..=1 {
            let moved: Vec<Vec<f32>> = (0..n)
                .map(|i| shift_image(d.item(i), shape, dx, dy))
                .collect();
            let (f, _) = model
                .features_all(n, FeatureLayer::Conv, |i| moved[i].as_slice())
                .unwrap();
            want.iter_mut().zip(&f).for_each(|(w, x)| *w += x / 9.0);
        }
    }
    let worst = avg
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "relative difference {worst}");
    assert_ne!(avg, plain, "averaging over shifts changes the features");
    // Embedding layer too; a radius the 28×28 input cannot hold is refused with the limit.
    let (e, de) = model
        .features_all_shifted(4, FeatureLayer::Embedding, |i| d.item(i), 2)
        .unwrap();
    assert_eq!((e.len(), de), (4 * 16, 16));
    let err = model
        .features_all_shifted(4, FeatureLayer::Conv, |i| d.item(i), 14)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 13"), "{err}");
}

#[test]
fn validation_every_n_steps_is_recorded_and_ends_on_the_epoch_figure() {
    let dir = tempfile::tempdir().unwrap();
    let (d, spec) = data();
    // 1536 pairs in batches of 128: 12 steps per epoch, validated at steps 4, 8, 12, …, 24.
    let c = TrainConfig {
        validate_every: Some(4),
        ..cfg(2)
    };
    let report = train(d, &spec, small_cnn(), &c, dir.path(), false, false).unwrap();
    for (e, m) in report.history.iter().enumerate() {
        let steps: Vec<usize> = m.step_validations.iter().map(|v| v.step).collect();
        let first = 12 * e;
        assert_eq!(steps, [first + 4, first + 8, first + 12], "epoch {}", e + 1);
        assert!(m
            .step_validations
            .iter()
            .all(|v| (0.0..=1.0).contains(&v.score)));
        // The last step of the epoch is the epoch's own validation: the same net, the same pairs.
        assert_eq!(m.step_validations[2].score, m.val_auc);
    }
    // They are kept in metrics.jsonl; a run without the setting writes no such key.
    let log = std::fs::read_to_string(dir.path().join("metrics.jsonl")).unwrap();
    assert!(log
        .lines()
        .all(|l| l.contains("\"step_validations\":[{\"step\"")));
    let plain = run(tempfile::tempdir().unwrap().path(), 1, false);
    assert!(plain.history[0].step_validations.is_empty());
}
