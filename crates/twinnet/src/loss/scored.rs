//! Losses for pairs with a gold similarity (sentence-transformers' CoSENT and
//! CosineSimilarityLoss) and the online contrastive loss that keeps only a batch's hard pairs.

use burn::tensor::{Bool, Tensor, TensorData};

/// CoSENT: `log(1 + Σ_{sᵢ > sⱼ} exp(scale · (cosⱼ − cosᵢ)))` — every pair the gold ranks above
/// another must get the higher cosine. Only the order of the gold scores matters.
pub fn cosent_loss(cosine: Tensor<1>, gold: &[f32], scale: f32) -> Tensor<1> {
    let n = gold.len();
    let device = cosine.device();
    // diff[i, j] = scale · (cosⱼ − cosᵢ), kept where sᵢ > sⱼ.
    let diff = (cosine.clone().reshape([1, n]) - cosine.reshape([n, 1])).mul_scalar(scale);
    let keep: Vec<bool> = (0..n * n).map(|k| gold[k / n] > gold[k % n]).collect();
    let keep = Tensor::<2, Bool>::from_data(TensorData::new(keep, [n, n]), &device);
    let masked = diff.mask_fill(keep.bool_not(), -1.0e12).reshape([n * n]);
    // Prepend the 0 of "log(1 + …)" and take a stable log-sum-exp.
    let all = Tensor::cat(vec![Tensor::<1>::zeros([1], &device), masked], 0);
    let max = all.clone().max().detach();
    (all - max.clone().expand([n * n + 1])).exp().sum().log() + max
}

/// Mean squared error between the cosine similarity and the gold score.
pub fn cosine_mse_loss(cosine: Tensor<1>, gold: Tensor<1>) -> Tensor<1> {
    (cosine - gold).powi_scalar(2).mean()
}

/// Online contrastive loss on a batch of labelled pairs: only positives farther than the
/// nearest negative and negatives nearer than the farthest positive count; each counted pair
/// gets the seed's contrastive term (½D² or ½max(0, m − D)²), averaged over the counted pairs.
/// Zero when the batch has no hard pair.
pub fn online_contrastive_loss(distance: Tensor<1>, same: &[bool], margin: f32) -> Tensor<1> {
    let d: Vec<f32> = distance
        .clone()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("float distances");
    let (pos, neg): (Vec<f32>, Vec<f32>) = (
        d.iter()
            .zip(same)
            .filter(|(_, &s)| s)
            .map(|(&x, _)| x)
            .collect(),
        d.iter()
            .zip(same)
            .filter(|(_, &s)| !s)
            .map(|(&x, _)| x)
            .collect(),
    );
    // sentence-transformers' rule: compare with the other side's extreme, or its mean when the
    // other side has a single pair.
    let bound = |v: &[f32], pick: fn(f32, f32) -> f32| -> Option<f32> {
        match v.len() {
            0 => None,
            1 => Some(v[0]),
            _ => Some(v.iter().copied().reduce(pick).unwrap()),
        }
    };
    let min_neg = bound(&neg, f32::min);
    let max_pos = bound(&pos, f32::max);
    let hard: Vec<f32> = d
        .iter()
        .zip(same)
        .map(|(&x, &s)| {
            let h = if s {
                min_neg.is_some_and(|m| x > m)
            } else {
                max_pos.is_some_and(|m| x < m)
            };
            f32::from(u8::from(h))
        })
        .collect();
    let count: f32 = hard.iter().sum();
    let device = distance.device();
    if count == 0.0 {
        return (distance * 0.0).sum();
    }
    let targets: Vec<f32> = same.iter().map(|&s| super::contrastive_target(s)).collect();
    let n = same.len();
    let target = Tensor::<1>::from_data(TensorData::new(targets, [n]), &device);
    let weight = Tensor::<1>::from_data(TensorData::new(hard, [n]), &device);
    (super::contrastive_loss(distance, target, margin) * weight)
        .sum()
        .div_scalar(count)
}
