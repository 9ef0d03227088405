//! The inference forward over real tokens only (no padding), through the fused layer.

use super::bert::Bert;
use crate::kernels::encoder_layer;
use burn::tensor::{Int, Tensor, TensorData};

impl Bert {
    /// Each row's token count when the fused layer applies and every row is ones then zeros.
    pub(super) fn ragged_lengths(&self, mask: &Tensor<2>) -> Option<Vec<usize>> {
        let weight = self.word_embeddings.weight.val();
        // The fused layer has no relative-position bias: MPNet keeps burn's ops.
        let plain = self.relative_attention_bias.is_some();
        if plain || !encoder_layer::applies(&weight) || mask.is_autodiff() {
            return None;
        }
        let [_, l] = mask.dims();
        let values = mask
            .clone()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .ok()?;
        let mut lens = Vec::new();
        for row in values.chunks(l.max(1)) {
            let len = row.iter().take_while(|&&m| m == 1.0).count();
            if len == 0 || row[len..].iter().any(|&m| m != 0.0) {
                return None;
            }
            lens.push(len);
        }
        Some(lens)
    }

    /// The forward over the real tokens only, padded back to `[B, L, H]` with zeros.
    pub(super) fn forward_ragged(&self, ids: Tensor<2, Int>, lens: &[usize]) -> Tensor<3> {
        let [b, l] = ids.dims();
        let device = ids.device();
        let all = ids
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .expect("token ids convert to i64");
        let mut tokens = Vec::new();
        let mut positions = Vec::new();
        for (row, &len) in all.chunks(l).zip(lens) {
            tokens.extend_from_slice(&row[..len]);
            positions.extend((0..len as i64).map(|p| p + self.position_offset as i64));
        }
        let t = tokens.len();
        let ids = Tensor::<2, Int>::from_data(TensorData::new(tokens, [1, t]), &device);
        let pos = Tensor::<2, Int>::from_data(TensorData::new(positions, [1, t]), &device);
        let types = Tensor::<2, Int>::zeros([1, t], &device);
        let mut x: Tensor<2> = self
            .embeddings_norm
            .forward(
                self.word_embeddings.forward(ids)
                    + self.position_embeddings.forward(pos)
                    + self.token_type_embeddings.forward(types),
            )
            .reshape([t, self.word_embeddings.weight.dims()[1]]);
        for layer in &self.layers {
            let parts = encoder_layer::EncoderLayerRef {
                query: &layer.query,
                key: &layer.key,
                value: &layer.value,
                attention_output: &layer.attention_output,
                attention_norm: &layer.attention_norm,
                intermediate: &layer.intermediate,
                output: &layer.output,
                output_norm: &layer.output_norm,
                heads: layer.heads,
                eps: layer.eps,
            };
            x = encoder_layer::encoder_layer(x, parts, lens);
        }
        let h = x.dims()[1];
        let ragged = x
            .into_data()
            .try_to_vec::<f32>()
            .expect("the fused layer returns f32");
        let mut padded = vec![0f32; b * l * h];
        let mut at = 0;
        for (row, &len) in padded.chunks_mut(l * h).zip(lens) {
            row[..len * h].copy_from_slice(&ragged[at..at + len * h]);
            at += len * h;
        }
        Tensor::from_data(TensorData::new(padded, [b, l, h]), &device)
    }
}
