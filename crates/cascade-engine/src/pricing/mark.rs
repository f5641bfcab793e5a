//! The mark price: the price a venue values positions at for margin, liquidation and unrealized
//! PnL, built to resist a thin or manipulated book.
//!
//! Rules (venue-mechanics.md):
//! * Binance §1.2, Bybit §2.2: `Mark = median(P1, P2, Last)`,
//!   `P1 = Index × (1 + lastFundingRate × timeUntilFunding / 8h)`, `P2 = Index + MA(basis)`,
//!   `basis = (bid1 + ask1)/2 − Index`; Binance's MA is 30 one-second samples since 2025-09-18,
//!   Bybit's is 5 minutes of one-second samples.
//! * OKX §3.2: `Mark = Index + MA(basis)` (window not published; 60 one-second samples (inferred)).
//! * BitMEX §4.2: Fair Price `= Index × (1 + FundingRate × TimeUntilFunding / FundingInterval)`.
//! * Hyperliquid §5.2: `median(Oracle + EMA₁₅₀ₛ(mid − Oracle), median(bid, ask, last),
//!   weighted median of external perp mids)`; with only two inputs, a 30 s EMA of the book
//!   median is added as the third.
//! * dYdX §6.2, Drift §7.2: the oracle (index) price, no separate mark.
//!
//! A [`MarkPricer`] keeps the samples its rule needs (a fixed-capacity basis window or EMAs) and
//! takes at most one sample per `sample_interval_ms` bucket of the caller's clock, so the same
//! sequence of inputs always gives the same marks. Prices are in the instrument's price units;
//! divisions round down ([`Round::Floor`]); a basis is kept in doubled price units so the mid of
//! two prices stays exact until the one final rounding.

use crate::num::{Price, RATE_ONE, Rate, Round, div_i128};

use super::ema::TimeEma;
use super::error::{PricingError, invalid, positive};
use super::median::{mean_of_two, median, median_of_three, weighted_median};
use super::ring::SampleWindow;
use super::venue_kind::VenueKind;

/// Eight hours in milliseconds: the funding period most rules quote rates over.
pub const EIGHT_HOURS_MS: i64 = 8 * 3_600_000;

/// A venue's mark-price rule and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkRule {
    /// `median(P1, P2, Last)` (Binance §1.2, Bybit §2.2).
    MedianOfThree {
        /// Period the funding rate is quoted over, the `8h` in `timeUntilFunding / 8h`.
        rate_period_ms: i64,
        /// Number of basis samples in the moving average (Binance 30, Bybit 300).
        basis_window: usize,
        /// One basis sample per this many milliseconds (1,000 for both).
        sample_interval_ms: i64,
    },
    /// `Index + MA(basis)` (OKX §3.2).
    IndexPlusBasis {
        /// Number of basis samples in the moving average.
        basis_window: usize,
        /// One basis sample per this many milliseconds.
        sample_interval_ms: i64,
    },
    /// BitMEX Fair Price `Index × (1 + FundingRate × TimeUntilFunding / FundingInterval)` (§4.2).
    FairPrice {
        /// The funding interval.
        funding_interval_ms: i64,
    },
    /// Hyperliquid's median of oracle-plus-EMA basis, book median and external perp mids (§5.2).
    Hyperliquid {
        /// Time constant of the basis EMA (150 s).
        basis_tau_ms: i64,
        /// Time constant of the book-median EMA used when only two inputs exist (30 s).
        book_tau_ms: i64,
        /// One sample per this many milliseconds (3,000: the oracle's update cadence).
        sample_interval_ms: i64,
    },
    /// The oracle (index) price itself (dYdX §6.2, Drift §7.2).
    Oracle,
}

impl MarkRule {
    /// Binance §1.2 since 2025-09-18: 30 one-second basis samples, 8 h rate period.
    #[must_use]
    pub const fn binance() -> Self {
        Self::MedianOfThree { rate_period_ms: EIGHT_HOURS_MS, basis_window: 30, sample_interval_ms: 1_000 }
    }

