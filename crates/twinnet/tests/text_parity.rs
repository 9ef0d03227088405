//! The MiniLM tower against sentence-transformers' own numbers (tests/data/minilm-golden.json:
//! token ids and embeddings computed by sentence-transformers 6.2, CPU, float32).
//!
//! Needs the model weights (`twinnet data fetch minilm` puts them in `data/minilm`; or set
//! `TWINNET_MINILM`). Without them each test says so and passes without checking anything.

use std::path::{Path, PathBuf};
use twinnet::text::TextModel;

mod common;

fn model_dir() -> Option<PathBuf> {
    common::minilm_dir()
}

struct Golden {
    sentences: Vec<String>,
    token_ids: Vec<Vec<u32>>,
    embeddings: Vec<Vec<f32>>,
}

fn golden() -> Golden {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minilm-golden.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let nested = |k: &str| -> Vec<Vec<f64>> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    Golden {
        sentences: strings("sentences"),
        token_ids: nested("token_ids")
            .into_iter()
            .map(|r| r.into_iter().map(|x| x as u32).collect())
            .collect(),
        embeddings: nested("embeddings")
            .into_iter()
            .map(|r| r.into_iter().map(|x| x as f32).collect())
            .collect(),
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn token_ids_and_embeddings_match_sentence_transformers() {
    let Some(dir) = model_dir() else { return };
    let model = TextModel::load(&dir).unwrap();
    let g = golden();
    let texts: Vec<&str> = g.sentences.iter().map(String::as_str).collect();
    // The golden set covers the empty string, non-Latin text, emoji and a 256-token truncation.
    assert!(texts.contains(&""));
    assert!(g.token_ids.iter().any(|ids| ids.len() == 256));

    let ids = model.token_ids(&texts).unwrap();
    for (i, (got, want)) in ids.iter().zip(&g.token_ids).enumerate() {
        assert_eq!(got, want, "token ids of sentence {i} {:?}", texts[i]);
    }
    let emb = model.embed(&texts).unwrap();
    assert_eq!(emb[0].len(), 384);
    let mut worst = 1.0f64;
    for (i, (got, want)) in emb.iter().zip(&g.embeddings).enumerate() {
        let c = cosine(got, want);
        worst = worst.min(c);
        assert!(c >= 0.9999, "sentence {i} {:?}: cosine {c}", texts[i]);
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "normalised: {norm}");
    }
    eprintln!("lowest cosine with sentence-transformers: {worst:.7}");
}

#[test]
fn batched_encoding_equals_one_by_one() {
    let Some(dir) = model_dir() else { return };
    let model = TextModel::load(&dir).unwrap();
    let g = golden();
    // Short texts only: one-by-one runs are the slow path.
    let texts: Vec<&str> = g
        .sentences
        .iter()
        .map(String::as_str)
        .filter(|s| s.len() < 80)
        .collect();
    let batched = model.embed(&texts).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let single = model.embed(&[t]).unwrap().remove(0);
        let max_diff = single
            .iter()
            .zip(&batched[i])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_diff < 1e-5, "{t:?}: padded batch differs by {max_diff}");
    }
}

#[test]
fn similar_sentences_are_closer_than_unrelated_ones() {
    let Some(dir) = model_dir() else { return };
    let model = TextModel::load(&dir).unwrap();
    let e = model
        .embed(&[
            "It is raining heavily in Seattle today.",
            "Heavy rain is falling in Seattle.",
            "The stock market fell sharply on Monday.",
        ])
        .unwrap();
    assert!(model.distance(&e[0], &e[1]) < model.distance(&e[0], &e[2]));
}

