//! Entry points for fuzzing: each takes arbitrary bytes and feeds them to one of twinnet's
//! readers the way a user's file or a client's request would reach it.
//!
//! Errors are the expected answer to most inputs; what each function checks is that none of
//! them panics, overflows or allocates without bound, and that what is accepted is
//! well-formed (the asserts below). `fuzz/` at the repository root wraps each one in a
//! `cargo fuzz` target; `tests/fuzz_corpus.rs` replays the committed seeds and every past crash
//! through the same functions on the stable toolchain.

#[cfg(feature = "serve")]
mod http;
#[cfg(feature = "serve")]
pub use http::{http_json, http_status};

use crate::batch::InputSpec;
use crate::data::{
    load_image_bytes_with, parse_idx_images, parse_idx_labels, read_pair_list, read_text_pairs,
    read_text_triplets, Handwriting, ImageShape, Threshold,
};
use crate::distance::Distance;
use crate::loss::LossKind;
use crate::model::{load_tower, Manifest, TrainingSummary};
use crate::tower::{MlpConfig, TowerConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A fuzz target's body: bytes in, a panic only for a bug.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/seeds/<name>/` call
/// them.
pub const TARGETS: &[(&str, Target)] = &[
    ("idx", idx),
    ("image", image),
    ("pair_list", pair_list),
    ("text_pairs", text_pairs),
    ("manifest", manifest),
    ("safetensors", safetensors),
    ("gallery_file", gallery_file),
    ("tfjs", tfjs),
    #[cfg(feature = "text")]
    ("tokenizer", tokenizer),
    #[cfg(feature = "serve")]
    ("http_json", http_json),
];

/// An IDX image file and an IDX label file (gzipped or not).
pub fn idx(data: &[u8]) {
    if let Ok((shape, pixels, n)) = parse_idx_images(data.to_vec(), "fuzz.idx3") {
        assert_eq!(pixels.len(), n * shape.numel());
        assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    }
    let _ = parse_idx_labels(data.to_vec(), "fuzz.idx1");
}

/// A TensorFlow.js weights manifest and its one shard `w.bin`: the manifest's text, a NUL
/// byte, then the shard's bytes.
pub fn tfjs(data: &[u8]) {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(text) = std::str::from_utf8(&data[..cut]) else {
        return;
    };
    let shard = data.get(cut + 1..).unwrap_or_default().to_vec();
    let got = crate::tower::face::parse_tfjs(text, "fuzz.json", |name| match name {
        "w.bin" => Ok(shard.clone()),
        other => anyhow::bail!("no shard {other}"),
    });
    if let Ok(w) = got {
        assert!(w.parameters() <= shard.len(), "more values than bytes");
    }
}

/// An image file through the decode limits and the preprocessing. The file's length picks
/// grayscale or colour, a plain or a handwriting pipeline, and the canvas size, so every byte
/// of a real image file can be a seed as it is.
pub fn image(data: &[u8]) {
    let mode = (data.len() % 256) as u8;
    let shape = ImageShape {
        channels: if mode & 1 == 0 { 1 } else { 3 },
        height: 8 + usize::from(mode >> 4),
        width: 8 + usize::from((mode >> 2) & 3) * 5,
    };
    // Handwriting preprocessing makes grayscale only (colour is refused, also worth a run).
    let handwriting = (mode & 2 != 0).then_some(Handwriting {
        threshold: if mode & 0x40 == 0 {
            Threshold::Otsu
        } else {
            Threshold::Fixed(0.5)
        },
        invert: mode & 0x80 != 0,
        margin: 0.05,
    });
    if let Ok(pixels) = load_image_bytes_with(data, shape, handwriting.as_ref(), "fuzz.img") {
        assert_eq!(pixels.len(), shape.numel());
        assert!(pixels.iter().all(|p| p.is_finite()), "non-finite pixel");
    }
}

/// A folder with two small images the list files may name (`a.png`, `b.png`).
fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, v) in [("a.png", 0u8), ("b.png", 200)] {
            image::GrayImage::from_pixel(6, 5, image::Luma([v]))
                .save(dir.path().join(name))
                .expect("a scratch image");
        }
        dir
    })
    .path()
}

/// Writes `data` to a fresh file in the scratch folder (the readers take paths).
fn scratch_file(data: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new_in(scratch_dir()).expect("a scratch file");
    f.write_all(data).expect("written");
    f
}

