//! Model directories: fully connected weights are written in PyTorch's `[out, in]` layout (the
//! file is tagged `pt`; a forward pass computed straight from the file's bytes the way
//! `torch.nn.Linear` computes it, `x Wᵀ + b`, gives the model's embeddings), and a directory
//! written by an earlier twinnet (format version 1, burn's `[in, out]` layout) still loads
//! with the embeddings that version computed.

use std::path::Path;
use twinnet::data::{Dataset, ImageShape, LabeledImages};
use twinnet::model::{TwinModel, WEIGHTS_FILE};
use twinnet::{Input, Model, Recipe, Trainer};

fn tensors(bytes: &[u8]) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let mut out: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
            let data = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, view.shape().to_vec(), data)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn linear_weights_are_stored_out_by_in_and_compute_like_pytorch() {
    let shape = ImageShape {
        channels: 1,
        height: 4,
        width: 4,
    };
    let image = |i: usize| -> Vec<f32> {
        (0..16)
            .map(|k| {
                let lit = (k < 8) == i.is_multiple_of(2);
                let base = if lit { 0.9 } else { 0.1 };
                base + 0.013 * ((i * 7 + k) % 5) as f32
            })
            .collect()
    };
    let data = Dataset::Labeled(LabeledImages {
        pixels: (0..60).flat_map(image).collect(),
        labels: (0..60).map(|i| i % 2).collect(),
        shape,
        class_names: vec!["a".into(), "b".into()],
    });
    let recipe = Recipe::from_toml(
        "tower = \"mlp\"\nhidden = \"8\"\nembedding-dim = 4\nepochs = 1\nbatch-size = 16\nval-pairs = 40\nval-fraction = 0.25",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    Trainer::new(recipe)
        .fit(data)
        .unwrap()
        .save(dir.path())
        .unwrap();
    let model = TwinModel::load(dir.path()).unwrap();
    assert_eq!(model.manifest.header.format_version, 2);

    let bytes = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(
        meta.metadata().as_ref().unwrap().get("format").unwrap(),
        "pt"
    );
    let t = tensors(&bytes);
    let shapes: Vec<(&str, &[usize])> = t
        .iter()
        .map(|(n, s, _)| (n.as_str(), s.as_slice()))
        .collect();
    // Two layers: 16 → 8 → 4, weights [out, in] as torch.nn.Linear holds them.
    assert_eq!(
        shapes,
        [
            ("Mlp.layers.0.bias", &[8][..]),
            ("Mlp.layers.0.weight", &[8, 16][..]),
            ("Mlp.layers.1.bias", &[4][..]),
            ("Mlp.layers.1.weight", &[4, 8][..]),
        ]
    );
    let linear = |w: &[f32], b: &[f32], x: &[f32], relu: bool| -> Vec<f32> {
        let (out, inp) = (b.len(), x.len());
        (0..out)
            .map(|o| {
                let y = b[o] + (0..inp).map(|i| w[o * inp + i] * x[i]).sum::<f32>();
                if relu {
                    y.max(0.0)
                } else {
                    y
                }
            })
            .collect()
    };
    for i in 0..4 {
        let raw = image(i);
        let x = model
            .manifest
            .input
            .normalized(std::iter::once(raw.as_slice()));
        let h = linear(&t[1].2, &t[0].2, &x, true);
        let by_hand = linear(&t[3].2, &t[2].2, &h, false);
        let e = &model.embed_pixels(&[raw.as_slice()])[0];
        for (a, b) in e.iter().zip(&by_hand) {
            assert!((a - b).abs() < 1e-5, "image {i}: {e:?} vs {by_hand:?}");
        }
    }
}

#[test]
fn a_version_1_model_directory_still_loads_with_its_embeddings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/model-v1");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let model = Model::load(&dir).unwrap();
    let inputs: Vec<Input> = (0..2)
        .map(|k| Input::ImageFile(dir.join(format!("digit{k}.pgm"))))
        .collect();
    let e = model.embed(&inputs).unwrap();
    for (row, want) in e.iter().zip(expected["embeddings"].as_array().unwrap()) {
        let want: Vec<f32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        for (a, b) in row.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{row:?} vs {want:?}");
        }
    }
    // Its learned Koch head (a Linear, also in burn's layout in version 1) scores the pair.
    let v = model.verify(&inputs[0], &inputs[1]).unwrap();
    let d = expected["distance"].as_f64().unwrap() as f32;
    assert!((v.distance - d).abs() < 1e-6, "{} vs {d}", v.distance);
    assert_eq!(
        v.threshold,
        Some(expected["threshold"].as_f64().unwrap() as f32)
    );
}

/// A copy of the version-1 model directory with its manifest edited by `edit`.
fn edited_model(edit: impl Fn(&mut serde_json::Value)) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/model-v1");
    let dir = tempfile::tempdir().unwrap();
    for f in ["manifest.json", "model.safetensors", "head.safetensors"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let path = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    dir
}

fn load_error(edit: impl Fn(&mut serde_json::Value)) -> String {
    let dir = edited_model(edit);
    match TwinModel::load(dir.path()) {
        Ok(_) => panic!("an edited manifest loaded"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_manifest_that_disagrees_with_itself_is_refused_naming_the_field() {
    // The unedited copy loads, so each error below is the edit's.
    assert!(TwinModel::load(edited_model(|_| {}).path()).is_ok());
    let e = load_error(|m| m["input"]["shape"]["height"] = 32.into());
    assert!(
        e.contains("`input.shape` 1x32x28") && e.contains("1x28x28"),
        "{e}"
    );
    // A tower of 2^40 rows (and its input) is refused before anything is allocated.
    let e = load_error(|m| {
        m["tower"]["height"] = (1u64 << 40).into();
        m["input"]["shape"]["height"] = (1u64 << 40).into();
    });
    assert!(e.contains("sides of 1 to 16384"), "{e}");
    let e = load_error(|m| m["tower"]["hidden"] = serde_json::json!([1u64 << 40]));
    assert!(e.contains("more than 1073741824 parameters"), "{e}");
    let e = load_error(|m| m["tower"]["conv_channels"] = serde_json::json!([usize::MAX, 8]));
    assert!(e.contains("parameters"), "{e}");
    let e = load_error(|m| m["input"]["std"] = 0.0.into());
    assert!(e.contains("`input.std` must be a positive number"), "{e}");
    // (JSON has no NaN; a number too big for f32 reads as infinity.)
    let e = load_error(|m| m["threshold"] = 1e39.into());
    assert!(e.contains("`threshold` must be a finite number"), "{e}");
    let e = load_error(|m| m["margin"] = (-1.0).into());
    assert!(e.contains("`margin` must be a non-negative number"), "{e}");
}
