//! Tables whose columns depend on the sweep (one per swept parameter, per venue): written as
//! CSV (exact decimals) and Parquet (`Float64` money, like cascade-io's tables), atomically,
//! deterministic to the byte — no timestamps, a fixed `created_by`, key-value metadata naming
//! the scenario hash, the spec hash and the program version.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

use crate::error::SweepError;

/// A column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// `UInt64`, never null.
    U64,
    /// `UInt64`, nullable.
    OptU64,
    /// `Utf8`.
    Str,
    /// Exact decimal: CSV as written, Parquet `Float64` (nullable).
    Dec,
    /// `Float64` (nullable).
    F64,
    /// `Boolean` (nullable).
    Bool,
    /// `Timestamp(ms, "UTC")` (nullable): Unix milliseconds.
    UtcMs,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An integer.
    U64(Option<u64>),
    /// Text.
    Str(String),
    /// An exact decimal.
    Dec(Option<Decimal>),
    /// A float.
    F64(Option<f64>),
    /// Yes / no.
    Bool(Option<bool>),
    /// Unix milliseconds, UTC.
    UtcMs(Option<i64>),
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::U64(v) => v.map(|v| v.to_string()).unwrap_or_default(),
            Cell::Str(s) => s.clone(),
            Cell::Dec(d) => d.map(|d| d.normalize().to_string()).unwrap_or_default(),
            Cell::F64(x) => x.map(|x| x.to_string()).unwrap_or_default(),
            Cell::Bool(b) => b.map(|b| b.to_string()).unwrap_or_default(),
            Cell::UtcMs(t) => t.map(utc_text).unwrap_or_default(),
        }
    }
}

pub use cascade_io::utc_text;

/// A table: named, typed columns and rows of cells in that order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DynTable {
    /// Column names and types.
    pub columns: Vec<(String, ColType)>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
    /// Parquet key-value metadata, in this order.
    pub metadata: Vec<(String, String)>,
}

fn table_err(path: &Path) -> impl Fn(String) -> SweepError + '_ {
    move |message| SweepError::Table { path: path.to_path_buf(), message }
}

impl DynTable {
    /// Writes the table as CSV with a header line, atomically.
    ///
    /// # Errors
    /// [`SweepError::Io`] naming the file.
    pub fn write_csv(&self, path: &Path) -> Result<(), SweepError> {
        cascade_io::write_atomic(path, |p, w| {
            let csv_err = |source| cascade_io::IoError::Csv { path: p.to_path_buf(), source };
            let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(w);
            out.write_record(self.columns.iter().map(|c| c.0.as_str())).map_err(csv_err)?;
            for row in &self.rows {
                out.write_record(row.iter().map(Cell::csv)).map_err(csv_err)?;
            }
            out.flush().map_err(|source| cascade_io::IoError::File {
                path: p.to_path_buf(),
                action: "writing",
                source,
            })
        })?;
        Ok(())
    }

    fn batch(&self, path: &Path) -> Result<RecordBatch, SweepError> {
        let err = table_err(path);
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|(name, ty)| {
                let (dt, nullable) = match ty {
                    ColType::U64 => (DataType::UInt64, false),
                    ColType::OptU64 => (DataType::UInt64, true),
                    ColType::Str => (DataType::Utf8, false),
                    ColType::Dec | ColType::F64 => (DataType::Float64, true),
                    ColType::Bool => (DataType::Boolean, true),
                    ColType::UtcMs => (DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
                };
                Field::new(name, dt, nullable)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (k, (name, ty)) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|r| r.get(k));
            let wrong = || err(format!("column `{name}`: a cell of another type"));
            let array: ArrayRef = match ty {
                ColType::U64 | ColType::OptU64 => Arc::new(
                    cells
                        .map(|c| match c {
                            Some(Cell::U64(v)) => Ok(*v),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<UInt64Array, _>>()?,
                ),
                ColType::Str => Arc::new(
                    cells
                        .map(|c| match c {
                            Some(Cell::Str(s)) => Ok(Some(s.as_str())),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<StringArray, _>>()?,
                ),
                ColType::Dec | ColType::F64 => Arc::new(
                    cells
                        .map(|c| match c {
                            Some(Cell::Dec(d)) => Ok(d.map(|d| d.to_string().parse().unwrap_or(f64::NAN))),
                            Some(Cell::F64(x)) => Ok(*x),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<Float64Array, _>>()?,
                ),
                ColType::Bool => Arc::new(
                    cells
                        .map(|c| match c {
                            Some(Cell::Bool(b)) => Ok(*b),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<BooleanArray, _>>()?,
                ),
                ColType::UtcMs => Arc::new(
                    cells
                        .map(|c| match c {
                            Some(Cell::UtcMs(t)) => Ok(*t),
                            _ => Err(wrong()),
                        })
                        .collect::<Result<TimestampMillisecondArray, _>>()?
                        .with_timezone("UTC"),
                ),
            };
            arrays.push(array);
        }
        RecordBatch::try_new(schema, arrays).map_err(|e| err(e.to_string()))
    }

    /// Writes the table as Parquet (Snappy, one batch), atomically; the same table gives the
    /// same bytes.
    ///
    /// # Errors
    /// [`SweepError::Table`] or [`SweepError::Io`] naming the file.
    pub fn write_parquet(&self, path: &Path) -> Result<(), SweepError> {
        let batch = self.batch(path)?;
        let kv = self.metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(cascade_io::write::PARQUET_CREATED_BY.to_string())
            .set_key_value_metadata(Some(kv))
            .build();
        cascade_io::write_atomic(path, |p, w| {
            let pq = |e: parquet::errors::ParquetError| cascade_io::IoError::Parquet {
                path: p.to_path_buf(),
                source: e,
            };
            let mut writer = ArrowWriter::try_new(w, batch.schema(), Some(props)).map_err(pq)?;
            writer.write(&batch).map_err(pq)?;
            writer.close().map_err(pq)?;
            Ok(())
        })?;
        Ok(())
    }
}
