//! Sweep files: which scenario, which values to vary and how, which seeds; and the run plan
//! they give (points × seeds, each run with a stable id).
//!
//! ```toml
//! name = "leverage"                 # label (default: the file's stem)
//! scenario = "../default.toml"      # relative to the sweep file; built-in default when absent
//! seeds = { count = 8, start = 1 }  # or seeds = [1, 2, 3]
//! sampling_seed = 7                 # stream of the random / LHS draws (default 0)
//! counterfactual = true             # also run without forced liquidations (amplification)
//!
//! [set]                             # fixed overrides of every run, as `--set`
//! "run.duration_s" = 900
//!
//! [[parameters]]                    # a grid: every value
//! path = "population.leverage[3].weight"
//! values = [0.0, 0.05, 0.1]
//!
//! [[parameters]]                    # a range: `samples` draws, random or Latin hypercube
//! path = "venues[0].insurance_fund"
//! range = [1e6, 1e8]
//! sampling = "lhs"                  # or "random"
//! samples = 8
//! log = true                        # uniform in log space
//! integer = false                   # round to whole numbers
//! ```
//!
//! # The plan
//! Grid parameters are crossed (the first listed varies slowest). Range parameters share one
//! design of `samples` points (they must agree on `samples`), each drawn from one ChaCha8
//! stream seeded with `sampling_seed`: so the same file always gives the same values. The
//! points are grid combinations × design points (design fastest), numbered from 0; the runs are
//! points × seeds, and run `point × n_seeds + seed_index` has that number as its `run_id` — the
//! key of resuming, sharding and merging.
//!
//! The spec hash (SHA-256 of the scenario text, the fixed overrides, every point's values, the
//! seeds and the counterfactual switch, not the file's layout or name) is what a sweep
//! directory records: a different hash there is a different sweep.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cascade_sim::fit::params::{format_decimal, parse_path};
use cascade_sim::scenario::{DEFAULT_TOML, Location};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{SweepError, file_err};
use crate::overrides::{Set, edit_and_validate};

/// Version of the plan's layout; part of the spec hash.
const PLAN_FORMAT: u32 = 1;

/// How a range parameter is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// Independent uniform draws.
    Random,
    /// Latin hypercube: each of the `samples` equal strata of the range holds exactly one draw.
    Lhs,
}

/// How a parameter takes its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// Every listed value (a grid axis).
    Grid {
        /// The values, as written.
        values: Vec<ParamValue>,
    },
    /// Draws from `[lo, hi]`.
    Range {
        /// Lower bound.
        lo: f64,
        /// Upper bound (> lo).
        hi: f64,
        /// Random or Latin hypercube.
        sampling: Sampling,
        /// Draws (shared by every range parameter).
        samples: u32,
        /// Rounded to whole numbers.
        integer: bool,
        /// Uniform in log space (needs lo > 0).
        log: bool,
    },
}

/// One swept parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// TOML path in the scenario, e.g. `population.leverage[3].weight`.
    pub path: String,
    /// Grid or range.
    pub kind: ParamKind,
}

/// One value of a parameter: the TOML text written into the scenario and what the tables show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamValue {
    /// The value as a `--set` VALUE (TOML text: `0.05`, `"50000000"`).
    pub toml: String,
    /// The number, when the value is one (numbers and decimal strings): the tables' column.
    /// Saved as text (`spec.json`): a JSON number is not guaranteed to read back bit for bit.
    #[serde(with = "f64_text")]
    pub number: Option<f64>,
    /// The value as text (a string without quotes): the column of a non-numeric parameter.
    pub text: String,
}

impl ParamValue {
    fn from_toml(v: &toml::Value) -> Result<Self, String> {
        Ok(match v {
            toml::Value::Integer(i) => {
                Self { toml: i.to_string(), number: Some(*i as f64), text: i.to_string() }
            }
            toml::Value::Float(f) if f.is_finite() => {
                Self { toml: format!("{f:?}"), number: Some(*f), text: format!("{f}") }
            }
            toml::Value::String(s) => Self {
                toml: toml_edit::Value::from(s.as_str()).to_string().trim().to_string(),
                number: s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
                text: s.clone(),
            },
            toml::Value::Boolean(b) => Self { toml: b.to_string(), number: None, text: b.to_string() },
            other => return Err(format!("a value must be a number, a string or a boolean, got {other}")),
        })
    }

