//! Binance USD-M kline CSV files (`data.binance.vision`, `data/futures/um/.../klines/...`) read
//! into a [`PricePath`] of closes, for an asset whose fair value follows real prices
//! (`[[assets]] path = ...`).
//!
//! Layout: 12 columns, `open_time,open,high,low,close,volume,close_time,quote_volume,count,
//! taker_buy_volume,taker_buy_quote_volume,ignore`, with or without that header line (archives
//! before 2022 have none); times are Unix milliseconds UTC. The file is streamed record by record
//! (the `csv` crate); every price and volume is parsed as an exact decimal (rust_decimal). Each
//! bar becomes one point: its `close` at `close_time + 1` (the instant the bar is over); the
//! first bar's `open` at its `open_time` starts the path.
//!
//! The file may be plain or zipped (one CSV inside, as data.binance.vision ships it) or gzipped:
//! [`crate::exchange::source::DataFile`] streams it.
//!
//! Also read: the 6-column layout `timestamp,open,high,low,close,volume` (Binance's REST
//! `/fapi/v1/klines` rows cut to their first six fields, as public data sets often keep them),
//! recognised by that header line, which it must have. It has no `close_time`: every bar lasts
//! the step between the first two rows' open times, and the rows must follow each other at
//! exactly that step (a gap would hide where a bar closed).
//!
//! Refused, with the file, the data row (1-based, the header not counted), the line and the
//! column: a record without 12 fields, a cell that is not a number, a price that is not > 0, a
//! `high` below `low`, a `close_time` before its `open_time`, an `open_time` not after the
//! previous row's (out of order or duplicate), a time in microseconds (Binance's spot archive
//! since 2025) rather than milliseconds, and a file without a single bar.

use std::path::Path;
use std::str::FromStr;

use cascade_sim::scenario::{BarRange, Dec, PricePath, PricePoint};
use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::source::DataFile;

/// The 12 columns of a Binance kline file, in order.
pub const KLINE_COLUMNS: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];

/// The 6 columns of the short layout (see the module doc), in order.
pub const SHORT_COLUMNS: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];

/// Times at or above this many milliseconds (year 5138) are taken for microseconds.
const MICROS_THRESHOLD: u64 = 100_000_000_000_000;

/// One bar of a kline file (the columns the simulator uses, exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kline {
    /// Bar open time, Unix ms UTC.
    pub open_time: u64,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price (last trade of the bar).
    pub close: Decimal,
    /// Base-asset volume.
    pub volume: Decimal,
    /// Bar close time, Unix ms UTC (`open_time + 59 999` for 1-minute bars).
    pub close_time: u64,
}

