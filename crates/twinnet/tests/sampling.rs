//! Pair and triplet sampling: balance, validity, reproducibility, clear errors.

use twinnet::sampling::{balanced_pairs, random_triplets, rng_for, split_indices, ClassIndex};

#[test]
fn pairs_are_balanced_valid_and_seeded() {
    let labels: Vec<usize> = (0..100).map(|i| i % 4).collect();
    let index = ClassIndex::new(&labels, 4);
    let pairs = balanced_pairs(&index, 1000, &mut rng_for(1, 2, 3)).unwrap();
    assert_eq!(pairs.iter().filter(|p| p.2).count(), 500);
    for &(a, b, same) in &pairs {
        assert_ne!(a, b);
        assert_eq!(labels[a] == labels[b], same);
    }
    assert_eq!(
        pairs,
        balanced_pairs(&index, 1000, &mut rng_for(1, 2, 3)).unwrap()
    );
    assert_ne!(
        pairs,
        balanced_pairs(&index, 1000, &mut rng_for(1, 2, 4)).unwrap(),
        "a new epoch draws new pairs"
    );
}

#[test]
fn subset_index_never_draws_outside_it() {
    let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
    let items: Vec<usize> = (0..30).collect();
    let index = ClassIndex::subset(&labels, &items, 3);
    let pairs = balanced_pairs(&index, 500, &mut rng_for(0, 0, 0)).unwrap();
    assert!(pairs.iter().all(|&(a, b, _)| a < 30 && b < 30));
    let triplets = random_triplets(&index, 200, &mut rng_for(0, 1, 0)).unwrap();
    for &(a, p, n) in &triplets {
        assert!(a < 30 && p < 30 && n < 30);
        assert_eq!(labels[a], labels[p]);
        assert_ne!(labels[a], labels[n]);
        assert_ne!(a, p);
    }
}

#[test]
fn unpairable_selections_are_explained() {
    let one_class = ClassIndex::new(&[0, 0, 0], 1);
    let err = balanced_pairs(&one_class, 10, &mut rng_for(0, 0, 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 2 classes"), "{err}");
    let singletons = ClassIndex::new(&[0, 1, 2], 3);
    let err = balanced_pairs(&singletons, 10, &mut rng_for(0, 0, 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("two examples"), "{err}");
}

#[test]
fn split_is_disjoint_and_seeded() {
    let (train, val) = split_indices(100, 0.1, &mut rng_for(5, 1, 0));
    assert_eq!((train.len(), val.len()), (90, 10));
    assert!(val.iter().all(|v| !train.contains(v)));
    assert_eq!((train, val), split_indices(100, 0.1, &mut rng_for(5, 1, 0)));
}
