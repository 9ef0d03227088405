//! Readers that turn files on disk into labelled images or labelled pairs.
//!
//! Every reader returns pixels as `f32` in `[0, 1]`, laid out `[C, H, W]` per item, so the
//! tower never sees file formats and a model's preprocessing is just "resize and scale".

mod augment;
mod fetch;
mod fetch_face_api;
mod fetch_handwriting;
mod fetch_pets09;
mod folder;
mod frames;
mod handwriting;
mod idx;
mod image_input;
mod pairs;
mod raw_image;
mod sequences;
mod signatures;
mod spec;
mod text;
mod text_formats;
mod text_pairs;

pub use augment::{shift_image, AugmentConfig};
pub use fetch::{fetch, fetch_from, Fetched, FETCHABLE};
pub use fetch_face_api::{read_networks, FetchedNetwork};
pub use fetch_handwriting::{OMNIGLOT_SOURCE, SVC2004_SOURCE};
pub use fetch_pets09::{Pets09Split, PETS09_GT_SOURCE, PETS09_VIDEO};
pub use folder::{read_image_folder, read_image_folder_at_depth};
pub use frames::{exemplar_side, Frame, FrameStore};
pub use handwriting::{otsu_level, Handwriting, Threshold};
pub use idx::{
    parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels, read_idx_split, Split,
};
pub use image_input::{
    load_image_bytes, load_image_bytes_with, load_image_file, load_image_with, save_item_png,
    ImageShape,
};
pub use pairs::{read_pair_list, PairList};
pub use raw_image::{raw_image_input, RawImage, RawPixels};
pub use sequences::{load_sequences, BoxXywh, Sequence, FRAME_LIST_FILE, GROUNDTRUTH_FILE};
pub use signatures::{read_signatures, SignatureSet};
pub use spec::{DataFormat, DataSpec};
pub use text::{read_text_lines, text_lines};
pub use text_pairs::{
    read_labeled_texts, read_positive_pairs, read_text_pairs, read_text_triplets, seeded_subset,
    write_text_triplets, PairTarget, TextPairs,
};

use anyhow::{bail, Result};

/// A loaded `--data` source: labelled items, or a fixed list of labelled pairs.
pub enum Dataset {
    /// Items with class labels (IDX, image folder).
    Labeled(LabeledImages),
    /// A given list of labelled pairs.
    Pairs(PairList),
    /// Genuine signatures and skilled forgeries, labelled by writer.
    Signatures(SignatureSet),
}

impl Dataset {
    /// Shape of one item.
    pub fn shape(&self) -> ImageShape {
        match self {
            Dataset::Labeled(d) => d.shape,
            Dataset::Pairs(p) => p.shape,
            Dataset::Signatures(s) => s.images.shape,
        }
    }

    /// Class names, if the data has classes.
    pub fn class_names(&self) -> Vec<String> {
        match self {
            Dataset::Labeled(d) => d.class_names.clone(),
            Dataset::Pairs(_) => Vec::new(),
            Dataset::Signatures(s) => s.images.class_names.clone(),
        }
    }

    /// Pixels of item `i` (an image of a pair list, or a labelled item).
    pub fn item(&self, i: usize) -> &[f32] {
        match self {
            Dataset::Labeled(d) => d.item(i),
            Dataset::Pairs(p) => p.item(i),
            Dataset::Signatures(s) => s.images.item(i),
        }
    }
}

/// Loads a `--data` spec: the IDX `split`, every image resized to `shape` (or its natural
/// shape), restricted to `classes` when given (not possible for a pair list).
pub fn load_dataset(
    spec: &DataSpec,
    split: Split,
    shape: Option<ImageShape>,
    classes: Option<&[String]>,
) -> Result<Dataset> {
    let data = match spec.format {
        DataFormat::Idx => {
            let d = read_idx_split(&spec.path, split)?;
            if let Some(s) = shape {
                if s != d.shape {
                    bail!(
                        "{} holds {}x{} grayscale images but {}x{}x{} were asked for; IDX images are not resized",
                        spec.path.display(), d.shape.width, d.shape.height, s.channels, s.width, s.height
                    );
                }
            }
            Dataset::Labeled(d)
        }
        DataFormat::Folder => Dataset::Labeled(read_image_folder_at_depth(
            &spec.path,
            shape,
            spec.class_depth,
            spec.handwriting.as_ref(),
        )?),
        DataFormat::Signatures => Dataset::Signatures(read_signatures(
            &spec.path,
            shape,
            spec.handwriting.as_ref(),
        )?),
        DataFormat::Pairs => {
            if classes.is_some() {
                bail!(
                    "`classes` cannot select from a pair list ({}); it has no classes",
                    spec.path.display()
                );
            }
            Dataset::Pairs(read_pair_list(
                &spec.path,
                shape,
                spec.handwriting.as_ref(),
            )?)
        }
    };
    Ok(match (data, classes) {
        (Dataset::Labeled(d), Some(names)) => Dataset::Labeled(d.select_classes(names)?),
        (Dataset::Signatures(s), Some(names)) => Dataset::Signatures(s.select_writers(names)?),
        (d, _) => d,
    })
}

