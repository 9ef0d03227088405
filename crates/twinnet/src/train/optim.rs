//! The optimiser and its learning-rate schedule, one description for every model kind.

use super::OptimizerKind;
use burn::grad_clipping::GradientClippingConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the learning rate moves over a run. Every schedule starts with a linear warm-up over
/// the first `warmup` fraction of the steps (none when it is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The peak rate after the warm-up.
    #[default]
    Constant,
    /// Linear decay to 0 at the last step (sentence-transformers' `WarmupLinear`).
    Linear,
    /// Half a cosine from the peak to 0 at the last step.
    Cosine,
}

impl LrSchedule {
    /// All choices, for help texts and errors.
    pub const NAMES: [&'static str; 3] = ["constant", "linear", "cosine"];
}

impl FromStr for LrSchedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "constant" => Ok(Self::Constant),
            "linear" => Ok(Self::Linear),
            "cosine" => Ok(Self::Cosine),
            other => Err(format!(
                "unknown schedule '{other}' (choose one of: {})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for LrSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::NAMES[*self as usize])
    }
}

/// Optimiser, rate, schedule and clipping of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimSettings {
    /// Which optimiser.
    pub kind: OptimizerKind,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Weight decay (L2 for Adam and SGD, decoupled for AdamW); 0 for none.
    pub weight_decay: f64,
    /// Schedule after the warm-up.
    pub schedule: LrSchedule,
    /// Fraction of all steps spent warming up from 0.
    pub warmup_fraction: f64,
    /// Largest gradient norm; larger gradients are scaled down to it.
    pub grad_clip: Option<f32>,
}

impl OptimSettings {
    /// A fresh optimiser (no moments yet).
    pub fn build(&self) -> ModuleOptimizer {
        let clip = self.grad_clip.map(GradientClippingConfig::Norm);
        let decay =
            (self.weight_decay > 0.0).then(|| WeightDecayConfig::new(self.weight_decay as f32));
        match self.kind {
            OptimizerKind::Adam => AdamConfig::new()
                .with_weight_decay(decay)
                .with_grad_clipping(clip)
                .init(),
            OptimizerKind::AdamW => AdamWConfig::new()
                .with_weight_decay(self.weight_decay as f32)
                .with_grad_clipping(clip)
                .init(),
            OptimizerKind::Sgd => SgdConfig::new()
                .with_weight_decay(decay)
                .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
                .with_gradient_clipping(clip)
                .init(),
        }
    }

    /// The rate of step `step` (0-based) of a run of `total` steps.
    ///
    /// ```
    /// use twinnet::train::{LrSchedule, OptimSettings, OptimizerKind};
    /// let s = OptimSettings {
    ///     kind: OptimizerKind::AdamW,
    ///     learning_rate: 1.0,
    ///     weight_decay: 0.0,
    ///     schedule: LrSchedule::Linear,
    ///     warmup_fraction: 0.2,
    ///     grad_clip: None,
    /// };
    /// // 10 steps: 2 of warm-up (0.5, 1.0), then a straight line down to 1/8 at the last step.
    /// let rates: Vec<f64> = (0..10).map(|k| s.learning_rate_at(k, 10)).collect();
    /// assert_eq!(rates[..3], [0.5, 1.0, 1.0]);
    /// assert_eq!(rates[9], 0.125);
    /// ```
    pub fn learning_rate_at(&self, step: usize, total: usize) -> f64 {
        let peak = self.learning_rate;
        let warmup = ((total as f64) * self.warmup_fraction).round() as usize;
        if step < warmup {
            return peak * (step + 1) as f64 / warmup as f64;
        }
        let span = (total - warmup).max(1) as f64;
        let left = total.saturating_sub(step) as f64;
        match self.schedule {
            LrSchedule::Constant => peak,
            LrSchedule::Linear => peak * left / span,
            LrSchedule::Cosine => {
                let done = (step - warmup) as f64 / span;
                peak * 0.5 * (1.0 + (std::f64::consts::PI * done).cos())
            }
        }
    }
}
