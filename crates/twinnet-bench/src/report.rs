//! The bench reports as tables for people (programs read their JSON).

use crate::load::LoadReport;
use crate::text::TextBench;
use crate::BenchReport;
use serde::Serialize;
use std::fmt;
use twinnet::report::Table;

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["figure", "value"]);
        t.pair(
            "backend / threads",
            format!("{} / {}", self.backend, self.threads),
        );
        t.pair(
            "train steps/s (128 pairs)",
            format!("{:.2}", self.train_steps_per_s),
        );
        t.pair(
            "inference embeddings/s (batch 512)",
            format!("{:.0}", self.infer_emb_per_s),
        );
        t.pair("peak RSS", format!("{:.0} MiB", self.peak_rss_mib));
        for m in &self.mining {
            let cost = format!("{:.2} ms ({} tuples)", m.ms, m.tuples);
            t.pair(format!("{} B={}", m.miner, m.batch), cost);
        }
        if let Some(o) = &self.oneshot {
            let task = format!(
                "{}-way {}-shot × {} on {} items",
                o.ways, o.shots, o.episodes, o.items
            );
            t.pair(task, format!("{:.3} s", o.seconds));
        }
        if let Some(g) = &self.gallery {
            t.pair(
                format!("identify, {} × {}-d, exact scan", g.entries, g.dim),
                format!("p50 {:.2} ms, p99 {:.2} ms", g.exact_p50_ms, g.exact_p99_ms),
            );
            t.pair(
                format!("identify, index (built in {:.1} s)", g.index_build_s),
                format!(
                    "p50 {:.3} ms, p99 {:.3} ms, recall@1 {:.4}, recall@10 {:.4}",
                    g.index_p50_ms, g.index_p99_ms, g.recall_at_1, g.recall_at_10
                ),
            );
        }
        t.fmt(f)
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "endpoint",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "RSS after",
        ]);
        for e in &self.endpoints {
            t.row(vec![
                e.endpoint.clone(),
                e.requests.to_string(),
                e.errors.to_string(),
                format!("{:.0}", e.requests_per_s),
                format!("{:.2}", e.p50_ms),
                format!("{:.2}", e.p99_ms),
                format!("{:.2}", e.max_ms),
                format!("{:.0} MiB", e.rss_end_mib),
            ]);
        }
        writeln!(f, "{t}")?;
        write!(
            f,
            "{} clients; resident memory {:.0} MiB at start, {:.0} MiB at end, {:.0} MiB at most",
            self.clients, self.rss_start_mib, self.rss_end_mib, self.rss_max_mib
        )
    }
}

/// Sentence encoding on one backend and thread count (the JSON of `twinnet bench --text-model`).
#[derive(Debug, Clone, Serialize)]
pub struct TextBenchReport {
    /// Backend.
    pub backend: &'static str,
    /// Worker threads.
    pub threads: usize,
    /// The figures.
    #[serde(flatten)]
    pub bench: TextBench,
}

impl fmt::Display for TextBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&["figure", "value"]);
        t.pair(
            "backend / threads",
            format!("{} / {}", self.backend, self.threads),
        );
        t.pair("sentences", self.bench.sentences.to_string());
        let rate = format!("{:.1}", self.bench.sentences_per_s);
        t.pair(format!("sentences/s (batch {})", self.bench.batch), rate);
        t.fmt(f)
    }
}
