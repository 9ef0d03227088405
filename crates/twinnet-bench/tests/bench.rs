//! The benchmarks measure what they say: the gallery bench times both search paths and finds
//! the true neighbours through the index; the load generator drives both endpoints of a real
//! service without errors.

use std::path::Path;
use twinnet::data::{load_dataset, save_item_png, DataSpec, Dataset, Split};
use twinnet::tower::{CnnConfig, TowerConfig};
use twinnet::train::{train, TrainConfig};
use twinnet::{Input, Model};

#[test]
fn the_gallery_bench_measures_both_paths() {
    let b = twinnet_bench::gallery::bench_gallery(3000, 100, 5).unwrap();
    assert_eq!((b.entries, b.dim, b.queries), (3000, 64, 100));
    assert!(b.exact_p50_ms > 0.0 && b.exact_p99_ms >= b.exact_p50_ms);
    assert!(b.index_p50_ms > 0.0 && b.index_p99_ms >= b.index_p50_ms);
    // On 3,000 entries the graph should find the true nearest entry nearly always.
    assert!(b.recall_at_1 >= 0.95 && b.recall_at_1 <= 1.0, "{b:?}");
    assert!(b.recall_at_10 >= 0.9 && b.recall_at_10 <= 1.0, "{b:?}");
}

#[test]
fn the_load_generator_drives_both_endpoints_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample");
    let spec = DataSpec::parse(sample.to_str().unwrap()).unwrap();
    let data = load_dataset(&spec, Split::Train, None, None).unwrap();
    let tower = TowerConfig::Cnn(CnnConfig {
        conv_channels: vec![8, 16],
        hidden: vec![64],
        embedding_dim: 16,
        ..CnnConfig::default()
    });
    let cfg = TrainConfig {
        epochs: 1,
        pairs_per_epoch: Some(1024),
        validation_pairs: 400,
        seed: 3,
        ..TrainConfig::default()
    };
    let model_dir = dir.path().join("model");
    train(
        data,
        &spec.to_string(),
        tower,
        &cfg,
        &model_dir,
        false,
        false,
    )
    .unwrap();
    let Dataset::Labeled(test) = load_dataset(&spec, Split::Test, None, None).unwrap() else {
        panic!("the sample has labels")
    };
    let inputs: Vec<Input> = (0..30)
        .map(|i| {
            let png = dir.path().join(format!("{i}.png"));
            save_item_png(test.item(i), test.shape, &png).unwrap();
            Input::ImageBytes {
                bytes: std::fs::read(&png).unwrap(),
                name: "digit".into(),
            }
        })
        .collect();
    let r = twinnet_bench::load::run_load(
        Model::load(&model_dir).unwrap(),
        inputs,
        &twinnet_bench::load::LoadOptions {
            clients: 4,
            duration: std::time::Duration::from_secs(5),
            max_requests: 200,
            enrol: 10,
        },
    )
    .unwrap();
    assert_eq!(r.gallery_entries, 10);
    let names: Vec<&str> = r.endpoints.iter().map(|e| e.endpoint.as_str()).collect();
    assert_eq!(names, vec!["/v1/verify", "/v1/identify"]);
    for e in &r.endpoints {
        assert_eq!((e.requests, e.errors), (200, 0), "{e:?}");
        assert!(e.p50_ms > 0.0 && e.p99_ms >= e.p50_ms && e.max_ms >= e.p99_ms);
    }
}
