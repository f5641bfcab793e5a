//! Readers: a run directory back into a [`Recording`] (the three CSV tables and `summary.json`).
//!
//! The CSV files are the canonical readable form (exact decimals); the Parquet copies are not
//! read here. Every error names the file, and for a bad cell the data row (1-based, the header
//! not counted), the line in the file and the column: a half-written or hand-edited run
//! directory is reported, never a panic. Columns are found by name, so extra columns are
//! ignored and the order may differ; a missing column is an error naming it.

use std::fs::File;
use std::path::Path;
use std::str::FromStr;

use cascade_sim::metrics::{
    AdlRow, LiquidationKind, LiquidationRow, MarginMode, PositionSide, Recording, RunSummary, SeriesRow,
};
use rust_decimal::Decimal;

use crate::error::IoError;
use crate::table::Table;

/// Why one CSV cell was refused.
fn bad(path: &Path, row: u64, line: u64, field: &str, message: String) -> IoError {
    IoError::Cell { path: path.to_path_buf(), row, line, field: field.to_string(), message }
}

/// One data record being read: cells are taken by column name.
struct Record<'a> {
    path: &'a Path,
    rec: &'a csv::StringRecord,
    /// Column name → index in the record, in the table's column order.
    index: &'a [(&'static str, usize)],
    row: u64,
    line: u64,
}

impl Record<'_> {
    fn text(&self, field: &'static str) -> Result<&str, IoError> {
        let i = self.index.iter().find(|(n, _)| *n == field).map(|(_, i)| *i).ok_or_else(|| {
            bad(self.path, self.row, self.line, field, "column not in the table layout".into())
        })?;
        self.rec.get(i).ok_or_else(|| bad(self.path, self.row, self.line, field, "missing cell".into()))
    }

    fn err(&self, field: &str, message: String) -> IoError {
        bad(self.path, self.row, self.line, field, message)
    }

    fn string(&self, field: &'static str) -> Result<String, IoError> {
        let t = self.text(field)?;
        if t.is_empty() {
            return Err(self.err(field, "empty (a name is required)".into()));
        }
        Ok(t.to_string())
    }

    fn u64(&self, field: &'static str) -> Result<u64, IoError> {
        let t = self.text(field)?;
        t.parse().map_err(|_| self.err(field, format!("`{t}` is not a non-negative integer")))
    }

    fn u32(&self, field: &'static str) -> Result<u32, IoError> {
        let t = self.text(field)?;
        t.parse().map_err(|_| self.err(field, format!("`{t}` is not an integer in 0..2^32")))
    }

    fn opt_u32(&self, field: &'static str) -> Result<Option<u32>, IoError> {
        if self.text(field)?.is_empty() { Ok(None) } else { self.u32(field).map(Some) }
    }

    fn dec(&self, field: &'static str) -> Result<Decimal, IoError> {
        let t = self.text(field)?;
        if t.is_empty() {
            return Err(self.err(field, "empty (a number is required)".into()));
        }
        Some(t)
            .filter(|t| cascade_engine::num::is_decimal_numeral(t))
            .and_then(|t| Decimal::from_str(t).ok())
            .ok_or_else(|| self.err(field, format!("`{t}` is not a decimal number")))
    }

    fn opt_dec(&self, field: &'static str) -> Result<Option<Decimal>, IoError> {
        if self.text(field)?.is_empty() { Ok(None) } else { self.dec(field).map(Some) }
    }

    fn label<T>(&self, field: &'static str, options: &[(&str, T)]) -> Result<T, IoError>
    where
        T: Copy,
    {
        let t = self.text(field)?;
        options.iter().find(|(name, _)| *name == t).map(|(_, v)| *v).ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.err(field, format!("`{t}` is not one of {}", names.join(", ")))
        })
    }

    fn side(&self, field: &'static str) -> Result<PositionSide, IoError> {
        self.label(field, &[("long", PositionSide::Long), ("short", PositionSide::Short)])
    }
}

/// A table whose rows can be read back from the CSV [`crate::write_csv`] writes.
pub trait ReadTable: Table {
    /// Builds a row from one record.
    ///
    /// # Errors
    /// [`IoError::Cell`] naming the row and column of the first bad cell.
    #[doc(hidden)]
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError>;
}

/// Opaque handle on one CSV record, passed to [`ReadTable::from_record`].
#[doc(hidden)]
pub struct RecordRef<'a>(Record<'a>);

