//! IDX, image-folder and pair-list readers on good and broken files.

use std::io::Write;
use std::path::Path;
use twinnet::data::{
    load_dataset, read_idx_images, read_idx_split, read_image_folder, read_pair_list, DataFormat,
    DataSpec, Dataset, ImageShape, Split,
};

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-sample")
}

fn idx_bytes(magic: [u8; 4], dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = magic.to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn reads_the_bundled_gzip_sample() {
    let train = read_idx_split(&sample(), Split::Train).unwrap();
    assert_eq!(train.len(), 5000);
    assert_eq!(
        train.class_names,
        (0..10).map(|d| d.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(train.class_counts(), vec![500; 10]);
    assert_eq!(
        train.shape,
        ImageShape {
            channels: 1,
            height: 28,
            width: 28
        }
    );
    assert!(train.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
    let test = read_idx_split(&sample(), Split::Test).unwrap();
    assert_eq!(test.len(), 1000);
}

#[test]
fn raw_idx_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..2 * 2 * 3).map(|i| (i * 20) as u8).collect();
    write(
        &dir.path().join("train-images-idx3-ubyte"),
        &idx_bytes([0, 0, 8, 3], &[2, 2, 3], &payload),
    );
    write(
        &dir.path().join("train-labels-idx1-ubyte"),
        &idx_bytes([0, 0, 8, 1], &[2], &[7, 3]),
    );
    let d = read_idx_split(dir.path(), Split::Train).unwrap();
    assert_eq!(
        d.shape,
        ImageShape {
            channels: 1,
            height: 2,
            width: 3
        }
    );
    assert_eq!(d.class_names, vec!["3", "7"]);
    assert_eq!(d.labels, vec![1, 0]);
    assert!((d.item(1)[0] - 120.0 / 255.0).abs() < 1e-6);
}

#[test]
fn wrong_magic_is_refused_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad-images-idx3-ubyte");
    write(&p, &idx_bytes([0, 0, 8, 1], &[4], &[0; 4]));
    let err = read_idx_images(&p).unwrap_err().to_string();
    assert!(
        err.contains("wrong IDX magic") && err.contains("bad-images"),
        "{err}"
    );
    write(&p, &idx_bytes([0x1f, 0, 0xd, 3], &[1, 1, 1], &[0]));
    assert!(read_idx_images(&p)
        .unwrap_err()
        .to_string()
        .contains("magic"));
}

#[test]
fn truncated_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t-images-idx3-ubyte");
    write(&p, &idx_bytes([0, 0, 8, 3], &[3, 2, 2], &[0; 11]));
    let err = read_idx_images(&p).unwrap_err().to_string();
    assert!(
        err.contains("truncated") && err.contains("t-images"),
        "{err}"
    );
    write(&p, &[0, 0, 8, 3, 0, 0]);
    assert!(read_idx_images(&p)
        .unwrap_err()
        .to_string()
        .contains("truncated"));
    // A gzip stream cut in half.
    let full = std::fs::read(sample().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let gz = dir.path().join("cut-labels-idx1-ubyte.gz");
    write(&gz, &full[..full.len() / 2]);
    let err = twinnet::data::read_idx_labels(&gz).unwrap_err().to_string();
    assert!(err.contains("cut-labels"), "{err}");
}

#[test]
fn label_count_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("train-images-idx3-ubyte"),
        &idx_bytes([0, 0, 8, 3], &[2, 1, 1], &[0, 1]),
    );
    write(
        &dir.path().join("train-labels-idx1-ubyte"),
        &idx_bytes([0, 0, 8, 1], &[3], &[0, 1, 1]),
    );
    let err = read_idx_split(dir.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 labels") && err.contains("2 images"),
        "{err}"
    );
}

fn png(path: &Path, value: u8) {
    image::GrayImage::from_pixel(6, 4, image::Luma([value]))
        .save(path)
        .unwrap();
}

#[test]
fn image_folder_classes_resize_and_rgb() {
    let dir = tempfile::tempdir().unwrap();
    for (class, v) in [("alice", 10u8), ("bob", 200)] {
        std::fs::create_dir(dir.path().join(class)).unwrap();
        png(&dir.path().join(class).join("a.png"), v);
        png(&dir.path().join(class).join("b.png"), v);
    }
    std::fs::write(dir.path().join("bob").join("notes.txt"), "not an image").unwrap();
    let d = read_image_folder(dir.path(), None).unwrap();
    assert_eq!(d.class_names, vec!["alice", "bob"]);
    assert_eq!(d.labels, vec![0, 0, 1, 1]);
    assert_eq!(
        d.shape,
        ImageShape {
            channels: 1,
            height: 4,
            width: 6
        }
    );
    let rgb = ImageShape {
        channels: 3,
        height: 8,
        width: 8,
    };
    let d = read_image_folder(dir.path(), Some(rgb)).unwrap();
    assert_eq!(d.item(3).len(), 3 * 64);
    assert!((d.item(3)[100] - 200.0 / 255.0).abs() < 1e-2);
}

#[test]
fn undecodable_image_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    png(&dir.path().join("x").join("good.png"), 1);
    std::fs::write(dir.path().join("x").join("broken.png"), b"\x89PNG garbage").unwrap();
    let err = format!("{:#}", read_image_folder(dir.path(), None).unwrap_err());
    assert!(err.contains("broken.png"), "{err}");
}

#[test]
fn pair_list_with_header_and_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    png(&dir.path().join("a.png"), 0);
    png(&dir.path().join("b.png"), 255);
    std::fs::write(
        dir.path().join("pairs.tsv"),
        "path_a\tpath_b\tlabel\na.png\tb.png\t0\na.png\ta.png\t1\n# comment\n\nb.png\tb.png\tsame\n",
    )
    .unwrap();
    let p = read_pair_list(&dir.path().join("pairs.tsv"), None, None).unwrap();
    assert_eq!(p.pairs, vec![(0, 1, false), (0, 0, true), (1, 1, true)]);
    assert_eq!(p.paths.len(), 2);
    std::fs::write(
        dir.path().join("bad.tsv"),
        "a.png\tb.png\t1\na.png\tb.png\tmaybe\n",
    )
    .unwrap();
    let err = read_pair_list(&dir.path().join("bad.tsv"), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.tsv:2") && err.contains("maybe"), "{err}");
    std::fs::write(dir.path().join("cols.tsv"), "a.png\tb.png\n").unwrap();
    let err = read_pair_list(&dir.path().join("cols.tsv"), None, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cols.tsv:1") && err.contains("3 tab-separated"),
        "{err}"
    );
}

#[test]
fn spec_detection_and_class_selection() {
    let spec = DataSpec::parse(sample().to_str().unwrap()).unwrap();
    assert_eq!(spec.format, DataFormat::Idx);
    let err = DataSpec::parse("/no/such/dir").unwrap_err().to_string();
    assert!(err.contains("/no/such/dir"), "{err}");
    let classes: Vec<String> = vec!["7".into(), "8".into(), "9".into()];
    let Dataset::Labeled(d) = load_dataset(&spec, Split::Test, None, Some(&classes)).unwrap()
    else {
        panic!("IDX gives labelled data")
    };
    assert_eq!(d.class_names, classes);
    assert_eq!(d.len(), 300);
    let err = load_dataset(&spec, Split::Test, None, Some(&["12".to_string()]))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("unknown class '12'") && err.contains("0, 1, 2"),
        "{err}"
    );
    let err = load_dataset(&spec, Split::Test, None, Some(&[]))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("selects no class"), "{err}");
}
