//! `cascade.run` and `cascade.load_run`: one simulation (or one run directory) to a summary
//! and Arrow tables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use cascade_io::RunTag;
use cascade_sim::metrics::Recording;
use cascade_sim::scenario::{DEFAULT_TOML, Scenario};
use cascade_sim::{RunOptions, run as simulate};
use pyo3::prelude::*;

use crate::arrow::ArrowStream;
use crate::error::{guard, to_py};

/// The origin the built-in default scenario is named by in errors (as the CLI names it).
const DEFAULT_ORIGIN: &str = "scenarios/default.toml";

/// What the native `run` and `load_run` hand to the Python layer: the summary as JSON text
/// (the content of `summary.json`), the scenario text, the seed, the tables, and the manifest as
/// JSON text (for a run directory).
type Handover = (String, String, u64, Vec<ArrowStream>, Option<String>);

/// Where a scenario's text comes from.
enum Source {
    /// A scenario file.
    File(PathBuf),
    /// Text, with the label errors name it by (relative kline paths resolve from the current
    /// directory).
    Text { text: String, origin: String },
    /// The built-in default scenario.
    Default,
}

/// The scenario text and the path it is read as (for error messages and relative files).
fn load_source(src: &Source) -> anyhow::Result<(String, PathBuf)> {
    Ok(match src {
        Source::File(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            (text, path.clone())
        }
        Source::Text { text, origin } => (text.clone(), PathBuf::from(origin)),
        Source::Default => (DEFAULT_TOML.to_string(), PathBuf::from(DEFAULT_ORIGIN)),
    })
}

/// Reads the scenario with the overrides applied; returns it and the text it was read from
/// (what `scenario.toml` of the run holds).
fn read(src: &Source, sets: &[(String, String)]) -> anyhow::Result<(Scenario, String)> {
    let (text, path) = load_source(src)?;
    if sets.is_empty() {
        // As `cascade run` without `--set`: the file reader alone.
        let scenario = cascade_io::read_scenario_text(&text, &path)?;
        return Ok((scenario, text));
    }
    let sets: Vec<cascade_sweep::overrides::Set> = sets
        .iter()
        .map(|(k, v)| cascade_sweep::overrides::Set { path: k.clone(), value: v.clone() })
        .collect();
    let (text, scenario) = cascade_sweep::overrides::apply_and_read(&text, &path, &sets)?;
    Ok((scenario, text))
}

/// The tables of a recording as Arrow streams, in the order the run directory lists them.
fn tables(rec: &Recording, tag: &RunTag) -> anyhow::Result<Vec<ArrowStream>> {
    Ok(vec![
        ArrowStream::of(&rec.series, tag)?,
        ArrowStream::of(&rec.liquidations, tag)?,
        ArrowStream::of(&rec.adl, tag)?,
    ])
}

/// Runs a scenario: the native half of `cascade.run`. Exactly one of `path` and `text` or
/// neither (the built-in default); `overrides` are `(KEY, VALUE)` pairs as `--set KEY=VALUE`
/// takes them. Writes the run directory into `out` when given, as `cascade run --out` does.
/// The GIL is released while the scenario is read, simulated and written.
#[pyfunction]
#[pyo3(signature = (*, path=None, text=None, origin=None, seed=None, overrides=Vec::new(), counterfactual=true, out=None))]
#[allow(clippy::too_many_arguments)]
pub fn run(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    origin: Option<String>,
    seed: Option<u64>,
    overrides: Vec<(String, String)>,
    counterfactual: bool,
    out: Option<PathBuf>,
) -> PyResult<Handover> {
    let src = match (path, text) {
        (Some(p), None) => Source::File(p),
        (None, Some(text)) => Source::Text { text, origin: origin.unwrap_or_else(|| "<string>".into()) },
        (None, None) => Source::Default,
        (Some(_), Some(_)) => {
            return Err(crate::error::CascadeError::new_err(
                "give a scenario path or scenario text, not both",
            ));
        }
    };
    py.detach(|| guard(|| run_native(&src, seed, &overrides, counterfactual, out.as_deref())))
        .map_err(|e| to_py(&e))
}

fn run_native(
    src: &Source,
    seed: Option<u64>,
    sets: &[(String, String)],
    counterfactual: bool,
    out: Option<&Path>,
) -> anyhow::Result<Handover> {
    let (scenario, text) = read(src, sets)?;
    let seed = seed.unwrap_or(scenario.run.seed);
    if let Some(out) = out {
        // A bad output path is refused now, not after the whole simulation.
        cascade_io::check_run_dir_target(out)?;
    }
    let opts = RunOptions { counterfactual, ..RunOptions::default() };
    let rec = simulate(&scenario, seed, &opts)
        .with_context(|| format!("running scenario `{}`", scenario.run.name))?;
    let mut manifest = None;
    if let Some(out) = out {
        cascade_io::write_run_with(out, &rec, Some(&text))
            .with_context(|| format!("writing the run to {}", out.display()))?;
        manifest = Some(std::fs::read_to_string(out.join(cascade_io::run_dir::MANIFEST))?);
    }
    let summary = serde_json::to_string(&rec.summary)?;
    let tag = RunTag::of_run(0, &rec.summary, Some(&text));
    Ok((summary, text, seed, tables(&rec, &tag)?, manifest))
}

/// Reads a run directory back (every file checked against `manifest.json` first): the native
/// half of `cascade.load_run`. The tables come from the exact CSV files, so they equal those of
/// the `cascade.run` call that wrote the directory.
#[pyfunction]
pub fn load_run(py: Python<'_>, dir: PathBuf) -> PyResult<Handover> {
    py.detach(|| guard(|| load_native(&dir))).map_err(|e| to_py(&e))
}

fn load_native(dir: &Path) -> anyhow::Result<Handover> {
    let rec = cascade_io::read_run(dir)?;
    let manifest = cascade_io::verify_manifest(dir)?;
    let scenario_path = dir.join("scenario.toml");
    let text = if manifest.files.iter().any(|f| f.name == "scenario.toml") {
        std::fs::read_to_string(&scenario_path)
            .with_context(|| format!("reading {}", scenario_path.display()))?
    } else {
        String::new()
    };
    // The file's own text, not the parsed summary written again: serde_json's default float
    // parser is not correctly rounded, so a re-serialised figure could differ in its last
    // digit from the one written (Python's `json.loads` of the text is exact).
    let summary_path = dir.join("summary.json");
    let summary = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("reading {}", summary_path.display()))?;
    let tag = RunTag::of_dir(&manifest, &rec.summary);
    let manifest = serde_json::to_string(&manifest)?;
    Ok((summary, text, rec.summary.seed, tables(&rec, &tag)?, Some(manifest)))
}