    /// A drawn number, rounded as it is written into the scenario (10 significant digits, or
    /// a whole number), so the tables show exactly what ran.
    fn drawn(v: f64, integer: bool) -> Self {
        let text = if integer { format!("{}", v.round() as i64) } else { format_decimal(v) };
        Self { toml: text.clone(), number: text.parse().ok(), text }
    }
}

/// An optional `f64` as its shortest round-trip text, so it reads back exactly.
mod f64_text {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.serialize_some(&x.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| t.parse::<f64>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// One parameter point: a value per parameter, in parameter order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Point number, from 0.
    pub id: u64,
    /// One value per parameter.
    pub values: Vec<ParamValue>,
}

/// One run of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedRun {
    /// `point × n_seeds + seed_index`: stable for a given spec.
    pub run_id: u64,
    /// Parameter point.
    pub point: u64,
    /// Index into the seeds.
    pub seed_index: u64,
    /// The seed.
    pub seed: u64,
}

/// A parsed, checked sweep: everything a run of it needs (the scenario text included), so it
/// can be saved in the sweep directory and read back by `merge` without the original files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// Label (the `name` key, else the file's stem).
    pub name: String,
    /// The scenario file as named (resolved against the sweep file's directory); price files
    /// named by the scenario are resolved from its directory.
    pub scenario_path: PathBuf,
    /// The scenario's text.
    pub scenario_text: String,
    /// Overrides of every run (`[set]`), in key order.
    pub fixed: Vec<Set>,
    /// Swept parameters, in file order.
    pub parameters: Vec<Parameter>,
    /// Seeds, in order.
    pub seeds: Vec<u64>,
    /// Seed of the random / LHS draws.
    pub sampling_seed: u64,
    /// Whether each run also runs without forced liquidations (cascade amplification).
    pub counterfactual: bool,
    /// The parameter points.
    pub points: Vec<Point>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: Option<String>,
    scenario: Option<String>,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    parameters: Vec<ParamFile>,
    seeds: toml::Value,
    #[serde(default)]
    sampling_seed: u64,
    #[serde(default = "yes")]
    counterfactual: bool,
}

const fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    path: String,
    values: Option<Vec<toml::Value>>,
    range: Option<Vec<f64>>,
    sampling: Option<Sampling>,
    samples: Option<u32>,
    #[serde(default)]
    integer: bool,
    #[serde(default)]
    log: bool,
}

/// Most runs a sweep may plan (guards against a typo in `count` or `samples`).
pub const MAX_RUNS: u64 = 10_000_000;

impl SweepSpec {
    /// Reads a sweep file; its `scenario` is taken relative to the file's directory.
    ///
    /// # Errors
    /// [`SweepError::File`] when a file cannot be read, [`SweepError::Spec`] naming the line,
    /// column and field of a problem, [`SweepError::Scenario`] / [`SweepError::Override`] when the
    /// scenario or a fixed override is invalid.
    pub fn from_file(path: &Path) -> Result<Self, SweepError> {
        let src = std::fs::read_to_string(path).map_err(file_err(path, "reading the sweep file"))?;
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Self::from_str_in(&src, &path.display().to_string(), dir, &stem)
    }