impl ReadTable for SeriesRow {
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError> {
        let r = &r.0;
        Ok(SeriesRow {
            time_ms: r.u64("time_ms")?,
            venue: r.string("venue")?,
            instrument: r.string("instrument")?,
            last: r.opt_dec("last")?,
            mark: r.opt_dec("mark")?,
            index: r.opt_dec("index")?,
            best_bid: r.opt_dec("best_bid")?,
            best_ask: r.opt_dec("best_ask")?,
            bid_depth_1pct: r.dec("bid_depth_1pct")?,
            ask_depth_1pct: r.dec("ask_depth_1pct")?,
            bid_depth_5pct: r.dec("bid_depth_5pct")?,
            ask_depth_5pct: r.dec("ask_depth_5pct")?,
            volume: r.dec("volume")?,
            volume_notional: r.dec("volume_notional")?,
            trades: r.u64("trades")?,
            liq_long_count: r.u64("liq_long_count")?,
            liq_long_notional: r.dec("liq_long_notional")?,
            liq_short_count: r.u64("liq_short_count")?,
            liq_short_notional: r.dec("liq_short_notional")?,
            open_interest: r.dec("open_interest")?,
            open_interest_notional: r.dec("open_interest_notional")?,
            insurance_fund: r.dec("insurance_fund")?,
            adl_count: r.u64("adl_count")?,
            adl_notional: r.dec("adl_notional")?,
            bad_debt: r.dec("bad_debt")?,
            funding_rate: r.opt_dec("funding_rate")?,
            backstop_position: r.dec("backstop_position")?,
            backstop_pnl: r.dec("backstop_pnl")?,
        })
    }
}

impl ReadTable for LiquidationRow {
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError> {
        let r = &r.0;
        Ok(LiquidationRow {
            time_ms: r.u64("time_ms")?,
            venue: r.string("venue")?,
            instrument: r.string("instrument")?,
            account: r.u32("account")?,
            side: r.side("side")?,
            margin_mode: r
                .label("margin_mode", &[("cross", MarginMode::Cross), ("isolated", MarginMode::Isolated)])?,
            kind: r.label(
                "kind",
                &[
                    ("full", LiquidationKind::Full),
                    ("partial", LiquidationKind::Partial),
                    ("backstop", LiquidationKind::Backstop),
                    ("adl", LiquidationKind::Adl),
                ],
            )?,
            qty: r.dec("qty")?,
            price: r.dec("price")?,
            notional: r.dec("notional")?,
            mark_price: r.dec("mark_price")?,
            bankruptcy_price: r.opt_dec("bankruptcy_price")?,
            fee: r.dec("fee")?,
            insurance_fund_change: r.dec("insurance_fund_change")?,
            bad_debt: r.dec("bad_debt")?,
        })
    }
}

impl ReadTable for AdlRow {
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError> {
        let r = &r.0;
        Ok(AdlRow {
            time_ms: r.u64("time_ms")?,
            venue: r.string("venue")?,
            instrument: r.string("instrument")?,
            account: r.u32("account")?,
            side: r.side("side")?,
            qty: r.dec("qty")?,
            price: r.dec("price")?,
            notional: r.dec("notional")?,
            realized_pnl: r.dec("realized_pnl")?,
            rank: r.opt_u32("rank")?,
            leverage: r.opt_dec("leverage")?,
            liquidated_account: r.opt_u32("liquidated_account")?,
        })
    }
}

impl ReadTable for crate::replay::RealPathRow {
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError> {
        let r = &r.0;
        Ok(crate::replay::RealPathRow {
            time_ms: r.u64("time_ms")?,
            asset: r.string("asset")?,
            real_close: r.dec("real_close")?,
            venue: r.string("venue")?,
            instrument: r.string("instrument")?,
            index: r.opt_dec("index")?,
            mark: r.opt_dec("mark")?,
        })
    }
}

impl ReadTable for crate::replay::LiquidationCompareRow {
    fn from_record(r: &RecordRef<'_>) -> Result<Self, IoError> {
        let r = &r.0;
        Ok(crate::replay::LiquidationCompareRow {
            time_ms: r.u64("time_ms")?,
            asset: r.string("asset")?,
            side: r.side("side")?,
            real_count: r.u64("real_count")?,
            real_notional: r.dec("real_notional")?,
            sim_count: r.u64("sim_count")?,
            sim_notional: r.dec("sim_notional")?,
        })
    }
}

