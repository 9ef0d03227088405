//! TensorFlow.js weights: a `*-weights_manifest.json` naming binary shards and, for each
//! tensor in order, its name, shape, dtype and (often) an 8- or 16-bit quantisation with a
//! per-tensor `min` and `scale` — how face-api ships its networks.
//!
//! The shards of a group are one byte stream cut into files, read end to end; each tensor
//! takes its bytes in manifest order. Everything is checked before it is trusted: the shard
//! files exist, their total length is exactly what the tensors need, shapes multiply without
//! overflow, and the whole stays under [`MAX_TFJS_BYTES`].

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The most bytes of shards one manifest may name (face-api's largest network is ≈ 6 MB).
pub const MAX_TFJS_BYTES: usize = 1 << 30;

/// One tensor, dequantised to `f32` (an `int32` tensor's values converted).
#[derive(Debug, Clone, PartialEq)]
pub struct TfjsTensor {
    /// Its shape, as TensorFlow lays it out (convolution filters are `[h, w, in, out]`).
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

/// Every tensor of a manifest, by name.
#[derive(Debug, Clone, Default)]
pub struct TfjsWeights {
    /// The manifest read, for error messages.
    pub source: String,
    tensors: BTreeMap<String, TfjsTensor>,
}

impl TfjsWeights {
    /// The tensor called `name`, whose shape must be `shape`: a network asks for what it needs
    /// and a manifest of another network fails here, naming both.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<TfjsTensor> {
        let t = self
            .tensors
            .remove(name)
            .with_context(|| format!("{} has no tensor '{name}'", self.source))?;
        if t.shape != shape {
            bail!(
                "{}: tensor '{name}' has shape {:?}, the network needs {shape:?}",
                self.source,
                t.shape
            );
        }
        Ok(t)
    }

    /// Tensor names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.tensors.keys().map(String::as_str).collect()
    }

    /// Number of tensors left (not yet taken).
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// No tensors left.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Values in all tensors left.
    pub fn parameters(&self) -> usize {
        self.tensors.values().map(|t| t.values.len()).sum()
    }
}

#[derive(Deserialize)]
struct Group {
    paths: Vec<String>,
    weights: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    quantization: Option<Quantization>,
}

#[derive(Deserialize)]
struct Quantization {
    dtype: String,
    scale: Option<f32>,
    min: Option<f32>,
}

/// How one tensor's values are stored.
enum Storage {
    F32,
    I32,
    /// `u8`/`u16` codes: value = code × scale + min.
    Affine {
        bytes: usize,
        scale: f32,
        min: f32,
        round: bool,
    },
    F16,
}

impl Storage {
    fn of(e: &Entry) -> Result<Self> {
        Ok(match (&e.quantization, e.dtype.as_str()) {
            (None, "float32") => Storage::F32,
            (None, "int32") => Storage::I32,
            (Some(q), dtype @ ("float32" | "int32")) => match q.dtype.as_str() {
                "uint8" | "uint16" => {
                    let (Some(scale), Some(min)) = (q.scale, q.min) else {
                        bail!("quantisation {} without scale and min", q.dtype);
                    };
                    if !scale.is_finite() || !min.is_finite() {
                        bail!("quantisation scale {scale} / min {min} is not finite");
                    }
                    let bytes = if q.dtype == "uint8" { 1 } else { 2 };
                    let round = dtype == "int32";
                    Storage::Affine {
                        bytes,
                        scale,
                        min,
                        round,
                    }
                }
                "float16" if dtype == "float32" => Storage::F16,
                other => bail!("quantisation dtype '{other}' is not one TensorFlow.js writes"),
            },
            (_, other) => bail!("dtype '{other}' is not supported (float32 or int32)"),
        })
    }

    fn bytes(&self) -> usize {
        match self {
            Storage::F32 | Storage::I32 => 4,
            Storage::Affine { bytes, .. } => *bytes,
            Storage::F16 => 2,
        }
    }

