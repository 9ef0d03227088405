//! Reading a model directory, the same for every kind: the manifest behind its header check,
//! and weights filled into a freshly built module only after their names, shapes and hash
//! agree with what the manifest describes.

use super::header::{read_header, ModelKind};
use super::{reader, safetensors_shapes, to_safetensors, MANIFEST_FILE};
use crate::fsutil::sha256_hex;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::store::ModuleSnapshot;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// `dir`'s manifest as `T`, refusing a missing directory, another kind or a newer layout;
/// returns the manifest's path too, for later errors.
pub(crate) fn read_manifest<T: DeserializeOwned>(
    dir: &Path,
    kind: ModelKind,
    newest: u32,
) -> Result<(T, PathBuf)> {
    let path = dir.join(MANIFEST_FILE);
    if !dir.is_dir() {
        bail!("model directory {} does not exist", dir.display());
    }
    read_header(dir)?.check(&path, kind, newest)?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: invalid manifest", path.display()))?;
    Ok((manifest, path))
}

/// Fills `module`, freshly built from a manifest, with the safetensors `bytes` read from
/// `path`: the tensor names and shapes must be the module's, and the bytes must hash to
/// `sha256` (when the manifest records one). `kind` names the tower in errors.
pub(crate) fn fill_checked<M: Module + ModuleSnapshot>(
    mut module: M,
    bytes: &[u8],
    path: &Path,
    sha256: &str,
    pytorch_layout: bool,
    kind: &str,
) -> Result<M> {
    let actual = safetensors_shapes(bytes).with_context(|| format!("{}", path.display()))?;
    let expected = safetensors_shapes(&to_safetensors(&module, pytorch_layout)?)?;
    if actual != expected {
        let missing: Vec<_> = expected
            .keys()
            .filter(|k| !actual.contains_key(*k))
            .collect();
        let extra: Vec<_> = actual
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        let reshaped: Vec<_> = expected
            .iter()
            .filter(|(k, s)| actual.get(*k).is_some_and(|a| a != *s))
            .map(|(k, s)| format!("{k} (manifest {:?}, file {:?})", s, actual[k]))
            .collect();
        bail!(
            "{} does not match the manifest's {kind} tower: missing {:?}, unexpected {:?}, wrong shape {:?}",
            path.display(),
            missing,
            extra,
            reshaped
        );
    }
    if !sha256.is_empty() && sha256 != sha256_hex(bytes) {
        bail!(
            "{} has changed since the manifest was written (SHA-256 differs); refusing to load mismatched weights",
            path.display()
        );
    }
    let result = module
        .load_from(&mut reader(bytes.to_vec(), pytorch_layout))
        .map_err(|e| anyhow::anyhow!("{}: cannot load weights: {e}", path.display()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        bail!(
            "{}: weights do not fit the tower: {:?} {:?}",
            path.display(),
            result.errors,
            result.missing
        );
    }
    Ok(module)
}
