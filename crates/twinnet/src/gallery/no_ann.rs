//! Built without the `ann` feature: there is no approximate index, and a directory gallery is
//! always searched by the exact scan. This type has no values, so no code path can hold one.

use crate::distance::Distance;
use anyhow::{bail, Result};
use std::path::Path;

/// Candidates the index path would fetch at least (unused without an index).
pub const MIN_CANDIDATES: usize = 16;

/// An approximate index that cannot exist in this build.
#[derive(Debug)]
pub enum AnnIndex {}

impl AnnIndex {
    /// Refuses: this build has no index.
    pub fn build(_: Distance, _: usize, _: &[u64], _: &[f32]) -> Result<Self> {
        bail!("twinnet was built without the `ann` feature (no approximate gallery index)")
    }
    /// Refuses: this build has no index.
    pub fn load(_: &Path, d: Distance, dim: usize, _: usize) -> Result<Self> {
        Self::build(d, dim, &[], &[])
    }
    /// Never called: there is no index to save.
    pub fn save(&self, _: &Path) -> Result<()> {
        match *self {}
    }
    /// Never called.
    pub fn add(&self, _: u64, _: &[f32]) -> Result<()> {
        match *self {}
    }
    /// Never called.
    pub fn remove(&self, _: u64) -> Result<()> {
        match *self {}
    }
    /// Never called.
    pub fn candidates(&self, _: &[f32], _: usize) -> Result<Vec<u64>> {
        match *self {}
    }
}
