//! How fast "who is this?" is answered on a large gallery, exact scan against the approximate
//! index, and how often the index finds the scan's nearest entry.
//!
//! The data imitate a face gallery: many identities with a few enrolments each (clustered
//! 64-d points), queried with new noisy samples of enrolled identities.

use crate::percentile;
use anyhow::Result;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use twinnet::distance::Distance;
use twinnet::gallery::{exact_search, DirGallery, GalleryStore};

/// Search figures for one gallery size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GalleryBench {
    /// Entries in the gallery.
    pub entries: usize,
    /// Embedding length.
    pub dim: usize,
    /// Queries timed.
    pub queries: usize,
    /// Seconds to build the approximate index.
    pub index_build_s: f64,
    /// Median / 99th percentile ms per query, exact scan (one thread).
    pub exact_p50_ms: f64,
    /// 99th percentile of the exact scan.
    pub exact_p99_ms: f64,
    /// Median ms per query through the index (one thread), including exact re-ranking.
    pub index_p50_ms: f64,
    /// 99th percentile through the index.
    pub index_p99_ms: f64,
    /// Share of queries whose top-1 equals the exact scan's.
    pub recall_at_1: f64,
    /// Share of the exact top-10 found in the index's top-10.
    pub recall_at_10: f64,
}

/// `entries` clustered 64-d points (10 per identity), `queries` new samples; times both paths
/// on a gallery in a temporary directory.
pub fn bench_gallery(entries: usize, queries: usize, seed: u64) -> Result<GalleryBench> {
    let dim = 64;
    let per = 10;
    let identities = entries.div_ceil(per).max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<f32> = (0..identities * dim)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    let sample = |c: usize, rng: &mut rand_chacha::ChaCha8Rng| -> Vec<f32> {
        centres[c * dim..(c + 1) * dim]
            .iter()
            .map(|v| v + rng.random_range(-0.6f32..0.6))
            .collect()
    };
    let items: Vec<(String, String, Vec<f32>)> = (0..entries)
        .map(|i| {
            let c = i / per;
            (format!("id{c}"), String::new(), sample(c, &mut rng))
        })
        .collect();
    let qs: Vec<Vec<f32>> = (0..queries)
        .map(|_| {
            let c = rng.random_range(0..identities);
            sample(c, &mut rng)
        })
        .collect();
    let rows: Vec<f32> = items.iter().flat_map(|i| i.2.iter().copied()).collect();
    let ids: Vec<u64> = (1..=entries as u64).collect();

    let dir = tempfile::tempdir()?;
    let mut g = DirGallery::open(dir.path(), "bench", dim, Distance::Euclidean)?;
    g.set_index_above(usize::MAX)?;
    g.add(items)?;
    let time = |g: &DirGallery| -> Result<(Vec<f64>, Vec<Vec<u64>>)> {
        let mut ms = Vec::with_capacity(qs.len());
        let mut found = Vec::with_capacity(qs.len());
        for q in &qs {
            let t = Instant::now();
            let hits = g.search(q, 10)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            found.push(hits.into_iter().map(|h| h.id).collect());
        }
        ms.sort_by(f64::total_cmp);
        Ok((ms, found))
    };
    let (exact_ms, exact_found) = time(&g)?;
    let t = Instant::now();
    g.set_index_above(1)?;
    let index_build_s = t.elapsed().as_secs_f64();
    let (index_ms, index_found) = time(&g)?;

    // The scan through the gallery must agree with the plain function (a self-check).
    debug_assert_eq!(
        exact_search(Distance::Euclidean, &rows, dim, &ids, &qs[0], 1)[0].0,
        exact_found[0][0]
    );
    let n = qs.len().max(1) as f64;
    let at1 = exact_found
        .iter()
        .zip(&index_found)
        .filter(|(e, i)| e.first() == i.first())
        .count() as f64
        / n;
    let at10 = exact_found
        .iter()
        .zip(&index_found)
        .map(|(e, i)| e.iter().filter(|id| i.contains(id)).count() as f64 / e.len().max(1) as f64)
        .sum::<f64>()
        / n;
    Ok(GalleryBench {
        entries,
        dim,
        queries,
        index_build_s,
        exact_p50_ms: percentile(&exact_ms, 0.5),
        exact_p99_ms: percentile(&exact_ms, 0.99),
        index_p50_ms: percentile(&index_ms, 0.5),
        index_p99_ms: percentile(&index_ms, 0.99),
        recall_at_1: at1,
        recall_at_10: at10,
    })
}
