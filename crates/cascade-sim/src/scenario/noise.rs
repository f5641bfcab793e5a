//! `[noise]`: noise traders (random market orders) and value traders (who trade toward the
//! asset's fair value when the market strays from it).

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{Dec, MarketRef, SizeDist};

/// `[noise]`: background flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Noise {
    /// Number of noise traders (default 100).
    pub traders: u32,
    /// Probability that a noise trader sends a market order in a given second, in [0, 1]
    /// (default 0.05).
    pub activity_per_s: f64,
    /// Share of noise orders that buy, in [0, 1] (default 0.5).
    pub buy_share: f64,
    /// Order notional distribution (`[noise.size]`; default lognormal, median 1,000, sigma 1.0,
    /// within [10, 5,000,000]). A `[noise.size]` table given in the file starts from
    /// [`SizeDist`]'s own defaults (median 2,000, sigma 1.5) for the keys it leaves out.
    pub size: SizeDist,
    /// Collateral per noise or value trader, settle-asset units (default `"100000"`; > 0).
    pub capital: Dec,
    /// Markets traded (default: every listed instrument).
    pub markets: Vec<MarketRef>,
    /// Number of value traders (default 0).
    pub value_traders: u32,
    /// Gap between the mark and fair value that makes a value trader act, basis points
    /// (default 50; > 0).
    pub value_threshold_bps: f64,
    /// Notional of each value trade, settle-asset units (default `"20000"`; > 0).
    pub value_notional: Dec,
    /// Time between a value trader's looks at the market, milliseconds (default 5000; > 0).
    pub value_interval_ms: u64,
}

impl Default for Noise {
    fn default() -> Self {
        Self {
            traders: 100,
            activity_per_s: 0.05,
            buy_share: 0.5,
            size: SizeDist::lognormal(1_000, 1.0),
            capital: Dec(100_000.into()),
            markets: Vec::new(),
            value_traders: 0,
            value_threshold_bps: 50.0,
            value_notional: Dec(20_000.into()),
            value_interval_ms: 5_000,
        }
    }
}

impl Noise {
    pub(crate) fn validate(&self, v: &mut Validator) {
        let p = "noise";
        v.probability(&format!("{p}.activity_per_s"), self.activity_per_s);
        v.probability(&format!("{p}.buy_share"), self.buy_share);
        self.size.validate(&format!("{p}.size"), v);
        v.positive_dec(&format!("{p}.capital"), self.capital);
        v.fits_money(&format!("{p}.capital"), self.capital);
        v.positive_f64(&format!("{p}.value_threshold_bps"), self.value_threshold_bps);
        v.positive_dec(&format!("{p}.value_notional"), self.value_notional);
        v.fits_money(&format!("{p}.value_notional"), self.value_notional);
        v.nonzero(&format!("{p}.value_interval_ms"), self.value_interval_ms);
    }
}
