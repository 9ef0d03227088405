//! SiamFC's training pairs: two frames of one sequence at most `max_gap` frames apart, the
//! exemplar crop around the target in one and the search crop around it in the other.
//!
//! The target sits at the centre of both crops (SiamFC's labels assume it), except for the
//! random shift and stretch the search crop gets, which teach the tower that the target is
//! not always exactly where it was and not always of the same size.

use crate::data::{exemplar_side, BoxXywh, Frame};
use rand::Rng;

/// Two frames of one sequence: exemplar frame `z`, search frame `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePair {
    /// Index of the sequence.
    pub seq: usize,
    /// Frame of the exemplar.
    pub z: usize,
    /// Frame of the search crop.
    pub x: usize,
}

/// Draws `n` pairs from sequences of `lengths` frames: a sequence with probability in
/// proportion to its length, a frame at random, and a second frame within `max_gap` of it
/// (another frame whenever the sequence has two).
///
/// ```
/// use twinnet::sampling::{frame_pairs, rng_for};
/// let pairs = frame_pairs(&[50, 10], 200, 5, &mut rng_for(1, 2, 3));
/// assert_eq!(pairs.len(), 200);
/// assert!(pairs.iter().all(|p| p.z != p.x && p.z.abs_diff(p.x) <= 5));
/// assert!(pairs.iter().all(|p| p.x < [50, 10][p.seq]));
/// ```
pub fn frame_pairs(
    lengths: &[usize],
    n: usize,
    max_gap: usize,
    rng: &mut impl Rng,
) -> Vec<FramePair> {
    let total: usize = lengths.iter().sum();
    if total == 0 {
        return Vec::new();
    }
    (0..n)
        .map(|_| {
            let mut k = rng.random_range(0..total);
            let seq = lengths.iter().position(|&l| {
                if k < l {
                    true
                } else {
                    k -= l;
                    false
                }
            });
            let seq = seq.expect("k is below the total");
            let len = lengths[seq];
            let z = k;
            let (lo, hi) = (z.saturating_sub(max_gap), (z + max_gap).min(len - 1));
            let x = if hi > lo {
                // Another frame in [lo, hi].
                let r = rng.random_range(lo..hi);
                if r >= z {
                    r + 1
                } else {
                    r
                }
            } else {
                z
            };
            FramePair { seq, z, x }
        })
        .collect()
}

/// How crops are cut: SiamFC's sizes and context, and the search crop's augmentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropSpec {
    /// Side of the exemplar crop.
    pub exemplar_size: usize,
    /// Side of the search crop.
    pub search_size: usize,
    /// Context around the target (0.5: SiamFC's p = (w+h)/4 on each side).
    pub context: f32,
    /// Largest relative change of the search crop's side (0.05: ±5 %).
    pub stretch: f32,
    /// Largest shift of the search crop's centre, in search-crop pixels.
    pub shift: f32,
}

impl CropSpec {
    /// Side in frame pixels of the exemplar crop around `b`.
    pub fn exemplar_side(&self, b: &BoxXywh) -> f32 {
        exemplar_side(b.w, b.h, self.context)
    }

    /// The exemplar crop of `b` in `frame`, appended to `dst` (planar RGB in `[0, 1]`).
    pub fn exemplar(&self, frame: &Frame, b: &BoxXywh, dst: &mut Vec<f32>) {
        let (cx, cy) = b.center();
        frame.crop_into(cx, cy, self.exemplar_side(b), self.exemplar_size, dst);
    }

    /// The search crop of `b` in `frame`, stretched and shifted at random (when `rng` is given),
    /// appended to `dst`.
    pub fn search(
        &self,
        frame: &Frame,
        b: &BoxXywh,
        rng: Option<&mut rand_chacha::ChaCha8Rng>,
        dst: &mut Vec<f32>,
    ) {
        let (cx, cy) = b.center();
        let mut side = self.exemplar_side(b) * self.search_size as f32 / self.exemplar_size as f32;
        let (mut dx, mut dy) = (0.0, 0.0);
        if let Some(rng) = rng {
            if self.stretch > 0.0 {
                side *= 1.0 + rng.random_range(-self.stretch..=self.stretch);
            }
            if self.shift > 0.0 {
                let px = side / self.search_size as f32;
                dx = rng.random_range(-self.shift..=self.shift) * px;
                dy = rng.random_range(-self.shift..=self.shift) * px;
            }
        }
        frame.crop_into(cx + dx, cy + dy, side, self.search_size, dst);
    }
}
