//! A small image model trained briefly on the bundled sample, shared by the service tests.
#![allow(dead_code)]

use base64::Engine;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use twinnet::data::{load_dataset, save_item_png, DataSpec, Split};
use twinnet::tower::{CnnConfig, TowerConfig};
use twinnet::train::{train, TrainConfig};

/// The model directory and the digit images.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub model: PathBuf,
    /// PNG files of sample digits: `digits[class][i]`.
    pub digits: Vec<Vec<Vec<u8>>>,
}

/// A small model trained briefly on the bundled sample, and a few digit PNGs.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
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
        let model = dir.path().join("model");
        train(data, &spec.to_string(), tower, &cfg, &model, false, false).unwrap();
        let twinnet::data::Dataset::Labeled(test) =
            load_dataset(&spec, Split::Test, None, None).unwrap()
        else {
            panic!("the sample has labels")
        };
        let mut digits = vec![Vec::new(); 10];
        for i in 0..test.len() {
            let c = test.labels[i];
            if digits[c].len() < 3 {
                let png = dir.path().join(format!("{c}-{i}.png"));
                save_item_png(test.item(i), test.shape, &png).unwrap();
                digits[c].push(std::fs::read(&png).unwrap());
            }
        }
        Fixture {
            _dir: dir,
            model,
            digits,
        }
    })
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