    /// Parses sweep text as if it were a file in `dir` named `origin` (for callers holding the
    /// text, e.g. Python); `default_name` labels it when it has no `name`.
    ///
    /// # Errors
    /// As [`SweepSpec::from_file`].
    pub fn from_str_in(src: &str, origin: &str, dir: &Path, default_name: &str) -> Result<Self, SweepError> {
        let spec_err = |message: String| SweepError::Spec { origin: origin.to_string(), message };
        let file: SpecFile = parse_schema(src).map_err(spec_err)?;
        let (scenario_path, scenario_text) = match &file.scenario {
            Some(p) => {
                let path = dir.join(p);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| spec_err(format!("`scenario`: cannot read {}: {e}", path.display())))?;
                (path, text)
            }
            None => (PathBuf::from("scenarios/default.toml"), DEFAULT_TOML.to_string()),
        };
        let fixed: Vec<Set> = file
            .set
            .iter()
            .map(|(k, v)| {
                parse_path(k).map_err(|e| spec_err(format!("`set.\"{k}\"`: {e}")))?;
                let value = ParamValue::from_toml(v).map_err(|e| spec_err(format!("`set.\"{k}\"`: {e}")))?;
                Ok(Set { path: k.clone(), value: value.toml })
            })
            .collect::<Result<_, SweepError>>()?;
        let seeds =
            seeds_of(&file.seeds).map_err(|m| spec_err(format!("{}`seeds`: {m}", at(src, "seeds", 0))))?;
        let mut parameters = Vec::with_capacity(file.parameters.len());
        for (i, p) in file.parameters.iter().enumerate() {
            let here = format!("{}`parameters[{i}]`", at(src, "[[parameters]]", i));
            parameters.push(parameter(p).map_err(|m| spec_err(format!("{here}: {m}")))?);
        }
        for (i, p) in parameters.iter().enumerate() {
            if parameters[..i].iter().any(|q| q.path == p.path) || fixed.iter().any(|s| s.path == p.path) {
                return Err(spec_err(format!("`parameters[{i}].path`: `{}` is set twice", p.path)));
            }
        }
        let points = plan_points(&parameters, file.sampling_seed).map_err(spec_err)?;
        let runs = (points.len() as u64).saturating_mul(seeds.len() as u64);
        if runs > MAX_RUNS {
            return Err(spec_err(format!("{runs} runs planned, more than {MAX_RUNS}")));
        }
        let spec = Self {
            name: file.name.unwrap_or_else(|| default_name.to_string()),
            scenario_path,
            scenario_text,
            fixed,
            parameters,
            seeds,
            sampling_seed: file.sampling_seed,
            counterfactual: file.counterfactual,
            points,
        };
        spec.check_points()?;
        Ok(spec)
    }

    /// Every point's overrides applied to the scenario and validated (schema and meaning), so a
    /// bad value is refused before any run starts rather than in the middle of the sweep.
    fn check_points(&self) -> Result<(), SweepError> {
        let origin = self.scenario_path.display().to_string();
        for p in &self.points {
            edit_and_validate(&self.scenario_text, &origin, &self.sets_of(p.id))?;
        }
        Ok(())
    }

    /// The overrides of a point: the fixed ones, then its parameter values.
    #[must_use]
    pub fn sets_of(&self, point: u64) -> Vec<Set> {
        let mut sets = self.fixed.clone();
        if let Some(p) = self.points.get(point as usize) {
            for (param, v) in self.parameters.iter().zip(&p.values) {
                sets.push(Set { path: param.path.clone(), value: v.toml.clone() });
            }
        }
        sets
    }

    /// Runs planned in all: points × seeds.
    #[must_use]
    pub fn run_count(&self) -> u64 {
        self.points.len() as u64 * self.seeds.len() as u64
    }

    /// The run with this id.
    #[must_use]
    pub fn planned(&self, run_id: u64) -> Option<PlannedRun> {
        let n = self.seeds.len() as u64;
        (run_id < self.run_count()).then(|| PlannedRun {
            run_id,
            point: run_id / n,
            seed_index: run_id % n,
            seed: self.seeds[(run_id % n) as usize],
        })
    }

    /// Every run of the plan, by run id; with `shard = Some((i, n))` only those with
    /// `run_id mod n = i − 1` (shards are numbered from 1).
    #[must_use]
    pub fn runs(&self, shard: Option<(u32, u32)>) -> Vec<PlannedRun> {
        (0..self.run_count())
            .filter(|id| shard.is_none_or(|(i, n)| id % u64::from(n) == u64::from(i) - 1))
            .filter_map(|id| self.planned(id))
            .collect()
    }

    /// SHA-256 (hex) of what decides the results: scenario text, fixed overrides, every point,
    /// the seeds and the counterfactual switch.
    #[must_use]
    pub fn hash(&self) -> String {
        #[derive(Serialize)]
        struct Canon<'a> {
            format: u32,
            scenario_text: &'a str,
            fixed: &'a [Set],
            paths: Vec<&'a str>,
            points: &'a [Point],
            seeds: &'a [u64],
            counterfactual: bool,
        }
        let canon = Canon {
            format: PLAN_FORMAT,
            scenario_text: &self.scenario_text,
            fixed: &self.fixed,
            paths: self.parameters.iter().map(|p| p.path.as_str()).collect(),
            points: &self.points,
            seeds: &self.seeds,
            counterfactual: self.counterfactual,
        };
        let bytes = serde_json::to_vec(&canon).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }

    /// SHA-256 (hex) of the base scenario text.
    #[must_use]
    pub fn scenario_hash(&self) -> String {
        hex(&Sha256::digest(self.scenario_text.as_bytes()))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `line:column: ` of the `n`-th occurrence of `needle` at the start of a line, or nothing.
fn at(src: &str, needle: &str, n: usize) -> String {
    let mut offset = 0;
    let mut seen = 0;
    for line in src.split_inclusive('\n') {
        if line.trim_start().starts_with(needle) {
            if seen == n {
                let l = Location::of_offset(src, offset + (line.len() - line.trim_start().len()));
                return format!("{}:{}: ", l.line, l.column);
            }
            seen += 1;
        }
        offset += line.len();
    }
    String::new()
}

/// TOML syntax, then the schema; the first problem with its line, column and field.
fn parse_schema(src: &str) -> Result<SpecFile, String> {
    let root = toml::de::DeTable::parse(src).map_err(|e| {
        let loc = e.span().map(|s| Location::of_offset(src, s.start));
        let l = loc.map(|l| format!("{}:{}: ", l.line, l.column)).unwrap_or_default();
        format!("{l}malformed TOML: {}", e.message())
    })?;
    serde_path_to_error::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let l = inner
            .span()
            .map(|s| Location::of_offset(src, s.start))
            .map(|l| format!("{}:{}: ", l.line, l.column))
            .unwrap_or_default();
        let field = if path == "." { String::new() } else { format!("`{path}`: ") };
        format!("{l}{field}{}", inner.message())
    })
}

