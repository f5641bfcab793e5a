//! The three stream events the watcher understands, as Binance USD-M futures sends them
//! (`<symbol>@forceOrder`, `<symbol>@aggTrade`, `<symbol>@markPrice`), with prices and
//! quantities exact (`Decimal`, read from the venue's decimal strings, never through `f64`).

use rust_decimal::Decimal;
use serde::Serialize;

/// Side of an order, as Binance writes it (`BUY` / `SELL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// A buy order: for a liquidation order, a short position being closed.
    Buy,
    /// A sell order: for a liquidation order, a long position being closed.
    Sell,
}

/// A forced liquidation order (`forceOrder`): the venue closing a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForceOrder {
    /// Event time (`E`), Unix milliseconds.
    pub event_time: u64,
    /// Symbol (`o.s`), e.g. `BTCUSDT`.
    pub symbol: String,
    /// Side of the liquidation order (`o.S`): `SELL` liquidates a long.
    pub side: Side,
    /// Order type (`o.o`), usually `LIMIT`.
    pub order_type: String,
    /// Time in force (`o.f`), usually `IOC`.
    pub time_in_force: String,
    /// Original quantity (`o.q`).
    pub qty: Decimal,
    /// Order price (`o.p`): the bankruptcy price on Binance.
    pub price: Decimal,
    /// Average fill price (`o.ap`).
    pub avg_price: Decimal,
    /// Order status (`o.X`), e.g. `FILLED`.
    pub status: String,
    /// Last filled quantity (`o.l`).
    pub last_filled_qty: Decimal,
    /// Accumulated filled quantity (`o.z`).
    pub filled_qty: Decimal,
    /// Trade time (`o.T`), Unix milliseconds: the event's time for the watcher.
    pub trade_time: u64,
}

impl ForceOrder {
    /// Liquidated notional in the quote currency: filled quantity × average price, or original
    /// quantity × order price when nothing is reported filled or no average is given (a
    /// stream that only announces the order).
    #[must_use]
    pub fn notional(&self) -> Decimal {
        let exact = |a: Decimal, b: Decimal| a.checked_mul(b).unwrap_or(Decimal::MAX);
        if self.filled_qty > Decimal::ZERO && self.avg_price > Decimal::ZERO {
            exact(self.filled_qty, self.avg_price)
        } else {
            exact(self.qty, self.price)
        }
    }
}

/// An aggregate trade (`aggTrade`): fills of one taker order at one price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggTrade {
    /// Event time (`E`), Unix milliseconds.
    pub event_time: u64,
    /// Symbol (`s`).
    pub symbol: String,
    /// Aggregate trade id (`a`): increases by one per aggregate trade of a symbol.
    pub id: u64,
    /// Price (`p`).
    pub price: Decimal,
    /// Quantity (`q`).
    pub qty: Decimal,
    /// First trade id (`f`).
    pub first_trade_id: u64,
    /// Last trade id (`l`).
    pub last_trade_id: u64,
    /// Trade time (`T`), Unix milliseconds: the event's time for the watcher.
    pub trade_time: u64,
    /// Whether the buyer was the maker (`m`): true for a sell taker.
    pub buyer_is_maker: bool,
}

/// A mark-price update (`markPriceUpdate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkPrice {
    /// Event time (`E`), Unix milliseconds: the event's time for the watcher.
    pub event_time: u64,
    /// Symbol (`s`).
    pub symbol: String,
    /// Mark price (`p`).
    pub mark: Decimal,
    /// Index price (`i`), when sent.
    pub index: Option<Decimal>,
    /// Estimated settle price (`P`), when sent.
    pub settle_estimate: Option<Decimal>,
    /// Funding rate (`r`), when sent.
    pub funding_rate: Option<Decimal>,
    /// Next funding time (`T`), Unix milliseconds, when sent.
    pub next_funding_time: Option<u64>,
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A liquidation.
    ForceOrder(ForceOrder),
    /// A trade.
    AggTrade(AggTrade),
    /// A mark price.
    MarkPrice(MarkPrice),
}

impl StreamEvent {
    /// The symbol the event is about.
    #[must_use]
    pub fn symbol(&self) -> &str {
        match self {
            StreamEvent::ForceOrder(e) => &e.symbol,
            StreamEvent::AggTrade(e) => &e.symbol,
            StreamEvent::MarkPrice(e) => &e.symbol,
        }
    }

    /// The time the watcher files the event under, Unix milliseconds: the trade time of a
    /// liquidation or trade, the event time of a mark price.
    #[must_use]
    pub fn time_ms(&self) -> u64 {
        match self {
            StreamEvent::ForceOrder(e) => e.trade_time,
            StreamEvent::AggTrade(e) => e.trade_time,
            StreamEvent::MarkPrice(e) => e.event_time,
        }
    }
}
