//! Writers: tables to CSV and Parquet, the summary to JSON, and a whole run into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use cascade_sim::metrics::{Recording, RunSummary};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

use crate::error::IoError;
use crate::files::write_atomic;
use crate::run_dir::write_run_dir;
use crate::table::{Cell, ColumnType, Table};

/// Rows per Arrow record batch: bounds memory while converting a long series.
const BATCH_ROWS: usize = 65_536;

/// The `created_by` recorded in Parquet footers: fixed, so files do not change with the
/// parquet crate's version string.
pub const PARQUET_CREATED_BY: &str = "cascade-io";

/// An exact decimal as CSV text: trailing zeros removed.
fn dec_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// An exact decimal as the nearest `f64` (parsing its text: correctly rounded).
fn dec_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Writes `rows` to `path` as CSV with a header line, atomically.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_csv<R: Table>(path: &Path, rows: &[R]) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        let csv_err = |source| IoError::Csv { path: path.to_path_buf(), source };
        let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(w);
        let cols = R::columns();
        out.write_record(cols.iter().map(|c| c.name)).map_err(csv_err)?;
        let mut record: Vec<String> = Vec::with_capacity(cols.len());
        for row in rows {
            record.clear();
            record.extend(cols.iter().map(|c| match (c.get)(row) {
                Cell::U64(v) => v.to_string(),
                Cell::OptU32(v) => v.map(|v| v.to_string()).unwrap_or_default(),
                Cell::Str(s) => s.to_string(),
                Cell::Dec(d) => dec_text(d),
                Cell::OptDec(d) => d.map(dec_text).unwrap_or_default(),
                Cell::OptF64(x) => x.map(|x| x.to_string()).unwrap_or_default(),
            }));
            out.write_record(&record).map_err(csv_err)?;
        }
        out.flush().map_err(|source| IoError::File { path: path.to_path_buf(), action: "writing", source })
    })
}

/// The Arrow schema of table `R`.
#[must_use]
pub fn arrow_schema<R: Table>() -> Schema {
    Schema::new(
        R::columns()
            .iter()
            .map(|c| {
                let (ty, nullable) = match c.ty {
                    ColumnType::U64 => (DataType::UInt64, false),
                    ColumnType::OptU32 => (DataType::UInt32, true),
                    ColumnType::Str => (DataType::Utf8, false),
                    ColumnType::Dec => (DataType::Float64, false),
                    ColumnType::OptDec | ColumnType::OptF64 => (DataType::Float64, true),
                };
                Field::new(c.name, ty, nullable)
            })
            .collect::<Vec<_>>(),
    )
}

/// One record batch of `rows`.
fn batch<R: Table>(schema: &Arc<Schema>, rows: &[R]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let columns: Vec<ArrayRef> = R::columns()
        .iter()
        .map(|c| -> ArrayRef {
            let cells = rows.iter().map(|r| (c.get)(r));
            match c.ty {
                ColumnType::U64 => Arc::new(UInt64Array::from_iter_values(cells.map(|x| match x {
                    Cell::U64(v) => v,
                    other => unreachable!("column {} declared U64, got {other:?}", c.name),
                }))),
                ColumnType::OptU32 => Arc::new(UInt32Array::from_iter(cells.map(|x| match x {
                    Cell::OptU32(v) => v,
                    other => unreachable!("column {} declared OptU32, got {other:?}", c.name),
                }))),
                ColumnType::Str => Arc::new(StringArray::from_iter_values(cells.map(|x| match x {
                    Cell::Str(s) => s,
                    other => unreachable!("column {} declared Str, got {other:?}", c.name),
                }))),
                ColumnType::Dec => Arc::new(Float64Array::from_iter_values(cells.map(|x| match x {
                    Cell::Dec(d) => dec_f64(d),
                    other => unreachable!("column {} declared Dec, got {other:?}", c.name),
                }))),
                ColumnType::OptDec => Arc::new(Float64Array::from_iter(cells.map(|x| match x {
                    Cell::OptDec(d) => d.map(dec_f64),
                    other => unreachable!("column {} declared OptDec, got {other:?}", c.name),
                }))),
                ColumnType::OptF64 => Arc::new(Float64Array::from_iter(cells.map(|x| match x {
                    Cell::OptF64(v) => v,
                    other => unreachable!("column {} declared OptF64, got {other:?}", c.name),
                }))),
            }
        })
        .collect();
    RecordBatch::try_new(Arc::clone(schema), columns)
}

