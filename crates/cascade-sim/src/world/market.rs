//! One perpetual market of the world (a venue × instrument): where it lives, how agents' float
//! decisions become the engine's exact ticks, lots and cash, and its pricing state (the venue's
//! mark-price rule with its samples, the funding accumulator, a realized-volatility estimate).
//!
//! Every conversion from a float names its rounding: bids round down to the tick, asks up,
//! quantities down to the lot, an index price to the nearest price unit. This module never
//! moves money; `world` and the agents call the engine.

use cascade_engine::book::{Book, Side};
use cascade_engine::instrument::{Instrument, InstrumentId};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_ONE, Rate, Round};
use cascade_engine::pricing::funding::next_funding_ms;
use cascade_engine::pricing::{
    FundingAccumulator, FundingRule, ImpactSize, MarkInput, MarkPricer, MarkRule, PricingError, VenueKind,
};

use crate::metrics::MarketKey;

/// Half-life of the market's realized-volatility estimate, seconds.
const VOL_HALF_LIFE_S: f64 = 120.0;

/// Cash units per settle-asset unit, as a float (for agents' decisions only).
const CASH_SCALE: f64 = 100_000_000.0;

/// A perpetual market and its pricing state.
#[derive(Debug, Clone)]
pub struct Market {
    /// Index of the venue in the world.
    pub venue: usize,
    /// The instrument's id at its venue.
    pub id: InstrumentId,
    /// Index of the underlying asset in the world.
    pub asset: usize,
    /// Symbol, as in the scenario.
    pub symbol: String,
    /// A copy of the engine's contract spec, for conversions.
    pub instrument: Instrument,
    /// The recorder's handle of this market.
    pub key: MarketKey,
    /// The venue's mark-price rule with its samples.
    pub pricer: MarkPricer,
    /// The venue's funding rule with the current interval's premium samples.
    pub funding: FundingAccumulator,
    /// The rate of the last settlement (Binance's and Bybit's P1 use it).
    pub last_funding_rate: Rate,
    /// The rate the current samples predict.
    pub predicted_rate: Rate,
    /// When the next settlement is due, milliseconds of simulated time.
    pub next_funding_ms: i64,
    /// Offset of the venue's UTC funding grid relative to simulated time zero, milliseconds.
    pub funding_offset_ms: i64,
    /// Funding and P1 use the current (predicted) rate rather than the last settled one (BitMEX).
    pub mark_uses_current_rate: bool,
    /// Positions are valued at the oracle rather than the mark for funding (Hyperliquid, dYdX).
    pub funding_at_oracle: bool,
    /// The impact size for premium samples.
    impact: ImpactSize,
    /// The last premium-sampling bucket, so the book is swept once per bucket.
    premium_bucket: Option<i64>,
    /// The index last given to the pricer.
    pub index: Option<Price>,
    /// The mark last set at the venue.
    pub mark: Option<Price>,
    /// EWMA of squared log returns of the mark per second (realized variance rate).
    var_per_s: f64,
    /// The mark and time of the previous volatility sample.
    vol_prev: Option<(f64, f64)>,
    /// 10^price_decimals.
    price_scale: f64,
    /// `[policy.prices]`: smoothing applied to the venue rule's mark, if set.
    pub smoother: Option<cascade_engine::policy::MarkSmoother>,
    /// The exact index of a replayed asset (`index = "path"`), if this market's asset is one.
    pub replay: Option<super::replay::ReplayIndex>,
}

