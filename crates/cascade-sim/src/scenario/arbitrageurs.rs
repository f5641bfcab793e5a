//! `[[arbitrageurs]]`: traders who close price gaps between venues (cross-venue) or between a
//! perpetual and the spot index (basis), limited by capital and by the time collateral takes to
//! move between venues (`transfer_delay_s`, `rebalance_below`).

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
    /// Time collateral takes to move from one venue to another, seconds (default 1800; 0 =
    /// instant; at most 2,592,000, 30 days). The money leaves the venue it is withdrawn from at
    /// once and is credited at the other this long after: meanwhile it is in flight, counted
    /// but usable nowhere, and the venue that ran short may liquidate the arbitrageur.
    #[serde(default = "default_transfer")]
    pub transfer_delay_s: u64,
    /// Rebalance threshold, a fraction of a venue's starting share of `capital` (default 0.5;
    /// 0 = never rebalance; at most 1): at each look, when the arbitrageur's free margin at a
    /// venue (equity less initial margin, plus what is already in flight to it) is below this
    /// fraction of its share, it withdraws from the venue with the most free margin above its
    /// own share (within what that venue lets it withdraw) what brings the short venue back to
    /// its share, or what that venue can spare if less, and sends it there
    /// (`transfer_delay_s`).
    #[serde(default = "default_rebalance_below")]
    pub rebalance_below: f64,
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
fn default_rebalance_below() -> f64 {
    0.5
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
        v.at_most(&f("transfer_delay_s"), self.transfer_delay_s, super::validate::MAX_TRANSFER_DELAY_S);
        if !(self.rebalance_below.is_finite() && (0.0..=1.0).contains(&self.rebalance_below)) {
            v.err(
                f("rebalance_below"),
                format!(
                    "must be a finite fraction in [0, 1] of the venue's share, got {}",
                    self.rebalance_below
                ),
            );
        }
    }
}
