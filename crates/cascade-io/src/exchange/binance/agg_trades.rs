//! Binance aggregate-trade archives (`data/futures/{um,cm}/daily/aggTrades/<SYM>/
//! <SYM>-aggTrades-YYYY-MM-DD.zip`, and spot), streamed: one row per aggregate trade (fills of
//! one taker order at one price).
//!
//! Layout (binance/binance-public-data README, data.binance.vision): futures files
//! `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker`,
//! with that header line in recent files and none in older ones; spot files have no header and
//! an 8th column `is_best_match`, and write `transact_time` in microseconds since 2025-01-01
//! (read here as milliseconds, rounded down). `is_buyer_maker = true` means the taker sold.
//!
//! Refused, naming file, row, line and column: a non-numeric id, a price ≤ 0, a negative
//! quantity, `last_trade_id` below `first_trade_id`, a boolean other than true/false.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally, add, show};

/// Columns of a futures aggTrades file.
pub const COLUMNS: &[&str] = &[
    "agg_trade_id",
    "price",
    "quantity",
    "first_trade_id",
    "last_trade_id",
    "transact_time",
    "is_buyer_maker",
];
/// Columns of a spot aggTrades file (no header line in the archive; named here).
pub const SPOT_COLUMNS: &[&str] = &[
    "agg_trade_id",
    "price",
    "quantity",
    "first_trade_id",
    "last_trade_id",
    "transact_time",
    "is_buyer_maker",
    "is_best_match",
];

/// One aggregate trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggTrade {
    /// Aggregate trade id.
    pub agg_trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity (base asset; COIN-M: contracts).
    pub quantity: Decimal,
    /// First trade id in the aggregate.
    pub first_trade_id: u64,
    /// Last trade id in the aggregate.
    pub last_trade_id: u64,
    /// Trade time, Unix ms UTC.
    pub transact_time: i64,
    /// Whether the buyer was the maker (then the taker sold).
    pub is_buyer_maker: bool,
    /// Spot only: whether the trade was the best price match.
    pub is_best_match: Option<bool>,
}

impl Record for AggTrade {
    const DATASET: &'static str = "Binance aggTrades";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS, SPOT_COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let t = AggTrade {
            agg_trade_id: c.uint(0)?,
            price: c.price(1)?,
            quantity: c.amount(2)?,
            first_trade_id: c.uint(3)?,
            last_trade_id: c.uint(4)?,
            transact_time: c.time_ms(5)?,
            is_buyer_maker: c.boolean(6)?,
            is_best_match: if c.names.len() > 7 { Some(c.boolean(7)?) } else { None },
        };
        if t.last_trade_id < t.first_trade_id {
            return Err(
                c.error(4, format!("{} is below first_trade_id {}", t.last_trade_id, t.first_trade_id))
            );
        }
        Ok(t)
    }

    fn time_ms(&self) -> i64 {
        self.transact_time
    }
}

impl Normalized for AggTrade {
    const COLUMNS: &'static [&'static str] = SPOT_COLUMNS;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.agg_trade_id.to_string(),
            self.price.to_string(),
            self.quantity.to_string(),
            self.first_trade_id.to_string(),
            self.last_trade_id.to_string(),
            self.transact_time.to_string(),
            self.is_buyer_maker.to_string(),
            self.is_best_match.map(|b| b.to_string()).unwrap_or_default(),
        ]);
    }
}

/// Taker buy and sell volumes and notionals, price range, trade count.
#[derive(Debug, Clone, Default)]
pub struct TakerTally {
    /// Base quantity bought by takers.
    pub buy_qty: Decimal,
    /// Base quantity sold by takers.
    pub sell_qty: Decimal,
    /// Σ price × quantity over all rows.
    pub notional: Decimal,
    /// Lowest and highest price.
    pub range: Range,
    /// Trades aggregated (Σ last − first + 1).
    pub trades: u64,
}

impl TakerTally {
    /// Folds in one trade.
    pub fn trade(&mut self, price: Decimal, qty: Decimal, taker_sold: bool) {
        if taker_sold {
            self.sell_qty = add(self.sell_qty, qty);
        } else {
            self.buy_qty = add(self.buy_qty, qty);
        }
        self.notional = add(self.notional, price.checked_mul(qty).unwrap_or(Decimal::MAX));
        self.range.add(price);
    }

    /// The figures shared by trade datasets.
    #[must_use]
    pub fn trade_figures(&self) -> Vec<(&'static str, String)> {
        let qty = add(self.buy_qty, self.sell_qty);
        let vwap = if qty.is_zero() { "-".to_string() } else { show((self.notional / qty).round_dp(8)) };
        vec![
            ("low .. high", self.range.text()),
            ("taker buy quantity", show(self.buy_qty)),
            ("taker sell quantity", show(self.sell_qty)),
            ("notional (price × quantity)", show(self.notional)),
            ("VWAP", vwap),
        ]
    }
}

impl Tally<AggTrade> for TakerTally {
    fn add(&mut self, t: &AggTrade) {
        self.trade(t.price, t.quantity, t.is_buyer_maker);
        self.trades = self.trades.saturating_add(t.last_trade_id - t.first_trade_id + 1);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        let mut v = self.trade_figures();
        v.push(("trades aggregated", self.trades.to_string()));
        v
    }
}
