//! Koch et al. (2015)'s learned similarity head: a weighted L1 distance through a sigmoid,
//! trained with binary cross-entropy instead of a fixed distance and margin.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// `p(same) = σ(w · |e₁ − e₂| + b)`.
#[derive(Module, Debug)]
pub struct KochHead {
    fc: Linear,
}

impl KochHead {
    /// A head for embeddings of length `dim`.
    pub fn new(dim: usize, device: &Device) -> Self {
        Self {
            fc: LinearConfig::new(dim, 1).init(device),
        }
    }

    /// Logits `[B]` that the pairs are the same.
    pub fn logits(&self, a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
        let n = a.dims()[0];
        self.fc.forward((a - b).abs()).reshape([n])
    }

    /// The head's weights and bias on the host, for scoring without a backend.
    pub fn to_scorer(&self) -> crate::score::Scorer {
        let weights = self
            .fc
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let bias = self
            .fc
            .bias
            .as_ref()
            .and_then(|b| b.val().into_data().try_to_vec::<f32>().ok())
            .and_then(|v| v.first().copied())
            .unwrap_or(0.0);
        crate::score::Scorer::Koch { weights, bias }
    }

    /// `1 − p(same)`, a dissimilarity in `[0, 1]` that thresholds like a distance.
    pub fn dissimilarity(&self, a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
        sigmoid(self.logits(a, b)).neg().add_scalar(1.0)
    }
}

/// Binary cross-entropy on logits, mean over the batch; `same` is 1 for a same pair.
/// Written as `max(z, 0) − z·y + log(1 + e^{−|z|})`, stable for large logits.
pub fn bce_with_logits(logits: Tensor<1>, same: Tensor<1>) -> Tensor<1> {
    let softplus = logits.clone().abs().neg().exp().add_scalar(1.0).log();
    (logits.clone().clamp_min(0.0) - logits * same + softplus).mean()
}