/// A folder of a family the encoder does not implement (DistilBERT here) is refused by its
/// `model_type`, never loaded and embedded wrongly (issue 20).
#[test]
fn another_architecture_family_is_refused_not_embedded_wrongly() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let target = tmp.path().join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            for e in std::fs::read_dir(&p).unwrap() {
                let f = e.unwrap().path();
                std::fs::copy(&f, target.join(f.file_name().unwrap())).unwrap();
            }
        } else if p.file_name().unwrap() == "config.json" {
            let mut cfg: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            cfg["model_type"] = "deberta-v2".into();
            std::fs::write(&target, serde_json::to_vec(&cfg).unwrap()).unwrap();
        } else {
            std::os::unix::fs::symlink(&p, &target).unwrap();
        }
    }
    let err = format!(
        "{:#}",
        twinnet::text::TextModel::load(tmp.path()).err().unwrap()
    );
    assert!(
        err.contains("config.json") && err.contains("model_type 'deberta-v2' is not supported"),
        "{err}"
    );
}

/// A twinnet text model directory is a sentence-transformers folder too (issue 20): without
/// its manifest, the folder loads the way sentence-transformers reads it and embeds the same.
/// `scripts/st-roundtrip.py` checks the same folder against sentence-transformers itself.
#[test]
fn a_written_text_model_reads_back_as_a_sentence_transformers_folder() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("imported");
    twinnet::text::import_sentence_transformers(&dir, &out, false).unwrap();
    for f in [
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "tokenizer_config.json",
        "vocab.txt",
    ] {
        assert!(out.join(f).is_file(), "{f} is missing");
    }
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (cfg["model_type"].as_str(), cfg["hidden_size"].as_u64()),
        (Some("bert"), Some(384))
    );
    let modules: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("modules.json")).unwrap()).unwrap();
    assert_eq!(
        modules.as_array().unwrap().len(),
        3,
        "Transformer, Pooling, Normalize"
    );
    let texts = ["A man is playing a guitar.", "The cat sits on the mat."];
    let ours = twinnet::text::TextModel::load(&out)
        .unwrap()
        .embed(&texts)
        .unwrap();
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    let as_st = twinnet::text::TextModel::load(&out)
        .unwrap()
        .embed(&texts)
        .unwrap();
    assert_eq!(ours, as_st);
}

/// RoBERTa's positions start at `pad_token_id + 1`: a tiny RoBERTa that transformers created
/// and saved (`scripts/make-tiny-models.py`; no small real one ships in a registry here) gives
/// transformers' mean-pooled states, padding included.
#[test]
fn a_roberta_encoder_matches_transformers() {
    let cfg = matches_transformers("tiny-roberta");
    assert_eq!(cfg.position_offset(), 2);
}

/// DistilBERT is BERT's encoder under other tensor names and without token types: a tiny one
/// that transformers created and saved (`scripts/make-tiny-models.py`) gives transformers'
/// mean-pooled states; written back it is a BERT under BERT's names that embeds the same.
#[test]
fn a_distilbert_encoder_matches_transformers() {
    let cfg = matches_transformers("tiny-distilbert");
    assert_eq!(cfg.names, twinnet::text::TensorNames::DistilBert);
    assert_eq!((cfg.position_offset(), cfg.hidden_size), (0, 16));
    let written = writes_back_the_same("tiny-distilbert", &cfg);
    assert!(written.contains(&"embeddings.token_type_embeddings.weight".to_string()));
    assert!(written.iter().any(|n| n.contains("attention.self.query")));
}

/// MPNet adds a relative-position bias to attention: a tiny one (`scripts/make-tiny-models.py`,
/// a 20-token row so distances reach the log-spaced buckets, biases drawn large) gives
/// transformers' mean-pooled states, and is written back under MPNet's own names.
#[test]
fn an_mpnet_encoder_matches_transformers() {
    let cfg = matches_transformers("tiny-mpnet");
    assert_eq!(cfg.tensor_names(), twinnet::text::TensorNames::Mpnet);
    assert_eq!(cfg.position_offset(), 2);
    let written = writes_back_the_same("tiny-mpnet", &cfg);
    assert!(written.contains(&"encoder.relative_attention_bias.weight".to_string()));
    assert!(written.contains(&"encoder.layer.1.attention.attn.o.weight".to_string()));
    assert!(!written.iter().any(|n| n.contains("token_type")));
}

