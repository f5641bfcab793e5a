//! The files of `cascade compare`: `compare.json` (everything: seeds, figures, per-seed values,
//! summaries, paired differences with their intervals), and two tidy tables as CSV and Parquet:
//! `compare.{csv,parquet}` (one row per policy × figure × seed) and
//! `compare-summary.{csv,parquet}` (one row per policy × figure).
//!
//! Layout only: the numbers come from [`cascade_sim::compare::Comparison`]. Deterministic: the
//! same comparison gives byte-identical files.

use std::io::Write;
use std::path::{Path, PathBuf};

use cascade_sim::compare::Comparison;

use crate::error::IoError;
use crate::files::write_atomic;
use crate::table::{Cell, Column, ColumnType, Table, col};
use crate::write::{write_csv, write_parquet};

/// One run's figure: a row of `compare.csv` / `compare.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    /// Policy name (`baseline` for the scenario as it is).
    pub policy: String,
    /// Figure name.
    pub figure: String,
    /// Its unit.
    pub unit: String,
    /// Seed of the run.
    pub seed: u64,
    /// The figure (empty: none for this run, e.g. not recovered).
    pub value: Option<f64>,
    /// The baseline's figure for the same seed.
    pub baseline: Option<f64>,
    /// `value − baseline` (empty when either is).
    pub diff: Option<f64>,
}

static COMPARE: [Column<CompareRow>; 7] = [
    col!(policy, Str),
    col!(figure, Str),
    col!(unit, Str),
    col!(seed, U64),
    col!(value, OptF64),
    col!(baseline, OptF64),
    col!(diff, OptF64),
];

impl Table for CompareRow {
    const NAME: &'static str = "compare";
    fn columns() -> &'static [Column<Self>] {
        &COMPARE
    }
}

/// One policy's figure over the seeds: a row of `compare-summary.csv` / `.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareSummaryRow {
    /// Policy name.
    pub policy: String,
    /// Figure name.
    pub figure: String,
    /// Its unit.
    pub unit: String,
    /// Seeds with a value.
    pub n: u64,
    /// Mean over those seeds.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 5th percentile.
    pub p5: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Seeds where both this policy and the baseline have a value.
    pub diff_n: u64,
    /// Mean of `policy − baseline` over those seeds (empty for the baseline).
    pub diff_mean: Option<f64>,
    /// Median of the differences.
    pub diff_median: Option<f64>,
    /// Lower end of the 95 % bootstrap interval of the mean difference.
    pub diff_ci_lo: Option<f64>,
    /// Upper end.
    pub diff_ci_hi: Option<f64>,
}

static SUMMARY: [Column<CompareSummaryRow>; 13] = [
    col!(policy, Str),
    col!(figure, Str),
    col!(unit, Str),
    col!(n, U64),
    col!(mean, OptF64),
    col!(median, OptF64),
    col!(p5, OptF64),
    col!(p95, OptF64),
    col!(diff_n, U64),
    col!(diff_mean, OptF64),
    col!(diff_median, OptF64),
    col!(diff_ci_lo, OptF64),
    col!(diff_ci_hi, OptF64),
];

impl Table for CompareSummaryRow {
    const NAME: &'static str = "compare-summary";
    fn columns() -> &'static [Column<Self>] {
        &SUMMARY
    }
}

/// The per-seed rows, policy by policy, figure by figure, seed by seed.
#[must_use]
pub fn compare_rows(c: &Comparison) -> Vec<CompareRow> {
    let mut out = Vec::new();
    let baseline = c.policies.first();
    for p in &c.policies {
        for (f, (fig, def)) in p.figures.iter().zip(&c.figures).enumerate() {
            let base = baseline.and_then(|b| b.figures.get(f));
            for (k, (&seed, &value)) in c.seeds.iter().zip(&fig.values).enumerate() {
                let b = base.and_then(|b| b.values.get(k).copied().flatten());
                out.push(CompareRow {
                    policy: p.name.clone(),
                    figure: fig.figure.clone(),
                    unit: def.unit.clone(),
                    seed,
                    value,
                    baseline: b,
                    diff: value.zip(b).map(|(v, b)| v - b),
                });
            }
        }
    }
    out
}

