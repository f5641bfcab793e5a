//! Maps a scenario's `[policy]` onto one venue's engine safeguards
//! (`cascade_engine::safeguards::Safeguards`): every decimal becomes an engine integer exactly,
//! every duration milliseconds of simulated time, and only the sub-tables whose `venues` list
//! names the venue (or is empty) apply to it.

use cascade_engine::num::{CASH_DECIMALS, Cash, Rate};
use cascade_engine::safeguards::{
    AdlRule, BandRule, ExternalBackstop, HaltRule, HaltScope, Pacing, Safeguards,
};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::SimError;
use crate::scenario::{
    AdlRuleCfg, Dec, HaltLiquidations, HaltScopeCfg, Policy, RestingOrders, RuleSet, acts_on, applies,
};
use crate::world::build::{cash, rate};

/// The safeguards `policy` gives venue `venue` under rule set `rules`. A lever left to every
/// venue applies where it can act: ADL variants and the fund threshold not on Drift (no ADL),
/// the fund threshold and the external backstop not on Hyperliquid (its vault, not its fund,
/// stands before ADL), the backstop not on Drift.
///
/// # Errors
/// [`SimError::Scenario`] naming a field the engine cannot hold (validation catches these).
pub fn safeguards(policy: &Policy, venue: &str, rules: RuleSet) -> Result<Safeguards, SimError> {
    let mut s = Safeguards::default();
    if let Some(h) = policy.halts.as_ref().filter(|h| applies(&h.venues, venue)) {
        s.halt = Some(HaltRule {
            move_rate: rate("policy.halts.move", h.move_)?,
            window_ms: h.window_s.saturating_mul(1000),
            halt_ms: h.halt_s.saturating_mul(1000),
            scope: match h.scope {
                HaltScopeCfg::Market => HaltScope::Market,
                HaltScopeCfg::Venue => HaltScope::Venue,
            },
            liquidations: h.liquidations == HaltLiquidations::Continue,
            cancel_resting: h.resting_orders == RestingOrders::Cancel,
            reopen_band: rate("policy.halts.reopen_band", h.reopen_band)?,
            reopen_ms: h.reopen_s.saturating_mul(1000),
        });
    }
    let mut liquidation_band: Option<Rate> = None;
    let mut tighter = |r: Rate| liquidation_band = Some(liquidation_band.map_or(r, |b: Rate| b.min(r)));
    if let Some(b) = policy.bands.as_ref().filter(|b| applies(&b.venues, venue)) {
        let band = rate("policy.bands.band", b.band)?;
        if b.orders {
            s.band = Some(BandRule { band });
        }
        if b.liquidations {
            tighter(band);
        }
    }
    if let Some(l) = policy.liquidation.as_ref().filter(|l| applies(&l.venues, venue)) {
        if let Some(b) = l.band {
            tighter(rate("policy.liquidation.band", b)?);
        }
        if l.max_notional_per_interval.is_some() || l.cooldown_ms > 0 {
            s.pacing = Some(Pacing {
                max_notional: l
                    .max_notional_per_interval
                    .map(|c| cash("policy.liquidation.max_notional_per_interval", c))
                    .transpose()?,
                interval_ms: l.interval_ms,
                cooldown_ms: l.cooldown_ms,
            });
        }
    }
    s.liquidation_band = liquidation_band;
    let some = Some(rules);
    if let Some(a) = policy.adl.as_ref().filter(|a| acts_on(&a.venues, venue, some, |r| r != RuleSet::Drift))
    {
        s.adl = match a.rule {
            AdlRuleCfg::Venue => AdlRule::Venue,
            AdlRuleCfg::ProRata => AdlRule::ProRata,
            AdlRuleCfg::Haircut => AdlRule::Haircut,
        };
        if rules != RuleSet::Hyperliquid {
            s.adl_fund_threshold =
                a.fund_threshold.map(|t| cash("policy.adl.fund_threshold", t)).transpose()?;
        }
    }
    let fund_first = |r: RuleSet| !matches!(r, RuleSet::Hyperliquid | RuleSet::Drift);
    if let Some(f) = policy.fund.as_ref().filter(|f| acts_on(&f.venues, venue, some, fund_first))
        && f.backstop_capital.is_positive()
    {
        let when_below = f.backstop_when_below.ok_or_else(|| {
            SimError::scenario("policy.fund.backstop_when_below", "required with backstop_capital")
        })?;
        s.backstop = Some(ExternalBackstop {
            capital: cash("policy.fund.backstop_capital", f.backstop_capital)?,
            when_below: cash("policy.fund.backstop_when_below", when_below)?,
        });
    }
    Ok(s)
}