/// Saves the tiny model `name`, reads the file back under the names twinnet wrote (BERT's,
/// or MPNet's own) and checks both give the same states; returns the names written.
fn writes_back_the_same(name: &str, cfg: &twinnet::text::BertConfig) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let device = twinnet::backend::inference_device();
    let src = twinnet::text::TensorSource::open(&dir.join("model.safetensors")).unwrap();
    let bert = twinnet::text::Bert::load(cfg, &src, &device).unwrap();
    let mut sink = twinnet::text::TensorSink::default();
    bert.save(&mut sink);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("model.safetensors");
    let bytes = sink.to_bytes().unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let again = twinnet::text::TensorSource::open(&path).unwrap();
    let as_written = twinnet::text::BertConfig {
        names: twinnet::text::TensorNames::Bert,
        ..cfg.clone()
    };
    let reread = twinnet::text::Bert::load(&as_written, &again, &device).unwrap();
    let (ids, mask) = golden_inputs(&dir, &device);
    let a: Vec<f32> = bert
        .forward(ids.clone(), mask.clone())
        .into_data()
        .try_to_vec()
        .unwrap();
    let b: Vec<f32> = reread.forward(ids, mask).into_data().try_to_vec().unwrap();
    assert_eq!(a, b);
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.names().into_iter().map(|n| n.to_string()).collect()
}

type Device = twinnet::backend::Device;

/// The golden token ids and mask of a tiny model's `golden.json`.
fn golden_inputs(
    dir: &std::path::Path,
    device: &Device,
) -> (
    burn::tensor::Tensor<2, burn::tensor::Int>,
    burn::tensor::Tensor<2>,
) {
    use burn::tensor::{Int, Tensor, TensorData};
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("golden.json")).unwrap()).unwrap();
    let rows = |k: &str| -> Vec<Vec<f64>> { serde_json::from_value(golden[k].clone()).unwrap() };
    let (ids, mask) = (rows("ids"), rows("mask"));
    let (b, l) = (ids.len(), ids[0].len());
    let flat = |v: &[Vec<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let ids = Tensor::<2, Int>::from_data(
        TensorData::new(flat(&ids).iter().map(|&x| x as i64).collect(), [b, l]),
        device,
    );
    let mask = Tensor::<2>::from_data(
        TensorData::new(flat(&mask).iter().map(|&x| x as f32).collect(), [b, l]),
        device,
    );
    (ids, mask)
}

/// Loads `tests/data/NAME`, checks its mean-pooled states against transformers' (cosine ≥
/// 0.9999 and within 1e-4 per element), and returns its config.
fn matches_transformers(name: &str) -> twinnet::text::BertConfig {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let cfg = twinnet::text::BertConfig::from_file(&dir.join("config.json")).unwrap();
    let device = twinnet::backend::inference_device();
    let src = twinnet::text::TensorSource::open(&dir.join("model.safetensors")).unwrap();
    let bert = twinnet::text::Bert::load(&cfg, &src, &device).unwrap();
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("golden.json")).unwrap()).unwrap();
    let want: Vec<Vec<f64>> = serde_json::from_value(golden["mean_pooled"].clone()).unwrap();
    let (ids, mask) = golden_inputs(&dir, &device);
    let pooled = twinnet::text::Pooling::mean().forward(bert.forward(ids, mask.clone()), mask);
    let got: Vec<f32> = pooled.into_data().try_to_vec().unwrap();
    for (k, w) in want.iter().enumerate() {
        let g: Vec<f64> = got[k * w.len()..][..w.len()]
            .iter()
            .map(|&x| f64::from(x))
            .collect();
        assert!(
            cosine_f64(&g, w) >= 0.9999,
            "{name} row {k}: {g:?} vs {w:?}"
        );
        assert!(
            g.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-4),
            "{name} row {k}: {g:?} vs {w:?}"
        );
    }
    cfg
}

