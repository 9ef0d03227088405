//! Hard-negative mining (`sampling::HardNegatives`) on texts whose vectors are set by hand, so
//! every cosine, ranking and margin decision is known; and the pair files it reads.

use twinnet::sampling::{HardNegatives, NegativeSampling};

/// Texts at angles (degrees) on the unit circle: the cosine of two is cos(Δangle).
fn at_angles(texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
    Ok(texts
        .iter()
        .map(|t| {
            let deg: f32 = match *t {
                "q1" => 0.0,
                "p1" => 10.0,
                "q2" => 90.0,
                "p2" => 20.0,
                "q3" => 180.0,
                "p3" => 40.0,
                "p4" => 60.0,
                other => panic!("no angle for {other}"),
            };
            let r = deg.to_radians();
            // Scaled: mining must normalise.
            vec![3.0 * r.cos(), 3.0 * r.sin()]
        })
        .collect())
}

fn pairs() -> Vec<(String, String)> {
    [("q1", "p1"), ("q2", "p2"), ("q3", "p3"), ("q3", "p4")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn negatives_of(t: &twinnet::sampling::MinedTriplets, anchor: &str, positive: &str) -> Vec<String> {
    t.triplets
        .iter()
        .filter(|r| r[0] == anchor && r[1] == positive)
        .map(|r| r[2].clone())
        .collect()
}

#[test]
fn top_negatives_are_the_closest_texts_that_are_not_the_anchors_positives() {
    let cfg = HardNegatives {
        num_negatives: 2,
        ..Default::default()
    };
    let t = cfg.mine(&pairs(), at_angles).unwrap();
    assert_eq!((t.pairs, t.corpus), (4, 4));
    // q1 at 0°: p2 (20°), p3 (40°), p4 (60°); its own p1 is skipped.
    assert_eq!(negatives_of(&t, "q1", "p1"), ["p2", "p3"]);
    // q2 at 90°: p4 (30° away), p3 (50°), p2 is its own.
    assert_eq!(negatives_of(&t, "q2", "p2"), ["p4", "p3"]);
    // q3 at 180° has positives p3 and p4: both are skipped for both of its pairs.
    assert_eq!(negatives_of(&t, "q3", "p3"), ["p2", "p1"]);
    assert_eq!(negatives_of(&t, "q3", "p4"), ["p2", "p1"]);
    assert_eq!(t.triplets.len(), 8);
    assert_eq!(t.pairs_without_negative, 0);
    let cos = |d: f32| f64::from(d.to_radians().cos());
    let want_pos = (cos(10.0) + cos(70.0) + cos(140.0) + cos(120.0)) / 4.0;
    assert!((t.mean_positive_score - want_pos).abs() < 1e-5);
    let want_neg =
        (cos(20.0) + cos(40.0) + cos(30.0) + cos(50.0) + 2.0 * (cos(160.0) + cos(170.0))) / 8.0;
    assert!((t.mean_negative_score - want_neg).abs() < 1e-5);
}

#[test]
fn the_window_and_the_margins_skip_candidates() {
    // range 1..2: only the second-ranked candidate.
    let cfg = HardNegatives {
        num_negatives: 3,
        range_min: 1,
        range_max: Some(2),
        ..Default::default()
    };
    let t = cfg.mine(&pairs(), at_angles).unwrap();
    assert_eq!(negatives_of(&t, "q1", "p1"), ["p3"]);
    // Relative margin 0.05: q1's positive scores cos 10° = 0.985, so a negative must score at
    // most 0.935: p2 (cos 20° = 0.940) is skipped as a likely positive, p3 and p4 are kept.
    let cfg = HardNegatives {
        relative_margin: Some(0.05),
        ..Default::default()
    };
    let t = cfg.mine(&pairs(), at_angles).unwrap();
    assert_eq!(negatives_of(&t, "q1", "p1"), ["p3", "p4"]);
    // Absolute margin 0.5 below q2's positive (cos 70° = 0.342): a negative must score at most
    // −0.158, and q2's candidates p4, p3, p1 score 0.866, 0.643, 0.174: q2 gets none.
    let cfg = HardNegatives {
        absolute_margin: Some(0.5),
        ..Default::default()
    };
    let t = cfg.mine(&pairs(), at_angles).unwrap();
    assert!(negatives_of(&t, "q2", "p2").is_empty());
    assert!(t.pairs_without_negative >= 1);
    // max_score 0.8: q1 keeps p3 (0.766) and p4 (0.5), not p2 (0.94).
    let cfg = HardNegatives {
        max_score: Some(0.8),
        min_score: Some(0.6),
        ..Default::default()
    };
    let t = cfg.mine(&pairs(), at_angles).unwrap();
    assert_eq!(negatives_of(&t, "q1", "p1"), ["p3"]);
}

#[test]
fn random_sampling_is_seeded_and_draws_from_the_kept_candidates() {
    let cfg = |seed| HardNegatives {
        num_negatives: 1,
        sampling: NegativeSampling::Random,
        seed,
        ..Default::default()
    };
    let a = cfg(7).mine(&pairs(), at_angles).unwrap();
    assert_eq!(a, cfg(7).mine(&pairs(), at_angles).unwrap());
    let drawn: std::collections::HashSet<String> = (0..40)
        .map(|s| negatives_of(&cfg(s).mine(&pairs(), at_angles).unwrap(), "q1", "p1")[0].clone())
        .collect();
    let want: std::collections::HashSet<String> =
        ["p2", "p3", "p4"].iter().map(|s| s.to_string()).collect();
    assert_eq!(drawn, want, "40 seeds draw each of q1's three candidates");
}

#[test]
fn settings_that_mine_nothing_are_refused() {
    let bad = [
        HardNegatives {
            num_negatives: 0,
            ..Default::default()
        },
        HardNegatives {
            range_min: 5,
            range_max: Some(5),
            ..Default::default()
        },
        HardNegatives {
            relative_margin: Some(1.0),
            ..Default::default()
        },
        HardNegatives {
            max_score: Some(f32::NAN),
            ..Default::default()
        },
    ];
    for cfg in bad {
        assert!(cfg.mine(&pairs(), at_angles).is_err(), "{cfg:?}");
    }
    assert!(HardNegatives::default().mine(&[], at_angles).is_err());
}

#[test]
fn positive_pairs_come_from_two_column_files_or_the_same_rows_of_labelled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let two = dir.path().join("pairs.tsv");
    std::fs::write(&two, "anchor\tpositive\nq1\tp1\nq2\tp2\n").unwrap();
    let got = twinnet::data::read_positive_pairs(&two).unwrap();
    assert_eq!(
        got,
        vec![("q1".into(), "p1".into()), ("q2".into(), "p2".into())]
    );
    let labelled = dir.path().join("labelled.tsv");
    std::fs::write(&labelled, "q1\tp1\t1\nq1\tp2\t0\nq2\tp2\t1\n").unwrap();
    let got = twinnet::data::read_positive_pairs(&labelled).unwrap();
    assert_eq!(
        got,
        vec![("q1".into(), "p1".into()), ("q2".into(), "p2".into())]
    );
    let broken = dir.path().join("broken.tsv");
    std::fs::write(&broken, "q1\tp1\n\nq2\n").unwrap();
    let e = format!(
        "{:#}",
        twinnet::data::read_positive_pairs(&broken).unwrap_err()
    );
    assert!(e.contains("broken.tsv, line 3"), "{e}");
}

#[test]
fn mined_triplets_written_in_each_format_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        [
            "q, 1".to_string(),
            "p \"one\"".to_string(),
            "n1".to_string(),
        ],
        ["q2".to_string(), "p2".to_string(), "n2".to_string()],
    ];
    for name in ["t.csv", "t.jsonl"] {
        let path = dir.path().join(name);
        twinnet::data::write_text_triplets(&path, &rows).unwrap();
        assert_eq!(
            twinnet::data::read_text_triplets(&path).unwrap(),
            rows,
            "{name}"
        );
    }
    let tsv = dir.path().join("t.tsv");
    twinnet::data::write_text_triplets(&tsv, &rows).unwrap();
    assert_eq!(twinnet::data::read_text_triplets(&tsv).unwrap(), rows);
    let tab = vec![["a\tb".to_string(), "p".to_string(), "n".to_string()]];
    let e = twinnet::data::write_text_triplets(&tsv, &tab)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1 holds a tab"), "{e}");
    // The refused write left the earlier file as it was.
    assert_eq!(twinnet::data::read_text_triplets(&tsv).unwrap(), rows);
}
