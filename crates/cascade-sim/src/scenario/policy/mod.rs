//! `[policy]`: the safeguards a scenario can switch on to test what they would have changed.
//!
//! One sub-table per family of levers, each in its own file (`[policy.halts]`,
//! `[policy.leverage]`, …). Every sub-table can name the venues it applies to (`venues = [...]`,
//! default: all). A key the simulator would not act on is an error, never silently accepted;
//! an empty `[policy]` table is allowed and is the baseline.
//!
//! ```toml
//! [policy.leverage]   # max, per_market, open_interest, position, population_max
//! [policy.margin]     # reference_volatility, reference_open_interest, max_multiplier, update_interval_s, ramp_s
//! [policy.prices]     # mark_smoothing, mark_window_s
//! [policy.transfers]  # delay_s, capacity, capacity_interval_s, outages
//! [policy.stops]      # reference_volatility, max_factor, update_interval_s
//! ```

mod leverage;
mod margin;
mod prices;
pub(crate) mod scope;
mod stops;
mod transfers;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use leverage::{CapStep, LeveragePolicy, MarketCap};
pub use margin::MarginPolicy;
pub use prices::{MarkSmoothing, PricesPolicy};
pub use scope::applies;
pub use stops::StopsPolicy;
pub use transfers::{Outage, TransfersPolicy};

use super::validate::Validator;
use scope::Known;

/// `[policy]`: market-wide rules (none by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// `[policy.leverage]`: leverage caps at order entry and on the population's draws.
    pub leverage: Option<LeveragePolicy>,
    /// `[policy.margin]`: margin rates scaled by realized volatility and open interest.
    pub margin: Option<MarginPolicy>,
    /// `[policy.prices]`: mark smoothing.
    pub prices: Option<PricesPolicy>,
    /// `[policy.transfers]`: delay, capacity and outages of cross-venue collateral transfers.
    pub transfers: Option<TransfersPolicy>,
    /// `[policy.stops]`: the population's stop-losses scaled by realized volatility.
    pub stops: Option<StopsPolicy>,
}

impl Policy {
    pub(crate) fn validate(&self, known: &Known<'_>, v: &mut Validator) {
        if let Some(p) = &self.leverage {
            p.validate("policy.leverage", known, v);
        }
        if let Some(p) = &self.margin {
            p.validate("policy.margin", known, v);
        }
        if let Some(p) = &self.prices {
            p.validate("policy.prices", known, v);
        }
        if let Some(p) = &self.transfers {
            p.validate("policy.transfers", known, v);
        }
        if let Some(p) = &self.stops {
            p.validate("policy.stops", known, v);
        }
    }
}
