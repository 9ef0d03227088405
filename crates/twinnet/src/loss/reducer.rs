//! Reducers: how per-tuple losses become one number.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a batch of per-tuple losses is averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reducer {
    /// Mean over all tuples.
    #[default]
    Mean,
    /// Mean over the tuples whose loss is above zero — keeps easy tuples from diluting the
    /// gradient once most of them are satisfied (the usual choice for batch-all).
    MeanNonZero,
}

impl Reducer {
    /// Reduces `[T]` per-tuple losses to `[1]`.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use twinnet::{backend::inference_device, loss::Reducer};
    /// let l = || Tensor::<1>::from_floats([0.0, 0.0, 3.0, 1.0], &inference_device());
    /// assert_eq!(Reducer::Mean.reduce(l()).into_scalar::<f32>(), 1.0);
    /// assert_eq!(Reducer::MeanNonZero.reduce(l()).into_scalar::<f32>(), 2.0);
    /// ```
    pub fn reduce(self, per_tuple: Tensor<1>) -> Tensor<1> {
        match self {
            Reducer::Mean => per_tuple.mean(),
            Reducer::MeanNonZero => {
                let count = per_tuple
                    .clone()
                    .greater_elem(0.0)
                    .float()
                    .sum()
                    .clamp_min(1.0)
                    .detach();
                per_tuple.sum() / count
            }
        }
    }
}

impl FromStr for Reducer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean" => Ok(Self::Mean),
            "mean-non-zero" | "nonzero" => Ok(Self::MeanNonZero),
            other => Err(format!(
                "unknown reducer '{other}' (choose one of: mean, mean-non-zero)"
            )),
        }
    }
}

impl fmt::Display for Reducer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reducer::Mean => "mean",
            Reducer::MeanNonZero => "mean-non-zero",
        })
    }
}
