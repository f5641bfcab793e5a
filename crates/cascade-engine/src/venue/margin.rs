//! Margin of accounts at the venue: equity, maintenance and initial requirements by tier,
//! collateral valuation, the initial-margin check on new orders, and keeping each position's
//! liquidation trigger in the instrument's [`LiquidationIndex`](crate::risk::index::LiquidationIndex).
//!
//! A *pool* is what backs a set of positions: for cross margin, the wallet in the settle asset
//! plus other collateral assets at their configured price less haircut, plus the unrealized PnL
//! of every cross position settling in that asset; for an isolated position, its own margin
//! plus its PnL. A pool is liquidatable when `equity ≤ maintenance` (with a positive
//! maintenance), the predicate the margin module's liquidation price solves.

use crate::instrument::{AssetId, Instrument, InstrumentId};
use crate::ledger::{AccountId, Party};
use crate::margin::price as mp;
use crate::margin::tiers::{Exposure, Leverage};
use crate::num::{Cash, Price, Qty, RATE_ONE, Rate, Round};
use crate::position::{MarginMode, Position};
use crate::risk::rules::CloseFee;

use super::deferred::TriggerBound;
use super::{Venue, VenueError, invalid, overflow};

/// Margin figures of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MarginState {
    /// Collateral plus unrealized PnL at the marks.
    pub equity: Cash,
    /// Σ maintenance margin of the pool's positions at the marks, with each position's fee to
    /// close where the rules reserve one ([`CloseFee`]).
    pub maintenance: Cash,
    /// Σ initial margin at each position's leverage (its tier's maximum if none chosen).
    pub initial: Cash,
}

impl MarginState {
    /// Whether the pool must be liquidated: `equity ≤ maintenance` while it holds exposure.
    #[must_use]
    pub fn liquidatable(&self) -> bool {
        self.maintenance.is_positive() && self.equity <= self.maintenance
    }
}

/// How a non-settle asset counts as cross collateral (multi-asset mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollateralRule {
    /// The settle asset whose pool it backs.
    pub pool: AssetId,
    /// Value of one whole unit in the pool asset, as the venue prices it: from an index, or —
    /// as with USDe/wBETH/BNSOL on Binance on 10 Oct 2025 — from its own thin spot book.
    pub price: Cash,
    /// Share of the value not counted (e.g. 5%).
    pub haircut: Rate,
    /// Where `price` comes from when [`Venue::refresh_collateral`] runs.
    pub source: CollateralSource,
}

/// What values a collateral asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollateralSource {
    /// A price the caller sets (e.g. from an external index) with [`Venue::set_collateral`].
    External,
    /// The mid of one of the venue's own books quoted in the pool asset (Binance valued USDe,
    /// wBETH and BNSOL off its own spot books on 10 Oct 2025: venue-mechanics §8). The book is
    /// an instrument of this venue used for price discovery.
    Book(InstrumentId),
}

/// Holders of a collateral asset whose records [`Venue::reindex_holders`] reads ahead together.
const HOLDERS_CHUNK: usize = 32;

/// How much of a [`MarginState`] to compute: each figure costs the ones before it plus its
/// own tier lookup, so readers that need less pay less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Figures {
    /// The equity alone (maintenance and initial left at zero).
    Equity,
    /// Equity and maintenance (initial left at zero).
    Maintenance,
    /// All three.
    Initial,
}

impl Venue {
    /// The mark price of `ins`, else its last trade price.
    pub(super) fn reference_mark(&self, ins: InstrumentId) -> Option<Price> {
        let m = self.markets.get(usize::from(ins.0))?;
        m.mark.or(m.last)
    }

    /// Sets how `asset` counts as collateral, and re-indexes every account holding it.
    ///
    /// # Errors
    /// A non-positive price, a haircut outside [0, 1], or a failure while re-indexing.
    pub fn set_collateral(&mut self, asset: AssetId, rule: CollateralRule) -> Result<(), VenueError> {
        if !rule.price.is_positive() {
            return Err(super::invalid("collateral.price", "must be > 0"));
        }
        if rule.haircut.0 < 0 || rule.haircut.0 > RATE_ONE {
            return Err(super::invalid("collateral.haircut", "must be in [0, 1]"));
        }
        let i = usize::from(asset.0);
        if self.collateral.len() <= i {
            self.collateral.resize(i + 1, None);
        }
        if let CollateralSource::Book(ins) = rule.source {
            self.market(ins)?;
        }
        self.collateral[i] = Some(rule);
        self.reindex_holders(asset)
    }

    /// Re-values `asset` from its source (for [`CollateralSource::Book`], the book's mid, else
    /// its last trade), re-indexes the accounts holding it and runs the liquidation pass on
    /// every instrument, so a collateral depeg liquidates at once. Returns the new price.
    ///
    /// # Errors
    /// No rule for `asset`, or a failure while liquidating.
    pub fn refresh_collateral(
        &mut self,
        asset: AssetId,
        events: &mut Vec<super::VenueEvent>,
    ) -> Result<Cash, VenueError> {
        let Some(Some(rule)) = self.collateral.get(usize::from(asset.0)).copied() else {
            return Err(super::invalid("collateral", "no collateral rule for this asset"));
        };
        let CollateralSource::Book(ins) = rule.source else { return Ok(rule.price) };
        let m = self.market(ins)?;
        let Some(px) = m.book.mid().or(m.last) else { return Ok(rule.price) };
        // Price units of the book → cash units (10^-8) per whole unit of the asset.
        let dec = m.instrument.spec().price_decimals;
        let price = if dec <= crate::num::CASH_DECIMALS {
            px.0.checked_mul(crate::num::pow10(crate::num::CASH_DECIMALS - dec).map_err(overflow("price"))?)
                .map(Cash)
                .ok_or(VenueError::Overflow("collateral price"))?
        } else {
            Cash(px.0 / crate::num::pow10(dec - crate::num::CASH_DECIMALS).map_err(overflow("price"))?)
        };
        if price == rule.price || !price.is_positive() {
            return Ok(rule.price);
        }
        self.collateral[usize::from(asset.0)] = Some(CollateralRule { price, ..rule });
        self.reindex_holders(asset)?;
        for i in 0..self.markets.len() {
            if self.config.liquidations {
                self.liquidation_pass(InstrumentId(i as u16), events)?;
            }
        }
        Ok(price)
    }

    /// Re-indexes every account holding `asset` with open positions, in id order. The ledger
    /// keeps the set of the asset's holders (one scan the first time), so a re-valuation costs
    /// the holders, not every account of the venue. Each holder's record is read once, for the
    /// test and the re-index together (re-indexing one holder never changes another's balance or
    /// positions, so testing each just before its re-index selects the same accounts), and the
    /// records of a chunk are read ahead together so their cache misses overlap.
    fn reindex_holders(&mut self, asset: AssetId) -> Result<(), VenueError> {
        self.ledger.watch_holders(asset);
        let holders: Vec<AccountId> = self.ledger.holders(asset).into_iter().flatten().collect();
        for chunk in holders.chunks(HOLDERS_CHUNK) {
            let mut warm = 0_i64;
            for &id in chunk {
                if let Ok(a) = self.ledger.account(id) {
                    warm = warm.wrapping_add(a.balance(asset).0);
                }
            }
            std::hint::black_box(warm);
            for &id in chunk {
                let held = self
                    .ledger
                    .account(id)
                    .is_ok_and(|a| a.balance(asset).is_positive() && !a.positions().is_empty());
                if held {
                    self.reindex(id)?;
                }
            }
        }
        Ok(())
    }

