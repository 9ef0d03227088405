//! Our own CPU kernels, plugged into burn through its backend-extension mechanism.
//!
//! burn-flex's convolution was the largest cost of a training step on the reference tower (see
//! BENCHMARKS.md, "Where a training step spends its time"), so the conv + bias + ReLU + 2×2
//! max-pool blocks of the CNN tower run here on the flex backend: [`conv2d_relu_pool`] and
//! [`conv2d_relu`] route to [`conv`]'s kernels for flex tensors (with a hand-written backward
//! for the autodiff backend) and to burn's own ops on every other backend or for shapes the
//! kernels do not cover.

pub mod conv;
pub mod encoder;
pub mod encoder_layer;
mod im2col;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{Flex, FlexTensor};
use burn::backend::ops::ConvOptions;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Autodiff, Backend, DType, Dispatch};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::{Tensor, TensorData};
use conv::ConvGeom;
use std::sync::Arc;

/// A fused convolution + bias + ReLU (+ 2×2 max-pool) that a backend may implement faster
/// than the separate ops.
#[backend_extension(Flex, Autodiff)]
pub trait FusedConvBackend: Backend {
    /// `relu(conv2d(x, weight) + bias)` with stride 1, dilation 1, one group and `padding`
    /// zeros on every side; then, when `pool`, a 2×2 max-pool with stride 2.
    fn conv2d_bias_relu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
        pool: bool,
    ) -> FloatTensor<Self>;
}

/// `pool(relu(conv(x)))` through the fused kernel where it applies, burn's ops elsewhere. Same
/// numbers either way (the kernel's tests compare it with the definitions).
pub fn conv2d_relu_pool(conv: &Conv2d, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    match fused_padding(conv) {
        Some(padding) if uses_flex() && is_pool2(pool) => fused(conv, x, padding, true),
        _ => pool.forward(conv2d_relu(conv, x)),
    }
}

/// `relu(conv(x))` through the fused kernel where it applies, burn's ops elsewhere.
pub fn conv2d_relu(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    match fused_padding(conv) {
        Some(padding) if uses_flex() => fused(conv, x, padding, false),
        _ => burn::tensor::activation::relu(conv.forward(x)),
    }
}

fn fused(conv: &Conv2d, x: Tensor<4>, padding: usize, pool: bool) -> Tensor<4> {
    let bias = match &conv.bias {
        Some(b) => b.val(),
        None => Tensor::zeros([conv.weight.dims()[0]], &x.device()),
    };
    Tensor::from_dispatch(<Dispatch as FusedConvBackend>::conv2d_bias_relu(
        x.into_dispatch(),
        conv.weight.val().into_dispatch(),
        bias.into_dispatch(),
        padding,
        pool,
    ))
}

/// A 2×2 max-pool with stride 2 and no padding, the one the fused kernel implements.
fn is_pool2(pool: &MaxPool2d) -> bool {
    pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && matches!(pool.padding, PaddingConfig2d::Valid)
}

/// The flex backend is the build's compute backend (the other backends have their own
/// convolution kernels).
fn uses_flex() -> bool {
    crate::backend::backend_name() == "flex"
}

/// The symmetric padding of a convolution the fused kernel covers, or `None`.
fn fused_padding(conv: &Conv2d) -> Option<usize> {
    if conv.stride != [1, 1] || conv.dilation != [1, 1] || conv.groups != 1 {
        return None;
    }
    match conv.padding {
        PaddingConfig2d::Valid => Some(0),
        PaddingConfig2d::Explicit(top, left, bottom, right)
            if top == left && left == bottom && bottom == right =>
        {
            Some(top)
        }
        _ => None,
    }
}