/// An image pair list (TSV naming image files).
pub fn pair_list(data: &[u8]) {
    let f = scratch_file(data);
    if let Ok(list) = read_pair_list(f.path(), None, None) {
        let n = list.paths.len();
        assert!(list.pairs.iter().all(|&(a, b, _)| a < n && b < n));
        assert_eq!(list.pixels.len(), n * list.shape.numel());
    }
}

/// Text pair, triplet and labelled-text files.
pub fn text_pairs(data: &[u8]) {
    let f = scratch_file(data);
    if let Ok(p) = read_text_pairs(f.path()) {
        assert_eq!(p.pairs.len(), p.targets.len());
        assert!(
            p.targets.iter().all(|t| (0.0..=1.0).contains(t)),
            "{:?}",
            p.targets
        );
    }
    let _ = read_text_triplets(f.path());
    if let Ok((texts, labels, classes)) = crate::data::read_labeled_texts(f.path()) {
        assert_eq!(texts.len(), labels.len());
        assert!(labels.iter().all(|&l| l < classes.len()));
    }
}

/// An image or text model's `manifest.json`, parsed and checked as loading does; a manifest
/// that passes builds its tower (which the checks bound in size).
pub fn manifest(data: &[u8]) {
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        if m.check().is_ok() {
            let n = m.tower.parameter_count().expect("checked");
            if n <= 1 << 16 {
                let tower = m.tower.init(&crate::backend::inference_device());
                assert!(tower.is_ok(), "a checked tower failed to build");
            }
        }
    }
    #[cfg(feature = "text")]
    if let Ok(m) = serde_json::from_slice::<crate::text::TextManifest>(data) {
        let _ = m.encoder.check();
    }
}

/// A manifest for an untrained `tower` reading `shape`: the small models the targets load
/// weights into or serve.
fn untrained_manifest(tower: TowerConfig, shape: ImageShape) -> Manifest {
    let input = InputSpec::fitted(shape, std::iter::once(&[0.0, 1.0][..]));
    let training = TrainingSummary {
        data: "fuzz".into(),
        classes: vec![],
        train_items: 0,
        validation_items: 0,
        epochs: 0,
        batch_size: 1,
        optimizer: "adam".into(),
        learning_rate: 1e-3,
        weight_decay: 0.0,
        seed: 0,
        backend: "flex".into(),
        validation: None,
    };
    let (distance, loss) = (Distance::Euclidean, LossKind::Contrastive);
    Manifest::new(tower, input, distance, loss, 1.0, 0.5, training)
}

/// The small tower the safetensors target loads weights into: MLP 4 → 3 → 2.
fn small_manifest() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| {
        let tower = TowerConfig::Mlp(MlpConfig {
            input_dim: 4,
            hidden: vec![3],
            embedding_dim: 2,
            normalize: false,
        });
        let shape = ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        };
        untrained_manifest(tower, shape)
    })
}

/// A weights file: its safetensors header (read by `load_tower` first), then loading it into
/// a small tower and running it.
pub fn safetensors(data: &[u8]) {
    let device = crate::backend::inference_device();
    if let Ok(tower) = load_tower(small_manifest(), data, &PathBuf::from("fuzz"), &device) {
        let x = burn::tensor::Tensor::<4>::zeros([1, 1, 2, 2], &device);
        assert_eq!(tower.forward(x).dims(), [1, 2]);
    }
}

/// A directory gallery's `gallery.twg`.
pub fn gallery_file(data: &[u8]) {
    if let Ok((header, rows)) = crate::gallery::file::parse_gallery(data) {
        assert_eq!(rows.len(), header.entries.len() * header.dim);
    }
}

/// A `tokenizer.json`, loaded for a model of 1,000 tokens and used on a sample text.
#[cfg(feature = "text")]
pub fn tokenizer(data: &[u8]) {
    let name = Path::new("fuzz-tokenizer.json");
    if let Ok(t) = crate::text::TextTokenizer::from_bytes(data, name, 16, 1000) {
        if let Ok(ids) = t.encode(&["a cat sat on the mat", ""]) {
            assert!(ids.iter().flatten().all(|&id| id < 1000), "{ids:?}");
            assert!(ids.iter().all(|s| s.len() <= 16), "{ids:?}");
        }
    }
}
