//! twinnet's errors as Python exceptions: `twinnet.NotFoundError` (also a
//! `FileNotFoundError`) when a file is missing, `twinnet.TwinnetIOError` (an `OSError`) for
//! other I/O failures, `twinnet.InvalidInputError` (a `ValueError`) for everything else; all
//! derive from `twinnet.TwinnetError`. The message is twinnet's own, causes included.

use pyo3::prelude::*;
use pyo3::types::PyType;

/// The exception class named `name` in `twinnet._errors` (defined in Python, so that each can
/// derive from both `TwinnetError` and the built-in it stands for).
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    let module = PyModule::import(py, "twinnet._errors")?;
    Ok(module.getattr(name)?.cast_into::<PyType>()?)
}

/// The Python exception for a twinnet error.
pub fn to_py(err: anyhow::Error) -> PyErr {
    let name = match err.chain().find_map(|e| e.downcast_ref::<std::io::Error>()) {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => "NotFoundError",
        Some(_) => "TwinnetIOError",
        None => "InvalidInputError",
    };
    let message = format!("{err:#}");
    Python::attach(|py| match class(py, name) {
        Ok(cls) => PyErr::from_type(cls, message),
        Err(import_failed) => import_failed,
    })
}

/// `Result<T, anyhow::Error>` → `PyResult<T>`.
pub trait IntoPy<T> {
    /// Converts the error.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for anyhow::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// A JSON value as a string for the Python side to parse (`json.loads`).
pub fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(e.into()))
}
