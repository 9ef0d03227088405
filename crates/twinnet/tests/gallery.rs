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
