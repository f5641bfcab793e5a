//! The sweep's tables laid out: `runs` (one row per run) and `aggregate` (one row per point),
//! each with `run_id`/`seed` (ranges for a point) and `scenario_hash` columns, the swept
//! parameters' values, and the Parquet metadata naming the sweep.

use std::path::{Path, PathBuf};

use crate::aggregate::{Aggregates, Dist, Risk};
use crate::error::SweepError;
use crate::figures::{FigureDef, Kind, Value};
use crate::journal::RunRow;
use crate::spec::SweepSpec;
use crate::table::{Cell, ColType, DynTable};

/// Program version written into every table's metadata.
pub const PROGRAM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Parquet key-value metadata of the sweep's tables.
#[must_use]
pub fn metadata(spec: &SweepSpec) -> Vec<(String, String)> {
    vec![
        ("cascade.sweep".into(), spec.name.clone()),
        ("cascade.scenario_sha256".into(), spec.scenario_hash()),
        ("cascade.spec_sha256".into(), spec.hash()),
        ("cascade.program_version".into(), PROGRAM_VERSION.into()),
    ]
}

/// Whether every value of parameter `k` is a number (then its column is `Float64`).
fn numeric(spec: &SweepSpec, k: usize) -> bool {
    spec.points.iter().all(|p| p.values.get(k).is_some_and(|v| v.number.is_some()))
}

fn param_columns(spec: &SweepSpec) -> Vec<(String, ColType)> {
    spec.parameters
        .iter()
        .enumerate()
        .map(|(k, p)| (p.path.clone(), if numeric(spec, k) { ColType::F64 } else { ColType::Str }))
        .collect()
}

fn param_cells(spec: &SweepSpec, point: u64) -> Vec<Cell> {
    let p = spec.points.get(point as usize);
    (0..spec.parameters.len())
        .map(|k| {
            let v = p.and_then(|p| p.values.get(k));
            if numeric(spec, k) {
                Cell::F64(v.and_then(|v| v.number))
            } else {
                Cell::Str(v.map(|v| v.text.clone()).unwrap_or_default())
            }
        })
        .collect()
}

/// The runs table, rows by run id. With a scenario start time, `first_liquidation_utc` gives
/// the first liquidation as a UTC timestamp too.
#[must_use]
pub fn runs_table(
    spec: &SweepSpec,
    defs: &[FigureDef],
    rows: &[&RunRow],
    start_unix_ms: Option<u64>,
) -> DynTable {
    let mut columns = vec![
        ("run_id".to_string(), ColType::U64),
        ("point".to_string(), ColType::U64),
        ("seed".to_string(), ColType::U64),
        ("scenario_hash".to_string(), ColType::Str),
    ];
    columns.extend(param_columns(spec));
    for d in defs {
        let ty = match d.kind {
            Kind::Money => ColType::Dec,
            Kind::Count => ColType::OptU64,
            Kind::Ratio => ColType::F64,
            Kind::Flag => ColType::Bool,
        };
        columns.push((d.name.clone(), ty));
    }
    let first_liq = defs.iter().position(|d| d.name == "first_liquidation_ms");
    if start_unix_ms.is_some() {
        columns.push(("first_liquidation_utc".into(), ColType::UtcMs));
    }
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| r.run_id);
    let out = sorted
        .iter()
        .map(|r| {
            let mut cells = vec![
                Cell::U64(Some(r.run_id)),
                Cell::U64(Some(r.point)),
                Cell::U64(Some(r.seed)),
                Cell::Str(r.scenario_hash.clone()),
            ];
            cells.extend(param_cells(spec, r.point));
            for (d, v) in defs.iter().zip(&r.figures) {
                cells.push(match (d.kind, v) {
                    (Kind::Money, Some(Value::Money(m))) => Cell::Dec(Some(*m)),
                    (Kind::Money, _) => Cell::Dec(None),
                    (Kind::Count, Some(Value::Count(n))) => Cell::U64(Some(*n)),
                    (Kind::Count, _) => Cell::U64(None),
                    (Kind::Ratio, Some(Value::Ratio(x))) => Cell::F64(Some(*x)),
                    (Kind::Ratio, _) => Cell::F64(None),
                    (Kind::Flag, Some(Value::Flag(b))) => Cell::Bool(Some(*b)),
                    (Kind::Flag, _) => Cell::Bool(None),
                });
            }
            if let Some(start) = start_unix_ms {
                let at = first_liq.and_then(|k| r.figures.get(k).copied().flatten()).and_then(|v| match v {
                    Value::Count(ms) => i64::try_from(start.saturating_add(ms)).ok(),
                    _ => None,
                });
                cells.push(Cell::UtcMs(at));
            }
            cells
        })
        .collect();
    DynTable { columns, rows: out, metadata: metadata(spec) }
}

