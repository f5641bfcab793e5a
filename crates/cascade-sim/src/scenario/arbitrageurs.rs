//! `[[arbitrageurs]]`: traders who close price gaps between venues (cross-venue) or between a
//! perpetual and the spot index (basis), limited by capital and by the time collateral takes to
//! move between venues.

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{Dec, MarketRef};

/// What gap an arbitrageur trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ArbKind {
    /// Buys the cheapest and sells the dearest of the same asset's perpetuals across venues.
    #[default]
    CrossVenue,
    /// Trades a perpetual against the spot index (perp short + spot long when the perp is rich).
    Basis,
}

/// `[[arbitrageurs]]`: one or more identical arbitrageurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arbitrageur {
    /// `cross_venue` (default) or `basis`.
    #[serde(default)]
    pub kind: ArbKind,
    /// Markets watched: at least two of the same asset for `cross_venue`, at least one for
    /// `basis` (required).
    pub markets: Vec<MarketRef>,
    /// Number of arbitrageurs with these parameters (default 1; > 0).
    #[serde(default = "one")]
    pub count: u32,
    /// Collateral per arbitrageur, split evenly across its venues, settle-asset units (default
    /// `"5000000"`; > 0).
    #[serde(default = "default_capital")]
    pub capital: Dec,
    /// Smallest gap worth trading, basis points (default 10; > 0).
    #[serde(default = "default_threshold")]
    pub threshold_bps: f64,
    /// Largest position per market, settle-asset notional (default `"2000000"`; > 0).
    #[serde(default = "default_max_position")]
    pub max_position: Dec,
    /// Reaction time after a gap opens, milliseconds (default 100).
    #[serde(default = "default_latency")]
    pub latency_ms: u64,
    /// Time to move collateral from one venue to another, seconds (default 1800): until then a
    /// venue where the arbitrageur runs out of margin stays short of it.
    #[serde(default = "default_transfer")]
    pub transfer_delay_s: u64,
}

fn one() -> u32 {
    1
}
fn default_capital() -> Dec {
    Dec(5_000_000.into())
}
fn default_threshold() -> f64 {
    10.0
}
fn default_max_position() -> Dec {
    Dec(2_000_000.into())
}
fn default_latency() -> u64 {
    100
}
fn default_transfer() -> u64 {
    1_800
}

impl Arbitrageur {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        let needed = match self.kind {
            ArbKind::CrossVenue => 2,
            ArbKind::Basis => 1,
        };
        if self.markets.len() < needed {
            v.err(f("markets"), format!("a {:?} arbitrageur needs at least {needed} markets", self.kind));
        }
        v.nonzero(&f("count"), u64::from(self.count));
        v.at_most(&f("count"), u64::from(self.count), super::validate::MAX_ARBITRAGEURS);
        v.positive_dec(&f("capital"), self.capital);
        v.fits_money(&f("capital"), self.capital);
        v.positive_f64(&f("threshold_bps"), self.threshold_bps);
        v.positive_dec(&f("max_position"), self.max_position);
        v.fits_money(&f("max_position"), self.max_position);
    }
}
