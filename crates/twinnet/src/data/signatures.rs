//! Signature sets: `DIR/<writer>/genuine/*` and `DIR/<writer>/forged/*` (SVC2004 as shipped).
//!
//! Writers are the classes. A writer's forgeries are skilled forgeries of *that* writer's
//! signature (made by someone who practised it); they are kept apart from the genuine ones
//! because a forgery is never "the same" as anything: it is the hard negative of its writer.

use super::folder::is_image;
use super::image_input::{load_image_with, probe_image_shape};
use super::{Handwriting, ImageShape, LabeledImages};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// Genuine signatures and skilled forgeries, labelled by writer.
#[derive(Debug, Clone)]
pub struct SignatureSet {
    /// Every image, labelled with its writer (the class names are the writer folders).
    pub images: LabeledImages,
    /// Whether item `i` is a forgery of its writer's signature.
    pub forged: Vec<bool>,
}

impl SignatureSet {
    /// Keeps the writers named in `names`, in that order (unknown names are an error listing
    /// the writers there are).
    pub fn select_writers(self, names: &[String]) -> Result<Self> {
        let map = self.images.class_map(names)?;
        let keep: Vec<usize> = (0..self.images.len())
            .filter(|&i| map[self.images.labels[i]].is_some())
            .collect();
        let mut images = self.images.subset(&keep);
        images.labels = keep
            .iter()
            .filter_map(|&i| map[self.images.labels[i]])
            .collect();
        images.class_names = names.to_vec();
        let forged = keep.iter().map(|&i| self.forged[i]).collect();
        Ok(Self { images, forged })
    }

    /// Indices of writer `w`'s genuine signatures and of its forgeries.
    pub fn writer_items(&self, w: usize) -> (Vec<usize>, Vec<usize>) {
        let mut genuine = Vec::new();
        let mut forged = Vec::new();
        for (i, (&l, &f)) in self.images.labels.iter().zip(&self.forged).enumerate() {
            if l == w {
                if f {
                    forged.push(i)
                } else {
                    genuine.push(i)
                }
            }
        }
        (genuine, forged)
    }
}

/// Reads a signature folder. Every writer folder must hold `genuine/` with at least two
/// images and `forged/` with at least one; anything else is an error naming the writer.
pub fn read_signatures(
    root: &Path,
    shape: Option<ImageShape>,
    handwriting: Option<&Handwriting>,
) -> Result<SignatureSet> {
    let mut writers: Vec<(String, PathBuf)> = fs::read_dir(root)
        .with_context(|| format!("cannot read signature folder {}", root.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    // Natural order: user2 before user10.
    writers.sort_by_key(|w| natural_key(&w.0));
    if writers.is_empty() {
        bail!(
            "{} has no writer folders (expected {}/<writer>/genuine/<image> and …/forged/<image>)",
            root.display(),
            root.display()
        );
    }
    let mut files: Vec<(usize, bool, PathBuf)> = Vec::new();
    for (wi, (name, dir)) in writers.iter().enumerate() {
        let genuine = images_in(&dir.join("genuine"), name, "genuine")?;
        if genuine.len() < 2 {
            bail!(
                "writer {name}: {} holds {} genuine signature(s); at least 2 are needed to make a genuine pair",
                dir.join("genuine").display(),
                genuine.len()
            );
        }
        let forged = images_in(&dir.join("forged"), name, "forged")?;
        if forged.is_empty() {
            bail!(
                "writer {name}: {} holds no forgeries; every writer needs skilled forgeries",
                dir.join("forged").display()
            );
        }
        files.extend(genuine.into_iter().map(|p| (wi, false, p)));
        files.extend(forged.into_iter().map(|p| (wi, true, p)));
    }
    let shape = match shape {
        Some(s) => s,
        None => probe_image_shape(&files[0].2)?,
    };
    let decoded: Vec<Vec<f32>> = files
        .par_iter()
        .map(|(wi, _, p)| {
            load_image_with(p, shape, handwriting)
                .with_context(|| format!("writer {}", writers[*wi].0))
        })
        .collect::<Result<_>>()?;
    Ok(SignatureSet {
        images: LabeledImages {
            pixels: decoded.concat(),
            labels: files.iter().map(|f| f.0).collect(),
            class_names: writers.into_iter().map(|(n, _)| n).collect(),
            shape,
        },
        forged: files.iter().map(|f| f.1).collect(),
    })
}

fn images_in(dir: &Path, writer: &str, kind: &str) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!(
            "writer {writer}: {} is missing (a signature folder holds <writer>/genuine/ and <writer>/forged/)",
            dir.display()
        );
    }
    let mut imgs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| {
            format!(
                "writer {writer}: cannot read {kind} folder {}",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_image(p))
        .collect();
    imgs.sort_by_key(|p| natural_key(&p.to_string_lossy()));
    Ok(imgs)
}

/// Sort key that orders embedded numbers by value (`U1S2` < `U1S10`).
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in s.chars() {
        match (c.to_digit(10), num) {
            (Some(d), Some(n)) => num = Some(n.saturating_mul(10).saturating_add(d as u64)),
            (Some(d), None) => num = Some(d as u64),
            (None, Some(n)) => {
                out.push((std::mem::take(&mut text), n));
                num = None;
                text.push(c);
            }
            (None, None) => text.push(c),
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

#[cfg(test)]
mod tests {
    use super::natural_key;

    #[test]
    fn natural_order_sorts_numbers_by_value() {
        let mut v = vec!["user10", "user2", "user1", "user20", "user3"];
        v.sort_by_key(|s| natural_key(s));
        assert_eq!(v, ["user1", "user2", "user3", "user10", "user20"]);
        let mut f = vec!["U1S10.jpg", "U1S2.jpg", "U1S1.jpg"];
        f.sort_by_key(|s| natural_key(s));
        assert_eq!(f, ["U1S1.jpg", "U1S2.jpg", "U1S10.jpg"]);
    }
}
