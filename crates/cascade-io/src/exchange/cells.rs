//! One CSV record of an exchange file and the exact parsing of its cells: decimals (never
//! through a float), integers, Unix times (milliseconds, or microseconds brought to
//! milliseconds), `YYYY-MM-DD HH:MM:SS` UTC date-times, booleans.
//!
//! Every refusal is an [`IoError::Cell`] naming the file, the data row (1-based, the header not
//! counted), the line and the column. Must never: accept a number through `f64`, or default a
//! bad cell.

use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::IoError;

/// Times at or above this (≈ year 5138 in milliseconds) are read as microseconds: Binance's
/// spot archive writes microseconds since 2025-01-01 (binance-public-data README).
pub const MICROS_FROM: i64 = 100_000_000_000_000;
/// Times below this many milliseconds (1973-03-03) are refused as probably seconds.
pub const MILLIS_FROM: i64 = 100_000_000_000;

/// One record of a file, with where it sits and its columns' names, for parsing and errors.
pub struct Cells<'r> {
    /// The name errors show.
    pub file: &'r Path,
    /// Data row, 1-based, the header not counted.
    pub row: u64,
    /// Line in the file, 1-based.
    pub line: u64,
    /// The columns of the layout the file follows, in order.
    pub names: &'r [&'static str],
    /// The record.
    pub record: &'r csv::StringRecord,
}

impl Cells<'_> {
    /// An error about column `i` of this row.
    #[must_use]
    pub fn error(&self, i: usize, message: String) -> IoError {
        IoError::Cell {
            path: self.file.to_path_buf(),
            row: self.row,
            line: self.line,
            field: self.names.get(i).copied().unwrap_or("-").to_string(),
            message,
        }
    }

    /// The text of column `i`, trimmed (of a byte-order mark too, which some tools put before
    /// the first cell of a file).
    #[must_use]
    pub fn text(&self, i: usize) -> &str {
        self.record.get(i).unwrap_or("").trim_start_matches('\u{feff}').trim()
    }

    /// Column `i` as a non-empty text.
    ///
    /// # Errors
    /// An empty cell.
    pub fn word(&self, i: usize) -> Result<&str, IoError> {
        let t = self.text(i);
        if t.is_empty() { Err(self.error(i, "empty".into())) } else { Ok(t) }
    }

    /// Column `i` as an exact decimal of any sign (plain notation or with an exponent).
    ///
    /// # Errors
    /// A cell that is not a decimal numeral.
    pub fn dec(&self, i: usize) -> Result<Decimal, IoError> {
        let t = self.text(i);
        parse_decimal(t).ok_or_else(|| self.error(i, format!("`{t}` is not a decimal number")))
    }

    /// Column `i` as a decimal, or `None` when the cell is empty.
    ///
    /// # Errors
    /// A non-empty cell that is not a decimal numeral.
    pub fn opt_dec(&self, i: usize) -> Result<Option<Decimal>, IoError> {
        if self.text(i).is_empty() { Ok(None) } else { self.dec(i).map(Some) }
    }

    /// Column `i` as a decimal > 0 (a price).
    ///
    /// # Errors
    /// Not a number, or not > 0.
    pub fn price(&self, i: usize) -> Result<Decimal, IoError> {
        let d = self.dec(i)?;
        if d <= Decimal::ZERO {
            return Err(self.error(i, format!("price {d} is not > 0")));
        }
        Ok(d)
    }

    /// Column `i` as a decimal ≥ 0 (a quantity or a volume).
    ///
    /// # Errors
    /// Not a number, or negative.
    pub fn amount(&self, i: usize) -> Result<Decimal, IoError> {
        let d = self.dec(i)?;
        if d < Decimal::ZERO {
            return Err(self.error(i, format!("{d} is negative")));
        }
        Ok(d)
    }

    /// Column `i` as a non-negative integer (an id or a count).
    ///
    /// # Errors
    /// Not a non-negative integer.
    pub fn uint(&self, i: usize) -> Result<u64, IoError> {
        let t = self.text(i);
        t.parse::<u64>()
            .ok()
            .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| self.error(i, format!("`{t}` is not a non-negative integer")))
    }

    /// Column `i` as a Unix time in milliseconds UTC; a value in microseconds (Binance spot
    /// since 2025) is divided by 1,000 (rounded down).
    ///
    /// # Errors
    /// Not an integer, or below [`MILLIS_FROM`] (seconds, or not a time).
    pub fn time_ms(&self, i: usize) -> Result<i64, IoError> {
        let t = self.text(i);
        let v: i64 = t
            .parse()
            .ok()
            .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| self.error(i, format!("`{t}` is not a Unix time in milliseconds")))?;
        unix_ms(v).ok_or_else(|| {
            self.error(i, format!("{v} is too small for Unix milliseconds (seconds? the files use ms or µs)"))
        })
    }

    /// Column `i` as a `YYYY-MM-DD HH:MM:SS` date-time (optionally with a fraction of a second)
    /// in UTC, returned as Unix milliseconds.
    ///
    /// # Errors
    /// Any other text.
    pub fn datetime_ms(&self, i: usize) -> Result<i64, IoError> {
        let t = self.text(i);
        parse_datetime_ms(t)
            .ok_or_else(|| self.error(i, format!("`{t}` is not a `YYYY-MM-DD HH:MM:SS` UTC date-time")))
    }

    /// Column `i` as a boolean: `true` / `false` in any case (the spot archive writes `True`).
    ///
    /// # Errors
    /// Any other text.
    pub fn boolean(&self, i: usize) -> Result<bool, IoError> {
        let t = self.text(i);
        if t.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if t.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.error(i, format!("`{t}` is not true or false")))
        }
    }
}

