//! A time-weighted exponential moving average in integers: Hyperliquid's mark-price EMA
//! (venue-mechanics §5.2), `num ← num·e^(−t/τ) + sample·t`, `den ← den·e^(−t/τ) + t`,
//! `ema = num / den`, where `t` is the time since the previous update.
//!
//! No floats: the decay `e^(−t/τ)` is computed by [`exp_neg`] as an exact-integer series, so the
//! same updates give the same average on every machine. The state counts time in nanoseconds
//! (milliseconds × 10^6) so that rounding the decayed weights costs well under one part in 10^9.

use crate::num::{Round, div_i128};

use super::error::{PricingError, invalid};

/// Fixed-point one of [`exp_neg`]'s result: factors are parts per 10^12.
pub const DECAY_ONE: i64 = 1_000_000_000_000;

/// Internal precision of [`exp_neg`]: parts per 10^18, six digits beyond the result's.
const WIDE_ONE: i128 = 1_000_000_000_000_000_000;

/// `e^(−1)` in parts per 10^18 (0.367879441171442321595…), rounded to nearest.
const E_INV_WIDE: i128 = 367_879_441_171_442_322;

/// Nanoseconds per millisecond: the state's time unit.
const NS_PER_MS: i128 = 1_000_000;

/// `e^(−t/tau)` in parts per [`DECAY_ONE`], for `t ≥ 0` and `tau > 0` in the same unit.
///
/// The whole part of `t/tau` multiplies by `e^(−1)`; the fraction uses the Taylor series, whose
/// alternating terms fall below one part in 10^12 within 20 terms. Each step rounds down, so the
/// result is within a few parts in 10^12 of the true value and never above [`DECAY_ONE`]. A
/// non-positive `t` gives [`DECAY_ONE`]; a non-positive `tau` gives 0 (instant decay).
#[must_use]
pub fn exp_neg(t: i64, tau: i64) -> i64 {
    if t <= 0 {
        return DECAY_ONE;
    }
    if tau <= 0 {
        return 0;
    }
    let (whole, frac) = (t / tau, t % tau);
    // e^(−28) × 10^12 < 1: nothing is left.
    if whole >= 28 {
        return 0;
    }
    // x = frac / tau in parts per 10^18 (frac < tau, so x < 1 and frac × 10^18 fits in i128).
    let x = (i128::from(frac) * WIDE_ONE).div_euclid(i128::from(tau));
    // e^(−x) = Σ (−x)^n / n!: alternating terms below 10^-18 within 25 steps. Each step rounds
    // down (Euclidean division by a positive divisor), an error of at most one part in 10^18.
    let mut sum = WIDE_ONE;
    let mut term = WIDE_ONE;
    for n in 1..=40_i128 {
        term = (-term * x).div_euclid(WIDE_ONE * n);
        if term == 0 {
            break;
        }
        sum += term;
    }
    let mut acc = sum.clamp(0, WIDE_ONE);
    for _ in 0..whole {
        // Both factors are non-negative: Euclidean division is the floor.
        acc = (acc * E_INV_WIDE).div_euclid(WIDE_ONE);
    }
    // Down to parts per 10^12, rounded down.
    i64::try_from(acc.div_euclid(WIDE_ONE / i128::from(DECAY_ONE))).unwrap_or(0)
}

/// An exponential moving average whose samples are weighted by the time they held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeEma {
    tau_ms: i64,
    first_weight_ms: i64,
    num: i128,
    den: i128,
    last_ms: Option<i64>,
}

impl TimeEma {
    /// An empty average with time constant `tau_ms` (Hyperliquid: 150,000 ms for the "150 s"
    /// EMA). The first sample is weighted as if it had held for `first_weight_ms` (the sampling
    /// interval), since no earlier update says how long it did.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] naming `tau_ms` or `first_weight_ms` if not positive.
    pub fn new(tau_ms: i64, first_weight_ms: i64) -> Result<Self, PricingError> {
        if tau_ms <= 0 {
            return Err(invalid("tau_ms", format!("must be > 0 (got {tau_ms})")));
        }
        if first_weight_ms <= 0 {
            return Err(invalid("first_weight_ms", format!("must be > 0 (got {first_weight_ms})")));
        }
        Ok(Self { tau_ms, first_weight_ms, num: 0, den: 0, last_ms: None })
    }

    /// The time constant in milliseconds.
    #[must_use]
    pub fn tau_ms(&self) -> i64 {
        self.tau_ms
    }

