//! Funding rates: the premium index from the book, its average over the funding interval, the
//! interest component, clamps, caps and interval scaling, per venue.
//!
//! Pipeline (venue-mechanics.md):
//! 1. A premium sample every `sample_interval_ms`: from impact prices,
//!    `P = [max(0, ImpactBid − Index) − max(0, Index − ImpactAsk)] / Index` (Binance §1.2,
//!    Bybit §2.2, Hyperliquid §5.2, dYdX §6.2), or from the mid, `P = (Mid − Index) / Index`
//!    (OKX §3.2). Impact prices are the average fill prices of a sweep of the impact margin
//!    notional, `IMN = 200 USDT / IMR at max leverage` on Binance (§1.2, BIN-9). dYdX clamps each
//!    sample to `±60 × (IMF − MMF)`.
//! 2. The average over the interval: equal weights (Binance's time-weighted average of evenly
//!    spaced samples; dYdX pads missing samples with zeros), or Bybit's linear weights `k / Σk`
//!    (§2.2, BYB-7).
//! 3. The rate over the quoting period (8 h; Drift 24 h): `F = P̄ + clamp(I − P̄, −0.05%, +0.05%)`
//!    (Binance, Bybit, BitMEX, Hyperliquid) or `F = P̄ + I` (OKX with I = 0, dYdX with
//!    I = 0.01%, Drift with I = 1/5000), then the period cap (OKX ±0.375% for BTC, BitMEX
//!    `0.75 × (IM − MM)`, dYdX `6 × (IMF − MMF)`, Drift 1/33 for tier A/B).
//! 4. Scaled to the settlement interval, `F × interval / period` (Binance `F / (8/N)`,
//!    Hyperliquid and dYdX hourly `F₈ₕ / 8`, Drift `/24`), then the interval cap (Hyperliquid
//!    4%/hour).
//!
//! Rates are [`Rate`]s (parts per 10^8). Every division rounds toward zero (`Round::Floor` for
//! positive, `Round::Ceil` for negative quotients), so rounding never creates a premium in
//! either direction; impact prices round away from the mid (bid down, ask up) for the same
//! reason. No clock: the caller passes `now_ms`; no floats; nothing here moves money (the venue
//! does, in `venue::funding`).

use crate::book::{Book, Side};
use crate::instrument::{ContractKind, Instrument};
use crate::num::{Cash, Price, Qty, RATE_ONE, Rate, Round, div_i128};

use super::error::{PricingError, invalid, overflow, positive};
use super::mark::EIGHT_HOURS_MS;
use super::venue_kind::VenueKind;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// `n / d` rounded toward zero, for `d > 0`.
fn div_toward_zero(n: i128, d: i128, what: &'static str) -> Result<i64, PricingError> {
    let round = if n >= 0 { Round::Floor } else { Round::Ceil };
    div_i128(n, d, round).map_err(|_| PricingError::Overflow(what))
}

/// `x` clamped to `[−cap, +cap]` (`cap ≥ 0`).
#[must_use]
pub fn clamp_rate(x: Rate, cap: Rate) -> Rate {
    let c = cap.0.max(0);
    Rate(x.0.clamp(-c, c))
}

/// The premium index from impact prices (§1.2):
/// `[max(0, ImpactBid − Index) − max(0, Index − ImpactAsk)] / Index`, rounded toward zero.
/// A side with no impact price (too thin to fill the impact notional) contributes nothing.
///
/// # Errors
/// [`PricingError::NotPositive`] naming `index`, `impact_bid` or `impact_ask`;
/// [`PricingError::Overflow`] if the rate does not fit.
pub fn premium_index(
    impact_bid: Option<Price>,
    impact_ask: Option<Price>,
    index: Price,
) -> Result<Rate, PricingError> {
    positive("index", index.0)?;
    let ix = i128::from(index.0);
    let up = match impact_bid {
        Some(b) => {
            positive("impact_bid", b.0)?;
            (i128::from(b.0) - ix).max(0)
        }
        None => 0,
    };
    let down = match impact_ask {
        Some(a) => {
            positive("impact_ask", a.0)?;
            (ix - i128::from(a.0)).max(0)
        }
        None => 0,
    };
    div_toward_zero((up - down) * i128::from(RATE_ONE), ix, "premium index").map(Rate)
}

/// The premium of the mid over the index, `((Bid + Ask)/2 − Index) / Index` (OKX §3.2), exact
/// until one rounding toward zero.
///
/// # Errors
/// [`PricingError::NotPositive`] naming `best_bid`, `best_ask` or `index`.
pub fn mid_premium(best_bid: Price, best_ask: Price, index: Price) -> Result<Rate, PricingError> {
    positive("best_bid", best_bid.0)?;
    positive("best_ask", best_ask.0)?;
    positive("index", index.0)?;
    let ix = i128::from(index.0);
    let doubled = i128::from(best_bid.0) + i128::from(best_ask.0) - 2 * ix;
    div_toward_zero(doubled * i128::from(RATE_ONE), 2 * ix, "mid premium").map(Rate)
}

