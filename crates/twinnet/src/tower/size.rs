//! How big a tower would be, counted before anything is allocated: a manifest or a flag asking
//! for a 2^40-pixel input or 10^12 weights gets an error naming the limit, not an overflow or
//! an abort from the allocator.

use super::{CnnConfig, ConvNorm, MlpConfig};
use anyhow::{bail, Result};

/// Most parameters an image tower may have: 2^30, 4 GiB of `f32` (Koch et al.'s
/// Omniglot network has 38 M).
pub const MAX_TOWER_PARAMETERS: usize = 1 << 30;
/// Longest side, in pixels, of a tower's input.
pub const MAX_INPUT_SIDE: usize = 16_384;
/// Most channels of a tower's input (grayscale, RGB, RGBA).
pub const MAX_INPUT_CHANNELS: usize = 4;

/// A running parameter count that turns any overflow or excess into one error.
struct Count(usize);

impl Count {
    /// Adds `weights × … + bias`.
    fn layer(&mut self, factors: &[usize], bias: usize) -> Result<()> {
        let n = factors
            .iter()
            .try_fold(1usize, |acc, &f| acc.checked_mul(f))
            .and_then(|w| w.checked_add(bias))
            .and_then(|w| w.checked_add(self.0));
        match n {
            Some(n) if n <= MAX_TOWER_PARAMETERS => {
                self.0 = n;
                Ok(())
            }
            _ => bail!(
                "the tower would have more than {MAX_TOWER_PARAMETERS} parameters; use fewer or \
                 narrower layers, or a smaller input"
            ),
        }
    }
}

fn check_input(channels: usize, height: usize, width: usize) -> Result<()> {
    if channels == 0 || channels > MAX_INPUT_CHANNELS {
        bail!("input channels must be 1 to {MAX_INPUT_CHANNELS}, not {channels}");
    }
    if height == 0 || width == 0 || height > MAX_INPUT_SIDE || width > MAX_INPUT_SIDE {
        bail!("input {width}x{height} must have sides of 1 to {MAX_INPUT_SIDE} pixels");
    }
    Ok(())
}

fn dense(count: &mut Count, mut d_in: usize, hidden: &[usize], out: usize) -> Result<()> {
    for &d_out in hidden.iter().chain(std::iter::once(&out)) {
        if d_out == 0 {
            bail!("fully connected layer widths must be positive");
        }
        count.layer(&[d_in, d_out], d_out)?;
        d_in = d_out;
    }
    Ok(())
}

impl CnnConfig {
    /// Parameters of the tower (batch norm's running statistics included, as burn counts
    /// them), or an error when its input or size exceed
    /// [`MAX_INPUT_SIDE`], [`MAX_INPUT_CHANNELS`] or [`MAX_TOWER_PARAMETERS`].
    ///
    /// ```
    /// use twinnet::tower::CnnConfig;
    /// // conv 1→32 k5 (832) + conv 32→64 k5 (51,264) + fc 1024→256 (262,400) + fc 256→64 (16,448)
    /// assert_eq!(CnnConfig::default().parameter_count().unwrap(), 330_944);
    /// let huge = CnnConfig { height: 1 << 40, ..CnnConfig::default() };
    /// assert!(huge.parameter_count().is_err());
    /// ```
    pub fn parameter_count(&self) -> Result<usize> {
        check_input(self.channels, self.height, self.width)?;
        let blocks = self.blocks()?;
        let [h, w] = self.feature_map()?;
        let mut count = Count(0);
        let mut c_in = self.channels;
        for (&c_out, b) in self.conv_channels.iter().zip(&blocks) {
            if c_out == 0 {
                bail!("conv channels must be positive");
            }
            count.layer(&[c_in, c_out, b.kernel, b.kernel], c_out)?;
            // Scale and shift; batch norm also keeps a running mean and variance.
            match self.norm {
                ConvNorm::None => {}
                ConvNorm::Instance => count.layer(&[2, c_out], 0)?,
                ConvNorm::Batch => count.layer(&[4, c_out], 0)?,
            }
            c_in = c_out;
        }
        let flat = if self.global_pool {
            c_in
        } else {
            let mut per_map = Count(0);
            per_map.layer(&[c_in, h, w], 0)?;
            per_map.0
        };
        dense(&mut count, flat, &self.hidden, self.embedding_dim)?;
        Ok(count.0)
    }
}

impl MlpConfig {
    /// Parameters of the tower, or an error when they exceed
    /// [`MAX_TOWER_PARAMETERS`].
    pub fn parameter_count(&self) -> Result<usize> {
        if self.input_dim == 0 {
            bail!("MLP input dimension must be positive");
        }
        let mut count = Count(0);
        dense(&mut count, self.input_dim, &self.hidden, self.embedding_dim)?;
        Ok(count.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tower::TowerConfig;
    use burn::module::Module;

    #[test]
    fn the_count_is_what_burn_builds() {
        let device = crate::backend::inference_device();
        let configs = [
            TowerConfig::Cnn(CnnConfig::default()),
            TowerConfig::Cnn(CnnConfig {
                channels: 3,
                height: 40,
                width: 36,
                conv_channels: vec![8, 16, 4],
                kernel_sizes: vec![7, 3, 3],
                strides: vec![2, 1, 1],
                pools: vec![2, 0, 2],
                norm: ConvNorm::Batch,
                hidden: vec![32, 24],
                ..CnnConfig::default()
            }),
            TowerConfig::Cnn(CnnConfig {
                norm: ConvNorm::Instance,
                global_pool: true,
                ..CnnConfig::default()
            }),
            TowerConfig::Mlp(MlpConfig {
                input_dim: 784,
                hidden: vec![128, 64],
                embedding_dim: 16,
                normalize: false,
            }),
        ];
        for c in configs {
            let tower = c.init(&device).unwrap();
            assert_eq!(c.parameter_count().unwrap(), tower.num_params(), "{c:?}");
        }
    }
}
