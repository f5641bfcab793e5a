//! Exact fixed-point numbers: prices, quantities, cash and rates.
//!
//! Every amount of money in Cascade is an integer. The newtypes here keep the units apart
//! (a price can never be added to a quantity), every operation that can overflow is checked and
//! returns [`Overflow`] instead of wrapping, products are taken in `i128`, and every division
//! names its rounding direction ([`Round`]) so that the caller decides, at the call, who gets
//! the remainder (usually the venue). Floats never enter this module.
//!
//! Units:
//! * [`Price`]: an integer count of the instrument's *price unit* (10^-`price_decimals` of the
//!   quote currency per contract unit). The tick is a whole number of price units, so the book
//!   can hold tick-aligned prices while marks and liquidation prices keep finer precision.
//! * [`Qty`]: an integer count of the instrument's *quantity unit* (10^-`qty_decimals`
//!   contracts); the lot is a whole number of quantity units. Signed: positions are long > 0.
//! * [`Cash`]: an integer count of 10^-[`CASH_DECIMALS`] of a collateral asset (for USDT,
//!   10^-8 USDT; for BTC, one satoshi).
//! * [`Rate`]: a dimensionless ratio in parts per 10^[`RATE_DECIMALS`] (fees, margin rates,
//!   funding rates): `0.05%` is `Rate(50_000)`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Decimal places of [`Cash`]: one unit is 10^-8 of the asset.
pub const CASH_DECIMALS: u32 = 8;
/// Decimal places of [`Rate`]: one unit is 10^-8 (one millionth of a percent).
pub const RATE_DECIMALS: u32 = 8;
/// `10^RATE_DECIMALS`, the [`Rate`] that equals one.
pub const RATE_ONE: i64 = 100_000_000;

/// An arithmetic result that does not fit in the type: reported, never wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("arithmetic overflow")]
pub struct Overflow;

/// Direction of rounding at a division. Named at every call so the remainder's owner is explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
}

/// `a * b / c` computed exactly in `i128` and rounded as asked.
///
/// # Errors
/// [`Overflow`] if `c == 0` or the result does not fit in `i64`.
#[inline]
pub fn mul_div(a: i64, b: i64, c: i64, round: Round) -> Result<i64, Overflow> {
    div_i128(i128::from(a) * i128::from(b), i128::from(c), round)
}

/// `n / d` in `i128`, rounded as asked, narrowed to `i64`.
///
/// # Errors
/// [`Overflow`] if `d == 0` or the result does not fit in `i64`.
#[inline]
pub fn div_i128(n: i128, d: i128, round: Round) -> Result<i64, Overflow> {
    if d == 0 {
        return Err(Overflow);
    }
    // Most products on the fill path fit in 64 bits: a 64-bit division is several times
    // cheaper than the 128-bit one (`__divti3`), and gives the same quotient.
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d))
        && d > 0
    {
        let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
        return Ok(match round {
            Round::Floor => q,
            Round::Ceil => q + i64::from(r != 0),
        });
    }
    // Normalise to a positive divisor, where Euclidean division is the floor.
    let (n, d) = if d < 0 { (n.checked_neg().ok_or(Overflow)?, -d) } else { (n, d) };
    let q = match round {
        Round::Floor => n.div_euclid(d),
        Round::Ceil => -(n.checked_neg().ok_or(Overflow)?.div_euclid(d)),
    };
    i64::try_from(q).map_err(|_| Overflow)
}

/// `10^k` as `i64`.
///
/// # Errors
/// [`Overflow`] for `k > 18`.
#[inline]
pub fn pow10(k: u32) -> Result<i64, Overflow> {
    10_i64.checked_pow(k).ok_or(Overflow)
}

/// Why a decimal string could not become a fixed-point number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a decimal number at all.
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
    /// More fractional digits than the unit can hold exactly: converting would lose money.
    #[error("`{value}` has more than {decimals} decimal places")]
    TooPrecise {
        /// The input.
        value: String,
        /// The decimal places the unit allows.
        decimals: u32,
    },
    /// The value does not fit in 64 bits at this scale.
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Longest decimal numeral read. More than 28 significant digits cannot be held anyway; the
/// bound also keeps the text away from `rust_decimal`'s parser, which recurses once per
/// character (a 65,000-character value overflowed the stack of an unoptimised build).
pub const MAX_NUMERAL_LEN: usize = 64;