    /// Collateral of `acct`'s cross pool in `asset`: wallet plus other assets' haircut value.
    pub(super) fn pool_collateral(&self, acct: AccountId, asset: AssetId) -> Result<Cash, VenueError> {
        let a = self.ledger.account(acct)?;
        let mut c = a.balance(asset);
        for (i, rule) in self.collateral.iter().enumerate() {
            let Some(rule) = rule else { continue };
            let other = AssetId(i as u16);
            if rule.pool != asset || other == asset {
                continue;
            }
            let units = a.balance(other);
            if units.is_positive() {
                c = c.checked_add(self.collateral_value(rule, units)?).map_err(overflow("collateral"))?;
            }
        }
        Ok(c)
    }

    /// What `units` of a collateral asset count for in its pool: price less haircut, rounded down.
    pub(super) fn collateral_value(&self, rule: &CollateralRule, units: Cash) -> Result<Cash, VenueError> {
        units
            .mul_div(rule.price.0, Cash::units(1).map_err(overflow("collateral"))?.0, Round::Floor)
            .and_then(|v| v.mul_div(RATE_ONE - rule.haircut.0, RATE_ONE, Round::Floor))
            .map_err(overflow("collateral value"))
    }

    /// The fee-to-close rate the rules reserve for positions in `ins` (see
    /// [`CloseFee`]): part of the maintenance requirement, so a position is liquidated that much
    /// earlier than its tier's rate alone says.
    #[must_use]
    pub fn close_fee_rate(&self, ins: InstrumentId) -> Rate {
        match self.config.rules.close_fee {
            CloseFee::None => Rate::ZERO,
            CloseFee::Taker => self.markets[usize::from(ins.0)].instrument.spec().fees.taker,
            CloseFee::LiquidationFee => self.config.rules.liquidation_fee,
        }
    }

