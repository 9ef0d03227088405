//! `twinnet bench`.

use crate::output::{print_json, Table};
use anyhow::Result;
use std::path::{Path, PathBuf};
use twinnet::embedder::{Embedder, Input, InputKind};
use twinnet_bench::load::{run_load, LoadOptions};
use twinnet_bench::{run_bench, BenchOptions};

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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Inputs for the load generator from the bundled samples: test digits as PNG for an image
/// model, test sentences for a text model.
fn load_inputs(model: &Embedder) -> Result<Vec<Input>> {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    match model.input_kind() {
        InputKind::Text => {
            let pairs = twinnet::data::read_text_pairs(&assets.join("text-sample/test.tsv"))?;
            Ok(pairs
                .pairs
                .into_iter()
                .flat_map(|(a, b)| [a, b])
                .take(400)
                .map(Input::Text)
                .collect())
        }
        InputKind::Image(_) => {
            let spec = twinnet::data::DataSpec::parse(
                assets.join("mnist-sample").to_str().unwrap_or_default(),
            )?;
            let data = twinnet::data::load_dataset(&spec, twinnet::data::Split::Test, None, None)?;
            let tmp = tempfile::tempdir()?;
            (0..400)
                .map(|i| {
                    let path = tmp.path().join(format!("{i}.png"));
                    twinnet::data::save_item_png(data.item(i), data.shape(), &path)?;
                    Ok(Input::ImageBytes {
                        bytes: std::fs::read(&path)?,
                        name: format!("digit {i}"),
                    })
                })
                .collect()
        }
    }
}

fn load_bench(model: &Path, args: &Args) -> Result<()> {
    let model = Embedder::load(model)?;
    let inputs = load_inputs(&model)?;
    eprintln!(
        "load: {} clients, {} s per endpoint (verify, then identify on a 100-entry gallery)",
        args.clients, args.seconds
    );
    let r = run_load(
        model,
        inputs,
        &LoadOptions {
            clients: args.clients,
            duration: std::time::Duration::from_secs(args.seconds),
            max_requests: args.max_requests,
            enrol: 100,
        },
    )?;
    if args.json {
        return print_json(&r);
    }
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
    for e in &r.endpoints {
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
    println!("{}", t.render());
    println!(
        "{} clients; resident memory {:.0} MiB at start, {:.0} MiB at end, {:.0} MiB at most",
        r.clients, r.rss_start_mib, r.rss_end_mib, r.rss_max_mib
    );
    Ok(())
}

fn text_bench(model: &Path, sentences: Option<&Path>, rounds: usize, json: bool) -> Result<()> {
    let texts: Vec<String> = match sentences {
        Some(f) => twinnet::data::read_text_lines(f)?,
        None => {
            let sample =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/text-sample/test.tsv");
            let pairs = twinnet::data::read_text_pairs(&sample)?;
            pairs.pairs.into_iter().flat_map(|(a, b)| [a, b]).collect()
        }
    };
    let model = twinnet::text::TextModel::load(model)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let r = twinnet_bench::text::bench_text_encoding(&model, &refs, rounds)?;
    #[derive(serde::Serialize)]
    struct Out {
        backend: &'static str,
        threads: usize,
        #[serde(flatten)]
        bench: twinnet_bench::text::TextBench,
    }
    let out = Out {
        backend: twinnet::backend::backend_name(),
        threads: rayon::current_num_threads(),
        bench: r,
    };
    if json {
        return print_json(&out);
    }
    let mut t = Table::new(&["figure", "value"]);
    t.row(vec![
        "backend / threads".into(),
        format!("{} / {}", out.backend, out.threads),
    ]);
    t.row(vec!["sentences".into(), out.bench.sentences.to_string()]);
    t.row(vec![
        format!("sentences/s (batch {})", out.bench.batch),
        format!("{:.1}", out.bench.sentences_per_s),
    ]);
    println!("{}", t.render());
    Ok(())
}

/// Runs `twinnet bench`.
pub fn run(args: Args) -> Result<()> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot set {n} threads: {e}"))?;
    }
    if let Some(model) = &args.load_model {
        return load_bench(model, &args);
    }
    if let Some(model) = &args.text_model {
        return text_bench(model, args.sentences.as_deref(), args.rounds, args.json);
    }
    let opts = BenchOptions {
        steps: args.steps,
        mining: !args.quick,
        oneshot: !args.quick,
        gallery_entries: if args.quick { 0 } else { args.gallery_entries },
        ..BenchOptions::default()
    };
    let r = run_bench(&opts)?;
    if args.json {
        return print_json(&r);
    }
    let mut t = Table::new(&["figure", "value"]);
    t.row(vec![
        "backend / threads".into(),
        format!("{} / {}", r.backend, r.threads),
    ]);
    t.row(vec![
        "train steps/s (128 pairs)".into(),
        format!("{:.2}", r.train_steps_per_s),
    ]);
    t.row(vec![
        "inference embeddings/s (batch 512)".into(),
        format!("{:.0}", r.infer_emb_per_s),
    ]);
    t.row(vec![
        "peak RSS".into(),
        format!("{:.0} MiB", r.peak_rss_mib),
    ]);
    for m in &r.mining {
        t.row(vec![
            format!("{} B={}", m.miner, m.batch),
            format!("{:.2} ms ({} tuples)", m.ms, m.tuples),
        ]);
    }
    if let Some(o) = &r.oneshot {
        t.row(vec![
            format!(
                "{}-way {}-shot × {} on {} items",
                o.ways, o.shots, o.episodes, o.items
            ),
            format!("{:.3} s", o.seconds),
        ]);
    }
    if let Some(g) = &r.gallery {
        t.row(vec![
            format!("identify, {} × {}-d, exact scan", g.entries, g.dim),
            format!("p50 {:.2} ms, p99 {:.2} ms", g.exact_p50_ms, g.exact_p99_ms),
        ]);
        t.row(vec![
            format!("identify, index (built in {:.1} s)", g.index_build_s),
            format!(
                "p50 {:.3} ms, p99 {:.3} ms, recall@1 {:.4}, recall@10 {:.4}",
                g.index_p50_ms, g.index_p99_ms, g.recall_at_1, g.recall_at_10
            ),
        ]);
    }
    println!("{}", t.render());
    Ok(())
}