fn open(path: &Path, what: &'static str) -> Result<File, IoError> {
    File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            IoError::Missing { path: path.to_path_buf(), what }
        } else {
            IoError::File { path: path.to_path_buf(), action: "opening", source }
        }
    })
}

/// Reads a table written by [`crate::write_csv`]. The header must hold every column of `R`
/// (extra columns are ignored); every record must have as many fields as the header (a
/// truncated last line is reported with its row).
///
/// # Errors
/// [`IoError::Missing`] if the file does not exist, [`IoError::Header`] for a missing column,
/// [`IoError::Cell`] for a bad cell or a short record, [`IoError::File`] for other OS errors.
pub fn read_csv<R: ReadTable>(path: &Path) -> Result<Vec<R>, IoError> {
    let file = open(path, "table")?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let csv_err =
        |row: u64, line: u64, e: csv::Error| bad(path, row, line, "-", format!("unreadable record: {e}"));
    let headers = reader.headers().map_err(|e| csv_err(0, 1, e))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers.get(0) == Some("")) {
        return Err(IoError::Header {
            path: path.to_path_buf(),
            message: "the file is empty (no header line)".into(),
        });
    }
    let mut index = Vec::with_capacity(R::columns().len());
    for c in R::columns() {
        match headers.iter().position(|h| h.trim() == c.name) {
            Some(i) => index.push((c.name, i)),
            None => {
                return Err(IoError::Header {
                    path: path.to_path_buf(),
                    message: format!("column `{}` is missing from the header", c.name),
                });
            }
        }
    }
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row = 0u64;
    loop {
        row += 1;
        let more = reader.read_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(row + 1, csv::Position::line);
            csv_err(row, line, e)
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(row + 1, csv::Position::line);
        if rec.len() != headers.len() {
            return Err(bad(
                path,
                row,
                line,
                "-",
                format!(
                    "{} fields where the header has {} (a truncated or half-written line?)",
                    rec.len(),
                    headers.len()
                ),
            ));
        }
        let r = RecordRef(Record { path, rec: &rec, index: &index, row, line });
        rows.push(R::from_record(&r)?);
    }
    Ok(rows)
}

/// Reads `summary.json`.
///
/// # Errors
/// [`IoError::Missing`] if absent, [`IoError::JsonRead`] with line and column if malformed.
pub fn read_summary_json(path: &Path) -> Result<RunSummary, IoError> {
    let file = open(path, "summary")?;
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|source| IoError::JsonRead { path: path.to_path_buf(), source })
}

/// Reads a run directory written by [`crate::write_run`]: `series.csv`, `liquidations.csv`,
/// `adl.csv` and `summary.json`.
///
/// # Errors
/// [`IoError::Missing`] naming the first file that is absent (`write_run` writes
/// `summary.json` last, so a directory without it is an interrupted run); otherwise the first
/// bad header, cell or JSON error, naming file, row and column.
pub fn read_run(dir: &Path) -> Result<Recording, IoError> {
    if !dir.is_dir() {
        return Err(IoError::Missing { path: dir.to_path_buf(), what: "run directory" });
    }
    // Check every file's presence first so the error names what is missing, not what is bad.
    for name in ["series.csv", "liquidations.csv", "adl.csv", "summary.json"] {
        let p = dir.join(name);
        if !p.exists() {
            return Err(IoError::Missing {
                path: p,
                what: if name == "summary.json" { "summary" } else { "table" },
            });
        }
    }
    let series = read_csv::<SeriesRow>(&dir.join("series.csv"))?;
    let liquidations = read_csv::<LiquidationRow>(&dir.join("liquidations.csv"))?;
    let adl = read_csv::<AdlRow>(&dir.join("adl.csv"))?;
    let summary = read_summary_json(&dir.join("summary.json"))?;
    // Every file must be the one the run wrote: a table cut at a row boundary, a summary from
    // another seed or a file swapped in from another run parse fine but fail here.
    let manifest = crate::run_dir::verify_manifest(dir)?;
    if manifest.seed != summary.seed || manifest.scenario != summary.scenario {
        return Err(IoError::Corrupt {
            path: dir.join("summary.json"),
            reason: format!(
                "summary of `{}` seed {}, the manifest says `{}` seed {}",
                summary.scenario, summary.seed, manifest.scenario, manifest.seed
            ),
        });
    }
    Ok(Recording { series, liquidations, adl, summary })
}