/// Binance's impact margin notional, `IMN = margin / IMR at max leverage` (§1.2; BIN-9:
/// 200 USDT at 5% → 4,000 USDT), rounded down.
///
/// # Errors
/// [`PricingError::InvalidParameter`] naming `margin` or `imr` if not positive.
pub fn impact_margin_notional(margin: Cash, imr: Rate) -> Result<Cash, PricingError> {
    if !margin.is_positive() {
        return Err(invalid("margin", format!("must be > 0 (got {margin})")));
    }
    if !imr.is_positive() {
        return Err(invalid("imr", format!("must be > 0 (got {imr})")));
    }
    margin.mul_div(RATE_ONE, imr.0, Round::Floor).map_err(overflow("impact margin notional"))
}

/// BitMEX's interest component from the quote and base currencies' daily rates (§4.2):
/// `I = (QuoteRate − BaseRate) / periods_per_day` (3 for 8 h funding), rounded toward zero.
///
/// # Errors
/// [`PricingError::InvalidParameter`] (`periods_per_day`) if not positive.
pub fn interest_from_rates(
    quote_daily: Rate,
    base_daily: Rate,
    periods_per_day: i64,
) -> Result<Rate, PricingError> {
    if periods_per_day <= 0 {
        return Err(invalid("periods_per_day", format!("must be > 0 (got {periods_per_day})")));
    }
    let diff = i128::from(quote_daily.0) - i128::from(base_daily.0);
    div_toward_zero(diff, i128::from(periods_per_day), "interest").map(Rate)
}

/// A funding cap from margin rates, `factor × (IMR − MMR)`, rounded down: BitMEX and OKX
/// `0.75 × (IM − MM)` (§4.2, BMX-4, OKX-2), dYdX `6 × (IMF − MMF)` for the rate and
/// `60 × (IMF − MMF)` for premium votes (§6.2, DYDX-20).
///
/// # Errors
/// [`PricingError::InvalidParameter`] naming `factor` (negative) or `mmr` (above `imr`).
pub fn cap_from_margin(factor: Rate, imr: Rate, mmr: Rate) -> Result<Rate, PricingError> {
    if factor.is_negative() {
        return Err(invalid("factor", format!("must be >= 0 (got {factor})")));
    }
    if mmr > imr {
        return Err(invalid("mmr", format!("{mmr} exceeds imr {imr}")));
    }
    let gap = imr.checked_sub(mmr).map_err(overflow("imr − mmr"))?;
    gap.mul_div(factor.0, RATE_ONE, Round::Floor).map_err(overflow("funding cap"))
}

/// `rate × interval / period`, rounded toward zero: the rate for one settlement interval from a
/// rate quoted per period (§1.2 `F / (8/N)`, §5.2 hourly `F₈ₕ / 8`, §7.2 `/ (24h / period)`).
///
/// # Errors
/// [`PricingError::InvalidParameter`] naming `period_ms` or `interval_ms` if not positive.
pub fn scale_to_interval(rate: Rate, period_ms: i64, interval_ms: i64) -> Result<Rate, PricingError> {
    if period_ms <= 0 {
        return Err(invalid("period_ms", format!("must be > 0 (got {period_ms})")));
    }
    if interval_ms <= 0 {
        return Err(invalid("interval_ms", format!("must be > 0 (got {interval_ms})")));
    }
    div_toward_zero(i128::from(rate.0) * i128::from(interval_ms), i128::from(period_ms), "interval scaling")
        .map(Rate)
}

/// The next funding time strictly after `now_ms` on a grid of `interval_ms` shifted by
/// `offset_ms` (e.g. 8 h at offset 0 gives 00/08/16 UTC; BitMEX's 04/12/20 is offset 4 h).
///
/// # Errors
/// [`PricingError::InvalidParameter`] (`interval_ms`) if not positive; overflow near `i64::MAX`.
pub fn next_funding_ms(now_ms: i64, interval_ms: i64, offset_ms: i64) -> Result<i64, PricingError> {
    if interval_ms <= 0 {
        return Err(invalid("interval_ms", format!("must be > 0 (got {interval_ms})")));
    }
    let k =
        now_ms.checked_sub(offset_ms).ok_or(PricingError::Overflow("funding time"))?.div_euclid(interval_ms);
    k.checked_add(1)
        .and_then(|k| k.checked_mul(interval_ms))
        .and_then(|t| t.checked_add(offset_ms))
        .ok_or(PricingError::Overflow("funding time"))
}

/// How much of the book an impact price sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpactSize {
    /// A notional in the settle asset (linear contracts only), e.g. the Binance IMN.
    Value(Cash),
    /// A quantity in the instrument's quantity units (any contract; for inverse contracts the
    /// notional in quote currency is a number of contracts).
    Qty(Qty),
}

/// Average fill prices of selling and buying the impact size now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpactPrices {
    /// Volume-weighted price of selling into the bids, rounded down; `None` if the bids are
    /// too thin.
    pub bid: Option<Price>,
    /// Volume-weighted price of buying from the asks, rounded up; `None` if the asks are too
    /// thin.
    pub ask: Option<Price>,
}

