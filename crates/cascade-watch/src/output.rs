//! What the watcher hands out: indicator snapshots, alerts and data-quality warnings (one JSON
//! object each, tagged by `type`), and the counts of what it read.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::indicators::Indicators;
use crate::level::RiskLevel;

/// One output of the watcher.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Output {
    /// A symbol's indicators at the end of a second.
    Indicators(Box<Indicators>),
    /// The risk level crossed the alert threshold.
    Alert(Alert),
    /// Missing data.
    Warning(Warning),
}

/// Whether an alert starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// The level reached the alert level, or rose above the level last alerted.
    Raised,
    /// The level stayed below the alert level for the clearing time.
    Cleared,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// End of the second it was decided in, Unix milliseconds.
    pub time_ms: u64,
    /// Symbol.
    pub symbol: String,
    /// Raised or cleared.
    pub kind: AlertKind,
    /// The level now.
    pub level: RiskLevel,
    /// The level last alerted (none for a first alert).
    pub previous: Option<RiskLevel>,
    /// The price then.
    pub price: Option<Decimal>,
    /// Why (the indicators' reasons).
    pub reasons: Vec<String>,
}

/// What kind of data is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Two mark-price updates further apart than the configured gap.
    MarkGap,
    /// Aggregate trade ids jumped: trades were not received.
    TradeIdGap,
}

/// A gap in the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// Time of the event that revealed the gap, Unix milliseconds.
    pub time_ms: u64,
    /// Symbol.
    pub symbol: String,
    /// Kind of gap.
    pub kind: WarningKind,
    /// In words.
    pub message: String,
}

/// What the watcher has read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Events taken into the indicators.
    pub events: u64,
    /// Of which liquidations.
    pub force_orders: u64,
    /// Of which aggregate trades.
    pub agg_trades: u64,
    /// Of which mark prices.
    pub mark_prices: u64,
    /// Events seen before and dropped.
    pub duplicates: u64,
    /// Events older than the newest second seen, taken into their own second.
    pub out_of_order: u64,
    /// Events older than the history kept (17 minutes behind the newest), dropped.
    pub late: u64,
    /// Mark-price gaps.
    pub mark_gaps: u64,
    /// Aggregate trades missing by their ids.
    pub missing_trades: u64,
    /// Alerts raised.
    pub alerts: u64,
}
