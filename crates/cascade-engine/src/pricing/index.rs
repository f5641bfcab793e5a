//! The index price: one reference price from several constituent prices (spot venues, or
//! converted cross pairs), with each venue's rules for excluding bad or stale inputs.
//!
//! Rules (venue-mechanics.md):
//! * Binance §1.2: volume-weighted mean; a source more than 5% from the median of the sources
//!   gets weight 0; if more than one deviates, the median of all sources is used instead.
//! * Bybit §2.2: weighted mean of the top spot pairs (weights from 4-hour volumes).
//! * OKX §3.2: weighted mean of at least three venues, stale venues dropped.
//! * BitMEX §8: composite (weighted) index.
//! * Hyperliquid §5.2: weighted median of venue mids, weights 3, 2, 2, 1, 1, 1, 1, 1.
//! * dYdX §6.2 and Drift §7.2 take an oracle price; modelled as the plain median of the sources
//!   given (inferred).
//!
//! Pure computation: no clock (the caller passes `now_ms`), no state, integer arithmetic only,
//! every division rounded down ([`Round::Floor`]) and said so. Errors name the source and field.

use smallvec::SmallVec;

use crate::num::{Price, RATE_ONE, Rate, Round, div_i128};

use super::error::{PricingError, invalid};
use super::median::{median, weighted_median};
use super::venue_kind::VenueKind;

/// One constituent of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSource {
    /// The source's price, in the instrument's price units (converted by the caller if the pair
    /// is quoted in another asset, as Bybit's ETH/BTC × BTCUSDT, §2.2).
    pub price: Price,
    /// Non-negative weight in any integer scale (a volume, or parts per 10^8); only ratios count.
    pub weight: u64,
    /// When the price was last updated, in milliseconds on the caller's clock.
    pub updated_ms: i64,
}

/// How the usable sources are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMethod {
    /// `Σ wᵢ·pᵢ / Σ wᵢ`, rounded down (Binance, Bybit, OKX, BitMEX).
    WeightedMean,
    /// The weighted median (Hyperliquid's oracle, §5.2).
    WeightedMedian,
    /// The unweighted median (an oracle-style aggregate).
    Median,
}

/// A venue's index rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRule {
    /// How usable sources combine.
    pub method: IndexMethod,
    /// Binance's deviation guard (§1.2): a source further than this fraction from the median of
    /// the sources gets weight 0, and if more than one is that far, the index is the median of
    /// all sources. `None` disables the guard.
    pub outlier_band: Option<Rate>,
    /// Sources whose last update is older than this (`now_ms − updated_ms > max_age_ms`) are left
    /// out (OKX §3.2). `None` keeps every source.
    pub max_age_ms: Option<i64>,
    /// Fewest fresh sources with which an index is still published.
    pub min_sources: usize,
}

/// An index value and how it was reached (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPrice {
    /// The index.
    pub price: Price,
    /// Sources that contributed.
    pub used: usize,
    /// Sources left out as stale.
    pub stale: usize,
    /// Sources given weight 0 by the deviation guard (0 when the median fallback applied).
    pub outliers: usize,
    /// Whether more than one source deviated, so the median of all fresh sources was used.
    pub median_fallback: bool,
}

impl IndexRule {
    /// Binance §1.2: weighted mean with the 5% deviation guard.
    #[must_use]
    pub const fn binance() -> Self {
        Self {
            method: IndexMethod::WeightedMean,
            outlier_band: Some(Rate(5 * RATE_ONE / 100)),
            max_age_ms: None,
            min_sources: 1,
        }
    }

    /// Bybit §2.2: weighted mean, no guard described.
    #[must_use]
    pub const fn bybit() -> Self {
        Self { method: IndexMethod::WeightedMean, outlier_band: None, max_age_ms: None, min_sources: 1 }
    }