    /// Maintenance and initial margin of one position at `price`. The maintenance includes the
    /// fee to close at `price` where the rules reserve one (rounded up, like the tier margin):
    /// the same term the liquidation index solves with, so the index stays conservative.
    pub(in crate::venue) fn position_requirements(
        &self,
        p: &Position,
        price: Price,
    ) -> Result<(Cash, Cash), VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let e = Exposure::of(&m.instrument, p.size, price).map_err(overflow("exposure"))?;
        Ok((self.maintenance_of(p, &e)?, self.initial_of(p, &e)?))
    }

    /// Maintenance margin of position `p` at exposure `e`, with the fee to close where the
    /// rules reserve one (see [`Venue::position_requirements`]).
    pub(super) fn maintenance_of(&self, p: &Position, e: &Exposure) -> Result<Cash, VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let fee = e
            .notional
            .mul_rate(self.close_fee_rate(p.instrument), Round::Ceil)
            .map_err(overflow("fee to close"))?;
        m.tiers
            .maintenance_margin(e)
            .and_then(|mm| mm.checked_add(fee))
            .map_err(overflow("maintenance margin"))
    }

    /// The initial margin of [`Venue::position_requirements`] alone (the initial-margin check
    /// on every order needs no maintenance figure).
    pub(in crate::venue) fn position_initial(&self, p: &Position, price: Price) -> Result<Cash, VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let e = Exposure::of(&m.instrument, p.size, price).map_err(overflow("exposure"))?;
        self.initial_of(p, &e)
    }

    /// Initial margin of position `p` at exposure `e`, at its chosen leverage under any cap.
    fn initial_of(&self, p: &Position, e: &Exposure) -> Result<Cash, VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let mut lev = (p.leverage > 0)
            .then(|| Leverage::from_int(i64::from(p.leverage)))
            .transpose()
            .map_err(overflow("leverage"))?;
        // A leverage cap (`policy::leverage`) lowers the leverage initial margin is taken at:
        // a chosen one above it (grandfathered), or the tier's maximum when none was chosen.
        if let Some((cap, _)) = self.cap_at(p.instrument, e.notional)? {
            let tier_max = m.tiers.tier(e).max_leverage;
            lev = Some(lev.unwrap_or(tier_max).min(cap));
        }
        // A leverage above the tier's maximum (the position grew into a higher tier) falls back
        // to the tier's own initial rate.
        m.tiers
            .initial_margin(e, lev)
            .or_else(|_| m.tiers.initial_margin(e, None))
            .map_err(|_| VenueError::Overflow("initial margin"))
    }

    /// Margin of `acct`'s cross pool in `asset` at the current marks.
    ///
    /// # Errors
    /// Unknown account or overflow.
    pub fn pool_margin(&self, acct: AccountId, asset: AssetId) -> Result<MarginState, VenueError> {
        self.pool_state(acct, asset, Figures::Initial)
    }

    /// [`Venue::pool_margin`] without the initial margin (left at zero): what the liquidation
    /// waterfall reads (equity and maintenance), at the cost of the maintenance alone.
    pub(in crate::venue) fn pool_maintenance(
        &self,
        acct: AccountId,
        asset: AssetId,
    ) -> Result<MarginState, VenueError> {
        self.pool_state(acct, asset, Figures::Maintenance)
    }

    fn pool_state(
        &self,
        acct: AccountId,
        asset: AssetId,
        figures: Figures,
    ) -> Result<MarginState, VenueError> {
        let mut s = MarginState { equity: self.pool_collateral(acct, asset)?, ..MarginState::default() };
        for p in self.ledger.account(acct)?.positions() {
            let m = &self.markets[usize::from(p.instrument.0)];
            if p.mode != MarginMode::Cross || m.instrument.settle_asset() != asset || p.size.is_zero() {
                continue;
            }
            self.add_position(&mut s, p, figures)?;
        }
        Ok(s)
    }

    /// Adds position `p` at its mark to `s`: its PnL, and as far as `figures` asks, its
    /// maintenance and initial margin.
    fn add_position(&self, s: &mut MarginState, p: &Position, figures: Figures) -> Result<(), VenueError> {
        let Some(mark) = self.reference_mark(p.instrument) else { return Ok(()) };
        self.add_position_at(s, p, mark, figures)
    }

    /// [`Venue::add_position`] at `mark` instead of the market's own (the set-aside check asks
    /// what a position would be at its liquidation price).
    pub(super) fn add_position_at(
        &self,
        s: &mut MarginState,
        p: &Position,
        mark: Price,
        figures: Figures,
    ) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let upnl = p.unrealized_pnl(&m.instrument, mark).map_err(overflow("unrealized pnl"))?;
        if figures == Figures::Equity {
            s.equity = s.equity.checked_add(upnl).map_err(overflow("equity"))?;
            return Ok(());
        }
        let e = Exposure::of(&m.instrument, p.size, mark).map_err(overflow("exposure"))?;
        let mm = self.maintenance_of(p, &e)?;
        s.equity = s.equity.checked_add(upnl).map_err(overflow("equity"))?;
        s.maintenance = s.maintenance.checked_add(mm).map_err(overflow("maintenance"))?;
        if figures == Figures::Initial {
            let im = self.initial_of(p, &e)?;
            s.initial = s.initial.checked_add(im).map_err(overflow("initial"))?;
        }
        Ok(())
    }

    /// Margin of the pool backing `acct`'s position in `ins`: its isolated margin, or the
    /// cross pool of its settle asset.
    ///
    /// # Errors
    /// Unknown account/instrument or overflow.
    pub fn position_margin(&self, acct: AccountId, ins: InstrumentId) -> Result<MarginState, VenueError> {
        self.position_state(acct, ins, Figures::Initial)
    }

    /// The equity backing `acct`'s position in `ins` alone: the figure of
    /// [`Venue::position_maintenance`] without the tier lookups (ADL rankings that do not read
    /// the maintenance rank hundreds of thousands of positions per pass).
    pub(in crate::venue) fn position_equity(
        &self,
        acct: AccountId,
        ins: InstrumentId,
    ) -> Result<Cash, VenueError> {
        Ok(self.position_state(acct, ins, Figures::Equity)?.equity)
    }

    /// [`Venue::position_margin`] without the initial margin (left at zero), as
    /// [`Venue::pool_maintenance`].
    pub(in crate::venue) fn position_maintenance(
        &self,
        acct: AccountId,
        ins: InstrumentId,
    ) -> Result<MarginState, VenueError> {
        self.position_state(acct, ins, Figures::Maintenance)
    }

    fn position_state(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        figures: Figures,
    ) -> Result<MarginState, VenueError> {
        let asset = self.market(ins)?.instrument.settle_asset();
        match self.ledger.account(acct)?.position(ins) {
            Some(p) if p.mode == MarginMode::Isolated => {
                let mut s = MarginState { equity: p.isolated_margin, ..MarginState::default() };
                if !p.size.is_zero() {
                    self.add_position(&mut s, p, figures)?;
                }
                Ok(s)
            }
            _ => self.pool_state(acct, asset, figures),
        }
    }

    /// Chooses the leverage of `acct`'s position in `ins` (1 up to the tier's maximum for the
    /// current size). It sets the initial margin new orders need and isolated positions lock.
    ///
    /// # Errors
    /// Leverage 0 or above the tier's maximum; [`VenueError::LeverageCap`](super::VenueError::LeverageCap)
    /// above the venue's leverage cap; a spot market; unknown account or instrument.
    pub fn set_leverage(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        leverage: u16,
    ) -> Result<(), VenueError> {
        self.refuse_spot(ins, "leverage")?;
        let m = self.market(ins)?;
        let size = self.ledger.account(acct)?.position(ins).map_or(Qty::ZERO, |p| p.size);
        let price = self.reference_mark(ins).unwrap_or(Price(1));
        let e = Exposure::of(&m.instrument, size, price).map_err(overflow("exposure"))?;
        let whole_max = m.tiers.max_leverage(&e).0 / RATE_ONE;
        if leverage == 0 || i64::from(leverage) > whole_max {
            return Err(super::invalid(
                "leverage",
                format!("must be between 1 and {whole_max} (got {leverage})"),
            ));
        }
        let chosen = Leverage::from_int(i64::from(leverage)).map_err(overflow("leverage"))?;
        if let Some((cap, reason)) = self.cap_at(ins, e.notional)?
            && chosen > cap
        {
            return Err(super::VenueError::LeverageCap { leverage: chosen, cap, reason });
        }
        let mode = self.default_mode;
        self.wake_account(acct);
        self.ledger.account_mut(acct)?.position_mut(ins, mode).leverage = leverage;
        Ok(())
    }

    /// Refuses an order that would open exposure the pool cannot back at initial margin, as if
    /// it filled in full at `price`. Reducing orders always pass. Resting orders do not reserve
    /// margin (a documented simplification).
    pub(super) fn check_initial_margin(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        signed_qty: i64,
        price: Price,
    ) -> Result<(), VenueError> {
        let m = self.market(ins)?;
        let asset = m.instrument.settle_asset();
        let current = self.ledger.account(acct)?.position(ins).copied();
        let mut p = current.unwrap_or_else(|| Position::flat(ins, self.default_mode));
        let new_size = grown_size(p.size, signed_qty)?;
        if new_size.unsigned_abs() <= p.size.0.unsigned_abs()
            && (new_size == 0 || new_size.signum() == p.size.signum())
        {
            return Ok(());
        }
        p.size = Qty(new_size);
        let e = order_exposure(&m.instrument, p.size, price)?;
        // Without a leverage cap, the initial margin is at most the notional at the table's
        // largest initial rate, or over the chosen leverage: an order the pool covers at that
        // bound passes without the tier lookup (the exact figure is computed otherwise).
        let bound = if m.cap.is_none() { m.extremes.imr } else { None };
        let im_new = match bound {
            Some(_) => None,
            None => Some(self.initial_of(&p, &e)?),
        };
        let available = if p.mode == MarginMode::Isolated {
            self.ledger
                .account(acct)?
                .balance(asset)
                .checked_add(p.isolated_margin)
                .map_err(overflow("margin"))?
        } else {
            // The pool's equity less the initial margin of its other positions: this one's is
            // replaced by `im_new`, so it is never computed (for a one-position account the
            // loop solves no margin at all).
            let mut equity = self.pool_collateral(acct, asset)?;
            let mut initial = Cash::ZERO;
            for o in self.ledger.account(acct)?.positions() {
                let om = &self.markets[usize::from(o.instrument.0)];
                if o.mode != MarginMode::Cross || om.instrument.settle_asset() != asset || o.size.is_zero() {
                    continue;
                }
                let Some(mark) = self.reference_mark(o.instrument) else { continue };
                let upnl = o.unrealized_pnl(&om.instrument, mark).map_err(overflow("unrealized pnl"))?;
                equity = equity.checked_add(upnl).map_err(overflow("equity"))?;
                if o.instrument != ins {
                    let im = self.position_initial(o, mark)?;
                    initial = initial.checked_add(im).map_err(overflow("initial"))?;
                }
            }
            equity.checked_sub(initial).map_err(overflow("available"))?
        };
        if let Some(imr) = bound
            && covers(available, e.notional, imr, p.leverage)
        {
            return Ok(());
        }
        let im_new = match im_new {
            Some(im) => im,
            None => self.initial_of(&p, &e)?,
        };
        if available < im_new {
            return Err(VenueError::InsufficientMargin { required: im_new, available });
        }
        Ok(())
    }

    /// Tops an isolated position's margin up to its initial margin at `price` after it grew,
    /// from the wallet (as much as the wallet holds).
    pub(super) fn lock_isolated_margin(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        price: Price,
    ) -> Result<(), VenueError> {
        let Some(p) = self.ledger.account(acct)?.position(ins).copied() else { return Ok(()) };
        if p.mode != MarginMode::Isolated || p.size.is_zero() || !self.config.enforce_initial_margin {
            return Ok(());
        }
        let asset = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let (_, im) = self.position_requirements(&p, price)?;
        let need = im.checked_sub(p.isolated_margin).map_err(overflow("isolated margin"))?;
        let amount = need.min(self.ledger.account(acct)?.balance(asset));
        if amount.is_positive() {
            self.ledger.transfer(Party::Wallet(acct), Party::Isolated(acct, ins), asset, amount)?;
        }
        Ok(())
    }

    /// The margin module's view of a position, at `mark`, with the entry price rounded so
    /// that the liquidation price it gives is conservative (never later than the true one).
    pub(super) fn margin_view<'a>(
        &'a self,
        p: &Position,
        mark: Price,
    ) -> Result<mp::Position<'a>, VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let round = if p.size.is_positive() { Round::Ceil } else { Round::Floor };
        let entry = m
            .instrument
            .price_for_value(p.cost, p.size, round)
            .map_err(overflow("entry price"))?
            .max(Price(1));
        Ok(mp::Position {
            instrument: &m.instrument,
            tiers: &m.tiers,
            qty: p.size,
            entry_price: entry,
            mark_price: mark,
        })
    }

    /// Recomputes `acct`'s liquidation triggers after anything that changed its positions,
    /// balances or collateral; drops flat cross positions.
    ///
    /// # Errors
    /// Unknown account or overflow.
    pub(super) fn reindex(&mut self, acct: AccountId) -> Result<(), VenueError> {
        self.reindex_with(acct, true)
    }

    /// [`Venue::reindex`]; `defer`: a one-position account whose trigger is provably beyond the
    /// index's zone may be deferred (see `deferred.rs`) instead of solved.
    pub(super) fn reindex_with(&mut self, acct: AccountId, defer: bool) -> Result<(), VenueError> {
        // Its trigger is about to be replaced: a set-aside account is first put back.
        self.wake_account(acct);
        // A venue whose rankings never read the lists (Binance's, or margin added unindexed,
        // which turns them off for good) does not keep them.
        if self.adl_lists_usable() {
            self.list_for_adl(acct)?;
        }
        if self.reindex_single(acct, defer)? {
            return Ok(());
        }
        self.unindex(acct)?;
        self.ledger.account_mut(acct)?.prune_flat();
        if self.backstop == Some(acct) {
            return Ok(());
        }
        let positions: Vec<Position> = self.ledger.account(acct)?.positions().to_vec();
        let triggers = self.shared_triggers(acct, &positions)?;
        for (p, trigger) in positions.iter().filter(|p| !p.size.is_zero()).zip(triggers) {
            // No mark yet (None) or no trigger (0): listed as untriggered.
            match trigger {
                Some(t) if t != 0 => {
                    let im = usize::from(p.instrument.0);
                    self.markets[im].index.insert(t > 0, Price(t.abs()), acct);
                }
                _ => self.list_untriggered(acct, p)?,
            }
            if let Some(t) = trigger {
                let mode = p.mode;
                self.ledger.account_mut(acct)?.position_mut(p.instrument, mode).trigger = t;
            }
        }
        Ok(())
    }

    /// The trigger of each open position of `positions` (in order; `None` where its market has
    /// no mark yet). An isolated position is backed by its own margin. The cross positions of
    /// one pool share its *slack* — collateral plus every position's `upnl − maintenance` at
    /// the marks, what stands between the pool and liquidation — in proportion to their
    /// notionals: each is solved alone with the collateral that leaves it exactly its share,
    /// `collateral_i = share_i − value_i`, and these collaterals sum to the pool's. While no
    /// position's mark has crossed its trigger, each `collateral_i + value_i(mark_i)` is still
    /// positive, so their sum, the pool's `equity − maintenance`, is too: the triggers hold
    /// whatever the other marks do, so nothing needs re-indexing when they move. A crossed
    /// trigger whose pool is still healthy (another position gained) re-shares the slack at the
    /// new marks ([`Venue::liquidation_pass`]). In a crash that moves every position the same
    /// way by the same fraction, the shares run out together, at the pool's exact liquidation.
    fn shared_triggers(
        &self,
        acct: AccountId,
        positions: &[Position],
    ) -> Result<Vec<Option<i64>>, VenueError> {
        let open: Vec<&Position> = positions.iter().filter(|p| !p.size.is_zero()).collect();
        let mut collateral: Vec<Option<Cash>> = vec![None; open.len()];
        let marks: Vec<Option<Price>> = open.iter().map(|p| self.reference_mark(p.instrument)).collect();
        // Cross positions with a mark by settle asset (an account holds few; a linear scan
        // keeps the order).
        let mut pools: Vec<(AssetId, Vec<usize>)> = Vec::new();
        for (i, p) in open.iter().enumerate() {
            if marks[i].is_none() {
                continue;
            }
            if p.mode == MarginMode::Isolated {
                collateral[i] = Some(p.isolated_margin);
                continue;
            }
            let asset = self.markets[usize::from(p.instrument.0)].instrument.settle_asset();
            match pools.iter_mut().find(|(a, _)| *a == asset) {
                Some((_, legs)) => legs.push(i),
                None => pools.push((asset, vec![i])),
            }
        }
        for (asset, legs) in pools {
            let pool = self.pool_collateral(acct, asset)?;
            if let [i] = legs[..] {
                collateral[i] = Some(pool);
                continue;
            }
            // (leg, value, notional) at the current marks.
            let mut slack = i128::from(pool.0);
            let mut weight = 0i128;
            let mut values = Vec::with_capacity(legs.len());
            for (i, mark) in legs.into_iter().filter_map(|i| Some((i, marks[i]?))) {
                let p = open[i];
                let m = &self.markets[usize::from(p.instrument.0)];
                let upnl = p.unrealized_pnl(&m.instrument, mark).map_err(overflow("unrealized pnl"))?;
                let e = Exposure::of(&m.instrument, p.size, mark).map_err(overflow("exposure"))?;
                let value = i128::from(upnl.0) - i128::from(self.maintenance_of(p, &e)?.0);
                let notional = i128::from(e.notional.0).abs().max(1);
                slack += value;
                weight += notional;
                values.push((i, value, notional));
            }
            // Floor shares; what flooring leaves goes to the first, so they sum to the slack.
            let mut shares = Vec::with_capacity(values.len());
            for &(_, _, notional) in &values {
                let share = slack.checked_mul(notional).ok_or(VenueError::Overflow("slack share"))?;
                shares.push(share.div_euclid(weight));
            }
            let given: i128 = shares.iter().sum();
            if let Some(first) = shares.first_mut() {
                *first += slack - given;
            }
            for ((i, value, _), share) in values.into_iter().zip(shares) {
                let c = i64::try_from(share - value).map_err(|_| VenueError::Overflow("collateral"))?;
                collateral[i] = Some(Cash(c));
            }
        }
        let mut out = Vec::with_capacity(open.len());
        for ((p, c), mark) in open.into_iter().zip(collateral).zip(marks) {
            match (c, mark) {
                (Some(c), Some(mark)) => out.push(Some(self.solve_trigger(p, c, mark)?)),
                _ => out.push(None),
            }
        }
        Ok(out)
    }

    /// Whether `acct` has open cross positions in more than one market of a pool: triggers
    /// that share a slack, which a false alarm re-shares.
    pub(super) fn shares_slack(&self, acct: AccountId) -> Result<bool, VenueError> {
        let mut seen: smallvec::SmallVec<[AssetId; 4]> = smallvec::SmallVec::new();
        for p in self.ledger.account(acct)?.positions() {
            if p.mode != MarginMode::Cross || p.size.is_zero() {
                continue;
            }
            let asset = self.markets[usize::from(p.instrument.0)].instrument.settle_asset();
            if seen.contains(&asset) {
                return Ok(true);
            }
            seen.push(asset);
        }
        Ok(false)
    }

    /// The liquidation-index key of position `p` backed by `collateral`: `+price` for a long,
    /// `-price` for a short, 0 when it has no liquidation price.
    pub(super) fn solve_trigger(
        &self,
        p: &Position,
        collateral: Cash,
        mark: Price,
    ) -> Result<i64, VenueError> {
        let view = self.margin_view(p, mark)?;
        // The index solves the same predicate the exact check uses (maintenance at the mark), so a
        // trigger is never later than the check; `rules.basis` only changes the displayed price.
        let fee = self.close_fee_rate(p.instrument);
        let lp = mp::liquidation_price_hinted_with_fee(&view, collateral, mp::MaintenanceBasis::Mark, fee)
            .map_err(|e| VenueError::Invariant(format!("liquidation price: {e}")))?;
        // A long with no liquidation price at a positive price is never liquidatable; a
        // short with none is never liquidatable either. One extra unit absorbs rounding;
        // the exact check at pop time decides.
        Ok(match lp {
            Some(lp) if p.size.is_positive() => lp.0.saturating_add(1),
            Some(lp) => -(lp.0.saturating_sub(1).max(1)),
            None => 0,
        })
    }

    /// [`Venue::reindex`] for the common case of an account with one open position: the same
    /// trigger, solved without copying the account's positions, and the index
    /// left alone when the trigger did not change (a deposit, a fill that kept the liquidation
    /// price). Returns `false`, having changed nothing, when the account is not that case.
    /// Where a cheap bound settles the trigger (`deferred.rs`), nothing is solved: no
    /// liquidation price, or (`defer`) a trigger beyond the zone, deferred with its collateral.
    fn reindex_single(&mut self, acct: AccountId, defer: bool) -> Result<bool, VenueError> {
        if self.backstop == Some(acct) {
            return Ok(false);
        }
        let p = match self.ledger.account(acct)?.positions() {
            [p] if !p.size.is_zero() => *p,
            _ => return Ok(false),
        };
        let im = usize::from(p.instrument.0);
        let side: i8 = if p.size.is_positive() { 1 } else { -1 };
        // (trigger, listed, the collateral of a deferral).
        let (trigger, listed, deferred) = match self.reference_mark(p.instrument) {
            None => (0, side, None),
            Some(mark) => {
                let collateral = if p.mode == MarginMode::Isolated {
                    p.isolated_margin
                } else {
                    self.pool_collateral(acct, self.markets[im].instrument.settle_asset())?
                };
                let zone = if defer { self.markets[im].index.zone() } else { None };
                let bound = if super::deferred::bound_enabled() {
                    self.trigger_bound(&p, mark, collateral, zone)
                } else {
                    TriggerBound::Unknown
                };
                match bound {
                    TriggerBound::NoPrice => (0, side, None),
                    TriggerBound::Far => (0, 2 * side, Some(collateral)),
                    TriggerBound::Unknown => {
                        let t = self.solve_trigger(&p, collateral, mark)?;
                        (t, if t == 0 { side } else { 0 }, None)
                    }
                }
            }
        };
        if let Some(c) = deferred
            && p.untriggered == listed
        {
            // Still deferred on the same side: only the collateral to solve with changes.
            self.markets[im].index.defer(side > 0, acct, c);
            return Ok(true);
        }
        if p.trigger == trigger && p.untriggered == listed {
            return Ok(true);
        }
        let index = &mut self.markets[im];
        if p.trigger != 0 {
            index.index.remove(p.trigger > 0, Price(p.trigger.abs()), acct);
        }
        match p.untriggered {
            0 => {}
            1 | -1 => {
                index.untriggered[usize::from(p.untriggered < 0)].remove(&acct);
            }
            d => {
                index.index.undefer(d > 0, acct);
            }
        }
        if let Some(c) = deferred {
            index.index.defer(side > 0, acct, c);
        } else if trigger != 0 {
            index.index.insert(trigger > 0, Price(trigger.abs()), acct);
        } else {
            index.untriggered[usize::from(side < 0)].insert(acct);
        }
        let pos = self.ledger.account_mut(acct)?.position_mut(p.instrument, p.mode);
        pos.trigger = trigger;
        pos.untriggered = listed;
        Ok(true)
    }

    /// Removes every trigger of `acct` from the indexes.
    pub(super) fn unindex(&mut self, acct: AccountId) -> Result<(), VenueError> {
        self.wake_account(acct);
        let acc = self.ledger.account_mut(acct)?;
        let (mut removed, mut unlisted) = (Vec::new(), Vec::new());
        for p in acc.positions_mut() {
            if p.trigger != 0 {
                removed.push((p.instrument, p.trigger));
                p.trigger = 0;
            }
            if p.untriggered != 0 {
                unlisted.push((p.instrument, p.untriggered));
                p.untriggered = 0;
            }
        }
        for (ins, t) in removed {
            self.markets[usize::from(ins.0)].index.remove(t > 0, Price(t.abs()), acct);
        }
        for (ins, side) in unlisted {
            let m = &mut self.markets[usize::from(ins.0)];
            if side.abs() == 2 {
                m.index.undefer(side > 0, acct);
            } else {
                m.untriggered[usize::from(side < 0)].remove(&acct);
            }
        }
        Ok(())
    }
}

