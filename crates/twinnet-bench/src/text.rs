//! Sentence-encoding throughput of a text model, the figure compared with sentence-transformers'
//! `encode(batch_size=32)` on the same sentences and threads.

use serde::Serialize;
use std::time::Instant;
use twinnet::text::TextModel;

/// Encoding speed of one model on one sentence set.
#[derive(Debug, Clone, Serialize)]
pub struct TextBench {
    /// Sentences encoded per round.
    pub sentences: usize,
    /// Sentences per forward pass.
    pub batch: usize,
    /// Timed rounds (after one untimed warm-up round).
    pub rounds: usize,
    /// Median sentences per second over the rounds.
    pub sentences_per_s: f64,
    /// Every round's sentences per second.
    pub per_round: Vec<f64>,
}

/// Encodes `sentences` once to warm up, then `rounds` times, timing each round.
pub fn bench_text_encoding(
    model: &TextModel,
    sentences: &[&str],
    rounds: usize,
) -> anyhow::Result<TextBench> {
    model.embed(sentences)?;
    let mut per_round = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let e = model.embed(sentences)?;
        std::hint::black_box(e);
        per_round.push(sentences.len() as f64 / t.elapsed().as_secs_f64().max(1e-9));
    }
    let mut sorted = per_round.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(TextBench {
        sentences: sentences.len(),
        batch: twinnet::text::TEXT_BATCH,
        rounds: per_round.len(),
        sentences_per_s: sorted[sorted.len() / 2],
        per_round,
    })
}
