//! The fuzz targets on the stable toolchain: every committed seed and past crash input
//! (`fuzz/seeds`, `fuzz/regressions`, one folder per target) goes through the same library
//! function `cargo fuzz` runs, so a fixed crash stays fixed in CI. (The fuzzers' working corpus,
//! `fuzz/corpus`, is not committed and changes while they run, so it is not replayed here.)

use std::path::{Path, PathBuf};
use twinnet::fuzz::TARGETS;
use twinnet::gallery::GalleryStore;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_target_replays_its_seeds_and_past_crashes() {
    for (name, target) in TARGETS {
        let seeds = files(&fuzz_dir().join("seeds").join(name));
        assert!(!seeds.is_empty(), "fuzz/seeds/{name} has no seeds");
        let mut inputs = seeds;
        inputs.extend(files(&fuzz_dir().join("regressions").join(name)));
        for path in inputs {
            let bytes = std::fs::read(&path).unwrap();
            // A panic here names the input to reproduce with `cargo fuzz run <target> <file>`.
            eprintln!("{name}: {}", path.display());
            target(&bytes);
        }
    }
}

/// The seeds are what their names say: valid inputs of each format (so the fuzzers start from
/// inputs that reach deep into each reader, not from its first error).
#[test]
fn the_seeds_are_valid_inputs() {
    let seed = |t: &str, f: &str| std::fs::read(fuzz_dir().join("seeds").join(t).join(f)).unwrap();
    let (shape, pixels, n) =
        twinnet::data::parse_idx_images(seed("idx", "images.idx3.gz"), "seed").unwrap();
    assert_eq!((shape.height, shape.width, n, pixels.len()), (2, 3, 3, 18));
    let shapes =
        twinnet::model::safetensors_shapes(&seed("safetensors", "mlp.safetensors")).unwrap();
    assert_eq!(shapes["Mlp.layers.0.weight"], [3, 4]);
    let _: twinnet::model::Manifest =
        serde_json::from_slice(&seed("manifest", "image-v1.json")).unwrap();
    let _: twinnet::text::TextManifest =
        serde_json::from_slice(&seed("manifest", "text.json")).unwrap();
    let tfjs = seed("tfjs", "quantized");
    let cut = tfjs.iter().position(|&b| b == 0).unwrap();
    let text = std::str::from_utf8(&tfjs[..cut]).unwrap();
    let shard = tfjs[cut + 1..].to_vec();
    let mut w = twinnet::tower::face::parse_tfjs(text, "seed", |_| Ok(shard.clone())).unwrap();
    assert_eq!(
        w.take("conv/filters", &[1, 1, 1, 2]).unwrap().values,
        [-1.0, 1.0]
    );
    assert_eq!(w.take("size", &[]).unwrap().values, [7.0]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(twinnet::gallery::GALLERY_FILE),
        seed("gallery_file", "two.twg"),
    )
    .unwrap();
    assert_eq!(
        twinnet::gallery::DirGallery::read(dir.path())
            .unwrap()
            .len(),
        2
    );
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, seed("tokenizer", "wordpiece.json")).unwrap();
    let t = twinnet::text::TextTokenizer::from_file(&path, 16, 11).unwrap();
    // [CLS] the cat ##s sat [SEP]
    assert_eq!(
        t.encode(&["The cats sat"]).unwrap(),
        vec![vec![2, 8, 5, 10, 6, 3]]
    );
    for f in [
        "stroke-gray.png",
        "stroke-rgb.png",
        "stroke.pgm",
        "stroke-ascii.pgm",
        "stroke.ppm",
        "stroke.bmp",
    ] {
        let shape = twinnet::data::ImageShape {
            channels: 1,
            height: 4,
            width: 4,
        };
        twinnet::data::load_image_bytes(&seed("image", f), shape, f).unwrap();
    }
    // Through the real router: the model embeds and verifies; without a gallery, identify and
    // enrol are refused after their bodies parse.
    let status = |f: &str| twinnet::fuzz::http_status(&seed("http_json", f)).unwrap();
    assert_eq!(status("embed-image"), 200);
    assert_eq!(status("embed-inputs"), 200);
    assert_eq!(status("verify"), 200);
    assert_eq!(status("embed-text"), 400);
    for f in ["identify", "enroll"] {
        assert!((400..500).contains(&status(f)), "{f}: {}", status(f));
    }
}
