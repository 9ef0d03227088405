//! The data-parallel construction without MPI: two threads play two ranks (a small in-process
//! [`Collective`]), each embeds its half of a batch, gathers the other's rows and sums the
//! gradients; the result must be the gradient of one process on the whole batch — for
//! contrastive pairs (a mean over pairs) and for batch-hard mining, which needs every row.
//! (`crates/twinnet-cli/tests/distributed.rs` runs the real thing under `mpirun`.)

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use std::sync::{Arc, Barrier, Mutex};
use twinnet::backend::training_device;
use twinnet::distributed::{gather_rows, reduce_gradients, share, Collective, Local};
use twinnet::loss::{Objective, ObjectiveLoss, Reducer, Structure};
use twinnet::sampling::Miner;
use twinnet::tower::{MlpConfig, MlpTower};
use twinnet::Distance;

/// Ranks as threads: each operation posts this rank's values, waits for all, reads them all.
struct Threads {
    rank: usize,
    size: usize,
    posted: Arc<Mutex<Vec<Vec<f32>>>>,
    barrier: Arc<Barrier>,
}

impl Threads {
    fn world(size: usize) -> Vec<Threads> {
        let posted = Arc::new(Mutex::new(vec![Vec::new(); size]));
        let barrier = Arc::new(Barrier::new(size));
        (0..size)
            .map(|rank| Threads {
                rank,
                size,
                posted: posted.clone(),
                barrier: barrier.clone(),
            })
            .collect()
    }

    fn exchange(&self, mine: &[f32]) -> Vec<Vec<f32>> {
        self.posted.lock().unwrap()[self.rank] = mine.to_vec();
        self.barrier.wait();
        let all = self.posted.lock().unwrap().clone();
        self.barrier.wait(); // nobody posts the next values before everyone has read these
        all
    }
}

impl Collective for Threads {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn sum(&self, values: &mut [f32]) {
        let all = self.exchange(values);
        for (i, v) in values.iter_mut().enumerate() {
            *v = all.iter().map(|a| a[i]).sum();
        }
    }
    fn gather(&self, local: &[f32], counts: &[usize]) -> Vec<f32> {
        let all = self.exchange(local);
        assert!(all.iter().zip(counts).all(|(a, &n)| a.len() == n));
        all.concat()
    }
    fn all(&self, flag: bool) -> bool {
        self.exchange(&[f32::from(u8::from(flag))])
            .iter()
            .all(|v| v[0] == 1.0)
    }
}

