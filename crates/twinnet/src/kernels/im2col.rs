//! The data movement around the convolution's GEMMs: im2col (image → column matrix) and its
//! transpose col2im (column gradients → image gradient), and the strided GEMM call itself.

use super::conv::ConvGeom;

/// Output columns `[lo, hi)` whose input column `ox + j - pad` lies inside the image.
fn valid_cols(g: &ConvGeom, j: usize) -> (usize, usize) {
    let ow = g.ow();
    let lo = g.pad.saturating_sub(j).min(ow);
    let hi = (g.w + g.pad).saturating_sub(j).min(ow).max(lo);
    (lo, hi)
}

/// Writes image `x` as im2col rows `[k, p]` into `col` (row stride `ld`) at column `off`.
pub(super) fn im2col(x: &[f32], g: &ConvGeom, col: &mut [f32], ld: usize, off: usize) {
    let (oh, ow) = (g.oh(), g.ow());
    for c in 0..g.c {
        let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let r = (c * g.kh + i) * g.kw + j;
                let row = &mut col[r * ld + off..r * ld + off + oh * ow];
                let (lo, hi) = valid_cols(g, j);
                for oy in 0..oh {
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    let iy = oy + i;
                    if iy < g.pad || iy >= g.h + g.pad || lo == hi {
                        dst.fill(0.0);
                        continue;
                    }
                    let src = (iy - g.pad) * g.w + lo + j - g.pad;
                    if lo > 0 {
                        dst[..lo].fill(0.0);
                    }
                    dst[lo..hi].copy_from_slice(&plane[src..src + hi - lo]);
                    if hi < ow {
                        dst[hi..].fill(0.0);
                    }
                }
            }
        }
    }
}

/// Adds im2col rows `[k, p]` of `col` (row stride `ld`, column `off`) back into image `dx`.
pub(super) fn col2im_add(col: &[f32], g: &ConvGeom, ld: usize, off: usize, dx: &mut [f32]) {
    let (oh, ow) = (g.oh(), g.ow());
    for c in 0..g.c {
        let plane = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let r = (c * g.kh + i) * g.kw + j;
                let row = &col[r * ld + off..r * ld + off + oh * ow];
                let (lo, hi) = valid_cols(g, j);
                for oy in 0..oh {
                    let iy = oy + i;
                    if iy < g.pad || iy >= g.h + g.pad || lo == hi {
                        continue;
                    }
                    let dst = (iy - g.pad) * g.w + lo + j - g.pad;
                    for (d, s) in plane[dst..dst + hi - lo]
                        .iter_mut()
                        .zip(&row[oy * ow + lo..oy * ow + hi])
                    {
                        *d += s;
                    }
                }
            }
        }
    }
}

/// `dst[m×n] (+)= lhs[m×k] · rhs[k×n]`, each operand given by row and column strides.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    (dst_rs, dst_cs): (usize, usize),
    accumulate: bool,
    lhs: &[f32],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[f32],
    (rhs_rs, rhs_cs): (usize, usize),
) {
    let last = |rs: usize, cs: usize, rows: usize, cols: usize| {
        (rows.max(1) - 1) * rs + (cols.max(1) - 1) * cs
    };
    assert!(m > 0 && n > 0 && k > 0, "empty GEMM");
    assert!(
        last(dst_rs, dst_cs, m, n) < dst.len(),
        "GEMM destination too short"
    );
    assert!(
        last(lhs_rs, lhs_cs, m, k) < lhs.len(),
        "GEMM left operand too short"
    );
    assert!(
        last(rhs_rs, rhs_cs, k, n) < rhs.len(),
        "GEMM right operand too short"
    );
    // SAFETY: the asserts above keep every element the strides reach inside the slices, and the
    // destination is borrowed mutably, so it cannot alias the operands.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