    /// Bybit §2.2: 5-minute basis MA sampled each second, 8 h rate period.
    #[must_use]
    pub const fn bybit() -> Self {
        Self::MedianOfThree { rate_period_ms: EIGHT_HOURS_MS, basis_window: 300, sample_interval_ms: 1_000 }
    }

    /// OKX §3.2: index plus a basis MA (60 one-second samples (inferred): the window is not published).
    #[must_use]
    pub const fn okx() -> Self {
        Self::IndexPlusBasis { basis_window: 60, sample_interval_ms: 1_000 }
    }

    /// BitMEX §4.2: Fair Price with an 8 h funding interval.
    #[must_use]
    pub const fn bitmex() -> Self {
        Self::FairPrice { funding_interval_ms: EIGHT_HOURS_MS }
    }

    /// Hyperliquid §5.2: 150 s basis EMA, 30 s book EMA, 3 s sampling.
    #[must_use]
    pub const fn hyperliquid() -> Self {
        Self::Hyperliquid { basis_tau_ms: 150_000, book_tau_ms: 30_000, sample_interval_ms: 3_000 }
    }

    /// The default rule of a venue.
    #[must_use]
    pub const fn for_venue(venue: VenueKind) -> Self {
        match venue {
            VenueKind::Binance => Self::binance(),
            VenueKind::Bybit => Self::bybit(),
            VenueKind::Okx => Self::okx(),
            VenueKind::Bitmex => Self::bitmex(),
            VenueKind::Hyperliquid => Self::hyperliquid(),
            VenueKind::Dydx | VenueKind::Drift => Self::Oracle,
        }
    }

    /// The default rule of a venue given by name (see [`VenueKind`]).
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] (`venue`) for an unknown name.
    pub fn by_name(name: &str) -> Result<Self, PricingError> {
        Ok(Self::for_venue(name.parse()?))
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] naming the first non-positive period, interval, time
    /// constant or window.
    pub fn validate(&self) -> Result<(), PricingError> {
        let pos = |field: &'static str, v: i64| {
            if v > 0 { Ok(()) } else { Err(invalid(field, format!("must be > 0 (got {v})"))) }
        };
        let window =
            |w: usize| if w > 0 { Ok(()) } else { Err(invalid("basis_window", "must be at least 1")) };
        match *self {
            Self::MedianOfThree { rate_period_ms, basis_window, sample_interval_ms } => {
                pos("rate_period_ms", rate_period_ms)?;
                window(basis_window)?;
                pos("sample_interval_ms", sample_interval_ms)
            }
            Self::IndexPlusBasis { basis_window, sample_interval_ms } => {
                window(basis_window)?;
                pos("sample_interval_ms", sample_interval_ms)
            }
            Self::FairPrice { funding_interval_ms } => pos("funding_interval_ms", funding_interval_ms),
            Self::Hyperliquid { basis_tau_ms, book_tau_ms, sample_interval_ms } => {
                pos("basis_tau_ms", basis_tau_ms)?;
                pos("book_tau_ms", book_tau_ms)?;
                pos("sample_interval_ms", sample_interval_ms)
            }
            Self::Oracle => Ok(()),
        }
    }
}

/// What a mark update sees at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkInput<'a> {
    /// The caller's clock, in milliseconds.
    pub now_ms: i64,
    /// The index (oracle) price.
    pub index: Price,
    /// Best bid of the venue's own book.
    pub best_bid: Option<Price>,
    /// Best ask of the venue's own book.
    pub best_ask: Option<Price>,
    /// Last traded price.
    pub last: Option<Price>,
    /// Funding rate for `P1` / the Fair Price basis: the last settled rate for Binance and Bybit,
    /// the current rate for BitMEX.
    pub funding_rate: Rate,
    /// When the next funding settles, in milliseconds on the same clock.
    pub next_funding_ms: i64,
    /// Hyperliquid: mids of the same perp on other venues with their weights (3, 2, 2, 1, 1).
    pub external_mids: &'a [(Price, u64)],
}

