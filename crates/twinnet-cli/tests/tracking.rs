//! `twinnet train` on `sequences:`, `track` and `track eval` end to end on a synthetic video,
//! and their bad inputs: one clear line and a non-zero exit.

use std::path::Path;

mod common;
use common::*;

/// A textured block moving over a noisy background, as an OTB sequence in `dir`.
fn sequence(dir: &Path, frames: u32, speed: u32) {
    std::fs::create_dir_all(dir.join("img")).unwrap();
    let mut gt = String::new();
    for f in 0..frames {
        let (bx, by) = (8 + speed * f, 10 + f);
        let img = image::RgbImage::from_fn(96, 72, |x, y| {
            if (bx..bx + 12).contains(&x) && (by..by + 16).contains(&y) {
                image::Rgb(if ((x - bx) / 3 + (y - by) / 4) % 2 == 0 {
                    [230, 40, 40]
                } else {
                    [20, 20, 200]
                })
            } else {
                let n = ((x * 31 + y * 17 + f * 13) % 23) as u8;
                image::Rgb([100 + n, 110 + n, 100 + n])
            }
        });
        img.save(dir.join(format!("img/{:04}.jpg", f + 1))).unwrap();
        gt.push_str(&format!("{},{},12,16\n", bx + 1, by + 1));
    }
    std::fs::write(dir.join("groundtruth_rect.txt"), gt).unwrap();
}

const RECIPE: &str = "tower = \"siamfc\"\nbatch-size = 4\nepochs = 1\npairs-per-epoch = 8\nval-fraction = 0.34\n\n[track]\nmax-gap = 4\nval-pairs = 8\n\n[track.tower]\nwidths = [8, 8, 8]\nkernels = [5, 3, 3]\nstrides = [2, 1, 1]\npools = [true, false, false]\nexemplar-size = 31\nsearch-size = 63\n";

#[test]
fn a_tracker_trains_tracks_and_is_evaluated_against_the_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let seqs = tmp.path().join("seqs");
    for (k, speed) in [1, 2, 3].into_iter().enumerate() {
        sequence(&seqs.join(format!("s{k}")), 10, speed);
    }
    let recipe = tmp.path().join("tiny.toml");
    std::fs::write(&recipe, RECIPE).unwrap();
    let (model, data) = (
        tmp.path().join("m"),
        format!("sequences:{}", seqs.display()),
    );
    let p = |p: &Path| p.display().to_string();
    let o = twinnet(&[
        "train",
        "--config",
        &p(&recipe),
        "--data",
        &data,
        "--out",
        &p(&model),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["history"].as_array().unwrap().len(), 1);
    assert_eq!(report["manifest"]["format"], "twinnet-tracker");

    let boxes = tmp.path().join("boxes.txt");
    let o = twinnet(&[
        "track",
        "--model",
        &p(&model),
        "--sequence",
        &p(&seqs.join("s1")),
        "--out",
        &p(&boxes),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = std::fs::read_to_string(&boxes)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], "9.00,11.00,12.00,16.00");

    let plots = tmp.path().join("plots");
    let o = twinnet(&[
        "track",
        "eval",
        "--model",
        &p(&model),
        "--sequences",
        &p(&seqs),
        "--plots",
        &p(&plots),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["success_auc", "precision_20px", "fps"] {
        for v in [
            &r[key],
            &r["baselines"]["static"][key],
            &r["baselines"]["ncc"][key],
        ] {
            assert!(v.as_f64().is_some_and(|x| x >= 0.0), "{key}: {v}");
        }
    }
    assert_eq!(r["sequences"].as_array().unwrap().len(), 3);
    assert_eq!(r["frames"], 30);
    for f in [
        "success.png",
        "success.svg",
        "precision.png",
        "precision.svg",
    ] {
        assert!(plots.join(f).is_file(), "{f}");
    }

    // Bad input: one line naming what is wrong, a non-zero exit, no boxes written.
    let fresh = tmp.path().join("never.txt");
    let (model_s, fresh_s) = (p(&model), p(&fresh));
    let track = |extra: &[&str]| {
        let mut args = vec![
            "track",
            "--model",
            model_s.as_str(),
            "--out",
            fresh_s.as_str(),
        ];
        args.extend_from_slice(extra);
        twinnet(&args)
    };
    let s1 = p(&seqs.join("s1"));
    assert_fails_with(
        &track(&["--sequence", &s1, "--init", "500,5,10,10"]),
        "--init box 500,5,10,10 lies outside the 96×72 frames",
    );
    let o = track(&["--sequence", &s1, "--init", "5,5,0,10"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("zero or negative size"),
        "{}",
        stderr(&o)
    );
    std::fs::write(seqs.join("s2/groundtruth_rect.txt"), "1,1,12,16\n").unwrap();
    assert_fails_with(
        &track(&["--sequence", &p(&seqs.join("s2"))]),
        "1 boxes for 10 frames",
    );
    assert!(!fresh.exists());
    let o = twinnet(&["track", "--model", &p(&model)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A tracker is not an image model, nor an image model a tracker.
    assert_fails_with(
        &twinnet(&["embed", "--model", &p(&model), "a.png"]),
        "holds a tracking model (SiamFC); use `twinnet track`",
    );
}