impl Venue {
    /// Lists `acct`'s open position `p`, which has no liquidation price, as an ADL candidate on
    /// its side (the liquidation index holds every other open position).
    fn list_untriggered(&mut self, acct: AccountId, p: &Position) -> Result<(), VenueError> {
        let side: i8 = if p.size.is_positive() { 1 } else { -1 };
        self.markets[usize::from(p.instrument.0)].untriggered[usize::from(side < 0)].insert(acct);
        let mode = p.mode;
        self.ledger.account_mut(acct)?.position_mut(p.instrument, mode).untriggered = side;
        Ok(())
    }
}

/// The size a position of `size` would reach after an order of `signed_qty` fills.
///
/// # Errors
/// An [`VenueError::InvalidOrder`] on `qty` when it does not fit: the order is refused, the
/// venue goes on.
pub(super) fn grown_size(size: Qty, signed_qty: i64) -> Result<i64, VenueError> {
    size.0.checked_add(signed_qty).ok_or_else(|| {
        invalid("qty", format!("{signed_qty} added to the position of {} does not fit", size.0))
    })
}

/// The exposure of the position an order would make, `size` valued at the order's `price`.
///
/// # Errors
/// An [`VenueError::InvalidOrder`] on `qty` when that position is worth more than the cash
/// range holds: each order's own value is checked when it is placed, but a runaway ask (a
/// thin book after a crash) can price a growing position out of range, and that must refuse
/// the order, not stop the venue.
pub(super) fn order_exposure(
    instrument: &Instrument,
    size: Qty,
    price: Price,
) -> Result<Exposure, VenueError> {
    Exposure::of(instrument, size, price).map_err(|_| {
        invalid(
            "qty",
            format!(
                "the position it would make, {} at price {}, is worth more than the cash range holds",
                size.0, price.0
            ),
        )
    })
}

