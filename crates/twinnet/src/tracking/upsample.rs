//! Score-map upsampling and the cosine window, as SiamFC does them (OpenCV's bicubic resize,
//! NumPy's Hann window).

/// Resizes a `side`×`side` map by `factor` with bicubic interpolation (Keys' kernel, a = −0.75,
/// OpenCV's `INTER_CUBIC`: half-pixel centres, edges repeated).
///
/// ```
/// use twinnet::tracking::upsample_bicubic;
/// // A constant map stays constant; a 1×1 map becomes a 4×4 one.
/// assert_eq!(upsample_bicubic(&[2.5], 1, 4), vec![2.5; 16]);
/// let up = upsample_bicubic(&[0.0, 1.0, 0.0, 1.0], 2, 2);
/// assert_eq!(up.len(), 16);
/// assert_eq!(&up[..4], &up[12..]); // both rows of the map are alike
/// assert!(up[0] < up[1] && up[1] < up[2] && up[2] < up[3]); // rising left to right
/// assert!((up[0] + up[3] - 1.0).abs() < 1e-6); // symmetric, with OpenCV's overshoot
/// assert!((up[0] + 0.10546875).abs() < 1e-6);
/// ```
pub fn upsample_bicubic(map: &[f32], side: usize, factor: usize) -> Vec<f32> {
    let out = side * factor;
    let taps: Vec<([usize; 4], [f32; 4])> = (0..out)
        .map(|o| {
            let src = (o as f32 + 0.5) / factor as f32 - 0.5;
            let base = src.floor();
            let t = src - base;
            let idx = [-1isize, 0, 1, 2]
                .map(|d| (base as isize + d).clamp(0, side as isize - 1) as usize);
            (idx, cubic_weights(t))
        })
        .collect();
    // Rows first, then columns.
    let mut rows = vec![0f32; side * out];
    for r in 0..side {
        for (o, (idx, w)) in taps.iter().enumerate() {
            rows[r * out + o] = (0..4).map(|k| map[r * side + idx[k]] * w[k]).sum();
        }
    }
    let mut up = vec![0f32; out * out];
    for (o, (idx, w)) in taps.iter().enumerate() {
        for c in 0..out {
            up[o * out + c] = (0..4).map(|k| rows[idx[k] * out + c] * w[k]).sum();
        }
    }
    up
}

fn cubic_weights(t: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let near = |x: f32| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let far = |x: f32| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]
}

/// The outer product of two Hann windows of length `n`, scaled to sum to 1.
///
/// ```
/// let w = twinnet::tracking::hann_window(5);
/// assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert_eq!(w[0], 0.0);
/// assert!(w[12] > w[11] && w[11] > w[10]); // peaks at the centre
/// ```
pub fn hann_window(n: usize) -> Vec<f32> {
    let h: Vec<f32> = (0..n)
        .map(|i| {
            if n < 2 {
                1.0
            } else {
                0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (n - 1) as f32).cos()
            }
        })
        .collect();
    let mut w: Vec<f32> = h
        .iter()
        .flat_map(|&a| h.iter().map(move |&b| a * b))
        .collect();
    let sum: f32 = w.iter().sum();
    w.iter_mut().for_each(|v| *v /= sum.max(f32::MIN_POSITIVE));
    w
}
