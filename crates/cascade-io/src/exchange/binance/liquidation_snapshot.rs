//! Binance liquidation-order archives (`liquidationSnapshot`, published for COIN-M futures in
//! recent years: `data/futures/cm/daily/liquidationSnapshot/<SYM>/…zip`), streamed: one row per
//! forced (liquidation) order.
//!
//! Layout (data.binance.vision; the header as public parsers of these files quote it):
//! `time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,
//! last_fill_quantity,accumulated_fill_quantity`, e.g.
//! `1709598391022,SELL,LIMIT,IOC,1,67934.2,68203.4,FILLED,1,1`. `side = SELL` is a long
//! position being liquidated (its liquidation order sells), `BUY` a short. On COIN-M the
//! quantities are contracts. With or without the header line.
//!
//! Refused, naming file, row, line and column: a side other than BUY/SELL, an empty order type,
//! time in force or status, a price ≤ 0, a negative quantity, a filled quantity above the
//! order's.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Tally, add, show};

/// Columns of a liquidationSnapshot file.
pub const COLUMNS: &[&str] = &[
    "time",
    "side",
    "order_type",
    "time_in_force",
    "original_quantity",
    "price",
    "average_price",
    "order_status",
    "last_fill_quantity",
    "accumulated_fill_quantity",
];

/// The side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Buys (a short being liquidated).
    Buy,
    /// Sells (a long being liquidated).
    Sell,
}

impl Side {
    /// `BUY` or `SELL`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// One liquidation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidationOrder {
    /// Order time, Unix ms UTC.
    pub time: i64,
    /// `Sell` = a long liquidated, `Buy` = a short.
    pub side: Side,
    /// Order type, e.g. `LIMIT`.
    pub order_type: String,
    /// Time in force, e.g. `IOC`.
    pub time_in_force: String,
    /// Quantity of the order.
    pub original_quantity: Decimal,
    /// Order price (the bankruptcy-side limit).
    pub price: Decimal,
    /// Average fill price (0 when nothing filled).
    pub average_price: Decimal,
    /// Status, e.g. `FILLED`.
    pub order_status: String,
    /// Quantity of the last fill.
    pub last_fill_quantity: Decimal,
    /// Quantity filled in all.
    pub accumulated_fill_quantity: Decimal,
}

impl Record for LiquidationOrder {
    const DATASET: &'static str = "Binance liquidationSnapshot";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let side = match c.text(1) {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            other => return Err(c.error(1, format!("`{other}` is not BUY or SELL"))),
        };
        let o = LiquidationOrder {
            time: c.time_ms(0)?,
            side,
            order_type: c.word(2)?.to_string(),
            time_in_force: c.word(3)?.to_string(),
            original_quantity: c.amount(4)?,
            price: c.price(5)?,
            average_price: c.amount(6)?,
            order_status: c.word(7)?.to_string(),
            last_fill_quantity: c.amount(8)?,
            accumulated_fill_quantity: c.amount(9)?,
        };
        if o.accumulated_fill_quantity > o.original_quantity {
            return Err(c.error(
                9,
                format!(
                    "{} is above the order's original_quantity {}",
                    o.accumulated_fill_quantity, o.original_quantity
                ),
            ));
        }
        Ok(o)
    }

    fn time_ms(&self) -> i64 {
        self.time
    }
}

impl Normalized for LiquidationOrder {
    const COLUMNS: &'static [&'static str] = COLUMNS;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.time.to_string(),
            self.side.as_str().to_string(),
            self.order_type.clone(),
            self.time_in_force.clone(),
            self.original_quantity.to_string(),
            self.price.to_string(),
            self.average_price.to_string(),
            self.order_status.clone(),
            self.last_fill_quantity.to_string(),
            self.accumulated_fill_quantity.to_string(),
        ]);
    }
}

/// Orders and filled quantity by side, filled value at the average price.
#[derive(Debug, Clone, Default)]
pub struct LiquidationTally {
    orders: [u64; 2],
    filled: [Decimal; 2],
    filled_value: [Decimal; 2],
}

impl Tally<LiquidationOrder> for LiquidationTally {
    fn add(&mut self, o: &LiquidationOrder) {
        let s = usize::from(o.side == Side::Sell);
        self.orders[s] += 1;
        self.filled[s] = add(self.filled[s], o.accumulated_fill_quantity);
        self.filled_value[s] = add(
            self.filled_value[s],
            o.accumulated_fill_quantity.checked_mul(o.average_price).unwrap_or(Decimal::MAX),
        );
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("longs liquidated (SELL orders)", self.orders[1].to_string()),
            ("shorts liquidated (BUY orders)", self.orders[0].to_string()),
            ("filled quantity SELL / BUY", format!("{} / {}", show(self.filled[1]), show(self.filled[0]))),
            (
                "filled quantity × average price SELL / BUY",
                format!("{} / {}", show(self.filled_value[1]), show(self.filled_value[0])),
            ),
        ]
    }
}