/// Impact bid and ask of `book` for `size` (§1.2: "the average fill price to execute the impact
/// margin notional" on each side), from the book's sweep queries.
///
/// # Errors
/// [`PricingError::InvalidParameter`] (`size`) if not positive, [`PricingError::Book`] for a
/// [`ImpactSize::Value`] on an inverse contract, [`PricingError::Overflow`] if a figure does not fit.
pub fn impact_prices(
    book: &Book,
    instrument: &Instrument,
    size: ImpactSize,
) -> Result<ImpactPrices, PricingError> {
    let vwap = |notional: i128, qty: Qty, round: Round| -> Result<Price, PricingError> {
        div_i128(notional, i128::from(qty.0), round).map(Price).map_err(overflow("impact price"))
    };
    match size {
        ImpactSize::Qty(q) => {
            if !q.is_positive() {
                return Err(invalid("size", format!("must be > 0 (got {})", q.0)));
            }
            let bid = book.impact_price(Side::Sell, q).map(|(_, n)| vwap(n, q, Round::Floor)).transpose()?;
            let ask = book.impact_price(Side::Buy, q).map(|(_, n)| vwap(n, q, Round::Ceil)).transpose()?;
            Ok(ImpactPrices { bid, ask })
        }
        ImpactSize::Value(v) => {
            if !v.is_positive() {
                return Err(invalid("size", format!("must be > 0 (got {v})")));
            }
            if instrument.kind() == ContractKind::Inverse {
                return Err(PricingError::Book(
                    "an impact notional in cash needs a linear (or spot) contract; give a quantity",
                ));
            }
            // Cash per (price unit × quantity unit): the linear value of one unit at price one.
            let per_unit =
                instrument.value(Price(1), Qty(1), Round::Floor).map_err(overflow("value factor"))?;
            if !per_unit.is_positive() {
                return Err(PricingError::Overflow("value factor"));
            }
            // Raw notional (price units × quantity units) worth at least `v`.
            let raw = i128::from(
                div_i128(i128::from(v.0), i128::from(per_unit.0), Round::Ceil)
                    .map_err(overflow("impact notional"))?,
            );
            let side = |taker: Side, round: Round| -> Result<Option<Price>, PricingError> {
                book.qty_for_notional(taker, raw).map(|s| vwap(s.notional, s.qty, round)).transpose()
            };
            Ok(ImpactPrices { bid: side(Side::Sell, Round::Floor)?, ask: side(Side::Buy, Round::Ceil)? })
        }
    }
}

/// Where premium samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PremiumSource {
    /// Impact bid/ask against the index ([`premium_index`]).
    Impact,
    /// Mid against the index ([`mid_premium`]): OKX, and Drift's mark-TWAP-over-oracle-TWAP
    /// spread approximated by sampled mids (inferred).
    Mid,
}

/// How premium samples are averaged over the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Averaging {
    /// Equal weights; with fewer than `min_samples` samples the missing ones count as zero
    /// (dYdX pads to 60 per hour; Binance and others use 0).
    Equal {
        /// Samples the average is taken over at least.
        min_samples: u32,
    },
    /// Bybit: the k-th sample of the interval has weight `k`, `P̄ = Σ k·P_k / Σ k` (§2.2, BYB-7).
    Linear,
}

/// How the averaged premium becomes a rate over the quoting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FundingFormula {
    /// `F = P̄ + clamp(I − P̄, −band, +band)` (Binance, Bybit, BitMEX, Hyperliquid).
    ClampedInterest {
        /// Interest per period (0.01% per 8 h).
        interest: Rate,
        /// Clamp on `I − P̄` (0.05%).
        band: Rate,
    },
    /// `F = P̄ + I` (OKX with `I = 0`: `MA(Premium − Interest)`; dYdX with 0.01% per 8 h; Drift
    /// with the `oracle/5000` offset, 0.02% per day).
    Additive {
        /// Interest per period.
        interest: Rate,
    },
}

/// A venue's funding rule. Build one with a venue constructor or [`FundingRule::by_name`], then
/// adjust fields (intervals and caps differ per symbol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRule {
    /// Where premium samples come from.
    pub premium: PremiumSource,
    /// One premium sample per this many milliseconds.
    pub sample_interval_ms: i64,
    /// Clamp on each premium sample (dYdX's vote clamp), if any.
    pub sample_clamp: Option<Rate>,
    /// How samples are averaged.
    pub averaging: Averaging,
    /// Premium average to period rate.
    pub formula: FundingFormula,
    /// The period the formula's rate is quoted over (8 h; Drift 24 h).
    pub rate_period_ms: i64,
    /// Cap on the period rate, if any.
    pub period_cap: Option<Rate>,
    /// Time between settlements.
    pub interval_ms: i64,
    /// Cap on the rate of one interval, if any (Hyperliquid 4%/hour).
    pub interval_cap: Option<Rate>,
}

/// The three figures of a funding computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRate {
    /// The averaged premium index `P̄`.
    pub premium: Rate,
    /// The rate over the quoting period after formula and period cap.
    pub period_rate: Rate,
    /// The rate one settlement applies (`size × mark value × rate`, longs pay when positive).
    pub rate: Rate,
}

