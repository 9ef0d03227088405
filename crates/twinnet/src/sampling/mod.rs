//! Drawing pairs and triplets from labelled items, fresh each epoch and reproducible by seed.

mod frame_pairs;
mod hard_negatives;
mod miner;
mod no_duplicates;
mod pairs;
mod pk;
mod signature_pairs;

pub use frame_pairs::{frame_pairs, CropSpec, FramePair};
pub use hard_negatives::{HardNegatives, MinedTriplets, NegativeSampling};
pub use miner::{Mined, Miner};
pub use no_duplicates::no_duplicate_batches;
pub use pairs::{balanced_pairs, random_triplets, split_indices, ClassIndex};
pub use pk::PkSampler;
pub use signature_pairs::{all_signature_pairs, sampled_signature_pairs, SignaturePair};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random stream for one purpose (`stream`) of one epoch of a seeded run.
///
/// Deriving every stream from `(seed, stream, epoch)` instead of threading one generator through
/// the run is what lets `--resume` reproduce an uninterrupted run exactly.
pub fn rng_for(seed: u64, stream: u64, epoch: u64) -> ChaCha8Rng {
    let mixed = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(epoch.wrapping_mul(0x94D0_49BB_1331_11EB));
    ChaCha8Rng::seed_from_u64(mixed)
}

/// Named random streams, so two purposes never share one.
pub mod stream {
    /// Train/validation split.
    pub const SPLIT: u64 = 1;
    /// Training pairs or triplets of an epoch.
    pub const TRAIN: u64 = 2;
    /// Fixed validation pairs.
    pub const VALIDATION: u64 = 3;
    /// Fixed evaluation pairs.
    pub const EVAL: u64 = 4;
    /// Shuffling of a given pair list.
    pub const SHUFFLE: u64 = 5;
    /// Random choice among mined hard negatives.
    pub const NEGATIVES: u64 = 6;
}