impl<'a> MarkInput<'a> {
    /// An input with only a time and an index; the rest empty.
    #[must_use]
    pub fn new(now_ms: i64, index: Price) -> Self {
        Self {
            now_ms,
            index,
            best_bid: None,
            best_ask: None,
            last: None,
            funding_rate: Rate::ZERO,
            next_funding_ms: now_ms,
            external_mids: &[],
        }
    }
}

/// A mark price and the candidates it was chosen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkPrice {
    /// The mark.
    pub price: Price,
    /// The rule's candidates in its own order (`[P1, P2, Last]` for median-of-three,
    /// `[oracle + EMA basis, book median, external or EMA]` for Hyperliquid), `None` where
    /// missing; for single-formula rules only the first is set.
    pub candidates: [Option<Price>; 3],
}

/// A mark-price rule with the samples it has kept.
#[derive(Debug, Clone)]
pub struct MarkPricer {
    rule: MarkRule,
    /// Basis samples in doubled price units (median-of-three, index-plus-basis).
    basis: Option<SampleWindow>,
    /// Hyperliquid: EMA of the doubled basis, and of the book median.
    basis_ema: Option<TimeEma>,
    book_ema: Option<TimeEma>,
    last_bucket: Option<i64>,
    last_ms: Option<i64>,
}

impl MarkPricer {
    /// A pricer with no samples.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] if the rule is invalid (see [`MarkRule::validate`]).
    pub fn new(rule: MarkRule) -> Result<Self, PricingError> {
        rule.validate()?;
        let (basis, basis_ema, book_ema) = match rule {
            MarkRule::MedianOfThree { basis_window, .. } | MarkRule::IndexPlusBasis { basis_window, .. } => {
                (Some(SampleWindow::new(basis_window)?), None, None)
            }
            MarkRule::Hyperliquid { basis_tau_ms, book_tau_ms, sample_interval_ms } => (
                None,
                Some(TimeEma::new(basis_tau_ms, sample_interval_ms)?),
                Some(TimeEma::new(book_tau_ms, sample_interval_ms)?),
            ),
            MarkRule::FairPrice { .. } | MarkRule::Oracle => (None, None, None),
        };
        Ok(Self { rule, basis, basis_ema, book_ema, last_bucket: None, last_ms: None })
    }

    /// The rule.
    #[must_use]
    pub fn rule(&self) -> MarkRule {
        self.rule
    }

    /// Basis samples held by a moving-average rule (0 for the others).
    #[must_use]
    pub fn basis_samples(&self) -> usize {
        self.basis.as_ref().map_or(0, SampleWindow::len)
    }

    /// Takes the rule's sample from `input` if this is the first update in its sampling bucket,
    /// then computes the mark.
    ///
    /// # Errors
    /// * [`PricingError::NotPositive`] naming `index`, `best_bid`, `best_ask`, `last` or
    ///   `external_mids` if a given price is not positive;
    /// * [`PricingError::TimeWentBackwards`] if `now_ms` is before the previous update;
    /// * [`PricingError::Overflow`] if a figure does not fit.
    ///
    /// Nothing is sampled when an error is returned.
    pub fn update(&mut self, input: &MarkInput<'_>) -> Result<MarkPrice, PricingError> {
        validate_input(input)?;
        if let Some(last) = self.last_ms
            && input.now_ms < last
        {
            return Err(PricingError::TimeWentBackwards {
                field: "now_ms",
                last_ms: last,
                now_ms: input.now_ms,
            });
        }
        let book_median = book_median(input);
        if let Some(bucket) = self.sample_bucket(input.now_ms)
            && self.last_bucket != Some(bucket)
        {
            let doubled_basis = match (input.best_bid, input.best_ask) {
                (Some(b), Some(a)) => Some(
                    i64::try_from(i128::from(b.0) + i128::from(a.0) - 2 * i128::from(input.index.0))
                        .map_err(|_| PricingError::Overflow("basis"))?,
                ),
                _ => None,
            };
            // Update EMAs on copies so an error leaves the state as it was.
            let mut basis_ema = self.basis_ema.clone();
            let mut book_ema = self.book_ema.clone();
            if let (Some(e), Some(x)) = (basis_ema.as_mut(), doubled_basis) {
                e.update(input.now_ms, x)?;
            }
            if let (Some(e), Some(m)) = (book_ema.as_mut(), book_median) {
                e.update(input.now_ms, m.0)?;
            }
            if let (Some(w), Some(x)) = (self.basis.as_mut(), doubled_basis) {
                w.push(x);
            }
            self.basis_ema = basis_ema;
            self.book_ema = book_ema;
            self.last_bucket = Some(bucket);
        }
        self.last_ms = Some(input.now_ms);
        self.mark(input, book_median)
    }