/// Whether `available` covers the initial margin of a position of `notional` whatever tier it
/// falls in: `⌈|N| × imr / 1⌉` for the table's largest initial rate `imr` and, with a chosen
/// `leverage`, `⌈|N| / leverage⌉` (the initial margin is one of the two). Compared by
/// multiplication, so `a ≥ ⌈x / y⌉ ⇔ a·y ≥ x` holds exactly.
fn covers(available: Cash, notional: Cash, imr: i64, leverage: u16) -> bool {
    if available.0 < 0 {
        return false;
    }
    let (a, n, one) = (i128::from(available.0), i128::from(notional.0).abs(), i128::from(RATE_ONE));
    let by_rate = a * one >= n * i128::from(imr);
    by_rate && (leverage == 0 || a * i128::from(leverage) >= n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Side;
    use crate::instrument::{FeeSchedule, InstrumentSpec};
    use crate::margin::tables::Venue as VenueName;
    use crate::margin::tiers::RiskTiers;
    use crate::risk::rules::RuleSet;
    use crate::venue::{OrderRequest, VenueConfig};

    const USDT: AssetId = AssetId(0);

    fn usdt(s: &str) -> Cash {
        s.parse().unwrap()
    }

    /// Bybit reserves the taker fee to close (§2.3): the exact check and the index both count it.
    #[test]
    fn bybit_maintenance_and_trigger_include_the_fee_to_close() {
        // Long 1 BTC @ 10,000 cross with 200 USDT (50x), flat MMR 0.5%, taker fee 0.055% (the
        // trader's buy rests, so opening pays the 0% maker fee).
        let config = VenueConfig {
            rules: RuleSet::of(VenueName::Bybit),
            liquidations: false,
            enforce_initial_margin: false,
            ..VenueConfig::default()
        };
        let mut v = Venue::new(config);
        let spec = InstrumentSpec {
            fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::parse("0.00055").unwrap() },
            ..InstrumentSpec::linear("BTCUSDT", USDT, 2, 3)
        };
        let tiers = RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(200), Cash::ZERO).unwrap();
        let ins = v.add_instrument_with_tiers(spec, tiers).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("200")).unwrap();
        v.deposit(b, USDT, usdt("1000000")).unwrap();
        let mut ev = Vec::new();
        v.place(a, ins, OrderRequest::limit(Side::Buy, Price(1_000_000), Qty(1_000)), &mut ev).unwrap();
        v.place(b, ins, OrderRequest::market(Side::Sell, Qty(1_000)), &mut ev).unwrap();
        // At 9,900: MM = 9,900 × 0.5% = 49.5, fee to close 9,900 × 0.055% = 5.445.
        v.set_mark_price(ins, Price(990_000), &mut ev).unwrap();
        let s = v.position_margin(a, ins).unwrap();
        assert_eq!((s.equity, s.maintenance), (usdt("100"), usdt("54.945")));
        // The index: 200 + (P − 10,000) ≤ 0.00555·P ⇔ P ≤ 9,800 / 0.99445 = 9,854.6935… →
        // LP 9,854.69, indexed one cent above (the trigger's rounding margin).
        v.refresh_index().unwrap();
        assert_eq!(v.ledger().account(a).unwrap().position(ins).unwrap().trigger, 985_470);
        // The exact check agrees: at 9,854.69 equity 54.69 ≤ 49.27345 + 5.4200795 = 54.6935295;
        // at 9,854.70 equity 54.70 > 49.2735 + 5.420085 = 54.693585.
        v.set_mark_price(ins, Price(985_469), &mut ev).unwrap();
        assert!(v.position_margin(a, ins).unwrap().liquidatable());
        v.set_mark_price(ins, Price(985_470), &mut ev).unwrap();
        assert!(!v.position_margin(a, ins).unwrap().liquidatable());
    }

    /// A cross account with 1,000 USDT, long 1 BTC at 10,000.00 and 10 ETH at 1,000.00 (Binance
    /// rules, no fees, flat maintenance 0.5%). Each maintenance is 50, so the slack is
    /// 1,000 − 100 = 900, shared by notional: 450 each. BTC is solved with 450 − (0 − 50) = 500:
    /// 500 + (P − 10,000) ≤ 0.005·P ⇔ P ≤ 9,500 / 0.995 = 9,547.738… → LP 9,547.73, trigger one
    /// cent above; ETH likewise with 500: 9.95·P ≤ 9,500 ⇔ P ≤ 954.773… → 954.77. Both are the
    /// same −4.52% move, where the pool itself runs out: 1,000 − 20,000·x = 0.005·20,000·(1 − x)
    /// ⇔ x = 900 / 19,900 = 4.5226%.
    ///
    /// BTC alone to 9,547.73 crosses its trigger, but the pool is healthy (equity 547.73 against
    /// maintenance 47.73865 + 50): the pass re-shares the slack at the new marks. Slack
    /// 547.73 − 97.73865 = 449.99135 by notionals 9,547.73 : 10,000 → ⌊…⌋ 219.79001715 and
    /// 230.20133284, the unit left by flooring to the first (BTC): 219.79001716. BTC's value is
    /// −452.27 − 47.73865, so it is solved with 219.79001716 + 500.00865 = 719.79866716:
    /// 0.995·P ≤ 9,280.20133284 ⇔ P ≤ 9,326.835… → LP 9,326.83; ETH with 230.20133284 + 50:
    /// 9.95·P ≤ 9,719.79866716 ⇔ P ≤ 976.864… → 976.86 (nearer: BTC used most of the slack).
    #[test]
    fn cross_positions_share_the_pools_slack_and_reshare_it_on_a_false_alarm() {
        let mut v = Venue::new(VenueConfig {
            rules: RuleSet::of(VenueName::Binance),
            enforce_initial_margin: false,
            market_band: Rate::ZERO,
            ..VenueConfig::default()
        });
        let spec = |sym| InstrumentSpec {
            fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
            ..InstrumentSpec::linear(sym, USDT, 2, 3)
        };
        let tiers = || RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(100), Cash::ZERO).unwrap();
        let btc = v.add_instrument_with_tiers(spec("BTCUSDT"), tiers()).unwrap();
        let eth = v.add_instrument_with_tiers(spec("ETHUSDT"), tiers()).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("1000")).unwrap();
        v.deposit(b, USDT, usdt("100000000")).unwrap();
        let mut ev = Vec::new();
        for (ins, price, qty) in [(btc, 1_000_000, 1_000), (eth, 100_000, 10_000)] {
            v.place(a, ins, OrderRequest::limit(Side::Buy, Price(price), Qty(qty)), &mut ev).unwrap();
            v.place(b, ins, OrderRequest::market(Side::Sell, Qty(qty)), &mut ev).unwrap();
            v.set_mark_price(ins, Price(price), &mut ev).unwrap();
        }
        v.refresh_index().unwrap();
        let trigger = |v: &Venue, ins| v.ledger().account(a).unwrap().position(ins).unwrap().trigger;
        assert_eq!((trigger(&v, btc), trigger(&v, eth)), (954_774, 95_478));
        v.set_mark_price(btc, Price(954_773), &mut ev).unwrap();
        assert!(!v.position_margin(a, btc).unwrap().liquidatable());
        assert_eq!((trigger(&v, btc), trigger(&v, eth)), (932_684, 97_687));
    }

    /// A runaway ask must refuse an order, not stop the venue. Long 200.000 BTC at 10,000.00;
    /// a buy of 0.001 at 1,000,000,000.00 is worth 1,000,000 USDT (inside the cash range of
    /// about 9.2e10 USDT at 10^-8), but the position it would make, 200.001 × 1e9 = 2.00001e11
    /// USDT, is not: the order is refused as invalid, nothing changes, and the venue trades on.
    #[test]
    fn an_order_whose_position_leaves_the_cash_range_is_refused() {
        let mut v = Venue::new(VenueConfig {
            rules: RuleSet::of(VenueName::Binance),
            liquidations: false,
            market_band: Rate::ZERO,
            ..VenueConfig::default()
        });
        assert!(v.config.enforce_initial_margin);
        let tiers = RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(100), Cash::ZERO).unwrap();
        let ins = v.add_instrument_with_tiers(InstrumentSpec::linear("BTCUSDT", USDT, 2, 3), tiers).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("10000000")).unwrap();
        v.deposit(b, USDT, usdt("10000000")).unwrap();
        let mut ev = Vec::new();
        v.set_mark_price(ins, Price(1_000_000), &mut ev).unwrap();
        v.place(a, ins, OrderRequest::limit(Side::Buy, Price(1_000_000), Qty(200_000)), &mut ev).unwrap();
        v.place(b, ins, OrderRequest::market(Side::Sell, Qty(200_000)), &mut ev).unwrap();
        let before = v.ledger().account(a).unwrap().clone();
        let runaway = OrderRequest::limit(Side::Buy, Price(100_000_000_000), Qty(1));
        match v.place(a, ins, runaway, &mut ev) {
            Err(VenueError::InvalidOrder { field: "qty", reason }) => {
                assert!(reason.contains("200001 at price 100000000000"), "{reason}");
            }
            other => panic!("expected the order refused on qty, got {other:?}"),
        }
        assert_eq!(v.ledger().account(a).unwrap(), &before);
        v.check_invariants().unwrap();
        v.place(a, ins, OrderRequest::limit(Side::Buy, Price(999_000), Qty(1)), &mut ev).unwrap();
    }

    /// A long of 2.000 at 100.00 (notional 200), the table's largest initial rate 10%: 20
    /// covers it, 19.99999999 does not; at a chosen 5x the bound is 200/5 = 40.
    #[test]
    fn covers_is_the_larger_of_the_rate_and_the_leverage() {
        let n = usdt("200");
        let imr = Rate::from_bps(1_000).0;
        assert!(covers(usdt("20"), n, imr, 0));
        assert!(!covers(usdt("19.99999999"), n, imr, 0));
        assert!(!covers(usdt("39.99999999"), n, imr, 5));
        assert!(covers(usdt("40"), n, imr, 5));
        assert!(!covers(Cash(-1), Cash::ZERO, 0, 0));
    }

    /// Opens `legs` — (instrument, long, price, quantity) — for `a` against `b`'s market orders
    /// and sets each mark at its price.
    fn open_legs(v: &mut Venue, a: AccountId, b: AccountId, legs: [(InstrumentId, bool, i64, i64); 2]) {
        let mut ev = Vec::new();
        for (ins, long, price, qty) in legs {
            let side = if long { Side::Buy } else { Side::Sell };
            v.place(a, ins, OrderRequest::limit(side, Price(price), Qty(qty)), &mut ev).unwrap();
            v.place(b, ins, OrderRequest::market(side.opposite(), Qty(qty)), &mut ev).unwrap();
            v.set_mark_price(ins, Price(price), &mut ev).unwrap();
        }
    }

    /// Walks the marks of `ins` from 10,000.00 and 1,000.00, one `(on_first, bps, scale)` step
    /// at a time: the mark of `ins[0]` (`on_first`) or `ins[1]` moves by `bps` basis points
    /// shifted down by `2 × (3 − scale)` bits (mostly small steps, some large ones; at least
    /// 1.00) and its pass runs. After each step, until `a` is flat, each of its open positions
    /// must not be liquidatable by the exact check, and `more(venue, open instruments, marks)`
    /// checks what else a test asks.
    fn walk_never_liquidatable(
        v: &mut Venue,
        a: AccountId,
        ins: [InstrumentId; 2],
        steps: Vec<(bool, i64, u32)>,
        mut more: impl FnMut(
            &mut Venue,
            &[InstrumentId],
            [i64; 2],
        ) -> Result<(), proptest::test_runner::TestCaseError>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut marks = [1_000_000i64, 100_000];
        for (on_first, bps, scale) in steps {
            let bps = bps >> (2 * (3 - scale));
            let k = usize::from(!on_first);
            marks[k] = (marks[k] + marks[k] * bps / 10_000).max(100);
            v.set_mark_price(ins[k], Price(marks[k]), &mut Vec::new()).unwrap();
            let acct = v.ledger().account(a).unwrap();
            let open: Vec<InstrumentId> =
                ins.into_iter().filter(|&i| acct.position(i).is_some_and(|p| !p.size.is_zero())).collect();
            if open.is_empty() {
                break;
            }
            for &i in &open {
                let m = v.position_margin(a, i).unwrap();
                proptest::prop_assert!(!m.liquidatable(), "left liquidatable at marks {:?}", marks);
            }
            more(v, &open, marks)?;
        }
        Ok(())
    }

    /// Position `p`'s trigger solved with every other open cross position of its pool at its
    /// current mark: the latest trigger an exact index could keep.
    fn exact_trigger(v: &Venue, acct: AccountId, positions: &[Position], p: &Position) -> i64 {
        let mut c = v.pool_collateral(acct, USDT).unwrap();
        for o in positions.iter().filter(|o| o.instrument != p.instrument && !o.size.is_zero()) {
            let mark = v.reference_mark(o.instrument).unwrap();
            let m = &v.markets[usize::from(o.instrument.0)];
            let upnl = o.unrealized_pnl(&m.instrument, mark).unwrap();
            let (mm, _) = v.position_requirements(o, mark).unwrap();
            c = c.checked_add(upnl).unwrap().checked_sub(mm).unwrap();
        }
        v.solve_trigger(p, c, v.reference_mark(p.instrument).unwrap()).unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
        /// A cross account holding BTC and ETH, whatever its leverage, sides and the marks' walk
        /// (steps of up to ±0.125%, ±0.5%, ±2% or ±8% on either market, so shares of the slack
        /// are used up by one market, by both, and re-shared): after each mark update and its
        /// pass it is flat or not liquidatable by the exact check. Its triggers share the
        /// pool's slack, so a trigger later than the exact liquidation price would leave it
        /// liquidatable here.
        #[test]
        fn a_two_market_cross_account_is_never_left_liquidatable(
            margin in 40i64..3_000,
            btc_long in proptest::bool::ANY,
            eth_long in proptest::bool::ANY,
            eth_tenths in 1i64..60,
            steps in proptest::collection::vec((proptest::bool::ANY, -800i64..800, 0u32..4), 1..120),
        ) {
            let mut v = Venue::new(VenueConfig {
                rules: RuleSet::of(VenueName::Binance),
                enforce_initial_margin: false,
                market_band: Rate::ZERO,
                ..VenueConfig::default()
            });
            let tiers = || RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(100), Cash::ZERO).unwrap();
            let btc = v.add_instrument_with_tiers(InstrumentSpec::linear("BTCUSDT", USDT, 2, 3), tiers()).unwrap();
            let eth = v.add_instrument_with_tiers(InstrumentSpec::linear("ETHUSDT", USDT, 2, 3), tiers()).unwrap();
            let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
            v.deposit(a, USDT, usdt(&margin.to_string())).unwrap();
            v.deposit(b, USDT, usdt("100000000")).unwrap();
            // 1 BTC at 10,000.00 and eth_tenths × 0.1 ETH at 1,000.00, against b.
            open_legs(&mut v, a, b, [(btc, btc_long, 1_000_000, 1_000), (eth, eth_long, 100_000, eth_tenths * 100)]);
            walk_never_liquidatable(&mut v, a, [btc, eth], steps, |v, open, marks| {
                // The equity alone (what ADL rankings without maintenance read) is the same.
                for &i in open {
                    proptest::prop_assert_eq!(v.position_equity(a, i).unwrap(), v.position_margin(a, i).unwrap().equity);
                }
                // While both are open, each stored trigger is no later than the one solved
                // afresh with the other position at its current mark.
                v.flush_dirty().unwrap();
                let positions: Vec<Position> = v.ledger().account(a).unwrap().positions().to_vec();
                if open.len() < 2 {
                    return Ok(());
                }
                for p in positions.iter().filter(|p| !p.size.is_zero()) {
                    let (t, e) = (p.trigger, exact_trigger(v, a, &positions, p));
                    if e == 0 {
                        continue;
                    }
                    if p.size.is_positive() {
                        proptest::prop_assert!(t >= e, "long trigger {} later than {} at {:?}", t, e, marks);
                    } else {
                        proptest::prop_assert!(t != 0 && -t <= -e, "short trigger {} later than {} at {:?}", t, e, marks);
                    }
                }
                Ok(())
            })?;
            v.check_invariants().unwrap();
        }

        /// The same on the venues' own tables (Bybit's and OKX's fee to close, BitMEX's
        /// maintenance that jumps at its risk-limit steps) with positions large enough to cross
        /// tier floors as the marks walk: up to 300 BTC at 10,000 and 3,000 ETH at 1,000 (up to
        /// $6M), backed by 1–40% of their notional.
        #[test]
        fn shared_triggers_hold_on_the_venues_tables(
            table in 0usize..4,
            margin_pct in 1i64..40,
            btc_long in proptest::bool::ANY,
            eth_long in proptest::bool::ANY,
            btc_units in 1i64..300,
            eth_units in 1i64..3_000,
            steps in proptest::collection::vec((proptest::bool::ANY, -800i64..800, 0u32..4), 1..80),
        ) {
            let name = [VenueName::Binance, VenueName::Bybit, VenueName::Okx, VenueName::Bitmex][table];
            let mut v = Venue::new(VenueConfig {
                rules: RuleSet::of(name),
                enforce_initial_margin: false,
                market_band: Rate::ZERO,
                ..VenueConfig::default()
            });
            let tiers = |sym| crate::margin::tables::default_tiers(name, sym).unwrap();
            let btc = v.add_instrument_with_tiers(InstrumentSpec::linear("BTCUSDT", USDT, 2, 3), tiers("BTCUSDT")).unwrap();
            let eth = v.add_instrument_with_tiers(InstrumentSpec::linear("ETHUSDT", USDT, 2, 3), tiers("ETHUSDT")).unwrap();
            let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
            let notional = btc_units * 10_000 + eth_units * 1_000;
            v.deposit(a, USDT, usdt(&(notional * margin_pct / 100).max(1).to_string())).unwrap();
            v.deposit(b, USDT, usdt("10000000000")).unwrap();
            open_legs(&mut v, a, b, [(btc, btc_long, 1_000_000, btc_units * 1_000), (eth, eth_long, 100_000, eth_units * 1_000)]);
            walk_never_liquidatable(&mut v, a, [btc, eth], steps, |_, _, _| Ok(()))?;
            v.check_invariants().unwrap();
        }

        /// Whatever the table (the venues' own), the leverage chosen and the size: where
        /// [`covers`] passes, the exact initial margin is within the pool.
        #[test]
        fn covers_never_passes_an_order_the_exact_check_refuses(
            table in 0usize..6,
            leverage in proptest::prop_oneof![proptest::strategy::Just(0u16), 1u16..150],
            size in 1i64..2_000_000_000,
            price in 1i64..20_000_000,
            slack in -1_000i64..1_000,
        ) {
            let (name, symbol) = [
                (VenueName::Binance, "BTCUSDT"),
                (VenueName::Binance, "DOGEUSDT"),
                (VenueName::Bybit, "BTCUSDT"),
                (VenueName::Okx, "ETHUSDT"),
                (VenueName::Hyperliquid, "BTC"),
                (VenueName::Dydx, "BTC-USD"),
            ][table];
            let mut v = Venue::new(VenueConfig { rules: RuleSet::of(name), ..VenueConfig::default() });
            let tiers = crate::margin::tables::default_tiers(name, symbol).unwrap();
            let ins = v.add_instrument_with_tiers(InstrumentSpec::linear("XUSDT", USDT, 2, 3), tiers).unwrap();
            let m = v.market(ins).unwrap();
            let Ok(e) = Exposure::of(&m.instrument, Qty(size), Price(price)) else { return Ok(()) };
            let p = Position { size: Qty(size), leverage, ..Position::flat(ins, MarginMode::Cross) };
            let Ok(exact) = v.initial_of(&p, &e) else { return Ok(()) };
            let imr = m.extremes.imr.unwrap();
            // Pools around the exact figure, and around the bound.
            for available in [exact.0.saturating_add(slack), exact.0.saturating_mul(2).saturating_add(slack)] {
                if covers(Cash(available), e.notional, imr, leverage) {
                    proptest::prop_assert!(available >= exact.0, "{} < {}", available, exact.0);
                }
            }
        }
    }
}
