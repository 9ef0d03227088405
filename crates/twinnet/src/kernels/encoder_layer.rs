//! The ragged encoder layer ([`super::encoder`]) as a burn backend extension: inference on the
//! flex backend runs it; training (autodiff) and the other backends keep burn's own ops.

use super::encoder::{self, Affine, LayerWeights, MatRef, Norm};
use burn::backend::flex::{Flex, FlexTensor};
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, DType, Dispatch};
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{Tensor, TensorData};

/// One post-LayerNorm transformer layer over sentences laid end to end (`x` `[tokens, hidden]`,
/// `lens` the tokens of each sentence).
#[backend_extension(Flex)]
pub trait FusedEncoderBackend: Backend {
    /// The weights in [`LayerWeights`]' order: query, key, value, attention output (weight
    /// `[in, out]`, bias each), attention LayerNorm (γ, β), intermediate, output, output
    /// LayerNorm.
    #[allow(clippy::too_many_arguments)]
    fn encoder_layer(
        x: FloatTensor<Self>,
        query_w: FloatTensor<Self>,
        query_b: FloatTensor<Self>,
        key_w: FloatTensor<Self>,
        key_b: FloatTensor<Self>,
        value_w: FloatTensor<Self>,
        value_b: FloatTensor<Self>,
        attn_out_w: FloatTensor<Self>,
        attn_out_b: FloatTensor<Self>,
        attn_norm_g: FloatTensor<Self>,
        attn_norm_b: FloatTensor<Self>,
        inter_w: FloatTensor<Self>,
        inter_b: FloatTensor<Self>,
        out_w: FloatTensor<Self>,
        out_b: FloatTensor<Self>,
        out_norm_g: FloatTensor<Self>,
        out_norm_b: FloatTensor<Self>,
        lens: Vec<usize>,
        heads: usize,
        eps: f64,
    ) -> FloatTensor<Self>;
}

/// A view of a 2-D f32 flex tensor without copying (a copy when its strides are negative).
fn matrix(t: &FlexTensor) -> (FlexTensor, [usize; 4]) {
    let l = t.layout();
    let (shape, strides) = (l.shape(), l.strides());
    if strides.iter().all(|&s| s >= 0) {
        let dims = [shape[0], shape[1], strides[0] as usize, strides[1] as usize];
        return (t.clone(), dims);
    }
    let c = t.to_contiguous();
    (c, [shape[0], shape[1], shape[1], 1])
}

impl FusedEncoderBackend for Flex {
    fn encoder_layer(
        x: FlexTensor,
        query_w: FlexTensor,
        query_b: FlexTensor,
        key_w: FlexTensor,
        key_b: FlexTensor,
        value_w: FlexTensor,
        value_b: FlexTensor,
        attn_out_w: FlexTensor,
        attn_out_b: FlexTensor,
        attn_norm_g: FlexTensor,
        attn_norm_b: FlexTensor,
        inter_w: FlexTensor,
        inter_b: FlexTensor,
        out_w: FlexTensor,
        out_b: FlexTensor,
        out_norm_g: FlexTensor,
        out_norm_b: FlexTensor,
        lens: Vec<usize>,
        heads: usize,
        eps: f64,
    ) -> FlexTensor {
        let weights = [
            query_w,
            query_b,
            key_w,
            key_b,
            value_w,
            value_b,
            attn_out_w,
            attn_out_b,
            attn_norm_g,
            attn_norm_b,
            inter_w,
            inter_b,
            out_w,
            out_b,
            out_norm_g,
            out_norm_b,
        ];
        let held: Vec<(FlexTensor, [usize; 4], usize)> = weights
            .iter()
            .map(|w| {
                if w.layout().num_dims() == 2 {
                    let (t, dims) = matrix(w);
                    let off = t.layout().start_offset();
                    (t, dims, off)
                } else {
                    let t = w.to_contiguous();
                    (t, [0; 4], 0)
                }
            })
            .collect();
        let data = |i: usize| &held[i].0.storage::<f32>()[held[i].2..];
        let vector = |i: usize| &data(i)[..held[i].0.layout().num_elements()];
        let affine = |i: usize| {
            let [rows, cols, rs, cs] = held[i].1;
            Affine {
                weight: MatRef {
                    data: data(i),
                    rows,
                    cols,
                    rs,
                    cs,
                },
                bias: vector(i + 1),
            }
        };
        let norm = |i: usize| Norm {
            gamma: vector(i),
            beta: vector(i + 1),
        };
        let w = LayerWeights {
            query: affine(0),
            key: affine(2),
            value: affine(4),
            attention_output: affine(6),
            attention_norm: norm(8),
            intermediate: affine(10),
            output: affine(12),
            output_norm: norm(14),
            heads,
            eps: eps as f32,
        };
        let shape = x.layout().shape().to_vec();
        let mut values = x.to_contiguous().storage::<f32>().to_vec();
        encoder::layer_parallel(&mut values, &lens, &w, rayon::current_num_threads());
        FlexTensor::from_data(TensorData::new(values, shape))
    }
}

/// The layer's parts as burn modules (the ones `Bert` holds).
#[derive(Debug, Clone, Copy)]
pub struct EncoderLayerRef<'a> {
    /// Query projection.
    pub query: &'a Linear,
    /// Key projection.
    pub key: &'a Linear,
    /// Value projection.
    pub value: &'a Linear,
    /// Projection of the attention's context.
    pub attention_output: &'a Linear,
    /// LayerNorm after attention.
    pub attention_norm: &'a LayerNorm,
    /// Feed-forward in (then GELU).
    pub intermediate: &'a Linear,
    /// Feed-forward out.
    pub output: &'a Linear,
    /// LayerNorm after feed-forward.
    pub output_norm: &'a LayerNorm,
    /// Attention heads.
    pub heads: usize,
    /// LayerNorm epsilon.
    pub eps: f64,
}

/// Whether [`encoder_layer`] can run on `x`: an f32 tensor on the flex backend without autodiff
/// (training keeps burn's differentiable ops).
pub fn applies(x: &Tensor<2>) -> bool {
    super::uses_flex() && !x.is_autodiff() && x.dtype() == DType::F32
}

/// One layer through the extension; call only where [`applies`] holds.
pub fn encoder_layer(x: Tensor<2>, layer: EncoderLayerRef, lens: &[usize]) -> Tensor<2> {
    let linear = |l: &Linear| {
        let bias = l.bias.as_ref().expect("BERT linears have a bias").val();
        [l.weight.val().into_dispatch(), bias.into_dispatch()]
    };
    let norm = |n: &LayerNorm| {
        let beta = n.beta.as_ref().expect("BERT LayerNorms have a bias").val();
        [n.gamma.val().into_dispatch(), beta.into_dispatch()]
    };
    let [[qw, qb], [kw, kb], [vw, vb], [aw, ab], [ng, nb], [iw, ib], [ow, ob], [mg, mb]] = [
        linear(layer.query),
        linear(layer.key),
        linear(layer.value),
        linear(layer.attention_output),
        norm(layer.attention_norm),
        linear(layer.intermediate),
        linear(layer.output),
        norm(layer.output_norm),
    ];
    Tensor::from_dispatch(<Dispatch as FusedEncoderBackend>::encoder_layer(
        x.into_dispatch(),
        qw,
        qb,
        kw,
        kb,
        vw,
        vb,
        aw,
        ab,
        ng,
        nb,
        iw,
        ib,
        ow,
        ob,
        mg,
        mb,
        lens.to_vec(),
        layer.heads,
        layer.eps,
    ))
}
