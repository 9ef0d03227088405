//! Convolution + bias + ReLU (+ 2×2 max-pool) on plain `f32` slices: im2col over a few images
//! at a time, one GEMM per group of images, and the backward pass that shares the im2col
//! between the weight and input gradients.
//!
//! Why not burn-flex's own conv: measured on the reference tower (batch 256, 2 threads), its
//! 1→32-channel layer spends 22 ms forward and 29 ms on the weight gradient for 0.24 GFLOP each:
//! it builds an im2col per output tile of each image and calls a small GEMM per tile, and
//! computes the weight gradient as a convolution with the batch as channels (one GEMM with a
//! 147,456-long inner dimension); its max-pool with indices took another 18 ms. Here the GEMM
//! sees several images at once, the weight gradient is a sum of per-group GEMMs, and ReLU and
//! pooling happen in the GEMM's epilogue (their masks are used while the backward copies the
//! gradient) instead of more trips through memory.
//!
//! Scope: stride 1, dilation 1, one group, symmetric zero padding; NCHW, contiguous.

use super::im2col::{col2im_add, gemm, im2col};
use rayon::prelude::*;

/// Shapes of one convolution: input `[batch, c, h, w]`, weight `[co, c, kh, kw]`, padding `pad`
/// on every side, output `[batch, co, oh, ow]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    pub batch: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub co: usize,
    pub kh: usize,
    pub kw: usize,
    pub pad: usize,
}

impl ConvGeom {
    /// Output height.
    pub fn oh(&self) -> usize {
        self.h + 2 * self.pad + 1 - self.kh
    }
    /// Output width.
    pub fn ow(&self) -> usize {
        self.w + 2 * self.pad + 1 - self.kw
    }
    /// Length of one im2col column: the weights of one output channel.
    fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Output pixels per image and channel.
    fn p(&self) -> usize {
        self.oh() * self.ow()
    }
    fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Whether the shapes describe a valid convolution (kernel fits in the padded input).
    pub fn is_valid(&self) -> bool {
        self.batch > 0
            && self.c > 0
            && self.co > 0
            && self.kh > 0
            && self.kw > 0
            && self.h + 2 * self.pad >= self.kh
            && self.w + 2 * self.pad >= self.kw
    }
    /// Panics unless `x` and `weight` have the lengths these shapes give them.
    fn check_operands(&self, x: &[f32], weight: &[f32]) {
        assert_eq!(x.len(), self.batch * self.in_len(), "conv input length");
        assert_eq!(weight.len(), self.co * self.k(), "conv weight length");
    }
    /// Images per GEMM: enough that the GEMM's shared dimension has a few hundred columns.
    fn group(&self) -> usize {
        256usize.div_ceil(self.p()).clamp(1, self.batch)
    }
}

/// What follows the convolution + bias inside the same pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epilogue {
    /// Nothing: the plain convolution.
    None,
    /// ReLU.
    Relu,
    /// ReLU, then a 2×2 max-pool with stride 2 (an odd last row or column is dropped).
    ReluPool2,
}

/// Output of [`forward`].
pub struct ConvOutput {
    /// `[batch, co, oh, ow]`, or `[batch, co, oh/2, ow/2]` after [`Epilogue::ReluPool2`].
    pub out: Vec<f32>,
    /// For [`Epilogue::ReluPool2`]: which of the four window cells (row-major) held the maximum,
    /// one byte per output value; empty otherwise.
    pub argmax: Vec<u8>,
}

impl ConvGeom {
    /// Output `[h, w]` after `epilogue`.
    pub fn out_hw(&self, epilogue: Epilogue) -> [usize; 2] {
        match epilogue {
            Epilogue::ReluPool2 => [self.oh() / 2, self.ow() / 2],
            _ => [self.oh(), self.ow()],
        }
    }
}

