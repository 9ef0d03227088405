//! The kernels against the definition of a convolution, finite differences and each other.

use super::*;

fn naive_forward(x: &[f32], w: &[f32], b: &[f32], g: &ConvGeom, relu: bool) -> Vec<f32> {
    let (oh, ow) = (g.oh(), g.ow());
    let mut out = vec![0.0; g.batch * g.co * oh * ow];
    for n in 0..g.batch {
        for co in 0..g.co {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = b[co] as f64;
                    for c in 0..g.c {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                let (iy, ix) = (oy + i, ox + j);
                                if iy < g.pad || ix < g.pad {
                                    continue;
                                }
                                let (iy, ix) = (iy - g.pad, ix - g.pad);
                                if iy >= g.h || ix >= g.w {
                                    continue;
                                }
                                s += (x[((n * g.c + c) * g.h + iy) * g.w + ix]
                                    * w[((co * g.c + c) * g.kh + i) * g.kw + j])
                                    as f64;
                            }
                        }
                    }
                    let s = s as f32;
                    out[((n * g.co + co) * oh + oy) * ow + ox] = if relu { s.max(0.0) } else { s };
                }
            }
        }
    }
    out
}

fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// Input, weight and bias of `g`, drawn from `seed` (weight and bias from `seed + 100` and
/// `seed + 200`).
fn operands(g: &ConvGeom, seed: u32) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    (
        values(g.batch * g.in_len(), seed),
        values(g.co * g.k(), 100 + seed),
        values(g.co, 200 + seed),
    )
}

fn geoms() -> Vec<ConvGeom> {
    let g = |batch, c, h, w, co, kh, kw, pad| ConvGeom {
        batch,
        c,
        h,
        w,
        co,
        kh,
        kw,
        pad,
    };
    vec![
        g(3, 1, 9, 9, 4, 5, 5, 0),
        g(5, 3, 6, 7, 2, 3, 3, 1),
        g(2, 2, 5, 4, 3, 3, 2, 2),
        g(7, 4, 4, 4, 5, 4, 4, 0),
        g(1, 1, 3, 3, 1, 3, 3, 0),
        g(9, 2, 8, 8, 3, 3, 3, 0),
    ]
}

fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

#[test]
fn forward_matches_the_definition() {
    for (t, g) in geoms().iter().enumerate() {
        let (x, w, b) = operands(g, t as u32);
        for relu in [false, true] {
            let epilogue = if relu { Epilogue::Relu } else { Epilogue::None };
            let fast = forward(&x, &w, &b, g, epilogue).out;
            assert_close(&fast, &naive_forward(&x, &w, &b, g, relu), 1e-5, "forward");
        }
    }
}

/// Gradients against central finite differences of `sum(out · r)` for a fixed random `r`
/// (without ReLU the loss is linear in each variable, so the differences are exact up to
/// rounding).
#[test]
fn backward_matches_finite_differences() {
    for (t, g) in geoms().iter().enumerate() {
        let (x, w, b) = operands(g, 10 + t as u32);
        let r = values(g.batch * g.co * g.p(), 310 + t as u32);
        let loss = |x: &[f32], w: &[f32], b: &[f32]| -> f64 {
            naive_forward(x, w, b, g, false)
                .iter()
                .zip(&r)
                .map(|(o, r)| (*o as f64) * (*r as f64))
                .sum()
        };
        let grads = backward(&x, &w, OutputGrad::Plain(&r), g, true);
        let eps = 1e-2f32;
        let numeric = |v: &[f32], i: usize, f: &dyn Fn(&[f32]) -> f64| {
            let (mut up, mut down) = (v.to_vec(), v.to_vec());
            up[i] += eps;
            down[i] -= eps;
            ((f(&up) - f(&down)) / (2.0 * eps as f64)) as f32
        };
        let dx = grads.dx.as_ref().expect("dx asked for");
        for (i, &got) in dx.iter().enumerate() {
            let n = numeric(&x, i, &|v| loss(v, &w, &b));
            assert!(
                (got - n).abs() < 1e-2 * (1.0 + n.abs()),
                "dx[{i}] {} vs {n}",
                got
            );
        }
        for i in 0..w.len() {
            let n = numeric(&w, i, &|v| loss(&x, v, &b));
            let a = grads.dweight[i];
            assert!((a - n).abs() < 1e-2 * (1.0 + n.abs()), "dw[{i}] {a} vs {n}");
        }
        for i in 0..b.len() {
            let n = numeric(&b, i, &|v| loss(&x, &w, v));
            let a = grads.dbias[i];
            assert!((a - n).abs() < 1e-2 * (1.0 + n.abs()), "db[{i}] {a} vs {n}");
        }
        let without = backward(&x, &w, OutputGrad::Plain(&r), g, false);
        assert!(without.dx.is_none());
        assert_close(&without.dweight, &grads.dweight, 1e-5, "dw without dx");
    }
}

