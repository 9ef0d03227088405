//! The embedded gallery store: search order against a hand-made case, persistence, refusal of
//! another model, and a damaged file named in the error.

use twinnet::gallery::{exact_search, DirGallery, GalleryStore, GALLERY_FILE};
use twinnet::Distance;

fn item(label: &str, e: [f32; 2]) -> (String, String, Vec<f32>) {
    (label.into(), format!("{label}.png"), e.to_vec())
}

#[test]
fn enrol_search_remove_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let g_dir = dir.path().join("g");
    let mut g = DirGallery::open(&g_dir, "cnn:abc", 2, Distance::Euclidean).unwrap();
    assert!(
        !g_dir.join(GALLERY_FILE).exists(),
        "nothing written before the first change"
    );
    let ids = g
        .add(vec![
            item("ann", [0.0, 0.0]),
            item("bob", [3.0, 4.0]),
            item("cy", [1.0, 0.0]),
        ])
        .unwrap();
    assert_eq!(ids, vec![1, 2, 3]);
    // Distances from (0.9, 0): ann 0.9, cy 0.1, bob √(2.1² + 4²).
    let hits = g.search(&[0.9, 0.0], 2).unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![3, 1]);
    assert!((hits[0].distance - 0.1).abs() < 1e-6 && (hits[1].distance - 0.9).abs() < 1e-6);
    assert_eq!(hits[0].label, "cy");
    // Remove, reopen: the committed state, ids never reused.
    assert!(g.remove(3).unwrap());
    assert!(!g.remove(3).unwrap());
    let mut again = DirGallery::open(&g_dir, "cnn:abc", 2, Distance::Euclidean).unwrap();
    assert_eq!(
        again
            .entries()
            .iter()
            .map(|e| e.label.as_str())
            .collect::<Vec<_>>(),
        vec!["ann", "bob"]
    );
    assert_eq!(again.search(&[0.9, 0.0], 5).unwrap()[0].label, "ann");
    assert_eq!(again.add(vec![item("dee", [5.0, 5.0])]).unwrap(), vec![4]);
    // Wrong query length, empty label.
    assert!(again.search(&[1.0], 1).is_err());
    assert!(again.add(vec![item(" ", [0.0, 1.0])]).is_err());
}

#[test]
fn another_model_or_a_damaged_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = DirGallery::open(dir.path(), "cnn:abc", 2, Distance::Euclidean).unwrap();
    g.add(vec![item("ann", [0.0, 0.0])]).unwrap();
    let e = DirGallery::open(dir.path(), "cnn:other", 2, Distance::Euclidean).unwrap_err();
    assert!(e.to_string().contains("another model"), "{e}");
    let e = DirGallery::open(dir.path(), "cnn:abc", 3, Distance::Euclidean).unwrap_err();
    assert!(e.to_string().contains("2-d embeddings"), "{e}");
    // A write interrupted before its rename (kill -9) leaves only a temporary file beside the
    // gallery: the committed state still opens.
    std::fs::write(dir.path().join(".gallery.twg.99999.tmp"), b"half a gallery").unwrap();
    let g = DirGallery::open(dir.path(), "cnn:abc", 2, Distance::Euclidean).unwrap();
    assert_eq!(g.entries().len(), 1);
    // A file cut short (as by a disk error; the store itself only ever renames whole files).
    let path = dir.path().join(GALLERY_FILE);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let e = DirGallery::read(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("gallery.twg") && e.contains("not a valid gallery"),
        "{e}"
    );
}

#[test]
fn exact_search_breaks_ties_by_id_and_caps_k() {
    let rows = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
    let hits = exact_search(Distance::Euclidean, &rows, 2, &[7, 8, 9], &[1.0, 0.0], 10);
    assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![7, 9, 8]);
    assert!(exact_search(Distance::Euclidean, &[], 2, &[], &[1.0, 0.0], 3).is_empty());
}

