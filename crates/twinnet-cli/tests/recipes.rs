//! Selecting losses, miners and samplers from flags and from a TOML config, and refusing
//! combinations that cannot work.

use std::path::Path;
use std::process::Output;

mod common;
use common::*;

fn train(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--val-pairs",
        "400",
        "--conv-channels",
        "4,8",
        "--hidden",
        "16",
        "--embedding-dim",
        "8",
        "--json",
    ];
    args.extend_from_slice(extra);
    train_sample(out, 512, &args)
}

fn fails_with(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "expected failure: {err}");
    for n in needles {
        assert!(err.contains(n), "error should mention '{n}': {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn every_loss_and_miner_trains_from_flags() {
    for extra in [
        vec![
            "--sampler",
            "pk",
            "--classes-per-batch",
            "4",
            "--per-class",
            "4",
            "--loss",
            "triplet",
            "--miner",
            "batch-hard",
        ],
        vec![
            "--sampler",
            "pk",
            "--classes-per-batch",
            "4",
            "--per-class",
            "4",
            "--loss",
            "triplet",
            "--miner",
            "semi-hard",
            "--margin",
            "2",
        ],
        vec![
            "--sampler",
            "pk",
            "--classes-per-batch",
            "4",
            "--per-class",
            "4",
            "--loss",
            "triplet",
            "--miner",
            "batch-all",
            "--reducer",
            "mean-non-zero",
        ],
        vec![
            "--sampler",
            "pk",
            "--classes-per-batch",
            "4",
            "--per-class",
            "4",
            "--miner",
            "hard-pairs",
        ],
        vec![
            "--sampler",
            "pk",
            "--classes-per-batch",
            "8",
            "--per-class",
            "2",
            "--loss",
            "mnrl",
            "--distance",
            "cosine",
        ],
        vec!["--loss", "koch"],
        vec!["--loss", "triplet", "--augment"],
        vec![
            "--sampler",
            "views",
            "--classes-per-batch",
            "16",
            "--loss",
            "mnrl",
            "--augment",
            "--normalize",
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = train(dir.path(), &extra);
        assert!(
            o.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("manifest.json")).unwrap(),
        )
        .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            report["history"][0]["tuples"].as_u64().unwrap() > 0,
            "{extra:?}"
        );
        if extra.contains(&"koch") {
            assert!(
                manifest["head"]["file"].is_string(),
                "the Koch head is saved"
            );
            let e = twinnet(&[
                "eval",
                "--model",
                dir.path().to_str().unwrap(),
                "--data",
                sample().to_str().unwrap(),
                "--pairs",
                "200",
                "--json",
            ]);
            assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
        }
    }
}

#[test]
fn config_file_sets_the_recipe_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("run.toml");
    std::fs::write(
        &cfg,
        "loss = \"triplet\"\nsampler = \"pk\"\nminer = \"batch-hard\"\nclasses-per-batch = 4\nper-class = 4\nepochs = 3\nlr = 0.0003\n[augment]\nrotate-deg = 5.0\n",
    )
    .unwrap();
    let out = dir.path().join("m");
    let o = train(&out, &["--config", cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // --epochs 1 on the command line beats epochs = 3 in the file.
    assert_eq!(report["history"].as_array().unwrap().len(), 1);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint/state.json")).unwrap())
            .unwrap();
    assert_eq!(state["config"]["miner"], "batch-hard");
    assert_eq!(state["config"]["loss"], "triplet");
    assert_eq!(state["config"]["augment"]["rotate-deg"], 5.0);
    assert_eq!(report["manifest"]["loss"], "triplet");
}

#[test]
fn impossible_recipes_are_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    fails_with(
        &train(
            &out,
            &[
                "--sampler",
                "pk",
                "--per-class",
                "1",
                "--miner",
                "batch-hard",
                "--loss",
                "triplet",
            ],
        ),
        &["--per-class 1", "no positives"],
    );
    fails_with(&train(&out, &["--miner", "batch-hard"]), &["--sampler pk"]);
    fails_with(
        &train(&out, &["--sampler", "views", "--loss", "mnrl"]),
        &["--augment"],
    );
    fails_with(
        &train(&out, &["--loss", "fancy"]),
        &["contrastive", "triplet", "mnrl", "koch"],
    );
    fails_with(
        &train(&out, &["--sampler", "pk", "--miner", "deep"]),
        &["batch-all", "batch-hard", "semi-hard", "hard-pairs"],
    );
    fails_with(
        &train(&out, &["--sampler", "pk", "--miner", "semi-hard"]),
        &["--loss triplet"],
    );
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "epochz = 3\n").unwrap();
    fails_with(
        &train(&out, &["--config", cfg.to_str().unwrap()]),
        &["epochz", "epochs", "batch-size"],
    );
    assert!(
        !out.join("manifest.json").exists(),
        "nothing written on refusal"
    );
}