/// Whether `t` is a plain decimal numeral: an optional sign, digits with at most one point
/// (`5`, `-0.25`, `.5`, `5.`), an optional exponent (`1e-8`), at most [`MAX_NUMERAL_LEN`]
/// characters. `rust_decimal` alone also takes `_` as a digit separator (`1_000`, even `1_`):
/// every reader of numbers from files checks this first, so such text is refused.
#[must_use]
pub fn is_decimal_numeral(t: &str) -> bool {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > MAX_NUMERAL_LEN {
        return false;
    }
    let mut i = usize::from(matches!(b[0], b'+' | b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Parses `s` exactly into an integer count of 10^-`decimals` units.
///
/// # Errors
/// [`ParseError`] when `s` is not a number, has more decimal places than `decimals`, or
/// overflows `i64` at that scale.
pub fn parse_scaled(s: &str, decimals: u32) -> Result<i64, ParseError> {
    let t = s.trim();
    if !is_decimal_numeral(t) {
        return Err(ParseError::NotANumber(s.to_string()));
    }
    let d = Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| ParseError::NotANumber(s.to_string()))?
        .normalize();
    if d.scale() > decimals {
        return Err(ParseError::TooPrecise { value: s.to_string(), decimals });
    }
    let factor = pow10(decimals - d.scale()).map_err(|_| ParseError::TooLarge(s.to_string()))?;
    i64::try_from(d.mantissa())
        .ok()
        .and_then(|m| m.checked_mul(factor))
        .ok_or_else(|| ParseError::TooLarge(s.to_string()))
}

/// Formats an integer count of 10^-`decimals` units as a decimal string, trailing zeros trimmed.
pub fn format_scaled(raw: i64, decimals: u32) -> String {
    Decimal::from_i128_with_scale(i128::from(raw), decimals).normalize().to_string()
}

macro_rules! fixed_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[repr(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// The largest representable value.
            pub const MAX: Self = Self(i64::MAX);

            /// The raw integer.
            #[inline]
            #[must_use]
            pub const fn raw(self) -> i64 {
                self.0
            }

            /// `self + rhs`.
            ///
            /// # Errors
            /// [`Overflow`] if the sum does not fit.
            #[inline]
            pub fn checked_add(self, rhs: Self) -> Result<Self, Overflow> {
                self.0.checked_add(rhs.0).map(Self).ok_or(Overflow)
            }

            /// `self - rhs`.
            ///
            /// # Errors
            /// [`Overflow`] if the difference does not fit.
            #[inline]
            pub fn checked_sub(self, rhs: Self) -> Result<Self, Overflow> {
                self.0.checked_sub(rhs.0).map(Self).ok_or(Overflow)
            }

            /// `-self`.
            ///
            /// # Errors
            /// [`Overflow`] for `i64::MIN`.
            #[inline]
            pub fn checked_neg(self) -> Result<Self, Overflow> {
                self.0.checked_neg().map(Self).ok_or(Overflow)
            }

            /// `|self|` (saturating at `i64::MAX` for the one value with no absolute value).
            #[inline]
            #[must_use]
            pub const fn abs(self) -> Self {
                Self(self.0.saturating_abs())
            }

            /// Whether the value is strictly positive.
            #[inline]
            #[must_use]
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }

            /// Whether the value is strictly negative.
            #[inline]
            #[must_use]
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }

            /// Whether the value is zero.
            #[inline]
            #[must_use]
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// The smaller of two values.
            #[inline]
            #[must_use]
            pub fn min(self, other: Self) -> Self {
                std::cmp::min(self, other)
            }

            /// `self * num / den`, exact in `i128`, rounded as asked.
            ///
            /// # Errors
            /// [`Overflow`] if `den == 0` or the result does not fit.
            #[inline]
            pub fn mul_div(self, num: i64, den: i64, round: Round) -> Result<Self, Overflow> {
                mul_div(self.0, num, den, round).map(Self)
            }
        }
    };
}

