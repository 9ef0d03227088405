//! Signature verification end to end on a small synthetic signature folder: writer-held-out
//! training, skilled and random forgeries scored apart, references, handwriting preprocessing
//! kept in the model, and bad folders refused by writer and file.

use std::path::Path;

mod common;
use common::*;

/// A wavy stroke of writer `w`: frequency and amplitude are the writer's, `variant` shifts
/// it slightly (another genuine sample), a forgery gets a different frequency. Drawn dark on a
/// pale page at a position that moves, so only cropping to the ink makes samples comparable.
fn draw(path: &Path, w: u32, variant: u32, forged: bool) {
    let (pw, ph) = (120u32, 70u32);
    let mut img = image::GrayImage::from_pixel(pw, ph, image::Luma([235]));
    let freq = 0.08 + 0.05 * w as f32 + if forged { 0.03 } else { 0.0 };
    let amp = 8.0 + 2.0 * (w % 3) as f32 + 0.3 * variant as f32;
    let (ox, oy) = (5 + 3 * variant, 20 + 2 * variant);
    for x in 0..80u32 {
        let y = oy as f32 + amp * (freq * x as f32 + 0.2 * variant as f32).sin();
        for dy in 0..2 {
            let (px, py) = (ox + x, (y as i32 + dy).clamp(0, ph as i32 - 1) as u32);
            img.put_pixel(px, py, image::Luma([20]));
        }
    }
    img.save(path).unwrap();
}

/// Writers `user1..=n`, each with `genuine` genuine signatures and `forged` forgeries.
fn signature_folder(root: &Path, n: u32, genuine: u32, forged: u32) {
    for w in 1..=n {
        for (kind, count) in [("genuine", genuine), ("forged", forged)] {
            let dir = root.join(format!("user{w}/{kind}"));
            std::fs::create_dir_all(&dir).unwrap();
            for v in 0..count {
                draw(&dir.join(format!("U{w}S{v}.png")), w, v, kind == "forged");
            }
        }
    }
}

