//! `twinnet bench`.

use crate::output::emit;
use anyhow::Result;
use std::path::PathBuf;
use twinnet::embedder::Embedder;
use twinnet_bench::load::{run_load, LoadOptions};
use twinnet_bench::text::bench_text_encoding;
use twinnet_bench::{run_bench, samples, BenchOptions, TextBenchReport};

/// Flags of `twinnet bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Timed training steps.
    #[arg(long, default_value_t = 30)]
    pub steps: usize,
    /// Only the two peer figures (training steps/s, embeddings/s), no mining or one-shot.
    #[arg(long)]
    pub quick: bool,
    /// Measure sentence encoding of this text model instead (batch 32), the figure compared
    /// with sentence-transformers.
    #[arg(long, value_name = "MODEL")]
    pub text_model: Option<PathBuf>,
    /// Sentences for --text-model, one per line [default: both columns of the bundled
    /// assets/text-sample/test.tsv].
    #[arg(long, value_name = "FILE")]
    pub sentences: Option<PathBuf>,
    /// Timed rounds over the sentences for --text-model.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Entries of the gallery-search figure (identify p50/p99, exact scan vs index, recall);
    /// 0 skips it.
    #[arg(long, default_value_t = 100_000)]
    pub gallery_entries: usize,
    /// Run the HTTP load generator against this model instead: the service in process on
    /// loopback with a fresh gallery, verify then identify driven by --clients for --seconds.
    #[arg(long, value_name = "MODEL")]
    pub load_model: Option<PathBuf>,
    /// Concurrent clients of the load generator.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds each endpoint is driven by the load generator.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Most requests per endpoint for the load generator.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_requests: usize,
}

/// Runs `twinnet bench`.
pub fn run(args: Args, json: bool) -> Result<()> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot set {n} threads: {e}"))?;
    }
    if let Some(model) = &args.load_model {
        let model = Embedder::load(model)?;
        let inputs = samples::inputs_for(&model)?;
        eprintln!(
            "load: {} clients, {} s per endpoint (verify, then identify on a 100-entry gallery)",
            args.clients, args.seconds
        );
        let opts = LoadOptions {
            clients: args.clients,
            duration: std::time::Duration::from_secs(args.seconds),
            max_requests: args.max_requests,
            enrol: 100,
        };
        return emit(&run_load(model, inputs, &opts)?, json);
    }
    if let Some(model) = &args.text_model {
        let texts = samples::sentences(args.sentences.as_deref())?;
        let model = twinnet::text::TextModel::load(model)?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let report = TextBenchReport {
            backend: twinnet::backend::backend_name(),
            threads: rayon::current_num_threads(),
            bench: bench_text_encoding(&model, &refs, args.rounds)?,
        };
        return emit(&report, json);
    }
    let opts = BenchOptions {
        steps: args.steps,
        mining: !args.quick,
        oneshot: !args.quick,
        gallery_entries: if args.quick { 0 } else { args.gallery_entries },
        ..BenchOptions::default()
    };
    emit(&run_bench(&opts)?, json)
}