/// `rank` run on two threads as two ranks; their results in rank order.
fn on_two_ranks<T: Send>(rank: impl Fn(&Threads) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = Threads::world(2)
            .into_iter()
            .map(|world| {
                let rank = &rank;
                s.spawn(move || rank(&world))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `loss`'s gradients reduced over `world`'s ranks, flattened.
fn reduced(world: &dyn Collective, loss: Tensor<1>, tower: &MlpTower) -> Vec<Vec<f32>> {
    let mut g = GradientsParams::from_grads(loss.backward(), tower);
    reduce_gradients(world, &mut g, tower, None::<&MlpTower>);
    flat(&g, tower)
}

/// Every parameter's gradient, in visiting order.
fn flat(grads: &GradientsParams, tower: &MlpTower) -> Vec<Vec<f32>> {
    struct Read<'a>(&'a GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for Read<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let g = self
                .0
                .get::<D>(p.id)
                .expect("a gradient for every parameter");
            self.1.push(g.into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut r = Read(grads, Vec::new());
    tower.visit(&mut r);
    r.1
}

fn objective(miner: Miner, loss: ObjectiveLoss) -> Objective {
    Objective {
        loss,
        distance: Distance::Euclidean,
        miner,
        reducer: Reducer::Mean,
        margin: 1.0,
        scale: 20.0,
    }
}

/// Pairs `[a rows; b rows]` of `n` pairs, `same` alternating.
fn pair_loss(e: Tensor<2>, n: usize) -> Tensor<1> {
    let same: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    let gold: Vec<f32> = same.iter().map(|&s| f32::from(u8::from(s))).collect();
    let s = Structure::Pairs {
        same: &same,
        gold: &gold,
    };
    let o = objective(Miner::None, ObjectiveLoss::Contrastive);
    o.forward(e, s, None).unwrap().0
}

fn pk_loss(e: Tensor<2>, labels: &[i64]) -> Tensor<1> {
    let o = objective(Miner::BatchHard, ObjectiveLoss::Triplet);
    o.forward(e, Structure::Labels(labels), None).unwrap().0
}

fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>]) {
    let worst = a
        .iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    let scale = a.iter().flatten().map(|x| x.abs()).fold(0f32, f32::max);
    assert!(scale > 1e-4, "the gradient is not trivially zero");
    assert!(worst <= 1e-5 * scale.max(1.0), "differ by {worst}");
}

fn setup() -> (MlpTower, Tensor<2>) {
    let device = training_device();
    let tower = MlpConfig {
        input_dim: 6,
        hidden: vec![8],
        embedding_dim: 4,
        normalize: false,
    }
    .init(&device)
    .unwrap();
    let x = Tensor::<2>::random([24, 6], Distribution::Normal(0.0, 1.0), &device);
    (tower, x)
}

#[test]
fn summed_rank_gradients_of_gathered_pairs_equal_the_whole_batch_gradient() {
    let (tower, x) = setup();
    let n = 12; // pairs: rows 0..12 are the a sides, 12..24 the b sides
    let whole = pair_loss(tower.forward(x.clone()), n);
    let expected = flat(
        &GradientsParams::from_grads(whole.backward(), &tower),
        &tower,
    );
    let results = on_two_ranks(|world| {
        let mine = share(n, world.rank(), 2);
        let rows: Vec<usize> = (0..2).map(|r| 2 * share(n, r, 2).len()).collect();
        let a_side = x.clone().slice(mine.clone());
        let local = Tensor::cat(
            vec![a_side, x.clone().slice(mine.start + n..mine.end + n)],
            0,
        );
        let parts = gather_rows(world, tower.forward(local), &rows);
        // Each rank's rows are [its a sides; its b sides]: the whole batch's a sides first.
        let half = |p: &Tensor<2>, k: usize| p.clone().narrow(0, k * 6, 6);
        let e = Tensor::cat(
            vec![
                half(&parts[0], 0),
                half(&parts[1], 0),
                half(&parts[0], 1),
                half(&parts[1], 1),
            ],
            0,
        );
        reduced(world, pair_loss(e, n), &tower)
    });
    for r in &results {
        assert_close(&expected, r);
    }
    // Without the sum a rank holds only part of it.
    let mut lone = GradientsParams::from_grads(
        {
            let local = Tensor::cat(vec![x.clone().slice(0..6), x.clone().slice(12..18)], 0);
            pair_loss(tower.forward(local), 6).backward()
        },
        &tower,
    );
    reduce_gradients(&Local, &mut lone, &tower, None::<&MlpTower>);
    let lone = flat(&lone, &tower);
    let d = expected
        .iter()
        .flatten()
        .zip(lone.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        d > 1e-4,
        "half a batch must not already give the whole gradient"
    );
}

#[test]
fn batch_hard_mining_over_the_gathered_batch_gives_the_whole_batch_gradient() {
    let (tower, x) = setup();
    // 6 classes × 4: a rank's half holds 3 classes, so mining on it alone would differ.
    let labels: Vec<i64> = (0..24).map(|i| i / 4).collect();
    let whole = pk_loss(tower.forward(x.clone()), &labels);
    let expected = flat(
        &GradientsParams::from_grads(whole.backward(), &tower),
        &tower,
    );
    let results = on_two_ranks(|world| {
        let mine = share(24, world.rank(), 2);
        let parts = gather_rows(world, tower.forward(x.clone().slice(mine)), &[12, 12]);
        reduced(world, pk_loss(Tensor::cat(parts, 0), &labels), &tower)
    });
    for r in &results {
        assert_close(&expected, r);
    }
}

#[test]
fn ranks_agree_only_when_every_rank_says_yes() {
    let out = on_two_ranks(|w| (w.all(true), w.all(w.rank() == 0)));
    assert_eq!(out, [(true, false), (true, false)]);
}
