//! Data-parallel training over several processes (ranks): what each rank trains on, and how
//! their gradients become one step.
//!
//! Every rank draws the same batches from the seed and takes its share of each ([`share`]);
//! it embeds only its share, gathers every rank's embeddings ([`gather_rows`]) and computes
//! the objective on the whole batch, with its own rows tracked by autodiff and the others as
//! constants. Its backward pass then yields the whole-batch loss's gradient through its own
//! rows, so the sum over ranks ([`reduce_gradients`]) is the gradient one process would get on
//! the whole batch: mined tuples, in-batch negatives and the mean over the batch come out the
//! same. (Parameters used after the gather, a learned head's, get the whole gradient on every
//! rank and are averaged instead.) Ranks step on the same summed gradients from the same
//! weights, so they stay equal without broadcasting weights.
//!
//! [`Collective`] is the engine-neutral interface; [`Local`] is the one-process case and
//! `Mpi` (feature `mpi`) the MPI one. burn 0.22 has no collective across processes, so this is
//! twinnet's own.

#[cfg(feature = "mpi")]
mod mpi_world;
mod reduce;

#[cfg(feature = "mpi")]
pub use mpi_world::Mpi;
pub use reduce::reduce_gradients;

use burn::tensor::{Tensor, TensorData};
use std::ops::Range;

/// The collective operations a data-parallel step needs. Every rank calls each operation in
/// the same order (MPI's rule); all of them block until every rank has called.
pub trait Collective {
    /// This process's rank, `0..size()`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Replaces `values` by their element-wise sum over the ranks (the same on every rank).
    fn sum(&self, values: &mut [f32]);
    /// Every rank's `local` values, in rank order; rank `r` gives `counts[r]` values.
    fn gather(&self, local: &[f32], counts: &[usize]) -> Vec<f32>;
    /// Whether `flag` holds on every rank (a logical and), so ranks agree on what to do.
    fn all(&self, flag: bool) -> bool;
}

/// One process, no collective: sums and gathers are the local values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Collective for Local {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn sum(&self, _values: &mut [f32]) {}
    fn gather(&self, local: &[f32], _counts: &[usize]) -> Vec<f32> {
        local.to_vec()
    }
    fn all(&self, flag: bool) -> bool {
        flag
    }
}

/// Rank `rank`'s contiguous share of `n` things split over `size` ranks: shares differ by at
/// most one, and together they cover `0..n` in rank order.
///
/// ```
/// use twinnet::distributed::share;
/// assert_eq!((0..3).map(|r| share(10, r, 3)).collect::<Vec<_>>(), [0..3, 3..6, 6..10]);
/// assert_eq!(share(4, 1, 2), 2..4);
/// ```
pub fn share(n: usize, rank: usize, size: usize) -> Range<usize> {
    n * rank / size..n * (rank + 1) / size
}

/// Every rank's rows of a `[rows, dim]` embedding, in rank order: this rank's is `local`
/// itself (still tracked by autodiff), the others are constants built from the gathered
/// values. `rows[r]` is rank `r`'s row count (every rank knows them: the batch is the same).
pub fn gather_rows(world: &dyn Collective, local: Tensor<2>, rows: &[usize]) -> Vec<Tensor<2>> {
    let [n, dim] = local.dims();
    debug_assert_eq!(rows[world.rank()], n);
    let values: Vec<f32> = local
        .to_data()
        .try_to_vec::<f32>()
        .expect("embeddings hold f32 values");
    let counts: Vec<usize> = rows.iter().map(|r| r * dim).collect();
    let all = world.gather(&values, &counts);
    let device = local.device();
    let mut start = 0;
    rows.iter()
        .enumerate()
        .map(|(r, &k)| {
            let part = start..start + k * dim;
            start = part.end;
            if r == world.rank() {
                local.clone()
            } else {
                Tensor::from_data(TensorData::new(all[part].to_vec(), [k, dim]), &device)
            }
        })
        .collect()
}
