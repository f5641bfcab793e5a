//! Accounts that wait on a hollow book, set aside while what they wait on holds.
//!
//! Hyperliquid sends a liquidatable account's closing order to the book and, when nothing
//! inside the band meets it and the vault will not take the account over, does nothing: the
//! account waits for the next block. In a crash thousands of accounts wait like this for
//! minutes, and every pass visited each of them again (10 October 2025 at full scale, seed 1:
//! 41M candidates, 20M waterfalls that left the account as it was).
//!
//! After such a visit the account is *set aside* (`LiquidationIndex::wait`): it stays an entry
//! of the index for everything else, and a pass's list still holds it in its place, marked.
//! Another visit would change nothing while all of these hold:
//!
//! * its record and orders are unchanged: any re-index, dirty mark (a trade, funding) or order
//!   of its own puts it back (hooks in `margin.rs`, [`Venue::mark_dirty`], the order path);
//! * the vault's equity is at most its maintenance, so it refuses every takeover, and its
//!   closing market order meets nothing inside the band: both read where the pass reaches the
//!   account ([`Venue::aside_still_waits`]; inside a pass bids and asks only go, and the vault
//!   changes only when someone is liquidated), so when a bid comes the pass visits the set-aside
//!   accounts in order until it is taken, as it would have;
//! * its equity is not negative (then it would go to ADL): put back at a pass whose mark is at
//!   its wake price, a tick short of its bankruptcy price (equity is monotone in the mark);
//! * it is in its slice cooldown (put back when the cooldown ends), or it goes whole at every
//!   mark it can wait at (a short is put back where its notional would make it a slice);
//! * it is liquidatable: it is set aside only where its margin table is continuous and one
//!   price unit of it moves `equity − maintenance` by more than rounding can, so it is
//!   liquidatable at every mark past its liquidation price (its trigger less the index's unit);
//!   at the trigger itself it is visited as before.
//!
//! Being liquidatable there, the pass would have stepped it (one step per block), which is how
//! a pass treats an account put back in its middle exactly as the visit it skipped
//! ([`Venue::take_woken`]). Only venues with this rule set (book market orders, a vault below a
//! fraction of maintenance, slices with a cooldown) and no pacing set accounts aside. Outputs
//! are those of visiting every account: property-tested against a venue that does not set
//! aside, and the 10 October runs are byte-identical.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasherDefault;

use crate::book::Side;
use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::num::{Cash, Price, Round};
use crate::position::{MarginMode, Position};
use crate::risk::index::{IdHasher, underwater_rank};
use crate::risk::rules::{Execution, PartialRule};

use super::margin::{Figures, MarginState};
use super::{Venue, VenueError, overflow};

/// Least value of one price unit of a position, cash units, for its liquidatable region to be
/// read off its liquidation price: `equity − maintenance` then moves by at least
/// `(1 − rate) × unit − 2 ≥ 1` per unit whatever the rounding (rates below 1/2).
const MIN_UNIT_VALUE: Cash = Cash(16);

/// One set-aside account.
#[derive(Debug, Clone, Copy)]
struct Wait {
    ins: InstrumentId,
    long: bool,
    /// Its trigger in the index.
    trigger: Price,
    /// Put back once the mark reaches this (at or below it for a long, at or above for a short).
    wake: Price,
    /// Put back once the time reaches this (its slice cooldown's end).
    until: Option<u64>,
}

/// One market's set-aside accounts, ordered by what puts them back: `[0]` longs, `[1]` shorts.
#[derive(Debug, Clone, Default)]
struct MarketWaits {
    wake: [BTreeSet<(Price, AccountId)>; 2],
    until: BTreeSet<(u64, AccountId)>,
}

impl MarketWaits {
    fn is_empty(&self) -> bool {
        self.wake[0].is_empty() && self.wake[1].is_empty()
    }
}

/// What a round has read of the vault and of the book's two sides (see
/// [`Venue::aside_still_waits`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct AsideCache {
    pub(super) vault: Option<bool>,
    pub(super) book: [Option<bool>; 2],
}

/// An account put back: (market, long, the trigger it waited with, account).
pub(super) type Woken = (InstrumentId, bool, Price, AccountId);

/// The venue's set-aside accounts.
#[derive(Debug, Clone, Default)]
pub(super) struct Waiting {
    /// Looked up by account only (never iterated, so its order reaches no output).
    entries: HashMap<AccountId, Wait, BuildHasherDefault<IdHasher>>,
    markets: Vec<MarketWaits>,
    /// Accounts put back since the pass last looked, with the key they waited under.
    pub(super) woken: Vec<Woken>,
}

