//! `[policy]`: the safeguards a scenario can switch on to test what they would have changed.
//!
//! One sub-table per family of levers, each in its own file (`[policy.halts]`,
//! `[policy.bands]`, `[policy.liquidation]`, `[policy.adl]`, `[policy.fund]`, …), each off
//! when absent. Every sub-table can name the venues it applies to (`venues = [...]`, default:
//! all; an unknown name is an error). A key the simulator would not act on is an error, never
//! silently accepted; an empty `[policy]` table is allowed and is the baseline.
//!
//! A policy file (`scenarios/policies/*.toml`, for `cascade compare --policy NAME=FILE`) holds
//! exactly what goes under `[policy]`: its tables are `[halts]`, `[adl]`, … (see
//! [`crate::scenario::Scenario::with_policy_toml`]).

mod adl;
mod bands;
mod fund;
mod halts;
mod liquidation;

use serde::{Deserialize, Serialize};

pub use adl::{Adl, AdlRuleCfg};
pub use bands::Bands;
pub use fund::Fund;
pub use halts::{HaltLiquidations, HaltScopeCfg, Halts, RestingOrders};
pub use liquidation::LiquidationPacing;

use super::validate::Validator;

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
}

/// A venue as the policy checks see it: its name and rule set (`None` if unknown).
pub(crate) type VenueRef<'a> = (&'a str, Option<super::RuleSet>);

impl Policy {
    /// Checks every sub-table against the scenario's venues.
    pub(crate) fn validate(&self, venue_refs: &[VenueRef<'_>], v: &mut Validator) {
        let venues: Vec<&str> = venue_refs.iter().map(|(n, _)| *n).collect();
        let venues = venues.as_slice();
        if let Some(h) = &self.halts {
            check_venues("policy.halts.venues", &h.venues, venues, v);
            h.validate("policy.halts", v);
        }
        if let Some(b) = &self.bands {
            check_venues("policy.bands.venues", &b.venues, venues, v);
            b.validate("policy.bands", v);
        }
        if let Some(l) = &self.liquidation {
            check_venues("policy.liquidation.venues", &l.venues, venues, v);
            l.validate("policy.liquidation", v);
        }
        if let Some(a) = &self.adl {
            check_venues("policy.adl.venues", &a.venues, venues, v);
            a.validate("policy.adl", v);
            // Drift has no ADL (§7.3): neither the rule nor the threshold can act there.
            acts_somewhere(
                "policy.adl",
                &a.venues,
                venue_refs,
                |r| r != super::RuleSet::Drift,
                "has no ADL",
                v,
            );
            if a.fund_threshold.is_some() {
                acts_somewhere(
                    "policy.adl.fund_threshold",
                    &a.venues,
                    venue_refs,
                    |r| r != super::RuleSet::Hyperliquid,
                    "deleverages against its liquidator vault, not its insurance fund",
                    v,
                );
            }
        }
        if let Some(f) = &self.fund {
            check_venues("policy.fund.venues", &f.venues, venues, v);
            f.validate("policy.fund", v);
            if f.backstop_capital.is_positive() {
                acts_somewhere(
                    "policy.fund.backstop_capital",
                    &f.venues,
                    venue_refs,
                    |r| !matches!(r, super::RuleSet::Hyperliquid | super::RuleSet::Drift),
                    "puts no insurance-fund takeover before ADL (hyperliquid: the liquidator vault; drift: \
                     no ADL)",
                    v,
                );
            }
        }
    }
}

/// Whether a sub-table with this `venues` list applies to venue `name` (empty: every venue).
#[must_use]
pub fn applies(venues: &[String], name: &str) -> bool {
    venues.is_empty() || venues.iter().any(|v| v == name)
}

/// A lever that acts only on venues whose rule set passes `acts`: a venue named in `listed`
/// where it cannot act is an error; with `listed` empty (every venue) it applies where it
/// can, and is an error only when it can act nowhere.
fn acts_somewhere(
    path: &str,
    listed: &[String],
    venues: &[VenueRef<'_>],
    acts: impl Fn(super::RuleSet) -> bool,
    why: &str,
    v: &mut Validator,
) {
    let can = |(_, r): &VenueRef<'_>| r.is_none_or(&acts);
    if listed.is_empty() {
        if !venues.iter().any(can) {
            v.err(path, format!("cannot act on any venue of the scenario: each {why}"));
        }
        return;
    }
    for (name, r) in venues.iter().filter(|(n, _)| listed.iter().any(|l| l == n)) {
        if !can(&(name, *r)) {
            v.err(path, format!("venue `{name}` {why}; leave it out of `venues`"));
        }
    }
}

/// Whether a lever restricted to rule sets passing `acts` applies to a venue of rule set
/// `rules` named `name` under a sub-table's `venues` list.
#[must_use]
pub fn acts_on(
    venues: &[String],
    name: &str,
    rules: Option<super::RuleSet>,
    acts: impl Fn(super::RuleSet) -> bool,
) -> bool {
    applies(venues, name) && rules.is_none_or(acts)
}

/// Every name of `listed` is a venue of the scenario, and none is listed twice.
fn check_venues(path: &str, listed: &[String], known: &[&str], v: &mut Validator) {
    for (i, name) in listed.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            v.err(format!("{path}[{i}]"), format!("unknown venue `{name}` (defined: {})", known.join(", ")));
        } else if listed[..i].contains(name) {
            v.err(format!("{path}[{i}]"), format!("venue `{name}` is listed twice"));
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

#[cfg(test)]
mod safeguard_tests;