fn seeds_of(v: &toml::Value) -> Result<Vec<u64>, String> {
    let seed = |x: &toml::Value| match x {
        toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
        other => Err(format!("a seed must be a whole number ≥ 0, got {other}")),
    };
    let seeds: Vec<u64> = match v {
        toml::Value::Array(a) => a.iter().map(seed).collect::<Result<_, _>>()?,
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "count" && *k != "start") {
                return Err(format!("unknown key `{k}`, expected `count` and optionally `start`"));
            }
            let count = t.get("count").ok_or("`count` is missing, e.g. { count = 10, start = 1 }")?;
            let count = seed(count)?;
            let start = t.get("start").map(seed).transpose()?.unwrap_or(1);
            (0..count).map(|k| start.saturating_add(k)).collect()
        }
        other => return Err(format!("expected a list [1, 2, 3] or {{ count = N, start = S }}, got {other}")),
    };
    if seeds.is_empty() {
        return Err("at least one seed is needed".into());
    }
    for (i, s) in seeds.iter().enumerate() {
        if seeds[..i].contains(s) {
            return Err(format!("seed {s} is listed twice"));
        }
    }
    Ok(seeds)
}

fn parameter(p: &ParamFile) -> Result<Parameter, String> {
    parse_path(&p.path).map_err(|e| e.to_string())?;
    let kind = match (&p.values, &p.range) {
        (Some(_), Some(_)) => return Err("give `values` (a grid) or `range` (draws), not both".into()),
        (None, None) => return Err("give `values = [...]` (a grid) or `range = [lo, hi]` (draws)".into()),
        (Some(values), None) => {
            if p.sampling.is_some() || p.samples.is_some() || p.integer || p.log {
                return Err("`sampling`, `samples`, `integer` and `log` belong to a `range`".into());
            }
            if values.is_empty() {
                return Err("`values` is empty".into());
            }
            let values: Vec<ParamValue> =
                values.iter().map(ParamValue::from_toml).collect::<Result<_, _>>()?;
            for (i, v) in values.iter().enumerate() {
                if values[..i].iter().any(|w| w.toml == v.toml) {
                    return Err(format!("value {} is listed twice", v.toml));
                }
            }
            ParamKind::Grid { values }
        }
        (None, Some(r)) => {
            let [lo, hi] = r[..] else { return Err("`range` must be [lo, hi]".into()) };
            if !lo.is_finite() || !hi.is_finite() || lo >= hi {
                return Err(format!("`range` [{lo}, {hi}] must be finite with lo < hi"));
            }
            if p.log && lo <= 0.0 {
                return Err(format!("a `log` range needs lo > 0, got {lo}"));
            }
            if p.integer && hi.floor() < lo.ceil() {
                return Err(format!("no whole number lies in [{lo}, {hi}]"));
            }
            let sampling =
                p.sampling.ok_or("`sampling = \"random\"` or `\"lhs\"` is needed with a `range`")?;
            let samples =
                p.samples.filter(|n| *n > 0).ok_or("`samples = N` (N ≥ 1) is needed with a `range`")?;
            ParamKind::Range { lo, hi, sampling, samples, integer: p.integer, log: p.log }
        }
    };
    Ok(Parameter { path: p.path.clone(), kind })
}

