//! Text pair, triplet and labelled-text files: headers, label vs score targets, and errors that
//! name the file and line.

use std::path::PathBuf;
use twinnet::data::{read_labeled_texts, read_text_pairs, read_text_triplets, PairTarget};

fn file(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn pairs_with_labels_or_scores() {
    let dir = tempfile::tempdir().unwrap();
    let labels = read_text_pairs(&file(
        &dir,
        "l.tsv",
        b"text_a\ttext_b\tlabel\na cat\ta kitten\t1\n\na cat\ta car\t0\n",
    ))
    .unwrap();
    assert_eq!(labels.kind, PairTarget::Labels);
    assert_eq!(labels.pairs.len(), 2, "header and empty line skipped");
    assert_eq!(labels.targets, vec![1.0, 0.0]);
    assert_eq!(labels.same(), vec![true, false]);
    // 0–5 scores (STS-B) are divided by 5; no header here.
    let sts = read_text_pairs(&file(&dir, "s.tsv", b"a\tb\t4.5\nc\td\t0\ne\tf\t2.5\n")).unwrap();
    assert_eq!(sts.kind, PairTarget::Scores);
    assert_eq!(sts.targets, vec![0.9, 0.0, 0.5]);
    // 0–1 scores stay as they are.
    let unit = read_text_pairs(&file(&dir, "u.tsv", b"a\tb\t0.25\nc\td\t1\n")).unwrap();
    assert_eq!(unit.targets, vec![0.25, 1.0]);
    assert_eq!(unit.kind, PairTarget::Scores);
}

#[test]
fn bad_pair_files_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let err = |body: &[u8]| {
        let p = file(&dir, "bad.tsv", body);
        read_text_pairs(&p).unwrap_err().to_string()
    };
    let e = err(b"a\tb\t1\nc\td\n");
    assert!(
        e.contains("bad.tsv, line 2: expected 3 tab-separated columns, found 2"),
        "{e}"
    );
    let e = err(b"a\tb\t1\nc\td\tmaybe\n");
    assert!(e.contains("line 2: target 'maybe' is not a number"), "{e}");
    let e = err(b"a\tb\t1\nc\td\t-1\n");
    assert!(e.contains("line 2: target -1 is negative"), "{e}");
    let e = err(b"a\tb\t7\nc\td\t1\n");
    assert!(e.contains("scores go up to 7"), "{e}");
    let e = err(b"a\tb\t1\n\xfe\tx\t0\n");
    assert!(e.contains("line 2: not valid UTF-8"), "{e}");
    let e = err(b"");
    assert!(e.contains("no rows"), "{e}");
}

/// Issue 19: one stray score among 0/1 labels is an error naming its line, unless a header
/// says which the column holds.
#[test]
fn a_stray_score_among_labels_is_refused_unless_the_header_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for i in 0..20 {
        body.push_str(&format!("a{i}\tb{i}\t{}\n", i % 2));
    }
    let stray = body.replacen("a7\tb7\t1", "a7\tb7\t3", 1);
    let e = read_text_pairs(&file(&dir, "m.tsv", stray.as_bytes()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("m.tsv, line 8: target 3 among 19 of 20 rows that are 0/1 labels"),
        "{e}"
    );
    // A header naming the column decides: labels refuse the 3, scores accept it (÷ 5).
    let labelled = format!("a\tb\tlabel\n{stray}");
    let e = read_text_pairs(&file(&dir, "l.tsv", labelled.as_bytes()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("l.tsv, line 9: target 3 is not a label"), "{e}");
    let scored = format!("a\tb\tscore\n{stray}");
    let scores = read_text_pairs(&file(&dir, "s.tsv", scored.as_bytes())).unwrap();
    assert_eq!(scores.kind, PairTarget::Scores);
    assert_eq!(scores.targets[7], 0.6);
    assert_eq!(scores.targets[1], 0.2);
    // A header of only 0/1 scores keeps them scores.
    let s01 = read_text_pairs(&file(&dir, "z.tsv", b"a\tb\tscore\nx\ty\t1\nu\tv\t0\n")).unwrap();
    assert_eq!(s01.kind, PairTarget::Scores);
}

#[test]
fn triplets_and_labelled_texts() {
    let dir = tempfile::tempdir().unwrap();
    let t = read_text_triplets(&file(
        &dir,
        "t.tsv",
        b"anchor\tpositive\tnegative\nq\tright\twrong\n",
    ))
    .unwrap();
    assert_eq!(t, vec![["q".to_string(), "right".into(), "wrong".into()]]);
    let (texts, labels, names) = read_labeled_texts(&file(
        &dir,
        "l.tsv",
        b"label\ttext\nn1\tfirst\nn2\tsecond\nn1\tthird\n",
    ))
    .unwrap();
    assert_eq!(texts, vec!["first", "second", "third"]);
    assert_eq!(labels, vec![0, 1, 0]);
    assert_eq!(names, vec!["n1", "n2"]);
    let e = read_labeled_texts(&file(&dir, "x.tsv", b"n1\tfirst\textra\n"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("x.tsv, line 1: expected 2 tab-separated columns, found 3"),
        "{e}"
    );
}

/// A word-level tokenizer whose ids are not dense: three tokens, the last with id 1000.
#[cfg(feature = "text")]
const SPARSE_TOKENIZER: &str = r#"{"version":"1.0","truncation":null,"padding":null,
"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"Whitespace"},
"post_processor":null,"decoder":null,
"model":{"type":"WordLevel","vocab":{"[UNK]":0,"a":1,"b":1000},"unk_token":"[UNK]"}}"#;

#[cfg(feature = "text")]
#[test]
fn a_tokenizer_id_outside_the_vocabulary_is_refused_on_load() {
    use twinnet::text::TextTokenizer;
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "tokenizer.json", SPARSE_TOKENIZER.as_bytes());
    // Three tokens fit a vocabulary of three by count, but id 1000 would index past its table.
    let e = TextTokenizer::from_file(&path, 16, 3)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("token id 1000"), "{e}");
    let t = TextTokenizer::from_file(&path, 16, 1001).unwrap();
    assert_eq!(t.encode(&["a b"]).unwrap(), vec![vec![1, 1000]]);
}