/// Clustered points: `clusters` centres, `per` noisy points each (seeded, no RNG crate needed).
fn clustered(clusters: usize, per: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| (0..dim).map(|_| next() * 4.0).collect())
        .collect();
    centres
        .iter()
        .flat_map(|c| {
            (0..per)
                .map(|_| c.iter().map(|v| v + next() * 0.5).collect::<Vec<f32>>())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_approximate_index_agrees_with_the_scan_and_follows_changes() {
    let dir = tempfile::tempdir().unwrap();
    let points = clustered(20, 30, 8, 11);
    let mut g = DirGallery::open(dir.path(), "cnn:abc", 8, Distance::Euclidean).unwrap();
    g.set_index_above(100).unwrap();
    assert!(!g.is_indexed(), "empty: no index");
    let items = points
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("c{}", i / 30), format!("p{i}"), p.clone()))
        .collect();
    g.add(items).unwrap();
    assert!(g.is_indexed(), "600 entries ≥ 100: indexed");
    let index_files = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("index-"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(index_files(), vec!["index-1.usearch"]);

    let queries = clustered(20, 3, 8, 99);
    let rows: Vec<f32> = points.iter().flatten().copied().collect();
    let ids: Vec<u64> = (1..=600).collect();
    let check = |g: &DirGallery, rows: &[f32], ids: &[u64]| {
        let mut agree = 0;
        for q in &queries {
            let exact = exact_search(Distance::Euclidean, rows, 8, ids, q, 5);
            let hits = g.search(q, 5).unwrap();
            assert_eq!(hits.len(), 5);
            // Distances are exact even through the index, nearest first.
            assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
            let p = ids.iter().position(|&i| i == hits[0].id).unwrap();
            let d = Distance::Euclidean.between(&rows[p * 8..(p + 1) * 8], q);
            assert!((hits[0].distance - d).abs() < 1e-6);
            agree += usize::from(hits[0].id == exact[0].0);
        }
        agree
    };
    // HNSW is approximate and its build is multi-threaded, so the agreement varies from run to
    // run (53 to 60 of 60 seen over 60 runs); a broken index would agree by chance alone.
    let agree = check(&g, &rows, &ids);
    assert!(
        agree >= 48,
        "top-1 agrees with the scan for {agree}/60 queries"
    );

    // Reopened: the saved index is loaded, not rebuilt, and still agrees.
    let mut again = DirGallery::read(dir.path()).unwrap();
    again.set_index_above(100).unwrap();
    assert!(again.is_indexed());
    assert!(check(&again, &rows, &ids) >= 48);

    // A removed entry is never returned; a new one is found.
    let target = again.search(&queries[0], 1).unwrap()[0].id;
    assert!(again.remove(target).unwrap());
    assert!(again
        .search(&queries[0], 10)
        .unwrap()
        .iter()
        .all(|h| h.id != target));
    let new_id = again
        .add(vec![("new".into(), "n".into(), queries[1].clone())])
        .unwrap()[0];
    let hit = &again.search(&queries[1], 1).unwrap()[0];
    assert_eq!((hit.id, hit.label.as_str()), (new_id, "new"));
    assert!(hit.distance < 1e-3);
    assert_eq!(
        index_files(),
        vec!["index-3.usearch"],
        "older generations removed"
    );

    // A stale or damaged index (a crash between the two writes) is rebuilt, not trusted.
    std::fs::write(dir.path().join("index-3.usearch"), b"garbage").unwrap();
    let mut g3 = DirGallery::read(dir.path()).unwrap();
    g3.set_index_above(100).unwrap();
    assert!(g3.is_indexed());
    let hit = &g3.search(&queries[1], 1).unwrap()[0];
    assert_eq!(hit.id, new_id);
    // Below the threshold the gallery scans and drops index files at its next change.
    g3.set_index_above(10_000).unwrap();
    assert!(!g3.is_indexed());
    g3.remove(new_id).unwrap();
    assert!(index_files().is_empty());
}
