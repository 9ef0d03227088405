//! What a manifest must agree with before anything is built from it: a hand-edited or damaged
//! `manifest.json` gets an error naming the field, not a panic deep in a forward pass.

use super::Manifest;
use crate::tower::TowerConfig;
use anyhow::{bail, Result};

impl Manifest {
    /// Refuses a manifest whose input shape disagrees with its tower, whose tower would be too
    /// big to build, or whose normalisation, margin or threshold is not a finite number.
    pub fn check(&self) -> Result<()> {
        self.tower.parameter_count()?;
        let s = self.input.shape;
        let agrees = match &self.tower {
            TowerConfig::Cnn(c) => {
                [s.channels, s.height, s.width] == [c.channels, c.height, c.width]
            }
            TowerConfig::Mlp(m) => {
                s.channels
                    .checked_mul(s.height)
                    .and_then(|v| v.checked_mul(s.width))
                    == Some(m.input_dim)
            }
        };
        if !agrees {
            let [c, h, w] = self.tower.input_shape();
            bail!(
                "`input.shape` {}x{}x{} (channels x height x width) does not fit the {} tower's \
                 input {c}x{h}x{w}",
                s.channels,
                s.height,
                s.width,
                self.tower.kind_name()
            );
        }
        if !self.input.mean.is_finite() {
            bail!(
                "`input.mean` must be a finite number, not {}",
                self.input.mean
            );
        }
        if !(self.input.std.is_finite() && self.input.std > 0.0) {
            bail!(
                "`input.std` must be a positive number, not {}",
                self.input.std
            );
        }
        if !self.threshold.is_finite() {
            bail!(
                "`threshold` must be a finite number, not {}",
                self.threshold
            );
        }
        if !(self.margin.is_finite() && self.margin >= 0.0) {
            bail!(
                "`margin` must be a non-negative number, not {}",
                self.margin
            );
        }
        Ok(())
    }
}
