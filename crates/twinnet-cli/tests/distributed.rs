//! `mpirun -np 2 twinnet train --distributed mpi` against one process on the doubled batch:
//! the same weights, for contrastive pairs and for batch-hard P×K (the gathered batch); a
//! killed rank fails the run and `--resume` continues from the last checkpoint.
//!
//! They need `mpirun` (OpenMPI) and the `mpi` feature: `.ci/run` installs OpenMPI and runs
//! `cargo test --release -p twinnet-cli --features mpi --test distributed -- --ignored`.
#![cfg(feature = "mpi")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// `twinnet train` on the sample, in one process or under `mpirun -np ranks`, one thread each.
fn train(ranks: usize, out: &Path, extra: &[&str]) -> Command {
    let data = sample();
    let mut cmd = if ranks == 1 {
        Command::new(env!("CARGO_BIN_EXE_twinnet"))
    } else {
        let mut c = Command::new("mpirun");
        c.args(["--allow-run-as-root", "--oversubscribe", "-np"])
            .arg(ranks.to_string())
            .args(["-x", "RAYON_NUM_THREADS=1", env!("CARGO_BIN_EXE_twinnet")]);
        c
    };
    cmd.env("RAYON_NUM_THREADS", "1").args([
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--optimizer",
        "sgd",
        "--lr",
        "0.01",
        "--val-pairs",
        "200",
        "--seed",
        "7",
    ]);
    if ranks > 1 {
        cmd.args(["--distributed", "mpi"]);
    }
    cmd.args(extra);
    cmd
}

fn run(mut cmd: Command) -> Output {
    let o = cmd
        .output()
        .expect("run the command (is mpirun installed?)");
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Every tensor of a safetensors file (all f32 here).
fn weights(dir: &Path) -> BTreeMap<String, Vec<f32>> {
    let bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let body = &bytes[8 + n..];
    let mut out = BTreeMap::new();
    for (name, t) in header.as_object().unwrap() {
        if name == "__metadata__" {
            continue;
        }
        assert_eq!(t["dtype"], "F32", "{name}");
        let at = &t["data_offsets"];
        let (a, b) = (
            at[0].as_u64().unwrap() as usize,
            at[1].as_u64().unwrap() as usize,
        );
        let v = body[a..b]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        out.insert(name.clone(), v);
    }
    out
}

/// The largest difference between two models' weights (same tensors required).
fn max_difference(a: &Path, b: &Path) -> f32 {
    let (a, b) = (weights(a), weights(b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let mut worst = 0f32;
    for (name, x) in &a {
        let y = &b[name];
        assert_eq!(x.len(), y.len(), "{name}");
        for (p, q) in x.iter().zip(y) {
            worst = worst.max((p - q).abs());
        }
    }
    worst
}

fn metrics_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("metrics.jsonl")).map_or(0, |s| s.lines().count())
}

#[test]
#[ignore = "needs mpirun (OpenMPI); .ci/run runs it with --features mpi -- --ignored"]
fn two_ranks_on_batch_b_equal_one_process_on_batch_2b_contrastive() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let flags = ["--pairs-per-epoch", "512", "--epochs", "2", "--augment"];
    run(train(
        1,
        &one,
        &[&flags[..], &["--batch-size", "64"]].concat(),
    ));
    let o = run(train(
        2,
        &two,
        &[&flags[..], &["--batch-size", "32"]].concat(),
    ));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("(2 ranks)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let d = max_difference(&one, &two);
    assert!(d <= 1e-5, "16 SGD steps: weights differ by {d}");
    // Rank 0 alone wrote the metrics: one line per epoch, equal validation figures.
    let read = |p: &Path| std::fs::read_to_string(p.join("metrics.jsonl")).unwrap();
    let auc = |s: &str| -> Vec<f64> {
        s.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["val_auc"]
                    .as_f64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(auc(&read(&one)), auc(&read(&two)));
    assert_eq!(metrics_lines(&two), 2);
}

#[test]
#[ignore = "needs mpirun (OpenMPI); .ci/run runs it with --features mpi -- --ignored"]
fn two_ranks_gather_the_pk_batch_for_batch_hard_mining() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let flags = [
        "--pairs-per-epoch",
        "512",
        "--epochs",
        "2",
        "--sampler",
        "pk",
        "--per-class",
        "4",
        "--miner",
        "batch-hard",
        "--loss",
        "triplet",
        "--margin",
        "0.5",
    ];
    run(train(
        1,
        &one,
        &[&flags[..], &["--classes-per-batch", "8"]].concat(),
    ));
    run(train(
        2,
        &two,
        &[&flags[..], &["--classes-per-batch", "4"]].concat(),
    ));
    let d = max_difference(&one, &two);
    assert!(
        d <= 1e-5,
        "batch-hard over the gathered batch: weights differ by {d}"
    );
}

#[test]
#[ignore = "needs mpirun (OpenMPI); .ci/run runs it with --features mpi -- --ignored"]
fn two_ranks_share_in_batch_negatives_for_mnrl() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    // 10 steps: the sums over ranks and over the batch round differently, and over many more
    // steps that grows (25 steps here: 1.8e-4, a jump, as when a max-pool's choice flips).
    let flags = [
        "--pairs-per-epoch",
        "200",
        "--epochs",
        "1",
        "--sampler",
        "pk",
        "--per-class",
        "2",
        "--loss",
        "mnrl",
        "--distance",
        "cosine",
    ];
    run(train(
        1,
        &one,
        &[&flags[..], &["--classes-per-batch", "10"]].concat(),
    ));
    run(train(
        2,
        &two,
        &[&flags[..], &["--classes-per-batch", "5"]].concat(),
    ));
    let d = max_difference(&one, &two);
    assert!(
        d <= 1e-5,
        "MNRL over the gathered batch: weights differ by {d}"
    );
}

#[test]
#[ignore = "needs mpirun (OpenMPI); .ci/run runs it with --features mpi -- --ignored"]
fn a_killed_rank_fails_the_run_and_resume_continues_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed");
    let flags = [
        "--pairs-per-epoch",
        "3072",
        "--epochs",
        "6",
        "--batch-size",
        "32",
    ];
    let mut child = train(2, &out, &flags)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while metrics_lines(&out) < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no epoch finished"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Kill one rank (a `twinnet train` process writing to this folder, not mpirun).
    let marker = out.to_str().unwrap().to_string();
    let rank = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            let exe = cmd.split('\0').next().unwrap_or("");
            cmd.contains(&marker) && !exe.ends_with("mpirun") && exe.ends_with("twinnet")
        })
        .expect("a rank process");
    Command::new("kill")
        .args(["-9", &rank.to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "mpirun must exit non-zero when a rank dies"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("checkpoint/state.json")).unwrap()).unwrap();
    let done = state["epoch"].as_u64().unwrap() as usize;
    assert!((1..6).contains(&done), "{done} epochs before the kill");
    assert!(
        metrics_lines(&out) <= done,
        "metrics.jsonl ahead of the checkpoint"
    );
    let o = run(train(
        2,
        &out,
        &[&flags[..], &["--resume", "--json"]].concat(),
    ));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["resumed_from"], done, "{report}");
    assert_eq!(report["history"].as_array().unwrap().len(), 6);
    assert_eq!(metrics_lines(&out), 6);
}
