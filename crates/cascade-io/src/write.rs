//! Writers: tables to CSV and Parquet, the summary to JSON, and a whole run into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use cascade_sim::metrics::{Recording, RunSummary};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::cell_format::{UtcCache, dec_f64, push_dec, push_f64, push_u64};
use crate::error::IoError;
use crate::files::write_atomic;
use crate::run_dir::write_run_dir;
use crate::table::{Cell, ColumnType, Table};
use crate::tag::RunTag;

/// Rows per Arrow record batch: bounds memory while converting a long series.
const BATCH_ROWS: usize = 65_536;

/// The `created_by` recorded in Parquet footers: fixed, so files do not change with the
/// parquet crate's version string.
pub const PARQUET_CREATED_BY: &str = "cascade-io";

/// Writes `rows` to `path` as CSV with a header line, atomically.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_csv<R: Table>(path: &Path, rows: &[R]) -> Result<(), IoError> {
    write_csv_tagged(path, rows, None)
}

/// Appends the CSV text of one cell (before quoting, which the CSV writer adds where needed).
fn push_cell(out: &mut Vec<u8>, cell: Cell<'_>) {
    match cell {
        Cell::U64(v) => push_u64(out, v),
        Cell::OptU32(v) => {
            if let Some(v) = v {
                push_u64(out, u64::from(v));
            }
        }
        Cell::Str(s) => out.extend_from_slice(s.as_bytes()),
        Cell::Dec(d) => push_dec(out, d),
        Cell::OptDec(d) => {
            if let Some(d) = d {
                push_dec(out, d);
            }
        }
        Cell::OptF64(x) => {
            if let Some(x) = x {
                push_f64(out, x);
            }
        }
    }
}

/// Whether column `name` is followed by a `time_utc` column under `tag`.
fn gets_utc(name: &str, tag: Option<&RunTag>) -> Option<u64> {
    (name == TIME_COLUMN).then(|| tag.and_then(|t| t.start_unix_ms)).flatten()
}

/// The column a `time_utc` column is derived from and follows.
const TIME_COLUMN: &str = "time_ms";

/// [`write_csv`], with `tag`'s columns when given: `run_id`, `seed` and `scenario_hash` first,
/// and `time_utc` after `time_ms` when the run has a start time (see [`RunTag`]).
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_csv_tagged<R: Table>(path: &Path, rows: &[R], tag: Option<&RunTag>) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        let csv_err = |source| IoError::Csv { path: path.to_path_buf(), source };
        let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(w);
        let cols = R::columns();
        let mut header: Vec<&str> = Vec::with_capacity(cols.len() + 4);
        let ids = tag.map(|t| [t.run_id.to_string(), t.seed.to_string(), t.scenario_sha256.clone()]);
        if ids.is_some() {
            header.extend(RunTag::COLUMNS);
        }
        for c in cols {
            header.push(c.name);
            if gets_utc(c.name, tag).is_some() {
                header.push(RunTag::UTC_COLUMN);
            }
        }
        out.write_record(&header).map_err(csv_err)?;
        // Which column (if any) a `time_utc` cell follows, and the start it counts from.
        let utc_after: Vec<Option<u64>> = cols.iter().map(|c| gets_utc(c.name, tag)).collect();
        // One row's cells side by side in `line`, cell `i` ending at `ends[i]`: no allocation
        // per cell or row.
        let (mut line, mut ends) = (Vec::with_capacity(256), Vec::with_capacity(header.len()));
        let mut utc = UtcCache::default();
        for row in rows {
            line.clear();
            ends.clear();
            if let Some(ids) = &ids {
                for id in ids {
                    line.extend_from_slice(id.as_bytes());
                    ends.push(line.len());
                }
            }
            for (c, at) in cols.iter().zip(&utc_after) {
                let cell = (c.get)(row);
                push_cell(&mut line, cell);
                ends.push(line.len());
                if let (Some(start), Cell::U64(ms)) = (*at, cell) {
                    utc.push(&mut line, utc_ms(start, ms));
                    ends.push(line.len());
                }
            }
            let fields = ends.iter().scan(0, |from, &to| {
                let f = &line[*from..to];
                *from = to;
                Some(f)
            });
            out.write_record(fields).map_err(csv_err)?;
        }
        out.flush().map_err(|source| IoError::File { path: path.to_path_buf(), action: "writing", source })
    })
}

/// Unix milliseconds of simulated time `ms` in a run that starts at `start` (saturating: no
/// run lasts 292 million years).
fn utc_ms(start: u64, ms: u64) -> i64 {
    i64::try_from(start.saturating_add(ms)).unwrap_or(i64::MAX)
}

/// The Arrow schema of table `R`.
#[must_use]
pub fn arrow_schema<R: Table>() -> Schema {
    arrow_schema_tagged::<R>(None)
}

