//! The binary against a hostile or careless user (issue 19): nonsense numbers are refused
//! with one clear line, `--json` errors are JSON, a closed pipe is not a crash.

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::*;

/// `--json` errors are `{"error": …}` on stderr: the library's and clap's alike.
#[test]
fn json_errors_are_json() {
    for (args, needle, code) in [
        (
            &[
                "verify",
                "--json",
                "--model",
                "/no/such/model",
                "a.png",
                "b.png",
            ][..],
            "/no/such/model",
            1,
        ),
        (&["verify", "--json", "--bogus"][..], "--bogus", 2),
        (&["eval", "--json"][..], "--model", 2),
    ] {
        let o = twinnet(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        let v: serde_json::Value = serde_json::from_str(err.trim())
            .unwrap_or_else(|e| panic!("{args:?}: stderr is not JSON ({e}): {err}"));
        let message = v["error"].as_str().expect("an error string");
        assert!(message.contains(needle), "{args:?}: {message}");
        assert!(o.stdout.is_empty());
    }
    // Without --json the error stays a line for people.
    let o = twinnet(&["verify", "--model", "/no/such/model", "a.png", "b.png"]);
    assert_fails_with(&o, "error: model directory /no/such/model does not exist");
}

/// Numbers no run or decision can use are refused before any work, naming the flag.
#[test]
fn nonsense_numbers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    let o = train_sample(&dir.path().join("v0"), 256, &["--val-pairs", "0"]);
    assert_fails_with(&o, "--val-pairs must be at least 2");
    assert!(!dir.path().join("v0/manifest.json").exists());

    let o = train_tiny(&model, 512, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = model.to_str().unwrap();
    let data = sample();
    for pairs in ["0", "1"] {
        let o = twinnet(&[
            "eval",
            "--model",
            m,
            "--data",
            data.to_str().unwrap(),
            "--pairs",
            pairs,
        ]);
        assert_fails_with(&o, "at least one same and one different pair");
    }

    let test = twinnet::data::read_idx_split(&data, twinnet::data::Split::Test).unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    twinnet::data::save_item_png(test.item(0), test.shape, &a).unwrap();
    twinnet::data::save_item_png(test.item(1), test.shape, &b).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    for t in ["NaN", "inf"] {
        let o = twinnet(&["verify", "--model", m, a, b, "--threshold", t]);
        assert_fails_with(&o, "--threshold must be a finite number");
    }

    let gallery = dir.path().join("g");
    let g = gallery.to_str().unwrap();
    let o = twinnet(&[
        "gallery",
        "enroll",
        "--model",
        m,
        "--gallery",
        g,
        "--label",
        "x",
        a,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = twinnet(&["identify", "--model", m, "--gallery", g, b, "--top-k", "0"]);
    assert_fails_with(&o, "--top-k must be at least 1");
    let o = twinnet(&[
        "identify",
        "--model",
        m,
        "--gallery",
        g,
        b,
        "--threshold",
        "NaN",
    ]);
    assert_fails_with(&o, "--threshold must be a finite number");

    // A reader that goes away (`| head`) is not a crash: quiet success.
    let mut child = Command::new(env!("CARGO_BIN_EXE_twinnet"))
        .args(["embed", "--model", m, a, b, a, b])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "closed stdout: {status:?}, {err}");
    assert!(!err.contains("panicked"), "{err}");
}
