//! Arbitrageurs: they keep a perpetual near its siblings on other venues (cross-venue) or near
//! the spot index (basis), within their capital.
//!
//! Every `latency_ms` an arbitrageur looks at its markets:
//!
//! * **Cross-venue**: if the best bid somewhere is more than `threshold_bps` above the best ask
//!   elsewhere, it buys one clip (a tenth of `max_position`) where it is cheap and sells one
//!   where it is dear, each with an immediate-or-cancel limit that keeps half the gap as margin.
//! * **Basis**: if a perpetual's mid is more than the threshold below the spot index, it buys
//!   the perpetual and sells the same notional of spot (which pushes the index down: this is how
//!   forced selling on the perpetuals reaches spot); above, the reverse.
//!
//! No position grows past `max_position` per market, and once the gap has closed to a quarter
//! of the threshold it unwinds one clip per look. Capital is split evenly across its venues at
//! the start; the venue's margin check refuses what it cannot back. Moving collateral between
//! venues (`transfer_delay_s`) is not modelled yet: a venue where it runs short stays short.

use cascade_engine::book::{Side, TimeInForce};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::Qty;
use cascade_engine::venue::{OrderRequest, Placed};

use crate::error::SimError;
use crate::scenario::{ArbKind, Arbitrageur as ArbCfg};
use crate::scheduler::SimTime;
use crate::world::{Market, Owner, World};

/// One arbitrageur.
#[derive(Debug, Clone)]
pub struct Arbitrageur {
    kind: ArbKind,
    /// (market, account at its venue).
    legs: Vec<(usize, AccountId)>,
    threshold: f64,
    max_position: f64,
    clip: f64,
    /// Time between looks.
    pub latency: SimTime,
    /// Spot held (basis kind), in asset units; negative when short.
    pub spot_units: f64,
}

impl Arbitrageur {
    /// An arbitrageur of `cfg` over its markets, with one funded account per venue.
    ///
    /// # Errors
    /// A market the world does not list, or an engine failure while funding.
    pub fn new(cfg: &ArbCfg, index: usize, world: &mut World) -> Result<Self, SimError> {
        let mut markets = Vec::with_capacity(cfg.markets.len());
        for (j, r) in cfg.markets.iter().enumerate() {
            let m = world.find_market(&r.venue, &r.symbol).ok_or_else(|| {
                SimError::scenario(format!("arbitrageurs[{index}].markets[{j}]"), format!("no market {r}"))
            })?;
            markets.push(m);
        }
        let mut venues: Vec<usize> = markets.iter().map(|&m| world.markets[m].venue).collect();
        venues.sort_unstable();
        venues.dedup();
        let share = cfg.capital.to_f64() / venues.len().max(1) as f64;
        let mut accounts = Vec::with_capacity(venues.len());
        for &v in &venues {
            let a = world.open_account(v, Owner::Nobody)?;
            world.deposit(v, a, Market::cash(share))?;
            accounts.push((v, a));
        }
        let legs = markets
            .iter()
            .map(|&m| {
                let v = world.markets[m].venue;
                let a = accounts.iter().find(|(x, _)| *x == v).map_or(AccountId(0), |(_, a)| *a);
                (m, a)
            })
            .collect();
        let max_position = cfg.max_position.to_f64();
        Ok(Self {
            kind: cfg.kind,
            legs,
            threshold: cfg.threshold_bps / 1e4,
            max_position,
            clip: max_position / 10.0,
            latency: SimTime::from_millis(cfg.latency_ms.max(1)),
            spot_units: 0.0,
        })
    }

    /// Looks and trades; returns the delay to the next look.
    ///
    /// # Errors
    /// An engine failure.
    pub fn wake(&mut self, world: &mut World) -> Result<SimTime, SimError> {
        match self.kind {
            ArbKind::CrossVenue => self.cross(world)?,
            ArbKind::Basis => self.basis(world)?,
        }
        Ok(self.latency)
    }

    /// Signed position notional in market `m`, settle units.
    fn exposure(&self, world: &World, m: usize, account: AccountId) -> f64 {
        let mk = &world.markets[m];
        let pos = world.position(m, account);
        let at = mk.mark.or(mk.index).unwrap_or(cascade_engine::num::Price(1));
        Market::cash_f64(mk.value(at, pos)) * pos.signum() as f64
    }