/// The Arrow schema of table `R` with `tag`'s columns (see [`write_csv_tagged`]); `time_utc`
/// is a `Timestamp(ms, "UTC")`. The schema itself carries no metadata: Arrow keeps it in a
/// hash map, whose order would make the Parquet bytes vary; [`write_parquet_tagged`] puts the
/// tag in the file's key-value metadata instead.
#[must_use]
pub fn arrow_schema_tagged<R: Table>(tag: Option<&RunTag>) -> Schema {
    let mut fields = Vec::with_capacity(R::columns().len() + 4);
    if tag.is_some() {
        fields.push(Field::new(RunTag::COLUMNS[0], DataType::UInt64, false));
        fields.push(Field::new(RunTag::COLUMNS[1], DataType::UInt64, false));
        fields.push(Field::new(RunTag::COLUMNS[2], DataType::Utf8, false));
    }
    for c in R::columns() {
        let (ty, nullable) = match c.ty {
            ColumnType::U64 => (DataType::UInt64, false),
            ColumnType::OptU32 => (DataType::UInt32, true),
            ColumnType::Str => (DataType::Utf8, false),
            ColumnType::Dec => (DataType::Float64, false),
            ColumnType::OptDec | ColumnType::OptF64 => (DataType::Float64, true),
        };
        fields.push(Field::new(c.name, ty, nullable));
        if gets_utc(c.name, tag).is_some() {
            fields.push(Field::new(
                RunTag::UTC_COLUMN,
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ));
        }
    }
    Schema::new(fields)
}

/// One record batch of `rows`.
fn batch<R: Table>(
    schema: &Arc<Schema>,
    rows: &[R],
    tag: Option<&RunTag>,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    if let Some(t) = tag {
        columns.push(Arc::new(UInt64Array::from_value(t.run_id, rows.len())));
        columns.push(Arc::new(UInt64Array::from_value(t.seed, rows.len())));
        columns.push(Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            t.scenario_sha256.as_str(),
            rows.len(),
        ))));
    }
    for c in R::columns() {
        let cells = rows.iter().map(|r| (c.get)(r));
        columns.push(match c.ty {
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
        });
        if let Some(start) = gets_utc(c.name, tag) {
            let times = rows.iter().map(|r| match (c.get)(r) {
                Cell::U64(ms) => utc_ms(start, ms),
                other => unreachable!("column {} declared U64, got {other:?}", c.name),
            });
            columns.push(Arc::new(TimestampMillisecondArray::from_iter_values(times).with_timezone("UTC")));
        }
    }
    RecordBatch::try_new(Arc::clone(schema), columns)
}

/// `rows` as Arrow record batches of at most 65,536 rows each, with [`arrow_schema`]'s columns:
/// the columns the Parquet file of table `R` holds (decimals as the nearest `f64`), for callers
/// that hand the table on in memory (the Python package) rather than write it.
///
/// # Errors
/// Arrow's error if a column cannot be built (never for rows produced by the simulator).
pub fn record_batches<R: Table>(rows: &[R]) -> Result<Vec<RecordBatch>, arrow_schema::ArrowError> {
    record_batches_tagged(rows, None)
}

/// [`record_batches`] with `tag`'s columns (see [`arrow_schema_tagged`]).
///
/// # Errors
/// As [`record_batches`].
pub fn record_batches_tagged<R: Table>(
    rows: &[R],
    tag: Option<&RunTag>,
) -> Result<Vec<RecordBatch>, arrow_schema::ArrowError> {
    let schema = Arc::new(arrow_schema_tagged::<R>(tag));
    rows.chunks(BATCH_ROWS).map(|chunk| batch(&schema, chunk, tag)).collect()
}

/// Writes `rows` to `path` as Parquet (Snappy-compressed, one row group per million rows),
/// atomically. The same rows always give the same bytes: no timestamps, a fixed `created_by`.
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_parquet<R: Table>(path: &Path, rows: &[R]) -> Result<(), IoError> {
    write_parquet_tagged(path, rows, None)
}

