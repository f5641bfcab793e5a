//! Binance best bid/ask archives (`data/futures/{um,cm}/daily/bookTicker/<SYM>/
//! <SYM>-bookTicker-YYYY-MM-DD.zip`; not published for every symbol and date), streamed: one
//! row per change of the top of the book.
//!
//! Layout (data.binance.vision; the header as public parsers of these files quote it):
//! `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,
//! event_time`, Unix milliseconds, with or without the header line.
//!
//! Refused, naming file, row, line and column: a price ≤ 0, a negative quantity, a bid above
//! the ask (a crossed book is not a quote).

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally};

/// Columns of a bookTicker file.
pub const COLUMNS: &[&str] = &[
    "update_id",
    "best_bid_price",
    "best_bid_qty",
    "best_ask_price",
    "best_ask_qty",
    "transaction_time",
    "event_time",
];

/// One top-of-book update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookTicker {
    /// Order-book update id.
    pub update_id: u64,
    /// Best bid price.
    pub best_bid_price: Decimal,
    /// Quantity at the best bid.
    pub best_bid_qty: Decimal,
    /// Best ask price.
    pub best_ask_price: Decimal,
    /// Quantity at the best ask.
    pub best_ask_qty: Decimal,
    /// Matching-engine time, Unix ms UTC.
    pub transaction_time: i64,
    /// Publication time, Unix ms UTC.
    pub event_time: i64,
}

impl Record for BookTicker {
    const DATASET: &'static str = "Binance bookTicker";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let t = BookTicker {
            update_id: c.uint(0)?,
            best_bid_price: c.price(1)?,
            best_bid_qty: c.amount(2)?,
            best_ask_price: c.price(3)?,
            best_ask_qty: c.amount(4)?,
            transaction_time: c.time_ms(5)?,
            event_time: c.time_ms(6)?,
        };
        if t.best_bid_price > t.best_ask_price {
            return Err(c.error(1, format!("bid {} is above the ask {}", t.best_bid_price, t.best_ask_price)));
        }
        Ok(t)
    }

    fn time_ms(&self) -> i64 {
        self.transaction_time
    }
}

impl Normalized for BookTicker {
    const COLUMNS: &'static [&'static str] = COLUMNS;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.update_id.to_string(),
            self.best_bid_price.to_string(),
            self.best_bid_qty.to_string(),
            self.best_ask_price.to_string(),
            self.best_ask_qty.to_string(),
            self.transaction_time.to_string(),
            self.event_time.to_string(),
        ]);
    }
}

/// Range of the mid and of the spread.
#[derive(Debug, Clone, Default)]
pub struct TickerTally {
    bid: Range,
    ask: Range,
    spread: Range,
}

impl Tally<BookTicker> for TickerTally {
    fn add(&mut self, t: &BookTicker) {
        self.bid.add(t.best_bid_price);
        self.ask.add(t.best_ask_price);
        self.spread.add(t.best_ask_price - t.best_bid_price);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("best bid low .. high", self.bid.text()),
            ("best ask low .. high", self.ask.text()),
            ("spread min .. max", self.spread.text()),
        ]
    }
}
