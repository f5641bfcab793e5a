//! What `cascade data inspect` shows of a file and writes with `--csv`: the common figures of
//! any dataset (rows, time range, rows out of time order) plus each dataset's own ([`Tally`]),
//! and the normalised CSV layout of its rows ([`Normalized`]).
//!
//! Must never: hold the rows (every figure is folded in as the rows stream past).

use rust_decimal::Decimal;

use crate::exchange::cells::format_utc_ms;

/// A dataset's running figures, folded one row at a time.
pub trait Tally<T>: Default {
    /// Folds in one row.
    fn add(&mut self, row: &T);
    /// The figures, as (label, value) in display order.
    fn figures(&self) -> Vec<(&'static str, String)>;
}

/// A row written out as normalised CSV: Unix-millisecond times, exact decimals, one layout per
/// dataset whatever the source layout was.
pub trait Normalized {
    /// The normalised columns.
    const COLUMNS: &'static [&'static str];
    /// Appends this row's cells, in [`Normalized::COLUMNS`] order.
    fn cells(&self, out: &mut Vec<String>);
}

/// The figures every dataset has: row count and time range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// Rows read.
    pub rows: u64,
    /// Time of the first row, Unix ms.
    pub first_ms: Option<i64>,
    /// Time of the last row, Unix ms.
    pub last_ms: Option<i64>,
    /// Earliest time seen.
    pub min_ms: Option<i64>,
    /// Latest time seen.
    pub max_ms: Option<i64>,
    /// Rows whose time is before the previous row's.
    pub out_of_order: u64,
}

impl Span {
    /// Folds in one row's time.
    pub fn add(&mut self, t: i64) {
        self.rows += 1;
        if let Some(last) = self.last_ms
            && t < last
        {
            self.out_of_order += 1;
        }
        self.first_ms.get_or_insert(t);
        self.last_ms = Some(t);
        self.min_ms = Some(self.min_ms.map_or(t, |m| m.min(t)));
        self.max_ms = Some(self.max_ms.map_or(t, |m| m.max(t)));
    }

    /// The figures as (label, value).
    #[must_use]
    pub fn figures(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("rows", self.rows.to_string())];
        if let (Some(a), Some(b)) = (self.min_ms, self.max_ms) {
            v.push(("from", format!("{} ({a})", format_utc_ms(a))));
            v.push(("to", format!("{} ({b})", format_utc_ms(b))));
        }
        v.push(("rows out of time order", self.out_of_order.to_string()));
        v
    }
}

/// Running minimum and maximum of a decimal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    /// Smallest value seen.
    pub min: Option<Decimal>,
    /// Largest value seen.
    pub max: Option<Decimal>,
}

impl Range {
    /// Folds in one value.
    pub fn add(&mut self, x: Decimal) {
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
    }

    /// `min .. max`, or `-` when empty.
    #[must_use]
    pub fn text(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{} .. {}", a.normalize(), b.normalize()),
            _ => "-".into(),
        }
    }
}

/// A sum of decimals that saturates instead of panicking (28 digits are far beyond any
/// file's total, but a hostile file could try).
#[must_use]
pub fn add(sum: Decimal, x: Decimal) -> Decimal {
    sum.checked_add(x).unwrap_or(Decimal::MAX)
}

/// A decimal for display, trailing zeros removed.
#[must_use]
pub fn show(x: Decimal) -> String {
    x.normalize().to_string()
}

/// An optional decimal for display (`-` when absent).
#[must_use]
pub fn show_opt(x: Option<Decimal>) -> String {
    x.map_or_else(|| "-".into(), show)
}
