//! TensorFlow.js weights (face-api's networks): every storage kind decoded to known values on
//! a hand-made manifest split over two shards, the bad files refused by name, and — with
//! `twinnet data fetch face-api` (CI does it, then runs the ignored test) — the real package
//! read in full, its values equal to an independent decoding in Python.

use std::path::Path;
use twinnet::tower::face::{parse_tfjs, read_tfjs};

/// A manifest of one group over `shard_a.bin` + `shard_b.bin`, and their bytes.
fn sample() -> (String, Vec<u8>, Vec<u8>) {
    let manifest = r#"[{"paths": ["shard_a.bin", "shard_b.bin"], "weights": [
        {"name": "raw", "shape": [2, 2], "dtype": "float32"},
        {"name": "u8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
        {"name": "u16", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": 0.0}},
        {"name": "half", "shape": [4], "dtype": "float32", "quantization": {"dtype": "float16"}},
        {"name": "ints", "shape": [2], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 1, "min": 3}},
        {"name": "int", "shape": [], "dtype": "int32"}
    ]}]"#;
    let mut bytes = Vec::new();
    for v in [1.5f32, -2.0, 0.25, 8.0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&[0, 2, 255]);
    for c in [1u16, 65535] {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    // 1.0, -2.0, 0.5 and the smallest subnormal half.
    for h in [0x3C00u16, 0xC000, 0x3800, 0x0001] {
        bytes.extend_from_slice(&h.to_le_bytes());
    }
    bytes.extend_from_slice(&[0, 5]);
    bytes.extend_from_slice(&(-7i32).to_le_bytes());
    let b = bytes.split_off(10); // the cut falls inside a tensor: shards are one stream
    (manifest.to_string(), bytes, b)
}

fn parse(manifest: &str, a: &[u8], b: &[u8]) -> anyhow::Result<twinnet::tower::face::TfjsWeights> {
    parse_tfjs(manifest, "m.json", |name| match name {
        "shard_a.bin" => Ok(a.to_vec()),
        "shard_b.bin" => Ok(b.to_vec()),
        other => anyhow::bail!("no shard {other}"),
    })
}

#[test]
fn every_storage_kind_decodes_to_its_values_across_shards() {
    let (m, a, b) = sample();
    let mut w = parse(&m, &a, &b).unwrap();
    assert_eq!(w.names(), ["half", "int", "ints", "raw", "u16", "u8"]);
    assert_eq!(w.parameters(), 4 + 3 + 2 + 4 + 2 + 1);
    assert_eq!(
        w.take("raw", &[2, 2]).unwrap().values,
        [1.5, -2.0, 0.25, 8.0]
    );
    assert_eq!(w.take("u8", &[3]).unwrap().values, [-1.0, 0.0, 126.5]);
    let u16 = w.take("u16", &[2]).unwrap().values;
    assert!(
        (u16[0] - 0.001).abs() < 1e-9 && (u16[1] - 65.535).abs() < 1e-4,
        "{u16:?}"
    );
    assert_eq!(
        w.take("half", &[4]).unwrap().values,
        [1.0, -2.0, 0.5, 2f32.powi(-24)]
    );
    assert_eq!(w.take("ints", &[2]).unwrap().values, [3.0, 8.0]);
    assert_eq!(w.take("int", &[]).unwrap().values, [-7.0]);
    assert!(w.is_empty());
}

#[test]
fn a_network_asking_for_the_wrong_tensor_or_shape_is_told_which() {
    let (m, a, b) = sample();
    let mut w = parse(&m, &a, &b).unwrap();
    let e = w.take("raw", &[4]).unwrap_err().to_string();
    assert!(
        e.contains("m.json") && e.contains("'raw'") && e.contains("[2, 2]"),
        "{e}"
    );
    let e = w.take("conv1/filters", &[3]).unwrap_err().to_string();
    assert!(e.contains("m.json has no tensor 'conv1/filters'"), "{e}");
}

#[test]
fn bad_manifests_and_shards_are_refused_by_name() {
    let (m, a, b) = sample();
    let err =
        |r: anyhow::Result<twinnet::tower::face::TfjsWeights>| format!("{:#}", r.unwrap_err());
    // A shard cut short, one too long, one missing.
    let e = err(parse(&m, &a, &b[..b.len() - 1]));
    assert!(e.contains("hold 36 bytes, its tensors need 37"), "{e}");
    let long = [b.clone(), vec![0]].concat();
    let e = err(parse(&m, &a, &long));
    assert!(e.contains("more bytes than its tensors need (37)"), "{e}");
    let e = err(parse(&m.replace("shard_b.bin", "shard_c.bin"), &a, &b));
    assert!(e.contains("no shard shard_c.bin"), "{e}");
    // Not JSON, an unknown dtype, a shape that overflows, quantisation without its scale.
    let e = err(parse("{", &a, &b));
    assert!(
        e.contains("m.json is not a TensorFlow.js weights manifest"),
        "{e}"
    );
    let e = err(parse(&m.replace("\"int32\"}", "\"bool\"}"), &a, &b));
    assert!(
        e.contains("tensor 'int'") && e.contains("dtype 'bool'"),
        "{e}"
    );
    let e = err(parse(
        &m.replace("[2, 2]", "[4294967296, 4294967296]"),
        &a,
        &b,
    ));
    assert!(e.contains("tensor 'raw'") && e.contains("too large"), "{e}");
    let e = err(parse(&m.replace("\"scale\": 0.5, ", ""), &a, &b));
    assert!(
        e.contains("tensor 'u8'") && e.contains("without scale and min"),
        "{e}"
    );
    // A NaN weight; the same name twice.
    let mut nan = a.clone();
    nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let e = err(parse(&m, &nan, &b));
    assert!(
        e.contains("tensor 'raw' holds a non-finite value at 0"),
        "{e}"
    );
    let e = err(parse(
        &m.replace("\"name\": \"int\"", "\"name\": \"raw\""),
        &a,
        &b,
    ));
    assert!(e.contains("'raw' appears twice"), "{e}");
}

