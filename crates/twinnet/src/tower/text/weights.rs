//! Named tensors in and out of safetensors files, with the file and tensor named in every error.

use anyhow::{bail, Context, Result};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A safetensors file held in memory, read tensor by tensor.
pub struct TensorSource {
    bytes: Vec<u8>,
    path: PathBuf,
}

impl TensorSource {
    /// Reads `path` and checks it parses as safetensors.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        SafeTensors::deserialize(&bytes).map_err(|e| {
            anyhow::anyhow!("{}: not a valid safetensors file: {e}", path.display())
        })?;
        Ok(Self {
            bytes,
            path: path.to_path_buf(),
        })
    }

    /// The raw file contents (for hashing).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let st = SafeTensors::deserialize(&self.bytes).expect("checked when opened");
        let view = st
            .tensor(name)
            .with_context(|| format!("{}: tensor '{name}' is missing", self.path.display()))?;
        if view.shape() != shape {
            bail!(
                "{}: tensor '{name}' has shape {:?}, the config needs {:?}",
                self.path.display(),
                view.shape(),
                shape
            );
        }
        let data = view.data();
        Ok(match view.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            // bf16 is the top half of an f32; f16 needs a real conversion.
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16))
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            other => bail!(
                "{}: tensor '{name}' is {other:?}; expected a float type (F32, F16, BF16)",
                self.path.display()
            ),
        })
    }

    /// A vector of length `n`.
    pub fn tensor1(&self, name: &str, n: usize, device: &Device) -> Result<Tensor<1>> {
        let v = self.values(name, &[n])?;
        Ok(Tensor::from_data(TensorData::new(v, [n]), device))
    }

    /// A matrix of shape `shape`.
    pub fn tensor2(&self, name: &str, shape: [usize; 2], device: &Device) -> Result<Tensor<2>> {
        let v = self.values(name, &shape)?;
        Ok(Tensor::from_data(TensorData::new(v, shape), device))
    }
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        // Subnormal: the value is f · 2⁻²⁴, exactly representable in f32.
        (0, f) => {
            let v = f as f32 * 2f32.powi(-24);
            return if sign == 0 { v } else { -v };
        }
        (0x1f, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 127 - 15) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

/// Collects named f32 tensors and serialises them as one safetensors file.
#[derive(Default)]
pub struct TensorSink {
    tensors: BTreeMap<String, (Vec<usize>, Vec<u8>)>,
}

impl TensorSink {
    /// Adds `tensor` under `name`.
    pub fn put<const D: usize>(&mut self, name: &str, tensor: Tensor<D>) {
        let shape = tensor.dims().to_vec();
        let values = tensor
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("float tensor");
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensors.insert(name.to_string(), (shape, bytes));
    }

    /// The safetensors bytes, tensors in name order (so equal weights give equal files).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = self
            .tensors
            .iter()
            .map(|(name, (shape, bytes))| {
                safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("cannot serialise weights: {e}"))?;
        let meta = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
        safetensors::serialize(views, Some(meta))
            .map_err(|e| anyhow::anyhow!("cannot serialise weights: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::f16_to_f32;

    #[test]
    fn half_precision_values_convert_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }
}