/// `rows` as Arrow record batches of at most 65,536 rows each, with [`arrow_schema`]'s columns:
/// the columns the Parquet file of table `R` holds (decimals as the nearest `f64`), for callers
/// that hand the table on in memory (the Python package) rather than write it.
///
/// # Errors
/// Arrow's error if a column cannot be built (never for rows produced by the simulator).
pub fn record_batches<R: Table>(rows: &[R]) -> Result<Vec<RecordBatch>, arrow_schema::ArrowError> {
    let schema = Arc::new(arrow_schema::<R>());
    rows.chunks(BATCH_ROWS).map(|chunk| batch(&schema, chunk)).collect()
}

/// Writes `rows` to `path` as Parquet (Snappy-compressed, one row group per million rows),
/// atomically. The same rows always give the same bytes: no timestamps, a fixed `created_by`.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_parquet<R: Table>(path: &Path, rows: &[R]) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        let pq_err = |source| IoError::Parquet { path: path.to_path_buf(), source };
        let schema = Arc::new(arrow_schema::<R>());
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(PARQUET_CREATED_BY.to_string())
            .build();
        let mut writer = ArrowWriter::try_new(w, Arc::clone(&schema), Some(props)).map_err(pq_err)?;
        for chunk in rows.chunks(BATCH_ROWS) {
            let b = batch(&schema, chunk)
                .map_err(|source| IoError::Arrow { path: path.to_path_buf(), source })?;
            writer.write(&b).map_err(pq_err)?;
        }
        writer.close().map_err(pq_err)?;
        Ok(())
    })
}

/// Writes the run summary as pretty JSON (two-space indent, fields in declaration order, a final
/// newline), atomically.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_summary_json(path: &Path, summary: &RunSummary) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        serde_json::to_writer_pretty(&mut *w, summary)
            .map_err(|source| IoError::Json { path: path.to_path_buf(), source })?;
        w.write_all(b"\n").map_err(|source| IoError::File {
            path: path.to_path_buf(),
            action: "writing",
            source,
        })
    })
}

/// The files [`write_run`] wrote, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFiles {
    /// Every path written.
    pub paths: Vec<PathBuf>,
}

/// Writes a run into `dir`: `series`, `liquidations` and `adl` as `.csv` and `.parquet`,
/// `summary.json` and, last, `manifest.json` — all into a temporary sibling directory that then
/// replaces `dir` in one step (see [`crate::run_dir`]): `dir` is the old complete run or the new
/// complete run, never a mix, and a failure changes nothing there.
///
/// # Errors
/// [`IoError`] naming the file that failed.
pub fn write_run(dir: &Path, rec: &Recording) -> Result<RunFiles, IoError> {
    write_run_with(dir, rec, None)
}

/// [`write_run`], with the scenario text that produced the run saved beside it as
/// `scenario.toml` (and hashed into the manifest).
///
/// # Errors
/// As [`write_run`].
pub fn write_run_with(dir: &Path, rec: &Recording, scenario_text: Option<&str>) -> Result<RunFiles, IoError> {
    fn both<R: Table>(dir: &Path, rows: &[R], names: &mut Vec<(String, Option<u64>)>) -> Result<(), IoError> {
        write_csv(&dir.join(format!("{}.csv", R::NAME)), rows)?;
        names.push((format!("{}.csv", R::NAME), Some(rows.len() as u64)));
        write_parquet(&dir.join(format!("{}.parquet", R::NAME)), rows)?;
        names.push((format!("{}.parquet", R::NAME), None));
        Ok(())
    }
    let s = &rec.summary;
    let manifest = write_run_dir(dir, &s.scenario, s.seed, scenario_text, |tmp| {
        let mut names = Vec::new();
        both(tmp, &rec.series, &mut names)?;
        both(tmp, &rec.liquidations, &mut names)?;
        both(tmp, &rec.adl, &mut names)?;
        write_summary_json(&tmp.join("summary.json"), &rec.summary)?;
        names.push(("summary.json".to_string(), None));
        if let Some(text) = scenario_text {
            let path = tmp.join("scenario.toml");
            write_atomic(&path, |path, w| {
                w.write_all(text.as_bytes()).map_err(|source| IoError::File {
                    path: path.to_path_buf(),
                    action: "writing",
                    source,
                })
            })?;
            names.push(("scenario.toml".to_string(), None));
        }
        Ok(names)
    })?;
    let mut paths: Vec<PathBuf> = manifest.files.iter().map(|f| dir.join(&f.name)).collect();
    paths.push(dir.join(crate::run_dir::MANIFEST));
    Ok(RunFiles { paths })
}
