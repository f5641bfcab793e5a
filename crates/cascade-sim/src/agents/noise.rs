//! Noise traders: the background flow that makes a calm day look like a market. Each trades one
//! market (assigned round-robin over `noise.markets`), sends a market order at the times of a
//! Poisson process whose rate makes `activity_per_s` the chance of trading in a given second,
//! buys with probability `buy_share`, and draws the order's notional from `noise.size`. Each is
//! scheduled only for its next order, so a thousand of them keep about a thousand events pending.

use cascade_engine::book::Side;
use cascade_engine::ledger::AccountId;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use super::sampling;
use crate::error::SimError;
use crate::scenario::Noise;
use crate::scheduler::SimTime;
use crate::world::{Market, World};

/// One noise trader.
#[derive(Debug)]
pub struct NoiseTrader {
    /// World market index.
    pub market: usize,
    /// Its venue account.
    pub account: AccountId,
    rng: ChaCha8Rng,
    /// `noise.size` with its decimals converted, on the first order.
    sizes: Option<sampling::SizeSampler>,
    /// `rate_per_s(noise.activity_per_s)`, computed on the first wait: a logarithm per order
    /// saved (the same value each time, so the same waits).
    rate: Option<f64>,
}

/// Orders per second of a Poisson process with probability `p` of at least one in a second.
#[must_use]
pub fn rate_per_s(p: f64) -> f64 {
    if p >= 1.0 { 50.0 } else { -(1.0 - p.max(0.0)).ln() }
}

/// A delay of `s` seconds (rounded down to the microsecond; capped at a year).
#[must_use]
pub fn after_s(s: f64) -> SimTime {
    SimTime((s.clamp(0.0, SECONDS_IN_A_YEAR) * 1e6) as u64)
}

const SECONDS_IN_A_YEAR: f64 = 365.0 * 86_400.0;

impl NoiseTrader {
    /// A noise trader on `market` with `account` (funded).
    #[must_use]
    pub fn new(market: usize, account: AccountId, rng: ChaCha8Rng) -> Self {
        Self { market, account, rng, sizes: None, rate: None }
    }

    /// Delay until its next order.
    pub fn next_delay(&mut self, cfg: &Noise) -> SimTime {
        let rate = *self.rate.get_or_insert_with(|| rate_per_s(cfg.activity_per_s));
        after_s(sampling::wait_s(rate, &mut self.rng))
    }

    /// Sends one market order; returns the delay to the next.
    ///
    /// # Errors
    /// An engine failure.
    pub fn wake(&mut self, world: &mut World, cfg: &Noise) -> Result<SimTime, SimError> {
        let m = self.market;
        let side = if self.rng.random_bool(cfg.buy_share) { Side::Buy } else { Side::Sell };
        let sizes = *self.sizes.get_or_insert_with(|| sampling::SizeSampler::new(&cfg.size));
        let notional = sizes.draw(&mut self.rng);
        let mk = &world.markets[m];
        if let Some(price) = mk.reference(world.book(m)) {
            let qty = mk.qty_for_value(Market::cash(notional), price).max(mk.min_order_qty(price));
            world.market_order(m, self.account, side, qty, false)?;
        }
        Ok(self.next_delay(cfg))
    }
}