    /// The sampling bucket of `now_ms`, for rules that sample.
    fn sample_bucket(&self, now_ms: i64) -> Option<i64> {
        let interval = match self.rule {
            MarkRule::MedianOfThree { sample_interval_ms, .. }
            | MarkRule::IndexPlusBasis { sample_interval_ms, .. }
            | MarkRule::Hyperliquid { sample_interval_ms, .. } => sample_interval_ms,
            MarkRule::FairPrice { .. } | MarkRule::Oracle => return None,
        };
        Some(now_ms.div_euclid(interval))
    }

    /// `Index + MA(basis)`, or `None` before the first basis sample; at least one price unit.
    ///
    /// The published rule has no floor, but a book left with a few stale quotes far below the
    /// index (its makers gone) can average a basis below minus the index, and a mark of zero or
    /// less is no price at all: the venue would refuse it and the whole run would stop.
    fn index_plus_ma(&self, index: Price) -> Result<Option<Price>, PricingError> {
        let Some(w) = &self.basis else { return Ok(None) };
        let Some(ma) = w.mean_scaled(2, Round::Floor).map_err(|_| PricingError::Overflow("basis MA"))? else {
            return Ok(None);
        };
        index
            .checked_add(Price(ma))
            .map(|p| Some(Price(p.0.max(1))))
            .map_err(|_| PricingError::Overflow("index + basis"))
    }

    fn mark(&self, input: &MarkInput<'_>, book_median: Option<Price>) -> Result<MarkPrice, PricingError> {
        let index = input.index;
        let single = |p: Price| MarkPrice { price: p, candidates: [Some(p), None, None] };
        match self.rule {
            MarkRule::MedianOfThree { rate_period_ms, .. } => {
                let p1 = funding_basis_price(
                    index,
                    input.funding_rate,
                    input.next_funding_ms.saturating_sub(input.now_ms),
                    rate_period_ms,
                )?;
                let p2 = self.index_plus_ma(index)?;
                let candidates = [Some(p1), p2, input.last];
                Ok(MarkPrice { price: median_of_available(&candidates).unwrap_or(p1), candidates })
            }
            MarkRule::IndexPlusBasis { .. } => Ok(single(self.index_plus_ma(index)?.unwrap_or(index))),
            MarkRule::FairPrice { funding_interval_ms } => Ok(single(funding_basis_price(
                index,
                input.funding_rate,
                input.next_funding_ms.saturating_sub(input.now_ms),
                funding_interval_ms,
            )?)),
            MarkRule::Hyperliquid { .. } => {
                let ema_basis = self.basis_ema.as_ref().and_then(|e| e.value_scaled(2, Round::Floor));
                let a = match ema_basis {
                    Some(b) => {
                        index.checked_add(Price(b)).map_err(|_| PricingError::Overflow("oracle + basis"))?
                    }
                    None => index,
                };
                let external = weighted_median(input.external_mids);
                let c = external.or_else(|| {
                    // Only two inputs: the 30 s EMA of the book median is the third.
                    book_median?;
                    self.book_ema.as_ref()?.value(Round::Floor).map(Price)
                });
                let candidates = [Some(a), book_median, c];
                Ok(MarkPrice { price: median_of_available(&candidates).unwrap_or(a), candidates })
            }
            MarkRule::Oracle => Ok(single(index)),
        }
    }
}