impl Market {
    /// A market of `instrument` at `venue` under the pricing rules of `kind`.
    ///
    /// # Errors
    /// The venue's rules are refused by the pricing module (a bug in a built-in rule).
    pub fn new(
        venue: usize,
        id: InstrumentId,
        asset: usize,
        instrument: Instrument,
        kind: VenueKind,
        key: MarketKey,
        start_ms_of_day: Option<u64>,
    ) -> Result<Self, PricingError> {
        let rule = FundingRule::for_venue(kind);
        let funding = FundingAccumulator::new(rule)?;
        let pricer = MarkPricer::new(MarkRule::for_venue(kind))?;
        let spec = instrument.spec();
        let price_scale = 10f64.powi(i32::try_from(spec.price_decimals).unwrap_or(0));
        // Venues settle on a UTC grid: shift it by the wall-clock time of simulated zero.
        let day_ms = start_ms_of_day.map_or(0, |m| i64::try_from(m).unwrap_or(0));
        let funding_offset_ms = (-day_ms).rem_euclid(rule.interval_ms);
        let next_funding_ms = next_funding_ms(0, rule.interval_ms, funding_offset_ms)?;
        // Binance's impact margin notional: 200 USDT at the highest leverage (§1.2); a quantity
        // of 100 minimum orders on inverse contracts (a cash notional needs a linear one).
        let impact = match spec.kind {
            cascade_engine::instrument::ContractKind::Linear
            | cascade_engine::instrument::ContractKind::Spot { .. } => {
                ImpactSize::Value(Cash(25_000 * 10_i64.pow(CASH_DECIMALS)))
            }
            cascade_engine::instrument::ContractKind::Inverse => ImpactSize::Qty(Qty(spec.min_qty.0 * 100)),
        };
        Ok(Self {
            venue,
            id,
            asset,
            symbol: spec.symbol.clone(),
            key,
            pricer,
            funding,
            last_funding_rate: Rate::ZERO,
            predicted_rate: Rate::ZERO,
            next_funding_ms,
            funding_offset_ms,
            mark_uses_current_rate: matches!(kind, VenueKind::Bitmex),
            funding_at_oracle: matches!(kind, VenueKind::Hyperliquid | VenueKind::Dydx),
            impact,
            premium_bucket: None,
            index: None,
            mark: None,
            var_per_s: 0.0,
            vol_prev: None,
            price_scale,
            instrument,
            smoother: None,
            replay: None,
        })
    }

    /// Tick size, price units.
    #[must_use]
    pub fn tick(&self) -> i64 {
        self.instrument.spec().tick.0
    }

    /// Lot, quantity units.
    #[must_use]
    pub fn lot(&self) -> i64 {
        self.instrument.spec().lot.0
    }

    /// A price as a float in quote currency (for decisions only).
    #[must_use]
    pub fn to_f64(&self, p: Price) -> f64 {
        p.0 as f64 / self.price_scale
    }

    /// `x` (quote currency) rounded down to the tick grid; `None` if not positive.
    #[must_use]
    pub fn price_down(&self, x: f64) -> Option<Price> {
        let tick = self.tick();
        let ticks = (x * self.price_scale / tick as f64).floor();
        grid(ticks, tick)
    }

    /// `x` rounded up to the tick grid; `None` if not positive.
    #[must_use]
    pub fn price_up(&self, x: f64) -> Option<Price> {
        let tick = self.tick();
        let ticks = (x * self.price_scale / tick as f64).ceil();
        grid(ticks, tick)
    }

    /// `x` rounded to the nearest price unit (not the tick: an index or mark may sit between
    /// ticks); at least one unit.
    #[must_use]
    pub fn price_near(&self, x: f64) -> Price {
        let u = (x * self.price_scale).round();
        Price(if u.is_finite() && u >= 1.0 { u.min(1e15) as i64 } else { 1 })
    }

    /// `x` rounded to the nearest tick (for a trade price that must rest on the grid).
    #[must_use]
    pub fn price_tick_near(&self, x: f64) -> Option<Price> {
        let tick = self.tick();
        let ticks = (x * self.price_scale / tick as f64).round();
        grid(ticks, tick)
    }

    /// Settle-asset value of `qty` at `price` (exact for linear contracts; inverse rounded down).
    #[must_use]
    pub fn value(&self, price: Price, qty: Qty) -> Cash {
        self.instrument.value(price, qty, Round::Floor).unwrap_or(Cash(i64::MAX))
    }

    /// The largest whole number of lots worth at most `value` at `price` (zero if none).
    #[must_use]
    pub fn qty_for_value(&self, value: Cash, price: Price) -> Qty {
        let lot = self.instrument.spec().lot;
        let lot_value = self.instrument.value(price, lot, Round::Ceil).unwrap_or(Cash(i64::MAX));
        if lot_value.0 <= 0 || value.0 <= 0 {
            return Qty::ZERO;
        }
        Qty(value.0 / lot_value.0 * lot.0)
    }

    /// The smallest orderable quantity at `price`: the minimum quantity, raised (in whole lots)
    /// until the order meets the minimum notional.
    #[must_use]
    pub fn min_order_qty(&self, price: Price) -> Qty {
        let spec = self.instrument.spec();
        let lot_value = self.instrument.value(price, spec.lot, Round::Floor).unwrap_or(Cash(1)).0.max(1);
        let lots_for_notional = (spec.min_notional.0 + lot_value - 1) / lot_value;
        Qty(spec.min_qty.0.max(lots_for_notional * spec.lot.0))
    }

