//! `[[assets]]`: the underlying assets and their spot index.

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::Dec;

/// `[[assets]]`: an underlying with a spot index (the price perpetuals' index and mark follow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Ticker, e.g. `BTC` (required; unique). Instruments name it in their `asset` field.
    pub name: String,
    /// Spot index at time zero, in USD (required; > 0), e.g. `"116970.1"`.
    pub index_price: Dec,
    /// Annualised volatility of the exogenous fair-value random walk, as a fraction (default
    /// 0.6, i.e. 60 %/year; ≥ 0). Shocks come on top.
    #[serde(default = "default_volatility")]
    pub annual_volatility: f64,
    /// Spot notional, in USD, that moves the spot index by 1 % (default `"100000000"`; > 0): how
    /// hard the spot sales of hedgers and basis arbitrageurs push the index, and so the marks.
    #[serde(default = "default_spot_depth")]
    pub spot_depth_1pct: Dec,
    /// Half-life, seconds, of the spot index's return to the fair value after flow pushed it
    /// away (default 300; > 0): the spot market's other participants absorbing the flow.
    #[serde(default = "default_spot_recovery")]
    pub spot_recovery_half_life_s: u64,
}

fn default_volatility() -> f64 {
    0.6
}

fn default_spot_depth() -> Dec {
    Dec(100_000_000.into())
}

fn default_spot_recovery() -> u64 {
    300
}

impl Asset {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.name.trim().is_empty() {
            v.err(format!("{path}.name"), "must not be empty");
        }
        v.positive_dec(&format!("{path}.index_price"), self.index_price);
        v.non_negative_f64(&format!("{path}.annual_volatility"), self.annual_volatility);
        v.positive_dec(&format!("{path}.spot_depth_1pct"), self.spot_depth_1pct);
        v.nonzero(&format!("{path}.spot_recovery_half_life_s"), self.spot_recovery_half_life_s);
    }
}
