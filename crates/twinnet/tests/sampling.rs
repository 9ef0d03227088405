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

#[test]
fn pk_batches_hold_p_classes_of_k_items() {
    use twinnet::sampling::PkSampler;
    let labels: Vec<usize> = (0..200).map(|i| i % 10).collect();
    let index = ClassIndex::new(&labels, 10);
    let pk = PkSampler {
        classes_per_batch: 4,
        per_class: 3,
        replacement: false,
    };
    let names: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    pk.check(&index, &names).unwrap();
    let batches = pk.batches(&index, 20, &mut rng_for(3, 0, 0));
    assert_eq!(batches.len(), 20);
    for b in &batches {
        assert_eq!(b.len(), 12);
        let classes: Vec<usize> = b.chunks(3).map(|c| labels[c[0]]).collect();
        for (chunk, &c) in b.chunks(3).zip(&classes) {
            assert!(
                chunk.iter().all(|&i| labels[i] == c),
                "K consecutive items share a class"
            );
            let mut uniq = chunk.to_vec();
            uniq.dedup();
            assert_eq!(uniq.len(), 3, "no repeats without replacement");
        }
        let mut distinct = classes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 4, "P distinct classes");
    }
    assert_eq!(
        batches,
        pk.batches(&index, 20, &mut rng_for(3, 0, 0)),
        "seeded"
    );
}

#[test]
fn pk_errors_name_the_short_class() {
    use twinnet::sampling::PkSampler;
    let labels = vec![0, 0, 0, 1, 1, 2, 2, 2];
    let index = ClassIndex::new(&labels, 3);
    let names = vec!["cat".to_string(), "dog".to_string(), "eel".to_string()];
    let pk = PkSampler {
        classes_per_batch: 2,
        per_class: 3,
        replacement: false,
    };
    let err = pk.check(&index, &names).unwrap_err().to_string();
    assert!(
        err.contains("'dog'") && err.contains("2 training examples"),
        "{err}"
    );
    let with = PkSampler {
        replacement: true,
        ..pk
    };
    with.check(&index, &names).unwrap();
    let b = with.batches(&index, 5, &mut rng_for(0, 0, 0));
    assert!(b.iter().all(|b| b.len() == 6));
    let too_many = PkSampler {
        classes_per_batch: 4,
        per_class: 1,
        replacement: false,
    };
    assert!(too_many
        .check(&index, &names)
        .unwrap_err()
        .to_string()
        .contains("only 3 classes"));
}

#[test]
fn augmentation_is_seeded_and_identity_when_ranges_are_zero() {
    use twinnet::data::{AugmentConfig, ImageShape};
    let shape = ImageShape {
        channels: 1,
        height: 8,
        width: 8,
    };
    let img: Vec<f32> = (0..64).map(|i| (i % 7) as f32 / 7.0).collect();
    let none = AugmentConfig {
        shift: 0.0,
        rotate_deg: 0.0,
        scale: 0.0,
        shear_deg: 0.0,
        hflip: false,
        brightness: 0.0,
        contrast: 0.0,
    };
    let out = none.apply(&img, shape, &mut rng_for(0, 0, 0));
    for (a, b) in img.iter().zip(&out) {
        assert!((a - b).abs() < 1e-5);
    }
    let aug = AugmentConfig::default();
    let a = aug.apply(&img, shape, &mut rng_for(1, 0, 0));
    assert_eq!(a, aug.apply(&img, shape, &mut rng_for(1, 0, 0)));
    assert_ne!(a, img);
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    // A pure horizontal flip mirrors each row, about half of the time.
    let flip = AugmentConfig {
        hflip: true,
        ..none
    };
    let mirror: Vec<f32> = (0..64).map(|i| img[(i / 8) * 8 + 7 - i % 8]).collect();
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
    let mut mirrored = 0;
    for s in 0..40 {
        let f = flip.apply(&img, shape, &mut rng_for(s, 0, 0));
        if close(&f, &mirror) {
            mirrored += 1;
        } else {
            assert!(close(&f, &img), "neither the image nor its mirror");
        }
    }
    assert!((8..=32).contains(&mirrored), "{mirrored} of 40 flipped");
}

#[test]
fn shift_image_moves_pixels_and_fills_with_zero() {
    use twinnet::data::{shift_image, ImageShape};
    // Two channels of 3 rows × 4 columns; channel 1 is channel 0 plus 100.
    let shape = ImageShape {
        channels: 2,
        height: 3,
        width: 4,
    };
    let img: Vec<f32> = (0..24)
        .map(|i| (i % 12 + 1 + 100 * (i / 12)) as f32)
        .collect();
    // One right, one up: row y takes row y + 1 of the source, column x takes column x − 1.
    #[rustfmt::skip]
    let want: Vec<f32> = vec![
        0.0, 5.0, 6.0, 7.0,
        0.0, 9.0, 10.0, 11.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 105.0, 106.0, 107.0,
        0.0, 109.0, 110.0, 111.0,
        0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(shift_image(&img, shape, 1, -1), want);
    assert_eq!(shift_image(&img, shape, 0, 0), img);
    // Two left, two down.
    #[rustfmt::skip]
    let want: Vec<f32> = vec![
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
        3.0, 4.0, 0.0, 0.0,
    ];
    assert_eq!(&shift_image(&img, shape, -2, 2)[..12], want.as_slice());
    // Moved out of the frame entirely.
    assert!(shift_image(&img, shape, 4, 0).iter().all(|&v| v == 0.0));
    assert!(shift_image(&img, shape, 0, -3).iter().all(|&v| v == 0.0));
}