/// Venue `venue`'s insurance fund at time zero: its own `insurance_fund` (`base`, at `field`),
/// replaced or scaled by `[policy.fund]` (a scaled figure rounded down to 10^-8).
///
/// # Errors
/// [`SimError::Scenario`] when the figure does not fit the engine's cash.
pub fn insurance_fund(policy: &Policy, venue: &str, base: Dec, field: &str) -> Result<Cash, SimError> {
    let Some(f) = policy.fund.as_ref().filter(|f| applies(&f.venues, venue)) else {
        return cash(field, base);
    };
    if let Some(x) = f.insurance_fund {
        return cash("policy.fund.insurance_fund", x);
    }
    if let Some(k) = f.scale {
        let scaled = base
            .get()
            .checked_mul(k.get())
            .map(|d| d.round_dp_with_strategy(CASH_DECIMALS, RoundingStrategy::ToZero))
            .unwrap_or(Decimal::MAX);
        return cash("policy.fund.scale", Dec(scaled));
    }
    cash(field, base)
}

/// The band (a fraction) agents' protected market orders keep on venue `venue`: the venue's
/// `market_band`, narrowed by a `[policy.bands]` band on orders, so they are capped inside the
/// band rather than refused.
#[must_use]
pub fn order_band(policy: &Policy, venue: &str, market_band: f64) -> f64 {
    match policy.bands.as_ref().filter(|b| b.orders && applies(&b.venues, venue)) {
        Some(b) if market_band > 0.0 => market_band.min(b.band.to_f64()),
        Some(b) => b.band.to_f64(),
        None => market_band,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{DEFAULT_TOML, Scenario, scenario_with_policy};

    fn with_policy(policy: &str) -> Scenario {
        scenario_with_policy(DEFAULT_TOML, "s.toml", policy, "p.toml").unwrap_or_else(|e| panic!("{e}")).0
    }

    /// Every key reaches the engine exactly: 5% → 5,000,000 parts per 10^8, seconds → ms.
    #[test]
    fn every_key_reaches_the_engine() {
        let s = with_policy(
            r#"
[halts]
move = "0.05"
window_s = 60
halt_s = 300
scope = "venue"
liquidations = "continue"
resting_orders = "cancel"
reopen_band = "0.02"
reopen_s = 30
[bands]
band = "0.03"
liquidations = true
[liquidation]
max_notional_per_interval = "1000000"
interval_ms = 500
cooldown_ms = 30000
band = "0.025"
[adl]
rule = "haircut"
fund_threshold = "1000"
[fund]
venues = ["binance"]
scale = "0.5"
backstop_capital = "2000000"
backstop_when_below = "100000"
"#,
        );
        let g = safeguards(&s.policy, "binance", RuleSet::Binance).unwrap();
        assert_eq!(
            g.halt,
            Some(HaltRule {
                move_rate: Rate(5_000_000),
                window_ms: 60_000,
                halt_ms: 300_000,
                scope: HaltScope::Venue,
                liquidations: true,
                cancel_resting: true,
                reopen_band: Rate(2_000_000),
                reopen_ms: 30_000,
            })
        );
        assert_eq!(g.band, Some(BandRule { band: Rate(3_000_000) }));
        // The tighter of the bands' 3% and the pacing table's 2.5%.
        assert_eq!(g.liquidation_band, Some(Rate(2_500_000)));
        assert_eq!(
            g.pacing,
            Some(Pacing {
                max_notional: Some(Cash(100_000_000_000_000)),
                interval_ms: 500,
                cooldown_ms: 30_000
            })
        );
        assert_eq!((g.adl, g.adl_fund_threshold), (AdlRule::Haircut, Some(Cash(100_000_000_000))));
        assert_eq!(
            g.backstop,
            Some(ExternalBackstop {
                capital: Cash(200_000_000_000_000),
                when_below: Cash(10_000_000_000_000)
            })
        );
        // `[fund]` names binance only.
        assert_eq!(safeguards(&s.policy, "hyperliquid", RuleSet::Hyperliquid).unwrap().backstop, None);
        // Left to every venue, the fund threshold skips Hyperliquid (its vault stands before
        // ADL) and the ADL rule skips Drift (no ADL).
        assert_eq!(
            safeguards(&s.policy, "hyperliquid", RuleSet::Hyperliquid).unwrap().adl_fund_threshold,
            None
        );
        assert_eq!(safeguards(&s.policy, "x", RuleSet::Drift).unwrap().adl, AdlRule::Venue);
        // 0.5 × 1,234.567890123 = 617.2839450615 → 617.28394506 (rounded down to 10^-8).
        let base = Dec::parse("1234.567890123").unwrap();
        assert_eq!(insurance_fund(&s.policy, "binance", base, "f").unwrap(), Cash(61_728_394_506));
        assert_eq!(
            insurance_fund(&s.policy, "hyperliquid", Dec::parse("7").unwrap(), "f").unwrap(),
            Cash(700_000_000)
        );
        // Agents' market orders keep the 3% band inside the venue's 5%.
        assert!((order_band(&s.policy, "binance", 0.05) - 0.03).abs() < 1e-12);
    }

    #[test]
    fn an_empty_policy_is_the_baseline() {
        let s = with_policy("");
        assert_eq!(safeguards(&s.policy, "binance", RuleSet::Binance).unwrap(), Safeguards::default());
        assert_eq!(
            insurance_fund(&s.policy, "binance", Dec::parse("5").unwrap(), "f").unwrap(),
            Cash(500_000_000)
        );
    }
}