/// The summary rows, policy by policy, figure by figure.
#[must_use]
pub fn compare_summary_rows(c: &Comparison) -> Vec<CompareSummaryRow> {
    let mut out = Vec::new();
    for p in &c.policies {
        for (fig, def) in p.figures.iter().zip(&c.figures) {
            let s = &fig.summary;
            let d = fig.vs_baseline.as_ref();
            out.push(CompareSummaryRow {
                policy: p.name.clone(),
                figure: fig.figure.clone(),
                unit: def.unit.clone(),
                n: s.n as u64,
                mean: s.mean,
                median: s.median,
                p5: s.p5,
                p95: s.p95,
                diff_n: d.map_or(0, |d| d.n as u64),
                diff_mean: d.and_then(|d| d.mean),
                diff_median: d.and_then(|d| d.median),
                diff_ci_lo: d.and_then(|d| d.ci_lo),
                diff_ci_hi: d.and_then(|d| d.ci_hi),
            });
        }
    }
    out
}

/// Writes `value` as pretty JSON with a final newline, atomically.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        serde_json::to_writer_pretty(&mut *w, value)
            .map_err(|source| IoError::Json { path: path.to_path_buf(), source })?;
        w.write_all(b"\n").map_err(|source| IoError::File {
            path: path.to_path_buf(),
            action: "writing",
            source,
        })
    })
}

/// Writes `compare.json`, `compare.{csv,parquet}` and `compare-summary.{csv,parquet}` into
/// `dir` (created if missing); returns the paths in that order.
///
/// # Errors
/// [`IoError`] naming the file or directory that failed.
pub fn write_comparison(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(dir).map_err(|source| IoError::File {
        path: dir.to_path_buf(),
        action: "creating the output directory",
        source,
    })?;
    let json = dir.join("compare.json");
    write_json(&json, c)?;
    let rows = compare_rows(c);
    let summary = compare_summary_rows(c);
    let paths = [
        json,
        dir.join("compare.csv"),
        dir.join("compare.parquet"),
        dir.join("compare-summary.csv"),
        dir.join("compare-summary.parquet"),
    ];
    write_csv(&paths[1], &rows)?;
    write_parquet(&paths[2], &rows)?;
    write_csv(&paths[3], &summary)?;
    write_parquet(&paths[4], &summary)?;
    Ok(paths.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cascade_sim::compare::{FigureDef, PolicyRuns};

    fn comparison() -> Comparison {
        let defs = vec![FigureDef { name: "a".into(), unit: "USD".into(), description: String::new() }];
        let base =
            PolicyRuns { name: "baseline".into(), file: None, per_seed: vec![vec![Some(1.5)], vec![None]] };
        let p = PolicyRuns {
            name: "p".into(),
            file: Some("p.toml".into()),
            per_seed: vec![vec![Some(1.0)], vec![Some(4.0)]],
        };
        Comparison::build("s", "s.toml", &[7, 8], defs, &[base, p])
    }

    #[test]
    fn rows_pair_each_seed_with_the_baseline() {
        let rows = compare_rows(&comparison());
        assert_eq!(rows.len(), 4);
        assert_eq!((rows[2].policy.as_str(), rows[2].seed, rows[2].diff), ("p", 7, Some(-0.5)));
        assert_eq!((rows[3].value, rows[3].baseline, rows[3].diff), (Some(4.0), None, None));
        let s = compare_summary_rows(&comparison());
        assert_eq!((s[0].n, s[0].diff_n, s[0].diff_mean), (1, 0, None));
        assert_eq!((s[1].n, s[1].mean, s[1].diff_n, s[1].diff_ci_lo), (2, Some(2.5), 1, Some(-0.5)));
    }

    #[test]
    fn files_are_written_and_csv_shows_missing_as_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = write_comparison(tmp.path(), &comparison()).unwrap();
        assert_eq!(paths.len(), 5);
        let csv = std::fs::read_to_string(tmp.path().join("compare.csv")).unwrap();
        assert_eq!(
            csv,
            "policy,figure,unit,seed,value,baseline,diff\n\
             baseline,a,USD,7,1.5,1.5,0\n\
             baseline,a,USD,8,,,\n\
             p,a,USD,7,1,1.5,-0.5\n\
             p,a,USD,8,4,,\n"
        );
        let json = std::fs::read_to_string(tmp.path().join("compare.json")).unwrap();
        assert!(json.contains("\"values\": [\n            1.5,\n            null\n          ]"), "{json}");
        assert!(std::fs::metadata(tmp.path().join("compare.parquet")).unwrap().len() > 0);
    }
}
