//! The scale-out gallery store: PostgreSQL with pgvector, for galleries shared by several
//! servers or too large to keep in one process.
//!
//! `postgres://user@host:port/db?gallery=NAME` (NAME defaults to `default`). Each gallery is a
//! table `twinnet_entries_NAME` with an HNSW index on its `vector(dim)` column, plus a row in
//! `twinnet_galleries` holding the model fingerprint, dimension and distance. The index proposes
//! candidates; their distances are recomputed exactly here, so this store answers with the same
//! distances as the embedded one.

use super::{Entry, GalleryStore, Hit};
use crate::distance::Distance;
use anyhow::{bail, Context, Result};
use pgvector::Vector;
use postgres::{Client, NoTls};
use std::sync::Mutex;

/// Fewest rows asked of the HNSW index per query, re-ranked exactly.
const MIN_CANDIDATES: i64 = 16;
/// pgvector's search breadth (`hnsw.ef_search`, default 40): higher finds more true neighbours.
const EF_SEARCH: i64 = 100;
/// Serialises schema changes of concurrent openers (`pg_advisory_xact_lock` key).
const SCHEMA_LOCK: i64 = 0x7477_696e_6e65;

/// A gallery stored in PostgreSQL + pgvector.
pub struct PgGallery {
    client: Mutex<Client>,
    name: String,
    table: String,
    fingerprint: String,
    dim: usize,
    distance: Distance,
    len: usize,
}

impl std::fmt::Debug for PgGallery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgGallery")
            .field("name", &self.name)
            .field("dim", &self.dim)
            .field("len", &self.len)
            .finish()
    }
}

/// Splits `?gallery=NAME` off the URL (the driver refuses parameters it does not know).
fn split_url(url: &str) -> Result<(String, String)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut name = "default".to_string();
    let mut rest = Vec::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        match kv.split_once('=') {
            Some(("gallery", v)) => name = v.to_string(),
            _ => rest.push(kv),
        }
    }
    if name.is_empty()
        || name.len() > 40
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!("gallery name '{name}' in {base}: use 1–40 of a-z, 0-9, _");
    }
    let base = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((base, name))
}

fn distance_name(d: Distance) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn connect(url: &str) -> Result<(Client, String)> {
    let (base, name) = split_url(url)?;
    let mut client = Client::connect(&base, NoTls)
        .with_context(|| format!("cannot connect to PostgreSQL at {base}"))?;
    client
        .batch_execute(&format!("SET hnsw.ef_search = {EF_SEARCH}"))
        .or_else(|_| client.batch_execute("SELECT 1"))
        .context("cannot configure the session")?;
    Ok((client, name))
}