/// With ReLU the gradient is the linear one of the gradient masked where the output is 0.
#[test]
fn relu_backward_masks_the_output_gradient() {
    for (t, g) in geoms().iter().enumerate() {
        let (x, w, b) = operands(g, 20 + t as u32);
        let r = values(g.batch * g.co * g.p(), 320 + t as u32);
        let out = forward(&x, &w, &b, g, Epilogue::Relu).out;
        if out.len() > 4 {
            assert!(out.contains(&0.0) && out.iter().any(|&o| o > 0.0));
        }
        let masked: Vec<f32> = r
            .iter()
            .zip(&out)
            .map(|(r, o)| if *o > 0.0 { *r } else { 0.0 })
            .collect();
        let fused = backward(
            &x,
            &w,
            OutputGrad::Relu {
                out: &out,
                grad: &r,
            },
            g,
            true,
        );
        let plain = backward(&x, &w, OutputGrad::Plain(&masked), g, true);
        assert_close(
            fused.dx.as_ref().unwrap(),
            plain.dx.as_ref().unwrap(),
            1e-6,
            "dx",
        );
        assert_close(&fused.dweight, &plain.dweight, 1e-6, "dw");
        assert_close(&fused.dbias, &plain.dbias, 1e-6, "db");
    }
}

/// `pool(relu(conv))` by the definition: the pooled values and the flat conv-output index of
/// each window's first maximum.
fn naive_relu_pool(conv: &[f32], g: &ConvGeom) -> (Vec<f32>, Vec<usize>) {
    let (oh, ow) = (g.oh(), g.ow());
    let (ph, pw) = (oh / 2, ow / 2);
    let (mut out, mut at) = (Vec::new(), Vec::new());
    for plane in 0..g.batch * g.co {
        for py in 0..ph {
            for px in 0..pw {
                let mut best = plane * oh * ow + 2 * py * ow + 2 * px;
                for (dy, dx) in [(0, 1), (1, 0), (1, 1)] {
                    let i = plane * oh * ow + (2 * py + dy) * ow + 2 * px + dx;
                    if conv[i] > conv[best] {
                        best = i;
                    }
                }
                out.push(conv[best].max(0.0));
                at.push(best);
            }
        }
    }
    (out, at)
}

#[test]
fn pooled_forward_and_backward_match_pool_of_relu() {
    for (t, g) in geoms().iter().enumerate() {
        if g.oh() < 2 || g.ow() < 2 {
            continue;
        }
        let (x, w, b) = operands(g, 30 + t as u32);
        let conv = naive_forward(&x, &w, &b, g, false);
        let (want, at) = naive_relu_pool(&conv, g);
        let fused = forward(&x, &w, &b, g, Epilogue::ReluPool2);
        assert_close(&fused.out, &want, 1e-5, "pooled forward");
        assert_eq!(fused.argmax.len(), want.len());
        let r = values(want.len(), 330 + t as u32);
        // The pooled gradient routed by hand to each window's maximum, where it is positive.
        let mut routed = vec![0.0; conv.len()];
        for ((&i, &o), &gr) in at.iter().zip(&want).zip(&r) {
            if o > 0.0 {
                routed[i] = gr;
            }
        }
        let output = OutputGrad::ReluPool2 {
            out: &fused.out,
            argmax: &fused.argmax,
            grad: &r,
        };
        let fast = backward(&x, &w, output, g, true);
        let plain = backward(&x, &w, OutputGrad::Plain(&routed), g, true);
        assert_close(
            fast.dx.as_ref().unwrap(),
            plain.dx.as_ref().unwrap(),
            1e-6,
            "dx",
        );
        assert_close(&fast.dweight, &plain.dweight, 1e-6, "dw");
        assert_close(&fast.dbias, &plain.dbias, 1e-6, "db");
    }
}
