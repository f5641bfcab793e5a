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
//! **With spot books** (the asset has `[[assets.spot]]` entries) the basis arbitrageur trades
//! the real spot book instead of pushing the pressure model: the book at the perpetual's venue,
//! else the asset's first. It compares the perpetual's mid with that book's mid (its last trade
//! while a side is empty); when the perpetual is cheap it buys the perpetual and sells the
//! base it filled on the spot book with an immediate-or-cancel limit half the threshold below
//! the spot mid; when rich, the reverse. Its spot leg needs funds at the spot venue: of each
//! venue's share of capital, half stays as perpetual collateral and half goes to its account at
//! that venue's spot book, a quarter of the share in the settle asset and a quarter in base
//! bought at the asset's `index_price`. A clip is cut to what that account can spend (base for
//! a sale, settle asset for a purchase); unwinding a perpetual clip reverses the spot leg.
//!
//! No position grows past `max_position` per market, and once the gap has closed to a quarter
//! of the threshold it unwinds one clip per look. Capital is split evenly across its venues at
//! the start; the venue's margin check refuses what it cannot back.
//!
//! **Moving collateral** (`rebalance_below`, `transfer_delay_s`): after each look, if its free
//! margin at some venue (equity at the marks less the initial margin of its positions there,
//! plus what is already in flight to it) is below `rebalance_below` × that venue's starting
//! share, it picks the venue with the most to spare — free margin above its own starting share
//! (typically what the other leg gained), within what that venue lets it withdraw (its wallet:
//! an unrealized profit can back positions but cannot leave) — and withdraws what brings the
//! short venue back to its share, or what the donor can spare if less (nothing below 1 % of
//! the share). A donor never falls below its own share, so money does not shuttle back. The
//! money leaves the donor at once and is credited `transfer_delay_s` later; in flight it backs
//! nothing, so a leg losing fast on the short venue can be liquidated before the money arrives
//! (10 October 2025: cross-venue traders could not move collateral in time). One venue is
//! rebalanced per look, the worst first.

use cascade_engine::book::{Side, TimeInForce};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Qty};
use cascade_engine::venue::{OrderRequest, Placed};

use crate::error::SimError;
use crate::scenario::{ArbKind, Arbitrageur as ArbCfg};
use crate::scheduler::SimTime;
use crate::world::{BookRef, Market, Owner, World, base_asset};

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
    /// Per leg, the spot book its spot leg trades and the account there (basis kind on an
    /// asset with spot books).
    spot_legs: Vec<Option<(usize, AccountId)>>,
    /// Per venue: (venue, perpetual account there, starting collateral there).
    accounts: Vec<(usize, AccountId, Cash)>,
    /// Rebalance when free margin falls below this fraction of the venue's share (0: never).
    rebalance_below: f64,
    /// Time a transfer between venues takes.
    pub transfer_delay: SimTime,
}

