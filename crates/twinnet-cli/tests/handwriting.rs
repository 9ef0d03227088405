//! The handwriting sets through the binary: `data fetch svc2004|omniglot --from`, alphabets
//! selected with `Alphabet/*`, within-alphabet one-shot episodes, and the configurable tower.

use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// Character `c` of alphabet `a`, drawing `k`: a bar whose place and angle are the
/// character's, drawn a little differently by each drawer.
fn glyph(path: &Path, a: u32, c: u32, k: u32) {
    let mut img = image::GrayImage::from_pixel(28, 28, image::Luma([255]));
    for t in 0..16u32 {
        let x = 4 + t + (k % 2);
        let y = (4 + 5 * c + a + (t * (a + c)) / 8 + k / 2).min(27);
        img.put_pixel(x.min(27), y, image::Luma([0]));
        img.put_pixel(x.min(27), (y + 1).min(27), image::Luma([0]));
    }
    img.save(path).unwrap();
}

/// Writes `set/<alphabet>/<character>/*.png` for the named alphabets (3 characters × 4
/// drawings each) and zips it as `<set>.zip` in `dir`.
fn omniglot_zip(dir: &Path, set: &str, alphabets: &[(&str, u32)]) {
    for &(name, a) in alphabets {
        for c in 0..3 {
            let d = dir
                .join(set)
                .join(name)
                .join(format!("character{:02}", c + 1));
            std::fs::create_dir_all(&d).unwrap();
            for k in 0..4 {
                glyph(&d.join(format!("{a}{c}_{k:02}.png")), a, c, k);
            }
        }
    }
    let ok = Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(dir.join(format!("{set}.zip")))
        .arg(dir.join(set))
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m zipfile");
    std::fs::remove_dir_all(dir.join(set)).unwrap();
}

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn omniglot_fetch_alphabet_selection_and_within_alphabet_episodes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // Greek is in both sets, byte-identical, as in Lake et al.'s small sets.
    omniglot_zip(
        &src,
        "images_background_small1",
        &[("Greek", 1), ("Korean", 2), ("Balinese", 3)],
    );
    omniglot_zip(
        &src,
        "images_background_small2",
        &[("Greek", 1), ("Tagalog", 4)],
    );
    let omni = tmp.path().join("omni");
    let fetched = json(&twinnet(&[
        "data",
        "fetch",
        "omniglot",
        "--from",
        src.to_str().unwrap(),
        "--dest",
        omni.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(fetched["alphabets"], 4, "{fetched}");
    assert_eq!(fetched["characters"], 12);
    assert_eq!(fetched["images"], 48);
    assert!(!tmp.path().join("omni.partial").exists());

    let model = tmp.path().join("m");
    let o = twinnet(&[
        "train",
        "--data",
        &format!("folder:{}", omni.display()),
        "--out",
        model.to_str().unwrap(),
        "--class-depth",
        "2",
        "--classes",
        "Greek/*,Tagalog/*",
        "--handwriting",
        "--image-size",
        "20",
        "--conv-channels",
        "4,8",
        "--kernel-sizes",
        "3,3",
        "--pools",
        "2,2",
        "--norm",
        "instance",
        "--hidden",
        "16",
        "--embedding-dim",
        "8",
        "--epochs",
        "1",
        "--val-fraction",
        "0.5",
        "--val-pairs",
        "40",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    let classes = manifest["training"]["classes"].as_array().unwrap();
    assert_eq!(
        classes.len(),
        6,
        "Greek/* and Tagalog/* expand to their characters"
    );
    assert_eq!(classes[0], "Greek/character01");
    assert_eq!(manifest["tower"]["norm"], "instance");
    assert_eq!(manifest["tower"]["kernel_sizes"], serde_json::json!([3, 3]));

    let oneshot = |classes: &str, ways: &str, extra: &[&str]| {
        let mut args = vec![
            "oneshot",
            "--model",
            model.to_str().unwrap(),
            "--data",
            omni.to_str().unwrap(),
            "--class-depth",
            "2",
            "--classes",
            classes,
            "--ways",
            ways,
            "--episodes",
            "50",
            "--json",
        ];
        args.extend_from_slice(extra);
        twinnet(&args)
    };
    let unseen = "Korean/*,Balinese/*";
    let r = json(&oneshot(unseen, "3", &["--within-alphabet"]));
    assert_eq!(
        r["within_alphabets"],
        serde_json::json!(["Korean", "Balinese"])
    );
    assert!(r["seen_in_training"].as_array().unwrap().is_empty());
    assert!(json(&oneshot(unseen, "3", &[]))
        .get("within_alphabets")
        .is_none());
    // 4-way within alphabets of 3 characters cannot be drawn.
    let o = oneshot(unseen, "4", &["--within-alphabet"]);
    assert_fails_with(&o, "no group");
    assert_fails_with(&oneshot("Nko/*", "3", &[]), "matches no class");
}

#[test]
fn svc2004_fetch_copies_a_local_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("svc");
    for w in 1..=2 {
        for (kind, n) in [("genuine", 3), ("forged", 2)] {
            let d = src.join(format!("user{w}/{kind}"));
            std::fs::create_dir_all(&d).unwrap();
            for s in 0..n {
                glyph(&d.join(format!("U{w}S{s}.png")), w, s, 0);
            }
        }
    }
    let dest = tmp.path().join("data/svc2004");
    let args = |from: &Path| {
        twinnet(&[
            "data",
            "fetch",
            "svc2004",
            "--from",
            from.to_str().unwrap(),
            "--dest",
            dest.to_str().unwrap(),
            "--json",
        ])
    };
    let r = json(&args(&src));
    assert_eq!(
        (
            r["writers"].as_u64(),
            r["genuine"].as_u64(),
            r["forged"].as_u64()
        ),
        (Some(2), Some(6), Some(4))
    );
    assert_eq!(r["from"], src.to_str().unwrap());
    // A source that is not there fails and keeps what was fetched before.
    let o = args(&tmp.path().join("nowhere"));
    assert_fails_with(&o, "is not a folder");
    assert!(dest.join("user2/forged/U2S1.png").is_file());
    let o = twinnet(&["data", "fetch", "mnist", "--from", src.to_str().unwrap()]);
    assert_fails_with(&o, "comes from its package");
}
