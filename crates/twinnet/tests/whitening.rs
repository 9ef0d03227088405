//! Within-class whitening: the factorisation by hand, the transform on data whose
//! within-class spread is known.

use twinnet::eval::{cholesky, lower_inverse, Whitener};

#[test]
fn cholesky_and_triangular_inverse_by_hand() {
    // The textbook example: L = [[2, 0, 0], [6, 1, 0], [−8, 5, 3]].
    let a = [4.0, 12.0, -16.0, 12.0, 37.0, -43.0, -16.0, -43.0, 98.0];
    let l = cholesky(&a, 3).unwrap();
    let want = [2.0, 0.0, 0.0, 6.0, 1.0, 0.0, -8.0, 5.0, 3.0];
    for (x, w) in l.iter().zip(want) {
        assert!((x - w).abs() < 1e-12, "{l:?}");
    }
    let inv = lower_inverse(&l, 3);
    for i in 0..3 {
        for j in 0..3 {
            let p: f64 = (0..3).map(|k| inv[i * 3 + k] * l[k * 3 + j]).sum();
            assert!(
                (p - f64::from(u8::from(i == j))).abs() < 1e-12,
                "L⁻¹L at {i},{j}: {p}"
            );
        }
    }
    // Not positive definite (eigenvalues 3 and −1).
    let err = cholesky(&[1.0, 2.0, 2.0, 1.0], 2).unwrap_err().to_string();
    assert!(err.contains("not positive definite"), "{err}");
}

/// Two classes in 2-D whose members spread ±10 along x and ±0.1 along y around their centres.
fn stretched() -> (Vec<f32>, Vec<usize>) {
    let mut f = Vec::new();
    let mut labels = Vec::new();
    for (c, centre) in [(0usize, [0.0f32, 0.0]), (1, [3.0, 1.0])] {
        for dx in [-10.0f32, 10.0] {
            for dy in [-0.1f32, 0.1] {
                f.extend([centre[0] + dx, centre[1] + dy]);
                labels.push(c);
            }
        }
    }
    (f, labels)
}

#[test]
fn whitening_equalises_the_within_class_spread() {
    let (f, labels) = stretched();
    // Within-class covariance diag(100, 0.01); mean variance 50.005.
    let w = Whitener::fit(&f, 2, &labels, 1e-6).unwrap();
    assert_eq!(w.dim(), 2);
    let mut x = vec![10.0f32, 0.0, 0.0, 0.1];
    w.apply(&mut x);
    // One within-class step along either axis becomes a unit step.
    let rel = |v: f32, want: f32| (v - want).abs() / want;
    assert!(rel(x[0], 1.0) < 1e-3 && x[1].abs() < 1e-6, "{x:?}");
    assert!(x[2].abs() < 1e-6 && rel(x[3], 1.0) < 1e-2, "{x:?}");
    // Shrinkage 1: S + 50.005·I = diag(150.005, 50.015).
    let w = Whitener::fit(&f, 2, &labels, 1.0).unwrap();
    let mut x = vec![1.0f32, 1.0];
    w.apply(&mut x);
    assert!(rel(x[0], 1.0 / 150.005f32.sqrt()) < 1e-4, "{x:?}");
    assert!(rel(x[1], 1.0 / 50.015f32.sqrt()) < 1e-4, "{x:?}");
    // A query 8 along x from class 1's centre (a within-class step) but 1 along y from class
    // 0's: Euclidean distance calls it class 0 (26 vs 64); after whitening it is class 1.
    let d = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>();
    let (q, c0, c1) = ([-5.0f32, 1.0], [0.0f32, 0.0], [3.0f32, 1.0]);
    assert!(d(&q, &c0) < d(&q, &c1));
    let w = Whitener::fit(&f, 2, &labels, 1e-3).unwrap();
    let (mut qw, mut c0w, mut c1w) = (q.to_vec(), c0.to_vec(), c1.to_vec());
    for v in [&mut qw, &mut c0w, &mut c1w] {
        w.apply(v);
    }
    assert!(d(&qw, &c1w) < d(&qw, &c0w), "{qw:?} {c0w:?} {c1w:?}");
}

#[test]
fn whitening_refuses_bad_input() {
    let (f, labels) = stretched();
    let e = |r: anyhow::Result<Whitener>| r.unwrap_err().to_string();
    assert!(e(Whitener::fit(&f[..7], 2, &labels, 1.0)).contains("7 values are not 8 rows of 2"));
    assert!(e(Whitener::fit(&f, 2, &labels, 0.0)).contains("positive"));
    assert!(e(Whitener::fit(&f, 2, &labels, f64::NAN)).contains("positive"));
    assert!(e(Whitener::fit(&[1.0, 2.0], 2, &[0], 1.0)).contains("at least two examples"));
}
