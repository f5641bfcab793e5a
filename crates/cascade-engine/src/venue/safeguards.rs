//! Applying the venue's [`Safeguards`]: the circuit breaker's state and its checks on orders,
//! the price bands orders and liquidation orders must keep, liquidation pacing, and the
//! external backstop that refills the insurance fund before ADL.
//!
//! Never moves money except through the ledger (the external backstop is a deposit into the
//! fund), so conservation holds; never reads a clock but the venue's (`Venue::set_time`).

use std::collections::VecDeque;

use crate::book::{BookEvent, Side};
use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::num::{Cash, Price, Qty, Round};
use crate::safeguards::{HaltScope, Safeguards, band_edges, moved};

use super::{CancelReason, Venue, VenueError, VenueEvent, cancelled, overflow};

/// One market's circuit-breaker state.
#[derive(Debug, Default)]
pub(super) struct HaltState {
    /// The window's marks that may still be its lowest: (venue clock, mark), rising (a
    /// monotone deque, so the window costs O(1) amortised per mark however long it is).
    lows: VecDeque<(u64, Price)>,
    /// … and those that may still be its highest, falling.
    highs: VecDeque<(u64, Price)>,
    /// End of the current (or last) halt, venue clock.
    until: Option<u64>,
    /// The mark the market halted at: the centre of the reopening band.
    reference: Option<Price>,
}

/// One market's liquidation-pacing state.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PaceState {
    /// Index of the current interval (`now / interval_ms`).
    interval: u64,
    /// Notional liquidated in it, settle asset at the mark.
    used: Cash,
}

impl Venue {
    /// The venue's safeguards.
    #[must_use]
    pub fn safeguards(&self) -> &Safeguards {
        &self.config.safeguards
    }

