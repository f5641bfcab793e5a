//! `[[hedgers]]`: holders of spot who short the perpetual against it (cash-and-carry, basis
//! funds). Their short is what auto-deleveraging closes first when it runs against the winners,
//! leaving them long spot unhedged (calibration/oct-10-2025.md, "Auto-deleveraging fired").

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{Dec, MAX_LEVERAGE};

/// Cross or isolated margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MarginModeCfg {
    /// All positions share the wallet.
    #[default]
    Cross,
    /// The position has its own margin.
    Isolated,
}

/// `[[hedgers]]`: one or more identical hedgers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hedger {
    /// Venue `name` (required).
    pub venue: String,
    /// Instrument `symbol` on that venue (required).
    pub symbol: String,
    /// Number of hedgers with these parameters (default 1; > 0).
    #[serde(default = "one")]
    pub count: u32,
    /// Spot held and perpetual shorted per hedger, settle-asset notional (default `"1000000"`; > 0).
    #[serde(default = "default_notional")]
    pub notional: Dec,
    /// Leverage of the short (default 3; 1..=200).
    #[serde(default = "default_leverage")]
    pub leverage: u32,
    /// `cross` (default) or `isolated`.
    #[serde(default)]
    pub margin_mode: MarginModeCfg,
    /// Time between checks that re-open a hedge closed by ADL or liquidation, seconds (default
    /// 3600; > 0).
    #[serde(default = "default_rebalance")]
    pub rebalance_s: u64,
}

fn one() -> u32 {
    1
}
fn default_notional() -> Dec {
    Dec(1_000_000.into())
}
fn default_leverage() -> u32 {
    3
}
fn default_rebalance() -> u64 {
    3_600
}

impl Hedger {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        v.nonzero(&f("count"), u64::from(self.count));
        v.at_most(&f("count"), u64::from(self.count), super::validate::MAX_FOLLOWERS);
        v.positive_dec(&f("notional"), self.notional);
        v.fits_money(&f("notional"), self.notional);
        if self.leverage == 0 {
            v.err(f("leverage"), "leverage must be at least 1 (got 0)");
        } else if self.leverage > MAX_LEVERAGE {
            v.err(f("leverage"), format!("must be at most {MAX_LEVERAGE}, got {}", self.leverage));
        }
        v.nonzero(&f("rebalance_s"), self.rebalance_s);
    }
}