    fn decode(&self, raw: &[u8]) -> Vec<f32> {
        let affine = |q: f32, scale: f32, min: f32, round: bool| {
            let v = q * scale + min;
            if round {
                v.round()
            } else {
                v
            }
        };
        match *self {
            Storage::F32 => raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Storage::I32 => raw
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
                .collect(),
            Storage::Affine {
                bytes: 1,
                scale,
                min,
                round,
            } => raw
                .iter()
                .map(|&q| affine(f32::from(q), scale, min, round))
                .collect(),
            Storage::Affine {
                scale, min, round, ..
            } => raw
                .chunks_exact(2)
                .map(|c| {
                    affine(
                        f32::from(u16::from_le_bytes([c[0], c[1]])),
                        scale,
                        min,
                        round,
                    )
                })
                .collect(),
            Storage::F16 => raw
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
        }
    }
}

/// IEEE half precision to single (subnormals, infinities and NaN included).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = (h >> 10) & 0x1f;
    let frac = f32::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f32.powi(-24),
        31 if frac == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + frac / 1024.0) * 2f32.powi(i32::from(e) - 15),
    }
}

/// Reads a TensorFlow.js weights manifest and its shards (paths relative to the manifest).
pub fn read_tfjs(manifest: &Path) -> Result<TfjsWeights> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let dir = manifest.parent().unwrap_or(Path::new("."));
    parse_tfjs(&text, &manifest.display().to_string(), |name| {
        let path = dir.join(name);
        if Path::new(name).components().count() != 1 {
            bail!("shard '{name}' must be a file beside the manifest");
        }
        std::fs::read(&path)
            .with_context(|| format!("shard {} is missing or unreadable", path.display()))
    })
}

/// [`read_tfjs`] on a manifest's text, with `shard(name)` giving each shard's bytes; `source`
/// names the manifest in errors.
pub fn parse_tfjs(
    text: &str,
    source: &str,
    mut shard: impl FnMut(&str) -> Result<Vec<u8>>,
) -> Result<TfjsWeights> {
    let groups: Vec<Group> = serde_json::from_str(text)
        .with_context(|| format!("{source} is not a TensorFlow.js weights manifest"))?;
    let mut out = TfjsWeights {
        source: source.to_string(),
        tensors: BTreeMap::new(),
    };
    for (g, group) in groups.iter().enumerate() {
        let mut plan = Vec::with_capacity(group.weights.len());
        let mut need = 0usize;
        for e in &group.weights {
            let storage =
                Storage::of(e).with_context(|| format!("{source}: tensor '{}'", e.name))?;
            let count = e
                .shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .and_then(|n| n.checked_mul(storage.bytes()))
                .filter(|&b| b <= MAX_TFJS_BYTES)
                .with_context(|| {
                    format!(
                        "{source}: tensor '{}' of shape {:?} is too large",
                        e.name, e.shape
                    )
                })?;
            need += count;
            if need > MAX_TFJS_BYTES {
                bail!("{source}: the tensors need more than {MAX_TFJS_BYTES} bytes");
            }
            plan.push((e, storage, count));
        }
        let mut bytes = Vec::with_capacity(need);
        for p in &group.paths {
            let b = shard(p).with_context(|| format!("{source}, group {g}"))?;
            if bytes.len() + b.len() > need {
                bail!(
                    "{source}: the shards of group {g} hold more bytes than its tensors need ({need}); is '{p}' another network's?"
                );
            }
            bytes.extend_from_slice(&b);
        }
        if bytes.len() != need {
            bail!(
                "{source}: the shards of group {g} ({}) hold {} bytes, its tensors need {need} (a truncated download?)",
                group.paths.join(", "),
                bytes.len()
            );
        }
        let mut at = 0;
        for (e, storage, count) in plan {
            let values = storage.decode(&bytes[at..at + count]);
            at += count;
            if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
                bail!(
                    "{source}: tensor '{}' holds a non-finite value at {bad}",
                    e.name
                );
            }
            let t = TfjsTensor {
                shape: e.shape.clone(),
                values,
            };
            if out.tensors.insert(e.name.clone(), t).is_some() {
                bail!("{source}: tensor '{}' appears twice", e.name);
            }
        }
    }
    Ok(out)
}
