//! `oneshot`, `eval --retrieval`, `plot` and `bench` through the binary.

use std::path::{Path, PathBuf};

mod common;
use common::*;

fn small_model(dir: &Path) -> PathBuf {
    let out = dir.join("m");
    let o = train_tiny(&out, 1024, &["--classes", "0,1,2,3,4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn oneshot_retrieval_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model(dir.path());
    let (m, d) = (model.to_str().unwrap(), sample());
    let d = d.to_str().unwrap();

    let o = twinnet(&[
        "oneshot",
        "--model",
        m,
        "--data",
        d,
        "--classes",
        "5,6,7,8,9",
        "--ways",
        "5",
        "--episodes",
        "300",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ways"], 5);
    assert_eq!(r["chance"], 0.2);
    let acc = r["accuracy"].as_f64().unwrap();
    assert!(
        acc > 0.2 && acc <= 1.0,
        "better than chance on unseen digits: {acc}"
    );
    assert!(r["ci95"].as_f64().unwrap() > 0.0);
    assert!(r["seen_in_training"].as_array().unwrap().is_empty());
    // Reading the tower at its conv features, centred on the training classes' mean, once
    // per image, averaged over shifts of up to one pixel, and whitened.
    for (shift, whiten) in [("0", "--center"), ("1", "--center"), ("0", "--whiten")] {
        let o = twinnet(&[
            "oneshot",
            "--model",
            m,
            "--data",
            d,
            "--classes",
            "5,6,7,8,9",
            "--episodes",
            "300",
            "--layer",
            "conv",
            whiten,
            "--tta-shift",
            shift,
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["layer"], "conv");
        assert_eq!(r["centered"], true);
        assert_eq!(r["tta_shift"].to_string(), shift);
        assert_eq!(r["whitened"], whiten == "--whiten");
        assert_eq!(
            r["whiten_shrinkage"].as_f64(),
            (whiten == "--whiten").then_some(10.0)
        );
        let acc = r["accuracy"].as_f64().unwrap();
        assert!(acc > 0.2 && acc <= 1.0, "{acc}");
    }
    let o = twinnet(&[
        "oneshot",
        "--model",
        m,
        "--data",
        d,
        "--whiten",
        "--whiten-shrinkage",
        "0",
    ]);
    assert_fails_with(&o, "shrinkage must be a positive number");
    let o = twinnet(&["oneshot", "--model", m, "--data", d, "--tta-shift", "20"]);
    assert_fails_with(&o, "does not fit a 28x28 input");
    let o = twinnet(&["oneshot", "--model", m, "--data", d, "--layer", "deep"]);
    assert!(!o.status.success() && stderr(&o).contains("embedding, hidden, conv"));
    // Evaluating on training classes warns that it is not one-shot.
    let o = twinnet(&[
        "oneshot",
        "--model",
        m,
        "--data",
        d,
        "--classes",
        "0,1,2",
        "--ways",
        "3",
        "--episodes",
        "50",
    ]);
    assert!(
        o.status.success() && stderr(&o).contains("not one-shot"),
        "{}",
        stderr(&o)
    );
    // Asking for more classes or shots than there are.
    let o = twinnet(&[
        "oneshot",
        "--model",
        m,
        "--data",
        d,
        "--classes",
        "5,6",
        "--ways",
        "3",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("2 classes"),
        "{}",
        stderr(&o)
    );
    let o = twinnet(&[
        "oneshot",
        "--model",
        m,
        "--data",
        d,
        "--classes",
        "5,6",
        "--ways",
        "2",
        "--shots",
        "100",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("smallest class: 100 examples"),
        "{}",
        stderr(&o)
    );

    let plots = dir.path().join("plots");
    let o = twinnet(&[
        "eval",
        "--model",
        m,
        "--data",
        d,
        "--pairs",
        "500",
        "--retrieval",
        "--plots",
        plots.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["retrieval"]["queries"], 1000);
    for k in ["precision_at_1", "map_at_r"] {
        let v = e["retrieval"][k].as_f64().unwrap();
        assert!(v > 0.0 && v <= 1.0, "{k} = {v}");
    }
    for f in ["roc", "distances", "embeddings", "training"] {
        for ext in ["png", "svg"] {
            let p = plots.join(format!("{f}.{ext}"));
            assert!(
                std::fs::metadata(&p)
                    .map(|m| m.len() > 1000)
                    .unwrap_or(false),
                "{} missing or empty",
                p.display()
            );
        }
    }
    let png = image::open(plots.join("roc.png")).unwrap();
    assert_eq!((png.width(), png.height()), (800, 600));
}

#[test]
fn bench_reports_the_peer_figures() {
    let o = twinnet(&[
        "bench",
        "--quick",
        "--steps",
        "2",
        "--threads",
        "1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["threads"], 1);
    assert_eq!(r["backend"], "flex");
    for k in ["train_steps_per_s", "infer_emb_per_s", "peak_rss_mib"] {
        assert!(r[k].as_f64().unwrap() > 0.0, "{k}");
    }
}