fn train_signatures(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let spec = format!("signatures:{}", data.display());
    let mut args = vec![
        "train",
        "--data",
        &spec,
        "--out",
        out.to_str().unwrap(),
        "--handwriting",
        "--image-size",
        "40x20",
        "--conv-channels",
        "4,8",
        "--hidden",
        "16",
        "--embedding-dim",
        "8",
        "--epochs",
        "1",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    twinnet(&args)
}

/// A synthetic folder of `writers` writers under `root` and a model trained on it with
/// `extra` flags (asserted to succeed): (data folder, model folder).
fn trained(
    root: &Path,
    writers: u32,
    genuine: u32,
    forged: u32,
    extra: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let data = root.join("sigs");
    signature_folder(&data, writers, genuine, forged);
    let model = root.join("model");
    let o = train_signatures(&data, &model, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    (data, model)
}

#[test]
fn writers_train_apart_and_forgeries_are_scored_by_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let flags = [
        "--classes",
        "user1,user2,user3,user4",
        "--val-classes",
        "user5,user6",
    ];
    let (data, model) = trained(tmp.path(), 8, 5, 3, &flags);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["input"]["handwriting"]["threshold"], "otsu");
    assert_eq!(manifest["input"]["handwriting"]["invert"], true);
    // Validation pairs come from the two held-out writers only: 10 genuine pairs each, as many
    // skilled and random ones.
    assert_eq!(manifest["training"]["validation_items"], 60);

    let spec = format!("signatures:{}", data.display());
    let o = twinnet(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        &spec,
        "--classes",
        "user7,user8",
        "--references",
        "2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Every pair of the two unseen writers: C(5,2) genuine pairs each, 5 × 3 skilled pairs
    // each, 5 × 5 random pairs between them.
    assert_eq!(r["writers"], 2);
    assert_eq!(r["genuine_pairs"], 20);
    assert_eq!(r["skilled_pairs"], 30);
    assert_eq!(r["random_pairs"], 25);
    assert_eq!(r["pairs"], 75);
    for key in [
        "eer_skilled",
        "eer_random",
        "auc_skilled",
        "auc_random",
        "frr",
        "far_skilled",
        "far_random",
    ] {
        let v = r[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {r}"));
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    // Two references each: the other 3 genuine signatures, the 3 forgeries and the other
    // writer's 3 questioned genuine ones are compared against them.
    let refs = &r["references"];
    assert_eq!(refs["references"], 2);
    for how in ["mean", "min"] {
        assert_eq!(refs[how]["genuine_pairs"], 6);
        assert_eq!(refs[how]["skilled_pairs"], 6);
        assert_eq!(refs[how]["random_pairs"], 6);
    }
    // The table names both kinds.
    let o = twinnet(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        &spec,
        "--classes",
        "user7,user8",
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("eer_skilled") && table.contains("pairs (2 writers)"),
        "{table}"
    );

    // verify prepares a questioned file through the stored preprocessing: a signature moved
    // and scaled on its page still matches itself.
    let a = data.join("user7/genuine/U7S0.png");
    let o = twinnet(&[
        "verify",
        "--model",
        model.to_str().unwrap(),
        a.to_str().unwrap(),
        a.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["distance"].as_f64().unwrap() < 1e-3, "{v}");
}

#[test]
fn bad_signature_folders_are_refused_by_writer_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("sigs");
    signature_folder(&data, 3, 3, 2);
    let out = tmp.path().join("model");
    let check = |needles: &[&str]| {
        let o = train_signatures(&data, &out, &[]);
        for n in needles {
            assert_fails_with(&o, n);
        }
        assert!(!out.exists(), "nothing may be written");
    };
    std::fs::rename(data.join("user2/genuine"), data.join("user2/g")).unwrap();
    check(&["writer user2", "genuine is missing"]);
    std::fs::rename(data.join("user2/g"), data.join("user2/genuine")).unwrap();

    for v in 1..3 {
        std::fs::remove_file(data.join(format!("user3/genuine/U3S{v}.png"))).unwrap();
    }
    check(&["writer user3", "at least 2"]);
    signature_folder(&data, 3, 3, 2);

    std::fs::remove_dir_all(data.join("user1/forged")).unwrap();
    std::fs::create_dir(data.join("user1/forged")).unwrap();
    check(&["writer user1", "no forgeries"]);
    signature_folder(&data, 3, 3, 2);

    let blank = data.join("user2/forged/U2S1.png");
    image::GrayImage::from_pixel(50, 30, image::Luma([250]))
        .save(&blank)
        .unwrap();
    check(&["U2S1.png", "no ink"]);
    signature_folder(&data, 3, 3, 2);

    // Only a signature folder can hold writers out by name.
    let o = train_sample(&out, 64, &["--val-classes", "1"]);
    assert_fails_with(&o, "val-classes");
    assert!(!out.exists());
}

#[test]
fn a_writer_enrolled_in_a_gallery_is_verified_by_claim() {
    let tmp = tempfile::tempdir().unwrap();
    let flags = [
        "--classes",
        "user1,user2,user3",
        "--val-classes",
        "user4,user5",
    ];
    let (data, model) = trained(tmp.path(), 6, 5, 2, &flags);
    let m = model.to_str().unwrap();
    let gallery = tmp.path().join("bank");
    let g = gallery.to_str().unwrap();
    let file = |kind: &str, v: u32| data.join(format!("user6/{kind}/U6S{v}.png"));
    let refs: Vec<String> = (0..3)
        .map(|v| file("genuine", v).to_str().unwrap().to_string())
        .collect();
    let mut enrol = vec![
        "gallery",
        "enroll",
        "--model",
        m,
        "--gallery",
        g,
        "--label",
        "user6",
    ];
    enrol.extend(refs.iter().map(String::as_str));
    let o = twinnet(&enrol);
    assert!(o.status.success(), "{}", stderr(&o));

    let claim = |questioned: &Path, extra: &[&str]| -> serde_json::Value {
        let q = questioned.to_str().unwrap();
        let mut args = vec![
            "verify",
            "--model",
            m,
            q,
            "--claim",
            "user6",
            "--gallery",
            g,
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = twinnet(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    // A questioned signature against the three references: the mean and min of the three
    // pair distances `verify A B` gives, decided at the model's threshold by the mean.
    let q = file("genuine", 4);
    let c = claim(&q, &[]);
    let pair = |r: &str| -> f64 {
        let o = twinnet(&["verify", "--model", m, q.to_str().unwrap(), r, "--json"]);
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["distance"]
            .as_f64()
            .unwrap()
    };
    let d: Vec<f64> = refs.iter().map(|r| pair(r)).collect();
    let mean = d.iter().sum::<f64>() / 3.0;
    let min = d.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(c["claim"], "user6");
    assert_eq!(c["references"], 3);
    assert_eq!(c["matches"].as_array().unwrap().len(), 3);
    assert!(
        (c["mean_distance"].as_f64().unwrap() - mean).abs() < 1e-5,
        "{c} vs {d:?}"
    );
    assert!(
        (c["min_distance"].as_f64().unwrap() - min).abs() < 1e-5,
        "{c} vs {d:?}"
    );
    assert_eq!(c["score"], "mean");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    let t = manifest["threshold"].as_f64().unwrap();
    assert!((c["threshold"].as_f64().unwrap() - t).abs() < 1e-6);
    assert_eq!(c["accepted"], mean <= t, "{c}");
    // An enrolled reference itself is at distance 0 from its copy: accepted by the closest
    // reference even at a tiny threshold; a forgery is not at distance 0 from any.
    let own = claim(
        &file("genuine", 0),
        &["--score", "min", "--threshold", "0.0001"],
    );
    assert_eq!(
        (own["accepted"].as_bool(), own["score"].as_str()),
        (Some(true), Some("min"))
    );
    let fake = claim(
        &file("forged", 0),
        &["--score", "min", "--threshold", "0.0001"],
    );
    assert_eq!(fake["accepted"], false, "{fake}");
    // The table line says the verdict.
    let o = twinnet(&[
        "verify",
        "--model",
        m,
        q.to_str().unwrap(),
        "--claim",
        "user6",
        "--gallery",
        g,
    ]);
    let line = String::from_utf8_lossy(&o.stdout);
    assert!(
        line.contains("claim 'user6'") && line.contains("3 references"),
        "{line}"
    );

    // Bad claims: nobody enrolled as the label, two inputs, no gallery, --claim without one.
    let q = q.to_str().unwrap();
    let o = twinnet(&[
        "verify",
        "--model",
        m,
        q,
        "--claim",
        "user9",
        "--gallery",
        g,
    ]);
    assert_fails_with(&o, "no references enrolled as 'user9'");
    let o = twinnet(&[
        "verify",
        "--model",
        m,
        q,
        q,
        "--claim",
        "user6",
        "--gallery",
        g,
    ]);
    assert_fails_with(&o, "give one input");
    let missing = tmp.path().join("nobank");
    let o = twinnet(&[
        "verify",
        "--model",
        m,
        q,
        "--claim",
        "user6",
        "--gallery",
        missing.to_str().unwrap(),
    ]);
    assert_fails_with(&o, "is not a gallery");
    let o = twinnet(&["verify", "--model", m, q, "--claim", "user6"]);
    assert!(
        !o.status.success() && stderr(&o).contains("--gallery"),
        "{}",
        stderr(&o)
    );
    let o = twinnet(&["verify", "--model", m, q]);
    assert_fails_with(&o, "give two inputs");
}
