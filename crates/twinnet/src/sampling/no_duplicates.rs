//! Batches without a repeated text, for losses whose in-batch negatives assume every other
//! example is different (MNRL): a text twice in one batch would be its own false negative.
//! sentence-transformers' `NoDuplicatesBatchSampler` does the same.

use std::collections::{HashSet, VecDeque};

/// Groups `order` into batches of `size` in which no two items share a key (`keys(i)`: the
/// texts of item `i`). An item that would repeat a key waits for a later batch, keeping its
/// place ahead of the items after it; a last batch that cannot be filled is dropped, as
/// fixed-size batches are everywhere else.
///
/// ```
/// use twinnet::sampling::no_duplicate_batches;
/// let texts = [["a", "x"], ["a", "y"], ["b", "z"], ["c", "x"], ["d", "w"], ["e", "v"]];
/// let batches = no_duplicate_batches(&[0, 1, 2, 3, 4, 5], 2, |i| texts[i].to_vec());
/// assert_eq!(batches, vec![vec![0, 2], vec![1, 3], vec![4, 5]]);
/// ```
pub fn no_duplicate_batches<'a>(
    order: &[usize],
    size: usize,
    keys: impl Fn(usize) -> Vec<&'a str>,
) -> Vec<Vec<usize>> {
    let mut remaining: VecDeque<usize> = order.iter().copied().collect();
    let mut batches = Vec::new();
    while size > 0 && remaining.len() >= size {
        let (mut batch, mut seen, mut waiting) =
            (Vec::with_capacity(size), HashSet::new(), Vec::new());
        while let Some(i) = remaining.pop_front() {
            let k = keys(i);
            if k.iter().any(|t| seen.contains(t)) {
                waiting.push(i);
                continue;
            }
            seen.extend(k);
            batch.push(i);
            if batch.len() == size {
                break;
            }
        }
        for i in waiting.into_iter().rev() {
            remaining.push_front(i);
        }
        if batch.len() < size {
            break;
        }
        batches.push(batch);
    }
    batches
}
