//! Value types shared by several scenario sections: exact decimals, market references, size
//! distributions and leverage buckets.
//!
//! Money, prices, quantities and venue rates are [`Dec`]: exact decimals written as TOML strings
//! (`"0.1"`) or integers (`100000`), never TOML floats, which pass through binary floating point
//! (crates.md pitfall 6). Behavioural parameters (probabilities, volatilities, basis points that
//! only steer an agent's decisions) are plain `f64`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::Validator;

/// An exact decimal from a scenario file: a string such as `"101516.5"` or a TOML integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dec(pub Decimal);

impl Dec {
    /// Zero.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// Parses a decimal literal exactly (no rounding; at most 28 significant digits).
    ///
    /// # Errors
    /// A message saying why the text is not an exact decimal.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if !cascade_engine::num::is_decimal_numeral(t) {
            return Err(format!("`{s}` is not a decimal number"));
        }
        // Scientific notation ("1e6") is exact too.
        Decimal::from_str_exact(t)
            .or_else(|e| if t.contains(['e', 'E']) { Decimal::from_scientific(t) } else { Err(e) })
            .map(Self)
            .map_err(|_| format!("`{s}` is not a decimal number"))
    }

    /// The value.
    #[must_use]
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// Whether it is strictly positive.
    #[must_use]
    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// Whether it is negative.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    /// Decimal places actually used (`"0.50"` → 1).
    #[must_use]
    pub fn places(self) -> u32 {
        self.0.normalize().scale()
    }

    /// The value as `f64`, for agent decisions and statistics only (never for money).
    #[must_use]
    pub fn to_f64(self) -> f64 {
        use rust_decimal::prelude::ToPrimitive;
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// The value in integer units of 10^-`decimals` if it is an exact multiple of them and fits
    /// an `i64` (how the engine's `Price`, `Qty`, `Cash` and `Rate` hold it).
    #[must_use]
    pub fn to_scaled(self, decimals: u32) -> Option<i64> {
        let n = self.0.normalize();
        if n.scale() > decimals {
            return None;
        }
        let factor = 10_i128.checked_pow(decimals - n.scale())?;
        i64::try_from(n.mantissa().checked_mul(factor)?).ok()
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Dec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl From<Decimal> for Dec {
    fn from(d: Decimal) -> Self {
        Self(d)
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal as a string such as \"0.1\", or an integer")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Dec, E> {
                Dec::parse(s).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dec, E> {
                Err(E::custom(format!(
                    "write this decimal as a string, e.g. \"{v}\": a TOML float passes through binary \
                     floating point and is not exact"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A perpetual listed on a venue: `{ venue = "binance", symbol = "BTCUSDT" }`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketRef {
    /// The venue's `name` in `[[venues]]`.
    pub venue: String,
    /// The instrument's `symbol` on that venue.
    pub symbol: String,
}

impl fmt::Display for MarketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.venue, self.symbol)
    }
}

/// Shape of a size distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeKind {
    /// Log-normal with the given `median` and log-space standard deviation `sigma`.
    Lognormal,
    /// Pareto with scale `min` and tail index `alpha` (smaller alpha: heavier tail).
    Pareto,
}

/// A heavy-tailed distribution of position or order sizes, as notional in the settle asset,
/// truncated to `[min, max]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SizeDist {
    /// `lognormal` (default) or `pareto`.
    pub kind: SizeKind,
    /// Lognormal: median notional, settle-asset units (default `"2000"`). Ignored by Pareto.
    pub median: Dec,
    /// Lognormal: standard deviation of the log size (default 1.5; > 0).
    pub sigma: f64,
    /// Pareto: tail index (default 1.5; > 0; below 2 the variance is infinite).
    pub alpha: f64,
    /// Smallest notional drawn, settle-asset units (default `"10"`; > 0). Pareto's scale.
    pub min: Dec,
    /// Largest notional drawn, settle-asset units (default `"5000000"`; ≥ `min`).
    pub max: Dec,
}

impl Default for SizeDist {
    fn default() -> Self {
        Self {
            kind: SizeKind::Lognormal,
            median: Dec(Decimal::from(2_000)),
            sigma: 1.5,
            alpha: 1.5,
            min: Dec(Decimal::from(10)),
            max: Dec(Decimal::from(5_000_000)),
        }
    }
}

impl SizeDist {
    /// A lognormal distribution with the other fields at their defaults.
    #[must_use]
    pub fn lognormal(median: i64, sigma: f64) -> Self {
        Self { median: Dec(Decimal::from(median)), sigma, ..Self::default() }
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        v.positive_dec(&format!("{path}.min"), self.min);
        if self.max < self.min {
            v.err(format!("{path}.max"), format!("must be ≥ min ({}), got {}", self.min, self.max));
        }
        v.fits_money(&format!("{path}.max"), self.max);
        match self.kind {
            SizeKind::Lognormal => {
                v.positive_dec(&format!("{path}.median"), self.median);
                if self.median < self.min || self.median > self.max {
                    v.err(
                        format!("{path}.median"),
                        format!(
                            "must lie within [min, max] = [{}, {}], got {}",
                            self.min, self.max, self.median
                        ),
                    );
                }
                v.positive_f64(&format!("{path}.sigma"), self.sigma);
            }
            SizeKind::Pareto => v.positive_f64(&format!("{path}.alpha"), self.alpha),
        }
    }
}

/// A leverage bucket of a weighted mix: leverage drawn uniformly among the whole numbers
/// `min..=max`, the bucket chosen with probability `weight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeverageBucket {
    /// Lowest leverage of the bucket (≥ 1).
    pub min: u32,
    /// Highest leverage of the bucket (≥ `min`, ≤ 200). Defaults to `min`.
    #[serde(default)]
    pub max: Option<u32>,
    /// Relative weight of the bucket (≥ 0): it is drawn with probability `weight / Σ weight`, so
    /// the weights of a mix need not sum to 1 (their sum must be > 0).
    pub weight: f64,
}

impl LeverageBucket {
    /// A bucket of `min..=max` with this weight.
    #[must_use]
    pub fn new(min: u32, max: u32, weight: f64) -> Self {
        Self { min, max: Some(max), weight }
    }

    /// The highest leverage of the bucket.
    #[must_use]
    pub fn max(&self) -> u32 {
        self.max.unwrap_or(self.min)
    }
}

/// Highest leverage a scenario may ask for (no venue offers more than 200x).
pub const MAX_LEVERAGE: u32 = 200;

/// Validates a leverage mix: every bucket within 1..=200, min ≤ max, weights finite and ≥ 0 with
/// a positive sum (relative weights, so a calibration can move one bucket's weight alone).
pub(crate) fn validate_leverage_mix(path: &str, mix: &[LeverageBucket], v: &mut Validator) {
    if mix.is_empty() {
        v.err(path, "needs at least one bucket");
        return;
    }
    for (i, b) in mix.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if b.min == 0 {
            v.err(format!("{p}.min"), "leverage must be at least 1 (got 0)");
        }
        if b.max() < b.min {
            v.err(format!("{p}.max"), format!("must be ≥ min ({}), got {}", b.min, b.max()));
        }
        if b.max() > MAX_LEVERAGE {
            let field = if b.max.is_some() { "max" } else { "min" };
            v.err(
                format!("{p}.{field}"),
                format!("leverage must be at most {MAX_LEVERAGE}, got {}", b.max()),
            );
        }
        v.non_negative_f64(&format!("{p}.weight"), b.weight);
    }
    let sum: f64 = mix.iter().map(|b| b.weight).sum();
    if !(sum.is_finite() && sum > 0.0) {
        v.err(path, format!("the weights must have a positive sum, they sum to {sum}"));
    }
}
