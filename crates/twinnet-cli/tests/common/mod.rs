//! Helpers shared by the binary's end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bundled MNIST sample.
pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample")
}

/// Runs the `twinnet` binary.
pub fn twinnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twinnet"))
        .args(args)
        .output()
        .expect("run twinnet")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed command: non-zero exit, one `error:` line that mentions `needle`, no panic.
pub fn assert_fails_with(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(
        err.contains(needle),
        "error should mention '{needle}': {err}"
    );
    assert!(!err.contains("panicked"), "must not panic: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
}

/// `twinnet train` on the sample for one quiet epoch of `pairs` pairs, with `extra` flags
/// (tower sizes, recipe).
pub fn train_sample(out: &Path, pairs: usize, extra: &[&str]) -> Output {
    let data = sample();
    let pairs = pairs.to_string();
    let mut args = vec![
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "1",
        "--pairs-per-epoch",
        &pairs,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    twinnet(&args)
}

/// [`train_sample`] with a small CNN (conv 8,16, hidden 32, 16-d) and 600 validation pairs.
pub fn train_tiny(out: &Path, pairs: usize, extra: &[&str]) -> Output {
    let mut args = vec![
        "--val-pairs",
        "600",
        "--conv-channels",
        "8,16",
        "--hidden",
        "32",
        "--embedding-dim",
        "16",
    ];
    args.extend_from_slice(extra);
    train_sample(out, pairs, &args)
}