fn cosine_f64(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f64>().sqrt()
        * b.iter().map(|x| x * x).sum::<f64>().sqrt())
}

/// The fused ragged layer that inference runs (`kernels::encoder_layer`) gives burn's padded,
/// masked forward at every real token, for sentences of different lengths, on 1 or 3 threads.
#[test]
fn the_fused_inference_layer_equals_the_padded_burn_forward() {
    use burn::tensor::{Int, Tensor, TensorData};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-roberta");
    let cfg = twinnet::text::BertConfig::from_file(&dir.join("config.json")).unwrap();
    let device = twinnet::backend::inference_device();
    let src = twinnet::text::TensorSource::open(&dir.join("model.safetensors")).unwrap();
    let bert = twinnet::text::Bert::load(&cfg, &src, &device).unwrap();
    let lens = [7usize, 1, 4, 7, 2];
    let (b, l) = (lens.len(), 7);
    let ids: Vec<i64> = (0..b * l)
        .map(|i| {
            if i % l < lens[i / l] {
                3 + (i * 7 % 50) as i64
            } else {
                1
            }
        })
        .collect();
    let mask: Vec<f32> = (0..b * l)
        .map(|i| f32::from(u8::from(i % l < lens[i / l])))
        .collect();
    let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [b, l]), &device);
    let mask = Tensor::<2>::from_data(TensorData::new(mask, [b, l]), &device);
    let plain: Vec<f32> = bert
        .forward_padded(ids.clone(), mask.clone())
        .into_data()
        .try_to_vec()
        .unwrap();
    let h = cfg.hidden_size;
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let fused: Vec<f32> = pool
            .install(|| bert.forward(ids.clone(), mask.clone()))
            .into_data()
            .try_to_vec()
            .unwrap();
        for (s, &len) in lens.iter().enumerate() {
            for t in 0..len {
                let at = (s * l + t) * h;
                for (a, b) in fused[at..at + h].iter().zip(&plain[at..at + h]) {
                    assert!((a - b).abs() < 1e-5, "sentence {s} token {t}: {a} vs {b}");
                }
            }
        }
    }
}

/// A copy of the MiniLM folder whose `config_sentence_transformers.json` is `st_config`.
fn minilm_with_st_config(st_config: serde_json::Value) -> Option<tempfile::TempDir> {
    let dir = model_dir()?;
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if name != "config_sentence_transformers.json" {
            std::os::unix::fs::symlink(&p, tmp.path().join(name)).unwrap();
        }
    }
    let path = tmp.path().join("config_sentence_transformers.json");
    std::fs::write(path, serde_json::to_vec(&st_config).unwrap()).unwrap();
    Some(tmp)
}

