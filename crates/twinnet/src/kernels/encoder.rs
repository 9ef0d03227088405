//! One transformer encoder layer (BERT's post-LayerNorm layout) over a *ragged* batch: the tokens
//! of every sentence back to back, no padding, so no multiply-add is spent on padding tokens and
//! attention needs no mask.
//!
//! Why it is faster than the same layer in burn's ops (BENCHMARKS.md, "Where the text encoder
//! spends its time"): the bias (and the residual) are written into the GEMM's destination
//! before it accumulates, so they cost no pass of their own; GELU and LayerNorm run in place on
//! the GEMM's output; attention reads Q, K and V where the projections wrote them (no head
//! transposes); and the sentences are split between the threads, each running its share of the
//! batch through single-threaded GEMMs, so no core waits at a per-op barrier.

use super::im2col::gemm;

/// A read-only `rows × cols` f32 matrix: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a> {
    /// The storage, starting at element `(0, 0)`.
    pub data: &'a [f32],
    /// Rows (the input width of a weight).
    pub rows: usize,
    /// Columns (the output width of a weight).
    pub cols: usize,
    /// Row stride, in elements.
    pub rs: usize,
    /// Column stride, in elements.
    pub cs: usize,
}

/// A linear map `x · weight + bias`, the weight `[in, out]`.
#[derive(Debug, Clone, Copy)]
pub struct Affine<'a> {
    /// `[in, out]`.
    pub weight: MatRef<'a>,
    /// `[out]`.
    pub bias: &'a [f32],
}

/// A LayerNorm's scale and shift.
#[derive(Debug, Clone, Copy)]
pub struct Norm<'a> {
    /// γ, `[hidden]`.
    pub gamma: &'a [f32],
    /// β, `[hidden]`.
    pub beta: &'a [f32],
}

/// The weights of one layer, in the order the layer applies them.
#[derive(Debug, Clone, Copy)]
pub struct LayerWeights<'a> {
    /// Query, key and value projections, `[hidden, hidden]` each.
    pub query: Affine<'a>,
    /// Key projection.
    pub key: Affine<'a>,
    /// Value projection.
    pub value: Affine<'a>,
    /// The projection of the attention's context.
    pub attention_output: Affine<'a>,
    /// LayerNorm after attention + residual.
    pub attention_norm: Norm<'a>,
    /// `[hidden, intermediate]`, followed by GELU.
    pub intermediate: Affine<'a>,
    /// `[intermediate, hidden]`.
    pub output: Affine<'a>,
    /// LayerNorm after feed-forward + residual.
    pub output_norm: Norm<'a>,
    /// Attention heads; the hidden width divides evenly.
    pub heads: usize,
    /// LayerNorm epsilon.
    pub eps: f32,
}

/// `out[t × n] = x[t × k] · w + bias (+ residual)`.
fn affine(x: &[f32], t: usize, a: &Affine, residual: Option<&[f32]>, out: &mut [f32]) {
    let (k, n) = (a.weight.rows, a.weight.cols);
    for (r, row) in out.chunks_exact_mut(n).enumerate() {
        row.copy_from_slice(a.bias);
        if let Some(res) = residual {
            for (o, x) in row.iter_mut().zip(&res[r * n..(r + 1) * n]) {
                *o += x;
            }
        }
    }
    let w = a.weight;
    gemm(
        (t, n, k),
        out,
        (n, 1),
        true,
        x,
        (k, 1),
        w.data,
        (w.rs, w.cs),
    );
}

