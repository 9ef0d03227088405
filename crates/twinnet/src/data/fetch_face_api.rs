//! Fetching face-api's pretrained networks: `npm pack @vladmandic/face-api@1.7.15` (MIT), its
//! tarball checked against a pinned SHA-256, and the TensorFlow.js weights under `model/`
//! (manifests and shards) copied into the destination, each manifest read back in full.

use super::fetch::{npm_unpack, replace_dir};
use crate::fsutil::sha256_hex;
use crate::tower::face::read_tfjs;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The npm package and version.
pub(super) const FACE_API_PACKAGE: &str = "@vladmandic/face-api@1.7.15";
/// SHA-256 of its tarball, so a changed upload is refused rather than silently used.
const FACE_API_TGZ_SHA256: &str =
    "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031";

/// One network's weights as fetched: its manifest, tensors and values.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FetchedNetwork {
    /// The manifest's file name.
    pub manifest: String,
    /// Tensors in it.
    pub tensors: usize,
    /// Values in them.
    pub parameters: usize,
}

/// Fetches the package into `work`, checks it, copies `model/` into `dest` (from `from`
/// instead, when given: a folder of manifests and shards such as the package's `model/`);
/// returns what each manifest holds, by name. Every manifest is read in full before `dest` is
/// replaced, so a bad copy leaves the old one.
pub(super) fn fetch_face_api(
    dest: &Path,
    from: Option<&Path>,
    work: &Path,
) -> Result<Vec<FetchedNetwork>> {
    if let Some(dir) = from {
        return install_networks(dir, dest);
    }
    let tgz = npm_unpack(FACE_API_PACKAGE, work)?;
    let bytes = std::fs::read(&tgz).with_context(|| format!("cannot read {}", tgz.display()))?;
    let sha = sha256_hex(&bytes);
    if sha != FACE_API_TGZ_SHA256 {
        bail!("{FACE_API_PACKAGE}: the tarball's SHA-256 is {sha}, expected {FACE_API_TGZ_SHA256}; refusing a changed package");
    }
    install_networks(&work.join("package/model"), dest)
}

/// The files of `src` (not its folders) in place of `dest`, once `src`'s manifests read in
/// full (errors name the source's files); returns what they hold.
fn install_networks(src: &Path, dest: &Path) -> Result<Vec<FetchedNetwork>> {
    let networks = read_networks(src)?;
    replace_dir(dest, |tmp| {
        std::fs::create_dir_all(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let entries =
            std::fs::read_dir(src).with_context(|| format!("{} is missing", src.display()))?;
        for e in entries {
            let p = e?.path();
            if let (true, Some(name)) = (p.is_file(), p.file_name()) {
                std::fs::copy(&p, tmp.join(name))
                    .with_context(|| format!("cannot copy {}", p.display()))?;
            }
        }
        Ok(())
    })?;
    Ok(networks)
}

/// Every `*-weights_manifest.json` in `dir`, read in full, sorted by name.
pub fn read_networks(dir: &Path) -> Result<Vec<FetchedNetwork>> {
    let mut manifests: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("-weights_manifest.json"))
        .collect();
    manifests.sort();
    if manifests.is_empty() {
        bail!("{} holds no TensorFlow.js weights manifest", dir.display());
    }
    manifests
        .iter()
        .map(|m| {
            let w = read_tfjs(m)?;
            Ok(FetchedNetwork {
                manifest: m
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                tensors: w.len(),
                parameters: w.parameters(),
            })
        })
        .collect()
}
