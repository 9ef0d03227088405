//! Galleries: enrolled embeddings with labels, searched for "who is this?".
//!
//! A gallery keeps embeddings, never the inputs they came from, and remembers the fingerprint of
//! the model that made them: embeddings of two models are not comparable, so enrolling or
//! searching with another model is refused.

#[cfg(feature = "ann")]
pub mod ann;
#[cfg(not(feature = "ann"))]
#[path = "no_ann.rs"]
pub mod ann;
mod claim;
mod dir;
pub(crate) mod file;
#[cfg(feature = "gallery-pg")]
pub mod pg;

pub use claim::{ClaimCheck, ClaimScore};
pub use dir::{DirGallery, DEFAULT_INDEX_ABOVE, GALLERY_FILE};
#[cfg(feature = "gallery-pg")]
pub use pg::PgGallery;

/// Whether a gallery spec names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// Refuses a gallery spec that names a directory holding no gallery yet (a database is checked
/// when it is opened): searching an empty place is a mistake in the spec, not "unknown".
pub fn require_existing(spec: &str) -> Result<()> {
    if !is_postgres_url(spec) && !std::path::Path::new(spec).join(GALLERY_FILE).is_file() {
        anyhow::bail!("{spec} is not a gallery (enrol something first)");
    }
    Ok(())
}

#[cfg(not(feature = "gallery-pg"))]
fn no_pg<T>() -> Result<T> {
    anyhow::bail!("twinnet was built without the `gallery-pg` feature; use a gallery directory")
}

use crate::distance::Distance;
use anyhow::Result;

/// What an enrolment added: the label, the new entries' ids and the gallery's size after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Enrolment {
    /// The label the inputs were enrolled under.
    pub label: String,
    /// Ids of the new entries.
    pub ids: Vec<u64>,
    /// Entries in the gallery now.
    pub entries: usize,
}

impl std::fmt::Display for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, label, ids, entries) = (self.ids.len(), &self.label, &self.ids, self.entries);
        write!(
            f,
            "enrolled {n} as '{label}' (ids {ids:?}); the gallery holds {entries} entries"
        )
    }
}
use serde::{Deserialize, Serialize};

/// One enrolled embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct Entry {
    /// Stable id, never reused within a gallery.
    pub id: u64,
    /// Who or what it is.
    pub label: String,
    /// Where it came from (file name or text), for people reading `gallery list`.
    pub source: String,
}

/// A search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct Hit {
    /// The entry's id.
    pub id: u64,
    /// Its label.
    pub label: String,
    /// Distance from the query under the gallery's distance.
    pub distance: f32,
}

/// The answer to "who is this?".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct Identification {
    /// The best match's label, or "unknown" when it is beyond the threshold (or there is no
    /// match at all).
    pub label: String,
    /// Distance to the best match.
    pub distance: Option<f32>,
    /// The threshold decided with.
    pub threshold: f32,
    /// The nearest entries, nearest first.
    pub matches: Vec<Hit>,
}

impl Identification {
    /// Decides from the nearest entries: a match counts only within `threshold`, so a stranger
    /// is "unknown" rather than the least unlike person enrolled.
    pub fn decide(matches: Vec<Hit>, threshold: f32) -> Self {
        let best = matches.first();
        Self {
            label: match best {
                Some(h) if h.distance <= threshold => h.label.clone(),
                _ => "unknown".into(),
            },
            distance: best.map(|h| h.distance),
            threshold,
            matches,
        }
    }
}

/// What every gallery store offers; the directory store is the embedded default.
pub trait GalleryStore {
    /// Fingerprint of the model whose embeddings the gallery holds.
    fn fingerprint(&self) -> &str;
    /// Embedding length.
    fn dim(&self) -> usize;
    /// Adds embeddings with their labels and sources, committed together; returns their ids.
    fn add(&mut self, items: Vec<(String, String, Vec<f32>)>) -> Result<Vec<u64>>;
    /// Removes an entry; `false` when there is no such id.
    fn remove(&mut self, id: u64) -> Result<bool>;
    /// All entries, in enrolment order.
    fn entries(&self) -> Vec<Entry>;
    /// Number of entries.
    fn len(&self) -> usize;
    /// No entries yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `k` nearest entries to `query`, nearest first (ties by id).
    fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>>;
    /// Every entry enrolled as `label`, with its exact distance from `query`, nearest first
    /// (ties by id): the references a claim of identity is checked against.
    fn label_hits(&self, query: &[f32], label: &str) -> Result<Vec<Hit>>;
    /// Whether another process has committed changes this copy has not read (cheap to ask:
    /// a long-lived holder such as the server asks before every read).
    fn is_stale(&self) -> bool {
        false
    }
    /// Reads the changes another process committed since; returns whether there were any.
    /// (A store that reads its backing storage on every call has nothing to do.)
    fn refresh(&mut self) -> Result<bool> {
        Ok(false)
    }
}

/// A gallery of either store, for the commands and the service.
pub type AnyGallery = Box<dyn GalleryStore + Send + Sync>;

/// Opens the gallery `spec` names — a `postgres://` URL or a directory — for a model with this
/// fingerprint, dimension and distance (the directory store indexes from `index_above` entries).
pub fn open_gallery(
    spec: &str,
    fingerprint: &str,
    dim: usize,
    distance: Distance,
    index_above: usize,
) -> Result<AnyGallery> {
    if is_postgres_url(spec) {
        #[cfg(feature = "gallery-pg")]
        return Ok(Box::new(PgGallery::open(spec, fingerprint, dim, distance)?));
        #[cfg(not(feature = "gallery-pg"))]
        return no_pg();
    }
    let mut g = DirGallery::open(std::path::Path::new(spec), fingerprint, dim, distance)?;
    g.set_index_above(index_above)?;
    Ok(Box::new(g))
}

/// Opens an existing gallery without a model (listing, removing).
pub fn read_gallery(spec: &str) -> Result<AnyGallery> {
    if is_postgres_url(spec) {
        #[cfg(feature = "gallery-pg")]
        return Ok(Box::new(PgGallery::read(spec)?));
        #[cfg(not(feature = "gallery-pg"))]
        return no_pg();
    }
    Ok(Box::new(DirGallery::read(std::path::Path::new(spec))?))
}

/// Exact nearest neighbours by a full scan: the `k` smallest distances, nearest first.
pub fn exact_search(
    distance: Distance,
    rows: &[f32],
    dim: usize,
    ids: &[u64],
    query: &[f32],
    k: usize,
) -> Vec<(u64, f32)> {
    let mut scored: Vec<(u64, f32)> = rows
        .chunks(dim)
        .zip(ids)
        .map(|(row, &id)| (id, distance.between(row, query)))
        .collect();
    let k = k.min(scored.len());
    if k == 0 {
        return Vec::new();
    }
    let cmp = |a: &(u64, f32), b: &(u64, f32)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    scored.select_nth_unstable_by(k - 1, cmp);
    scored.truncate(k);
    scored.sort_by(cmp);
    scored
}
