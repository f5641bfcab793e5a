//! `[policy]`: the safeguards a scenario can switch on to test what they would have changed.
//!
//! One sub-table per family of levers, each in its own file (`[policy.halts]`,
//! `[policy.leverage]`, …), each off when absent. Every sub-table can name the venues it
//! applies to (`venues = [...]`, default: all; an unknown name is an error). A key the
//! simulator would not act on is an error, never silently accepted, and so is a lever named
//! for a venue whose rules give it nothing to act on; an empty `[policy]` table is allowed and
//! is the baseline.
//!
//! ```toml
//! [policy.halts]        # move, window_s, halt_s, scope, liquidations, resting_orders, reopen_band, reopen_s
//! [policy.bands]        # band, orders, liquidations
//! [policy.liquidation]  # max_notional_per_interval, interval_ms, cooldown_ms, band
//! [policy.adl]          # rule, fund_threshold
//! [policy.fund]         # insurance_fund, scale, backstop_capital, backstop_when_below
//! [policy.leverage]     # max, per_market, open_interest, position, population_max
//! [policy.margin]       # reference_volatility, reference_open_interest, max_multiplier, update_interval_s, ramp_s
//! [policy.prices]       # mark_smoothing, mark_window_s
//! [policy.collateral]   # source, haircut
//! [policy.transfers]    # delay_s, capacity, capacity_interval_s, outages
//! [policy.stops]        # reference_volatility, max_factor, update_interval_s
//! ```
//!
//! A policy file (`scenarios/policies/*.toml`, for `cascade compare --policy NAME=FILE`) holds
//! exactly what goes under `[policy]`: its tables are `[halts]`, `[leverage]`, ….

mod adl;
mod bands;
mod collateral;
mod fund;
mod halts;
mod leverage;
mod liquidation;
mod margin;
mod prices;
pub(crate) mod scope;
mod stops;
mod transfers;

#[cfg(test)]
mod safeguard_tests;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use adl::{Adl, AdlRuleCfg};
pub use bands::Bands;
pub use collateral::CollateralPolicy;
pub use fund::Fund;
pub use halts::{HaltLiquidations, HaltScopeCfg, Halts, RestingOrders};
pub use leverage::{CapStep, LeveragePolicy, MarketCap};
pub use liquidation::LiquidationPacing;
pub use margin::MarginPolicy;
pub use prices::{MarkSmoothing, PricesPolicy};
pub use scope::{acts_on, applies};
pub use stops::StopsPolicy;
pub use transfers::{Outage, TransfersPolicy};

use super::RuleSet;
use super::validate::Validator;
use scope::{Known, acts_somewhere, check_venues};

/// `[policy]`: market-wide rules (none by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// `[policy.halts]`: circuit breaker (default: none).
    pub halts: Option<Halts>,
    /// `[policy.bands]`: price bands around the mark (default: none).
    pub bands: Option<Bands>,
    /// `[policy.liquidation]`: liquidation pacing (default: none).
    pub liquidation: Option<LiquidationPacing>,
    /// `[policy.adl]`: ADL variant and fund threshold (default: the venues' own).
    pub adl: Option<Adl>,
    /// `[policy.fund]`: insurance-fund sizing and an external backstop (default: none).
    pub fund: Option<Fund>,
    /// `[policy.leverage]`: leverage caps at order entry and on the population's draws.
    pub leverage: Option<LeveragePolicy>,
    /// `[policy.margin]`: margin rates scaled by realized volatility and open interest.
    pub margin: Option<MarginPolicy>,
    /// `[policy.prices]`: mark smoothing.
    pub prices: Option<PricesPolicy>,
    /// `[policy.collateral]`: collateral price source and haircut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collateral: Option<CollateralPolicy>,
    /// `[policy.transfers]`: delay, capacity and outages of cross-venue collateral transfers.
    pub transfers: Option<TransfersPolicy>,
    /// `[policy.stops]`: the population's stop-losses scaled by realized volatility.
    pub stops: Option<StopsPolicy>,
}

impl Policy {
    /// Checks every sub-table against what the scenario defines (`known`).
    pub(crate) fn validate(&self, known: &Known<'_>, v: &mut Validator) {
        if let Some(h) = &self.halts {
            check_venues("policy.halts", &h.venues, &known.venues, v);
            h.validate("policy.halts", v);
        }
        if let Some(b) = &self.bands {
            check_venues("policy.bands", &b.venues, &known.venues, v);
            b.validate("policy.bands", v);
        }
        if let Some(l) = &self.liquidation {
            check_venues("policy.liquidation", &l.venues, &known.venues, v);
            l.validate("policy.liquidation", v);
        }
        if let Some(a) = &self.adl {
            check_venues("policy.adl", &a.venues, &known.venues, v);
            a.validate("policy.adl", v);
            // Drift has no ADL (§7.3): neither the rule nor the threshold can act there.
            acts_somewhere("policy.adl", &a.venues, known, |r| r != RuleSet::Drift, "has no ADL", v);
            if a.fund_threshold.is_some() {
                acts_somewhere(
                    "policy.adl.fund_threshold",
                    &a.venues,
                    known,
                    |r| r != RuleSet::Hyperliquid,
                    "deleverages against its liquidator vault, not its insurance fund",
                    v,
                );
            }
        }
        if let Some(f) = &self.fund {
            check_venues("policy.fund", &f.venues, &known.venues, v);
            f.validate("policy.fund", v);
            if f.backstop_capital.is_positive() {
                acts_somewhere(
                    "policy.fund.backstop_capital",
                    &f.venues,
                    known,
                    |r| !matches!(r, RuleSet::Hyperliquid | RuleSet::Drift),
                    "puts no insurance-fund takeover before ADL (hyperliquid: the liquidator vault; drift: \
                     no ADL)",
                    v,
                );
            }
        }
        if let Some(p) = &self.leverage {
            p.validate("policy.leverage", known, v);
        }
        if let Some(p) = &self.margin {
            p.validate("policy.margin", known, v);
        }
        if let Some(p) = &self.prices {
            p.validate("policy.prices", known, v);
        }
        if let Some(p) = &self.collateral {
            p.validate("policy.collateral", known, v);
        }
        if let Some(p) = &self.transfers {
            p.validate("policy.transfers", known, v);
        }
        if let Some(p) = &self.stops {
            p.validate("policy.stops", known, v);
        }
    }
}

/// A fraction that must lie in (0, 1).
fn open_fraction(path: &str, d: super::Dec, v: &mut Validator) {
    if !(d.is_positive() && d.get() < rust_decimal::Decimal::ONE) {
        v.err(path, format!("must be a fraction in (0, 1), got {d}"));
    } else if d.to_scaled(cascade_engine::num::RATE_DECIMALS).is_none() {
        v.err(path, format!("{d} has more than {} decimal places", cascade_engine::num::RATE_DECIMALS));
    }
}

/// The longest duration a policy may set, seconds (30 days: longer than any run).
pub const MAX_POLICY_SECONDS: u64 = 2_592_000;