    /// A settle-asset amount from a float, rounded down to the cash unit (zero if negative or
    /// not finite).
    #[must_use]
    pub fn cash(x: f64) -> Cash {
        let u = (x * CASH_SCALE).floor();
        Cash(if u.is_finite() && u > 0.0 { u.min(9.0e18) as i64 } else { 0 })
    }

    /// A settle-asset amount as a float (decisions only).
    #[must_use]
    pub fn cash_f64(c: Cash) -> f64 {
        c.0 as f64 / CASH_SCALE
    }

    /// The book's mid, else the last mark, else the index.
    #[must_use]
    pub fn reference(&self, book: &Book) -> Option<Price> {
        book.mid().or(self.mark).or(self.index)
    }

    /// Takes a premium sample for funding if `now_ms` opens a new sampling bucket.
    ///
    /// # Errors
    /// From the pricing module (overflow, a non-positive index).
    pub fn observe_premium(&mut self, book: &Book, now_ms: i64) -> Result<(), PricingError> {
        let Some(index) = self.index else { return Ok(()) };
        let bucket = now_ms.div_euclid(self.funding.rule().sample_interval_ms);
        if self.premium_bucket == Some(bucket) {
            return Ok(());
        }
        self.premium_bucket = Some(bucket);
        let rule = *self.funding.rule();
        let premium = rule.sample_premium(book, &self.instrument, index, self.impact)?;
        self.funding.observe(now_ms, premium)?;
        self.predicted_rate = self.funding.predicted()?.rate;
        Ok(())
    }

    /// If a settlement is due at `now_ms`: the rate to settle (and the samples are cleared).
    ///
    /// # Errors
    /// From the pricing module.
    pub fn funding_due(&mut self, now_ms: i64) -> Result<Option<Rate>, PricingError> {
        if now_ms < self.next_funding_ms {
            return Ok(None);
        }
        let rate = self.funding.settle()?.rate;
        self.last_funding_rate = rate;
        self.predicted_rate = Rate::ZERO;
        self.next_funding_ms =
            next_funding_ms(now_ms, self.funding.rule().interval_ms, self.funding_offset_ms)?;
        Ok(Some(rate))
    }

    /// The mark under the venue's rule from `index` and the book, at `now_ms`, smoothed by
    /// `[policy.prices]` where it applies.
    ///
    /// # Errors
    /// From the pricing module.
    pub fn compute_mark(
        &mut self,
        now_ms: i64,
        index: Price,
        book: &Book,
        last: Option<Price>,
        external_mids: &[(Price, u64)],
    ) -> Result<Price, PricingError> {
        self.index = Some(index);
        let rate = if self.mark_uses_current_rate { self.predicted_rate } else { self.last_funding_rate };
        let input = MarkInput {
            now_ms,
            index,
            best_bid: book.best_bid(),
            best_ask: book.best_ask(),
            last,
            funding_rate: rate,
            next_funding_ms: self.next_funding_ms,
            external_mids,
        };
        let raw = self.pricer.update(&input)?.price;
        match self.smoother.as_mut() {
            Some(s) => s.update(now_ms, raw),
            None => Ok(raw),
        }
    }

    /// Records the mark just set, updating the realized-volatility estimate.
    pub fn observe_mark(&mut self, mark: Price, now_s: f64) {
        self.mark = Some(mark);
        let x = mark.0 as f64;
        if let Some((prev, t)) = self.vol_prev {
            let dt = now_s - t;
            if dt > 0.0 && prev > 0.0 {
                let r = (x / prev).ln();
                let w = (-dt * std::f64::consts::LN_2 / VOL_HALF_LIFE_S).exp();
                self.var_per_s = w * self.var_per_s + (1.0 - w) * r * r / dt;
            }
        }
        self.vol_prev = Some((x, now_s));
    }

    /// Annualised realized volatility of the mark (EWMA, 2-minute half-life).
    #[must_use]
    pub fn realized_volatility(&self) -> f64 {
        (self.var_per_s * super::asset::SECONDS_PER_YEAR).sqrt()
    }

    /// The funding rate to show in the series: the predicted rate of the current interval.
    #[must_use]
    pub fn shown_rate(&self) -> Rate {
        self.predicted_rate
    }