/// The geometry of `x` and `weight`, when both are contiguous-able f32 tensors of a shape the
/// kernel covers.
fn geometry(x: &FlexTensor, weight: &FlexTensor, padding: usize) -> Option<ConvGeom> {
    if x.dtype() != DType::F32 || weight.dtype() != DType::F32 {
        return None;
    }
    let (xs, ws) = (x.layout().shape(), weight.layout().shape());
    if xs.num_dims() != 4 || ws.num_dims() != 4 || xs[1] != ws[1] {
        return None;
    }
    let g = ConvGeom {
        batch: xs[0],
        c: xs[1],
        h: xs[2],
        w: xs[3],
        co: ws[0],
        kh: ws[2],
        kw: ws[3],
        pad: padding,
    };
    g.is_valid().then_some(g)
}

fn flex_tensor(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn options(padding: usize) -> ConvOptions<2> {
    ConvOptions::new([1, 1], [padding, padding], [1, 1], 1)
}

/// burn's own ops for what the kernel does not cover (another dtype or shape).
fn unfused<B: Backend>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
    bias: FloatTensor<B>,
    padding: usize,
    pool: bool,
) -> FloatTensor<B> {
    let out = B::relu(B::conv2d(x, weight, Some(bias), options(padding)));
    if pool {
        B::max_pool2d(out, [2, 2], [2, 2], [0, 0], [1, 1], false)
    } else {
        out
    }
}

fn epilogue(pool: bool) -> conv::Epilogue {
    if pool {
        conv::Epilogue::ReluPool2
    } else {
        conv::Epilogue::Relu
    }
}

/// Runs the kernel on flex tensors the geometry `g` describes; the output tensor and the argmax.
fn run_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: &ConvGeom,
    pool: bool,
) -> (FlexTensor, Vec<u8>) {
    let [x, weight, bias] = [x, weight, bias].map(|t| t.to_contiguous());
    let result = conv::forward(
        x.storage::<f32>(),
        weight.storage::<f32>(),
        bias.storage::<f32>(),
        g,
        epilogue(pool),
    );
    let [oh, ow] = g.out_hw(epilogue(pool));
    let out = flex_tensor(result.out, vec![g.batch, g.co, oh, ow]);
    (out, result.argmax)
}

fn supported(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    padding: usize,
    pool: bool,
) -> Option<ConvGeom> {
    geometry(x, weight, padding)
        .filter(|g| bias.dtype() == DType::F32 && (!pool || (g.oh() >= 2 && g.ow() >= 2)))
}

impl FusedConvBackend for Flex {
    fn conv2d_bias_relu(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        padding: usize,
        pool: bool,
    ) -> FlexTensor {
        match supported(&x, &weight, &bias, padding, pool) {
            Some(g) => run_forward(&x, &weight, &bias, &g, pool).0,
            None => unfused::<Flex>(x, weight, bias, padding, pool),
        }
    }
}

/// What the backward pass keeps of the forward: input, weight, output (its sign is the ReLU
/// mask), the pooling argmax (empty without pooling) and the geometry.
#[derive(Debug, Clone)]
struct SavedConv {
    x: FlexTensor,
    weight: FlexTensor,
    out: FlexTensor,
    argmax: Arc<Vec<u8>>,
    geom: ConvGeom,
    pool: bool,
}

/// The backward step of the fused op on the autodiff backend over flex.
#[derive(Debug)]
struct ConvBiasReluBackward;

impl Backward<Flex, 3> for ConvBiasReluBackward {
    type State = SavedConv;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node).to_contiguous();
        let s = ops.state;
        let g = s.geom;
        let [x, weight, out] = [&s.x, &s.weight, &s.out].map(|t| t.to_contiguous());
        let (out, grad) = (out.storage::<f32>(), grad.storage::<f32>());
        let output = if s.pool {
            conv::OutputGrad::ReluPool2 {
                out,
                argmax: &s.argmax,
                grad,
            }
        } else {
            conv::OutputGrad::Relu { out, grad }
        };
        let result = conv::backward(
            x.storage::<f32>(),
            weight.storage::<f32>(),
            output,
            &g,
            node_x.is_some(),
        );
        if let (Some(node), Some(dx)) = (node_x, result.dx) {
            grads.register::<Flex>(node.id, flex_tensor(dx, vec![g.batch, g.c, g.h, g.w]));
        }
        if let Some(node) = node_w {
            let shape = vec![g.co, g.c, g.kh, g.kw];
            grads.register::<Flex>(node.id, flex_tensor(result.dweight, shape));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, flex_tensor(result.dbias, vec![g.co]));
        }
    }
}

