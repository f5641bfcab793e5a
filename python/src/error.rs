//! `cascade.CascadeError` and the conversion of every Rust error (and panic) into it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::PyErr;
use pyo3::exceptions::PyValueError;

pyo3::create_exception!(
    cascade,
    CascadeError,
    PyValueError,
    "A scenario, sweep, calculator input or run directory was refused, or a run failed.\n\n\
     The message is the one the `cascade` command prints after `error: ` for the same input: it \
     names the file, line, column and field (e.g. `run.seed`) or the `--set` override concerned."
);

/// The CLI's rendering of an error: the chain of contexts, outermost first, joined by `: `
/// (`anyhow`'s `{:#}`, which `cascade` prints after `error: `).
pub fn to_py(e: &anyhow::Error) -> PyErr {
    CascadeError::new_err(format!("{e:#}"))
}

/// Runs `f`, turning a panic into an error instead of letting it cross into Python.
pub fn guard<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(anyhow::anyhow!("internal error (a bug in cascade, please report it): {msg}"))
        }
    }
}
