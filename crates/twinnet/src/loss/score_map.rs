//! SiamFC's loss on score maps: every cell of a map is a binary decision (target here or not),
//! positives within a radius of the centre, the rest negatives, and the logistic loss of each
//! cell weighted so positives and negatives count equally (there are far fewer positives).

use burn::tensor::{Device, Tensor, TensorData};

/// Labels and weights of one score map: cells within `radius` score-map cells of the centre
/// are positives (label 1), the others negatives (0). Weights are `0.5 / positives` and
/// `0.5 / negatives`, so each class weighs one half of the map's loss.
///
/// ```
/// use twinnet::loss::score_map_targets;
/// let (labels, weights) = score_map_targets(5, 1.0);
/// // The centre and its four neighbours are positive.
/// assert_eq!(labels.iter().filter(|&&l| l == 1.0).count(), 5);
/// assert_eq!(labels[12], 1.0);
/// assert_eq!(labels[0], 0.0);
/// assert!((weights[12] - 0.1).abs() < 1e-7 && (weights[0] - 0.025).abs() < 1e-7);
/// ```
pub fn score_map_targets(size: usize, radius: f32) -> (Vec<f32>, Vec<f32>) {
    let c = (size as f32 - 1.0) / 2.0;
    let labels: Vec<f32> = (0..size * size)
        .map(|k| {
            let (i, j) = ((k / size) as f32, (k % size) as f32);
            let d = ((i - c).powi(2) + (j - c).powi(2)).sqrt();
            if d <= radius {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let pos = labels.iter().filter(|&&l| l == 1.0).count().max(1) as f32;
    let neg = (labels.len() as f32 - pos).max(1.0);
    let weights = labels
        .iter()
        .map(|&l| if l == 1.0 { 0.5 / pos } else { 0.5 / neg })
        .collect();
    (labels, weights)
}

/// The class-balanced logistic loss of score maps `[B, 1, s, s]` whose target sits at the
/// centre, positives within `radius` cells: `Σ w·log(1 + e^{−y·v})` per map (y = ±1), averaged
/// over the batch. Written as `max(v, 0) − v·l + log(1 + e^{−|v|})` with l ∈ {0, 1}, stable for
/// large scores.
///
/// ```
/// use burn::tensor::Tensor;
/// use twinnet::loss::score_map_loss;
/// let device = twinnet::backend::inference_device();
/// // All-zero scores: every cell costs log 2, and the weights sum to 1 per map.
/// let v = Tensor::<4>::zeros([2, 1, 5, 5], &device);
/// let loss: f32 = score_map_loss(v, 1.0).into_scalar();
/// assert!((loss - 2f32.ln()).abs() < 1e-6);
/// ```
pub fn score_map_loss(scores: Tensor<4>, radius: f32) -> Tensor<1> {
    let [b, _, h, w] = scores.dims();
    assert_eq!(h, w, "score maps are square");
    let device: Device = scores.device();
    let (labels, weights) = score_map_targets(h, radius);
    let map = |v: Vec<f32>| {
        Tensor::<2>::from_data(TensorData::new(v, [1, h * w]), &device).expand([b, h * w])
    };
    let v = scores.reshape([b, h * w]);
    let softplus = v.clone().abs().neg().exp().log1p();
    let per_cell = v.clone().clamp_min(0.0) - v * map(labels) + softplus;
    (per_cell * map(weights)).sum_dim(1).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    fn hand_loss(v: &[f32], labels: &[f32], weights: &[f32]) -> f32 {
        v.iter()
            .zip(labels)
            .zip(weights)
            .map(|((&v, &l), &w)| {
                let y = if l == 1.0 { 1.0 } else { -1.0 };
                w * (1.0 + (-y * v).exp()).ln()
            })
            .sum()
    }

    #[test]
    fn the_loss_is_the_weighted_logistic_loss_by_hand() {
        let device = crate::backend::inference_device();
        let v: Vec<f32> = (0..18).map(|k| (k as f32 - 7.0) * 0.7).collect();
        let (labels, weights) = score_map_targets(3, 0.5);
        assert_eq!(labels, vec![0., 0., 0., 0., 1., 0., 0., 0., 0.]);
        let want =
            (hand_loss(&v[..9], &labels, &weights) + hand_loss(&v[9..], &labels, &weights)) / 2.0;
        let t = Tensor::<4>::from_data(TensorData::new(v, [2, 1, 3, 3]), &device);
        let got: f32 = score_map_loss(t, 0.5).into_scalar();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn large_scores_stay_finite_and_a_right_map_costs_almost_nothing() {
        let device = crate::backend::inference_device();
        let (labels, _) = score_map_targets(5, 1.0);
        let v: Vec<f32> = labels
            .iter()
            .map(|&l| if l == 1.0 { 200.0 } else { -200.0 })
            .collect();
        let t = Tensor::<4>::from_data(TensorData::new(v.clone(), [1, 1, 5, 5]), &device);
        let right: f32 = score_map_loss(t, 1.0).into_scalar();
        assert!(right.abs() < 1e-6, "{right}");
        let wrong: Vec<f32> = v.iter().map(|x| -x).collect();
        let t = Tensor::<4>::from_data(TensorData::new(wrong, [1, 1, 5, 5]), &device);
        let bad: f32 = score_map_loss(t, 1.0).into_scalar();
        assert!((bad - 200.0).abs() < 1e-3, "{bad}");
    }
}
