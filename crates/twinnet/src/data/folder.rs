//! Image folders: one sub-folder per class (`root/<class>/<image>`).

use super::image_input::probe_image_shape;
use super::{load_image_with, Handwriting, ImageShape, LabeledImages};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "pgm", "ppm", "pnm", "bmp", "pbm"];

/// Reads every image under `root/<class>/`, class names being the sub-folder names in sorted
/// order. Images are converted and resized to `shape`; without one, the first image's size and
/// colour (grayscale → 1 channel, else 3) set it.
pub fn read_image_folder(root: &Path, shape: Option<ImageShape>) -> Result<LabeledImages> {
    read_image_folder_at_depth(root, shape, 1, None)
}

/// Like [`read_image_folder`], with classes `depth` levels down: at depth 2,
/// `root/alphabet/character/*.png` (Omniglot's layout) gives classes named `alphabet/character`,
/// each image through the handwriting preprocessing when one is given.
pub fn read_image_folder_at_depth(
    root: &Path,
    shape: Option<ImageShape>,
    depth: usize,
    handwriting: Option<&Handwriting>,
) -> Result<LabeledImages> {
    if depth == 0 {
        bail!("`class-depth` must be at least 1");
    }
    let mut classes: Vec<(String, PathBuf)> = vec![(String::new(), root.to_path_buf())];
    for _ in 0..depth {
        let mut next = Vec::new();
        for (name, dir) in &classes {
            let entries = fs::read_dir(dir)
                .with_context(|| format!("cannot read image folder {}", dir.display()))?;
            for e in entries.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()) {
                let part = e.file_name().to_string_lossy().into_owned();
                let full = if name.is_empty() {
                    part
                } else {
                    format!("{name}/{part}")
                };
                next.push((full, e.path()));
            }
        }
        classes = next;
    }
    classes.sort();
    if classes.is_empty() {
        let pattern = vec!["<class>"; depth].join("/");
        bail!(
            "{} has no class folders at depth {depth} (expected {}/{pattern}/<image>)",
            root.display(),
            root.display()
        );
    }
    let mut files: Vec<(usize, PathBuf)> = Vec::new();
    for (ci, (_, dir)) in classes.iter().enumerate() {
        let mut imgs: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot read class folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_image(p))
            .collect();
        imgs.sort();
        files.extend(imgs.into_iter().map(|p| (ci, p)));
    }
    if files.is_empty() {
        bail!(
            "{} holds no images ({})",
            root.display(),
            EXTENSIONS.join(", ")
        );
    }
    let shape = match shape {
        Some(s) => s,
        None => probe_image_shape(&files[0].1)?,
    };
    let decoded: Vec<Vec<f32>> = files
        .par_iter()
        .map(|(_, p)| load_image_with(p, shape, handwriting))
        .collect::<Result<_>>()?;
    Ok(LabeledImages {
        pixels: decoded.concat(),
        labels: files.iter().map(|(c, _)| *c).collect(),
        class_names: classes.into_iter().map(|(n, _)| n).collect(),
        shape,
    })
}

/// True when the file's extension is one of the image formats twinnet reads.
pub fn is_image(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
