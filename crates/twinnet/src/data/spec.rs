//! `--data SPEC`: a path whose format is detected, or forced with `idx:`, `folder:`, `pairs:`,
//! `signatures:` (a signature folder is never guessed: it looks like an image folder).

use super::Handwriting;
use anyhow::{bail, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// The formats a SPEC can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// A folder of MNIST-style IDX files.
    Idx,
    /// A folder with one sub-folder of images per class.
    Folder,
    /// A TSV pair list.
    Pairs,
    /// A signature folder: `<writer>/genuine/*` and `<writer>/forged/*`.
    Signatures,
}

/// A parsed `--data` value.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    /// The detected or forced format.
    pub format: DataFormat,
    /// The path it points at.
    pub path: PathBuf,
    /// For image folders: how many folder levels down the classes sit (1: `root/<class>/`).
    pub class_depth: usize,
    /// Handwriting preprocessing applied to every image (none: resize and scale).
    pub handwriting: Option<Handwriting>,
}

impl DataSpec {
    /// Parses and checks a SPEC; a missing path is an error that names it.
    pub fn parse(spec: &str) -> Result<Self> {
        let (forced, rest) = match spec.split_once(':') {
            Some(("idx", r)) => (Some(DataFormat::Idx), r),
            Some(("folder", r)) => (Some(DataFormat::Folder), r),
            Some(("pairs", r)) => (Some(DataFormat::Pairs), r),
            Some(("signatures", r)) => (Some(DataFormat::Signatures), r),
            _ => (None, spec),
        };
        let path = PathBuf::from(rest);
        if !path.exists() {
            bail!("data path {} does not exist", path.display());
        }
        let format = match forced {
            Some(f) => f,
            None => detect(&path)?,
        };
        Ok(Self {
            format,
            path,
            class_depth: 1,
            handwriting: None,
        })
    }
}

fn detect(path: &Path) -> Result<DataFormat> {
    if path.is_file() {
        return Ok(DataFormat::Pairs);
    }
    let has_idx = std::fs::read_dir(path)?
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains("-ubyte"));
    Ok(if has_idx {
        DataFormat::Idx
    } else {
        DataFormat::Folder
    })
}

impl fmt::Display for DataSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.format {
            DataFormat::Idx => "idx",
            DataFormat::Folder => "folder",
            DataFormat::Pairs => "pairs",
            DataFormat::Signatures => "signatures",
        };
        write!(f, "{p}:{}", self.path.display())
    }
}
