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
}

fn default_volatility() -> f64 {
    0.6
}

impl Asset {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.name.trim().is_empty() {
            v.err(format!("{path}.name"), "must not be empty");
        }
        v.positive_dec(&format!("{path}.index_price"), self.index_price);
        v.non_negative_f64(&format!("{path}.annual_volatility"), self.annual_volatility);
    }
}
