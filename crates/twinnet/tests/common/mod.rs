//! Helpers shared by the library's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// MiniLM, when `twinnet data fetch minilm` has put it in `data/minilm` (CI does) or
/// `TWINNET_MINILM` names a folder; `None`, with a note, otherwise.
pub fn minilm_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TWINNET_MINILM")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/minilm"));
    if dir.join("model.safetensors").is_file() {
        Some(dir)
    } else if std::env::var_os("TWINNET_REQUIRE_DATA").is_some() {
        // CI fetches the weights and sets this: a missing model must fail there, not skip.
        panic!(
            "TWINNET_REQUIRE_DATA is set but there are no MiniLM weights at {}",
            dir.display()
        );
    } else {
        eprintln!(
            "SKIPPED: no MiniLM weights at {} (run `twinnet data fetch minilm`)",
            dir.display()
        );
        None
    }
}

/// `../shared/data/<name>` (the real data sets beside the checkout), or `None` with a SKIPPED
/// note; with `TWINNET_REQUIRE_DATA` set (CI) a missing set fails instead.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var_os("TWINNET_REQUIRE_DATA").is_some() {
        panic!(
            "TWINNET_REQUIRE_DATA is set but {} is missing",
            dir.display()
        );
    } else {
        eprintln!("SKIPPED: no {} (the shared data sets)", dir.display());
        None
    }
}
