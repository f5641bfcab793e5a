//! Binance trade archives (`data/futures/{um,cm}/daily/trades/<SYM>/<SYM>-trades-YYYY-MM-DD.zip`,
//! and spot), streamed: one row per trade.
//!
//! Layout (binance/binance-public-data README, data.binance.vision): futures files
//! `id,price,qty,quote_qty,time,is_buyer_maker` (header line in recent files); spot files have
//! no header and a 7th column `is_best_match`, with `time` in microseconds since 2025-01-01
//! (read as milliseconds, rounded down). On COIN-M files `qty` counts contracts and `quote_qty`
//! is in the base asset. `is_buyer_maker = true` means the taker sold.
//!
//! Refused, naming file, row, line and column: a non-numeric id, a price ≤ 0, a negative
//! quantity, a boolean other than true/false.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::binance::agg_trades::TakerTally;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Tally};

/// Columns of a futures trades file.
pub const COLUMNS: &[&str] = &["id", "price", "qty", "quote_qty", "time", "is_buyer_maker"];
/// Columns of a spot trades file (no header line in the archive; named here).
pub const SPOT_COLUMNS: &[&str] =
    &["id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match"];

/// One trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// Trade id.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity (COIN-M: contracts).
    pub qty: Decimal,
    /// Quote quantity (COIN-M: base asset).
    pub quote_qty: Decimal,
    /// Trade time, Unix ms UTC.
    pub time: i64,
    /// Whether the buyer was the maker (then the taker sold).
    pub is_buyer_maker: bool,
    /// Spot only: whether the trade was the best price match.
    pub is_best_match: Option<bool>,
}

impl Record for Trade {
    const DATASET: &'static str = "Binance trades";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS, SPOT_COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        Ok(Trade {
            id: c.uint(0)?,
            price: c.price(1)?,
            qty: c.amount(2)?,
            quote_qty: c.amount(3)?,
            time: c.time_ms(4)?,
            is_buyer_maker: c.boolean(5)?,
            is_best_match: if c.names.len() > 6 { Some(c.boolean(6)?) } else { None },
        })
    }

    fn time_ms(&self) -> i64 {
        self.time
    }
}

impl Normalized for Trade {
    const COLUMNS: &'static [&'static str] = SPOT_COLUMNS;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.id.to_string(),
            self.price.to_string(),
            self.qty.to_string(),
            self.quote_qty.to_string(),
            self.time.to_string(),
            self.is_buyer_maker.to_string(),
            self.is_best_match.map(|b| b.to_string()).unwrap_or_default(),
        ]);
    }
}

impl Tally<Trade> for TakerTally {
    fn add(&mut self, t: &Trade) {
        self.trade(t.price, t.qty, t.is_buyer_maker);
        self.trades = self.trades.saturating_add(1);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        self.trade_figures()
    }
}
