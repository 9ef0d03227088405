//! `twinnet._twinnet`: the native half of the Python package. Python code in
//! `python/twinnet/` turns numpy arrays and Python values into the plain bytes, strings and
//! JSON this module takes, so the Rust side needs no numpy headers and the wheel is abi3.
//!
//! Every call that works for a while (embedding, training, evaluation) releases the GIL; every
//! error becomes a Python exception carrying twinnet's message (see [`errors`]).

mod errors;
mod gallery;
mod inputs;
mod metrics;
mod model;
mod training;

use pyo3::prelude::*;

/// The native core of twinnet (use the `twinnet` package, not this module).
#[pymodule]
fn _twinnet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::NativeModel>()?;
    m.add_class::<gallery::NativeGallery>()?;
    m.add_function(wrap_pyfunction!(training::train, m)?)?;
    m.add_function(wrap_pyfunction!(training::finetune, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::verification, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::oneshot, m)?)?;
    Ok(())
}