#[test]
fn shards_on_disk_are_read_beside_the_manifest_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let (m, a, b) = sample();
    let path = dir.path().join("net-weights_manifest.json");
    std::fs::write(&path, &m).unwrap();
    std::fs::write(dir.path().join("shard_a.bin"), &a).unwrap();
    let e = format!("{:#}", read_tfjs(&path).unwrap_err());
    assert!(e.contains("shard_b.bin is missing"), "{e}");
    std::fs::write(dir.path().join("shard_b.bin"), &b).unwrap();
    assert_eq!(read_tfjs(&path).unwrap().len(), 6);
    std::fs::write(&path, m.replace("shard_b.bin", "../shard_b.bin")).unwrap();
    let e = format!("{:#}", read_tfjs(&path).unwrap_err());
    assert!(e.contains("must be a file beside the manifest"), "{e}");
}

/// The fetched package (`twinnet data fetch face-api` writes data/face-api).
fn fetched() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/face-api")
}

#[test]
#[ignore = "needs `twinnet data fetch face-api` (npm); .ci/run fetches it and runs this"]
fn the_face_api_package_reads_in_full_and_matches_an_independent_decoding() {
    let nets = twinnet::data::read_networks(&fetched()).unwrap();
    let counts: Vec<(&str, usize, usize)> = nets
        .iter()
        .map(|n| (n.manifest.as_str(), n.tensors, n.parameters))
        .collect();
    assert_eq!(counts.len(), 7, "{counts:?}");
    assert!(counts.contains(&(
        "face_recognition_model-weights_manifest.json",
        117,
        5_614_592
    )));
    assert!(counts.contains(&(
        "ssd_mobilenetv1_model-weights_manifest.json",
        151,
        5_555_541
    )));
    let mut w = read_tfjs(&fetched().join("face_recognition_model-weights_manifest.json")).unwrap();
    // Values decoded by hand in Python (code × scale + min from the manifest and the .bin).
    let first = w
        .take("conv32_down/conv/filters", &[7, 7, 3, 32])
        .unwrap()
        .values;
    let near = |got: f32, want: f64| (f64::from(got) - want).abs() < 1e-8;
    let expect = [
        -0.0294596375,
        -0.00841703929,
        0.00683884442,
        -0.00157819487,
        0.00631277947,
    ];
    for (&got, want) in first.iter().zip(expect) {
        assert!(near(got, want), "{got} vs {want}");
    }
    assert!(near(first[first.len() - 1], 0.005786714512927865));
    let fc = w.take("fc", &[256, 128]).unwrap().values;
    assert!(near(fc[0], -0.00679607032) && near(fc[32767], 0.00643838240819819));
    let mut ssd =
        read_tfjs(&fetched().join("ssd_mobilenetv1_model-weights_manifest.json")).unwrap();
    assert_eq!(
        ssd.take("Preprocessor/ResizeImage/size", &[2])
            .unwrap()
            .values,
        [512.0, 512.0]
    );
}

#[test]
fn fetch_from_a_local_folder_copies_and_reads_back_every_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dest) = (dir.path().join("model"), dir.path().join("out/face-api"));
    std::fs::create_dir_all(&src).unwrap();
    let (m, a, b) = sample();
    std::fs::write(src.join("tiny-weights_manifest.json"), &m).unwrap();
    std::fs::write(src.join("shard_a.bin"), &a).unwrap();
    // A shard cut short is refused before anything is written.
    std::fs::write(src.join("shard_b.bin"), &b[1..]).unwrap();
    let e = twinnet::data::fetch_from("face-api", &dest, Some(&src)).unwrap_err();
    assert!(format!("{e:#}").contains("hold 36 bytes"), "{e:#}");
    assert!(!dest.exists());
    std::fs::write(src.join("shard_b.bin"), &b).unwrap();
    let fetched = twinnet::data::fetch_from("face-api", &dest, Some(&src)).unwrap();
    let json = serde_json::to_value(&fetched).unwrap();
    assert_eq!(
        json["networks"][0]["manifest"],
        "tiny-weights_manifest.json"
    );
    assert_eq!(
        (
            json["networks"][0]["tensors"].as_u64(),
            json["networks"][0]["parameters"].as_u64()
        ),
        (Some(6), Some(16))
    );
    assert!(dest.join("shard_b.bin").is_file());
    // A folder without manifests is not face-api's.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = twinnet::data::fetch_from("face-api", &dest, Some(&empty)).unwrap_err();
    assert!(
        e.to_string()
            .contains("holds no TensorFlow.js weights manifest"),
        "{e}"
    );
}