    /// Which side of the book a taker on `side` consumes.
    #[must_use]
    pub fn opposite_best(book: &Book, side: Side) -> Option<Price> {
        match side {
            Side::Buy => book.best_ask(),
            Side::Sell => book.best_bid(),
        }
    }
}

/// A whole (already rounded) number of ticks as a price; `None` below one tick or absurdly high.
fn grid(ticks: f64, tick: i64) -> Option<Price> {
    (1.0..1e15).contains(&ticks).then(|| Price(ticks as i64 * tick))
}

/// `x` as a [`Rate`], rounded toward zero (decisions only).
#[must_use]
pub fn rate_of(x: f64) -> Rate {
    let r = (x * RATE_ONE as f64).trunc();
    Rate(if r.is_finite() { r.clamp(-9.0e18, 9.0e18) as i64 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Recorder;
    use crate::scheduler::SimTime;
    use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, InstrumentSpec};
    use rust_decimal::Decimal;

    fn market(kind: VenueKind, start: Option<u64>) -> Market {
        let spec = InstrumentSpec {
            symbol: "BTCUSDT".into(),
            kind: ContractKind::Linear,
            settle_asset: AssetId(0),
            price_decimals: 1,
            qty_decimals: 3,
            tick: Price(5),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash(5 * 100_000_000),
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::from_bps(2), taker: Rate::from_bps(5) },
        };
        let key = Recorder::new(SimTime::from_secs(1)).add_market("v", "BTCUSDT");
        Market::new(0, InstrumentId(0), 0, Instrument::new(spec).unwrap(), kind, key, start).unwrap()
    }

    /// Tick 0.5 on a 0.1 grid: bids down, asks up, the index to the nearest 0.1.
    #[test]
    fn floats_become_ticks_lots_and_cash_with_named_rounding() {
        let m = market(VenueKind::Binance, None);
        assert_eq!(m.price_down(100_000.37), Some(Price(1_000_000)));
        assert_eq!(m.price_up(100_000.37), Some(Price(1_000_005)));
        assert_eq!(m.price_tick_near(100_000.26), Some(Price(1_000_005)));
        assert_eq!(m.price_near(100_000.26), Price(1_000_003));
        assert_eq!(m.price_down(-3.0), None);
        assert_eq!(m.price_down(f64::NAN), None);
        // 2,500.9 USDT at 100,000: 0.025 BTC (lots rounded down).
        assert_eq!(m.qty_for_value(Market::cash(2_500.9), Price(1_000_000)), Qty(25));
        // 5 USDT minimum at 100,000.0 needs 0.001 BTC (= 100 USDT): one lot.
        assert_eq!(m.min_order_qty(Price(1_000_000)), Qty(1));
        // At 1,000.0 a lot is worth 1 USDT: five lots.
        assert_eq!(m.min_order_qty(Price(10_000)), Qty(5));
        assert_eq!(Market::cash(1.234_567_891), Cash(123_456_789));
        assert_eq!(Market::cash(-1.0), Cash(0));
        assert_eq!(rate_of(0.0005), Rate(50_000));
    }

    /// Funding settles on the venue's UTC grid: from 20:45 UTC, Binance's 8-hourly settlement is
    /// 3 h 15 min away (00:00), Hyperliquid's hourly one 15 min away.
    #[test]
    fn funding_follows_the_utc_grid() {
        let start = Some((20 * 60 + 45) * 60 * 1_000);
        assert_eq!(market(VenueKind::Binance, start).next_funding_ms, (3 * 60 + 15) * 60 * 1_000);
        assert_eq!(market(VenueKind::Hyperliquid, start).next_funding_ms, 15 * 60 * 1_000);
        assert_eq!(market(VenueKind::Binance, None).next_funding_ms, 8 * 3_600 * 1_000);
    }

    #[test]
    fn realized_volatility_of_a_steady_walk() {
        let mut m = market(VenueKind::Binance, None);
        // Alternating ±10 bp every second for ten minutes: σ ≈ 10 bp / √s.
        let mut p = 1_000_000.0_f64;
        for t in 0..600 {
            p *= if t % 2 == 0 { 1.001 } else { 1.0 / 1.001 };
            m.observe_mark(Price(p as i64), f64::from(t));
        }
        let expected = 0.001 * super::super::asset::SECONDS_PER_YEAR.sqrt();
        let got = m.realized_volatility();
        assert!((got / expected - 1.0).abs() < 0.1, "{got} vs {expected}");
    }
}