/// 0.01%: the usual interest per 8 h (§1.2, §2.2, §5.2, §6.2).
const INTEREST_8H: Rate = Rate::from_bps(1);
/// 0.05%: the usual clamp on `I − P̄`.
const BAND: Rate = Rate::from_bps(5);

impl FundingRule {
    /// Binance §1.2: 5 s impact samples, equal weights, `P̄ + clamp(I − P̄, ±0.05%)`, I = 0.01%,
    /// 8 h interval (set `interval_ms` to 4 h or 1 h: the rate scales by `N/8`). Caps are set per
    /// symbol by announcement and not modelled by default (`period_cap: None`).
    #[must_use]
    pub const fn binance() -> Self {
        Self {
            premium: PremiumSource::Impact,
            sample_interval_ms: 5_000,
            sample_clamp: None,
            averaging: Averaging::Equal { min_samples: 0 },
            formula: FundingFormula::ClampedInterest { interest: INTEREST_8H, band: BAND },
            rate_period_ms: EIGHT_HOURS_MS,
            period_cap: None,
            interval_ms: EIGHT_HOURS_MS,
            interval_cap: None,
        }
    }

    /// Bybit §2.2: one impact sample a minute, linear weights `k/Σk`, same formula as Binance.
    #[must_use]
    pub const fn bybit() -> Self {
        Self { sample_interval_ms: 60_000, averaging: Averaging::Linear, ..Self::binance() }
    }

    /// OKX §3.2: one mid-premium sample a minute, equal weights, `F = MA(P − I)` with I = 0,
    /// capped at ±0.375% (BTC; ±0.75% for the majors listed, ±1.5% for others).
    #[must_use]
    pub const fn okx() -> Self {
        Self {
            premium: PremiumSource::Mid,
            sample_interval_ms: 60_000,
            formula: FundingFormula::Additive { interest: Rate::ZERO },
            period_cap: Some(Rate(375_000)),
            ..Self::binance()
        }
    }

    /// BitMEX §4.2: one sample a minute, 8 h TWAP, `P + clamp(I − P, ±0.05%)` with I = 0.01%
    /// (set from [`interest_from_rates`]), capped at `0.75 × (1% − 0.5%) = 0.375%`. The premium
    /// is measured against the index, not the mark plus fair basis (inferred).
    #[must_use]
    pub const fn bitmex() -> Self {
        Self { sample_interval_ms: 60_000, period_cap: Some(Rate(375_000)), ..Self::binance() }
    }

    /// Hyperliquid §5.2: 5 s impact samples averaged over the hour, 8 h formula paid hourly at
    /// `F₈ₕ / 8`, capped at 4% per hour.
    #[must_use]
    pub const fn hyperliquid() -> Self {
        Self { interval_ms: HOUR_MS, interval_cap: Some(Rate(4 * RATE_ONE / 100)), ..Self::binance() }
    }

    /// dYdX v4 §6.2 for a Large-Cap market (IMF 2%, MMF 1.2%): samples a minute clamped to
    /// `±60 × 0.8% = ±48%`, zero-padded to 60 per hour, `R₈ₕ = P̄ + 0.01%` clamped to
    /// `±6 × 0.8% = ±4.8%`, paid hourly at `R₈ₕ / 8`.
    #[must_use]
    pub const fn dydx() -> Self {
        Self {
            premium: PremiumSource::Impact,
            sample_interval_ms: 60_000,
            sample_clamp: Some(Rate(48 * RATE_ONE / 100)),
            averaging: Averaging::Equal { min_samples: 60 },
            formula: FundingFormula::Additive { interest: INTEREST_8H },
            rate_period_ms: EIGHT_HOURS_MS,
            period_cap: Some(Rate(48 * RATE_ONE / 1_000)),
            interval_ms: HOUR_MS,
            interval_cap: None,
        }
    }