    fn cross(&mut self, world: &mut World) -> Result<(), SimError> {
        // The cheapest ask and the dearest bid, in quote currency.
        let mut buy: Option<(usize, f64)> = None;
        let mut sell: Option<(usize, f64)> = None;
        for (k, &(m, _)) in self.legs.iter().enumerate() {
            let mk = &world.markets[m];
            let book = world.book(m);
            if let Some(a) = book.best_ask().map(|p| mk.to_f64(p))
                && buy.is_none_or(|(_, x)| a < x)
            {
                buy = Some((k, a));
            }
            if let Some(b) = book.best_bid().map(|p| mk.to_f64(p))
                && sell.is_none_or(|(_, x)| b > x)
            {
                sell = Some((k, b));
            }
        }
        if let (Some((i, ask)), Some((j, bid))) = (buy, sell)
            && i != j
            && bid > ask * (1.0 + self.threshold)
        {
            let (mi, ai) = self.legs[i];
            let (mj, aj) = self.legs[j];
            let room_buy = self.max_position - self.exposure(world, mi, ai);
            let room_sell = self.max_position + self.exposure(world, mj, aj);
            let clip = self.clip.min(room_buy).min(room_sell);
            if clip > 0.0 {
                let edge = (bid - ask) / 2.0;
                self.ioc(world, mi, ai, Side::Buy, ask + edge, clip)?;
                self.ioc(world, mj, aj, Side::Sell, bid - edge, clip)?;
            }
            return Ok(());
        }
        // Converged: unwind a clip everywhere.
        let (mut lo, mut hi, mut n) = (f64::MAX, 0.0_f64, 0);
        for &(m, _) in &self.legs {
            let mk = &world.markets[m];
            if let Some(mid) = world.book(m).mid().map(|p| mk.to_f64(p)) {
                lo = lo.min(mid);
                hi = hi.max(mid);
                n += 1;
            }
        }
        if n >= 2 && hi <= lo * (1.0 + self.threshold / 4.0) {
            for k in 0..self.legs.len() {
                self.unwind(world, k)?;
            }
        }
        Ok(())
    }

    fn basis(&mut self, world: &mut World) -> Result<(), SimError> {
        for k in 0..self.legs.len() {
            let (m, a) = self.legs[k];
            let spot = world.spot_of(m);
            let mk = &world.markets[m];
            let Some(mid) = world.book(m).mid().map(|p| mk.to_f64(p)) else { continue };
            let gap = (mid - spot) / spot;
            let exposure = self.exposure(world, m, a);
            if gap.abs() > self.threshold {
                let (side, room) = if gap < 0.0 {
                    (Side::Buy, self.max_position - exposure)
                } else {
                    (Side::Sell, self.max_position + exposure)
                };
                let clip = self.clip.min(room);
                if clip <= 0.0 {
                    continue;
                }
                let limit = match side {
                    Side::Buy => spot * (1.0 - self.threshold / 2.0),
                    Side::Sell => spot * (1.0 + self.threshold / 2.0),
                };
                let filled = self.ioc(world, m, a, side, limit, clip)?;
                // The spot leg, the other way, at the index.
                let units = filled * if side == Side::Buy { -1.0 } else { 1.0 } / spot;
                self.spot_units += units;
                let asset = world.markets[m].asset;
                world.assets[asset].spot_trade(units * spot);
            } else if gap.abs() < self.threshold / 4.0 && exposure != 0.0 {
                let before = exposure;
                self.unwind(world, k)?;
                let after = self.exposure(world, m, a);
                let closed = before - after;
                // Close the matching spot leg: a perp long reduced is spot short bought back.
                let units = closed / spot;
                self.spot_units += units;
                let asset = world.markets[m].asset;
                world.assets[asset].spot_trade(units * spot);
            }
        }
        Ok(())
    }

    /// An IOC limit for `notional` at `limit` (quote currency); returns the notional filled.
    fn ioc(
        &self,
        world: &mut World,
        m: usize,
        account: AccountId,
        side: Side,
        limit: f64,
        notional: f64,
    ) -> Result<f64, SimError> {
        let mk = &world.markets[m];
        let price = match side {
            Side::Buy => mk.price_down(limit),
            Side::Sell => mk.price_up(limit),
        };
        let Some(price) = price else { return Ok(0.0) };
        let qty = mk.qty_for_value(Market::cash(notional), price);
        if qty < mk.min_order_qty(price) {
            return Ok(0.0);
        }
        let req = OrderRequest { tif: TimeInForce::Ioc, ..OrderRequest::limit(side, price, qty) };
        match world.place(m, account, req)? {
            Some(Placed::Order { filled, .. }) => {
                let mk = &world.markets[m];
                Ok(Market::cash_f64(mk.value(price, filled)))
            }
            _ => Ok(0.0),
        }
    }

    /// Reduces leg `k`'s position by one clip at market.
    fn unwind(&self, world: &mut World, k: usize) -> Result<(), SimError> {
        let (m, a) = self.legs[k];
        let pos = world.position(m, a);
        if pos.is_zero() {
            return Ok(());
        }
        let mk = &world.markets[m];
        let Some(price) = mk.reference(world.book(m)) else { return Ok(()) };
        let clip = mk.qty_for_value(Market::cash(self.clip), price);
        let qty = Qty(pos.0.abs().min(clip.0.max(mk.lot())));
        let side = if pos.is_positive() { Side::Sell } else { Side::Buy };
        world.market_order(m, a, side, qty, true)?;
        Ok(())
    }
}