fixed_newtype!(
    /// A price in integer price units of an instrument (see the module docs).
    Price
);
fixed_newtype!(
    /// A quantity in integer quantity units of an instrument; signed for positions (long > 0).
    Qty
);
fixed_newtype!(
    /// An amount of one collateral asset in units of 10^-8 of that asset.
    Cash
);
fixed_newtype!(
    /// A dimensionless ratio in parts per 10^8: fees, margin rates, funding rates.
    Rate
);

impl Price {
    /// Parses a decimal price at `decimals` places (the instrument's price precision).
    ///
    /// # Errors
    /// See [`parse_scaled`].
    pub fn parse(s: &str, decimals: u32) -> Result<Self, ParseError> {
        parse_scaled(s, decimals).map(Self)
    }

    /// The price as a decimal string at `decimals` places.
    #[must_use]
    pub fn to_decimal(self, decimals: u32) -> String {
        format_scaled(self.0, decimals)
    }
}

impl Qty {
    /// Parses a decimal quantity at `decimals` places (the instrument's quantity precision).
    ///
    /// # Errors
    /// See [`parse_scaled`].
    pub fn parse(s: &str, decimals: u32) -> Result<Self, ParseError> {
        parse_scaled(s, decimals).map(Self)
    }

    /// The quantity as a decimal string at `decimals` places.
    #[must_use]
    pub fn to_decimal(self, decimals: u32) -> String {
        format_scaled(self.0, decimals)
    }

    /// `+1` for a long (positive) quantity, `-1` for short, `0` for flat.
    #[inline]
    #[must_use]
    pub const fn signum(self) -> i64 {
        self.0.signum()
    }
}

impl Cash {
    /// `self × rate`, rounded as asked.
    ///
    /// # Errors
    /// [`Overflow`] if the product does not fit.
    #[inline]
    pub fn mul_rate(self, rate: Rate, round: Round) -> Result<Self, Overflow> {
        self.mul_div(rate.0, RATE_ONE, round)
    }

    /// Whole units of the asset (e.g. `Cash::units(5)` is 5 USDT).
    ///
    /// # Errors
    /// [`Overflow`] beyond about 9.2e10 units.
    pub fn units(n: i64) -> Result<Self, Overflow> {
        n.checked_mul(pow10(CASH_DECIMALS)?).map(Self).ok_or(Overflow)
    }
}

impl FromStr for Cash {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_scaled(s, CASH_DECIMALS).map(Self)
    }
}

impl fmt::Display for Cash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, CASH_DECIMALS))
    }
}

impl Rate {
    /// One (100%).
    pub const ONE: Self = Self(RATE_ONE);

    /// Parses a ratio given as a decimal fraction (`"0.0005"` is 0.05%).
    ///
    /// # Errors
    /// See [`parse_scaled`].
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        parse_scaled(s, RATE_DECIMALS).map(Self)
    }

    /// A rate from basis points, exactly (`Rate::from_bps(2)` is 0.02%).
    #[must_use]
    pub const fn from_bps(bps: i64) -> Self {
        Self(bps * (RATE_ONE / 10_000))
    }

    /// The rate as `f64`, for statistics and agent decisions only.
    #[must_use]
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / RATE_ONE as f64
    }
}

impl FromStr for Rate {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, RATE_DECIMALS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain numerals pass; `_` separators, words, a lone sign or point and overlong text do
    /// not (rust_decimal alone reads `1_` as 1 and recurses once per `_`).
    #[test]
    fn only_plain_decimal_numerals_are_read() {
        for ok in ["5", "-0.25", "+1", ".5", "5.", "1e-8", "2.5E+3", "007"] {
            assert!(is_decimal_numeral(ok), "{ok}");
        }
        for bad in ["", "-", ".", "1_000", "1_", "_1", "1e", "1e+", "e5", "1.2.3", "NaN", "inf", " 1", "0x10"]
        {
            assert!(!is_decimal_numeral(bad), "{bad}");
        }
        assert!(is_decimal_numeral(&"1".repeat(64)));
        assert!(!is_decimal_numeral(&"1".repeat(65)));
        assert!(matches!(
            parse_scaled(&format!("1{}", "_".repeat(65_000)), 2),
            Err(ParseError::NotANumber(_))
        ));
        assert_eq!(parse_scaled("1_000", 0), Err(ParseError::NotANumber("1_000".into())));
    }
    use proptest::prelude::*;

