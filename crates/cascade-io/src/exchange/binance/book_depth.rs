//! Binance order-book depth archives (`data/futures/um/daily/bookDepth/<SYM>/
//! <SYM>-bookDepth-YYYY-MM-DD.zip`), streamed: per snapshot (about every 30 s), one row per band
//! of the book, the cumulative depth within `percentage` % of the mid (−5..−1 bids, 1..5 asks).
//!
//! Layout (data.binance.vision; the header as public parsers of these files quote it):
//! `timestamp,percentage,depth,notional`, `timestamp` a `YYYY-MM-DD HH:MM:SS` UTC string,
//! `depth` in the base asset and `notional` in the quote asset, e.g.
//! `2026-01-01 00:00:09,-5,620184.39000000,75729582.96890000`. The header line is required
//! (the files have always had it).
//!
//! Refused, naming file, row, line and column: a bad date-time, a percentage that is not a
//! number or is 0, a negative depth or notional.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Tally, show};

/// Columns of a bookDepth file.
pub const COLUMNS: &[&str] = &["timestamp", "percentage", "depth", "notional"];

/// One band of one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookDepth {
    /// Snapshot time, Unix ms UTC.
    pub timestamp: i64,
    /// Band edge in percent of the mid: negative = bids, positive = asks.
    pub percentage: Decimal,
    /// Cumulative base quantity within the band.
    pub depth: Decimal,
    /// Cumulative quote notional within the band.
    pub notional: Decimal,
}

impl Record for BookDepth {
    const DATASET: &'static str = "Binance bookDepth";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];
    const HEADER_REQUIRED: bool = true;

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let d = BookDepth {
            timestamp: c.datetime_ms(0)?,
            percentage: c.dec(1)?,
            depth: c.amount(2)?,
            notional: c.amount(3)?,
        };
        if d.percentage.is_zero() {
            return Err(c.error(1, "0 is not a band (−5..−1 bids, 1..5 asks)".into()));
        }
        Ok(d)
    }

    fn time_ms(&self) -> i64 {
        self.timestamp
    }
}

impl Normalized for BookDepth {
    const COLUMNS: &'static [&'static str] = &["timestamp_ms", "percentage", "depth", "notional"];

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.timestamp.to_string(),
            self.percentage.to_string(),
            self.depth.to_string(),
            self.notional.to_string(),
        ]);
    }
}

/// Snapshots and the notional within the widest and ±1 % bands, first and last snapshot.
#[derive(Debug, Clone, Default)]
pub struct DepthTally {
    snapshots: u64,
    last_time: Option<i64>,
    first_1pct: [Option<Decimal>; 2],
    last_1pct: [Option<Decimal>; 2],
    min_1pct: [Option<Decimal>; 2],
}

impl Tally<BookDepth> for DepthTally {
    fn add(&mut self, d: &BookDepth) {
        if self.last_time != Some(d.timestamp) {
            self.snapshots += 1;
            self.last_time = Some(d.timestamp);
        }
        if d.percentage.abs() == Decimal::ONE {
            let side = usize::from(d.percentage.is_sign_positive());
            self.first_1pct[side].get_or_insert(d.notional);
            self.last_1pct[side] = Some(d.notional);
            self.min_1pct[side] = Some(self.min_1pct[side].map_or(d.notional, |m| m.min(d.notional)));
        }
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        let s = |x: Option<Decimal>| x.map_or_else(|| "-".into(), show);
        vec![
            ("snapshots", self.snapshots.to_string()),
            (
                "bid notional within 1% (first, last, min)",
                format!("{}, {}, {}", s(self.first_1pct[0]), s(self.last_1pct[0]), s(self.min_1pct[0])),
            ),
            (
                "ask notional within 1% (first, last, min)",
                format!("{}, {}, {}", s(self.first_1pct[1]), s(self.last_1pct[1]), s(self.min_1pct[1])),
            ),
        ]
    }
}
