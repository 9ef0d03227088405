//! MNIST-style IDX files (raw or gzip), as published by LeCun et al.

use super::{ImageShape, LabeledImages};
use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which half of an IDX folder to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// `train-*` files.
    #[default]
    Train,
    /// `t10k-*` files.
    #[serde(alias = "t10k")]
    Test,
}

impl Split {
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

impl FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "train" => Ok(Split::Train),
            "test" | "t10k" => Ok(Split::Test),
            other => Err(format!("unknown split '{other}' (choose train or test)")),
        }
    }
}

const UBYTE: u8 = 0x08;

/// Reads `dir/{train,t10k}-images-idx3-ubyte[.gz]` and the matching labels file.
pub fn read_idx_split(dir: &Path, split: Split) -> Result<LabeledImages> {
    let images = find_file(dir, split.prefix(), "images")?;
    let labels = find_file(dir, split.prefix(), "labels")?;
    let (shape, pixels, n_img) = read_idx_images(&images)?;
    let raw_labels = read_idx_labels(&labels)?;
    if raw_labels.len() != n_img {
        bail!(
            "{} holds {} labels but {} holds {} images",
            labels.display(),
            raw_labels.len(),
            images.display(),
            n_img
        );
    }
    // Classes are the distinct label values, named by their number, in numeric order.
    let mut values: Vec<u8> = raw_labels.clone();
    values.sort_unstable();
    values.dedup();
    let mut index = [usize::MAX; 256];
    for (i, &v) in values.iter().enumerate() {
        index[v as usize] = i;
    }
    Ok(LabeledImages {
        pixels,
        labels: raw_labels.iter().map(|&v| index[v as usize]).collect(),
        class_names: values.iter().map(|v| v.to_string()).collect(),
        shape,
    })
}

fn find_file(dir: &Path, prefix: &str, kind: &str) -> Result<PathBuf> {
    let entries =
        fs::read_dir(dir).with_context(|| format!("cannot read IDX folder {}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(&format!("{prefix}-{kind}")) && name.contains("ubyte")
        })
        .collect();
    found.sort();
    match found.len() {
        0 => bail!(
            "no {prefix}-{kind}-idx*-ubyte[.gz] file in {}",
            dir.display()
        ),
        _ => Ok(found.remove(0)),
    }
}

fn read_raw(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The bytes, inflated first when they are a gzip stream (by its magic, whatever the name).
fn maybe_gunzip(raw: Vec<u8>, name: &str) -> Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("{name}: corrupt or truncated gzip stream"))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses the IDX header: checks the magic (two zero bytes, unsigned-byte type, rank) and
/// returns the dimensions and the payload.
fn parse_idx(name: &str, bytes: &[u8], rank: u8) -> Result<(Vec<usize>, usize)> {
    if bytes.len() < 4 {
        bail!("{}: file too short for an IDX header", name);
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UBYTE || bytes[3] != rank {
        bail!(
            "{}: wrong IDX magic {:02x}{:02x}{:02x}{:02x} (expected 000008{:02x}: unsigned bytes, {} dimensions)",
            name, bytes[0], bytes[1], bytes[2], bytes[3], rank, rank
        );
    }
    let header = 4 + 4 * rank as usize;
    if bytes.len() < header {
        bail!("{}: truncated IDX header", name);
    }
    let dims: Vec<usize> = (0..rank as usize)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .with_context(|| format!("{}: IDX dimensions overflow", name))?;
    let payload = bytes.len() - header;
    if payload != expected {
        bail!(
            "{}: truncated or oversized IDX file: dimensions {:?} need {} bytes of data, found {}",
            name,
            dims,
            expected,
            payload
        );
    }
    Ok((dims, header))
}

/// Reads an IDX image file (`idx3`): returns the item shape, pixels in `[0, 1]` and the count.
pub fn read_idx_images(path: &Path) -> Result<(ImageShape, Vec<f32>, usize)> {
    parse_idx_images(read_raw(path)?, &path.display().to_string())
}

/// Like [`read_idx_images`], for the file's bytes (gzipped or not); `name` goes in errors.
pub fn parse_idx_images(bytes: Vec<u8>, name: &str) -> Result<(ImageShape, Vec<f32>, usize)> {
    let bytes = maybe_gunzip(bytes, name)?;
    let (dims, header) = parse_idx(name, &bytes, 3)?;
    if dims[1] == 0 || dims[2] == 0 {
        bail!("{name}: images of size {}x{}", dims[2], dims[1]);
    }
    let shape = ImageShape {
        channels: 1,
        height: dims[1],
        width: dims[2],
    };
    let pixels = bytes[header..].iter().map(|&b| b as f32 / 255.0).collect();
    Ok((shape, pixels, dims[0]))
}

/// Reads an IDX label file (`idx1`).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    parse_idx_labels(read_raw(path)?, &path.display().to_string())
}

/// Like [`read_idx_labels`], for the file's bytes (gzipped or not); `name` goes in errors.
pub fn parse_idx_labels(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>> {
    let bytes = maybe_gunzip(bytes, name)?;
    let (_, header) = parse_idx(name, &bytes, 1)?;
    Ok(bytes[header..].to_vec())
}