/// The convolution + bias + `epilogue` of the batch.
pub fn forward(
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    g: &ConvGeom,
    epilogue: Epilogue,
) -> ConvOutput {
    let (k, p, nb) = (g.k(), g.p(), g.group());
    g.check_operands(x, weight);
    assert_eq!(bias.len(), g.co, "conv bias length");
    let [oh, ow] = g.out_hw(epilogue);
    let q = oh * ow;
    let pooled = epilogue == Epilogue::ReluPool2;
    let mut out = vec![0.0f32; g.batch * g.co * q];
    // Without pooling, one unused byte per group keeps the two chunk sequences the same length.
    let groups = g.batch.div_ceil(nb);
    let (arg_len, arg_chunk) = if pooled {
        (out.len(), nb * g.co * q)
    } else {
        (groups, 1)
    };
    let mut argmax = vec![0u8; arg_len];
    out.par_chunks_mut(nb * g.co * q)
        .zip(argmax.par_chunks_mut(arg_chunk))
        .enumerate()
        .for_each_init(
            || (vec![0.0f32; k * nb * p], vec![0.0f32; g.co * nb * p]),
            |(col, tmp), (gi, (out, arg))| {
                let n = out.len() / (g.co * q);
                let ld = n * p;
                for j in 0..n {
                    let b = gi * nb + j;
                    im2col(&x[b * g.in_len()..(b + 1) * g.in_len()], g, col, ld, j * p);
                }
                gemm(
                    (g.co, ld, k),
                    tmp,
                    (ld, 1),
                    false,
                    weight,
                    (k, 1),
                    col,
                    (ld, 1),
                );
                for j in 0..n {
                    for (co, &b) in bias.iter().enumerate() {
                        let src = &tmp[co * ld + j * p..co * ld + (j + 1) * p];
                        let at = (j * g.co + co) * q;
                        let dst = &mut out[at..at + q];
                        match epilogue {
                            Epilogue::None => {
                                for (d, s) in dst.iter_mut().zip(src) {
                                    *d = s + b;
                                }
                            }
                            Epilogue::Relu => {
                                for (d, s) in dst.iter_mut().zip(src) {
                                    *d = (s + b).max(0.0);
                                }
                            }
                            Epilogue::ReluPool2 => {
                                pool2(src, g.ow(), b, dst, &mut arg[at..at + q], ow);
                            }
                        }
                    }
                }
            },
        );
    if !pooled {
        argmax.clear();
    }
    ConvOutput { out, argmax }
}

/// 2×2 max-pool of one plane (row length `w`) plus `bias`, then ReLU; the first of equal
/// maxima wins, as in burn's max-pool.
fn pool2(src: &[f32], w: usize, bias: f32, dst: &mut [f32], arg: &mut [u8], pw: usize) {
    for (py, (drow, arow)) in dst.chunks_mut(pw).zip(arg.chunks_mut(pw)).enumerate() {
        let top = &src[2 * py * w..];
        let bottom = &src[(2 * py + 1) * w..];
        for (px, (d, a)) in drow.iter_mut().zip(arow.iter_mut()).enumerate() {
            // Selects rather than a loop with branches: which cell wins is data-dependent and
            // mispredicted often (this epilogue was 13 % of a step with the loop).
            let (t0, t1) = (top[2 * px], top[2 * px + 1]);
            let (b0, b1) = (bottom[2 * px], bottom[2 * px + 1]);
            let (mt, it) = if t1 > t0 { (t1, 1u8) } else { (t0, 0) };
            let (mb, ib) = if b1 > b0 { (b1, 3u8) } else { (b0, 2) };
            let (m, best) = if mb > mt { (mb, ib) } else { (mt, it) };
            *d = (m + bias).max(0.0);
            *a = best;
        }
    }
}

/// Gradients of [`forward`]: input (only when `want_dx`), weight and bias.
pub struct ConvGrads {
    pub dx: Option<Vec<f32>>,
    pub dweight: Vec<f32>,
    pub dbias: Vec<f32>,
}

/// Per-thread state of the backward pass.
struct Partial {
    dweight: Vec<f32>,
    dbias: Vec<f32>,
    col: Vec<f32>,
    dy: Vec<f32>,
}

/// The gradient of a [`forward`] output, with what the backward pass needs of the forward.
#[derive(Clone, Copy)]
pub enum OutputGrad<'a> {
    /// Gradient of the plain convolution's output.
    Plain(&'a [f32]),
    /// Gradient of the ReLU output; `out` is that output (its sign is the mask).
    Relu { out: &'a [f32], grad: &'a [f32] },
    /// Gradient of the pooled output; `out` and `argmax` as [`forward`] returned them.
    ReluPool2 {
        out: &'a [f32],
        argmax: &'a [u8],
        grad: &'a [f32],
    },
}

impl OutputGrad<'_> {
    fn epilogue(&self) -> Epilogue {
        match self {
            OutputGrad::Plain(_) => Epilogue::None,
            OutputGrad::Relu { .. } => Epilogue::Relu,
            OutputGrad::ReluPool2 { .. } => Epilogue::ReluPool2,
        }
    }

    /// Writes the gradient of the convolution's output plane `(b, co)` into `dst` (length
    /// `oh·ow`).
    fn conv_grad(&self, g: &ConvGeom, b: usize, co: usize, dst: &mut [f32]) {
        let q = dst.len();
        let at = (b * g.co + co) * q;
        match *self {
            OutputGrad::Plain(grad) => dst.copy_from_slice(&grad[at..at + q]),
            OutputGrad::Relu { out, grad } => {
                for ((d, s), o) in dst.iter_mut().zip(&grad[at..at + q]).zip(&out[at..at + q]) {
                    *d = if *o > 0.0 { *s } else { 0.0 };
                }
            }
            OutputGrad::ReluPool2 { out, argmax, grad } => {
                dst.fill(0.0);
                let [ph, pw] = g.out_hw(Epilogue::ReluPool2);
                let at = (b * g.co + co) * ph * pw;
                let ow = g.ow();
                for py in 0..ph {
                    for px in 0..pw {
                        let i = at + py * pw + px;
                        if out[i] > 0.0 {
                            let a = argmax[i] as usize;
                            dst[(2 * py + a / 2) * ow + 2 * px + a % 2] = grad[i];
                        }
                    }
                }
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            OutputGrad::Plain(grad) => grad.len(),
            OutputGrad::Relu { out, grad } => {
                assert_eq!(out.len(), grad.len(), "conv output length");
                grad.len()
            }
            OutputGrad::ReluPool2 { out, argmax, grad } => {
                assert_eq!(out.len(), grad.len(), "conv output length");
                assert_eq!(argmax.len(), grad.len(), "conv argmax length");
                grad.len()
            }
        }
    }
}

