//! `twinnet.Gallery`'s native half: a gallery (a directory or a `postgres://` URL) opened for
//! one model's embeddings.

use crate::errors::json;
use crate::inputs::inputs_from;
use crate::model::NativeModel;
use pyo3::prelude::*;
use std::sync::Mutex;
use twinnet::gallery::{AnyGallery, DEFAULT_INDEX_ABOVE};

/// An open gallery and the model whose embeddings it holds.
#[pyclass(frozen, name = "NativeGallery", module = "twinnet._twinnet")]
pub struct NativeGallery {
    gallery: Mutex<AnyGallery>,
    model: Py<NativeModel>,
}

impl NativeGallery {
    /// Runs `f` on the model and the gallery without the GIL, after reading in what another
    /// process (a CLI `gallery enroll`, a server) committed since.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&twinnet::Embedder, &mut AnyGallery) -> anyhow::Result<T> + Send,
    ) -> PyResult<T> {
        let model = self.model.get();
        model.with(py, |m| {
            let mut g = self
                .gallery
                .lock()
                .map_err(|_| anyhow::anyhow!("the gallery was poisoned by an earlier panic"))?;
            g.refresh()?;
            f(m, &mut g)
        })
    }
}

#[pymethods]
impl NativeGallery {
    /// Opens (or starts) the gallery `spec` for `model`.
    #[new]
    #[pyo3(signature = (spec, model, index_above = DEFAULT_INDEX_ABOVE))]
    fn new(
        py: Python<'_>,
        spec: String,
        model: Py<NativeModel>,
        index_above: usize,
    ) -> PyResult<Self> {
        let gallery = model
            .get()
            .with(py, |m| m.open_gallery(&spec, index_above))?;
        Ok(Self {
            gallery: Mutex::new(gallery),
            model,
        })
    }

    /// Embeds tagged inputs and enrols them under `label`; their ids.
    fn enroll(
        &self,
        py: Python<'_>,
        label: String,
        items: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u64>> {
        let inputs = inputs_from(items)?;
        self.with(py, |m, g| m.enroll(g, &label, &inputs))
    }

    /// Who each tagged input is: JSON list of identifications.
    #[pyo3(signature = (items, top_k, threshold = None))]
    fn identify(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        top_k: usize,
        threshold: Option<f32>,
    ) -> PyResult<String> {
        let inputs = inputs_from(items)?;
        if top_k == 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "top_k must be at least 1",
            ));
        }
        if threshold.is_some_and(|t| !t.is_finite()) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "threshold must be a finite number",
            ));
        }
        let found = self.with(py, |m, g| {
            inputs
                .iter()
                .map(|i| m.identify(g, i, top_k, threshold))
                .collect::<anyhow::Result<Vec<_>>>()
        })?;
        json(&found)
    }

    /// Removes an entry; False when there is no such id.
    fn remove(&self, py: Python<'_>, id: u64) -> PyResult<bool> {
        self.with(py, |_, g| g.remove(id))
    }

    /// Every entry as JSON, in enrolment order.
    fn entries(&self, py: Python<'_>) -> PyResult<String> {
        let entries = self.with(py, |_, g| Ok(g.entries()))?;
        json(&entries)
    }

    /// Number of entries.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |_, g| Ok(g.len()))
    }
}