/// Reads every bar of a kline CSV file, checked (see the module doc).
///
/// # Errors
/// [`IoError::Missing`] if the file does not exist, [`IoError::File`] for other OS errors,
/// [`IoError::Cell`] naming the row, line and column of the first bad cell or record,
/// [`IoError::Header`] for a file without bars.
pub fn read_klines(path: &Path) -> Result<Vec<Kline>, IoError> {
    // Plain, zipped (as data.binance.vision ships it) or gzipped, read as a stream.
    let mut data = DataFile::open(path).map_err(|e| match e {
        IoError::Missing { path, .. } => IoError::Missing { path, what: "kline file" },
        e => e,
    })?;
    let name = data.name().to_path_buf();
    let file = data.reader()?;
    let bad = |row: u64, line: u64, field: &str, message: String| IoError::Cell {
        path: name.clone(),
        row,
        line,
        field: field.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
    let mut rec = csv::StringRecord::new();
    let mut out: Vec<Kline> = Vec::new();
    let mut row = 0u64;
    let mut first = true;
    let mut short = false;
    loop {
        let more = reader.read_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(row + 1, csv::Position::line);
            bad(row + 1, line, "-", format!("unreadable record: {e}"))
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(row + 1, csv::Position::line);
        if std::mem::take(&mut first) {
            match rec.get(0).map(|c| c.trim_start_matches('\u{feff}').trim()) {
                Some("open_time") => continue, // the header line
                Some("timestamp") => {
                    short = true;
                    continue;
                }
                _ => {}
            }
        }
        row += 1;
        let columns: &[&str] = if short { &SHORT_COLUMNS } else { &KLINE_COLUMNS };
        if rec.len() != columns.len() {
            return Err(bad(
                row,
                line,
                "-",
                format!("{} fields where a kline has {} ({})", rec.len(), columns.len(), columns.join(",")),
            ));
        }
        let cell = |i: usize| rec.get(i).unwrap_or("").trim();
        let int = |i: usize| -> Result<u64, IoError> {
            let t = cell(i);
            let v: u64 = t.parse().map_err(|_| {
                bad(row, line, KLINE_COLUMNS[i], format!("`{t}` is not a non-negative integer"))
            })?;
            if i != 8 && v >= MICROS_THRESHOLD {
                return Err(bad(
                    row,
                    line,
                    KLINE_COLUMNS[i],
                    format!("{v} looks like microseconds; USD-M kline times are Unix milliseconds"),
                ));
            }
            Ok(v)
        };
        let dec = |i: usize| -> Result<Decimal, IoError> {
            let t = cell(i);
            Some(t)
                .filter(|t| cascade_engine::num::is_decimal_numeral(t))
                .and_then(|t| Decimal::from_str(t).ok())
                .ok_or_else(|| bad(row, line, KLINE_COLUMNS[i], format!("`{t}` is not a decimal number")))
        };
        let price = |i: usize| -> Result<Decimal, IoError> {
            let d = dec(i)?;
            if d <= Decimal::ZERO {
                return Err(bad(row, line, KLINE_COLUMNS[i], format!("price {d} is not > 0")));
            }
            Ok(d)
        };
        let open_time = int(0)?;
        let close_time = if short {
            // The bar length is the step between the first two rows; the first bar's close is
            // set once the second row gives it.
            match out.as_slice() {
                [] => open_time,
                [first] => {
                    let step = open_time.saturating_sub(first.open_time);
                    if let Some(f) = out.first_mut() {
                        f.close_time = f.open_time + step.max(1) - 1;
                    }
                    open_time + step.max(1) - 1
                }
                [.., prev] => {
                    let step = prev.close_time + 1 - prev.open_time;
                    if open_time != prev.open_time + step {
                        return Err(bad(
                            row,
                            line,
                            "timestamp",
                            format!(
                                "{open_time} is not one bar ({step} ms) after the previous row's {} (a file \
                                 without close_time must have no gap)",
                                prev.open_time
                            ),
                        ));
                    }
                    open_time + step - 1
                }
            }
        } else {
            int(6)?
        };
        let k = Kline {
            open_time,
            open: price(1)?,
            high: price(2)?,
            low: price(3)?,
            close: price(4)?,
            volume: dec(5)?,
            close_time,
        };
        if !short {
            for i in [7, 9, 10, 11] {
                dec(i)?;
            }
            int(8)?;
        }
        if k.high < k.low {
            return Err(bad(row, line, "high", format!("high {} is below low {}", k.high, k.low)));
        }
        if k.close_time < k.open_time {
            return Err(bad(
                row,
                line,
                "close_time",
                format!("{} is before the bar's open_time {}", k.close_time, k.open_time),
            ));
        }
        if let Some(prev) = out.last()
            && k.open_time <= prev.open_time
        {
            let what = if k.open_time == prev.open_time { "a duplicate of" } else { "before" };
            return Err(bad(
                row,
                line,
                "open_time",
                format!(
                    "{} is {what} the previous row's {} (rows must be in time order)",
                    k.open_time, prev.open_time
                ),
            ));
        }
        if let Some(prev) = out.last()
            && prev.close_time >= k.open_time
        {
            return Err(bad(
                row,
                line,
                "open_time",
                format!("{} is inside the previous bar (which closes at {})", k.open_time, prev.close_time),
            ));
        }
        out.push(k);
    }
    if out.is_empty() {
        return Err(IoError::Header { path: path.to_path_buf(), message: "the file holds no kline".into() });
    }
    if short && out.len() < 2 {
        return Err(IoError::Header {
            path: path.to_path_buf(),
            message: "a file without close_time needs at least two bars (their step is the bar length)"
                .into(),
        });
    }
    Ok(out)
}

/// Reads a kline CSV file as the price path of its closes: the first bar's `open` at its
/// `open_time` (the price the file starts from), then one point per bar, its `close` at its
/// `close_time + 1` ms (the instant the bar is over); with each bar's range (its low and high,
/// widened to its open and close if a row has them outside), which a population's look-back
/// uses to see the wicks between closes.
///
/// # Errors
/// As [`read_klines`].
pub fn read_kline_path(path: &Path) -> Result<PricePath, IoError> {
    let bars = read_klines(path)?;
    let mut points = Vec::with_capacity(bars.len() + 1);
    points.push(PricePoint { time_ms: bars[0].open_time, price: Dec(bars[0].open) });
    points.extend(bars.iter().map(|k| PricePoint { time_ms: k.close_time + 1, price: Dec(k.close) }));
    let ranges = bars
        .iter()
        .map(|k| BarRange {
            close_ms: k.close_time + 1,
            low: Dec(k.low.min(k.open).min(k.close)),
            high: Dec(k.high.max(k.open).max(k.close)),
        })
        .collect();
    // read_klines has checked order, overlap and prices, so this cannot fail; map it anyway.
    PricePath::new(path.display().to_string(), points)
        .and_then(|p| p.with_ranges(ranges))
        .map_err(|message| IoError::Header { path: path.to_path_buf(), message })
}
