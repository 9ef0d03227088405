//! The embedded gallery store: one file in a directory, rewritten atomically on every change
//! (temporary file, fsync, rename), so a crash at any point leaves the last committed state.
//!
//! File `gallery.twg`: 8 bytes little-endian header length, the JSON header (format, model
//! fingerprint, dimension, distance, next id, entries), then the embeddings as little-endian
//! f32 rows in entry order.

use super::{exact_search, Entry, GalleryStore, Hit};
use crate::distance::Distance;
use crate::fsutil::write_atomic;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File name inside a gallery directory.
pub const GALLERY_FILE: &str = "gallery.twg";
const FORMAT: &str = "twinnet-gallery";
const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    fingerprint: String,
    dim: usize,
    distance: Distance,
    next_id: u64,
    entries: Vec<Entry>,
}

/// A gallery kept in a directory on disk.
#[derive(Debug)]
pub struct DirGallery {
    dir: PathBuf,
    header: Header,
    rows: Vec<f32>,
}

impl DirGallery {
    /// Opens the gallery in `dir`, or starts an empty one there (written on the first change).
    /// Refuses a gallery made by another model (`fingerprint`) or of another dimension.
    pub fn open(dir: &Path, fingerprint: &str, dim: usize, distance: Distance) -> Result<Self> {
        let path = dir.join(GALLERY_FILE);
        if !path.exists() {
            if dir.exists() && !dir.is_dir() {
                bail!("{} exists and is not a directory", dir.display());
            }
            return Ok(Self {
                dir: dir.to_path_buf(),
                header: Header {
                    format: FORMAT.into(),
                    version: VERSION,
                    fingerprint: fingerprint.into(),
                    dim,
                    distance,
                    next_id: 1,
                    entries: Vec::new(),
                },
                rows: Vec::new(),
            });
        }
        let g = Self::read(dir)?;
        if g.header.fingerprint != fingerprint {
            bail!(
                "{} holds embeddings of another model (fingerprint {}); this model is {}",
                dir.display(),
                g.header.fingerprint,
                fingerprint
            );
        }
        if g.header.dim != dim {
            bail!(
                "{} holds {}-d embeddings; this model makes {dim}-d ones",
                dir.display(),
                g.header.dim
            );
        }
        Ok(g)
    }

    /// Reads an existing gallery without a model (for listing and removing).
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(GALLERY_FILE);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read gallery {}", path.display()))?;
        let bad = |why: &str| anyhow::anyhow!("{}: not a valid gallery ({why})", path.display());
        if bytes.len() < 8 {
            return Err(bad("too short"));
        }
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        let body = bytes.get(8..8 + n).ok_or_else(|| bad("truncated header"))?;
        let header: Header = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        if header.format != FORMAT || header.version > VERSION {
            return Err(bad("unknown format or newer version"));
        }
        let data = &bytes[8 + n..];
        if data.len() != header.entries.len() * header.dim * 4 {
            return Err(bad("embedding block does not match the entries"));
        }
        let rows = data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(Self {
            dir: dir.to_path_buf(),
            header,
            rows,
        })
    }

    /// The distance entries are compared by.
    pub fn distance(&self) -> Distance {
        self.header.distance
    }

    fn commit(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create gallery {}", self.dir.display()))?;
        let header = serde_json::to_vec(&self.header)?;
        let mut bytes = Vec::with_capacity(8 + header.len() + self.rows.len() * 4);
        bytes.extend((header.len() as u64).to_le_bytes());
        bytes.extend(header);
        bytes.extend(self.rows.iter().flat_map(|v| v.to_le_bytes()));
        write_atomic(&self.dir.join(GALLERY_FILE), &bytes)
    }

    fn ids(&self) -> Vec<u64> {
        self.header.entries.iter().map(|e| e.id).collect()
    }
}

impl GalleryStore for DirGallery {
    fn fingerprint(&self) -> &str {
        &self.header.fingerprint
    }

    fn dim(&self) -> usize {
        self.header.dim
    }

    fn add(&mut self, items: Vec<(String, String, Vec<f32>)>) -> Result<Vec<u64>> {
        let mut ids = Vec::with_capacity(items.len());
        for (label, source, e) in items {
            if e.len() != self.header.dim {
                bail!(
                    "embedding of {source} has {} values, the gallery {}",
                    e.len(),
                    self.header.dim
                );
            }
            if label.trim().is_empty() {
                bail!("a label must not be empty");
            }
            let id = self.header.next_id;
            self.header.next_id += 1;
            self.header.entries.push(Entry { id, label, source });
            self.rows.extend(e);
            ids.push(id);
        }
        self.commit()?;
        Ok(ids)
    }

    fn remove(&mut self, id: u64) -> Result<bool> {
        let Some(pos) = self.header.entries.iter().position(|e| e.id == id) else {
            return Ok(false);
        };
        self.header.entries.remove(pos);
        let d = self.header.dim;
        self.rows.drain(pos * d..(pos + 1) * d);
        self.commit()?;
        Ok(true)
    }

    fn entries(&self) -> Vec<Entry> {
        self.header.entries.clone()
    }

    fn len(&self) -> usize {
        self.header.entries.len()
    }

    fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>> {
        if query.len() != self.header.dim {
            bail!(
                "query has {} values, the gallery {}",
                query.len(),
                self.header.dim
            );
        }
        let ids = self.ids();
        Ok(exact_search(
            self.header.distance,
            &self.rows,
            self.header.dim,
            &ids,
            query,
            k,
        )
        .into_iter()
        .map(|(id, distance)| Hit {
            id,
            label: self
                .header
                .entries
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.label.clone())
                .unwrap_or_default(),
            distance,
        })
        .collect())
    }
}
