//! Pairs of signatures: genuine–genuine (same), genuine–skilled forgery and genuine–random
//! forgery (different).
//!
//! A verifier meets two kinds of impostor. A *skilled* forgery imitates the claimed writer's
//! signature; a *random* forgery is someone else's own signature presented under the claimed
//! name. Skilled ones are the hard case and the reason signature verification is hard, so they
//! are paired with the writer they imitate; two forgeries are never paired (they are not anyone's
//! signature), and neither are the same image twice.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// What a signature pair is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignaturePair {
    /// Two genuine signatures of one writer.
    Genuine,
    /// A genuine signature and a skilled forgery of that writer's signature.
    Skilled,
    /// Genuine signatures of two different writers.
    Random,
}

/// Every pair of the three kinds among `writers` (indices into `labels`' values): all genuine
/// pairs of each writer, all genuine × forged pairs of each writer, and all genuine pairs across
/// two of the writers. What evaluation scores.
///
/// ```
/// use twinnet::sampling::{all_signature_pairs, SignaturePair};
/// // Writer 0: two genuine (items 0, 1) and one forgery (2); writer 1: two genuine (3, 4).
/// let labels = [0, 0, 0, 1, 1];
/// let forged = [false, false, true, false, false];
/// let pairs = all_signature_pairs(&labels, &forged, &[0, 1]);
/// let count = |k| pairs.iter().filter(|p| p.2 == k).count();
/// assert_eq!(count(SignaturePair::Genuine), 2); // (0,1) and (3,4)
/// assert_eq!(count(SignaturePair::Skilled), 2); // (0,2) and (1,2)
/// assert_eq!(count(SignaturePair::Random), 4); // {0,1} × {3,4}
/// ```
pub fn all_signature_pairs(
    labels: &[usize],
    forged: &[bool],
    writers: &[usize],
) -> Vec<(usize, usize, SignaturePair)> {
    let groups = writer_groups(labels, forged, writers);
    let mut out = Vec::new();
    for (wi, (genuine, fakes)) in groups.iter().enumerate() {
        for (k, &a) in genuine.iter().enumerate() {
            out.extend(
                genuine[k + 1..]
                    .iter()
                    .map(|&b| (a, b, SignaturePair::Genuine)),
            );
            out.extend(fakes.iter().map(|&f| (a, f, SignaturePair::Skilled)));
        }
        for (other, _) in &groups[wi + 1..] {
            for &a in genuine {
                out.extend(other.iter().map(|&b| (a, b, SignaturePair::Random)));
            }
        }
    }
    out
}

/// Training (or calibration) pairs for `writers`: every genuine pair of each writer, as many
/// genuine–skilled pairs of that writer and as many genuine–random pairs against the other
/// writers, drawn with `rng` (fewer when fewer exist), then shuffled.
pub fn sampled_signature_pairs<R: Rng>(
    labels: &[usize],
    forged: &[bool],
    writers: &[usize],
    rng: &mut R,
) -> Vec<(usize, usize, SignaturePair)> {
    let groups = writer_groups(labels, forged, writers);
    let mut out = Vec::new();
    for (wi, (genuine, fakes)) in groups.iter().enumerate() {
        let mut same = Vec::new();
        for (k, &a) in genuine.iter().enumerate() {
            same.extend(
                genuine[k + 1..]
                    .iter()
                    .map(|&b| (a, b, SignaturePair::Genuine)),
            );
        }
        let n = same.len();
        out.append(&mut same);
        let mut skilled: Vec<_> = genuine
            .iter()
            .flat_map(|&a| fakes.iter().map(move |&f| (a, f, SignaturePair::Skilled)))
            .collect();
        skilled.shuffle(rng);
        out.extend(skilled.into_iter().take(n));
        let others: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|&(o, _)| o != wi)
            .flat_map(|(_, (g, _))| g.iter().copied())
            .collect();
        if !others.is_empty() {
            for _ in 0..n {
                let a = genuine[rng.random_range(0..genuine.len())];
                let b = others[rng.random_range(0..others.len())];
                out.push((a, b, SignaturePair::Random));
            }
        }
    }
    out.shuffle(rng);
    out
}

/// Each writer's genuine and forged items, in `writers`' order.
fn writer_groups(
    labels: &[usize],
    forged: &[bool],
    writers: &[usize],
) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut groups = vec![(Vec::new(), Vec::new()); writers.len()];
    for (i, (&l, &f)) in labels.iter().zip(forged).enumerate() {
        if let Some(w) = writers.iter().position(|&w| w == l) {
            if f {
                groups[w].1.push(i)
            } else {
                groups[w].0.push(i)
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{rng_for, stream};

    #[test]
    fn sampled_pairs_are_balanced_and_never_pair_forgeries() {
        // Three writers with 4 genuine and 3 forged signatures each.
        let labels: Vec<usize> = (0..3).flat_map(|w| [w; 7]).collect();
        let forged: Vec<bool> = (0..3)
            .flat_map(|_| [false, false, false, false, true, true, true])
            .collect();
        let mut rng = rng_for(7, stream::TRAIN, 0);
        let pairs = sampled_signature_pairs(&labels, &forged, &[0, 2], &mut rng);
        let count = |k| pairs.iter().filter(|p| p.2 == k).count();
        // 6 genuine pairs per writer; as many skilled and random ones.
        assert_eq!(count(SignaturePair::Genuine), 12);
        assert_eq!(count(SignaturePair::Skilled), 12);
        assert_eq!(count(SignaturePair::Random), 12);
        for &(a, b, kind) in &pairs {
            assert!(
                labels[a] != 1 && labels[b] != 1,
                "writer 1 was not selected"
            );
            assert!(!forged[a], "the first item is always genuine");
            match kind {
                SignaturePair::Genuine => assert!(labels[a] == labels[b] && !forged[b] && a != b),
                SignaturePair::Skilled => assert!(labels[a] == labels[b] && forged[b]),
                SignaturePair::Random => assert!(labels[a] != labels[b] && !forged[b]),
            }
        }
        let mut again = rng_for(7, stream::TRAIN, 0);
        assert_eq!(
            pairs,
            sampled_signature_pairs(&labels, &forged, &[0, 2], &mut again)
        );
    }
}
