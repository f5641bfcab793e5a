//! `[policy.liquidation]`: liquidation pacing. At most `max_notional_per_interval` of notional
//! (valued at the mark) is liquidated per market and `interval_ms` (dYdX's per-block limit,
//! venue-mechanics §6.3); an account liquidated on a market waits `cooldown_ms` before its next
//! step there (after Hyperliquid's 30 s cooldown, §5.3); liquidation orders execute only within
//! `band` of the mark. Accounts the cap or the cooldown hold back stay liquidatable and are
//! taken in later intervals: nobody is lost. The engine's `safeguards::Pacing` and
//! `liquidation_band`.
//!
//! Hyperliquid's vault takeover moves a whole account at once, which the cap cannot split: it
//! waits for an interval with room for it, or, when the account alone is larger than the cap,
//! for an interval in which nothing has been liquidated yet on that market (then it is the
//! only liquidation of the interval there).

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;
use super::{MAX_POLICY_SECONDS, open_fraction};

/// `[policy.liquidation]`: liquidation pacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationPacing {
    /// Venues it applies to (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Largest notional liquidated per market and interval, settle-asset units at the mark
    /// (default: no cap; > 0), e.g. `"5000000"`.
    #[serde(default)]
    pub max_notional_per_interval: Option<Dec>,
    /// Length of an interval, milliseconds of simulated time (default 1000; > 0). Intervals
    /// start at multiples of it.
    #[serde(default = "one_second")]
    pub interval_ms: u64,
    /// Least time between two liquidation steps of one account on one market, milliseconds
    /// (default 0: none).
    #[serde(default)]
    pub cooldown_ms: u64,
    /// Liquidation orders execute no further than this fraction from the mark (default: no
    /// band; in (0, 1)). The same lever as `[policy.bands] liquidations = true`; with both,
    /// the tighter band applies.
    #[serde(default)]
    pub band: Option<Dec>,
}

fn one_second() -> u64 {
    1000
}

impl LiquidationPacing {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |k: &str| format!("{path}.{k}");
        if let Some(cap) = self.max_notional_per_interval {
            v.positive_dec(&f("max_notional_per_interval"), cap);
            v.fits_cash(&f("max_notional_per_interval"), cap);
        }
        v.nonzero(&f("interval_ms"), self.interval_ms);
        v.at_most(&f("interval_ms"), self.interval_ms, MAX_POLICY_SECONDS * 1000);
        v.at_most(&f("cooldown_ms"), self.cooldown_ms, MAX_POLICY_SECONDS * 1000);
        if let Some(b) = self.band {
            open_fraction(&f("band"), b, v);
        }
        if self.max_notional_per_interval.is_none() && self.cooldown_ms == 0 && self.band.is_none() {
            v.err(
                path,
                "sets no lever: give max_notional_per_interval, cooldown_ms or band (or leave the table out)",
            );
        }
    }
}
