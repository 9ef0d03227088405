//! Cached gradients (GradCache, `mini_batch_size`): fine-tuning MiniLM with MNRL on batches of
//! 16 texts embedded 5 at a time gives the run of whole batches — the same losses and, after
//! three AdamW steps, the same model.

mod common;
use twinnet::data::read_text_pairs;
use twinnet::text::TextModel;
use twinnet::train::{finetune_text, TextLoss, TextTrainConfig, TextTrainData};

#[test]
fn chunked_embedding_with_cached_gradients_equals_the_whole_batch() {
    let Some(minilm) = common::minilm_dir() else {
        return;
    };
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/text-sample");
    let pairs = read_text_pairs(&sample.join("train.tsv")).unwrap();
    let same: Vec<usize> = (0..pairs.pairs.len())
        .filter(|&i| pairs.same()[i])
        .take(24)
        .collect();
    let data = TextTrainData::Pairs(pairs.subset(&same));
    let val = read_text_pairs(&sample.join("val.tsv")).unwrap();
    let val = val.subset(&(0..40).collect::<Vec<_>>());
    let run = |mini: Option<usize>, out: &std::path::Path| {
        let cfg = TextTrainConfig {
            loss: TextLoss::Mnrl,
            batch_size: 8,
            learning_rate: 1e-4,
            mini_batch_size: mini,
            ..Default::default()
        };
        let model = TextModel::load_on(&minilm, twinnet::backend::training_device()).unwrap();
        finetune_text(model, "minilm", &data, &val, &cfg, out, false).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let (whole, cached) = (dir.path().join("whole"), dir.path().join("cached"));
    let (a, b) = (run(None, &whole), run(Some(5), &cached));
    let (la, lb) = (a.history[0].train_loss, b.history[0].train_loss);
    assert!(
        (la - lb).abs() < 1e-5 * la.abs().max(1.0),
        "loss {la} vs {lb}"
    );
    let (ma, mb) = (
        TextModel::load(&whole).unwrap(),
        TextModel::load(&cached).unwrap(),
    );
    let base = TextModel::load(&minilm).unwrap();
    let texts = ["A man is playing a guitar.", "the act of moving quickly"];
    let (ea, eb, e0) = (
        ma.embed(&texts).unwrap(),
        mb.embed(&texts).unwrap(),
        base.embed(&texts).unwrap(),
    );
    for ((x, y), z) in ea.iter().zip(&eb).zip(&e0) {
        let moved = x
            .iter()
            .zip(z)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f32, f32::max);
        let apart = x
            .iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f32, f32::max);
        assert!(
            moved > 1e-3,
            "training moved the embeddings by only {moved}"
        );
        assert!(
            apart < 1e-4,
            "whole and cached runs differ by {apart} (training moved {moved})"
        );
    }
}