    /// Folds in `sample` observed at `now_ms`. A second update in the same millisecond adds
    /// nothing (it held for no time).
    ///
    /// # Errors
    /// [`PricingError::TimeWentBackwards`] if `now_ms` is before the previous update, or
    /// [`PricingError::Overflow`] if the state no longer fits (samples near `i64::MAX`); the
    /// state is unchanged on error.
    pub fn update(&mut self, now_ms: i64, sample: i64) -> Result<(), PricingError> {
        let dt_ms = match self.last_ms {
            None => self.first_weight_ms,
            Some(last) if now_ms < last => {
                return Err(PricingError::TimeWentBackwards { field: "now_ms", last_ms: last, now_ms });
            }
            Some(last) => now_ms.checked_sub(last).ok_or(PricingError::Overflow("ema time"))?,
        };
        let decay = i128::from(exp_neg(dt_ms, self.tau_ms));
        let dt = i128::from(dt_ms) * NS_PER_MS;
        let of = PricingError::Overflow("ema");
        let weighted = i128::from(sample).checked_mul(dt).ok_or(of.clone())?;
        let num = decay_wide(self.num, decay).and_then(|n| n.checked_add(weighted)).ok_or(of.clone())?;
        let den = decay_wide(self.den, decay).and_then(|d| d.checked_add(dt)).ok_or(of)?;
        self.num = num;
        self.den = den;
        self.last_ms = Some(now_ms);
        Ok(())
    }

    /// The average, rounded as asked; `None` before any time-weighted sample.
    #[must_use]
    pub fn value(&self, round: Round) -> Option<i64> {
        self.value_scaled(1, round)
    }

    /// The average divided by `scale` (> 0), rounded once as asked: for samples kept in a finer
    /// unit (e.g. doubled prices, so a mid-price basis stays exact). `None` before any
    /// time-weighted sample or for a non-positive `scale`.
    #[must_use]
    pub fn value_scaled(&self, scale: i64, round: Round) -> Option<i64> {
        if self.den <= 0 || scale <= 0 {
            return None;
        }
        div_i128(self.num, self.den.checked_mul(i128::from(scale))?, round).ok()
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.num = 0;
        self.den = 0;
        self.last_ms = None;
    }
}

/// `x × decay / DECAY_ONE`, rounded down (Euclidean division by a positive divisor is the
/// floor), in `i128` without narrowing; `None` on overflow.
fn decay_wide(x: i128, decay: i128) -> Option<i128> {
    Some(x.checked_mul(decay)?.div_euclid(i128::from(DECAY_ONE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_matches_known_values() {
        assert_eq!(exp_neg(0, 5), DECAY_ONE);
        assert_eq!(exp_neg(-3, 5), DECAY_ONE);
        assert_eq!(exp_neg(3, 0), 0);
        // e^(−1) = 0.367879441171..., e^(−0.5) = 0.606530659712..., e^(−2.5) = 0.082084998623...
        let close = |got: i64, want: i64| (got - want).abs() <= 1;
        assert!(close(exp_neg(7, 7), 367_879_441_171), "{}", exp_neg(7, 7));
        assert!(close(exp_neg(1, 2), 606_530_659_712), "{}", exp_neg(1, 2));
        assert!(close(exp_neg(5, 2), 82_084_998_623), "{}", exp_neg(5, 2));
        // 3 s against Hyperliquid's 150 s: e^(−0.02) = 0.980198673306...
        assert!(close(exp_neg(3_000, 150_000), 980_198_673_306), "{}", exp_neg(3_000, 150_000));
        assert_eq!(exp_neg(i64::MAX, 1), 0);
    }

    #[test]
    fn ema_of_a_constant_is_the_constant() {
        let mut e = TimeEma::new(150_000, 3_000).unwrap();
        assert_eq!(e.value(Round::Floor), None);
        for k in 0..200 {
            e.update(k * 3_000, 1234).unwrap();
            assert_eq!(e.value(Round::Floor), Some(1234));
        }
    }

    #[test]
    fn ema_moves_toward_a_new_level_by_the_decay() {
        // First sample 0 weighted 3 s, then 100 for 3 s: ema = 100·3 / (3·e^(−0.02) + 3).
        let mut e = TimeEma::new(150_000, 3_000).unwrap();
        e.update(0, 0).unwrap();
        e.update(3_000, 100).unwrap();
        // 100 / (1 + 0.980198673306) = 50.5000...: floor 50.
        assert_eq!(e.value(Round::Floor), Some(50));
        // Long after, the old sample has decayed away.
        e.update(3_000 + 3_600_000, 100).unwrap();
        assert_eq!(e.value(Round::Floor), Some(100));
    }

    #[test]
    fn ema_refuses_time_going_backwards_and_keeps_state() {
        let mut e = TimeEma::new(1_000, 100).unwrap();
        e.update(5_000, 7).unwrap();
        let before = e.clone();
        assert!(matches!(e.update(4_999, 9), Err(PricingError::TimeWentBackwards { .. })));
        assert_eq!(e, before);
        // Same millisecond: held for no time, no change to the average.
        e.update(5_000, 1_000).unwrap();
        assert_eq!(e.value(Round::Floor), Some(7));
        assert!(TimeEma::new(0, 1).is_err());
        assert!(TimeEma::new(1, 0).is_err());
    }

    #[test]
    fn huge_samples_report_overflow() {
        let mut e = TimeEma::new(1_000_000_000, 1_000_000_000).unwrap();
        e.update(0, i64::MAX).unwrap();
        let mut failed = false;
        for k in 1..50 {
            if e.update(k * 1_000_000_000, i64::MAX).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || e.value(Round::Floor) == Some(i64::MAX));
    }
}