/// `t` as an exact decimal: a plain numeral or one with an exponent (`7.854e+09`), never
/// through a float. `None` for anything else (including `_` separators, `NaN`, `inf`).
#[must_use]
pub fn parse_decimal(t: &str) -> Option<Decimal> {
    if !cascade_engine::num::is_decimal_numeral(t) {
        return None;
    }
    if t.bytes().any(|b| b == b'e' || b == b'E') {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str(t).ok()
    }
}

/// A Unix time `v` in milliseconds, or in microseconds brought to milliseconds; `None` below
/// [`MILLIS_FROM`].
#[must_use]
pub fn unix_ms(v: i64) -> Option<i64> {
    if v >= MICROS_FROM {
        Some(v / 1_000)
    } else if v >= MILLIS_FROM {
        Some(v)
    } else {
        None
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff]` (or with a `T`) in UTC as Unix milliseconds.
#[must_use]
pub fn parse_datetime_ms(t: &str) -> Option<i64> {
    let parsed = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(parsed.and_utc().timestamp_millis())
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS.fff` UTC, for people reading summaries.
#[must_use]
pub fn format_utc_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-11-02 00:05:00 UTC = 20,394 days × 86,400 s + 300 s after the epoch.
    #[test]
    fn date_times_are_utc() {
        assert_eq!(parse_datetime_ms("2025-11-02 00:05:00"), Some((20_394 * 86_400 + 300) * 1_000));
        assert_eq!(parse_datetime_ms("2025-11-02T00:05:00.250"), Some((20_394 * 86_400 + 300) * 1_000 + 250));
        assert_eq!(parse_datetime_ms("2025-11-02"), None);
        assert_eq!(parse_datetime_ms("2025-13-02 00:05:00"), None);
        assert_eq!(format_utc_ms(1_760_126_400_000), "2025-10-10 20:00:00.000 UTC");
    }

    #[test]
    fn decimals_are_exact_and_strict() {
        assert_eq!(parse_decimal("0.1"), Some(Decimal::new(1, 1)));
        assert_eq!(parse_decimal("7.854e+09"), Some(Decimal::from(7_854_000_000_i64)));
        for bad in ["", "1_000", "NaN", "inf", "1.2.3", "0x10", " "] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    /// 1735689600000000 µs (2025-01-01 00:00 UTC, a spot file) is 1735689600000 ms.
    #[test]
    fn microseconds_become_milliseconds_and_seconds_are_refused() {
        assert_eq!(unix_ms(1_735_689_600_000_000), Some(1_735_689_600_000));
        assert_eq!(unix_ms(1_735_689_600_000), Some(1_735_689_600_000));
        assert_eq!(unix_ms(1_735_689_600), None);
    }
}
