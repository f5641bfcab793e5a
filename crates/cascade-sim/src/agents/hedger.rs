//! Hedgers: long spot, short the perpetual against it (cash-and-carry, basis funds).
//!
//! A hedger holds `notional` of spot (a balance in the asset valued at the index, kept here: the
//! engine knows no spot) and opens at time zero a short of the same notional at `leverage`, at
//! the time-zero index price (through the seeding account, like the population). It is the
//! natural ADL victim in a crash: its short is profitable, so when a long goes bankrupt and the
//! book and the insurance fund cannot take the loss, the engine closes the short at the
//! bankruptcy price. The hedger is then long spot and unhedged: [`REACTION`] later it sells the
//! spot the short no longer covers, which pushes the spot index (and so every mark) down. Every
//! `rebalance_s` it re-opens whatever short its remaining spot lacks, at market.
//!
//! When the asset has spot books (`[[assets.spot]]`) the spot is real: the hedger holds it as
//! base in an account at the asset's book on its venue (else the asset's first book), and its
//! sale is an immediate-or-cancel sell on that book limited to the venue's `market_band` below
//! the book's mid. What the book does not take within the band stays held (and hedged again at
//! the next rebalance).

use cascade_engine::book::Side;
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Qty};

use crate::error::SimError;
use crate::scenario::{Hedger as HedgerCfg, MarginModeCfg};
use crate::scheduler::SimTime;
use cascade_engine::book::TimeInForce;
use cascade_engine::venue::{OrderRequest, Placed};

use crate::world::{BookRef, Market, Owner, World, base_asset};

/// Time a hedger takes to react to losing its hedge.
pub const REACTION: SimTime = SimTime::from_secs(10);

/// One hedger.
#[derive(Debug, Clone)]
pub struct Hedger {
    /// World market index.
    pub market: usize,
    /// Its venue account.
    pub account: AccountId,
    /// Spot held, in asset units.
    pub spot_units: f64,
    /// Time between rebalances.
    pub rebalance: SimTime,
    /// The spot book its spot lives on and its account there, when the asset has spot books.
    pub spot_book: Option<(usize, AccountId)>,
}

impl Hedger {
    /// Opens hedger `index` of `cfg`: margin, the short at the time-zero price, the spot.
    ///
    /// # Errors
    /// An unknown market, or an engine failure.
    pub fn open(cfg: &HedgerCfg, entry: usize, index: u32, world: &mut World) -> Result<Self, SimError> {
        let m = world
            .find_market(&cfg.venue, &cfg.symbol)
            .ok_or_else(|| SimError::scenario(format!("hedgers[{entry}]"), "no such market"))?;
        let v = world.markets[m].venue;
        let account = world.open_account(v, Owner::Hedger(index))?;
        let leverage =
            u16::try_from(cfg.leverage).unwrap_or(u16::MAX).min(world.max_opening_leverage(m)).max(1);
        world.configure(m, account, cfg.margin_mode == MarginModeCfg::Isolated, leverage)?;
        let spot = world.spot_of(m);
        let mk = &world.markets[m];
        let Some(price) = mk.price_tick_near(spot) else {
            return Ok(Self {
                market: m,
                account,
                spot_units: 0.0,
                rebalance: SimTime::from_secs(cfg.rebalance_s),
                spot_book: None,
            });
        };
        let qty = mk.qty_for_value(Market::cash(cfg.notional.to_f64()), price);
        let fee =
            mk.instrument.fee(mk.value(price, qty), mk.instrument.spec().fees.maker).unwrap_or(Cash::ZERO);
        let im = world.initial_margin(m, qty, price, leverage);
        // Margin for the short, its fee, and a cushion of a third of the margin.
        let deposit = Cash(im.0.saturating_add(im.0 / 3).saturating_add(fee.0.max(0)).saturating_add(1));
        world.deposit(v, account, deposit)?;
        if cfg.margin_mode == MarginModeCfg::Isolated {
            world.add_isolated_margin(m, account, Cash(fee.0.max(0) + 1))?;
        }
        let opened = world.seed_position(m, account, false, qty, price)?;
        let mk = &world.markets[m];
        let mut spot_units = if opened { Market::cash_f64(mk.value(price, qty)) / spot } else { 0.0 };
        let asset = mk.asset;
        let spot_book = match world.spot_book_for(asset, v) {
            Some(s) if spot_units > 0.0 => {
                let sv = world.spots[s].market.venue;
                let sa = world.open_account(sv, Owner::Hedger(index))?;
                let amount = Market::cash(spot_units);
                world.deposit_asset(sv, sa, base_asset(asset), amount)?;
                spot_units = Market::cash_f64(amount);
                Some((s, sa))
            }
            _ => None,
        };
        Ok(Self {
            market: m,
            account,
            spot_units,
            rebalance: SimTime::from_secs(cfg.rebalance_s.max(1)),
            spot_book,
        })
    }