impl<C: CheckpointStrategy> FusedConvBackend for Autodiff<Flex, C> {
    fn conv2d_bias_relu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
        pool: bool,
    ) -> FloatTensor<Self> {
        let Some(geom) = supported(
            x.primitive(),
            weight.primitive(),
            bias.primitive(),
            padding,
            pool,
        ) else {
            return unfused::<Self>(x, weight, bias, padding, pool);
        };
        match ConvBiasReluBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (x, weight) = (x.into_primitive(), weight.into_primitive());
                let (out, argmax) = run_forward(&x, &weight, &bias.into_primitive(), &geom, pool);
                let saved = SavedConv {
                    x,
                    weight,
                    out: out.clone(),
                    argmax: Arc::new(argmax),
                    geom,
                    pool,
                };
                prep.finish(saved, out)
            }
            OpsKind::UnTracked(prep) => {
                let (x, weight) = (x.into_primitive(), weight.into_primitive());
                prep.finish(run_forward(&x, &weight, &bias.into_primitive(), &geom, pool).0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Distribution, Tensor};

    /// The fused op through burn's autodiff gives the values and gradients of burn's own
    /// conv → ReLU → max-pool, for the input, weight and bias.
    #[test]
    fn fused_op_matches_burns_ops_with_gradients() {
        let device = crate::backend::training_device();
        for (padding, pool) in [(0, true), (1, false), (2, true)] {
            let conv = Conv2dConfig::new([3, 4], [3, 3])
                .with_padding(if padding == 0 {
                    PaddingConfig2d::Valid
                } else {
                    PaddingConfig2d::Explicit(padding, padding, padding, padding)
                })
                .init(&device);
            let maxpool = MaxPool2dConfig::new([2, 2]).init();
            let x =
                Tensor::<4>::random([5, 3, 9, 8], Distribution::Default, &device).require_grad();
            let r = |t: Tensor<4>| {
                let dims = t.dims();
                let n = dims.iter().product::<usize>();
                let w: Vec<f32> = (0..n).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
                (t * Tensor::<1>::from_floats(w.as_slice(), &device).reshape(dims)).sum()
            };
            let (fast, reference) = if pool {
                (
                    conv2d_relu_pool(&conv, &maxpool, x.clone()),
                    maxpool.forward(burn::tensor::activation::relu(conv.forward(x.clone()))),
                )
            } else {
                (
                    conv2d_relu(&conv, x.clone()),
                    burn::tensor::activation::relu(conv.forward(x.clone())),
                )
            };
            assert_eq!(fast.dims(), reference.dims());
            fast.clone()
                .into_data()
                .assert_approx_eq::<f32>(&reference.clone().into_data(), Default::default());
            let (gf, gr) = (r(fast).backward(), r(reference).backward());
            x.grad(&gf)
                .unwrap()
                .into_data()
                .assert_approx_eq::<f32>(&x.grad(&gr).unwrap().into_data(), Default::default());
            let w = conv.weight.val();
            w.grad(&gf)
                .unwrap()
                .into_data()
                .assert_approx_eq::<f32>(&w.grad(&gr).unwrap().into_data(), Default::default());
            let b = conv.bias.as_ref().unwrap().val();
            b.grad(&gf)
                .unwrap()
                .into_data()
                .assert_approx_eq::<f32>(&b.grad(&gr).unwrap().into_data(), Default::default());
        }
    }
}