    /// Drift v2 §7.2 for a tier A/B market: the mark-over-oracle spread (from sampled mids,
    /// inferred) plus `1/5000` per day, clamped to `±1/33` per day, paid hourly at `/24`.
    #[must_use]
    pub const fn drift() -> Self {
        Self {
            premium: PremiumSource::Mid,
            sample_interval_ms: 60_000,
            sample_clamp: None,
            averaging: Averaging::Equal { min_samples: 0 },
            formula: FundingFormula::Additive { interest: Rate(RATE_ONE / 5_000) },
            rate_period_ms: 24 * HOUR_MS,
            period_cap: Some(Rate(RATE_ONE / 33)),
            interval_ms: HOUR_MS,
            interval_cap: None,
        }
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
            VenueKind::Dydx => Self::dydx(),
            VenueKind::Drift => Self::drift(),
        }
    }

    /// The default rule of a venue given by name: `binance`, `bybit`, `okx`, `bitmex`,
    /// `hyperliquid`, `dydx` or `drift`.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] (`venue`) for an unknown name.
    pub fn by_name(name: &str) -> Result<Self, PricingError> {
        Ok(Self::for_venue(name.parse()?))
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] naming the first non-positive interval or period, or
    /// negative clamp, band or cap.
    pub fn validate(&self) -> Result<(), PricingError> {
        for (field, v) in [
            ("sample_interval_ms", self.sample_interval_ms),
            ("rate_period_ms", self.rate_period_ms),
            ("interval_ms", self.interval_ms),
        ] {
            if v <= 0 {
                return Err(invalid(field, format!("must be > 0 (got {v})")));
            }
        }
        let band = match self.formula {
            FundingFormula::ClampedInterest { band, .. } => Some(band),
            FundingFormula::Additive { .. } => None,
        };
        for (field, v) in [
            ("sample_clamp", self.sample_clamp),
            ("band", band),
            ("period_cap", self.period_cap),
            ("interval_cap", self.interval_cap),
        ] {
            if let Some(r) = v
                && r.is_negative()
            {
                return Err(invalid(field, format!("must be >= 0 (got {r})")));
            }
        }
        Ok(())
    }

    /// Number of whole samples in one full interval (rounded down; 0 for an invalid rule).
    #[must_use]
    pub fn samples_per_interval(&self) -> i64 {
        if self.sample_interval_ms <= 0 { 0 } else { self.interval_ms.div_euclid(self.sample_interval_ms) }
    }

    /// One premium sample from the book, per [`Self::premium`], clamped by [`Self::sample_clamp`].
    /// With [`PremiumSource::Mid`] and a one-sided or empty book the sample is zero.
    ///
    /// # Errors
    /// As [`impact_prices`], [`premium_index`] and [`mid_premium`].
    pub fn sample_premium(
        &self,
        book: &Book,
        instrument: &Instrument,
        index: Price,
        impact: ImpactSize,
    ) -> Result<Rate, PricingError> {
        let p = match self.premium {
            PremiumSource::Impact => {
                let ip = impact_prices(book, instrument, impact)?;
                premium_index(ip.bid, ip.ask, index)?
            }
            PremiumSource::Mid => match (book.best_bid(), book.best_ask()) {
                (Some(b), Some(a)) => mid_premium(b, a, index)?,
                _ => {
                    positive("index", index.0)?;
                    Rate::ZERO
                }
            },
        };
        Ok(self.sample_clamp.map_or(p, |c| clamp_rate(p, c)))
    }

    /// The rate for an averaged premium `P̄`: formula, period cap, interval scaling, interval cap.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] if the rule is invalid; [`PricingError::Overflow`].
    pub fn rate(&self, premium: Rate) -> Result<FundingRate, PricingError> {
        self.validate()?;
        let of = |_| PricingError::Overflow("funding rate");
        let f = match self.formula {
            FundingFormula::ClampedInterest { interest, band } => premium
                .checked_add(clamp_rate(interest.checked_sub(premium).map_err(of)?, band))
                .map_err(of)?,
            FundingFormula::Additive { interest } => premium.checked_add(interest).map_err(of)?,
        };
        let period_rate = self.period_cap.map_or(f, |c| clamp_rate(f, c));
        let scaled = scale_to_interval(period_rate, self.rate_period_ms, self.interval_ms)?;
        let rate = self.interval_cap.map_or(scaled, |c| clamp_rate(scaled, c));
        Ok(FundingRate { premium, period_rate, rate })
    }
}

/// A running average of premium samples under one [`Averaging`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PremiumAverager {
    averaging: Averaging,
    count: i64,
    /// Σ P_k.
    sum: i128,
    /// Σ k·P_k.
    weighted: i128,
}

impl PremiumAverager {
    /// An empty average.
    #[must_use]
    pub const fn new(averaging: Averaging) -> Self {
        Self { averaging, count: 0, sum: 0, weighted: 0 }
    }

    /// Adds the next sample (the k-th of the interval, k counting from 1).
    pub fn push(&mut self, premium: Rate) {
        self.count = self.count.saturating_add(1);
        self.sum += i128::from(premium.0);
        self.weighted += i128::from(self.count) * i128::from(premium.0);
    }

    /// Samples pushed since the last [`Self::clear`].
    #[must_use]
    pub fn count(&self) -> i64 {
        self.count
    }

    /// The divisor of the average: `max(n, min_samples)` for equal weights, `Σ k = n(n+1)/2` for
    /// linear weights (BYB-7: 115,440 for 480 one-minute samples).
    #[must_use]
    pub fn weight_sum(&self) -> i128 {
        let n = i128::from(self.count);
        match self.averaging {
            Averaging::Equal { min_samples } => n.max(i128::from(min_samples)),
            // n(n + 1) is even: the halving is exact.
            Averaging::Linear => (n * (n + 1)).div_euclid(2),
        }
    }

    /// `P̄`, rounded toward zero; zero with no samples.
    ///
    /// # Errors
    /// [`PricingError::Overflow`] only if the average does not fit (it cannot: it lies within
    /// the samples' range).
    pub fn average(&self) -> Result<Rate, PricingError> {
        let den = self.weight_sum();
        if den == 0 {
            return Ok(Rate::ZERO);
        }
        let num = match self.averaging {
            Averaging::Equal { .. } => self.sum,
            Averaging::Linear => self.weighted,
        };
        div_toward_zero(num, den, "premium average").map(Rate)
    }

    /// Forgets all samples (after a settlement).
    pub fn clear(&mut self) {
        *self = Self::new(self.averaging);
    }
}

