//! The gallery file's layout: `gallery.twg` is 8 bytes little-endian header length, the JSON
//! header (format, model fingerprint, dimension, distance, next id, generation, entries, the
//! embedding block's SHA-256), then the embeddings as little-endian f32 rows in entry order.

use super::Entry;
use crate::distance::Distance;
use crate::fsutil::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub(super) const FORMAT: &str = "twinnet-gallery";
pub(super) const VERSION: u32 = 1;
/// Widest embedding a gallery file may declare (16 times Koch et al.'s 4,096-d one); a larger
/// `dim` is damage, and would size allocations from an untrusted number.
pub(super) const MAX_DIM: usize = 1 << 16;
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) fingerprint: String,
    pub(crate) dim: usize,
    pub(super) distance: Distance,
    pub(super) next_id: u64,
    /// Commits so far; names the index file that matches this state.
    #[serde(default)]
    pub(super) generation: u64,
    pub(crate) entries: Vec<Entry>,
    /// SHA-256 of the embedding block, so a damaged file is refused rather than searched
    /// (absent in galleries written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rows_sha256: Option<String>,
}

/// What tells one version of the gallery file from the next: every commit renames a new file
/// into place, so its inode (and usually its length and time) changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DiskStamp {
    inode: u64,
    len: u64,
    modified_ns: i128,
}

impl DiskStamp {
    /// The file's stamp now; `None` when there is no file.
    pub(super) fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Self {
            inode: m.ino(),
            len: m.len(),
            modified_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

/// The header and rows of a gallery file's bytes, or why they are not one.
pub(crate) fn parse_gallery(bytes: &[u8]) -> std::result::Result<(Header, Vec<f32>), String> {
    if bytes.len() < 8 {
        return Err("too short".into());
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let body = usize::try_from(n)
        .ok()
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        .ok_or("truncated header")?;
    let header: Header = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if header.format != FORMAT || header.version > VERSION {
        return Err("unknown format or newer version".into());
    }
    if header.dim == 0 || header.dim > MAX_DIM {
        return Err(format!(
            "it declares {}-d embeddings (1 to {MAX_DIM} are possible)",
            header.dim
        ));
    }
    let data = &bytes[8 + body.len()..];
    let expected = header
        .entries
        .len()
        .checked_mul(header.dim)
        .and_then(|v| v.checked_mul(4));
    if expected != Some(data.len()) {
        return Err("embedding block does not match the entries".into());
    }
    if let Some(sum) = &header.rows_sha256 {
        if &sha256_hex(data) != sum {
            return Err("the embeddings do not match their checksum: the file is damaged".into());
        }
    }
    let rows = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok((header, rows))
}