    #[test]
    fn rounding_directions_are_exact() {
        assert_eq!(mul_div(7, 1, 2, Round::Floor), Ok(3));
        assert_eq!(mul_div(7, 1, 2, Round::Ceil), Ok(4));
        assert_eq!(mul_div(-7, 1, 2, Round::Floor), Ok(-4));
        assert_eq!(mul_div(-7, 1, 2, Round::Ceil), Ok(-3));
        assert_eq!(mul_div(7, 1, -2, Round::Floor), Ok(-4));
        assert_eq!(mul_div(7, 1, -2, Round::Ceil), Ok(-3));
        assert_eq!(mul_div(6, 1, 2, Round::Ceil), Ok(3));
        assert_eq!(mul_div(1, 1, 0, Round::Floor), Err(Overflow));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(Cash(i64::MAX).checked_add(Cash(1)), Err(Overflow));
        assert_eq!(Qty(i64::MIN).checked_neg(), Err(Overflow));
        assert_eq!(mul_div(i64::MAX, 4, 2, Round::Floor), Err(Overflow));
        assert!(Cash::units(1_000_000_000_000).is_err());
    }

    #[test]
    fn parsing_is_lossless_or_an_error() {
        assert_eq!(Price::parse("116970.1", 1), Ok(Price(1_169_701)));
        assert_eq!(Price::parse("116970.10", 1), Ok(Price(1_169_701)));
        assert_eq!(Price::parse("-2.5", 2), Ok(Price(-250)));
        assert!(matches!(Price::parse("1.25", 1), Err(ParseError::TooPrecise { .. })));
        assert!(matches!(Qty::parse("abc", 3), Err(ParseError::NotANumber(_))));
        assert!(matches!(Cash::from_str("99999999999999"), Err(ParseError::TooLarge(_))));
        assert_eq!(Rate::parse("0.0005"), Ok(Rate(50_000)));
        assert_eq!(Rate::from_bps(2), Rate(20_000));
        assert_eq!(Cash::from_str("1e-8"), Ok(Cash(1)));
    }

    #[test]
    fn display_round_trips() {
        assert_eq!(Cash(150_000_000).to_string(), "1.5");
        assert_eq!(Cash(-1).to_string(), "-0.00000001");
        assert_eq!(Price(1_169_701).to_decimal(1), "116970.1");
        assert_eq!(Rate(50_000).to_string(), "0.0005");
    }

    proptest! {
        /// The 64-bit fast path of `div_i128` gives the 128-bit quotient: any `n`, `d` that fit
        /// in 64 bits (or not), either sign, both roundings, against ⌊n/d⌋ and ⌈n/d⌉ in i128.
        #[test]
        fn div_i128_matches_the_wide_quotient(n in any::<i64>(), d in any::<i64>(), wide in any::<bool>(), ceil in any::<bool>()) {
            prop_assume!(d != 0);
            let n = if wide { i128::from(n) * 3 } else { i128::from(n) };
            let d = i128::from(d);
            let (nn, dd) = if d < 0 { (-n, -d) } else { (n, d) };
            let floor = nn.div_euclid(dd);
            let want = if ceil { floor + i128::from(nn.rem_euclid(dd) != 0) } else { floor };
            let round = if ceil { Round::Ceil } else { Round::Floor };
            prop_assert_eq!(div_i128(n, d, round), i64::try_from(want).map_err(|_| Overflow));
        }

        #[test]
        fn parse_format_round_trip(raw in any::<i64>(), decimals in 0u32..=12) {
            let s = format_scaled(raw, decimals);
            prop_assert_eq!(parse_scaled(&s, decimals), Ok(raw));
        }

        #[test]
        fn floor_and_ceil_bracket_the_true_quotient(a in any::<i64>(), b in -1_000_000i64..1_000_000, c in 1i64..1_000_000_000) {
            let exact = i128::from(a) * i128::from(b);
            if let (Ok(lo), Ok(hi)) = (mul_div(a, b, c, Round::Floor), mul_div(a, b, c, Round::Ceil)) {
                prop_assert!(i128::from(lo) * i128::from(c) <= exact);
                prop_assert!(i128::from(hi) * i128::from(c) >= exact);
                prop_assert!(hi - lo <= 1);
                prop_assert_eq!(hi == lo, exact % i128::from(c) == 0);
            }
        }
    }
}
