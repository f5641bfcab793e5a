//! `cascade._native`: the compiled half of the `cascade` Python package (pyo3, abi3 for CPython
//! ≥ 3.11).
//!
//! Thin: every function reads its arguments, releases the GIL, calls the same library code the
//! `cascade` command calls (cascade-sim, cascade-io, cascade-sweep), and hands the results back
//! as JSON text and Arrow streams ([`arrow::ArrowStream`]); the Python layer (`cascade/__init__.py`)
//! turns them into dicts and `pyarrow.Table`s. Every error, and any panic, comes back as
//! `cascade.CascadeError` with the message the command prints.

use pyo3::prelude::*;

mod arrow;
mod convert;
mod error;
mod run;
mod sweep;

/// A dict as the TOML scenario file it stands for.
///
/// # Errors
/// `CascadeError` naming the key whose value has no TOML form.
#[pyfunction]
fn dict_to_toml(value: &Bound<'_, PyAny>) -> PyResult<String> {
    convert::dict_to_toml(value).map_err(|e| error::to_py(&e))
}

/// One override value as the `VALUE` text of `--set KEY=VALUE` (`key` names it in errors).
///
/// # Errors
/// `CascadeError` naming `key` when the value has no TOML form.
#[pyfunction]
fn override_text(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    convert::override_text(value, key).map_err(|e| error::to_py(&e))
}

/// The module: functions, the `ArrowStream` class and the `CascadeError` exception.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CascadeError", m.py().get_type::<error::CascadeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<arrow::ArrowStream>()?;
    m.add_function(wrap_pyfunction!(dict_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(override_text, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::load_run, m)?)?;
    sweep::register(m)?;
    Ok(())
}