/// Prompts as sentence-transformers keeps them: the default prompt goes before every text, a
/// named or given prompt replaces it, "" embeds texts as they are; an import keeps them in the
/// manifest and in the folder's own `config_sentence_transformers.json`.
#[test]
fn prompts_go_before_every_text_and_survive_an_import() {
    let cfg = serde_json::json!({"prompts": {"query": "query: ", "passage": "passage: "},
                                 "default_prompt_name": "query"});
    let Some(tmp) = minilm_with_st_config(cfg) else {
        return;
    };
    let plain = twinnet::text::TextModel::load(&model_dir().unwrap()).unwrap();
    let model = twinnet::text::TextModel::load(tmp.path()).unwrap();
    assert_eq!(model.prompt(), Some("query: "));
    let text = "how long is the river Nile";
    let e = |m: &twinnet::text::TextModel, t: &str| m.embed(&[t]).unwrap().remove(0);
    assert_eq!(e(&model, text), e(&plain, &format!("query: {text}")));
    assert_ne!(e(&model, text), e(&plain, text));
    let passage = twinnet::text::TextModel::load(tmp.path())
        .unwrap()
        .with_prompt(Some("passage"), None)
        .unwrap();
    assert_eq!(e(&passage, text), e(&plain, &format!("passage: {text}")));
    let none = passage.with_prompt(None, Some("")).unwrap();
    assert_eq!((none.prompt(), e(&none, text)), (None, e(&plain, text)));
    // Evaluation embeds through the model too: the default prompt is in its distances.
    let pairs = twinnet::data::TextPairs {
        pairs: vec![(text.to_string(), "the Nile is 6,650 km long".to_string())],
        targets: vec![1.0],
        kind: twinnet::data::PairTarget::Labels,
    };
    let prefixed = twinnet::data::TextPairs {
        pairs: vec![(
            format!("query: {text}"),
            "query: the Nile is 6,650 km long".to_string(),
        )],
        ..pairs.clone()
    };
    let d = twinnet::eval::text_pair_distances(&model, &pairs, |_, _| {}).unwrap();
    let want = twinnet::eval::text_pair_distances(&plain, &prefixed, |_, _| {}).unwrap();
    assert_eq!(d, want);
    let err = none
        .with_prompt(Some("title"), None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no prompt named 'title'") && err.contains("passage"),
        "{err}"
    );

    let out = tempfile::tempdir().unwrap();
    twinnet::text::import_sentence_transformers(tmp.path(), out.path(), true).unwrap();
    let imported = twinnet::text::TextModel::load(out.path()).unwrap();
    assert_eq!(
        imported.manifest.default_prompt_name.as_deref(),
        Some("query")
    );
    assert_eq!(e(&imported, text), e(&model, text));
    let written: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("config_sentence_transformers.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["prompts"]["passage"], "passage: ");
    assert_eq!(written["default_prompt_name"], "query");
}

#[test]
fn a_default_prompt_name_without_its_prompt_is_refused() {
    let cfg = serde_json::json!({"prompts": {"query": "query: "}, "default_prompt_name": "doc"});
    let Some(tmp) = minilm_with_st_config(cfg) else {
        return;
    };
    let err = format!(
        "{:#}",
        twinnet::text::TextModel::load(tmp.path()).err().unwrap()
    );
    assert!(
        err.contains("config_sentence_transformers.json") && err.contains("'doc' is not among"),
        "{err}"
    );
}

/// sentence-transformers 6 writes `1_Pooling/config.json` as one `pooling_mode` (a name or a
/// list) instead of the `pooling_mode_*` flags; both read the same, and what twinnet cannot do
/// is refused.
#[test]
fn pooling_configs_of_both_sentence_transformers_formats_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let read = |v: serde_json::Value| {
        let p = tmp.path().join("config.json");
        std::fs::write(&p, v.to_string()).unwrap();
        twinnet::text::Pooling::from_file(&p)
    };
    let legacy = read(serde_json::json!({"pooling_mode_mean_tokens": true})).unwrap();
    assert_eq!(legacy, twinnet::text::Pooling::mean());
    let new = read(
        serde_json::json!({"embedding_dimension": 8, "pooling_mode": "mean", "include_prompt": true}),
    );
    assert_eq!(new.unwrap(), legacy);
    let two = read(serde_json::json!({"pooling_mode": ["cls", "mean"]})).unwrap();
    assert_eq!(two.blocks(), 2);
    for (bad, says) in [
        (
            serde_json::json!({"pooling_mode": ["mean", "cls"]}),
            "in the order",
        ),
        (
            serde_json::json!({"pooling_mode": "lasttoken"}),
            "not supported",
        ),
        (
            serde_json::json!({"pooling_mode": "mean", "include_prompt": false}),
            "include_prompt",
        ),
    ] {
        let e = read(bad).unwrap_err().to_string();
        assert!(e.contains("config.json") && e.contains(says), "{e}");
    }
}