fn dist_columns(prefix: &str, columns: &mut Vec<(String, ColType)>) {
    for s in ["mean", "median", "p5", "p95"] {
        columns.push((format!("{prefix}_{s}"), ColType::F64));
    }
}

fn dist_cells(d: &Dist, cells: &mut Vec<Cell>) {
    cells.extend([d.mean, d.median, d.p5, d.p95].map(Cell::F64));
}

fn risk_columns(prefix: &str, columns: &mut Vec<(String, ColType)>) {
    dist_columns(prefix, columns);
    for s in ["var95", "es95", "var99", "es99"] {
        columns.push((format!("{prefix}_{s}"), ColType::F64));
    }
}

fn risk_cells(r: &Risk, cells: &mut Vec<Cell>) {
    dist_cells(&r.dist, cells);
    cells.extend([r.var95, r.es95, r.var99, r.es99].map(Cell::F64));
}

/// The aggregate table, one row per point.
#[must_use]
pub fn aggregate_table(spec: &SweepSpec, agg: &Aggregates) -> DynTable {
    let mut columns = vec![
        ("point".to_string(), ColType::U64),
        ("runs".to_string(), ColType::U64),
        ("run_id_first".to_string(), ColType::U64),
        ("run_id_last".to_string(), ColType::U64),
        ("seed_first".to_string(), ColType::U64),
        ("seed_last".to_string(), ColType::U64),
        ("scenario_hash".to_string(), ColType::Str),
    ];
    columns.extend(param_columns(spec));
    risk_columns("liquidated_notional", &mut columns);
    risk_columns("bad_debt", &mut columns);
    dist_columns("insurance_fund_drawdown", &mut columns);
    dist_columns("peak_to_trough_pct", &mut columns);
    columns.push(("amplification_n".into(), ColType::U64));
    dist_columns("amplification", &mut columns);
    columns.push(("p_fund_exhausted".into(), ColType::F64));
    columns.push(("p_adl".into(), ColType::F64));
    let rows = agg
        .points
        .iter()
        .map(|a| {
            let mut cells = vec![
                Cell::U64(Some(a.point)),
                Cell::U64(Some(a.runs)),
                Cell::U64(Some(a.run_ids.0)),
                Cell::U64(Some(a.run_ids.1)),
                Cell::U64(Some(a.seeds.0)),
                Cell::U64(Some(a.seeds.1)),
                Cell::Str(a.scenario_hash.clone()),
            ];
            cells.extend(param_cells(spec, a.point));
            risk_cells(&a.liquidated, &mut cells);
            risk_cells(&a.bad_debt, &mut cells);
            dist_cells(&a.fund_drawdown, &mut cells);
            dist_cells(&a.peak_to_trough, &mut cells);
            cells.push(Cell::U64(Some(a.amplification.n)));
            dist_cells(&a.amplification, &mut cells);
            cells.push(Cell::F64(a.p_fund_exhausted));
            cells.push(Cell::F64(a.p_adl));
            cells
        })
        .collect();
    DynTable { columns, rows, metadata: metadata(spec) }
}

/// The files a sweep directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFiles {
    /// One row per run, by run id.
    pub runs_parquet: PathBuf,
    /// The same as CSV (money exact).
    pub runs_csv: PathBuf,
    /// One row per point.
    pub aggregate_parquet: PathBuf,
    /// The same as CSV.
    pub aggregate_csv: PathBuf,
    /// The HTML report.
    pub report: PathBuf,
}

impl SweepFiles {
    /// The files' paths in `dir`.
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            runs_parquet: dir.join("runs.parquet"),
            runs_csv: dir.join("runs.csv"),
            aggregate_parquet: dir.join("aggregate.parquet"),
            aggregate_csv: dir.join("aggregate.csv"),
            report: dir.join("sweep-report.html"),
        }
    }
}

/// Writes the runs table (Parquet only: the periodic refresh while a sweep runs).
///
/// # Errors
/// The file that failed.
pub fn write_runs_parquet(dir: &Path, table: &DynTable) -> Result<(), SweepError> {
    table.write_parquet(&SweepFiles::in_dir(dir).runs_parquet)
}