/// The erf GELU in place, `0.5·x·(1 + erf(x/√2))`, with [`erf`] (libm's `erff`, which burn's
/// `gelu` calls, was 16 % of an encoder pass: it does not vectorise).
pub fn gelu_in_place(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf as a branch-free rational function of x² on [-4, 4] (±1 beyond, as in f32): Eigen's
/// `generic_fast_erf_float` coefficients. It vectorises; within 1e-6 of libm's `erff`
/// (tested over [-6, 6]).
///
/// ```
/// let e = twinnet::kernels::encoder::erf(0.5);
/// assert!((e - 0.520_499_9).abs() < 1e-6);
/// ```
#[inline]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_600_1e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_2e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

/// LayerNorm of every `gamma.len()`-wide row in place (biased variance, like burn and PyTorch).
pub fn layer_norm_in_place(x: &mut [f32], norm: &Norm, eps: f32) {
    let h = norm.gamma.len();
    for row in x.chunks_exact_mut(h) {
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(norm.gamma).zip(norm.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// Scaled dot-product attention of each sentence with itself, per head; `q`, `k`, `v` and `out`
/// are `[tokens, hidden]` with head `h` in columns `h·dh .. (h+1)·dh`.
pub fn attention<'a>(
    q: &'a [f32],
    k: &'a [f32],
    v: &'a [f32],
    lens: &[usize],
    heads: usize,
    out: &mut [f32],
) {
    let hidden = q.len() / lens.iter().sum::<usize>().max(1);
    let dh = hidden / heads;
    let scale = 1.0 / (dh as f32).sqrt();
    let mut p = vec![0f32; lens.iter().copied().max().unwrap_or(0)];
    let mut start = 0;
    for &len in lens {
        for c in (0..heads).map(|head| head * dh) {
            let at = |m: &'a [f32], i: usize| -> &'a [f32] { &m[(start + i) * hidden + c..][..dh] };
            for i in 0..len {
                let qi = at(q, i);
                let mut max = f32::NEG_INFINITY;
                for (j, s) in p[..len].iter_mut().enumerate() {
                    *s = dot(qi, at(k, j)) * scale;
                    max = max.max(*s);
                }
                let mut sum = 0.0;
                for s in &mut p[..len] {
                    *s = (*s - max).exp();
                    sum += *s;
                }
                let o = &mut out[(start + i) * hidden + c..][..dh];
                o.fill(0.0);
                for (j, s) in p[..len].iter().enumerate() {
                    let w = s / sum;
                    for (o, v) in o.iter_mut().zip(at(v, j)) {
                        *o += w * v;
                    }
                }
            }
        }
        start += len;
    }
}

/// `a · b` in eight independent lanes, so the compiler vectorises it (a plain float sum is a
/// serial chain it may not reorder).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// One layer over the sentences `lens` whose tokens `x` (`[Σ lens, hidden]`) holds, in place, on
/// the calling thread.
pub fn layer(x: &mut [f32], lens: &[usize], w: &LayerWeights) {
    let t: usize = lens.iter().sum();
    if t == 0 {
        return;
    }
    let hidden = w.query.bias.len();
    let inter = w.intermediate.bias.len();
    let (mut q, mut k, mut v) = (
        vec![0.0; t * hidden],
        vec![0.0; t * hidden],
        vec![0.0; t * hidden],
    );
    affine(x, t, &w.query, None, &mut q);
    affine(x, t, &w.key, None, &mut k);
    affine(x, t, &w.value, None, &mut v);
    let mut context = vec![0.0; t * hidden];
    attention(&q, &k, &v, lens, w.heads, &mut context);
    let attended = &mut q;
    affine(&context, t, &w.attention_output, Some(x), attended);
    layer_norm_in_place(attended, &w.attention_norm, w.eps);
    let mut mid = vec![0.0; t * inter];
    affine(attended, t, &w.intermediate, None, &mut mid);
    gelu_in_place(&mut mid);
    affine(&mid, t, &w.output, Some(attended), x);
    layer_norm_in_place(x, &w.output_norm, w.eps);
}

/// [`layer`] with the sentences split into `groups` runs of about equal token counts, each run on
/// its own rayon task (one per thread of the pool).
pub fn layer_parallel(x: &mut [f32], lens: &[usize], w: &LayerWeights, groups: usize) {
    let hidden = w.query.bias.len();
    let cuts = split_balanced(lens, groups);
    let mut tasks = Vec::with_capacity(cuts.len());
    let mut rest = x;
    let mut first = 0;
    for &end in &cuts {
        let tokens: usize = lens[first..end].iter().sum();
        let (mine, tail) = rest.split_at_mut(tokens * hidden);
        tasks.push((mine, &lens[first..end]));
        rest = tail;
        first = end;
    }
    rayon::scope(|s| {
        for (chunk, lens) in tasks {
            s.spawn(move |_| layer(chunk, lens, w));
        }
    });
}

/// Ends (exclusive sentence indices) of at most `groups` consecutive runs of `lens` whose token
/// sums are as even as a greedy cut makes them; no run is empty.
///
/// ```
/// use twinnet::kernels::encoder::split_balanced;
/// assert_eq!(split_balanced(&[5, 5, 5, 5], 2), vec![2, 4]);
/// assert_eq!(split_balanced(&[9, 1, 1, 1], 2), vec![1, 4]);
/// assert_eq!(split_balanced(&[3], 4), vec![1]);
/// ```
pub fn split_balanced(lens: &[usize], groups: usize) -> Vec<usize> {
    let total: usize = lens.iter().sum();
    let groups = groups.clamp(1, lens.len().max(1));
    let mut cuts = Vec::with_capacity(groups);
    let mut acc = 0;
    for (i, &len) in lens.iter().enumerate() {
        acc += len;
        let target = total * (cuts.len() + 1) / groups;
        let left = lens.len() - i - 1;
        if cuts.len() + 1 < groups && acc >= target && left >= groups - cuts.len() - 1 {
            cuts.push(i + 1);
        }
    }
    if cuts.last() != Some(&lens.len()) && !lens.is_empty() {
        cuts.push(lens.len());
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_within_1e6_of_libm() {
        let worst = (-6000..=6000)
            .map(|i| i as f32 / 1000.0)
            .map(|x| (erf(x) - libm::erff(x)).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "largest error {worst}");
        assert_eq!(erf(0.0), 0.0);
        assert_eq!(erf(-1.0), -erf(1.0));
    }

    #[test]
    fn layer_norm_and_attention_match_their_definitions() {
        let mut x = vec![1.0, 2.0, 3.0, 6.0];
        let norm = Norm {
            gamma: &[1.0, 2.0],
            beta: &[0.0, 1.0],
        };
        layer_norm_in_place(&mut x, &norm, 0.0);
        assert_eq!(x, vec![-1.0, 3.0, -1.0, 3.0]);
        // One sentence of two tokens, one head of width 1: scores q·k, softmax over the keys.
        let (q, k, v) = ([1.0f32, 2.0], [0.0f32, 1.0], [10.0f32, 20.0]);
        let mut out = [0.0; 2];
        attention(&q, &k, &v, &[2], 1, &mut out);
        for (i, qi) in q.iter().enumerate() {
            let (a, b) = ((qi * k[0]).exp(), (qi * k[1]).exp());
            let want = (a * v[0] + b * v[1]) / (a + b);
            assert!((out[i] - want).abs() < 1e-5, "{} vs {want}", out[i]);
        }
        // Two sentences of one token each attend only to themselves.
        attention(&q, &k, &v, &[1, 1], 1, &mut out);
        assert_eq!(out, [10.0, 20.0]);
    }
}
