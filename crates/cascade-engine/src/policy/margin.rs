//! Dynamic margin: a multiplier `k ≥ 1` on every maintenance and initial rate of a market's
//! tiers, from realized volatility and open interest, phased in linearly.
//!
//! * [`margin_multiplier`]: `k = max(clamp(vol / reference_vol, 1, max), clamp(oi / reference_oi,
//!   1, max))` for whichever references are set.
//! * [`MarginRamp`]: the multiplier in force moves from its value at a change to the new target
//!   linearly over `ramp_ms`.
//! * [`scaled_tiers`]: the table with `mmr × k`, `imr × k` (at most 100 %), maintenance amounts
//!   `× k` (so `MM = k × MM₀` exactly up to the rounding, which favours the venue) and maximum
//!   leverage `min(max₀, 1 / imr')`.
//!
//! The venue keeps the base table and swaps in the scaled one, re-indexing every liquidation
//! trigger (`Venue::set_margin_multiplier`).

use crate::margin::tiers::{Leverage, RiskTiers, TierError, TierSpec};
use crate::num::{Cash, RATE_ONE, Rate, Round, mul_div};

/// The multiplier for realized volatility `vol` (annualised, as a rate) and open interest `oi`
/// (settle asset): the larger of the references' ratios, each within `[1, max]`, rounded down.
/// A reference that is `None` (or not positive) contributes 1.
#[must_use]
pub fn margin_multiplier(
    vol: Rate,
    reference_vol: Option<Rate>,
    oi: Cash,
    reference_oi: Option<Cash>,
    max: Rate,
) -> Rate {
    let max = max.0.max(RATE_ONE);
    let ratio = |x: i64, r: Option<i64>| match r {
        Some(r) if r > 0 => mul_div(x.max(0), RATE_ONE, r, Round::Floor).unwrap_or(max).clamp(RATE_ONE, max),
        _ => RATE_ONE,
    };
    Rate(ratio(vol.0, reference_vol.map(|r| r.0)).max(ratio(oi.0, reference_oi.map(|r| r.0))))
}

/// A multiplier moving linearly from `from` (at `start_ms`) to `to` (at `start_ms + ramp_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarginRamp {
    /// Multiplier in force when the change began.
    pub from: Rate,
    /// Target.
    pub to: Rate,
    /// When the change began, milliseconds.
    pub start_ms: u64,
    /// Length of the ramp, milliseconds (0: at once).
    pub ramp_ms: u64,
}

impl MarginRamp {
    /// A ramp standing still at `k`.
    #[must_use]
    pub const fn flat(k: Rate) -> Self {
        Self { from: k, to: k, start_ms: 0, ramp_ms: 0 }
    }

    /// The multiplier at `now_ms`: `from + (to − from) × elapsed / ramp_ms`, rounded toward
    /// `from` (a change is never ahead of its schedule), `to` once the ramp is over.
    #[must_use]
    pub fn at(&self, now_ms: u64) -> Rate {
        let elapsed = now_ms.saturating_sub(self.start_ms);
        if self.ramp_ms == 0 || elapsed >= self.ramp_ms {
            return self.to;
        }
        let span = i128::from(self.to.0 - self.from.0);
        let step = span * i128::from(elapsed) / i128::from(self.ramp_ms); // toward zero: toward `from`
        Rate(self.from.0 + i64::try_from(step).unwrap_or(0))
    }

    /// A new target from `now_ms`, starting from the multiplier in force then.
    #[must_use]
    pub fn retarget(&self, to: Rate, now_ms: u64, ramp_ms: u64) -> Self {
        Self { from: self.at(now_ms), to, start_ms: now_ms, ramp_ms }
    }
}