    /// OKX §3.2: weighted mean, stale venues dropped. The source gives no age limit; `max_age_ms`
    /// is the caller's choice (the default by name is 10 s (inferred)).
    #[must_use]
    pub const fn okx(max_age_ms: i64) -> Self {
        Self {
            method: IndexMethod::WeightedMean,
            outlier_band: None,
            max_age_ms: Some(max_age_ms),
            min_sources: 1,
        }
    }

    /// BitMEX §8: composite weighted index.
    #[must_use]
    pub const fn bitmex() -> Self {
        Self::bybit()
    }

    /// Hyperliquid §5.2: weighted median of venue mids (weights 3, 2, 2, 1, … given per source).
    #[must_use]
    pub const fn hyperliquid() -> Self {
        Self { method: IndexMethod::WeightedMedian, outlier_band: None, max_age_ms: None, min_sources: 1 }
    }

    /// dYdX §6.2 / Drift §7.2: an oracle price, modelled as the median of the sources (inferred).
    #[must_use]
    pub const fn oracle_median() -> Self {
        Self { method: IndexMethod::Median, outlier_band: None, max_age_ms: None, min_sources: 1 }
    }

    /// The default rule of a venue (OKX with a 10 s age limit (inferred)).
    #[must_use]
    pub const fn for_venue(venue: VenueKind) -> Self {
        match venue {
            VenueKind::Binance => Self::binance(),
            VenueKind::Bybit => Self::bybit(),
            VenueKind::Okx => Self::okx(10_000),
            VenueKind::Bitmex => Self::bitmex(),
            VenueKind::Hyperliquid => Self::hyperliquid(),
            VenueKind::Dydx | VenueKind::Drift => Self::oracle_median(),
        }
    }

    /// The default rule of a venue given by name (see [`VenueKind`]).
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] (`venue`) for an unknown name.
    pub fn by_name(name: &str) -> Result<Self, PricingError> {
        Ok(Self::for_venue(name.parse()?))
    }

    /// Checks the rule's parameters.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] naming `outlier_band` (negative), `max_age_ms`
    /// (negative) or `min_sources` (zero).
    pub fn validate(&self) -> Result<(), PricingError> {
        if let Some(b) = self.outlier_band
            && b.is_negative()
        {
            return Err(invalid("outlier_band", format!("must be >= 0 (got {b})")));
        }
        if let Some(a) = self.max_age_ms
            && a < 0
        {
            return Err(invalid("max_age_ms", format!("must be >= 0 (got {a})")));
        }
        if self.min_sources == 0 {
            return Err(invalid("min_sources", "must be at least 1"));
        }
        Ok(())
    }

    /// Computes the index from `sources` at time `now_ms`.
    ///
    /// Stale sources are dropped first; the deviation guard then looks at the fresh ones; the
    /// method combines what is left. A source updated after `now_ms` (clock skew) counts as fresh.
    ///
    /// # Errors
    /// * [`PricingError::InvalidParameter`] if the rule is invalid (see [`Self::validate`]).
    /// * [`PricingError::InvalidSource`] naming the index and field of a source with a
    ///   non-positive price.
    /// * [`PricingError::TooFewSources`] if fewer than `min_sources` fresh sources remain.
    /// * [`PricingError::NoInput`] if every usable source has weight 0 under a weighted method.
    pub fn compute(&self, sources: &[IndexSource], now_ms: i64) -> Result<IndexPrice, PricingError> {
        self.validate()?;
        for (i, s) in sources.iter().enumerate() {
            if s.price.0 <= 0 {
                return Err(PricingError::InvalidSource {
                    index: i,
                    field: "price",
                    reason: format!("must be > 0 (got {})", s.price.0),
                });
            }
        }
        let fresh: SmallVec<[IndexSource; 16]> = sources
            .iter()
            .copied()
            .filter(|s| self.max_age_ms.is_none_or(|max| now_ms.saturating_sub(s.updated_ms) <= max))
            .collect();
        let stale = sources.len() - fresh.len();
        if fresh.len() < self.min_sources {
            return Err(PricingError::TooFewSources { usable: fresh.len(), required: self.min_sources });
        }
        let mut out =
            IndexPrice { price: Price::ZERO, used: fresh.len(), stale, outliers: 0, median_fallback: false };
        let mut usable = fresh.clone();
        if let Some(band) = self.outlier_band {
            let prices: SmallVec<[Price; 16]> = fresh.iter().map(|s| s.price).collect();
            let mid = median(&prices).ok_or(PricingError::NoInput("index sources"))?;
            let far = |s: &IndexSource| deviates(s.price, mid, band);
            let n_far = fresh.iter().filter(|s| far(s)).count();
            if n_far > 1 {
                out.median_fallback = true;
                out.price = mid;
                return Ok(out);
            }
            usable.retain(|s| !far(s));
            out.outliers = n_far;
            out.used = usable.len();
        }
        out.price = combine(self.method, &usable)?;
        Ok(out)
    }
}

