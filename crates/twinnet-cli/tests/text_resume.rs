//! Text fine-tuning survives `kill -9`: `finetune --resume` continues from the last epoch's
//! checkpoint and ends with the same weights, byte for byte, as a run that was never stopped.
//! Needs the MiniLM tokenizer (`twinnet data fetch minilm`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::*;
#[path = "../../twinnet/tests/common/mod.rs"]
mod library_common;
use library_common::minilm_dir;

fn finetune_args<'a>(
    tokenizer: &'a str,
    train: &'a str,
    val: &'a str,
    out: &'a str,
) -> Vec<&'a str> {
    vec![
        "finetune",
        "--scratch",
        "--tokenizer",
        tokenizer,
        "--data",
        train,
        "--val",
        val,
        "--out",
        out,
        "--loss",
        "mnrl",
        "--max-pairs",
        "600",
        "--batch-size",
        "16",
        "--epochs",
        "4",
        "--lr",
        "0.001",
        "--seed",
        "3",
        "--quiet",
        "--json",
    ]
}

fn epochs_checkpointed(out: &Path) -> u64 {
    std::fs::read(out.join("checkpoint/state.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["progress"]["epoch"].as_u64())
        .unwrap_or(0)
}

#[test]
fn finetune_resumes_after_kill_9_with_the_weights_of_an_uninterrupted_run() {
    let Some(tok) = minilm_dir() else { return };
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/text-sample");
    let (train, val) = (sample.join("train.tsv"), sample.join("val.tsv"));
    let dir = tempfile::tempdir().unwrap();
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (tok, train, val, whole_s, cut_s) = (s(&tok), s(&train), s(&val), s(&whole), s(&cut));

    let o = twinnet(&finetune_args(&tok, &train, &val, &whole_s));
    assert!(o.status.success(), "{}", stderr(&o));

    // Kill the second run as soon as its first epoch is checkpointed (mid-epoch 2).
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinnet"))
        .args(finetune_args(&tok, &train, &val, &cut_s))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while epochs_checkpointed(&cut) < 1 && started.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = epochs_checkpointed(&cut);
    assert!(
        (1..4).contains(&done),
        "killed after {done} epochs; expected mid-run"
    );

    let mut resume = finetune_args(&tok, &train, &val, &cut_s);
    resume.push("--resume");
    let o = twinnet(&resume);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["history"].as_array().unwrap().len(), 4);

    let weights = |d: &Path| std::fs::read(d.join("model.safetensors")).unwrap();
    assert!(
        weights(&whole) == weights(&cut),
        "resumed weights differ from the uninterrupted run's"
    );
    let losses = |d: &Path| -> Vec<f64> {
        std::fs::read_to_string(d.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["train_loss"]
                    .as_f64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(losses(&whole), losses(&cut));
    // A resume with another recipe is refused.
    let mut other = finetune_args(&tok, &train, &val, &cut_s);
    other.extend(["--resume", "--margin", "0.7"]);
    assert_fails_with(&twinnet(&other), "another recipe");
}
