//! Text models from the command line: import, embed --text / --text-file, verify --text, and
//! bad text input. Needs the MiniLM weights (`twinnet data fetch minilm`); without them each
//! test says so and checks nothing.

use std::path::Path;

mod common;
use common::*;
/// The library tests' MiniLM locator (same `data/minilm` default, same `TWINNET_MINILM`).
#[path = "../../twinnet/tests/common/mod.rs"]
mod library_common;
use library_common::minilm_dir as minilm;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn import_embed_and_verify_texts() {
    let Some(src) = minilm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minilm");
    let (src, m) = (src.to_str().unwrap(), out.to_str().unwrap());
    json(&twinnet(&[
        "import",
        "sentence-transformers",
        src,
        "--out",
        m,
        "--json",
    ]));
    assert!(out.join("manifest.json").is_file() && out.join("tokenizer.json").is_file());
    // A second import into the same directory needs --force.
    assert_fails_with(
        &twinnet(&["import", "sentence-transformers", src, "--out", m]),
        "--force",
    );

    // --text-file: one text per line, an empty line is an empty text, input order kept; the
    // imported model and the original folder give the same vectors.
    let file = dir.path().join("texts.txt");
    std::fs::write(
        &file,
        "Heavy rain is falling in Seattle.\n\nA man is playing a guitar.\n",
    )
    .unwrap();
    let rows = json(&twinnet(&[
        "embed",
        "--model",
        m,
        "--text-file",
        file.to_str().unwrap(),
        "--json",
    ]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["text"], "");
    assert_eq!(rows[2]["text"], "A man is playing a guitar.");
    assert_eq!(rows[0]["embedding"].as_array().unwrap().len(), 384);
    let direct = json(&twinnet(&[
        "embed",
        "--model",
        src,
        "--text",
        "A man is playing a guitar.",
        "--json",
    ]));
    assert_eq!(direct[0]["embedding"], rows[2]["embedding"]);

    // verify --text: paraphrases are nearer than unrelated sentences; --threshold decides.
    let verdict = |a: &str, b: &str| {
        json(&twinnet(&[
            "verify",
            "--model",
            m,
            "--text",
            a,
            b,
            "--threshold",
            "0.5",
            "--json",
        ]))
    };
    let near = verdict(
        "It is raining heavily in Seattle today.",
        "Heavy rain is falling in Seattle.",
    );
    let far = verdict(
        "It is raining heavily in Seattle today.",
        "The stock market fell sharply on Monday.",
    );
    assert!(near["distance"].as_f64().unwrap() < far["distance"].as_f64().unwrap());
    assert_eq!(near["same"], true);
    assert_eq!(far["same"], false);
    // Without a calibrated threshold the verdict is left open.
    let open = json(&twinnet(&[
        "verify", "--model", m, "--text", "a", "b", "--json",
    ]));
    assert!(open["same"].is_null() && open["threshold"].is_null());
}

#[test]
fn bad_text_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A sentence-transformers folder missing its weights (checked before anything is loaded).
    let partial = dir.path().join("partial");
    std::fs::create_dir_all(partial.join("1_Pooling")).unwrap();
    std::fs::write(
        partial.join("modules.json"),
        r#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#,
    )
    .unwrap();
    std::fs::write(
        partial.join("1_Pooling/config.json"),
        r#"{"pooling_mode_mean_tokens": true}"#,
    )
    .unwrap();
    assert_fails_with(
        &twinnet(&["embed", "--model", partial.to_str().unwrap(), "--text", "x"]),
        "config.json is missing",
    );

    let Some(src) = minilm() else { return };
    // Text that is not UTF-8: the line is named.
    let file = dir.path().join("bad.txt");
    std::fs::write(&file, b"fine\nbroken \xff\n").unwrap();
    assert_fails_with(
        &twinnet(&[
            "embed",
            "--model",
            src.to_str().unwrap(),
            "--text-file",
            file.to_str().unwrap(),
        ]),
        "bad.txt, line 2: not valid UTF-8",
    );
    // A tokenizer that does not belong to the vocabulary.
    let small = dir.path().join("small-vocab");
    std::fs::create_dir_all(small.join("1_Pooling")).unwrap();
    for f in [
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "model.safetensors",
        "1_Pooling/config.json",
    ] {
        std::fs::copy(src.join(f), small.join(f)).unwrap();
    }
    let config = std::fs::read_to_string(src.join("config.json")).unwrap();
    std::fs::write(
        small.join("config.json"),
        config.replace("\"vocab_size\": 30522", "\"vocab_size\": 1000"),
    )
    .unwrap();
    assert_fails_with(
        &twinnet(&["embed", "--model", small.to_str().unwrap(), "--text", "x"]),
        "do not belong together",
    );
    // Text flags on an image model, files on a text model.
    assert_fails_with(
        &twinnet(&["embed", "--model", src.to_str().unwrap(), "some.png"]),
        "is a text model",
    );
}

