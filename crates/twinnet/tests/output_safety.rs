//! What a run leaves in its output folder: one writer at a time, temporary files that cannot be
//! planted, and a resume that refuses another data selection.

use std::path::{Path, PathBuf};
use twinnet::data::{load_dataset, DataSpec, Split};
use twinnet::fsutil::{write_atomic, DirLock};
use twinnet::tower::{CnnConfig, TowerConfig};
use twinnet::train::{train, TrainConfig, OUTPUT_LOCK};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample")
}

fn run(out: &Path, classes: &[&str], epochs: usize, resume: bool) -> anyhow::Result<()> {
    let spec = DataSpec::parse(sample().to_str().unwrap()).unwrap();
    let classes: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    let data = load_dataset(&spec, Split::Train, None, Some(&classes)).unwrap();
    let tower = TowerConfig::Cnn(CnnConfig {
        conv_channels: vec![4],
        hidden: vec![],
        embedding_dim: 8,
        ..CnnConfig::default()
    });
    let cfg = TrainConfig {
        epochs,
        pairs_per_epoch: Some(256),
        validation_pairs: 200,
        ..TrainConfig::default()
    };
    train(data, &spec.to_string(), tower, &cfg, out, resume, false).map(|_| ())
}

#[test]
fn a_second_run_into_a_busy_folder_stops_at_once() {
    let out = tempfile::tempdir().unwrap();
    let _running = DirLock::try_now(out.path(), OUTPUT_LOCK, "busy").unwrap();
    let e = run(out.path(), &["0", "1"], 1, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another twinnet run is writing"), "{e}");
    assert!(!out.path().join("checkpoint").exists());
}

#[test]
fn resume_refuses_another_class_selection() {
    let out = tempfile::tempdir().unwrap();
    run(out.path(), &["0", "1"], 1, false).unwrap();
    let e = run(out.path(), &["0", "1", "2"], 2, true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("classes 0,1, not 0,1,2"), "{e}");
    run(out.path(), &["0", "1"], 2, true).unwrap();
}

#[test]
fn atomic_writes_never_write_through_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    // Links at the temporary names earlier versions used (`.name.<pid>.tmp`).
    let target = dir.path().join("manifest.json");
    for name in [
        format!(".manifest.json.{}.tmp", std::process::id()),
        ".manifest.json.tmp".to_string(),
    ] {
        std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
    }
    write_atomic(&target, b"{}").unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(std::fs::read(&target).unwrap(), b"{}");
}
