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