#[test]
fn finetune_writes_a_calibrated_model_that_eval_reads() {
    let Some(src) = minilm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tuned");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/text-sample");
    let (train, val, test) = (
        sample.join("train.tsv"),
        sample.join("val.tsv"),
        sample.join("test.tsv"),
    );
    let report = json(&twinnet(&[
        "finetune",
        "--model",
        src.to_str().unwrap(),
        "--data",
        train.to_str().unwrap(),
        "--val",
        val.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--loss",
        "mnrl",
        "--max-pairs",
        "96",
        "--batch-size",
        "8",
        "--quiet",
        "--json",
    ]));
    let epoch = &report["history"][0];
    assert!(epoch["train_loss"].as_f64().unwrap().is_finite());
    let threshold = epoch["validation"]["threshold"].as_f64().unwrap();
    assert!(report["start"]["auc"].as_f64().unwrap() > 0.5);
    // The written model carries the validation threshold, and eval uses it on the test pairs.
    let eval = json(&twinnet(&[
        "eval",
        "--model",
        out.to_str().unwrap(),
        "--data",
        test.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(eval["threshold_source"], "model");
    assert!((eval["threshold"].as_f64().unwrap() - threshold).abs() < 1e-6);
    for k in [
        "auc",
        "eer",
        "average_precision",
        "accuracy",
        "f1",
        "spearman",
        "pearson",
    ] {
        let v = eval[k].as_f64().unwrap();
        assert!(v.is_finite() && (-1.0..=1.0).contains(&v), "{k} = {v}");
    }
    assert!(eval["auc"].as_f64().unwrap() > 0.7, "{eval}");
    assert_eq!(eval["pairs"], 400);
    // Labelled texts train through a miner on P×K batches (the first 80 texts keep it short).
    let labeled = dir.path().join("labeled.tsv");
    let head: Vec<String> = std::fs::read_to_string(sample.join("train-labeled.tsv"))
        .unwrap()
        .lines()
        .take(81)
        .map(str::to_string)
        .collect();
    std::fs::write(&labeled, head.join("\n")).unwrap();
    let mined = json(&twinnet(&[
        "finetune",
        "--model",
        src.to_str().unwrap(),
        "--data",
        labeled.to_str().unwrap(),
        "--format",
        "labeled",
        "--loss",
        "triplet",
        "--margin",
        "0.3",
        "--classes-per-batch",
        "4",
        "--val",
        val.to_str().unwrap(),
        "--out",
        dir.path().join("mined").to_str().unwrap(),
        "--quiet",
        "--json",
    ]));
    assert!(mined["history"][0]["train_loss"].as_f64().unwrap() > 0.0);
    // A loss that cannot use the data, and triplets without validation pairs, are refused.
    let triplets = sample.join("train-triplets.tsv");
    let refused = dir.path().join("refused");
    let refuse = |extra: &[&str], needle: &str| {
        let mut a = vec![
            "finetune",
            "--model",
            src.to_str().unwrap(),
            "--data",
            triplets.to_str().unwrap(),
            "--format",
            "triplets",
            "--out",
            refused.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        assert_fails_with(&twinnet(&a), needle);
    };
    refuse(
        &["--val", val.to_str().unwrap(), "--loss", "cosent"],
        "cannot train on triplets",
    );
    refuse(&[], "needs --val");
    // Not over a model that is there already, unless --force.
    assert_fails_with(
        &twinnet(&[
            "finetune",
            "--model",
            src.to_str().unwrap(),
            "--data",
            train.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]),
        "--force",
    );
}

/// `mine-negatives`: MiniLM mines two negatives per positive pair of the bundled sample, never
/// the pair's own positive, closest first; bad settings and files fail with one-line errors.
#[test]
fn mine_negatives_writes_triplets_closest_first() {
    let Some(src) = minilm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mined.tsv");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/text-sample/train.tsv");
    let (m, d, o) = (
        src.to_str().unwrap(),
        data.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let args = ["mine-negatives", "--model", m, "--data", d, "--out", o];
    let r = json(&twinnet(
        &[&args[..], &["--num-negatives", "2", "--json"]].concat(),
    ));
    let pairs = twinnet::data::read_positive_pairs(&data).unwrap();
    assert_eq!(r["pairs"], pairs.len());
    assert_eq!(r["triplets"], 2 * pairs.len());
    let rows = twinnet::data::read_text_triplets(&out).unwrap();
    assert_eq!(rows.len(), 2 * pairs.len());
    let model = twinnet::text::TextModel::load(&src).unwrap();
    for (k, (a, p)) in pairs.iter().enumerate().take(5) {
        let [first, second] = [&rows[2 * k], &rows[2 * k + 1]];
        assert_eq!((&first[0], &first[1]), (a, p));
        assert!(first[2] != *p && second[2] != *p);
        let e = model.embed(&[a, &first[2], &second[2]]).unwrap();
        let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f32>();
        assert!(
            cos(&e[0], &e[1]) >= cos(&e[0], &e[2]) - 1e-5,
            "pair {k}: closest first"
        );
    }
    assert_fails_with(
        &twinnet(&[&args[..], &["--range-min", "5", "--range-max", "2"]].concat()),
        "range_max 2 must exceed range_min 5",
    );
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let bad = [
        "mine-negatives",
        "--model",
        m,
        "--data",
        readme.to_str().unwrap(),
        "--out",
        o,
    ];
    assert_fails_with(&twinnet(&bad), "README.md, line 1");
}
