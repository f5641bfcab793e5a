//! `[[assets]]`: the underlying assets and their spot index.

use serde::{Deserialize, Serialize};

use super::price_path::PricePath;
use super::validate::Validator;
use super::values::Dec;

/// Annualised volatility of the fair-value random walk when `annual_volatility` is left out.
pub const DEFAULT_ANNUAL_VOLATILITY: f64 = 0.6;

/// `[[assets]]`: an underlying with a spot index (the price perpetuals' index and mark follow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Ticker, e.g. `BTC` (required; unique). Instruments name it in their `asset` field.
    pub name: String,
    /// Spot index at time zero, in USD (> 0), e.g. `"116970.1"`. Required without `path`; with
    /// `path` it is the file's close at `run.start_utc` and may be left out; if given it must
    /// equal that close exactly.
    #[serde(default)]
    pub index_price: Option<Dec>,
    /// Annualised volatility of the exogenous fair-value random walk, as a fraction (default
    /// 0.6, i.e. 60 %/year; ≥ 0). Shocks come on top. Not allowed with `path` (the file gives
    /// the fair value).
    #[serde(default)]
    pub annual_volatility: Option<f64>,
    /// Binance USD-M kline CSV the fair value follows instead of a random walk (default: none),
    /// relative to the scenario file's directory or absolute. Needs `run.start_utc`, which must
    /// be a bar's close time in the file (a whole minute for 1-minute bars); the file must cover
    /// the whole run, and for a population trading the asset also `population.entry.lookback_s`
    /// before the start. The fair value is linearly interpolated between the closes (a close is
    /// placed at its bar's `close_time` + 1 ms; the first bar's `open` at its `open_time`). A
    /// shock scales the rest of the path (−5 % leaves it 5 % lower) and spot flow pushes the
    /// index off it, as without a file. The adaptive stops' calm volatility is then the
    /// realised volatility of the population's look-back in the file.
    #[serde(default)]
    pub path: Option<String>,
    /// Spot notional, in USD, that moves the spot index by 1 % (default `"100000000"`; > 0): how
    /// hard the spot sales of hedgers and basis arbitrageurs push the index, and so the marks.
    #[serde(default = "default_spot_depth")]
    pub spot_depth_1pct: Dec,
    /// Half-life, seconds, of the spot index's return to the fair value after flow pushed it
    /// away (default 300; > 0): the spot market's other participants absorbing the flow.
    #[serde(default = "default_spot_recovery")]
    pub spot_recovery_half_life_s: u64,
    /// The price path read from `path` (not a scenario key: cascade-io's `read_scenario`
    /// loads it).
    #[serde(skip)]
    pub price_path: Option<PricePath>,
}

fn default_spot_depth() -> Dec {
    Dec(100_000_000.into())
}

fn default_spot_recovery() -> u64 {
    300
}

impl Asset {
    /// The random walk's annualised volatility (`annual_volatility` or its default).
    #[must_use]
    pub fn volatility(&self) -> f64 {
        self.annual_volatility.unwrap_or(DEFAULT_ANNUAL_VOLATILITY)
    }

    /// The spot index at time zero: `index_price`, or with a loaded path the path's price at
    /// the run start `start_ms` (Unix ms). `None` when neither is known.
    #[must_use]
    pub fn start_price(&self, start_ms: Option<u64>) -> Option<Dec> {
        self.index_price.or_else(|| self.price_path.as_ref()?.price_at_point(start_ms?))
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.name.trim().is_empty() {
            v.err(format!("{path}.name"), "must not be empty");
        }
        match (self.index_price, &self.path) {
            (Some(p), _) => v.positive_dec(&format!("{path}.index_price"), p),
            (None, None) => v.err(format!("{path}.index_price"), "required (unless the asset has a `path`)"),
            (None, Some(_)) => {}
        }
        if let Some(vol) = self.annual_volatility {
            v.non_negative_f64(&format!("{path}.annual_volatility"), vol);
            if self.path.is_some() {
                v.err(
                    format!("{path}.annual_volatility"),
                    "not allowed with `path`: the fair value follows the file, there is no random walk",
                );
            }
        }
        if let Some(p) = &self.path
            && p.trim().is_empty()
        {
            v.err(format!("{path}.path"), "must not be empty");
        }
        v.positive_dec(&format!("{path}.spot_depth_1pct"), self.spot_depth_1pct);
        v.nonzero(&format!("{path}.spot_recovery_half_life_s"), self.spot_recovery_half_life_s);
    }
}