/// Backward pass of [`forward`]: the input gradient only when `want_dx` (the first layer's
/// input is data and needs none).
pub fn backward(
    x: &[f32],
    weight: &[f32],
    output: OutputGrad<'_>,
    g: &ConvGeom,
    want_dx: bool,
) -> ConvGrads {
    let (k, p, nb) = (g.k(), g.p(), g.group());
    g.check_operands(x, weight);
    let [oh, ow] = g.out_hw(output.epilogue());
    assert_eq!(
        output.len(),
        g.batch * g.co * oh * ow,
        "conv output gradient length"
    );
    let groups = g.batch.div_ceil(nb);
    let new_partial = || Partial {
        dweight: vec![0.0; g.co * k],
        dbias: vec![0.0; g.co],
        col: vec![0.0; k * nb * p],
        dy: vec![0.0; g.co * nb * p],
    };
    // One group of images: the masked output gradient, the bias and weight gradients, and (when
    // asked) the input gradient of those images.
    let step = |mut acc: Partial, gi: usize, dx: Option<&mut [f32]>| {
        let b0 = gi * nb;
        let n = nb.min(g.batch - b0);
        let ld = n * p;
        for j in 0..n {
            for co in 0..g.co {
                let dst = &mut acc.dy[co * ld + j * p..co * ld + (j + 1) * p];
                output.conv_grad(g, b0 + j, co, dst);
                acc.dbias[co] += dst.iter().sum::<f32>();
            }
            let b = b0 + j;
            im2col(
                &x[b * g.in_len()..(b + 1) * g.in_len()],
                g,
                &mut acc.col,
                ld,
                j * p,
            );
        }
        // dW[co, k] += dY[co, ld] · col[k, ld]ᵀ
        gemm(
            (g.co, k, ld),
            &mut acc.dweight,
            (k, 1),
            true,
            &acc.dy,
            (ld, 1),
            &acc.col,
            (1, ld),
        );
        if let Some(dx) = dx {
            // dcol[k, ld] = Wᵀ[k, co] · dY[co, ld], reusing the im2col buffer.
            gemm(
                (k, ld, g.co),
                &mut acc.col,
                (ld, 1),
                false,
                weight,
                (1, k),
                &acc.dy,
                (ld, 1),
            );
            for j in 0..n {
                let img = &mut dx[j * g.in_len()..(j + 1) * g.in_len()];
                col2im_add(&acc.col, g, ld, j * p, img);
            }
        }
        acc
    };
    // The batch is cut into a fixed number of slabs, whatever the thread count, and their
    // partial sums are added in slab order: the same inputs give the same bits on any machine.
    let per = groups.div_ceil(groups.min(16));
    let slabs = groups.div_ceil(per);
    let slab = |si: usize, mut dx: Option<&mut [f32]>| {
        let mut acc = new_partial();
        for gi in si * per..((si + 1) * per).min(groups) {
            let at = (gi - si * per) * nb * g.in_len();
            acc = step(acc, gi, dx.as_deref_mut().map(|d| &mut d[at..]));
        }
        acc
    };
    let mut dx = want_dx.then(|| vec![0.0f32; g.batch * g.in_len()]);
    let partials: Vec<Partial> = match dx.as_mut() {
        Some(dx) => dx
            .par_chunks_mut(per * nb * g.in_len())
            .enumerate()
            .map(|(si, dx)| slab(si, Some(dx)))
            .collect(),
        None => (0..slabs)
            .into_par_iter()
            .map(|si| slab(si, None))
            .collect(),
    };
    let mut partials = partials.into_iter();
    let mut total = partials.next().expect("at least one slab");
    for p in partials {
        for (x, y) in total.dweight.iter_mut().zip(&p.dweight) {
            *x += y;
        }
        for (x, y) in total.dbias.iter_mut().zip(&p.dbias) {
            *x += y;
        }
    }
    ConvGrads {
        dx,
        dweight: total.dweight,
        dbias: total.dbias,
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