/// A funding rule with the premium samples of the current interval: observe samples as time
/// passes, read the predicted rate at any time, settle at the interval's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingAccumulator {
    rule: FundingRule,
    averager: PremiumAverager,
    last_bucket: Option<i64>,
    last_ms: Option<i64>,
}

impl FundingAccumulator {
    /// An accumulator with no samples.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] if the rule is invalid.
    pub fn new(rule: FundingRule) -> Result<Self, PricingError> {
        rule.validate()?;
        Ok(Self { rule, averager: PremiumAverager::new(rule.averaging), last_bucket: None, last_ms: None })
    }

    /// The rule.
    #[must_use]
    pub fn rule(&self) -> &FundingRule {
        &self.rule
    }

    /// The samples of the current interval.
    #[must_use]
    pub fn averager(&self) -> &PremiumAverager {
        &self.averager
    }

    /// Records `premium` (clamped by the rule's `sample_clamp`) if `now_ms` opens a new sampling
    /// bucket; returns whether it was recorded.
    ///
    /// # Errors
    /// [`PricingError::TimeWentBackwards`] if `now_ms` is before the previous observation.
    pub fn observe(&mut self, now_ms: i64, premium: Rate) -> Result<bool, PricingError> {
        if let Some(last) = self.last_ms
            && now_ms < last
        {
            return Err(PricingError::TimeWentBackwards { field: "now_ms", last_ms: last, now_ms });
        }
        self.last_ms = Some(now_ms);
        let bucket = now_ms.div_euclid(self.rule.sample_interval_ms);
        if self.last_bucket == Some(bucket) {
            return Ok(false);
        }
        self.last_bucket = Some(bucket);
        self.averager.push(self.rule.sample_clamp.map_or(premium, |c| clamp_rate(premium, c)));
        Ok(true)
    }

    /// The rate the samples so far would give (the "predicted" funding rate venues display).
    ///
    /// # Errors
    /// As [`FundingRule::rate`].
    pub fn predicted(&self) -> Result<FundingRate, PricingError> {
        self.rule.rate(self.averager.average()?)
    }

