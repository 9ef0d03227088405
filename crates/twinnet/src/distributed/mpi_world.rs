//! [`Collective`] over MPI (the `mpi` crate on the system's MPI library, e.g. OpenMPI): every
//! process the MPI launcher (`mpirun`) starts is a rank of the world communicator.

use super::Collective;
use anyhow::{bail, Result};
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives};

/// The MPI world of this process; MPI is finalised when it is dropped.
pub struct Mpi {
    world: SimpleCommunicator,
    _universe: Universe,
}

impl Mpi {
    /// Initialises MPI (once per process). Outside `mpirun` this is a world of one rank.
    pub fn init() -> Result<Self> {
        let Some(universe) = mpi::initialize() else {
            bail!("MPI was already initialised in this process");
        };
        Ok(Self {
            world: universe.world(),
            _universe: universe,
        })
    }
}

impl Collective for Mpi {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn sum(&self, values: &mut [f32]) {
        let send = values.to_vec();
        self.world
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }

    fn gather(&self, local: &[f32], counts: &[usize]) -> Vec<f32> {
        let total: usize = counts.iter().sum();
        let mut out = vec![0f32; total];
        let c: Vec<i32> = counts.iter().map(|&n| n as i32).collect();
        let displs: Vec<i32> = c
            .iter()
            .scan(0, |at, &n| {
                let d = *at;
                *at += n;
                Some(d)
            })
            .collect();
        let mut part = PartitionMut::new(&mut out[..], c, displs);
        self.world.all_gather_varcount_into(local, &mut part);
        out
    }

    fn all(&self, flag: bool) -> bool {
        let mut out = 0i32;
        self.world
            .all_reduce_into(&i32::from(flag), &mut out, SystemOperation::min());
        out == 1
    }
}