/// `index × (1 + rate × ttf / period)` with `ttf` clamped to `[0, period]`, rounded down: P1 of
/// Binance/Bybit (§1.2, §2.2) and BitMEX's Fair Price (§4.2).
///
/// # Errors
/// [`PricingError::InvalidParameter`] (`period_ms`) if not positive; [`PricingError::Overflow`]
/// if the price does not fit; [`PricingError::NotPositive`] if the rate drives it to zero or below.
pub fn funding_basis_price(
    index: Price,
    rate: Rate,
    ttf_ms: i64,
    period_ms: i64,
) -> Result<Price, PricingError> {
    if period_ms <= 0 {
        return Err(invalid("period_ms", format!("must be > 0 (got {period_ms})")));
    }
    let ttf = ttf_ms.clamp(0, period_ms);
    let den = i128::from(RATE_ONE) * i128::from(period_ms);
    let num = den + i128::from(rate.0) * i128::from(ttf);
    let of = || PricingError::Overflow("funding basis price");
    let prod = i128::from(index.0).checked_mul(num).ok_or_else(of)?;
    let p = div_i128(prod, den, Round::Floor).map(Price).map_err(|_| of())?;
    // A rate below −100% per period would price the contract at or below zero.
    positive("funding basis price", p.0)?;
    Ok(p)
}

/// The median of the candidates present: the middle of three, the floor-mean of two, the one.
fn median_of_available(c: &[Option<Price>; 3]) -> Option<Price> {
    match *c {
        [Some(a), Some(b), Some(x)] => Some(median_of_three(a, b, x)),
        [Some(a), Some(b), None] | [Some(a), None, Some(b)] | [None, Some(a), Some(b)] => {
            Some(mean_of_two(a, b))
        }
        [Some(a), None, None] | [None, Some(a), None] | [None, None, Some(a)] => Some(a),
        [None, None, None] => None,
    }
}

/// `median(bestBid, bestAsk, last)` of those present (Hyperliquid §5.2).
fn book_median(input: &MarkInput<'_>) -> Option<Price> {
    let mut v = [Price::ZERO; 3];
    let mut n = 0;
    for p in [input.best_bid, input.best_ask, input.last].into_iter().flatten() {
        v[n] = p;
        n += 1;
    }
    median(&v[..n])
}

