//! The approximate index for large galleries: an HNSW graph from `usearch`.
//!
//! The index only proposes candidates; their distances are recomputed exactly from the
//! gallery's own rows, so an indexed gallery reports the same distances as a scanned one and
//! differs only when the graph misses a neighbour. Vectors are stored as f32 (usearch's default
//! is bf16, which would move distances).

use crate::distance::Distance;
use anyhow::{anyhow, Context, Result};
use std::path::Path;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Graph degree (edges per node): usearch's default, a good recall/memory balance at 64–384 d.
const CONNECTIVITY: usize = 16;
/// Candidate list while inserting: higher builds a better graph, slower.
const EXPANSION_ADD: usize = 128;
/// Candidate list while searching: higher finds more true neighbours, slower.
const EXPANSION_SEARCH: usize = 96;
/// Fewest candidates asked of the graph per query, re-ranked exactly.
pub const MIN_CANDIDATES: usize = 16;

/// An HNSW index over a gallery's embeddings, keyed by entry id.
pub struct AnnIndex {
    index: Index,
}

impl std::fmt::Debug for AnnIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnIndex")
            .field("size", &self.index.size())
            .finish()
    }
}

fn usearch_err<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> anyhow::Error + '_ {
    move |e| anyhow!("{what}: {e}")
}

/// Concurrent operations the index keeps scratch space for; a search beyond that many at once
/// is refused by usearch, and the gallery answers it with an exact scan instead.
const THREAD_CONTEXTS: usize = 64;

fn options(distance: Distance, dim: usize) -> IndexOptions {
    IndexOptions {
        dimensions: dim,
        // Candidates are re-ranked by `distance` itself; the graph only needs the same order.
        metric: match distance {
            Distance::Cosine => MetricKind::Cos,
            Distance::Euclidean | Distance::SquaredEuclidean => MetricKind::L2sq,
        },
        quantization: ScalarKind::F32,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    }
}

impl AnnIndex {
    /// Builds an index over `rows` (`ids.len()` rows of `dim` values), inserting in parallel.
    pub fn build(distance: Distance, dim: usize, ids: &[u64], rows: &[f32]) -> Result<Self> {
        let index =
            Index::new(&options(distance, dim)).map_err(usearch_err("cannot create index"))?;
        index
            .reserve_capacity_and_threads(ids.len().max(1), THREAD_CONTEXTS)
            .map_err(usearch_err("cannot reserve index"))?;
        let this = Self { index };
        use rayon::prelude::*;
        ids.par_iter()
            .zip(rows.par_chunks(dim))
            .try_for_each(|(&id, row)| this.add(id, row))?;
        Ok(this)
    }

    /// Loads an index saved with [`AnnIndex::save`], checking it matches the gallery.
    pub fn load(path: &Path, distance: Distance, dim: usize, len: usize) -> Result<Self> {
        let index =
            Index::new(&options(distance, dim)).map_err(usearch_err("cannot create index"))?;
        let p = path.to_str().context("index path is not UTF-8")?;
        index.load(p).map_err(usearch_err(&format!(
            "cannot load index {}",
            path.display()
        )))?;
        if index.dimensions() != dim || index.size() != len {
            anyhow::bail!(
                "{}: index holds {} × {}-d, the gallery {len} × {dim}-d",
                path.display(),
                index.size(),
                index.dimensions()
            );
        }
        index
            .reserve_capacity_and_threads(len + 1, THREAD_CONTEXTS)
            .map_err(usearch_err("cannot reserve index"))?;
        Ok(Self { index })
    }

    /// Writes the index to `path` (the caller renames it into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        let p = path.to_str().context("index path is not UTF-8")?;
        self.index.save(p).map_err(usearch_err(&format!(
            "cannot save index {}",
            path.display()
        )))
    }

    /// Adds one embedding.
    pub fn add(&self, id: u64, row: &[f32]) -> Result<()> {
        if self.index.size() + 1 > self.index.capacity() {
            self.index
                .reserve_capacity_and_threads(
                    (self.index.capacity() * 2).max(1024),
                    THREAD_CONTEXTS,
                )
                .map_err(usearch_err("cannot grow index"))?;
        }
        self.index
            .add(id, row)
            .map_err(usearch_err("cannot add to index"))
    }

    /// Removes one embedding.
    pub fn remove(&self, id: u64) -> Result<()> {
        self.index
            .remove(id)
            .map(|_| ())
            .map_err(usearch_err("cannot remove from index"))
    }

    /// Ids of up to `n` approximate nearest neighbours of `query`.
    pub fn candidates(&self, query: &[f32], n: usize) -> Result<Vec<u64>> {
        Ok(self
            .index
            .search(query, n)
            .map_err(usearch_err("index search failed"))?
            .keys)
    }
}
