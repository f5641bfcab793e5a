//! Exact decimals kept as an integer and a scale while a run records, so a trade's tallies
//! (volume sums, open/high/low/close, the drawdown's peak and trough) cost integer additions
//! and comparisons instead of [`Decimal`] arithmetic on every fill.
//!
//! Every operation gives the very value *and scale* the `Decimal` operation it replaces gives,
//! so the rows written from these values are byte-identical: a sum takes the larger scale of
//! its operands, a zero operand leaves the other untouched (scale included), as `Decimal`'s
//! addition does. Where the integer form could overflow (scales far apart, sums beyond
//! `Decimal`'s 96-bit mantissa), the operation is done by `Decimal` itself.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// Largest mantissa `Decimal` holds (2^96 − 1).
const MAX_MANTISSA: i128 = (1 << 96) - 1;

/// An exact decimal `raw × 10^-scale`, as a `Decimal` would hold it (`scale` ≤ 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exact {
    raw: i128,
    scale: u32,
}

impl Exact {
    /// `raw × 10^-scale`: an engine integer with its decimals.
    ///
    /// # Panics
    /// If `scale` exceeds 28 (as `Decimal::new` does).
    #[inline]
    #[must_use]
    pub fn new(raw: i64, scale: u32) -> Self {
        assert!(scale <= 28, "scale {scale} exceeds 28");
        Self { raw: i128::from(raw), scale }
    }

    /// The same value and scale as `d`.
    #[must_use]
    pub fn from_decimal(d: Decimal) -> Self {
        Self { raw: d.mantissa(), scale: d.scale() }
    }

    /// As a `Decimal`, with this scale.
    #[must_use]
    pub fn to_decimal(self) -> Decimal {
        // Every value here came from a Decimal or from a sum kept within its mantissa.
        Decimal::from_i128_with_scale(self.raw, self.scale)
    }

    /// `self + x`, exactly as `Decimal` adds.
    #[inline]
    pub fn add(&mut self, x: Self) {
        // The run's case: one market's values share a scale and stay far inside the mantissa.
        if x.scale == self.scale && self.raw != 0 && x.raw != 0 {
            let sum = self.raw + x.raw;
            if (-MAX_MANTISSA..=MAX_MANTISSA).contains(&sum) {
                self.raw = sum;
                return;
            }
        }
        self.add_slow(x);
    }

    /// Zeros, different scales and sums beyond the mantissa, as `Decimal` adds them.
    #[cold]
    #[inline(never)]
    fn add_slow(&mut self, x: Self) {
        // `Decimal` looks at its own zero first: 0 + 0.0 is 0.0, while 0.0 + 0 stays 0.0.
        if self.raw == 0 {
            *self = x;
            return;
        }
        if x.raw == 0 {
            return;
        }
        *self = Self::from_decimal(self.to_decimal() + x.to_decimal());
    }

    /// The order of the two values (not of their representations: `1.0` equals `1.00`).
    #[inline]
    #[must_use]
    pub fn cmp_value(self, other: Self) -> Ordering {
        if self.scale == other.scale {
            self.raw.cmp(&other.raw)
        } else {
            self.to_decimal().cmp(&other.to_decimal())
        }
    }

    /// The larger value; `self` when equal (as `Decimal::max`, which `Decimal` values call
    /// before `Ord::max`, does; `Ord::max` would give `other`).
    #[inline]
    #[must_use]
    pub fn max(self, other: Self) -> Self {
        if self.cmp_value(other) == Ordering::Less { other } else { self }
    }

    /// The smaller value; `self` when equal (as `Decimal::min`).
    #[inline]
    #[must_use]
    pub fn min(self, other: Self) -> Self {
        if self.cmp_value(other) == Ordering::Greater { other } else { self }
    }

    /// Whether the value is above zero.
    #[inline]
    #[must_use]
    pub fn is_positive(self) -> bool {
        self.raw > 0
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Written out: the sum takes the larger scale, a zero operand changes nothing, and a zero
    /// sum takes the scale of what is added to it.
    #[test]
    fn sums_keep_decimal_scales() {
        let mut s = Exact::default();
        s.add(Exact::new(5, 1));
        assert_eq!(s.to_decimal().to_string(), "0.5");
        s.add(Exact::new(25, 2));
        assert_eq!(s.to_decimal().to_string(), "0.75");
        s.add(Exact::new(0, 6));
        assert_eq!(s.to_decimal().to_string(), "0.75");
        s.add(Exact::new(1, 0));
        assert_eq!(s.to_decimal().to_string(), "1.75");
        let mut z = Exact::from_decimal(d("0.000"));
        z.add(Exact::new(3, 1));
        assert_eq!(z.to_decimal().to_string(), "0.3");
        assert_eq!(Exact::default().to_decimal().to_string(), "0");
        // A zero takes the scale of a zero added to it (the case proptest found: 0 + 0.0).
        let mut zz = Exact::default();
        zz.add(Exact::from_decimal(d("0.0")));
        assert_eq!(zz.to_decimal().to_string(), (Decimal::ZERO + d("0.0")).to_string());
        assert_eq!(zz.to_decimal().to_string(), "0.0");
    }

    /// Equal values of different scales: `max` and `min` keep the first, as `Decimal::max` and
    /// `Decimal::min` (`if self < other { other } else { self }`, rust_decimal 1.43) do; proptest
    /// found 9.7 max 9.70 = 9.7.
    #[test]
    fn ties_pick_the_operand_decimal_picks() {
        let (a, b) = (Exact::from_decimal(d("1.0")), Exact::from_decimal(d("1.00")));
        assert_eq!(d("1.0").max(d("1.00")).to_string(), "1.0");
        assert_eq!(a.max(b).to_decimal().to_string(), "1.0");
        assert_eq!(a.min(b).to_decimal().to_string(), "1.0");
        assert_eq!(Exact::new(2, 0).max(Exact::new(19, 1)).to_decimal().to_string(), "2");
        assert_eq!(Exact::new(2, 0).min(Exact::new(19, 1)).to_decimal().to_string(), "1.9");
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (any::<i64>(), 0_u32..=12).prop_map(|(m, s)| Decimal::new(m, s)),
            (-1000_i64..1000, 0_u32..=3).prop_map(|(m, s)| Decimal::new(m, s)),
            (any::<i64>(), any::<i32>(), 0_u32..=28).prop_map(|(lo, hi, s)| Decimal::from_i128_with_scale(
                i128::from(lo) << 31 | i128::from(hi),
                s
            )),
        ]
    }

    proptest! {
        /// Against `Decimal` itself: the same value and the same string (scale) after any
        /// sequence of additions, and the same choices of max and min.
        #[test]
        fn matches_decimal(xs in proptest::collection::vec(decimal(), 1..40)) {
            let (mut sum, mut exact) = (Decimal::ZERO, Exact::default());
            let (mut hi, mut lo) = (xs[0], xs[0]);
            let (mut ehi, mut elo) = (Exact::from_decimal(xs[0]), Exact::from_decimal(xs[0]));
            for &x in &xs {
                let Some(next) = sum.checked_add(x) else { break };
                sum = next;
                exact.add(Exact::from_decimal(x));
                prop_assert_eq!(exact.to_decimal().to_string(), sum.to_string());
                hi = hi.max(x);
                lo = lo.min(x);
                ehi = ehi.max(Exact::from_decimal(x));
                elo = elo.min(Exact::from_decimal(x));
                prop_assert_eq!(ehi.to_decimal().to_string(), hi.to_string());
                prop_assert_eq!(elo.to_decimal().to_string(), lo.to_string());
            }
        }
    }
}
