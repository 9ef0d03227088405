//! `twinnet.Model`'s native half: one loaded model directory (image or text).

use crate::errors::{json, IntoPy};
use crate::inputs::{array_inputs, embedding_bytes, floats, input_from, inputs_from};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::Mutex;
use twinnet::embedder::InputKind;
use twinnet::{Embedder, Input};

/// A loaded model. The embedder sits behind a mutex: the Python object may be shared between
/// threads, and each call runs with the GIL released.
#[pyclass(frozen, name = "NativeModel", module = "twinnet._twinnet")]
pub struct NativeModel {
    pub(crate) embedder: Mutex<Embedder>,
    path: String,
}

impl NativeModel {
    /// Runs `f` on the embedder without the GIL.
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Embedder) -> anyhow::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let guard = self
                .embedder
                .lock()
                .map_err(|_| anyhow::anyhow!("the model was poisoned by an earlier panic"))?;
            f(&guard)
        })
        .py_err()
    }

    fn embed_inputs(&self, py: Python<'_>, inputs: Vec<Input>) -> PyResult<Py<PyBytes>> {
        let rows = self.with(py, |m| m.embed(&inputs))?;
        Ok(PyBytes::new(py, &embedding_bytes(&rows)).unbind())
    }
}

#[pymethods]
impl NativeModel {
    /// Loads a model directory.
    #[staticmethod]
    fn load(py: Python<'_>, path: String) -> PyResult<Self> {
        let dir = std::path::PathBuf::from(&path);
        let embedder = py.detach(|| Embedder::load(&dir)).py_err()?;
        Ok(Self {
            embedder: Mutex::new(embedder),
            path,
        })
    }

    /// Embeds tagged inputs; f32 bytes, one row per input.
    fn embed(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        let inputs = inputs_from(items)?;
        self.embed_inputs(py, inputs)
    }

    /// Embeds an `n × h × w × c` array given as bytes.
    fn embed_array(
        &self,
        py: Python<'_>,
        data: &[u8],
        dtype: &str,
        shape: (usize, usize, usize, usize),
    ) -> PyResult<Py<PyBytes>> {
        let inputs = array_inputs(data, dtype, shape)?;
        self.embed_inputs(py, inputs)
    }

    /// Distance (or learned dissimilarity), threshold and decision for two tagged inputs,
    /// embedded together as `twinnet verify` does.
    fn verify(
        &self,
        py: Python<'_>,
        a: &Bound<'_, PyAny>,
        b: &Bound<'_, PyAny>,
    ) -> PyResult<(f32, Option<f32>, Option<bool>)> {
        let (a, b) = (input_from(a)?, input_from(b)?);
        let v = self.with(py, |m| m.verify(&a, &b))?;
        Ok((v.distance, v.threshold, v.same))
    }

    /// The model's scores between rows of two f32 byte buffers of `dim` columns.
    fn distances(&self, py: Python<'_>, a: &[u8], b: &[u8], dim: usize) -> PyResult<Vec<f32>> {
        let (a, b) = (floats(a), floats(b));
        self.with(py, |m| {
            if dim != m.dim() || a.len() != b.len() || a.len() % dim.max(1) != 0 {
                anyhow::bail!(
                    "embeddings of {} and {} values do not form rows of this model's {} values",
                    a.len(),
                    b.len(),
                    m.dim()
                );
            }
            let scorer = m.scorer();
            Ok(a.chunks(dim)
                .zip(b.chunks(dim))
                .map(|(x, y)| scorer.score(x, y))
                .collect())
        })
    }

    /// Embedding length.
    #[getter]
    fn dim(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |m| Ok(m.dim()))
    }

    /// The calibrated decision threshold (None for a text model without one).
    #[getter]
    fn threshold(&self, py: Python<'_>) -> PyResult<Option<f32>> {
        self.with(py, |m| Ok(m.threshold()))
    }

    /// "image" or "text".
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<&'static str> {
        self.with(py, |m| {
            Ok(match m.input_kind() {
                InputKind::Image(..) => "image",
                InputKind::Text => "text",
            })
        })
    }

    /// `[channels, height, width]` of an image model's input, None for a text model.
    #[getter]
    fn input_shape(&self, py: Python<'_>) -> PyResult<Option<(usize, usize, usize)>> {
        self.with(py, |m| {
            Ok(match m.input_kind() {
                InputKind::Image(s, _) => Some((s.channels, s.height, s.width)),
                InputKind::Text => None,
            })
        })
    }

    /// The manifest as JSON.
    fn manifest_json(&self, py: Python<'_>) -> PyResult<String> {
        let value = self.with(py, |m| {
            Ok(match m {
                Embedder::Image(m) => serde_json::to_value(&m.manifest)?,
                Embedder::Text(m) => serde_json::to_value(&m.manifest)?,
            })
        })?;
        json(&value)
    }

    /// The directory it was loaded from.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }
}
