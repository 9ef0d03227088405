//! Pair lists: `path_a<TAB>path_b<TAB>label` with `1 = same`, `0 = different`.

use super::image_input::probe_image_shape;
use super::{load_image_with, Handwriting, ImageShape};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Labelled pairs of images, each distinct image decoded once.
#[derive(Debug, Clone)]
pub struct PairList {
    /// Pixels of every distinct image, `[C, H, W]` each, in `[0, 1]`.
    pub pixels: Vec<f32>,
    /// Shape of one image.
    pub shape: ImageShape,
    /// `(image a, image b, same)` as indices into the images.
    pub pairs: Vec<(usize, usize, bool)>,
    /// Paths of the distinct images, in index order.
    pub paths: Vec<PathBuf>,
}

impl PairList {
    /// Pixels of image `i`.
    pub fn item(&self, i: usize) -> &[f32] {
        let n = self.shape.numel();
        &self.pixels[i * n..(i + 1) * n]
    }
}

/// Reads a TSV pair list. Relative paths are taken from the list's folder; blank lines and
/// lines starting with `#` are skipped, and a first line whose label is not 0/1 is a header.
/// Labels use the common convention `1 = same`, `0 = different` (also `same`/`different`,
/// `true`/`false`).
pub fn read_pair_list(
    path: &Path,
    shape: Option<ImageShape>,
    handwriting: Option<&Handwriting>,
) -> Result<PairList> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read pair list {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let mut paths = Vec::new();
    let mut pairs = Vec::new();
    let mut seen_row = false;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 3 {
            bail!(
                "{}:{}: expected 3 tab-separated columns (path_a, path_b, label), found {}",
                path.display(),
                lineno + 1,
                cols.len()
            );
        }
        let first_row = !seen_row;
        seen_row = true;
        let same = match parse_label(cols[2].trim()) {
            Some(s) => s,
            None if first_row => continue, // a header line
            None => bail!(
                "{}:{}: label '{}' is not 1 (same) or 0 (different)",
                path.display(),
                lineno + 1,
                cols[2]
            ),
        };
        let mut idx = |p: &str| -> usize {
            let full = base.join(p);
            *index.entry(full.clone()).or_insert_with(|| {
                paths.push(full);
                paths.len() - 1
            })
        };
        let a = idx(cols[0].trim());
        let b = idx(cols[1].trim());
        pairs.push((a, b, same));
    }
    if pairs.is_empty() {
        bail!("{} holds no pairs", path.display());
    }
    if let Some(missing) = paths.iter().find(|p| !p.is_file()) {
        bail!(
            "{}: image {} does not exist",
            path.display(),
            missing.display()
        );
    }
    let shape = match shape {
        Some(s) => s,
        None => probe_image_shape(&paths[0])?,
    };
    let decoded: Vec<Vec<f32>> = paths
        .par_iter()
        .map(|p| load_image_with(p, shape, handwriting))
        .collect::<Result<_>>()?;
    Ok(PairList {
        pixels: decoded.concat(),
        shape,
        pairs,
        paths,
    })
}

fn parse_label(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "same" | "true" => Some(true),
        "0" | "different" | "false" => Some(false),
        _ => None,
    }
}