/// A transfer an arbitrageur asks for: from (venue, account) to (venue, account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOrder {
    /// Venue and account withdrawn from.
    pub from: (usize, AccountId),
    /// Venue and account credited on arrival.
    pub to: (usize, AccountId),
    /// Amount, settle-asset units.
    pub amount: Cash,
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
        let asset = markets.first().map(|&m| world.markets[m].asset);
        let with_books =
            cfg.kind == ArbKind::Basis && asset.is_some_and(|a| !world.assets[a].books.is_empty());
        let perp_share = if with_books { share / 2.0 } else { share };
        let mut accounts = Vec::with_capacity(venues.len());
        // (spot book, account there)
        let mut spot_accounts: Vec<(usize, AccountId)> = Vec::new();
        for &v in &venues {
            let a = world.open_account(v, Owner::Nobody)?;
            world.deposit(v, a, Market::cash(perp_share))?;
            accounts.push((v, a, Market::cash(perp_share)));
            if with_books
                && let Some(asset) = asset
                && let Some(s) = world.spot_book_for(asset, v)
            {
                let sv = world.spots[s].market.venue;
                let sa = match spot_accounts.iter().find(|(x, _)| *x == s) {
                    Some(&(_, sa)) => sa,
                    None => {
                        let sa = world.open_account(sv, Owner::Nobody)?;
                        spot_accounts.push((s, sa));
                        sa
                    }
                };
                world.deposit(sv, sa, Market::cash(share / 4.0))?;
                let units = share / 4.0 / world.assets[asset].fair;
                world.deposit_asset(sv, sa, base_asset(asset), Market::cash(units))?;
            }
        }
        let spot_legs = markets
            .iter()
            .map(|&m| {
                let v = world.markets[m].venue;
                let s = if with_books { world.spot_book_for(world.markets[m].asset, v) } else { None };
                s.and_then(|s| spot_accounts.iter().find(|(x, _)| *x == s).copied())
            })
            .collect();
        let legs = markets
            .iter()
            .map(|&m| {
                let v = world.markets[m].venue;
                let a = accounts.iter().find(|(x, _, _)| *x == v).map_or(AccountId(0), |(_, a, _)| *a);
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
            spot_legs,
            accounts,
            rebalance_below: cfg.rebalance_below,
            transfer_delay: SimTime::from_secs(cfg.transfer_delay_s),
        })
    }

    /// Per venue it trades at: (venue, its perpetual account there, starting collateral there).
    #[must_use]
    pub fn accounts(&self) -> &[(usize, AccountId, Cash)] {
        &self.accounts
    }

    /// The transfer this arbitrageur wants now, if any (module docs): to the venue whose free
    /// margin plus what is in flight to it is lowest against its share, when below the
    /// threshold, from the venue with the most to spare above its own share.
    #[must_use]
    pub fn rebalance(&self, world: &World) -> Option<TransferOrder> {
        if self.rebalance_below <= 0.0 || self.accounts.len() < 2 {
            return None;
        }
        let below = self.rebalance_below;
        // (index, free margin + in flight, share)
        let mut poorest: Option<(usize, f64, f64)> = None;
        for (k, &(v, a, share)) in self.accounts.iter().enumerate() {
            let share = Market::cash_f64(share);
            if share <= 0.0 {
                continue;
            }
            let have = Market::cash_f64(world.free_margin(v, a))
                + Market::cash_f64(world.transfers.in_flight_to(v, a));
            if have < below * share && poorest.is_none_or(|(_, h, s)| have / share < h / s) {
                poorest = Some((k, have, share));
            }
        }
        let (k, have, share) = poorest?;
        // The donor: the most to spare above its own share, within what it may withdraw.
        let mut donor: Option<(usize, f64)> = None;
        for (j, &(v, a, share_j)) in self.accounts.iter().enumerate() {
            if j == k {
                continue;
            }
            let above = Market::cash_f64(world.free_margin(v, a)) - Market::cash_f64(share_j);
            let spare = above.min(Market::cash_f64(world.withdrawable(v, a)));
            if spare > 0.0 && donor.is_none_or(|(_, x)| spare > x) {
                donor = Some((j, spare));
            }
        }
        let (j, spare) = donor?;
        let amount = (share - have).min(spare);
        if amount < share / 100.0 {
            return None;
        }
        let (fv, fa, _) = self.accounts[j];
        let (tv, ta, _) = self.accounts[k];
        let amount = Market::cash(amount).min(world.withdrawable(fv, fa));
        amount.is_positive().then_some(TransferOrder { from: (fv, fa), to: (tv, ta), amount })
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
            if let Some((s, sa)) = self.spot_legs[k] {
                self.basis_book(world, k, s, sa)?;
                continue;
            }
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

    /// Basis trade of leg `k` against spot book `s` through account `sa` there.
    fn basis_book(&mut self, world: &mut World, k: usize, s: usize, sa: AccountId) -> Result<(), SimError> {
        let (m, a) = self.legs[k];
        let sb = BookRef::Spot(s);
        let Some(spot) = world.spot_price(s).map(|p| world.market_at(sb).to_f64(p)) else { return Ok(()) };
        let mk = &world.markets[m];
        let Some(mid) = world.book(m).mid().map(|p| mk.to_f64(p)) else { return Ok(()) };
        let (sv, asset) = (world.spots[s].market.venue, world.spots[s].market.asset);
        let base = base_asset(asset);
        let gap = (mid - spot) / spot;
        let exposure = self.exposure(world, m, a);
        if gap.abs() > self.threshold {
            let (side, room) = if gap < 0.0 {
                (Side::Buy, self.max_position - exposure)
            } else {
                (Side::Sell, self.max_position + exposure)
            };
            // What the spot leg can pay for: base to sell, or settle asset (less a fee margin).
            let can = match side {
                Side::Buy => Market::cash_f64(world.free(sv, sa, base)) * spot,
                Side::Sell => Market::cash_f64(world.wallet(sv, sa)) * 0.99,
            };
            let clip = self.clip.min(room).min(can);
            if clip <= 0.0 {
                return Ok(());
            }
            let limit = match side {
                Side::Buy => spot * (1.0 - self.threshold / 2.0),
                Side::Sell => spot * (1.0 + self.threshold / 2.0),
            };
            let filled = self.ioc(world, m, a, side, limit, clip)?;
            if filled > 0.0 {
                // The spot leg, the other way, on the book, no further than the perp's limit.
                self.spot_leg(world, s, sa, side.opposite(), filled / spot, limit)?;
            }
        } else if gap.abs() < self.threshold / 4.0 && exposure != 0.0 {
            self.unwind(world, k)?;
            let closed = exposure - self.exposure(world, m, a);
            // A perp long reduced buys the spot back; a short reduced sells it again.
            let (side, limit) = if closed > 0.0 {
                (Side::Buy, spot * (1.0 + self.threshold))
            } else {
                (Side::Sell, spot * (1.0 - self.threshold))
            };
            self.spot_leg(world, s, sa, side, closed.abs() / spot, limit)?;
        }
        Ok(())
    }

    /// An IOC on spot book `s` for `units` of base at worst `limit`, cut to what the account
    /// holds; adds the fill to `spot_units`.
    fn spot_leg(
        &mut self,
        world: &mut World,
        s: usize,
        sa: AccountId,
        side: Side,
        units: f64,
        limit: f64,
    ) -> Result<(), SimError> {
        let sb = BookRef::Spot(s);
        let (sv, asset) = (world.spots[s].market.venue, world.spots[s].market.asset);
        let mk = world.market_at(sb);
        let price = match side {
            Side::Buy => mk.price_down(limit),
            Side::Sell => mk.price_up(limit),
        };
        let Some(price) = price else { return Ok(()) };
        let units = match side {
            Side::Sell => units.min(Market::cash_f64(world.free(sv, sa, base_asset(asset)))),
            Side::Buy => units.min(Market::cash_f64(world.wallet(sv, sa)) * 0.99 / mk.to_f64(price)),
        };
        let lot = mk.lot() as f64 / 10f64.powi(mk.instrument.spec().qty_decimals as i32);
        let qty = Qty(((units / lot).floor().max(0.0) as i64).saturating_mul(mk.lot()));
        if qty < mk.min_order_qty(price) {
            return Ok(());
        }
        let req = OrderRequest { tif: TimeInForce::Ioc, ..OrderRequest::limit(side, price, qty) };
        if let Some(Placed::Order { filled, .. }) = world.place_at(sb, sa, req)? {
            let mk = world.market_at(sb);
            let got = filled.0 as f64 / 10f64.powi(mk.instrument.spec().qty_decimals as i32);
            self.spot_units += if side == Side::Buy { got } else { -got };
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