/// [`write_parquet`] with `tag`'s columns (see [`write_csv_tagged`]) and its identity in the
/// file's key-value metadata ([`RunTag::metadata`]).
///
/// # Errors
/// [`IoError`] naming `path`.
pub fn write_parquet_tagged<R: Table>(path: &Path, rows: &[R], tag: Option<&RunTag>) -> Result<(), IoError> {
    write_atomic(path, |path, w| {
        let pq_err = |source| IoError::Parquet { path: path.to_path_buf(), source };
        let schema = Arc::new(arrow_schema_tagged::<R>(tag));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(PARQUET_CREATED_BY.to_string())
            .set_key_value_metadata(
                tag.map(|t| t.metadata().into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()),
            )
            .build();
        let mut writer = ArrowWriter::try_new(w, Arc::clone(&schema), Some(props)).map_err(pq_err)?;
        for chunk in rows.chunks(BATCH_ROWS) {
            let b = batch(&schema, chunk, tag)
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
/// complete run, never a mix, and a failure changes nothing there. The tables carry the run's
/// [`RunTag`] (run id 0, no scenario hash).
///
/// # Errors
/// [`IoError`] naming the file that failed.
pub fn write_run(dir: &Path, rec: &Recording) -> Result<RunFiles, IoError> {
    write_run_with(dir, rec, None)
}

/// [`write_run`], with the scenario text that produced the run saved beside it as
/// `scenario.toml` (and hashed into the manifest and the tables' `scenario_hash`).
///
/// # Errors
/// As [`write_run`].
pub fn write_run_with(dir: &Path, rec: &Recording, scenario_text: Option<&str>) -> Result<RunFiles, IoError> {
    write_run_as(dir, rec, scenario_text, 0)
}

/// [`write_run_with`] for run `run_id` of a sweep: the number its tables' `run_id` column holds.
///
/// # Errors
/// As [`write_run`].
pub fn write_run_as(
    dir: &Path,
    rec: &Recording,
    scenario_text: Option<&str>,
    run_id: u64,
) -> Result<RunFiles, IoError> {
    write_run_dir_with(dir, rec, scenario_text, run_id, |_, _, _| Ok(()))
}

/// [`write_run_with`] for a replay (`cascade replay`): the run's files plus `real_path` and,
/// when a real liquidation file was given, `liquidation_compare` (CSV and Parquet, tagged and
/// listed in the manifest like the others).
///
/// # Errors
/// As [`write_run`].
pub fn write_replay_run(
    dir: &Path,
    rec: &Recording,
    scenario_text: Option<&str>,
    real_path: &[crate::replay::RealPathRow],
    compare: Option<&[crate::replay::LiquidationCompareRow]>,
) -> Result<RunFiles, IoError> {
    write_run_dir_with(dir, rec, scenario_text, 0, |tmp, tag, names| {
        both(tmp, real_path, tag, names)?;
        if let Some(rows) = compare {
            both(tmp, rows, tag, names)?;
        }
        Ok(())
    })
}

/// `R`'s rows as `NAME.csv` and `NAME.parquet` in `dir`, both written at once (each file on
/// its own thread; the bytes do not depend on it). Returns their names, CSV first.
fn both_parallel<R: Table + Sync>(dir: &Path, rows: &[R], tag: &RunTag) -> Result<Names, IoError> {
    let (csv, parquet) = std::thread::scope(|s| {
        let csv = s.spawn(|| write_csv_tagged(&dir.join(format!("{}.csv", R::NAME)), rows, Some(tag)));
        let parquet = write_parquet_tagged(&dir.join(format!("{}.parquet", R::NAME)), rows, Some(tag));
        (csv.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), parquet)
    });
    csv?;
    parquet?;
    Ok(vec![(format!("{}.csv", R::NAME), Some(rows.len() as u64)), (format!("{}.parquet", R::NAME), None)])
}

/// `R`'s rows as `NAME.csv` and `NAME.parquet` in `dir`, their names added to `names`.
fn both<R: Table>(
    dir: &Path,
    rows: &[R],
    tag: &RunTag,
    names: &mut Vec<(String, Option<u64>)>,
) -> Result<(), IoError> {
    write_csv_tagged(&dir.join(format!("{}.csv", R::NAME)), rows, Some(tag))?;
    names.push((format!("{}.csv", R::NAME), Some(rows.len() as u64)));
    write_parquet_tagged(&dir.join(format!("{}.parquet", R::NAME)), rows, Some(tag))?;
    names.push((format!("{}.parquet", R::NAME), None));
    Ok(())
}

type Names = Vec<(String, Option<u64>)>;

/// The run directory of `rec` with `extra` tables written after the standard ones.
fn write_run_dir_with(
    dir: &Path,
    rec: &Recording,
    scenario_text: Option<&str>,
    run_id: u64,
    extra: impl FnOnce(&Path, &RunTag, &mut Names) -> Result<(), IoError>,
) -> Result<RunFiles, IoError> {
    let s = &rec.summary;
    let tag = RunTag::of_run(run_id, s, scenario_text);
    let manifest = write_run_dir(dir, &s.scenario, (s.seed, run_id), scenario_text, |tmp| {
        // The three tables at once (on a full-scale run the liquidations alone are hundreds of
        // megabytes); their names listed in the fixed order whatever finishes first.
        let (series, liquidations, adl) = std::thread::scope(|s| {
            let series = s.spawn(|| both_parallel(tmp, &rec.series, &tag));
            let adl = s.spawn(|| both_parallel(tmp, &rec.adl, &tag));
            let liquidations = both_parallel(tmp, &rec.liquidations, &tag);
            let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            };
            (join(series), liquidations, join(adl))
        });
        let mut names = series?;
        names.extend(liquidations?);
        names.extend(adl?);
        extra(tmp, &tag, &mut names)?;
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