/// Images with a class label each: what IDX files and image folders hold.
#[derive(Debug, Clone)]
pub struct LabeledImages {
    /// Pixels of all items, `len = n · C · H · W`, in `[0, 1]`.
    pub pixels: Vec<f32>,
    /// Class index of each item into `class_names`.
    pub labels: Vec<usize>,
    /// Human names of the classes (a digit, a folder name).
    pub class_names: Vec<String>,
    /// Shape of one item.
    pub shape: ImageShape,
}

impl LabeledImages {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of item `i`.
    pub fn item(&self, i: usize) -> &[f32] {
        let n = self.shape.numel();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Keeps only the items whose class name is in `names`, renumbering the classes in the
    /// order given. A name ending in `/*` stands for every class under that folder, in sorted
    /// order (`Korean/*`: every character of an alphabet). Unknown names are an error that
    /// lists the classes there are.
    pub fn select_classes(self, names: &[String]) -> Result<Self> {
        let names = self.expand_class_patterns(names)?;
        let map = self.class_map(&names)?;
        Ok(self.filter_map_labels(|l| map[l], names))
    }

    /// `names` with every `folder/*` replaced by the classes under `folder/`.
    ///
    /// ```
    /// use twinnet::data::{ImageShape, LabeledImages};
    /// let d = LabeledImages {
    ///     pixels: vec![0.0; 3],
    ///     labels: vec![0, 1, 2],
    ///     class_names: vec!["Greek/c01".into(), "Greek/c02".into(), "Latin/c01".into()],
    ///     shape: ImageShape { channels: 1, height: 1, width: 1 },
    /// };
    /// let names = d.expand_class_patterns(&["Latin/c01".into(), "Greek/*".into()]).unwrap();
    /// assert_eq!(names, ["Latin/c01", "Greek/c01", "Greek/c02"]);
    /// assert!(d.expand_class_patterns(&["Korean/*".into()]).is_err());
    /// ```
    pub fn expand_class_patterns(&self, names: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match name.strip_suffix("/*") {
                Some(folder) => {
                    let prefix = format!("{folder}/");
                    let mut under: Vec<&String> = self
                        .class_names
                        .iter()
                        .filter(|c| c.starts_with(&prefix))
                        .collect();
                    if under.is_empty() {
                        bail!(
                            "'{name}' in `classes` matches no class; the data has {} classes: {}",
                            self.class_names.len(),
                            preview(&self.class_names)
                        );
                    }
                    under.sort();
                    out.extend(under.into_iter().cloned());
                }
                None => out.push(name.clone()),
            }
        }
        Ok(out)
    }

    /// For each class, its index in `names` (`None`: not selected); an unknown or repeated
    /// name is an error listing the classes there are.
    pub(crate) fn class_map(&self, names: &[String]) -> Result<Vec<Option<usize>>> {
        if names.is_empty() {
            bail!("`classes` selects no class; give a comma-separated list such as 0,1,2");
        }
        let mut map = vec![None; self.class_names.len()];
        for (new, name) in names.iter().enumerate() {
            match self.class_names.iter().position(|c| c == name) {
                Some(old) => {
                    if map[old].is_some() {
                        bail!("class '{name}' is listed twice in `classes`");
                    }
                    map[old] = Some(new)
                }
                None => bail!(
                    "unknown class '{name}' in `classes`; the data has {} classes: {}",
                    self.class_names.len(),
                    preview(&self.class_names)
                ),
            }
        }
        Ok(map)
    }

    /// Keeps the items at `indices` (in that order).
    pub fn subset(&self, indices: &[usize]) -> Self {
        let n = self.shape.numel();
        let mut pixels = Vec::with_capacity(indices.len() * n);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            pixels.extend_from_slice(self.item(i));
            labels.push(self.labels[i]);
        }
        Self {
            pixels,
            labels,
            class_names: self.class_names.clone(),
            shape: self.shape,
        }
    }

    /// Number of items in each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    fn filter_map_labels(
        self,
        f: impl Fn(usize) -> Option<usize>,
        class_names: Vec<String>,
    ) -> Self {
        let n = self.shape.numel();
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for (i, &l) in self.labels.iter().enumerate() {
            if let Some(new) = f(l) {
                pixels.extend_from_slice(&self.pixels[i * n..(i + 1) * n]);
                labels.push(new);
            }
        }
        Self {
            pixels,
            labels,
            class_names,
            shape: self.shape,
        }
    }
}

/// Parses a `--classes` value: comma-separated names, blanks ignored.
pub fn parse_class_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn preview(names: &[String]) -> String {
    if names.len() <= 20 {
        names.join(", ")
    } else {
        format!("{}, … ({} more)", names[..20].join(", "), names.len() - 20)
    }
}
