//! `twinnet bench`.

use crate::output::{print_json, Table};
use anyhow::Result;
use twinnet::bench::{run_bench, BenchOptions};

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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `twinnet bench`.
pub fn run(args: Args) -> Result<()> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot set {n} threads: {e}"))?;
    }
    let opts = BenchOptions {
        steps: args.steps,
        mining: !args.quick,
        oneshot: !args.quick,
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
    println!("{}", t.render());
    Ok(())
}