#[cfg(feature = "text")]
#[test]
fn a_tokenizer_file_the_tokenizers_crate_panics_on_is_an_error() {
    use twinnet::text::TextTokenizer;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Found by fuzz/run.sh: tokenizers 0.23 `expect`s on invalid JSON inside `decoder`.
    let path = root.join("fuzz/regressions/tokenizer/invalid-json-in-decoder.json");
    let e = TextTokenizer::from_file(&path, 16, 100)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    // A valid JSON file that still makes the crate panic (a precompiled charsmap that is not
    // one) is an error too, naming the file.
    let dir = tempfile::tempdir().unwrap();
    let bad = file(
        &dir,
        "tokenizer.json",
        SPARSE_TOKENIZER
            .replace(
                r#""normalizer":null"#,
                r#""normalizer":{"type":"Precompiled","precompiled_charsmap":"AAAA"}"#,
            )
            .as_bytes(),
    );
    let e = TextTokenizer::from_file(&bad, 16, 1001)
        .err()
        .expect("refused");
    assert!(
        e.to_string()
            .contains("tokenizer.json: cannot load tokenizer"),
        "{e}"
    );
}

/// Pairs, triplets and labelled texts read from `.csv` (quoted commas, quotes and line breaks)
/// and `.jsonl` (arrays, or objects with sentence-transformers' column names) as from TSV;
/// errors name the file and line (issue 20).
#[test]
fn csv_and_jsonl_files_read_like_tsv() {
    use twinnet::data::{read_labeled_texts, read_text_pairs, read_text_triplets, PairTarget};
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let csv = write(
        "pairs.csv",
        "sentence1,sentence2,score\n\"A man, smiling\",\"He said \"\"hi\"\"\",4.5\n\"two\nlines\",b,0\n",
    );
    let p = read_text_pairs(&csv).unwrap();
    assert_eq!(
        p.pairs[0],
        ("A man, smiling".to_string(), "He said \"hi\"".to_string())
    );
    assert_eq!(p.pairs[1].0, "two\nlines");
    assert_eq!(
        (p.kind, p.targets.clone()),
        (PairTarget::Scores, vec![0.9, 0.0])
    );
    let jsonl = write(
        "pairs.jsonl",
        "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"label\": 1}\n\n[\"c\", \"d\", 0]\n",
    );
    let p = read_text_pairs(&jsonl).unwrap();
    assert_eq!(
        p.pairs,
        vec![("a".into(), "b".into()), ("c".into(), "d".into())]
    );
    assert_eq!(
        (p.kind, p.targets.clone()),
        (PairTarget::Labels, vec![1.0, 0.0])
    );
    let t = write(
        "t.jsonl",
        "{\"anchor\": \"a\", \"positive\": \"p\", \"negative\": \"n\"}\n",
    );
    assert_eq!(
        read_text_triplets(&t).unwrap(),
        vec![["a".to_string(), "p".into(), "n".into()]]
    );
    let l = write("l.csv", "label,text\nx,one\ny,two\nx,three\n");
    let (texts, labels, classes) = read_labeled_texts(&l).unwrap();
    assert_eq!(
        (texts.len(), labels[0] == labels[2], classes.len()),
        (3, true, 2)
    );
    // Errors name the file and line.
    let bad = write("bad.csv", "a,b,1\nc,d\n");
    let e = read_text_pairs(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.csv, line 2: expected 3 comma-separated columns, found 2"),
        "{e}"
    );
    let bad = write("bad.jsonl", "[\"a\", \"b\", 1]\n{\"query\": \"a\"}\n");
    let e = read_text_pairs(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.jsonl, line 2: an object needs the keys text_a/text_b/label"),
        "{e}"
    );
    let bad = write("bad2.jsonl", "[\"a\", \"b\", 1]\nnot json\n");
    let e = format!("{:#}", read_text_pairs(&bad).unwrap_err());
    assert!(e.contains("bad2.jsonl, line 2: not JSON"), "{e}");
}