fn validate_input(input: &MarkInput<'_>) -> Result<(), PricingError> {
    positive("index", input.index.0)?;
    for (field, p) in [("best_bid", input.best_bid), ("best_ask", input.best_ask), ("last", input.last)] {
        if let Some(p) = p {
            positive(field, p.0)?;
        }
    }
    for (p, _) in input.external_mids {
        positive("external_mids", p.0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn input(now_ms: i64, index: i64, bid: i64, ask: i64, last: Option<i64>) -> MarkInput<'static> {
        MarkInput {
            best_bid: Some(Price(bid)),
            best_ask: Some(Price(ask)),
            last: last.map(Price),
            ..MarkInput::new(now_ms, Price(index))
        }
    }

    #[test]
    fn p1_scales_the_funding_rate_by_time_to_funding() {
        // Index 100,000.0 (price units of 0.1), rate 0.01%, 4 h of 8 h left: +0.005%.
        let p = funding_basis_price(Price(1_000_000), Rate::from_bps(1), 4 * HOUR, EIGHT_HOURS_MS).unwrap();
        assert_eq!(p, Price(1_000_050));
        // Time past the settlement clamps to zero, more than a period clamps to one.
        assert_eq!(
            funding_basis_price(Price(1_000_000), Rate::from_bps(1), -5, EIGHT_HOURS_MS),
            Ok(Price(1_000_000))
        );
        assert_eq!(
            funding_basis_price(Price(1_000_000), Rate::from_bps(-1), 99 * HOUR, EIGHT_HOURS_MS),
            Ok(Price(999_900))
        );
        assert!(funding_basis_price(Price(1), Rate::ZERO, 0, 0).is_err());
        assert!(matches!(
            funding_basis_price(Price(100), Rate(-2 * RATE_ONE), EIGHT_HOURS_MS, EIGHT_HOURS_MS),
            Err(PricingError::NotPositive { .. })
        ));
    }

    #[test]
    fn binance_mark_is_the_median_of_three() {
        let mut m = MarkPricer::new(MarkRule::binance()).unwrap();
        // Index 1,000,000; book 1,000,090/1,000,110: basis +100; no funding.
        let mk = m.update(&input(0, 1_000_000, 1_000_090, 1_000_110, Some(1_005_000))).unwrap();
        assert_eq!(mk.candidates, [Some(Price(1_000_000)), Some(Price(1_000_100)), Some(Price(1_005_000))]);
        assert_eq!(mk.price, Price(1_000_100));
        // A spike in the last price alone does not move the mark beyond P2.
        let mk = m.update(&input(1_000, 1_000_000, 1_000_090, 1_000_110, Some(2_000_000))).unwrap();
        assert_eq!(mk.price, Price(1_000_100));
        // Last below both P1 and P2: the mark is the lower of those two, P1.
        let mk = m.update(&input(2_000, 1_000_000, 1_000_090, 1_000_110, Some(900_000))).unwrap();
        assert_eq!(mk.price, Price(1_000_000));
    }

    #[test]
    fn basis_ma_uses_a_fixed_window_and_one_sample_per_second() {
        let rule = MarkRule::MedianOfThree {
            rate_period_ms: EIGHT_HOURS_MS,
            basis_window: 3,
            sample_interval_ms: 1_000,
        };
        let mut m = MarkPricer::new(rule).unwrap();
        // Bases +10, +20 (same second: ignored), +30, +40, +51: window keeps the last three.
        for (t, basis) in [(0, 10), (500, 20), (1_000, 30), (2_000, 40), (3_000, 51)] {
            m.update(&input(t, 1_000, 1_000 + basis, 1_000 + basis, None)).unwrap();
        }
        assert_eq!(m.basis_samples(), 3);
        // MA = (30 + 40 + 51)/3 = 40.33: P2 = 1,040; no last: mean of P1 and P2 = 1,020.
        let mk = m.update(&MarkInput::new(3_500, Price(1_000))).unwrap();
        assert_eq!(mk.candidates, [Some(Price(1_000)), Some(Price(1_040)), None]);
        assert_eq!(mk.price, Price(1_020));
        // A half-tick mid stays exact: bid 1,000 ask 1,001 → basis 0.5 in the window.
        let mut m = MarkPricer::new(MarkRule::okx()).unwrap();
        let a = m.update(&input(0, 1_000, 1_000, 1_001, None)).unwrap();
        assert_eq!(a.price, Price(1_000));
        let b = m.update(&input(1_000, 1_000, 1_000, 1_002, None)).unwrap();
        // (0.5 + 1) / 2 = 0.75: floor → +0.
        assert_eq!(b.price, Price(1_000));
        let c = m.update(&input(2_000, 1_000, 1_001, 1_002, None)).unwrap();
        // (0.5 + 1 + 1.5) / 3 = 1.
        assert_eq!(c.price, Price(1_001));
    }

    /// OKX: bid 10 and ask 20 around an index of 1,000 sample a basis of 15 − 1,000 = −985; a
    /// second sample at index 100 (mid 15 again: −85) averages (−985 − 85) / 2 = −535, so
    /// index + MA = 100 − 535 < 0: the mark is floored at one price unit instead of failing.
    #[test]
    fn index_plus_basis_never_goes_below_one_unit() {
        let mut m = MarkPricer::new(MarkRule::okx()).unwrap();
        assert_eq!(m.update(&input(0, 1_000, 10, 20, None)).unwrap().price, Price(15));
        assert_eq!(m.update(&input(1_000, 100, 10, 20, None)).unwrap().price, Price(1));
    }

    #[test]
    fn bitmex_fair_price_and_oracle() {
        let mut m = MarkPricer::new(MarkRule::bitmex()).unwrap();
        // Rate 0.03% with 2 h of 8 h left: basis 0.0075%; index 40,000.00 → 40,003.00.
        let i = MarkInput {
            funding_rate: Rate::from_bps(3),
            next_funding_ms: 6 * HOUR,
            ..MarkInput::new(4 * HOUR, Price(4_000_000))
        };
        assert_eq!(m.update(&i).unwrap().price, Price(4_000_300));
        let mut o = MarkPricer::new(MarkRule::Oracle).unwrap();
        assert_eq!(o.update(&input(0, 777, 1, 2_000, Some(5))).unwrap().price, Price(777));
    }

    #[test]
    fn hyperliquid_mark_uses_external_mids_or_the_book_ema() {
        let mut m = MarkPricer::new(MarkRule::hyperliquid()).unwrap();
        let ext = [
            (Price(10_020), 3),
            (Price(10_030), 2),
            (Price(10_010), 2),
            (Price(10_500), 1),
            (Price(9_000), 1),
        ];
        // Oracle 10,000; book 10,040/10,060 (basis +50), last 10,055.
        let i = MarkInput { external_mids: &ext, ..input(0, 10_000, 10_040, 10_060, Some(10_055)) };
        let mk = m.update(&i).unwrap();
        // a = 10,050; book median = 10,055; external weighted median = 10,020: median 10,050.
        assert_eq!(mk.candidates, [Some(Price(10_050)), Some(Price(10_055)), Some(Price(10_020))]);
        assert_eq!(mk.price, Price(10_050));
        // Without external mids the third input is the 30 s EMA of the book median (10,055).
        let mk = m.update(&input(3_000, 10_000, 10_040, 10_060, Some(10_055))).unwrap();
        assert_eq!(mk.candidates[2], Some(Price(10_055)));
        assert_eq!(mk.price, Price(10_055));
        // With no book at all, the mark is oracle + EMA basis.
        let mk = m.update(&MarkInput::new(6_000, Price(10_000))).unwrap();
        assert_eq!(mk.candidates, [Some(Price(10_050)), None, None]);
    }

    #[test]
    fn same_samples_same_marks() {
        let run = || {
            let mut m = MarkPricer::new(MarkRule::bybit()).unwrap();
            let mut h = MarkPricer::new(MarkRule::hyperliquid()).unwrap();
            let mut out = Vec::new();
            for k in 0..500_i64 {
                let wobble = (k * 7_919) % 61 - 30;
                let i = input(
                    k * 700,
                    50_000 + wobble,
                    50_010 + 2 * wobble,
                    50_020 + wobble,
                    Some(50_000 - wobble),
                );
                out.push((m.update(&i).unwrap().price, h.update(&i).unwrap().price));
            }
            out
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn bad_inputs_are_refused_without_sampling() {
        let mut m = MarkPricer::new(MarkRule::binance()).unwrap();
        assert!(matches!(
            m.update(&MarkInput::new(0, Price(0))),
            Err(PricingError::NotPositive { field: "index", .. })
        ));
        assert!(matches!(
            m.update(&input(0, 10, -1, 12, None)),
            Err(PricingError::NotPositive { field: "best_bid", .. })
        ));
        assert_eq!(m.basis_samples(), 0);
        m.update(&input(5_000, 10, 10, 12, None)).unwrap();
        assert!(matches!(
            m.update(&input(4_000, 10, 10, 12, None)),
            Err(PricingError::TimeWentBackwards { .. })
        ));
        assert_eq!(m.basis_samples(), 1);
        let bad = MarkRule::MedianOfThree { rate_period_ms: 0, basis_window: 1, sample_interval_ms: 1 };
        assert!(matches!(
            MarkPricer::new(bad),
            Err(PricingError::InvalidParameter { field: "rate_period_ms", .. })
        ));
        let bad = MarkRule::IndexPlusBasis { basis_window: 0, sample_interval_ms: 1 };
        assert!(MarkPricer::new(bad).is_err());
        assert_eq!(MarkRule::by_name("bybit"), Ok(MarkRule::bybit()));
        assert_eq!(MarkRule::by_name("drift"), Ok(MarkRule::Oracle));
    }
}