impl PgGallery {
    /// Rows of (id, label, embedding) as hits with exact distances from `query`, nearest first
    /// (ties by id): pgvector's order is approximate once it indexes.
    fn ranked(&self, rows: &[postgres::Row], query: &[f32]) -> Vec<Hit> {
        let mut hits: Vec<Hit> = rows
            .iter()
            .map(|r| {
                let e: Vector = r.get(2);
                Hit {
                    id: r.get::<_, i64>(0) as u64,
                    label: r.get(1),
                    distance: self.distance.between(e.as_slice(), query),
                }
            })
            .collect();
        hits.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.id.cmp(&b.id)));
        hits
    }

    /// Opens the gallery named in `url`, creating its table and index on first use. Refuses a
    /// gallery made by another model or of another dimension.
    pub fn open(url: &str, fingerprint: &str, dim: usize, distance: Distance) -> Result<Self> {
        let (mut client, name) = connect(url)?;
        let table = format!("twinnet_entries_{name}");
        let ops = match distance {
            Distance::Cosine => "vector_cosine_ops",
            Distance::Euclidean | Distance::SquaredEuclidean => "vector_l2_ops",
        };
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        tx.batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS vector;
             CREATE TABLE IF NOT EXISTS twinnet_galleries (
                 name text PRIMARY KEY, fingerprint text NOT NULL, dim integer NOT NULL,
                 distance text NOT NULL);
             CREATE TABLE IF NOT EXISTS {table} (
                 id bigserial PRIMARY KEY, label text NOT NULL, source text NOT NULL,
                 embedding vector({dim}) NOT NULL);
             CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table} USING hnsw (embedding {ops});"
        ))
        .context("cannot create the gallery tables (is the pgvector extension installed?)")?;
        tx.execute(
            "INSERT INTO twinnet_galleries (name, fingerprint, dim, distance)
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            &[&name, &fingerprint, &(dim as i32), &distance_name(distance)],
        )?;
        tx.commit()?;
        let g = Self::from_meta(client, name)?;
        if g.fingerprint != fingerprint {
            bail!(
                "gallery '{}' holds embeddings of another model (fingerprint {}); this model is {}",
                g.name,
                g.fingerprint,
                fingerprint
            );
        }
        if g.dim != dim {
            bail!(
                "gallery '{}' holds {}-d embeddings; this model makes {dim}-d ones",
                g.name,
                g.dim
            );
        }
        Ok(g)
    }

    /// Opens an existing gallery without a model (for listing and removing).
    pub fn read(url: &str) -> Result<Self> {
        let (client, name) = connect(url)?;
        Self::from_meta(client, name)
    }

    fn from_meta(mut client: Client, name: String) -> Result<Self> {
        let has_galleries: bool = client
            .query_one("SELECT to_regclass('twinnet_galleries') IS NOT NULL", &[])?
            .get(0);
        let row = if has_galleries {
            client.query_opt(
                "SELECT fingerprint, dim, distance FROM twinnet_galleries WHERE name = $1",
                &[&name],
            )?
        } else {
            None
        }
        .with_context(|| format!("there is no gallery '{name}' in this database"))?;
        let distance: String = row.get(2);
        let distance: Distance = serde_json::from_value(serde_json::Value::String(
            distance.clone(),
        ))
        .with_context(|| format!("gallery '{name}' has an unknown distance '{distance}'"))?;
        let table = format!("twinnet_entries_{name}");
        let len: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        Ok(Self {
            fingerprint: row.get(0),
            dim: row.get::<_, i32>(1) as usize,
            distance,
            len: len as usize,
            client: Mutex::new(client),
            name,
            table,
        })
    }

    /// Deletes the gallery: its table, index and metadata row.
    pub fn drop_gallery(mut self) -> Result<()> {
        let client = self.client.get_mut().map_err(|_| poisoned())?;
        let mut tx = client.transaction()?;
        tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", self.table))?;
        tx.execute(
            "DELETE FROM twinnet_galleries WHERE name = $1",
            &[&self.name],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn poisoned() -> anyhow::Error {
    anyhow::anyhow!("the database connection was poisoned by a failed request")
}

impl GalleryStore for PgGallery {
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn add(&mut self, items: Vec<(String, String, Vec<f32>)>) -> Result<Vec<u64>> {
        for (label, source, e) in &items {
            if e.len() != self.dim {
                bail!(
                    "embedding of {source} has {} values, the gallery {}",
                    e.len(),
                    self.dim
                );
            }
            if label.trim().is_empty() {
                bail!("a label must not be empty");
            }
        }
        let table = self.table.clone();
        let client = self.client.get_mut().map_err(|_| poisoned())?;
        let mut tx = client.transaction()?;
        let insert = tx.prepare(&format!(
            "INSERT INTO {table} (label, source, embedding) VALUES ($1, $2, $3) RETURNING id"
        ))?;
        let mut ids = Vec::with_capacity(items.len());
        for (label, source, e) in items {
            let row = tx.query_one(&insert, &[&label, &source, &Vector::from(e)])?;
            ids.push(row.get::<_, i64>(0) as u64);
        }
        tx.commit().context("cannot commit the enrolment")?;
        self.len += ids.len();
        Ok(ids)
    }

    fn remove(&mut self, id: u64) -> Result<bool> {
        let table = self.table.clone();
        let client = self.client.get_mut().map_err(|_| poisoned())?;
        let n = client.execute(
            &format!("DELETE FROM {table} WHERE id = $1"),
            &[&(id as i64)],
        )?;
        self.len = self.len.saturating_sub(n as usize);
        Ok(n > 0)
    }

    fn entries(&self) -> Vec<Entry> {
        let Ok(mut client) = self.client.lock() else {
            return Vec::new();
        };
        client
            .query(
                &format!("SELECT id, label, source FROM {} ORDER BY id", self.table),
                &[],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| Entry {
                        id: r.get::<_, i64>(0) as u64,
                        label: r.get(1),
                        source: r.get(2),
                    })
                    .collect()
            })
            .unwrap_or_else(|e| {
                tracing::error!("cannot list gallery '{}': {e}", self.name);
                Vec::new()
            })
    }

    fn len(&self) -> usize {
        self.len
    }

    fn label_hits(&self, query: &[f32], label: &str) -> Result<Vec<Hit>> {
        if query.len() != self.dim {
            bail!("query has {} values, the gallery {}", query.len(), self.dim);
        }
        let mut client = self.client.lock().map_err(|_| poisoned())?;
        let rows = client.query(
            &format!(
                "SELECT id, label, embedding FROM {} WHERE label = $1",
                self.table
            ),
            &[&label],
        )?;
        Ok(self.ranked(&rows, query))
    }

    fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>> {
        if query.len() != self.dim {
            bail!("query has {} values, the gallery {}", query.len(), self.dim);
        }
        let op = match self.distance {
            Distance::Cosine => "<=>",
            Distance::Euclidean | Distance::SquaredEuclidean => "<->",
        };
        let mut client = self.client.lock().map_err(|_| poisoned())?;
        let rows = client.query(
            &format!(
                "SELECT id, label, embedding FROM {} ORDER BY embedding {op} $1 LIMIT $2",
                self.table
            ),
            &[
                &Vector::from(query.to_vec()),
                &(k as i64).max(MIN_CANDIDATES),
            ],
        )?;
        let mut hits = self.ranked(&rows, query);
        hits.truncate(k);
        Ok(hits)
    }
}
