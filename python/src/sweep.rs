//! `cascade.sweep` and `cascade.calc`: the native halves (cascade-sweep, cascade-io's calc).

use std::path::{Path, PathBuf};

use cascade_sweep::{SweepOptions, SweepOutcome, SweepSpec};
use pyo3::prelude::*;

use crate::error::{CascadeError, guard, to_py};

/// Parses and checks a sweep file (`path`) or sweep text (`text`, named `origin` in errors, its
/// `scenario` path taken from the current directory); returns the spec as JSON, the base
/// scenario's text inside, so it can be run anywhere.
#[pyfunction]
#[pyo3(signature = (*, path=None, text=None, origin=None))]
fn sweep_spec(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    origin: Option<String>,
) -> PyResult<String> {
    py.detach(|| {
        guard(|| {
            let spec = match (path, text) {
                (Some(p), None) => SweepSpec::from_file(&p)?,
                (None, Some(t)) => {
                    let origin = origin.unwrap_or_else(|| "<sweep text>".into());
                    SweepSpec::from_str_in(&t, &origin, Path::new(""), "sweep")?
                }
                _ => anyhow::bail!("give a sweep file or sweep text"),
            };
            Ok(serde_json::to_string(&spec)?)
        })
    })
    .map_err(|e| to_py(&e))
}

/// What a sweep call did, as JSON (`planned`, `resumed`, `ran`, `out_dir`).
fn outcome_json(o: &SweepOutcome) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&serde_json::json!({
        "out_dir": o.out_dir.display().to_string(),
        "planned": o.planned,
        "resumed": o.resumed,
        "ran": o.ran,
    }))?)
}

/// Runs a sweep (or shard `(i, n)` of it, `i` from 1) into `out`, resuming what is there; the
/// native half of `cascade.sweep`. `threads` `None` or 0: one per core. The GIL is released.
#[pyfunction]
#[pyo3(signature = (spec_json, out, *, shard=None, threads=None, keep_runs=false))]
fn sweep(
    py: Python<'_>,
    spec_json: &str,
    out: PathBuf,
    shard: Option<(u32, u32)>,
    threads: Option<usize>,
    keep_runs: bool,
) -> PyResult<String> {
    if let Some((i, n)) = shard
        && !(1..=n).contains(&i)
    {
        return Err(CascadeError::new_err(format!("shard {i}/{n}: expected i/n with 1 ≤ i ≤ n, e.g. 2/4")));
    }
    let spec_json = spec_json.to_string();
    py.detach(move || {
        guard(|| {
            let spec: SweepSpec = serde_json::from_str(&spec_json)?;
            let mut opts = SweepOptions::new(out);
            opts.shard = shard;
            opts.threads = threads.unwrap_or(0);
            opts.keep_runs = keep_runs;
            outcome_json(&cascade_sweep::run_sweep(&spec, &opts)?)
        })
    })
    .map_err(|e| to_py(&e))
}

/// Merges shard directories into `out` (`cascade sweep merge`).
#[pyfunction]
fn sweep_merge(py: Python<'_>, shard_dirs: Vec<PathBuf>, out: PathBuf) -> PyResult<String> {
    py.detach(move || guard(|| outcome_json(&cascade_sweep::merge(&shard_dirs, &out)?)))
        .map_err(|e| to_py(&e))
}

/// Splits a `KEY=VALUE` override as `--set` does.
#[pyfunction]
fn parse_set(arg: &str) -> PyResult<(String, String)> {
    let s = cascade_sweep::parse_set(arg).map_err(|e| to_py(&e.into()))?;
    Ok((s.path, s.value))
}

/// The margin calculator: JSON input text in, the output JSON (as `cascade calc` prints it)
/// out. A refusal is a `CascadeError` whose `field` attribute is the JSON path at fault (`""`
/// for a syntax error).
#[pyfunction]
fn calc(py: Python<'_>, text: &str) -> PyResult<String> {
    let text = text.to_string();
    let result = py.detach(move || {
        guard(|| match cascade_io::calc::calc(&text) {
            Ok(out) => Ok(Ok(serde_json::to_string_pretty(&out)?)),
            Err(e) => Ok(Err(e)),
        })
    });
    match result {
        Ok(Ok(json)) => Ok(json),
        Ok(Err(e)) => {
            let err = CascadeError::new_err(e.to_string());
            err.value(py).setattr("field", e.path.clone())?;
            Err(err)
        }
        Err(e) => Err(to_py(&e)),
    }
}

/// Adds this module's functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sweep_spec, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_merge, m)?)?;
    m.add_function(wrap_pyfunction!(parse_set, m)?)?;
    m.add_function(wrap_pyfunction!(calc, m)?)?;
    Ok(())
}
