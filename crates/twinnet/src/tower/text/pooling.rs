//! Pooling token states into one sentence vector, as sentence-transformers' `Pooling` module does.

use anyhow::{bail, Context, Result};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which poolings to apply; several are concatenated in sentence-transformers' order
/// (CLS, max, mean, mean·√len).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pooling {
    /// The first token's state.
    pub cls: bool,
    /// Element-wise maximum over real tokens.
    pub max: bool,
    /// Mean over real tokens.
    pub mean: bool,
    /// Sum over real tokens divided by √(token count).
    pub mean_sqrt_len: bool,
}

impl Pooling {
    /// Mean pooling, the sentence-transformers default.
    pub fn mean() -> Self {
        Self {
            cls: false,
            max: false,
            mean: true,
            mean_sqrt_len: false,
        }
    }

    /// Reads `1_Pooling/config.json`, refusing modes this encoder does not implement.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: invalid JSON", path.display()))?;
        let flag = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        for unsupported in ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"] {
            if flag(unsupported) {
                bail!("{}: {unsupported} is not supported", path.display());
            }
        }
        if v.get("include_prompt").and_then(serde_json::Value::as_bool) == Some(false) {
            bail!(
                "{}: include_prompt false (pooling without the prompt's tokens) is not supported",
                path.display()
            );
        }
        let p = match v.get("pooling_mode") {
            // sentence-transformers 6 writes one mode name, or a list in this order.
            Some(mode) => {
                let modes: Vec<&str> = match mode {
                    serde_json::Value::String(m) => vec![m.as_str()],
                    serde_json::Value::Array(ms) => ms.iter().filter_map(|m| m.as_str()).collect(),
                    _ => vec![],
                };
                const ORDER: [&str; 4] = ["cls", "max", "mean", "mean_sqrt_len_tokens"];
                let known: Vec<usize> = modes
                    .iter()
                    .map(|m| ORDER.iter().position(|o| o == m))
                    .collect::<Option<_>>()
                    .with_context(|| {
                        format!(
                            "{}: pooling_mode {mode} is not supported ({ORDER:?})",
                            path.display()
                        )
                    })?;
                if !known.windows(2).all(|w| w[0] < w[1]) {
                    bail!(
                        "{}: pooling_mode {mode} must list modes in the order {ORDER:?}",
                        path.display()
                    );
                }
                let on = |i: usize| known.contains(&i);
                Self {
                    cls: on(0),
                    max: on(1),
                    mean: on(2),
                    mean_sqrt_len: on(3),
                }
            }
            None => Self {
                cls: flag("pooling_mode_cls_token"),
                max: flag("pooling_mode_max_tokens"),
                mean: flag("pooling_mode_mean_tokens"),
                mean_sqrt_len: flag("pooling_mode_mean_sqrt_len_tokens"),
            },
        };
        if !(p.cls || p.max || p.mean || p.mean_sqrt_len) {
            bail!("{}: no pooling mode is enabled", path.display());
        }
        Ok(p)
    }

    /// How many hidden-size blocks the pooled vector holds.
    pub fn blocks(&self) -> usize {
        [self.cls, self.max, self.mean, self.mean_sqrt_len]
            .iter()
            .filter(|&&b| b)
            .count()
    }

    /// Hidden states `[B, L, H]` and mask `[B, L]` (1 token, 0 padding) → `[B, blocks·H]`.
    pub fn forward(&self, hidden: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
        let [b, l, h] = hidden.dims();
        let m = mask.reshape([b, l, 1]);
        let mut parts = Vec::new();
        if self.cls {
            parts.push(hidden.clone().slice([0..b, 0..1, 0..h]).reshape([b, h]));
        }
        if self.max {
            // Padding is pushed far below any real value before the maximum.
            let masked = hidden.clone() + m.clone().neg().add_scalar(1.0).mul_scalar(-1.0e9);
            parts.push(masked.max_dim(1).reshape([b, h]));
        }
        if self.mean || self.mean_sqrt_len {
            let sum = (hidden * m.clone()).sum_dim(1).reshape([b, h]);
            let count = m.sum_dim(1).reshape([b, 1]).clamp_min(1e-9);
            if self.mean {
                parts.push(sum.clone() / count.clone());
            }
            if self.mean_sqrt_len {
                parts.push(sum / count.sqrt());
            }
        }
        Tensor::cat(parts, 1)
    }
}