    /// The rate for the interval just ended; clears the samples for the next one.
    ///
    /// # Errors
    /// As [`FundingRule::rate`]; the samples are kept on error.
    pub fn settle(&mut self) -> Result<FundingRate, PricingError> {
        let r = self.predicted()?;
        self.averager.clear();
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{AccountId, NewOrder};
    use crate::instrument::{AssetId, FeeSchedule, InstrumentSpec};
    use rust_decimal::Decimal;

    fn pct(s: &str) -> Rate {
        // "0.05" percent → 0.0005.
        let r = Rate::parse(s).unwrap();
        Rate(r.0 / 100)
    }

    #[test]
    fn premium_index_signs_and_dead_zone() {
        let ix = Price(10_000);
        assert_eq!(premium_index(Some(Price(10_100)), Some(Price(10_200)), ix), Ok(pct("1")));
        assert_eq!(premium_index(Some(Price(9_800)), Some(Price(9_900)), ix), Ok(pct("-1")));
        // Index inside the impact spread: no premium.
        assert_eq!(premium_index(Some(Price(9_990)), Some(Price(10_010)), ix), Ok(Rate::ZERO));
        // Thin sides contribute nothing.
        assert_eq!(premium_index(None, None, ix), Ok(Rate::ZERO));
        // 1/3 of a unit rounds toward zero both ways: 1/30,000 = 0.00333…%.
        assert_eq!(premium_index(Some(Price(30_001)), None, Price(30_000)), Ok(Rate(3_333)));
        assert_eq!(premium_index(None, Some(Price(29_999)), Price(30_000)), Ok(Rate(-3_333)));
        assert!(matches!(
            premium_index(None, None, Price(0)),
            Err(PricingError::NotPositive { field: "index", .. })
        ));
        assert!(premium_index(Some(Price(-1)), None, ix).is_err());
    }

    #[test]
    fn mid_premium_is_exact_until_the_last_rounding() {
        // Mid 10,000.5 over 10,000: 0.005%.
        assert_eq!(mid_premium(Price(10_000), Price(10_001), Price(10_000)), Ok(Rate(5_000)));
        assert!(mid_premium(Price(0), Price(1), Price(1)).is_err());
    }

    #[test]
    fn clamp_edges() {
        let band = Rate::from_bps(5);
        assert_eq!(clamp_rate(Rate(50_000), band), Rate(50_000));
        assert_eq!(clamp_rate(Rate(50_001), band), Rate(50_000));
        assert_eq!(clamp_rate(Rate(-50_001), band), Rate(-50_000));
        assert_eq!(clamp_rate(Rate(7), Rate(-3)), Rate(0));
        // F = P̄ + clamp(I − P̄): inside the band F = I exactly.
        let r = FundingRule::binance();
        assert_eq!(r.rate(Rate(30_000)).unwrap().rate, Rate(10_000));
        assert_eq!(r.rate(Rate(-40_000)).unwrap().rate, Rate(10_000));
        // Band edges: P̄ = I ± 0.05% still gives I.
        assert_eq!(r.rate(Rate(60_000)).unwrap().rate, Rate(10_000));
        assert_eq!(r.rate(Rate(-40_000 - 1)).unwrap().rate, Rate(10_000 - 1));
        assert_eq!(r.rate(Rate(60_001)).unwrap().rate, Rate(10_001));
    }

    #[test]
    fn interval_scaling_8h_4h_1h() {
        let p = Rate(400_000); // P̄ = 0.4%
        let mut r = FundingRule::binance();
        // F₈ₕ = 0.4% + clamp(0.01% − 0.4%) = 0.35%.
        assert_eq!(r.rate(p).unwrap().rate, Rate(350_000));
        r.interval_ms = 4 * HOUR_MS;
        assert_eq!(r.rate(p).unwrap().rate, Rate(175_000));
        r.interval_ms = HOUR_MS;
        assert_eq!(
            r.rate(p).unwrap(),
            FundingRate { premium: p, period_rate: Rate(350_000), rate: Rate(43_750) }
        );
        // Rounding toward zero for an odd rate, both signs.
        assert_eq!(scale_to_interval(Rate(7), EIGHT_HOURS_MS, HOUR_MS), Ok(Rate(0)));
        assert_eq!(scale_to_interval(Rate(-9), EIGHT_HOURS_MS, HOUR_MS), Ok(Rate(-1)));
        assert!(scale_to_interval(Rate(1), 0, 1).is_err());
    }

    #[test]
    fn caps_bind_on_the_period_and_the_interval() {
        // OKX: P̄ = 2% → capped at 0.375%; −2% → −0.375%.
        assert_eq!(FundingRule::okx().rate(pct("2")).unwrap().rate, pct("0.375"));
        assert_eq!(FundingRule::okx().rate(pct("-2")).unwrap().rate, pct("-0.375"));
        // Hyperliquid: a 50% 8 h rate is 6.25%/h, capped at 4%/h.
        let h = FundingRule::hyperliquid().rate(pct("50")).unwrap();
        assert_eq!((h.period_rate, h.rate), (Rate(49_950_000), pct("4")));
        // dYdX: R₈ₕ capped at ±4.8%, then hourly.
        let d = FundingRule::dydx().rate(pct("10")).unwrap();
        assert_eq!((d.period_rate, d.rate), (pct("4.8"), pct("0.6")));
        // Drift: spread 5%/day + 0.02% capped at 1/33 per day, /24 per hour.
        let r = FundingRule::drift().rate(pct("5")).unwrap();
        assert_eq!((r.period_rate, r.rate), (Rate(3_030_303), Rate(126_262)));
        assert!(cap_from_margin(Rate::parse("0.75").unwrap(), pct("0.5"), pct("1")).is_err());
        assert!(cap_from_margin(Rate(-1), pct("1"), pct("0.5")).is_err());
    }

    #[test]
    fn equal_and_linear_averages() {
        let mut eq = PremiumAverager::new(Averaging::Equal { min_samples: 0 });
        assert_eq!(eq.average(), Ok(Rate::ZERO));
        for p in [10, 20, 31] {
            eq.push(Rate(p));
        }
        assert_eq!(eq.average(), Ok(Rate(20)));
        // dYdX padding: 3 samples of 60 → 61/60 → toward zero.
        let mut pad = PremiumAverager::new(Averaging::Equal { min_samples: 60 });
        for p in [10, 20, 31] {
            pad.push(Rate(p));
        }
        assert_eq!((pad.weight_sum(), pad.average()), (60, Ok(Rate(1))));
        let mut lin = PremiumAverager::new(Averaging::Linear);
        for p in [10, 20, 31] {
            lin.push(Rate(p));
        }
        // (1·10 + 2·20 + 3·31) / 6 = 143/6 = 23.8.
        assert_eq!((lin.weight_sum(), lin.average()), (6, Ok(Rate(23))));
        lin.clear();
        assert_eq!(lin.count(), 0);
        let mut neg = PremiumAverager::new(Averaging::Linear);
        neg.push(Rate(-5));
        neg.push(Rate(-5));
        neg.push(Rate(-6));
        // −33/6 = −5.5 → −5.
        assert_eq!(neg.average(), Ok(Rate(-5)));
    }

    #[test]
    fn accumulator_samples_once_per_bucket_and_settles() {
        let mut acc = FundingAccumulator::new(FundingRule::bybit()).unwrap();
        assert!(acc.observe(0, Rate(100)).unwrap());
        assert!(!acc.observe(59_999, Rate(1_000_000)).unwrap());
        assert!(acc.observe(60_000, Rate(400)).unwrap());
        // (1·100 + 2·400)/3 = 300: inside the band → I.
        assert_eq!(acc.predicted().unwrap().premium, Rate(300));
        assert!(matches!(acc.observe(1, Rate(0)), Err(PricingError::TimeWentBackwards { .. })));
        let r = acc.settle().unwrap();
        assert_eq!(r.rate, Rate(10_000));
        assert_eq!(acc.averager().count(), 0);
        // dYdX clamps samples.
        let mut d = FundingAccumulator::new(FundingRule::dydx()).unwrap();
        d.observe(0, pct("90")).unwrap();
        assert_eq!(d.averager().average().unwrap(), Rate(pct("48").0 / 60));
        assert_eq!(FundingRule::bybit().samples_per_interval(), 480);
        assert_eq!(FundingRule::binance().samples_per_interval(), 5_760);
    }

    #[test]
    fn next_funding_times() {
        let h8 = EIGHT_HOURS_MS;
        assert_eq!(next_funding_ms(0, h8, 0), Ok(h8));
        assert_eq!(next_funding_ms(h8 - 1, h8, 0), Ok(h8));
        assert_eq!(next_funding_ms(h8, h8, 0), Ok(2 * h8));
        // BitMEX 04/12/20 UTC.
        assert_eq!(next_funding_ms(0, h8, 4 * HOUR_MS), Ok(4 * HOUR_MS));
        assert_eq!(next_funding_ms(-1, h8, 0), Ok(0));
        assert!(next_funding_ms(0, 0, 0).is_err());
    }

    fn linear() -> Instrument {
        Instrument::new(InstrumentSpec {
            symbol: "BNBUSDT".into(),
            kind: ContractKind::Linear,
            settle_asset: AssetId(0),
            price_decimals: 2,
            qty_decimals: 2,
            tick: Price(1),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::ZERO,
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
        })
        .unwrap()
    }

    #[test]
    fn impact_prices_sweep_the_impact_notional() {
        let ins = linear();
        let mut b = Book::new(Price(1), Qty(1)).unwrap();
        let mut ev = Vec::new();
        // Bids 600.00 × 5.00, 599.00 × 10.00; asks 601.00 × 2.00, 603.00 × 10.00.
        for (side, px, q) in [
            (Side::Buy, 60_000, 500),
            (Side::Buy, 59_900, 1_000),
            (Side::Sell, 60_100, 200),
            (Side::Sell, 60_300, 1_000),
        ] {
            b.submit(NewOrder::limit(AccountId(1), side, Price(px), Qty(q)), &mut ev).unwrap();
        }
        // IMN 4,000 USDT (BIN-9).
        let imn = impact_margin_notional(Cash::units(200).unwrap(), pct("5")).unwrap();
        assert_eq!(imn, Cash::units(4_000).unwrap());
        let ip = impact_prices(&b, &ins, ImpactSize::Value(imn)).unwrap();
        // Bid: 3,000 at 600 (5.00) then 1,000 at 599 → 1.67 (rounded up to a lot) → VWAP
        // (3,000 + 599 × 1.67)/6.67 = 599.749...: 599.74 rounded down.
        assert_eq!(ip.bid, Some(Price(59_974)));
        // Ask: 2 × 601 = 1,202, then 2,798/603 = 4.6401 → 4.65 → 6.65 at (1,202 + 2,803.95)/6.65
        // = 602.3985…: 602.40 rounded up.
        assert_eq!(ip.ask, Some(Price(60_240)));
        // By quantity: 6.00 on each side.
        let ip = impact_prices(&b, &ins, ImpactSize::Qty(Qty(600))).unwrap();
        assert_eq!((ip.bid, ip.ask), (Some(Price(59_983)), Some(Price(60_234))));
        // Too thin: no price on that side.
        // 12.01 fills on the bids (15.00 resting) at 599.416…, not on the asks (12.00 resting).
        let ip = impact_prices(&b, &ins, ImpactSize::Qty(Qty(1_201))).unwrap();
        assert_eq!((ip.bid, ip.ask), (Some(Price(59_941)), None));
        assert!(impact_prices(&b, &ins, ImpactSize::Qty(Qty(0))).is_err());
        // Index 600.10: impact bid below and ask above: no premium.
        let p =
            FundingRule::binance().sample_premium(&b, &ins, Price(60_010), ImpactSize::Value(imn)).unwrap();
        assert_eq!(p, Rate::ZERO);
        // Index 595.00: impact bid 599.74 over it by 0.7966…%.
        let p =
            FundingRule::binance().sample_premium(&b, &ins, Price(59_500), ImpactSize::Value(imn)).unwrap();
        assert_eq!(p, Rate(796_638));
        // OKX mid premium: mid 600.50 over 600.00.
        let p = FundingRule::okx().sample_premium(&b, &ins, Price(60_000), ImpactSize::Value(imn)).unwrap();
        assert_eq!(p, Rate(83_333));
    }

    #[test]
    fn rules_by_name_validate() {
        for v in VenueKind::ALL {
            let r = FundingRule::by_name(v.name()).unwrap();
            r.validate().unwrap();
            assert_eq!(r, FundingRule::for_venue(v));
        }
        assert!(FundingRule::by_name("mtgox").is_err());
        let bad = FundingRule { interval_ms: 0, ..FundingRule::binance() };
        assert!(matches!(bad.validate(), Err(PricingError::InvalidParameter { field: "interval_ms", .. })));
        let bad = FundingRule { period_cap: Some(Rate(-1)), ..FundingRule::binance() };
        assert!(matches!(
            bad.rate(Rate::ZERO),
            Err(PricingError::InvalidParameter { field: "period_cap", .. })
        ));
    }
}
