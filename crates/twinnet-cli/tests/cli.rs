//! The `twinnet` binary end to end: train → eval → embed → verify, and bad input.

use std::path::Path;
use std::process::Output;

mod common;
use common::*;

fn train_small(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    train_tiny(out, 4096, &args)
}

#[test]
fn train_eval_embed_verify() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    let o = train_small(&model, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["history"].as_array().unwrap().len(), 1);

    let o = twinnet(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        sample().to_str().unwrap(),
        "--pairs",
        "400",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["auc", "eer", "accuracy", "threshold"] {
        assert!(e[key].is_number(), "eval --json lacks {key}: {e}");
    }
    assert!(e["tar_at_far"]["1e-2"].is_number() && e["tar_at_far"]["1e-3"].is_number());
    assert_eq!(e["pairs"], 400);
    assert!(e["auc"].as_f64().unwrap() > 0.8);
    // Same seed → same metrics.
    let again = twinnet(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        sample().to_str().unwrap(),
        "--pairs",
        "400",
        "--json",
    ]);
    assert_eq!(o.stdout, again.stdout);

    // Write two digits as PNG files and embed / verify them.
    let test = twinnet::data::read_idx_split(&sample(), twinnet::data::Split::Test).unwrap();
    let a = dir.path().join("a.png");
    let b = dir.path().join("b.png");
    twinnet::data::save_item_png(test.item(0), test.shape, &a).unwrap();
    twinnet::data::save_item_png(test.item(1), test.shape, &b).unwrap();
    let o = twinnet(&[
        "embed",
        "--model",
        model.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let emb: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(emb.as_array().unwrap().len(), 2);
    assert_eq!(emb[0]["embedding"].as_array().unwrap().len(), 16);
    let o = twinnet(&[
        "verify",
        "--model",
        model.to_str().unwrap(),
        a.to_str().unwrap(),
        a.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["distance"].as_f64().unwrap() < 1e-3);
    assert_eq!(v["same"], true);
    assert!(v["threshold"].is_number());

    // A gallery: enrol two people, identify one, "unknown" beyond the threshold, list, remove.
    let (m, g) = (model.to_str().unwrap(), dir.path().join("gallery"));
    let g = g.to_str().unwrap();
    for (label, file) in [("alice", &a), ("bob", &b)] {
        let o = twinnet(&[
            "gallery",
            "enroll",
            "--model",
            m,
            "--gallery",
            g,
            "--label",
            label,
            file.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let who = |extra: &[&str]| {
        let mut args = vec![
            "identify",
            "--model",
            m,
            "--gallery",
            g,
            a.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = twinnet(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let r = who(&[]);
    assert_eq!(r["label"], "alice");
    assert_eq!(r["matches"][0]["label"], "alice");
    assert_eq!(r["matches"].as_array().unwrap().len(), 2);
    assert_eq!(who(&["--threshold=-1"])["label"], "unknown");
    let list = twinnet(&["gallery", "list", "--gallery", g, "--json"]);
    let entries: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 2);
    assert!(twinnet(&["gallery", "remove", "--gallery", g, "1"])
        .status
        .success());
    let r = who(&[]);
    assert_eq!(r["matches"].as_array().unwrap().len(), 1);
    assert_eq!(r["matches"][0]["label"], "bob");
    assert_fails_with(
        &twinnet(&["gallery", "remove", "--gallery", g, "1"]),
        "no entry with id 1",
    );
    assert_fails_with(
        &twinnet(&[
            "identify",
            "--model",
            m,
            "--gallery",
            "/no/gallery",
            a.to_str().unwrap(),
        ]),
        "is not a gallery",
    );
}

#[test]
fn bad_input_fails_cleanly_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();

    assert_fails_with(
        &twinnet(&["train", "--data", "/no/such/data", "--out", out_s]),
        "/no/such/data",
    );
    assert_fails_with(
        &train_small(&out, &["--classes", "3,x"]),
        "unknown class 'x'",
    );
    assert_fails_with(&train_small(&out, &["--classes", ","]), "selects no class");
    assert_fails_with(
        &train_small(&out, &["--classes", "4"]),
        "at least 2 classes",
    );
    assert_fails_with(&train_small(&out, &["--resume"]), "no checkpoint");

    // Wrong IDX magic and a truncated file name the file.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(
        bad.join("train-images-idx3-ubyte"),
        [0u8, 0, 8, 1, 0, 0, 0, 1, 0],
    )
    .unwrap();
    std::fs::write(
        bad.join("train-labels-idx1-ubyte"),
        [0u8, 0, 8, 1, 0, 0, 0, 1, 0],
    )
    .unwrap();
    let o = twinnet(&["train", "--data", bad.to_str().unwrap(), "--out", out_s]);
    assert_fails_with(&o, "wrong IDX magic");
    assert!(stderr(&o).contains("train-images-idx3-ubyte"));
    std::fs::write(
        bad.join("train-images-idx3-ubyte"),
        [0u8, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7],
    )
    .unwrap();
    assert_fails_with(
        &twinnet(&["train", "--data", bad.to_str().unwrap(), "--out", out_s]),
        "truncated",
    );

    // An undecodable image in a folder is named.
    let folder = dir.path().join("folder");
    std::fs::create_dir_all(folder.join("c")).unwrap();
    std::fs::write(folder.join("c").join("broken.jpg"), b"not a jpeg").unwrap();
    assert_fails_with(
        &twinnet(&["train", "--data", folder.to_str().unwrap(), "--out", out_s]),
        "broken.jpg",
    );

    // A trained model is not overwritten without --force, and a mismatched manifest is refused.
    assert!(train_small(&out, &[]).status.success());
    let before = std::fs::read(out.join("model.safetensors")).unwrap();
    assert_fails_with(&train_small(&out, &[]), "already holds a model");
    assert_eq!(
        before,
        std::fs::read(out.join("model.safetensors")).unwrap()
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let other = manifest.replace("\"kind\": \"cnn\"", "\"kind\": \"mlp\"");
    std::fs::write(out.join("manifest.json"), other).unwrap();
    let o = twinnet(&[
        "eval",
        "--model",
        out_s,
        "--data",
        sample().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("manifest"), "{}", stderr(&o));

    assert_fails_with(
        &twinnet(&[
            "eval",
            "--model",
            "/no/model",
            "--data",
            sample().to_str().unwrap(),
        ]),
        "/no/model",
    );
    assert_fails_with(
        &twinnet(&["verify", "--model", out_s, "/no/a.png", "/no/b.png"]),
        "manifest",
    );
}

#[cfg(not(feature = "mpi"))]
#[test]
fn distributed_training_without_the_mpi_feature_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = train_sample(&dir.path().join("m"), 64, &["--distributed", "mpi"]);
    assert_fails_with(&o, "--features mpi");
    assert!(!dir.path().join("m").exists(), "nothing written");
}