/// `base` with every rate multiplied by `k` (see the module docs). `k = 1` gives `base` itself.
///
/// # Errors
/// [`TierError`] if the scaled table is refused (an overflow).
pub fn scaled_tiers(base: &RiskTiers, k: Rate) -> Result<RiskTiers, TierError> {
    if k.0 == RATE_ONE {
        return Ok(base.clone());
    }
    let k = k.0.max(RATE_ONE);
    let mut specs = Vec::with_capacity(base.tiers().len());
    for (index, t) in base.tiers().iter().enumerate() {
        let of = |field| TierError::Overflow { index, field };
        let imr = mul_div(t.imr.0, k, RATE_ONE, Round::Ceil).map_err(|_| of("imr"))?.min(RATE_ONE);
        // Below the initial rate, or a position could open already liquidatable.
        let mmr = mul_div(t.mmr.0, k, RATE_ONE, Round::Ceil).map_err(|_| of("mmr"))?.min(imr - 1);
        let amount =
            t.maintenance_amount.mul_div(k, RATE_ONE, Round::Floor).map_err(|_| of("maintenance_amount"))?;
        let lev = Leverage::from_imr(Rate(imr)).map_err(|_| of("imr"))?.min(t.max_leverage);
        specs.push(TierSpec {
            floor: t.floor,
            mmr: Rate(mmr),
            imr: Some(Rate(imr)),
            max_leverage: Some(lev),
            maintenance_amount: Some(amount),
        });
    }
    RiskTiers::new(base.basis(), &specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::margin::tiers::{Exposure, TierBasis};

    fn r(s: &str) -> Rate {
        Rate::parse(s).unwrap()
    }

    #[test]
    fn the_multiplier_is_the_larger_clamped_ratio() {
        let max = r("3");
        // Vol 1.2 against 0.8: 1.5. OI unset.
        assert_eq!(margin_multiplier(r("1.2"), Some(r("0.8")), Cash::ZERO, None, max), r("1.5"));
        // Calm vol 0.4 against 0.8 is clamped up to 1.
        assert_eq!(margin_multiplier(r("0.4"), Some(r("0.8")), Cash::ZERO, None, max), Rate::ONE);
        // Vol 4.0 against 0.8 would be 5: clamped to 3.
        assert_eq!(margin_multiplier(r("4"), Some(r("0.8")), Cash::ZERO, None, max), r("3"));
        // OI 250M against 100M: 2.5, above the vol's 1.5.
        let oi = Cash::units(250_000_000).unwrap();
        let ref_oi = Some(Cash::units(100_000_000).unwrap());
        assert_eq!(margin_multiplier(r("1.2"), Some(r("0.8")), oi, ref_oi, max), r("2.5"));
        // 1/3 rounds down: 1.33333333.
        assert_eq!(margin_multiplier(r("1"), Some(r("0.75")), Cash::ZERO, None, max), Rate(133_333_333));
    }

    #[test]
    fn a_ramp_phases_the_change_in_linearly() {
        let ramp = MarginRamp::flat(Rate::ONE).retarget(r("2"), 10_000, 60_000);
        assert_eq!(ramp.at(10_000), Rate::ONE);
        assert_eq!(ramp.at(25_000), r("1.25")); // a quarter of the way
        assert_eq!(ramp.at(40_000), r("1.5"));
        assert_eq!(ramp.at(70_000), r("2"));
        assert_eq!(ramp.at(99_000), r("2"));
        // Retargeting half-way down from 1.5 to 1 over 10 s.
        let down = ramp.retarget(Rate::ONE, 40_000, 10_000);
        assert_eq!((down.from, down.at(45_000), down.at(50_000)), (r("1.5"), r("1.25"), Rate::ONE));
    }

    /// Binance's first two BTC brackets (0.4 % / 125x from 0, 0.5 % / 100x from 50,000;
    /// amount 50) doubled: 0.8 % / 62.5x (1/0.016 = 62.5, leverage keeps decimals) and 1.0 % /
    /// 50x, amount 100.
    /// MM of a 100,000 position: 100,000 × 1 % − 100 = 900 = 2 × (100,000 × 0.5 % − 50).
    #[test]
    fn doubling_doubles_every_rate_and_the_maintenance() {
        let base = RiskTiers::new(
            TierBasis::Notional,
            &[
                TierSpec::new(0, r("0.004"), Leverage::from_int(125).unwrap()),
                TierSpec::new(5_000_000_000_000, r("0.005"), Leverage::from_int(100).unwrap()),
            ],
        )
        .unwrap();
        let t = scaled_tiers(&base, r("2")).unwrap();
        let (a, b) = (t.tiers()[0], t.tiers()[1]);
        assert_eq!(
            (a.mmr, a.imr, a.max_leverage),
            (r("0.008"), r("0.016"), Leverage::parse("62.5").unwrap())
        );
        assert_eq!((b.mmr, b.imr, b.max_leverage), (r("0.01"), r("0.02"), Leverage::from_int(50).unwrap()));
        assert_eq!(b.maintenance_amount, Cash::units(100).unwrap());
        let e = Exposure::notional(Cash::units(100_000).unwrap());
        assert_eq!(t.maintenance_margin(&e).unwrap(), Cash::units(900).unwrap());
        assert_eq!(scaled_tiers(&base, Rate::ONE).unwrap(), base);
    }
}
