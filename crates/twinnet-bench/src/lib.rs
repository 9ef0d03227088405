//! `twinnet bench`: throughput of the reference workload, the same work as the PyTorch peer
//! in `../shared/peers/pytorch_siamese.py`, plus mining and one-shot costs.
//!
//! Random data of the right shape: speed does not depend on the pixels.

pub mod gallery;
pub mod load;
mod report;
pub mod samples;
pub mod text;

pub use report::TextBenchReport;

use anyhow::Result;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Distribution, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use twinnet::backend;
use twinnet::distance::Distance;
use twinnet::eval::{one_shot, ShotRule};
use twinnet::loss::{mined_loss, ContrastiveLoss, Reducer};
use twinnet::sampling::Miner;
use twinnet::score::Scorer;
use twinnet::tower::{CnnConfig, TowerConfig};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Timed training steps (after warm-up).
    pub steps: usize,
    /// Warm-up steps, not timed.
    pub warmup: usize,
    /// Also time the miners at B = 64…1024.
    pub mining: bool,
    /// Also time one-shot episodes.
    pub oneshot: bool,
    /// Also time gallery search at this many entries (0: skip).
    pub gallery_entries: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            steps: 30,
            warmup: 5,
            mining: true,
            oneshot: true,
            gallery_entries: 100_000,
        }
    }
}

/// Cost of one miner at one batch size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MiningBench {
    /// Miner name.
    pub miner: String,
    /// Batch size B.
    pub batch: usize,
    /// Median milliseconds for distance matrix + mining + loss on the mined tuples.
    pub ms: f64,
    /// Tuples found.
    pub tuples: usize,
}

/// One-shot evaluation cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneShotBench {
    /// Items embedded once up front (random embeddings here).
    pub items: usize,
    /// N.
    pub ways: usize,
    /// K.
    pub shots: usize,
    /// Episodes.
    pub episodes: usize,
    /// Seconds for all episodes.
    pub seconds: f64,
}

/// The bench report; `train_steps_per_s` and `infer_emb_per_s` are the peer's two figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    /// Backend.
    pub backend: String,
    /// Worker threads.
    pub threads: usize,
    /// Full training steps per second: 128 pairs (256 images through the one tower), forward,
    /// contrastive loss, backward, Adam update; median after warm-up.
    pub train_steps_per_s: f64,
    /// Embeddings per second at batch 512, no gradients; median.
    pub infer_emb_per_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
    /// Miner costs.
    pub mining: Vec<MiningBench>,
    /// One-shot cost.
    pub oneshot: Option<OneShotBench>,
    /// Gallery search cost.
    pub gallery: Option<crate::gallery::GalleryBench>,
}

/// The `p` quantile (0–1) of ascending-sorted values, nearest rank; 0 for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    proc_status_mib("VmHWM:")
}

/// Current resident set size of this process in MiB (Linux `VmRSS`; 0 elsewhere).
pub fn rss_mib() -> f64 {
    proc_status_mib("VmRSS:")
}

fn proc_status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs the bench on the current rayon pool.
pub fn run_bench(opts: &BenchOptions) -> Result<BenchReport> {
    let device = backend::training_device();
    let cfg = TowerConfig::Cnn(CnnConfig::default());
    let b = 128;
    let mut tower = backend::init_seeded(&device, 0, || cfg.init(&device))?;
    let xa = Tensor::<4>::random([b, 1, 28, 28], Distribution::Default, &device);
    let xb = Tensor::<4>::random([b, 1, 28, 28], Distribution::Default, &device);
    let mut optim = AdamConfig::new().init();
    let y: Vec<f32> = {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        (0..b).map(|_| rng.random_range(0..2) as f32).collect()
    };
    let y = Tensor::<1>::from_data(TensorData::new(y, [b]), &device);
    let loss_fn = ContrastiveLoss { margin: 1.0 };
    let mut times = Vec::new();
    for i in 0..opts.warmup + opts.steps {
        let t = Instant::now();
        let (ea, eb) = tower.embed_pair(xa.clone(), xb.clone());
        let loss = loss_fn.forward(Distance::Euclidean.pairwise(ea, eb), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &tower);
        tower = optim.step(1e-3, tower, grads);
        let _: f32 = loss.into_scalar();
        if i >= opts.warmup {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let train_steps_per_s = 1.0 / median(times);

    let infer = tower.valid();
    let idev = backend::inference_device();
    let xi = Tensor::<4>::random([512, 1, 28, 28], Distribution::Default, &idev);
    let mut times = Vec::new();
    for i in 0..opts.warmup + 10 {
        let t = Instant::now();
        let e = infer.forward(xi.clone());
        let _ = e.into_data();
        if i >= opts.warmup {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let infer_emb_per_s = 512.0 / median(times);

    let mining = if opts.mining {
        bench_mining()?
    } else {
        Vec::new()
    };
    let oneshot = if opts.oneshot {
        Some(bench_oneshot()?)
    } else {
        None
    };
    let gallery = if opts.gallery_entries > 0 {
        Some(crate::gallery::bench_gallery(
            opts.gallery_entries,
            1000,
            3,
        )?)
    } else {
        None
    };
    Ok(BenchReport {
        backend: backend::backend_name().into(),
        threads: rayon::current_num_threads(),
        train_steps_per_s,
        infer_emb_per_s,
        peak_rss_mib: peak_rss_mib(),
        mining,
        oneshot,
        gallery,
    })
}

/// Distance matrix + miner + loss over mined tuples, on random 64-d embeddings of P×K batches
/// with K = 8, at B = 64…1024.
fn bench_mining() -> Result<Vec<MiningBench>> {
    let device = backend::inference_device();
    let mut out = Vec::new();
    for &batch in &[64usize, 128, 256, 512, 1024] {
        let e = Tensor::<2>::random([batch, 64], Distribution::Default, &device);
        let labels: Vec<i64> = (0..batch as i64).map(|i| i / 8).collect();
        let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch]), &device);
        for miner in [Miner::BatchAll, Miner::BatchHard] {
            let mut times = Vec::new();
            let mut tuples = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let d = Distance::Euclidean.matrix(e.clone());
                let mined = miner.mine(d.clone(), &labels, 0.2, true);
                tuples = mined.count();
                let loss: f32 = Reducer::MeanNonZero
                    .reduce(mined_loss(&d, &mined, 0.2))
                    .into_scalar();
                std::hint::black_box(loss);
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            out.push(MiningBench {
                miner: miner.to_string(),
                batch,
                ms: median(times),
                tuples,
            });
        }
    }
    Ok(out)
}

/// 20-way 1-shot, 1,000 episodes over 10,000 items (100 classes × 100) of 64-d embeddings.
fn bench_oneshot() -> Result<OneShotBench> {
    let (items, dim) = (10_000, 64);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let emb: Vec<f32> = (0..items * dim)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let labels: Vec<usize> = (0..items).map(|i| i % 100).collect();
    let names: Vec<String> = (0..100).map(|c| c.to_string()).collect();
    let t = Instant::now();
    one_shot(
        &emb,
        dim,
        &labels,
        &names,
        20,
        1,
        1000,
        0,
        &Scorer::Distance(Distance::Euclidean),
        ShotRule::MeanDistance,
    )?;
    Ok(OneShotBench {
        items,
        ways: 20,
        shots: 1,
        episodes: 1000,
        seconds: t.elapsed().as_secs_f64(),
    })
}