    /// The end of `ins`'s trading halt (venue clock, ms) while it is halted, else `None`.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn halted_until(&self, ins: InstrumentId) -> Result<Option<u64>, VenueError> {
        let m = self.market(ins)?;
        Ok(m.halt.until.filter(|&u| self.now_ms < u))
    }

    /// Whether market `idx` is halted now.
    pub(super) fn is_halted(&self, idx: usize) -> bool {
        self.markets[idx].halt.until.is_some_and(|u| self.now_ms < u)
    }

    /// Refuses an order on a halted market.
    pub(super) fn refuse_if_halted(&self, ins: InstrumentId) -> Result<(), VenueError> {
        match self.halted_until(ins)? {
            Some(until_ms) => Err(VenueError::Halted { instrument: ins.0, until_ms }),
            None => Ok(()),
        }
    }

    /// Records `ins`'s new mark in the circuit breaker's window and halts the market (or the
    /// venue) when the mark moved by the rule's share within it. No new halt starts while the
    /// market is halted or reopening; a halt clears the window.
    pub(super) fn observe_halt(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let Some(rule) = self.config.safeguards.halt else { return Ok(()) };
        let idx = usize::from(ins.0);
        let now = self.now_ms;
        let m = &mut self.markets[idx];
        let Some(mark) = m.mark else { return Ok(()) };
        if m.instrument.is_spot() {
            return Ok(());
        }
        if m.halt.until.is_some_and(|u| now < u.saturating_add(rule.reopen_ms)) {
            return Ok(());
        }
        let from = now.saturating_sub(rule.window_ms);
        let h = &mut m.halt;
        for q in [&mut h.lows, &mut h.highs] {
            while q.front().is_some_and(|&(t, _)| t < from) {
                q.pop_front();
            }
        }
        let extremes = h.lows.front().into_iter().chain(h.highs.front()).map(|&(_, p)| p);
        if !moved(extremes, mark, rule.move_rate) {
            while h.lows.back().is_some_and(|&(_, p)| p >= mark) {
                h.lows.pop_back();
            }
            h.lows.push_back((now, mark));
            while h.highs.back().is_some_and(|&(_, p)| p <= mark) {
                h.highs.pop_back();
            }
            h.highs.push_back((now, mark));
            return Ok(());
        }
        let targets: Vec<usize> = match rule.scope {
            HaltScope::Market => vec![idx],
            HaltScope::Venue => {
                (0..self.markets.len()).filter(|&i| !self.markets[i].instrument.is_spot()).collect()
            }
        };
        let until = now.saturating_add(rule.halt_ms);
        for i in targets {
            let t = &mut self.markets[i];
            t.halt.lows.clear();
            t.halt.highs.clear();
            t.halt.until = Some(until);
            t.halt.reference = t.mark;
            let instrument = InstrumentId(i as u16);
            events.push(VenueEvent::Halted { instrument, until_ms: until });
            if rule.cancel_resting {
                self.cancel_every_order(instrument, events)?;
            }
        }
        Ok(())
    }

    /// Cancels every resting order of a market (a halt that clears the book).
    fn cancel_every_order(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let idx = usize::from(ins.0);
        let owners = self.markets[idx].book.accounts_with_orders();
        let mut scratch: Vec<BookEvent> = Vec::new();
        for a in owners {
            scratch.clear();
            self.markets[idx].book.cancel_all(a, &mut scratch);
            for e in &scratch {
                if let BookEvent::Cancelled { order, account, remaining, .. } = *e {
                    self.markets[idx].reduce_only.remove(&(account, order));
                    events.push(cancelled(ins, order, account, remaining, CancelReason::Halted));
                }
            }
        }
        Ok(())
    }

    /// The prices a trader's order on `ins` may execute at now, if any safeguard bounds them:
    /// the policy band around the mark, narrowed by the reopening band after a halt.
    pub(super) fn trading_band(&self, ins: InstrumentId) -> Result<Option<(Price, Price)>, VenueError> {
        let idx = usize::from(ins.0);
        let m = &self.markets[idx];
        let tick = m.instrument.spec().tick.0;
        let mut band: Option<(Price, Price)> = None;
        if let (Some(rule), Some(mark)) = (self.config.safeguards.band, m.mark)
            && rule.band.0 > 0
        {
            band = Some(band_edges(mark, rule.band, tick).map_err(overflow("price band"))?);
        }
        if let (Some(rule), Some(until), Some(reference)) =
            (self.config.safeguards.halt, m.halt.until, m.halt.reference)
            && rule.reopen_band.0 > 0
            && self.now_ms >= until
            && self.now_ms < until.saturating_add(rule.reopen_ms)
        {
            let (lo, hi) = band_edges(reference, rule.reopen_band, tick).map_err(overflow("reopen band"))?;
            band = Some(match band {
                Some((l, h)) => (l.max(lo), h.min(hi)),
                None => (lo, hi),
            });
        }
        Ok(band)
    }

    /// The prices a liquidation order (or the backstop's offload) on `ins` may execute at.
    pub(super) fn liquidation_band(&self, ins: InstrumentId) -> Result<Option<(Price, Price)>, VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        match (self.config.safeguards.liquidation_band, m.mark) {
            (Some(b), Some(mark)) if b.0 > 0 => Ok(Some(
                band_edges(mark, b, m.instrument.spec().tick.0).map_err(overflow("liquidation band"))?,
            )),
            _ => Ok(None),
        }
    }

    /// Applies the bands to an order's limit: a trader's limit beyond the band is refused
    /// ([`VenueError::OutsideBand`]); a market order (`market`) and every liquidation order are
    /// capped at the band's edge instead.
    pub(super) fn banded_limit(
        &self,
        account: AccountId,
        ins: InstrumentId,
        side: Side,
        limit: Option<Price>,
        market: bool,
    ) -> Result<Option<Price>, VenueError> {
        let liquidation = self.liquidating == Some(account) || Some(account) == self.backstop;
        self.banded_limit_for(liquidation, ins, side, limit, market)
    }

    /// [`Venue::banded_limit`] for a liquidation's order (`liquidation`) or a trader's.
    pub(super) fn banded_limit_for(
        &self,
        liquidation: bool,
        ins: InstrumentId,
        side: Side,
        limit: Option<Price>,
        market: bool,
    ) -> Result<Option<Price>, VenueError> {
        let band = if liquidation { self.liquidation_band(ins)? } else { self.trading_band(ins)? };
        let Some((lo, hi)) = band else { return Ok(limit) };
        let edge = match side {
            Side::Buy => hi,
            Side::Sell => lo,
        };
        let beyond = |p: Price| match side {
            Side::Buy => p > hi,
            Side::Sell => p < lo,
        };
        match limit {
            None => Ok(Some(edge)),
            Some(p) if !beyond(p) => Ok(Some(p)),
            Some(_) if market || liquidation => Ok(Some(edge)),
            Some(p) => Err(VenueError::OutsideBand { price: p.0, lo: lo.0, hi: hi.0 }),
        }
    }

    /// The most of `qty` the pacing cap lets the liquidation engine close on `ins` now (whole
    /// lots; zero once the interval's notional is used up). `qty` when there is no cap.
    pub(super) fn paced_qty(&self, ins: InstrumentId, qty: Qty, mark: Price) -> Result<Qty, VenueError> {
        let Some(p) = self.config.safeguards.pacing else { return Ok(qty) };
        let Some(cap) = p.max_notional else { return Ok(qty) };
        let m = &self.markets[usize::from(ins.0)];
        let interval = self.now_ms / p.interval_ms.max(1);
        let used = if m.pace.interval == interval { m.pace.used } else { Cash::ZERO };
        let room = i128::from(cap.0) - i128::from(used.0);
        if room <= 0 {
            return Ok(Qty::ZERO);
        }
        let lot = m.instrument.spec().lot;
        let unit = m.instrument.value(mark, lot, Round::Ceil).map_err(overflow("lot value"))?;
        let lots = room / i128::from(unit.0.max(1));
        let allowed = i64::try_from(lots.saturating_mul(i128::from(lot.0))).unwrap_or(i64::MAX);
        Ok(Qty(qty.0.min(allowed)))
    }

    /// Whether a takeover of `qty` on `ins` (which pacing cannot split) may happen now: it fits
    /// the room left in the interval, or nothing has been liquidated in the interval yet (so an
    /// account larger than the cap is not held back for ever).
    pub(super) fn takeover_fits_pace(
        &self,
        ins: InstrumentId,
        qty: Qty,
        mark: Price,
    ) -> Result<bool, VenueError> {
        let Some(p) = self.config.safeguards.pacing else { return Ok(true) };
        let Some(cap) = p.max_notional else { return Ok(true) };
        let m = &self.markets[usize::from(ins.0)];
        let interval = self.now_ms / p.interval_ms.max(1);
        let used = if m.pace.interval == interval { m.pace.used } else { Cash::ZERO };
        if used.is_zero() {
            return Ok(true);
        }
        let value = m.instrument.value(mark, qty, Round::Floor).map_err(overflow("takeover value"))?;
        Ok(i128::from(used.0) + i128::from(value.0) <= i128::from(cap.0))
    }

    /// Counts `notional` liquidated on `ins` against the current pacing interval.
    pub(super) fn pace_used(&mut self, ins: InstrumentId, notional: Cash) -> Result<(), VenueError> {
        let Some(p) = self.config.safeguards.pacing else { return Ok(()) };
        let interval = self.now_ms / p.interval_ms.max(1);
        let m = &mut self.markets[usize::from(ins.0)];
        if m.pace.interval != interval {
            m.pace = PaceState { interval, used: Cash::ZERO };
        }
        m.pace.used = m.pace.used.checked_add(notional).map_err(overflow("paced notional"))?;
        Ok(())
    }

    /// Whether `acct` waits out the pacing cooldown on `ins`.
    pub(super) fn pace_cooling(&self, acct: AccountId, ins: InstrumentId) -> bool {
        self.pace_cooldown.get(&(acct, ins)).is_some_and(|&until| self.now_ms < until)
    }

    /// Starts `acct`'s pacing cooldown on `ins` after a liquidation step.
    pub(super) fn pace_cool(&mut self, acct: AccountId, ins: InstrumentId) {
        if let Some(p) = self.config.safeguards.pacing
            && p.cooldown_ms > 0
        {
            self.pace_cooldown.insert((acct, ins), self.now_ms.saturating_add(p.cooldown_ms));
        }
    }

    /// The external backstop refills `ins`'s insurance fund up to its threshold, as far as its
    /// capital goes, through a ledger deposit into the fund. Returns what it paid.
    pub(super) fn external_backstop(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Cash, VenueError> {
        let Some(b) = self.config.safeguards.backstop else { return Ok(Cash::ZERO) };
        let fund = self.markets[usize::from(ins.0)].fund;
        let balance = self.ledger.fund(fund)?.balance;
        if balance >= b.when_below || !self.external_left.is_positive() {
            return Ok(Cash::ZERO);
        }
        let pay = Cash(b.when_below.0 - balance.0).min(self.external_left);
        self.ledger.seed_fund(fund, pay)?;
        self.external_left = Cash(self.external_left.0 - pay.0);
        events.push(VenueEvent::FundBackstop { instrument: ins, amount: pay });
        Ok(pay)
    }

    /// What is left of the external backstop's capital.
    #[must_use]
    pub fn external_backstop_left(&self) -> Cash {
        self.external_left
    }

    /// Whether the fund of `ins` is at or above the ADL threshold (ADL then does not run: the
    /// fund takes the bankrupt remainder over).
    pub(super) fn fund_above_adl_threshold(&self, ins: InstrumentId) -> Result<bool, VenueError> {
        let Some(t) = self.config.safeguards.adl_fund_threshold else { return Ok(false) };
        let fund = self.markets[usize::from(ins.0)].fund;
        Ok(self.ledger.fund(fund)?.balance >= t)
    }
}