/// Whether `p` is further than `band` (a fraction) from `reference`: `|p − ref| > band × ref`,
/// compared exactly in `i128` without dividing.
fn deviates(p: Price, reference: Price, band: Rate) -> bool {
    let diff = (i128::from(p.0) - i128::from(reference.0)).abs();
    diff * i128::from(RATE_ONE) > i128::from(band.0) * i128::from(reference.0)
}

/// Combines sources by `method`.
fn combine(method: IndexMethod, sources: &[IndexSource]) -> Result<Price, PricingError> {
    let none = PricingError::NoInput("index weights");
    match method {
        IndexMethod::WeightedMean => {
            let of = || PricingError::Overflow("index");
            let (num, den) = sources
                .iter()
                .try_fold((0_i128, 0_i128), |(n, d), s| {
                    // One product fits (|p| < 2^63, w < 2^64); the sums are checked.
                    let pw = i128::from(s.price.0) * i128::from(s.weight);
                    Some((n.checked_add(pw)?, d.checked_add(i128::from(s.weight))?))
                })
                .ok_or_else(of)?;
            if den == 0 {
                return Err(none);
            }
            div_i128(num, den, Round::Floor).map(Price).map_err(|_| of())
        }
        IndexMethod::WeightedMedian => {
            let pairs: SmallVec<[(Price, u64); 16]> = sources.iter().map(|s| (s.price, s.weight)).collect();
            weighted_median(&pairs).ok_or(none)
        }
        IndexMethod::Median => {
            let prices: SmallVec<[Price; 16]> = sources.iter().map(|s| s.price).collect();
            median(&prices).ok_or(PricingError::NoInput("index sources"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(price: i64, weight: u64) -> IndexSource {
        IndexSource { price: Price(price), weight, updated_ms: 0 }
    }

    #[test]
    fn binance_weighted_mean_without_outliers() {
        let s = [src(100_000, 1), src(100_200, 1), src(100_400, 2)];
        let ix = IndexRule::binance().compute(&s, 0).unwrap();
        // (100,000 + 100,200 + 2 × 100,400) / 4 = 100,250.
        assert_eq!(ix.price, Price(100_250));
        assert_eq!((ix.used, ix.outliers, ix.median_fallback), (3, 0, false));
    }

    #[test]
    fn binance_one_outlier_gets_weight_zero() {
        // Median of 99,000 100,000 104,000 106,000 is 102,000; 106,000 is 3.9% away: no outlier.
        let s = [src(100_000, 1), src(104_000, 1), src(106_000, 5), src(99_000, 1)];
        let ix = IndexRule::binance().compute(&s, 0).unwrap();
        assert_eq!(ix.outliers, 0);
        let s = [src(100_000, 1), src(100_100, 1), src(99_900, 1), src(110_000, 7)];
        // Median 100,050; 110,000 is 9.9% away: weight 0; mean of the rest = 100,000.
        let ix = IndexRule::binance().compute(&s, 0).unwrap();
        assert_eq!((ix.price, ix.outliers, ix.used, ix.median_fallback), (Price(100_000), 1, 3, false));
    }

    #[test]
    fn binance_two_outliers_fall_back_to_the_median_of_all() {
        let s = [src(100_000, 1), src(100_100, 1), src(99_900, 1), src(110_000, 7), src(80_000, 9)];
        let ix = IndexRule::binance().compute(&s, 0).unwrap();
        // Median of all five: 100,000.
        assert!(ix.median_fallback);
        assert_eq!(ix.price, Price(100_000));
    }

    #[test]
    fn the_band_edge_is_exclusive() {
        // Exactly 5% from the median of [100, 100, 105] is not "more than 5%".
        let s = [src(100_000, 1), src(100_000, 1), src(105_000, 2)];
        let ix = IndexRule::binance().compute(&s, 0).unwrap();
        assert_eq!(ix.outliers, 0);
        assert_eq!(ix.price, Price(102_500));
        let s = [src(100_000, 1), src(100_000, 1), src(105_001, 2)];
        assert_eq!(IndexRule::binance().compute(&s, 0).unwrap().outliers, 1);
    }

    #[test]
    fn stale_sources_are_dropped_by_age() {
        let rule = IndexRule::okx(10_000);
        let s = [
            IndexSource { price: Price(100), weight: 1, updated_ms: 50_000 },
            IndexSource { price: Price(200), weight: 1, updated_ms: 39_999 },
            IndexSource { price: Price(110), weight: 1, updated_ms: 40_000 },
            // From the future (clock skew): fresh.
            IndexSource { price: Price(120), weight: 1, updated_ms: 60_000 },
        ];
        let ix = rule.compute(&s, 50_000).unwrap();
        assert_eq!((ix.price, ix.used, ix.stale), (Price(110), 3, 1));
        let strict = IndexRule { min_sources: 4, ..rule };
        assert_eq!(strict.compute(&s, 50_000), Err(PricingError::TooFewSources { usable: 3, required: 4 }));
    }

    #[test]
    fn hyperliquid_weighted_median_and_oracle_median() {
        // Binance 3, OKX 2, Bybit 2, Kraken 1 (§5.2).
        let s = [src(1_000, 3), src(1_010, 2), src(990, 2), src(2_000, 1)];
        assert_eq!(IndexRule::hyperliquid().compute(&s, 0).unwrap().price, Price(1_000));
        assert_eq!(IndexRule::oracle_median().compute(&s, 0).unwrap().price, Price(1_005));
    }

    #[test]
    fn bad_input_names_the_field() {
        let s = [src(100, 1), src(0, 1)];
        assert!(matches!(
            IndexRule::binance().compute(&s, 0),
            Err(PricingError::InvalidSource { index: 1, field: "price", .. })
        ));
        assert_eq!(IndexRule::bybit().compute(&[src(5, 0)], 0), Err(PricingError::NoInput("index weights")));
        assert!(matches!(IndexRule::bybit().compute(&[], 0), Err(PricingError::TooFewSources { .. })));
        let bad = IndexRule { outlier_band: Some(Rate(-1)), ..IndexRule::binance() };
        assert!(matches!(
            bad.compute(&[src(1, 1)], 0),
            Err(PricingError::InvalidParameter { field: "outlier_band", .. })
        ));
        let bad = IndexRule { min_sources: 0, ..IndexRule::binance() };
        assert!(bad.validate().is_err());
        let bad = IndexRule::okx(-1);
        assert!(bad.validate().is_err());
        assert_eq!(IndexRule::by_name("okx").unwrap(), IndexRule::okx(10_000));
        assert!(IndexRule::by_name("nope").is_err());
        let huge = [src(i64::MAX, u64::MAX), src(i64::MAX, u64::MAX)];
        assert_eq!(IndexRule::bybit().compute(&huge, 0), Err(PricingError::Overflow("index")));
    }
}
