//! A gallery survives `kill -9` at any moment of an enrolment: afterwards it opens, and holds
//! either all of an enrolment's entries or none of them.

mod common;

use common::{stderr, train_tiny, twinnet};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn kill_9_during_enrolment_leaves_the_last_committed_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    assert!(train_tiny(&model, 512, &[]).status.success());
    let test =
        twinnet::data::read_idx_split(&common::sample(), twinnet::data::Split::Test).unwrap();
    const BATCH: usize = 300;
    let files: Vec<String> = (0..BATCH)
        .map(|i| {
            let p = dir.path().join(format!("{i}.png"));
            twinnet::data::save_item_png(test.item(i), test.shape, &p).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect();
    let gallery = dir.path().join("g");
    let (m, g) = (model.to_str().unwrap(), gallery.to_str().unwrap());
    let enrol = |label: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_twinnet"));
        c.args([
            "gallery",
            "enroll",
            "--model",
            m,
            "--gallery",
            g,
            "--label",
            label,
        ]);
        c.args(&files);
        c
    };
    // One complete enrolment, timed, so the kills below land across a whole run.
    let t = Instant::now();
    let o = enrol("first").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let full = t.elapsed();
    let count = || -> usize {
        let o = twinnet(&["gallery", "list", "--gallery", g, "--json"]);
        assert!(o.status.success(), "the gallery must open: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array().unwrap().len()
    };
    let mut committed = count();
    assert_eq!(committed, BATCH);
    for k in 0..8u32 {
        let mut child = enrol(&format!("run{k}")).spawn().unwrap();
        std::thread::sleep(full.mul_f64(0.6 + 0.1 * f64::from(k)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = count();
        assert!(
            now == committed || now == committed + BATCH,
            "after kill {k}: {now} entries, expected {committed} or {}",
            committed + BATCH
        );
        committed = now;
        std::thread::sleep(Duration::from_millis(5));
    }
    // Whatever was left behind, the gallery still takes new entries.
    let o = enrol("last").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(), committed + BATCH);
}
