//! One test-suite for every gallery store: the embedded directory store always, PostgreSQL +
//! pgvector when `TWINNET_TEST_PG_URL` names a server (`.ci/run` starts one; elsewhere these
//! tests say they skipped).

use twinnet::gallery::{open_gallery, read_gallery, AnyGallery, PgGallery};
use twinnet::Distance;

fn item(label: &str, e: [f32; 3]) -> (String, String, Vec<f32>) {
    (label.into(), format!("{label}.png"), e.to_vec())
}

/// The contract: ids, search order and exact distances, removal, refusal of bad input and of
/// another model, and the state seen by a second opener.
fn contract(spec: &str) {
    let open = |fp: &str, dim: usize| open_gallery(spec, fp, dim, Distance::Euclidean, 1_000);
    let mut g: AnyGallery = open("cnn:abc", 3).unwrap();
    assert_eq!((g.len(), g.dim(), g.fingerprint()), (0, 3, "cnn:abc"));
    let ids = g
        .add(vec![
            item("ann", [0.0, 0.0, 0.0]),
            item("bob", [3.0, 4.0, 0.0]),
            item("cy", [1.0, 0.0, 0.0]),
        ])
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    assert_eq!(g.len(), 3);
    // From (0.9, 0, 0): cy 0.1, ann 0.9, bob √(2.1² + 4²).
    let hits = g.search(&[0.9, 0.0, 0.0], 3).unwrap();
    let labels: Vec<&str> = hits.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(labels, vec!["cy", "ann", "bob"]);
    assert!((hits[0].distance - 0.1).abs() < 1e-4, "{hits:?}");
    assert!((hits[2].distance - (2.1f32 * 2.1 + 16.0).sqrt()).abs() < 1e-4);
    assert_eq!(hits[0].id, ids[2]);
    assert_eq!(g.search(&[0.9, 0.0, 0.0], 1).unwrap().len(), 1);
    // A label's entries alone (a claim's references), nearest first, exact distances.
    let more = g
        .add(vec![
            item("ann", [0.0, 2.0, 0.0]),
            item("ann", [0.5, 0.0, 0.0]),
        ])
        .unwrap();
    let refs = g.label_hits(&[0.9, 0.0, 0.0], "ann").unwrap();
    let got: Vec<(u64, f32)> = refs.iter().map(|h| (h.id, h.distance)).collect();
    assert_eq!(got.len(), 3, "{refs:?}");
    assert_eq!((got[0].0, got[1].0, got[2].0), (more[1], ids[0], more[0]));
    assert!((got[0].1 - 0.4).abs() < 1e-5 && (got[1].1 - 0.9).abs() < 1e-5);
    assert!((got[2].1 - (0.81f32 + 4.0).sqrt()).abs() < 1e-5);
    assert!(refs.iter().all(|h| h.label == "ann"));
    assert!(g.label_hits(&[0.9, 0.0, 0.0], "nobody").unwrap().is_empty());
    assert!(g.label_hits(&[1.0], "ann").is_err());
    for id in more {
        assert!(g.remove(id).unwrap());
    }

    // Bad input changes nothing.
    assert!(g.add(vec![item(" ", [0.0, 1.0, 0.0])]).is_err());
    assert!(g
        .add(vec![("dee".into(), "d".into(), vec![1.0, 2.0])])
        .is_err());
    assert!(g.search(&[1.0], 1).is_err());
    assert_eq!(g.len(), 3);

    // Removal; ids are never reused.
    assert!(g.remove(ids[2]).unwrap());
    assert!(!g.remove(ids[2]).unwrap());
    let new = g.add(vec![item("dee", [5.0, 5.0, 5.0])]).unwrap();
    assert!(new[0] > ids[2]);

    // A second opener sees the committed state; another model or dimension is refused.
    let again = read_gallery(spec).unwrap();
    let entries: Vec<String> = again.entries().into_iter().map(|e| e.label).collect();
    assert_eq!(entries, vec!["ann", "bob", "dee"]);
    assert_eq!(again.search(&[0.9, 0.0, 0.0], 1).unwrap()[0].label, "ann");
    let e = open("cnn:other", 3)
        .err()
        .expect("another model is refused");
    assert!(e.to_string().contains("another model"), "{e}");
    let e = open("cnn:abc", 4)
        .err()
        .expect("another dimension is refused");
    assert!(e.to_string().contains("3-d embeddings"), "{e}");
}

#[test]
fn directory_store_meets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(dir.path().join("g").to_str().unwrap());
}

/// The server named by `TWINNET_TEST_PG_URL`, or `None` (with a note) when none is configured.
fn pg_url() -> Option<String> {
    match std::env::var("TWINNET_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "skipped: set TWINNET_TEST_PG_URL=postgres://… (scripts/pg-test-server.sh start \
                 DIR prints one) to test the PostgreSQL + pgvector store"
            );
            None
        }
    }
}

/// A gallery name of its own for each test run, dropped afterwards.
fn pg_spec(base: &str, what: &str) -> String {
    let unique = format!(
        "{what}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}gallery={unique}")
}

#[test]
fn postgres_store_meets_the_contract() {
    let Some(base) = pg_url() else { return };
    let spec = pg_spec(&base, "contract");
    contract(&spec);
    PgGallery::read(&spec).unwrap().drop_gallery().unwrap();
}

#[test]
fn postgres_store_finds_the_nearest_among_many() {
    let Some(base) = pg_url() else { return };
    let spec = pg_spec(&base, "many");
    let mut g = open_gallery(&spec, "t:1", 16, Distance::Cosine, 0).unwrap();
    // 2,000 points on 16-d; the HNSW index answers; distances are exact cosine distances.
    let point = |i: usize| -> Vec<f32> {
        (0..16)
            .map(|d| (((i * 31 + d * 17) % 97) as f32 / 97.0) - 0.5)
            .collect()
    };
    g.add(
        (0..2000)
            .map(|i| (format!("p{i}"), String::new(), point(i)))
            .collect(),
    )
    .unwrap();
    let mut agree = 0;
    for q in (0..2000).step_by(97) {
        let hits = g.search(&point(q), 3).unwrap();
        let d = Distance::Cosine.between(&point(q), &point(q));
        agree += usize::from(hits[0].label == format!("p{q}") || hits[0].distance <= d + 1e-6);
        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
    }
    assert!(
        agree >= 20,
        "the index found the query point itself for {agree}/21"
    );
    drop(g);
    PgGallery::read(&spec).unwrap().drop_gallery().unwrap();
}

#[test]
fn a_missing_server_or_gallery_is_a_clear_error() {
    let e = read_gallery("postgres://nobody@127.0.0.1:1/none")
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("cannot connect to PostgreSQL"),
        "{e}"
    );
    let e = read_gallery("postgres://x@127.0.0.1:1/db?gallery=Bad-Name")
        .err()
        .unwrap();
    assert!(e.to_string().contains("gallery name"), "{e}");
    let Some(base) = pg_url() else { return };
    let e = read_gallery(&pg_spec(&base, "absent")).err().unwrap();
    assert!(e.to_string().contains("there is no gallery"), "{e}");
}