/// The points: grid combinations (first parameter slowest) × the design of the range
/// parameters (fastest).
fn plan_points(params: &[Parameter], sampling_seed: u64) -> Result<Vec<Point>, String> {
    let mut samples = None;
    for (i, p) in params.iter().enumerate() {
        if let ParamKind::Range { samples: n, .. } = p.kind {
            match samples {
                None => samples = Some(n),
                Some(m) if m != n => {
                    return Err(format!(
                        "`parameters[{i}].samples` is {n} but an earlier range has {m}: range parameters share one design"
                    ));
                }
                _ => {}
            }
        }
    }
    let design = design(params, samples.unwrap_or(1) as usize, sampling_seed);
    let grid_sizes: Vec<usize> = params
        .iter()
        .map(|p| match &p.kind {
            ParamKind::Grid { values } => values.len(),
            ParamKind::Range { .. } => 1,
        })
        .collect();
    let combos: usize = grid_sizes.iter().product();
    let total = combos.saturating_mul(design.len());
    if total as u64 > MAX_RUNS {
        return Err(format!("{total} parameter points, more than {MAX_RUNS}"));
    }
    let mut points = Vec::with_capacity(total);
    for c in 0..combos {
        // Mixed-radix digits of c, first parameter most significant.
        let mut digits = vec![0usize; params.len()];
        let mut rest = c;
        for (k, n) in grid_sizes.iter().enumerate().rev() {
            digits[k] = rest % n;
            rest /= n;
        }
        for d in &design {
            let values = params
                .iter()
                .enumerate()
                .map(|(k, p)| match &p.kind {
                    ParamKind::Grid { values } => values[digits[k]].clone(),
                    ParamKind::Range { .. } => d[k].clone().unwrap_or_else(|| ParamValue::drawn(0.0, false)),
                })
                .collect();
            points.push(Point { id: points.len() as u64, values });
        }
    }
    Ok(points)
}

/// `n` design points: for each, a drawn value per range parameter (`None` for grid ones).
/// One ChaCha8 stream: first a permutation per LHS parameter (in parameter order), then, point
/// by point and parameter by parameter, one uniform draw.
fn design(params: &[Parameter], n: usize, seed: u64) -> Vec<Vec<Option<ParamValue>>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let perms: Vec<Option<Vec<usize>>> = params
        .iter()
        .map(|p| match p.kind {
            ParamKind::Range { sampling: Sampling::Lhs, .. } => {
                let mut perm: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    let j = rng.random_range(0..=i);
                    perm.swap(i, j);
                }
                Some(perm)
            }
            _ => None,
        })
        .collect();
    (0..n)
        .map(|j| {
            params
                .iter()
                .zip(&perms)
                .map(|(p, perm)| match p.kind {
                    ParamKind::Range { lo, hi, integer, log, .. } => {
                        let r: f64 = rng.random();
                        let u = perm.as_ref().map_or(r, |perm| (perm[j] as f64 + r) / n as f64);
                        let v = scale(lo, hi, log, u);
                        let v = if integer { v.round().clamp(lo.ceil(), hi.floor()) } else { v };
                        Some(ParamValue::drawn(v, integer))
                    }
                    ParamKind::Grid { .. } => None,
                })
                .collect()
        })
        .collect()
}

/// `u ∈ [0, 1)` mapped onto `[lo, hi]`, linearly or in log space.
#[must_use]
pub fn scale(lo: f64, hi: f64, log: bool, u: f64) -> f64 {
    let v = if log { (lo.ln() + u * (hi.ln() - lo.ln())).exp() } else { lo + u * (hi - lo) };
    v.clamp(lo, hi)
}
