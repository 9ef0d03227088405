//! Two writers of one directory gallery (two `gallery enroll` processes, or a CLI enrolment
//! while the server holds the gallery): nothing lost, no id reused, readers see the other's
//! commits, a failed write changes nothing, and a damaged embedding block is refused.

use std::collections::BTreeSet;
use twinnet::gallery::{DirGallery, GalleryStore, GALLERY_FILE};
use twinnet::Distance;

fn open(dir: &std::path::Path) -> DirGallery {
    DirGallery::open(dir, "cnn:abc", 2, Distance::Euclidean).unwrap()
}

fn item(label: &str, x: f32) -> Vec<(String, String, Vec<f32>)> {
    vec![(label.into(), format!("{label}.png"), vec![x, 0.0])]
}

#[test]
fn concurrent_writers_keep_every_entry_with_unique_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g");
    // Each writer opens the gallery once (as a process does), then enrols 20 times while the
    // other one does too. Separate handles take separate OS locks, as two processes would.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut g = open(&path);
                (0..20)
                    .flat_map(|i| g.add(item(&format!("w{w}-{i}"), i as f32)).unwrap())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let ids: Vec<u64> = writers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 40, "ids handed out twice: {ids:?}");
    let g = DirGallery::read(&path).unwrap();
    assert_eq!(g.len(), 40);
    let on_disk: BTreeSet<u64> = g.entries().iter().map(|e| e.id).collect();
    assert_eq!(on_disk, unique);
}

#[test]
fn a_long_lived_holder_sees_and_keeps_another_writers_commits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = open(dir.path());
    server.add(item("ann", 0.0)).unwrap();
    // A CLI enrolment while the server holds the gallery.
    let mut cli = open(dir.path());
    let bob = cli.add(item("bob", 5.0)).unwrap()[0];
    assert!(GalleryStore::is_stale(&server));
    assert!(GalleryStore::refresh(&mut server).unwrap());
    assert!(!GalleryStore::is_stale(&server));
    assert_eq!(server.search(&[5.0, 0.0], 1).unwrap()[0].label, "bob");
    // The server's next write keeps bob and does not hand out bob's id again.
    cli.add(item("cy", 9.0)).unwrap();
    let dee = server.add(item("dee", 7.0)).unwrap()[0];
    assert!(dee > bob + 1, "id {dee} reused");
    let labels: Vec<String> = DirGallery::read(dir.path())
        .unwrap()
        .entries()
        .into_iter()
        .map(|e| e.label)
        .collect();
    assert_eq!(labels, ["ann", "bob", "cy", "dee"]);
}

#[test]
fn a_failed_write_changes_nothing_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = open(dir.path());
    g.add(item("ann", 0.0)).unwrap();
    // Make the commit fail: the file's place is taken by a non-empty directory, which a
    // rename cannot replace (permissions would not stop root).
    let blocker = dir.path().join(GALLERY_FILE);
    std::fs::remove_file(&blocker).unwrap();
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("x"), b"x").unwrap();
    assert!(g.add(item("bob", 5.0)).is_err());
    assert!(g.remove(1).is_err());
    assert_eq!(g.len(), 1, "a failed enrolment must not be searchable");
    assert_eq!(g.search(&[5.0, 0.0], 5).unwrap().len(), 1);
    std::fs::remove_dir_all(&blocker).unwrap();
    // Written again once the disk is writable: the same state, the next id.
    assert_eq!(g.add(item("bob", 5.0)).unwrap(), [2]);
    assert_eq!(DirGallery::read(dir.path()).unwrap().len(), 2);
}

#[test]
fn a_flipped_byte_in_the_embeddings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = open(dir.path());
    g.add(item("ann", 0.25)).unwrap();
    let path = dir.path().join(GALLERY_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let e = DirGallery::read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
}

#[test]
fn a_crafted_dimension_is_refused_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path());
    let path = dir.path().join(GALLERY_FILE);
    for dim in [0u64, 1 << 62, u64::MAX] {
        let header = format!(
            r#"{{"format":"twinnet-gallery","version":1,"fingerprint":"cnn:abc","dim":{dim},"distance":"euclidean","next_id":1,"entries":[]}}"#
        );
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        std::fs::write(&path, bytes).unwrap();
        let e = DirGallery::read(dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("-d embeddings"), "{dim}: {e:#}");
    }
}