impl Waiting {
    /// Whether `ins` has accounts set aside.
    pub(super) fn holds(&self, ins: InstrumentId) -> bool {
        self.markets.get(usize::from(ins.0)).is_some_and(|m| !m.is_empty())
    }
}

/// Whether accounts are set aside at all (test builds can switch it off, to run a venue that
/// visits every waiting account, and compare).
#[inline]
fn enabled() -> bool {
    #[cfg(test)]
    {
        !tests::OFF.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

impl Venue {
    /// Whether this venue sets waiting accounts aside (see the module docs).
    pub(super) fn sets_aside(&self) -> bool {
        let r = self.config.rules;
        enabled()
            && matches!(r.execution, Execution::BookMarket)
            && r.backstop_below.is_some()
            && matches!(r.partial, PartialRule::Slice { .. })
            && self.config.safeguards.pacing.is_none()
            && !self.margin_added_unindexed
    }

    /// Number of accounts set aside now.
    #[must_use]
    pub fn waiting_accounts(&self) -> usize {
        self.waiting.entries.len()
    }

    /// Marks `a` to be re-indexed before the next pass; a set-aside account is put back.
    pub(super) fn mark_dirty(&mut self, a: AccountId) {
        self.dirty.insert(a);
        self.wake_account(a);
    }

    /// Puts `acct` back if it is set aside (its record or orders are about to change).
    pub(super) fn wake_account(&mut self, acct: AccountId) {
        if self.waiting.entries.is_empty() {
            return;
        }
        if let Some(w) = self.waiting.entries.remove(&acct) {
            self.put_back(acct, w);
            self.waiting.woken.push((w.ins, w.long, w.trigger, acct));
        }
    }

    /// Puts `acct` back because the pass reached it while what it waits on no longer holds:
    /// the pass visits it there.
    pub(super) fn wake_to_visit(&mut self, acct: AccountId) {
        if let Some(w) = self.waiting.entries.remove(&acct) {
            self.put_back(acct, w);
        }
    }

    /// Puts back every set-aside account (before anyone reads the index from outside).
    pub(super) fn wake_everyone(&mut self) {
        for i in 0..self.waiting.markets.len() {
            self.wake_market(InstrumentId(i as u16));
        }
        self.waiting.woken.clear();
    }

    /// Puts back every account set aside on `ins`.
    fn wake_market(&mut self, ins: InstrumentId) {
        let Some(m) = self.waiting.markets.get(usize::from(ins.0)) else { return };
        let all: Vec<AccountId> = m.wake.iter().flat_map(|s| s.iter().map(|&(_, a)| a)).collect();
        for a in all {
            self.wake_account(a);
        }
    }

    fn put_back(&mut self, acct: AccountId, w: Wait) {
        let side = usize::from(!w.long);
        let m = &mut self.waiting.markets[usize::from(w.ins.0)];
        m.wake[side].remove(&(w.wake, acct));
        if let Some(t) = w.until {
            m.until.remove(&(t, acct));
        }
        self.markets[usize::from(w.ins.0)].index.unwait(w.long, w.trigger, acct);
    }

    /// At the start of a pass on `ins` at `mark`: puts back every account of the market whose
    /// own conditions may have failed since it was set aside: the mark at its wake price, or its
    /// cooldown over. (The mark back above a long's liquidation price is seen where the pass
    /// meets the account, if it does; the vault and the book too: [`Venue::aside_still_waits`].)
    pub(super) fn wake_due(&mut self, ins: InstrumentId, mark: Price) {
        if !self.waiting.holds(ins) {
            return;
        }
        let m = &self.waiting.markets[usize::from(ins.0)];
        let mut due: Vec<AccountId> = Vec::new();
        due.extend(m.wake[0].range((mark, AccountId(0))..).map(|&(_, a)| a));
        due.extend(m.wake[1].range(..=(mark, AccountId(u32::MAX))).map(|&(_, a)| a));
        due.extend(m.until.range(..=(self.now_ms, AccountId(u32::MAX))).map(|&(_, a)| a));
        for a in due {
            self.wake_account(a);
        }
    }

    /// Whether a set-aside account on `ins` (a long if `long`) that a pass reaches still waits:
    /// the vault refuses every takeover and its closing order meets nothing. `cache` keeps the
    /// answers within a round until something acts (`None` after an act): inside a pass the
    /// mark does not move, bids and asks only go, and the vault changes only when an account
    /// is liquidated.
    pub(super) fn aside_still_waits(
        &mut self,
        ins: InstrumentId,
        long: bool,
        cache: &mut AsideCache,
    ) -> Result<bool, VenueError> {
        let vault = match cache.vault {
            Some(v) => v,
            None => {
                let v = self.vault_refuses_all(ins)?;
                cache.vault = Some(v);
                v
            }
        };
        if !vault {
            return Ok(false);
        }
        let side = usize::from(!long);
        let book = match cache.book[side] {
            Some(b) => b,
            None => {
                let b = self.closing_order_meets_nothing(ins, long)?;
                cache.book[side] = Some(b);
                b
            }
        };
        Ok(book)
    }

    /// Whether the vault refuses every takeover on `ins`'s settle asset: its equity is at most
    /// its maintenance, so with any liquidatable account's (equity below maintenance) the sum
    /// is too. Not while the vault is not opened yet: the first takeover it is asked for opens
    /// it (an account of the ledger), which a skipped visit would not.
    pub(super) fn vault_refuses_all(&mut self, ins: InstrumentId) -> Result<bool, VenueError> {
        let Some(vault) = self.backstop else { return Ok(false) };
        let asset = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let ours = self.vault_maintenance(vault, asset)?;
        Ok(ours.equity <= ours.maintenance)
    }

    /// Whether a liquidation's market order closing a position in `ins` (a long's sell, a
    /// short's buy) would expire with nothing filled: no opposite quote at all, or none inside
    /// the order's price limit (the market band, then the liquidation band, as [`Venue::send`]
    /// draws them for a liquidation). On 10 Oct 2025 at full scale, Hyperliquid's waterfall met
    /// this 16.5M times: books whose bids stood beyond the band for minutes while thousands of
    /// accounts waited on them; such an order is not sent, and such accounts are set aside.
    pub(super) fn closing_order_meets_nothing(
        &self,
        ins: InstrumentId,
        long: bool,
    ) -> Result<bool, VenueError> {
        let book = &self.markets[usize::from(ins.0)].book;
        let (side, best) = if long { (Side::Sell, book.best_bid()) } else { (Side::Buy, book.best_ask()) };
        let Some(best) = best else { return Ok(true) };
        // Without a reference the order is sent and refused there.
        let limit = match self.market_limit(ins, side) {
            Ok(l) => self.banded_limit_for(true, ins, side, l, true)?,
            Err(VenueError::NoReferencePrice) => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(match (side, limit) {
            (_, None) => false,
            (Side::Sell, Some(l)) => best < l,
            (Side::Buy, Some(l)) => best > l,
        })
    }

    /// The margin state of one position `p` backed by `collateral` if its mark were `x`, as
    /// [`Venue::position_maintenance`] reads it at the mark.
    fn margin_at(&self, p: &Position, collateral: Cash, x: Price) -> Result<MarginState, VenueError> {
        let mut s = MarginState { equity: collateral, ..MarginState::default() };
        self.add_position_at(&mut s, p, x, Figures::Maintenance)?;
        Ok(s)
    }

    /// After a waterfall on `acct`'s position in `ins` that left everything as it was
    /// (`state`: its margin state, read at `mark` before): sets the account aside if every
    /// watched condition holds (module docs).
    pub(super) fn maybe_set_aside(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        state: &MarginState,
        mark: Price,
    ) -> Result<(), VenueError> {
        if state.equity.is_negative() || !state.liquidatable() {
            return Ok(());
        }
        let idx = usize::from(ins.0);
        let m = &self.markets[idx];
        if !matches!(m.tiers.continuous(), Ok(true)) || self.is_halted(idx) {
            return Ok(());
        }
        let settle = m.instrument.settle_asset();
        let a = self.ledger.account(acct)?;
        let p = match a.positions() {
            [p] if p.instrument == ins && !p.size.is_zero() && p.untriggered == 0 && p.trigger != 0 => *p,
            _ => return Ok(()),
        };
        // No collateral to convert, no order to cancel (the markets its word names are a
        // superset: asked, as the waterfall asks them).
        let orders = self.order_markets.may_hold(acct, self.markets.len()).any(|i| {
            let m = &self.markets[usize::from(i.0)];
            m.book.has_orders(acct) || m.stops.has_orders(acct)
        });
        if orders || a.balances().iter().any(|&(asset, c)| asset != settle && c.is_positive()) {
            return Ok(());
        }
        let long = p.size.is_positive();
        if long != (p.trigger > 0) {
            return Ok(());
        }
        if !self.vault_refuses_all(ins)? || !self.closing_order_meets_nothing(ins, long)? {
            return Ok(());
        }
        let m = &self.markets[idx];
        let collateral = if p.mode == MarginMode::Isolated {
            p.isolated_margin
        } else {
            self.pool_collateral(acct, settle)?
        };
        let at = |x: Price| self.margin_at(&p, collateral, x);
        // Surely liquidatable at every mark from its liquidation price (the trigger less the
        // unit the index adds) down (up, for a short): the exact check says so there, and
        // `equity − maintenance` moves by at least `MIN_UNIT_VALUE` per price unit, so rounding
        // cannot make it turn back. The mark back beyond it, the trigger is reached and the
        // pass visits it (`liquidation_pass`).
        let edge = if long { Price(p.trigger - 1) } else { Price(-p.trigger + 1) };
        let unit = m.instrument.value(Price(1), p.size.abs(), Round::Floor).map_err(overflow("notional"))?;
        let covers_mark = if long { edge >= mark } else { edge <= mark };
        if !covers_mark || unit < MIN_UNIT_VALUE || !at(edge)?.liquidatable() {
            return Ok(());
        }
        // Where its equity may turn negative (then it goes to ADL): a tick short of its
        // bankruptcy price, checked exactly one unit further (equity is monotone in the mark).
        let tick = m.instrument.spec().tick.0;
        let bp = self.bankruptcy_price(acct, ins, mark)?;
        let mut wake = if long { Price(bp.0.saturating_add(tick)) } else { Price((bp.0 - tick).max(0)) };
        let first_waiting = if long { Price(wake.0 + 1) } else { Price(wake.0 - 1) };
        if first_waiting.0 <= 0 || at(first_waiting)?.equity.is_negative() {
            return Ok(());
        }
        // Whole or sliced: in its cooldown it goes whole and is put back when that ends;
        // otherwise it must go whole at every mark it may wait at.
        let until = self.cooldown.get(&(acct, ins)).copied().filter(|&u| self.now_ms < u);
        if until.is_none()
            && let PartialRule::Slice { above, .. } = self.config.rules.partial
        {
            if long {
                // The highest mark it waits at is its edge.
                let top =
                    m.instrument.value(edge, p.size.abs(), Round::Floor).map_err(overflow("notional"))?;
                if top > above {
                    return Ok(());
                }
            } else {
                // The highest mark at which it still goes whole.
                let whole = m
                    .instrument
                    .price_for_value(above, p.size.abs(), Round::Floor)
                    .map_err(overflow("notional"))?;
                wake = wake.min(Price(whole.0.saturating_sub(tick)));
            }
        }
        // Set aside only where the wake price is not already reached.
        let reached = if long { mark <= wake } else { mark >= wake };
        if reached {
            return Ok(());
        }
        if !self.markets[idx].index.wait(long, Price(p.trigger.abs()), acct) {
            return Ok(());
        }
        if self.waiting.markets.len() <= idx {
            self.waiting.markets.resize_with(self.markets.len(), MarketWaits::default);
        }
        let side = usize::from(!long);
        let mw = &mut self.waiting.markets[idx];
        mw.wake[side].insert((wake, acct));
        if let Some(u) = until {
            mw.until.insert((u, acct));
        }
        self.waiting.entries.insert(acct, Wait { ins, long, trigger: Price(p.trigger.abs()), wake, until });
        Ok(())
    }

    /// Inside a pass on `ins`: what to do with the accounts put back (by a change to their
    /// record or orders) since the pass last looked. The pass would have visited each at its
    /// place in the first round's order and stepped it (it was liquidatable there). One put
    /// back ahead of the place the first round has reached (`cursor`, a key of
    /// [`underwater_rank`]) is still in the round's list, marked as set aside: it goes to
    /// `visit`, and the pass visits it when it gets there. Any other is marked stepped, as
    /// that visit would have left it. Accounts of other markets are back in their own index,
    /// for their own next pass.
    pub(super) fn take_woken(
        &mut self,
        ins: InstrumentId,
        mark: Price,
        cursor: Option<(bool, i64, i64)>,
        visit: &mut Vec<AccountId>,
        stepped: &mut super::liquidation::Stepped,
    ) {
        for (wins, long, trigger, acct) in self.waiting.woken.drain(..) {
            if wins != ins {
                continue;
            }
            // Only one the pass met liquidatable (its mark short of its trigger) was stepped.
            if if long { mark >= trigger } else { mark <= trigger } {
                continue;
            }
            match cursor {
                Some(c) if underwater_rank(long, trigger, acct) > c => visit.push(acct),
                _ => {
                    stepped.insert(acct);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