    /// Asset units the current short covers.
    fn hedged_units(&self, world: &World) -> f64 {
        let m = self.market;
        let mk = &world.markets[m];
        let pos = world.position(m, self.account);
        if !pos.is_negative() {
            return 0.0;
        }
        let spot = world.spot_of(m);
        let at = mk.price_near(spot);
        Market::cash_f64(mk.value(at, pos)) / spot
    }

    /// The hedge was cut (ADL or liquidation): sells the spot it no longer covers.
    ///
    /// # Errors
    /// An engine failure selling on a spot book.
    pub fn react(&mut self, world: &mut World) -> Result<(), SimError> {
        let unhedged = self.spot_units - self.hedged_units(world);
        if let Some((s, sa)) = self.spot_book {
            if unhedged > 0.0 {
                self.sell_spot(world, s, sa, unhedged)?;
            }
            return Ok(());
        }
        if unhedged > 0.0 {
            let m = self.market;
            let spot = world.spot_of(m);
            let asset = world.markets[m].asset;
            world.assets[asset].spot_trade(-unhedged * spot);
            self.spot_units -= unhedged;
        }
        Ok(())
    }

    /// Sells up to `units` of base on spot book `s` (see the module doc).
    fn sell_spot(&mut self, world: &mut World, s: usize, sa: AccountId, units: f64) -> Result<(), SimError> {
        let sb = BookRef::Spot(s);
        let sv = world.spots[s].market.venue;
        let Some(mid) = world.spot_price(s) else { return Ok(()) };
        let band = world.venues[sv].band;
        let mk = world.market_at(sb);
        let Some(limit) = mk.price_up(mk.to_f64(mid) * (1.0 - band)) else { return Ok(()) };
        let scale = 10f64.powi(mk.instrument.spec().qty_decimals as i32);
        let units = units.min(Market::cash_f64(world.free(sv, sa, base_asset(mk.asset))));
        let qty = Qty(((units * scale / mk.lot() as f64).floor().max(0.0) as i64).saturating_mul(mk.lot()));
        if qty < mk.min_order_qty(limit) {
            return Ok(());
        }
        let req = OrderRequest { tif: TimeInForce::Ioc, ..OrderRequest::limit(Side::Sell, limit, qty) };
        if let Some(Placed::Order { filled, .. }) = world.place_at(sb, sa, req)? {
            self.spot_units -= filled.0 as f64 / scale;
        }
        Ok(())
    }

    /// Re-opens the short its spot lacks, at market.
    ///
    /// # Errors
    /// An engine failure.
    pub fn rebalance(&mut self, world: &mut World) -> Result<(), SimError> {
        let missing = self.spot_units - self.hedged_units(world);
        let m = self.market;
        let spot = world.spot_of(m);
        let mk = &world.markets[m];
        let Some(price) = mk.reference(world.book(m)) else { return Ok(()) };
        let qty = mk.qty_for_value(Market::cash(missing * spot), price);
        if qty >= mk.min_order_qty(price) && qty > Qty::ZERO {
            world.market_order(m, self.account, Side::Sell, qty, false)?;
        }
        Ok(())
    }
}
