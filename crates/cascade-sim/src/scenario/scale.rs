//! `run.scale`: one declared fraction of the real market, applied to every amount at once.
//!
//! A full-scale 10 October run holds millions of accounts; calibration and sweeps want the same
//! market smaller. Shrinking only the population would leave books, flows and funds at real size
//! (liquidations could no longer move prices), so every amount that sets how much trades —
//! accounts, depth, inventory, capital, flow, funds — shrinks by the same factor, while each
//! account keeps its own size and leverage (its liquidation price and margin tier are those of
//! the full run).

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use super::{Dec, Scenario};

/// Decimal places kept when an amount is scaled (the engine's cash precision).
const SCALED_DP: u32 = 8;

impl Scenario {
    /// This scenario at `run.scale`: every market amount multiplied by it (counts rounded to the
    /// nearest whole number, at least one where there was one), `run.scale` kept so the summary
    /// can report totals at full scale. Unchanged at scale 1.
    #[must_use]
    pub fn at_run_scale(&self) -> Scenario {
        let s = self.run.scale;
        let mut out = self.clone();
        if s == 1.0 || !s.is_finite() || s <= 0.0 {
            return out;
        }
        let k = Decimal::from_f64(s).unwrap_or(Decimal::ONE);
        let dec = |d: &mut Dec| d.0 = (d.0 * k).round_dp(SCALED_DP);
        let count = |n: &mut u32| {
            if *n > 0 {
                *n = ((f64::from(*n) * s).round() as u32).max(1);
            }
        };
        count(&mut out.population.accounts);
        for m in &mut out.makers {
            dec(&mut m.capital);
            dec(&mut m.level_notional);
            dec(&mut m.max_inventory);
            if let Some(limit) = m.max_position.as_mut() {
                dec(limit);
            }
        }
        for a in &mut out.arbitrageurs {
            dec(&mut a.capital);
            dec(&mut a.max_position);
        }
        for h in &mut out.hedgers {
            dec(&mut h.notional);
        }
        out.noise.activity_per_s *= s;
        dec(&mut out.noise.value_notional);
        for h in &mut out.herds {
            count(&mut h.followers);
        }
        for sh in &mut out.shocks {
            dec(&mut sh.notional);
        }
        // The modelled spot depth; an asset with `[[assets.spot]]` books has real books instead,
        // whose makers are scaled above, and a replayed one (`index = "path"`) has no depth.
        let modelled = |a: &super::Asset| a.spot.is_empty() && a.index != Some(super::IndexSource::Path);
        for a in out.assets.iter_mut().filter(|a| modelled(a)) {
            let mut depth = a.spot_depth_1pct();
            dec(&mut depth);
            a.spot_depth_1pct = Some(depth);
        }
        for v in &mut out.venues {
            dec(&mut v.insurance_fund);
            dec(&mut v.backstop_capital);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-checked: at scale 0.01 a 3,500,000-account population is 35,000 accounts, a
    /// 500,000 level 5,000, a $300M fund $3M, 3 herd followers 0.03 → at least 1; the leverage
    /// buckets and size distribution (per account) are untouched.
    #[test]
    fn every_amount_shrinks_and_each_account_keeps_its_size() {
        let text = r#"
[run]
duration_s = 60
scale = 0.01
[[assets]]
name = "BTC"
index_price = "100000"
[[venues]]
name = "binance"
rules = "binance"
insurance_fund = "300000000"
[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
[population]
accounts = 3500000
[[population.markets]]
venue = "binance"
symbol = "BTCUSDT"
weight = 1.0
[population.baskets]
share = 0.2
legs = 2
size = 0.5
hedge = 0.3
[[makers]]
venue = "binance"
symbol = "BTCUSDT"
level_notional = "500000"
capital = "200000000"
max_inventory = "50000000"
hedge_half_life_s = 60
max_position = "40000000"
[[shocks]]
at_s = 10
asset = "BTC"
notional = "1500000000"
[[herds]]
venue = "binance"
symbol = "BTCUSDT"
followers = 3
leader_entry_s = 5
"#;
        let full = Scenario::from_toml(text, "t.toml").unwrap();
        let s = full.at_run_scale();
        assert_eq!(s.population.accounts, 35_000);
        assert_eq!(s.makers[0].level_notional, Dec::parse("5000").unwrap());
        assert_eq!(s.makers[0].capital, Dec::parse("2000000").unwrap());
        assert_eq!(s.makers[0].max_inventory, Dec::parse("500000").unwrap());
        assert_eq!(s.makers[0].max_position, Some(Dec::parse("400000").unwrap()));
        assert_eq!(s.shocks[0].notional, Dec::parse("15000000").unwrap());
        assert_eq!(s.venues[0].insurance_fund, Dec::parse("3000000").unwrap());
        assert_eq!(s.herds[0].followers, 1);
        // The default spot depth ($100M within 1%) is written out scaled: $1M.
        assert_eq!(s.assets[0].spot_depth_1pct, Some(Dec::parse("1000000").unwrap()));
        assert_eq!(s.population.size, full.population.size);
        assert_eq!(s.population.leverage, full.population.leverage);
        // Shares and fractions: nothing to scale.
        assert_eq!(s.population.baskets, full.population.baskets);
        assert_eq!(s.run.scale, 0.01);
    }

    /// A scale outside (0, 1] is refused with the reason, at `run.scale`.
    #[test]
    fn a_scale_outside_zero_to_one_is_refused() {
        for bad in ["0", "-0.5", "1.5", "nan"] {
            let text = format!("[run]\nscale = {bad}\n");
            let problems = match Scenario::from_toml(&text, "t.toml") {
                Ok(s) => s.validate(),
                Err(e) => e.problems().to_vec(),
            };
            let p = problems.iter().find(|p| p.path == "run.scale");
            assert!(p.is_some_and(|p| p.message.contains("(0, 1]")), "scale {bad}: {problems:?}");
        }
    }
}
