//! MPNet: BERT's post-LayerNorm encoder with its attention projections named `attn.q/k/v/o`,
//! no token types, positions from 2 (transformers fixes them there), and one relative-position
//! bias table (`[buckets, heads]`) whose entry for the bucket of `i − j` is added to every
//! layer's attention score of query `i` on key `j` — transformers' `MPNetEncoder`.

use burn::nn::Embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// The bias table's tensor name.
pub(super) const BIAS_TENSOR: &str = "encoder.relative_attention_bias.weight";

/// The bucket of the relative position `j − i` (transformers' `relative_position_bucket`
/// with its defaults, 32 buckets and distance 128, in the same f32 arithmetic): exact up to 7
/// either way, log-spaced up to 128, one bucket beyond; keys after the query in the upper half.
///
/// ```
/// use twinnet::text::relative_position_bucket as bucket;
/// assert_eq!([bucket(0), bucket(-1), bucket(1), bucket(-8), bucket(8)], [0, 1, 17, 8, 24]);
/// assert_eq!([bucket(-16), bucket(16), bucket(-64), bucket(91), bucket(300)], [10, 26, 14, 31, 31]);
/// ```
pub fn relative_position_bucket(relative: i64) -> usize {
    const HALF: i64 = 16;
    const EXACT: i64 = HALF / 2;
    let n = -relative;
    let mut bucket = if n < 0 { HALF } else { 0 };
    let n = n.abs();
    bucket += if n < EXACT {
        n
    } else {
        let scaled = (n as f32 / EXACT as f32).ln() / (128.0f64 / EXACT as f64).ln() as f32
            * (HALF - EXACT) as f32;
        (EXACT + scaled as i64).min(HALF - 1)
    };
    bucket as usize
}

/// The bias `[1, heads, len, len]` the table gives a sequence of `len` tokens.
pub(super) fn position_bias(table: &Embedding, len: usize, device: &Device) -> Tensor<4> {
    let buckets: Vec<i64> = (0..len)
        .flat_map(|i| (0..len).map(move |j| relative_position_bucket(j as i64 - i as i64) as i64))
        .collect();
    let ids = Tensor::<2, Int>::from_data(TensorData::new(buckets, [1, len * len]), device);
    let heads = table.weight.dims()[1];
    table
        .forward(ids)
        .reshape([len, len, heads])
        .permute([2, 0, 1])
        .reshape([1, heads, len, len])
}
