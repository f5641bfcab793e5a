//! `[policy.leverage]`: leverage caps. A venue-side cap on the leverage of new exposure (static,
//! per market, tightening with the market's open interest or with the position's size), applied
//! by the engine at order entry; and `population_max`, a scenario-wide regime capping the
//! leverage the population draws (each capped account is counted in the summary, never
//! silently).

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::{Dec, MAX_LEVERAGE};
use super::scope::{Known, check_venues};

/// `[policy.leverage]`: leverage caps (each key optional; an empty table caps nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LeveragePolicy {
    /// Venues the venue-side caps apply at, by `name` (default: every venue). `population_max`
    /// is scenario-wide and ignores it.
    #[serde(default)]
    pub venues: Vec<String>,
    /// Highest leverage of new exposure on every perpetual of the venues, whole x (default:
    /// none; 1..=200). An order that would open or grow a position whose chosen leverage is
    /// above the cap is refused (`leverage cap`); positions that never chose one carry initial
    /// margin at the cap's rate. Open positions are not touched (grandfathered).
    pub max: Option<u32>,
    /// Caps for single markets, overriding `max` there: `[{ symbol = "BTCUSDT", max = 10 }]`
    /// (default: none). The symbol must be a perpetual of one of the venues.
    #[serde(default)]
    pub per_market: Vec<MarketCap>,
    /// Open-interest steps: `[{ above = "50000000", max = 10 }]` — while a market's open
    /// interest (long side, valued at the mark, settle-asset units) is at or above `above`, the
    /// cap is at most `max` (default: none). `above` strictly increasing, `max` non-increasing.
    #[serde(default)]
    pub open_interest: Vec<CapStep>,
    /// Position-size steps: `[{ above = "1000000", max = 5 }]` — a position whose notional
    /// after the order (at the order's price) is at or above `above`, settle-asset units, is
    /// capped at `max` (default: none). Same ordering rules as `open_interest`.
    #[serde(default)]
    pub position: Vec<CapStep>,
    /// Scenario-wide cap on the leverage the population draws, whole x (default: none;
    /// 1..=200). Every account whose drawn leverage it lowers is counted
    /// (`leverage_capped_accounts` in summary.json; so is each `[population.baskets]` leg it
    /// lowers) and the run prints a warning line.
    pub population_max: Option<u32>,
}

/// One market's static cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketCap {
    /// Perpetual symbol, e.g. `BTCUSDT` (required).
    pub symbol: String,
    /// Its cap, whole x (required; 1..=200).
    pub max: u32,
}

/// A step of a tightening cap: at or above `above`, at most `max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapStep {
    /// Threshold, settle-asset notional (required; > 0).
    pub above: Dec,
    /// Cap from the threshold on, whole x (required; 1..=200).
    pub max: u32,
}

fn leverage(path: &str, x: u32, v: &mut Validator) {
    if !(1..=MAX_LEVERAGE).contains(&x) {
        v.err(path, format!("a leverage cap must be between 1 and {MAX_LEVERAGE}, got {x}"));
    }
}

fn steps(path: &str, steps: &[CapStep], v: &mut Validator) {
    for (i, s) in steps.iter().enumerate() {
        let p = format!("{path}[{i}]");
        v.positive_dec(&format!("{p}.above"), s.above);
        v.fits_cash(&format!("{p}.above"), s.above);
        leverage(&format!("{p}.max"), s.max, v);
        if let Some(prev) = i.checked_sub(1).map(|j| &steps[j]) {
            if s.above <= prev.above {
                v.err(
                    format!("{p}.above"),
                    format!(
                        "steps must be in increasing order of `above`: {} follows {}",
                        s.above, prev.above
                    ),
                );
            }
            if s.max > prev.max {
                v.err(
                    format!("{p}.max"),
                    format!("a cap must tighten as `above` grows: {}x follows {}x", s.max, prev.max),
                );
            }
        }
    }
}

impl LeveragePolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        if let Some(m) = self.max {
            leverage(&format!("{path}.max"), m, v);
        }
        if let Some(m) = self.population_max {
            leverage(&format!("{path}.population_max"), m, v);
        }
        for (i, c) in self.per_market.iter().enumerate() {
            let p = format!("{path}.per_market[{i}]");
            leverage(&format!("{p}.max"), c.max, v);
            if !known.lists(&self.venues, &c.symbol) {
                v.err(
                    format!("{p}.symbol"),
                    format!("no venue of the policy lists a perpetual `{}`", c.symbol),
                );
            } else if self.per_market[..i].iter().any(|o| o.symbol == c.symbol) {
                v.err(format!("{p}.symbol"), format!("`{}` is capped twice", c.symbol));
            }
        }
        steps(&format!("{path}.open_interest"), &self.open_interest, v);
        steps(&format!("{path}.position"), &self.position, v);
    }

    /// Whether any venue-side cap is set (else only `population_max` acts).
    #[must_use]
    pub fn caps_venues(&self) -> bool {
        self.max.is_some()
            || !self.per_market.is_empty()
            || !self.open_interest.is_empty()
            || !self.position.is_empty()
    }
}
