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
enum Figures {
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
    fn pool_collateral(&self, acct: AccountId, asset: AssetId) -> Result<Cash, VenueError> {
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
    fn maintenance_of(&self, p: &Position, e: &Exposure) -> Result<Cash, VenueError> {
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
        let m = &self.markets[usize::from(p.instrument.0)];
        let Some(mark) = self.reference_mark(p.instrument) else { return Ok(()) };
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

    /// Recomputes `acct`'s liquidation triggers (and, for several cross positions, their
    /// bands) after anything that changed its positions, balances or the marks it depends on;
    /// drops flat cross positions.
    ///
    /// # Errors
    /// Unknown account or overflow.
    pub(super) fn reindex(&mut self, acct: AccountId) -> Result<(), VenueError> {
        self.reindex_with(acct, true)
    }

    /// [`Venue::reindex`]; `defer`: a one-position account whose trigger is provably beyond the
    /// index's zone may be deferred (see `deferred.rs`) instead of solved.
    pub(super) fn reindex_with(&mut self, acct: AccountId, defer: bool) -> Result<(), VenueError> {
        if self.reindex_single(acct, defer)? {
            return Ok(());
        }
        self.unindex(acct)?;
        self.ledger.account_mut(acct)?.prune_flat();
        if self.backstop == Some(acct) {
            return Ok(());
        }
        let positions: Vec<Position> = self.ledger.account(acct)?.positions().to_vec();
        let mut band = self.config.band;
        let mut triggers = self.band_triggers(acct, &positions, band)?;
        // Bands only for accounts whose cross triggers depend on other marks.
        let mut cross_by_asset: std::collections::BTreeMap<AssetId, Vec<(InstrumentId, bool)>> =
            Default::default();
        for p in positions.iter().filter(|p| p.mode == MarginMode::Cross && !p.size.is_zero()) {
            let asset = self.markets[usize::from(p.instrument.0)].instrument.settle_asset();
            cross_by_asset.entry(asset).or_default().push((p.instrument, p.size.is_positive()));
        }
        let banded: Vec<(InstrumentId, bool)> =
            cross_by_asset.into_values().filter(|v| v.len() > 1).flatten().collect();
        if !banded.is_empty() {
            // Far from every trigger, a wider band: the triggers stay conservative for any width
            // (every other mark is taken at the adverse edge of its band, and leaving a band
            // re-indexes), and a wider band is left less often. It doubles while it stays within a
            // quarter of the nearest trigger's distance from its mark, up to MAX_BAND.
            let near = self.nearest_trigger(&positions, &triggers);
            let mut wide = band;
            while wide.0.saturating_mul(2) <= MAX_BAND.0 && near >= wide.0.saturating_mul(8) {
                wide = Rate(wide.0 * 2);
            }
            if wide != band {
                band = wide;
                triggers = self.band_triggers(acct, &positions, band)?;
            }
        }
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
        for (ins, long) in banded {
            let Some(mark) = self.reference_mark(ins) else { continue };
            let (lo, hi) = band_edges(mark, band, long)?;
            self.markets[usize::from(ins.0)].index.insert_band(lo, hi, acct);
            self.bands.entry(acct).or_default().push((ins, lo, hi));
        }
        Ok(())
    }

    /// The trigger of each open position of `positions` (in order), with every other cross
    /// position of the same pool at the adverse edge of a band of width `band` around its mark;
    /// `None` for a position whose market has no mark yet.
    fn band_triggers(
        &self,
        acct: AccountId,
        positions: &[Position],
        band: Rate,
    ) -> Result<Vec<Option<i64>>, VenueError> {
        let mut out = Vec::with_capacity(positions.len());
        for p in positions.iter().filter(|p| !p.size.is_zero()) {
            let Some(mark) = self.reference_mark(p.instrument) else {
                out.push(None);
                continue;
            };
            let m = &self.markets[usize::from(p.instrument.0)];
            let asset = m.instrument.settle_asset();
            let collateral = if p.mode == MarginMode::Isolated {
                p.isolated_margin
            } else {
                // Other cross positions at the adverse edge of their band.
                let mut c = self.pool_collateral(acct, asset)?;
                for o in positions.iter().filter(|o| {
                    o.instrument != p.instrument
                        && o.mode == MarginMode::Cross
                        && !o.size.is_zero()
                        && self.markets[usize::from(o.instrument.0)].instrument.settle_asset() == asset
                }) {
                    let Some(om) = self.reference_mark(o.instrument) else { continue };
                    let (lo, hi) = band_edges(om, band, o.size.is_positive())?;
                    c = c.checked_add(self.worst_in_band(o, lo, hi)?).map_err(overflow("collateral"))?;
                }
                c
            };
            out.push(Some(self.solve_trigger(p, collateral, mark)?));
        }
        Ok(out)
    }

    /// The smallest distance, as a rate of the mark, from an open position's mark to its
    /// trigger (`i64::MAX` when no position has one).
    fn nearest_trigger(&self, positions: &[Position], triggers: &[Option<i64>]) -> i64 {
        positions
            .iter()
            .filter(|p| !p.size.is_zero())
            .zip(triggers)
            .filter_map(|(p, t)| {
                let t = (*t)?;
                let mark = self.reference_mark(p.instrument)?;
                if t == 0 || mark.0 <= 0 {
                    return None;
                }
                let gap = (i128::from(mark.0) - i128::from(t.abs())).abs();
                i64::try_from(gap * i128::from(RATE_ONE) / i128::from(mark.0)).ok()
            })
            .min()
            .unwrap_or(i64::MAX)
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

    /// [`Venue::reindex`] for the common case of an account with one open position and no
    /// bands: the same trigger, solved without copying the account's positions, and the index
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
        if self.bands.contains_key(&acct) {
            return Ok(false);
        }
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

    /// The least `upnl − maintenance` position `o` can show while its mark stays in
    /// `[lo, hi]`. Within one tier it is monotone in the price, so the minimum is at a band edge
    /// or at the edge of a tier inside the band (risk-limit tables whose maintenance jumps at a
    /// tier floor make it non-monotone across tiers).
    fn worst_in_band(&self, o: &Position, lo: Price, hi: Price) -> Result<Cash, VenueError> {
        let m = &self.markets[usize::from(o.instrument.0)];
        let mut points = vec![lo, hi];
        for t in m.tiers.tiers().iter().skip(1) {
            if t.floor <= 0 {
                continue;
            }
            if let Ok(p) = m.instrument.price_for_value(Cash(t.floor), o.size, Round::Floor) {
                for q in [p.0 - 1, p.0, p.0 + 1] {
                    if q > lo.0 && q < hi.0 {
                        points.push(Price(q));
                    }
                }
            }
        }
        let mut worst: Option<Cash> = None;
        for p in points {
            let upnl = o.unrealized_pnl(&m.instrument, p).map_err(overflow("upnl"))?;
            let (mm, _) = self.position_requirements(o, p)?;
            let v = upnl.checked_sub(mm).map_err(overflow("collateral"))?;
            worst = Some(worst.map_or(v, |w| w.min(v)));
        }
        Ok(worst.unwrap_or(Cash::ZERO))
    }

    /// Removes every trigger and band of `acct` from the indexes.
    pub(super) fn unindex(&mut self, acct: AccountId) -> Result<(), VenueError> {
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
        for (ins, lo, hi) in self.bands.remove(&acct).unwrap_or_default() {
            self.markets[usize::from(ins.0)].index.remove_band(lo, hi, acct);
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

/// The widest band a far-from-liquidation account's triggers are computed with (16%).
const MAX_BAND: Rate = Rate::from_bps(1600);

/// How far a band reaches on the side where a position gains (50%): leaving it re-indexes as
/// leaving the adverse edge does, though the triggers it guards only grew more conservative.
/// A crash moves a basket's hedge legs that way by tens of percent; at the adverse width they
/// re-indexed every 1–16% of the move for nothing.
const FAVOURABLE_BAND: Rate = Rate::from_bps(5000);

/// The band of a long (`long`) or short position: `band` on the side where it loses and at least
/// [`FAVOURABLE_BAND`] on the side where it gains, rounded outward. The worst value over it
/// (`worst_in_band`, which also checks the margin tiers' floors inside) stays conservative at
/// any width, so only how often it is left depends on the widths.
fn band_edges(mark: Price, band: Rate, long: bool) -> Result<(Price, Price), VenueError> {
    let gain = Rate(band.0.max(FAVOURABLE_BAND.0));
    let (down, up) = if long { (band, gain) } else { (gain, band) };
    let lo = mark.mul_div(RATE_ONE - down.0, RATE_ONE, Round::Floor).map_err(overflow("band"))?;
    let hi = mark.mul_div(RATE_ONE + up.0, RATE_ONE, Round::Ceil).map_err(overflow("band"))?;
    Ok((lo.max(Price(1)), hi))
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

    /// A band of 1% around a mark of 100.00 (10,000 ticks): a long loses below, so 99.00 is
    /// its edge there and 150.00 (+50%) above; a short the mirror, 50.00 and 101.00. Outward
    /// rounding: 1% of 10,001 ticks is 100.01, so the long's edge is ⌊9,900.99⌋ = 9,900 and the
    /// short's ⌈10,101.01⌉ = 10,102. A band wider than 50% is that wide on both sides.
    #[test]
    fn bands_reach_half_the_mark_where_the_position_gains() {
        let b = Rate::from_bps(100);
        assert_eq!(band_edges(Price(10_000), b, true).unwrap(), (Price(9_900), Price(15_000)));
        assert_eq!(band_edges(Price(10_000), b, false).unwrap(), (Price(5_000), Price(10_100)));
        assert_eq!(band_edges(Price(10_001), b, true).unwrap().0, Price(9_900));
        assert_eq!(band_edges(Price(10_001), b, false).unwrap().1, Price(10_102));
        let wide = Rate::from_bps(6_000);
        assert_eq!(band_edges(Price(10_000), wide, true).unwrap(), (Price(4_000), Price(16_000)));
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
        /// A cross account holding BTC and ETH, whatever its leverage, sides and the marks' walk
        /// (steps of up to ±0.125%, ±0.5%, ±2% or ±8% on either market, so bands of every width are
        /// kept and left): after
        /// each mark update and its pass it is flat or not liquidatable by the exact check. Its
        /// triggers take the other mark at the adverse edge of a band that widens far from
        /// liquidation, so a trigger later than the exact liquidation price would leave it
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
            let mut ev = Vec::new();
            // 1 BTC at 10,000.00 and eth_tenths × 0.1 ETH at 1,000.00, against b.
            for (ins, long, price, qty) in [(btc, btc_long, 1_000_000, 1_000), (eth, eth_long, 100_000, eth_tenths * 100)] {
                let side = if long { Side::Buy } else { Side::Sell };
                v.place(a, ins, OrderRequest::limit(side, Price(price), Qty(qty)), &mut ev).unwrap();
                v.place(b, ins, OrderRequest::market(side.opposite(), Qty(qty)), &mut ev).unwrap();
                v.set_mark_price(ins, Price(price), &mut ev).unwrap();
            }
            let mut marks = [1_000_000i64, 100_000];
            for (on_btc, bps, scale) in steps {
                // Mostly small steps (inside a 1% band), some large ones.
                let bps = bps >> (2 * (3 - scale));
                let k = usize::from(!on_btc);
                marks[k] = (marks[k] + marks[k] * bps / 10_000).max(100);
                let ins = [btc, eth][k];
                v.set_mark_price(ins, Price(marks[k]), &mut ev).unwrap();
                let acct = v.ledger().account(a).unwrap();
                if acct.positions().iter().all(|p| p.size.is_zero()) {
                    break;
                }
                for i in [btc, eth] {
                    if acct.position(i).is_some_and(|p| !p.size.is_zero()) {
                        let m = v.position_margin(a, i).unwrap();
                        proptest::prop_assert!(!m.liquidatable(), "left liquidatable at marks {:?}", marks);
                        // The equity alone (what ADL rankings without maintenance read) is the same.
                        proptest::prop_assert_eq!(v.position_equity(a, i).unwrap(), m.equity);
                    }
                }
                // While both are open, each stored trigger is no later than the one solved
                // afresh with the other position at its current mark (a band of width zero).
                v.flush_dirty().unwrap();
                let acct = v.ledger().account(a).unwrap();
                let positions: Vec<Position> = acct.positions().to_vec();
                if positions.iter().filter(|p| !p.size.is_zero()).count() < 2 {
                    continue;
                }
                let exact = v.band_triggers(a, &positions, Rate::ZERO).unwrap();
                for (p, e) in positions.iter().filter(|p| !p.size.is_zero()).zip(exact) {
                    let (t, e) = (p.trigger, e.unwrap());
                    if e == 0 {
                        continue;
                    }
                    if p.size.is_positive() {
                        proptest::prop_assert!(t >= e, "long trigger {} later than {} at {:?}", t, e, marks);
                    } else {
                        proptest::prop_assert!(t != 0 && -t <= -e, "short trigger {} later than {} at {:?}", t, e, marks);
                    }
                }
            }
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
