//! Value traders: they know the asset's fair value and trade the perpetual back toward it. Every
//! `value_interval_ms` (each from its own random phase) a value trader compares the book's mid
//! with the fair value: more than `value_threshold_bps` below, it buys `value_notional` with an
//! immediate-or-cancel limit at half the threshold below fair (it never pays up to fair); above,
//! it sells likewise. Within a quarter of the threshold it unwinds one clip of its position, so
//! value traders provide mean reversion without piling up inventory forever. Their capacity is
//! bounded by their capital through the venue's margin check.

use cascade_engine::book::{Side, TimeInForce};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::Qty;
use cascade_engine::venue::OrderRequest;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::error::SimError;
use crate::scenario::Noise;
use crate::scheduler::SimTime;
use crate::world::{Market, World};

/// One value trader.
#[derive(Debug)]
pub struct ValueTrader {
    /// World market index.
    pub market: usize,
    /// Its venue account.
    pub account: AccountId,
    rng: ChaCha8Rng,
    /// `noise.value_notional` as a float, converted on the first look (the decimal conversion
    /// cost more than the rest of a look that does not trade).
    notional: Option<f64>,
}

impl ValueTrader {
    /// A value trader on `market` with `account` (funded).
    #[must_use]
    pub fn new(market: usize, account: AccountId, rng: ChaCha8Rng) -> Self {
        Self { market, account, rng, notional: None }
    }

    /// Delay to its first look: a uniform phase within one interval.
    pub fn first_delay(&mut self, cfg: &Noise) -> SimTime {
        SimTime(self.rng.random_range(0..cfg.value_interval_ms.max(1) * 1_000))
    }

    /// Looks at the market and trades toward fair value; returns the delay to the next look.
    ///
    /// # Errors
    /// An engine failure.
    pub fn wake(&mut self, world: &mut World, cfg: &Noise) -> Result<SimTime, SimError> {
        let next = SimTime::from_millis(cfg.value_interval_ms.max(1));
        let m = self.market;
        let fair = world.assets[world.markets[m].asset].fair;
        let mk = &world.markets[m];
        let Some(mid) = mk.reference(world.book(m)) else { return Ok(next) };
        let x = mk.to_f64(mid);
        let gap = (x - fair) / fair;
        let threshold = cfg.value_threshold_bps / 1e4;
        let notional = *self.notional.get_or_insert_with(|| cfg.value_notional.to_f64());
        let clip = mk.qty_for_value(Market::cash(notional), mid);
        if gap.abs() > threshold {
            let (side, limit) = if gap < 0.0 {
                (Side::Buy, mk.price_down(fair * (1.0 - threshold / 2.0)))
            } else {
                (Side::Sell, mk.price_up(fair * (1.0 + threshold / 2.0)))
            };
            if let Some(limit) = limit
                && clip >= mk.min_order_qty(limit)
            {
                let req = OrderRequest { tif: TimeInForce::Ioc, ..OrderRequest::limit(side, limit, clip) };
                world.place(m, self.account, req)?;
            }
        } else if gap.abs() < threshold / 4.0 {
            let pos = world.position(m, self.account);
            if !pos.is_zero() {
                let side = if pos.is_positive() { Side::Sell } else { Side::Buy };
                let qty = Qty(pos.0.abs().min(clip.0.max(world.markets[m].lot())));
                world.market_order(m, self.account, side, qty, true)?;
            }
        }
        Ok(next)
    }
}
