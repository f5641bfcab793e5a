//! Stop orders waiting for a reference price: stop-market and stop-limit orders that become
//! ordinary orders when the last trade price or the mark price reaches their trigger.
//!
//! A buy stop fires when the reference rises to or above its trigger, a sell stop when it falls
//! to or below. Pending stops sit in four ordered queues (trigger source × side) keyed by
//! (trigger, arrival), so a price update pops exactly the fired ones in O(k log n) and never
//! scans the rest. This module only holds and releases stops; the venue turns a fired stop's
//! [`NewOrder`] into a submission (it was validated against the book's tick and lot on entry, so
//! the submission cannot fail on them).

use std::collections::BTreeMap;

use crate::num::{Price, Qty};

use super::arena::NIL;
use super::order::{AccountId, NewOrder, Side};
use super::{BookError, DEFAULT_MAX_ACCOUNT, validate_order};

/// The reference price a stop watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The last trade price on this venue.
    Last,
    /// The mark price (what liquidations use), so a wick on the book alone does not fire it.
    Mark,
}

impl Trigger {
    const fn idx(self) -> usize {
        match self {
            Self::Last => 0,
            Self::Mark => 1,
        }
    }
}

/// Handle of a pending stop: slot and generation, so stale ids are detected (as [`super::OrderId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StopId(pub u64);

impl StopId {
    const fn new(slot: u32, generation: u32) -> Self {
        Self(((generation as u64) << 32) | slot as u64)
    }
    const fn slot(self) -> u32 {
        (self.0 & 0xFFFF_FFFF) as u32
    }
    const fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// A stop order: the order to submit once the trigger source reaches the trigger price.
/// `order.limit == None` makes a stop-market order, `Some` a stop-limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StopOrder {
    /// Which reference price is watched.
    pub trigger: Trigger,
    /// The trigger level; any positive price (marks may be finer than the tick).
    pub trigger_price: Price,
    /// The order released when it fires (its side also sets the trigger direction).
    pub order: NewOrder,
}

/// A stop together with its id, as released by [`StopBook::triggered`] or
/// [`StopBook::cancel_all`] or listed by [`StopBook::orders_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StopEntry {
    /// The stop's id (stale once released).
    pub id: StopId,
    /// The stop.
    pub stop: StopOrder,
}

#[derive(Debug, Clone)]
struct Pending {
    stop: StopOrder,
    seq: u64,
    acct_prev: u32,
    acct_next: u32,
}

#[derive(Debug, Clone)]
struct Slot {
    generation: u32,
    pending: Option<Pending>,
}

/// Queue key: (trigger price signed so that the first key fires first, arrival).
type Key = (i64, u64);

/// Pending stop orders of one instrument.
#[derive(Debug, Clone)]
pub struct StopBook {
    tick: Price,
    lot: Qty,
    max_account: u32,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// `[trigger][side]`: buys keyed by +trigger, sells by −trigger, both popped from the front.
    queues: [[BTreeMap<Key, u32>; 2]; 2],
    account_heads: Vec<u32>,
    seq: u64,
    len: usize,
}

impl StopBook {
    /// An empty stop book for a book with this tick and lot.
    ///
    /// # Errors
    /// [`BookError::InvalidTick`] or [`BookError::InvalidLot`] if either is not positive.
    pub fn new(tick: Price, lot: Qty) -> Result<Self, BookError> {
        if !tick.is_positive() {
            return Err(BookError::InvalidTick(tick));
        }
        if !lot.is_positive() {
            return Err(BookError::InvalidLot(lot));
        }
        Ok(Self {
            tick,
            lot,
            max_account: DEFAULT_MAX_ACCOUNT,
            slots: Vec::new(),
            free: Vec::new(),
            queues: Default::default(),
            account_heads: Vec::new(),
            seq: 0,
            len: 0,
        })
    }

    /// The same stop book accepting account ids up to `max`.
    #[must_use]
    pub fn with_max_account(mut self, max: u32) -> Self {
        self.max_account = max;
        self
    }

    /// Number of pending stops.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no stop is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a stop; it waits until [`StopBook::triggered`] releases it or it is cancelled.
    /// A stop whose trigger is already reached is accepted and fires at the next update of its
    /// source (the venue decides whether to refuse such stops, as Binance does).
    ///
    /// # Errors
    /// [`BookError::NonPositivePrice`] for a trigger price ≤ 0; the order-level errors of
    /// [`super::Book::submit`] for the released order's quantity, limit and time in force;
    /// [`BookError::AccountOutOfRange`]; [`BookError::Full`].
    pub fn place(&mut self, stop: StopOrder) -> Result<StopId, BookError> {
        if !stop.trigger_price.is_positive() {
            return Err(BookError::NonPositivePrice(stop.trigger_price));
        }
        validate_order(self.tick, self.lot, &stop.order)?;
        let account = stop.order.account;
        if account.0 > self.max_account {
            return Err(BookError::AccountOutOfRange { account, max: self.max_account });
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                let s = u32::try_from(self.slots.len()).map_err(|_| BookError::Full)?;
                if s == NIL {
                    return Err(BookError::Full);
                }
                self.slots.push(Slot { generation: 0, pending: None });
                s
            }
        };
        let seq = self.seq;
        self.seq += 1;
        let a = account.0 as usize;
        if a >= self.account_heads.len() {
            self.account_heads.resize(a + 1, NIL);
        }
        let old_head = self.account_heads[a];
        if old_head != NIL {
            if let Some(p) = self.slots[old_head as usize].pending.as_mut() {
                p.acct_prev = slot;
            }
        }
        self.account_heads[a] = slot;
        let entry = &mut self.slots[slot as usize];
        entry.pending = Some(Pending { stop, seq, acct_prev: NIL, acct_next: old_head });
        self.queues[stop.trigger.idx()][stop.order.side.idx()].insert(key(&stop, seq), slot);
        self.len += 1;
        Ok(StopId::new(slot, entry.generation))
    }

    /// A pending stop, if `id` names one.
    #[must_use]
    pub fn get(&self, id: StopId) -> Option<StopOrder> {
        self.pending(id).map(|p| p.stop)
    }

    /// Removes a pending stop.
    ///
    /// # Errors
    /// [`BookError::UnknownOrder`] (with the raw id) if `id` names no pending stop.
    pub fn cancel(&mut self, id: StopId) -> Result<StopOrder, BookError> {
        if self.pending(id).is_none() {
            return Err(BookError::UnknownStop(id));
        }
        let p = self.release(id.slot()).ok_or(BookError::UnknownStop(id))?;
        let q = &mut self.queues[p.stop.trigger.idx()][p.stop.order.side.idx()];
        q.remove(&key(&p.stop, p.seq));
        Ok(p.stop)
    }

    /// Removes every pending stop of `account`, appending them to `out`; returns how many.
    /// O(k log n) for the account's k stops.
    pub fn cancel_all(&mut self, account: AccountId, out: &mut Vec<StopEntry>) -> usize {
        let mut n = 0;
        loop {
            let head = self.account_heads.get(account.0 as usize).copied().unwrap_or(NIL);
            if head == NIL {
                return n;
            }
            let id = StopId::new(head, self.slots[head as usize].generation);
            let Some(p) = self.release(head) else {
                return n;
            };
            self.queues[p.stop.trigger.idx()][p.stop.order.side.idx()].remove(&key(&p.stop, p.seq));
            out.push(StopEntry { id, stop: p.stop });
            n += 1;
        }
    }

    /// Whether `account` has a pending stop here (what [`StopBook::cancel_all`] would cancel).
    #[must_use]
    pub fn has_orders(&self, account: AccountId) -> bool {
        self.account_heads.get(account.0 as usize).is_some_and(|&h| h != NIL)
    }

    /// The pending stops of an account, most recent first.
    pub fn orders_of(&self, account: AccountId) -> impl Iterator<Item = StopEntry> + '_ {
        let mut cur = self.account_heads.get(account.0 as usize).copied().unwrap_or(NIL);
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let slot = &self.slots[cur as usize];
            let p = slot.pending.as_ref()?;
            let id = StopId::new(cur, slot.generation);
            cur = p.acct_next;
            Some(StopEntry { id, stop: p.stop })
        })
    }

    /// Releases the stops of `source` that `price` fires, appending them to `out`: first buy
    /// stops with trigger ≤ `price` by ascending trigger, then sell stops with trigger ≥ `price`
    /// by descending trigger (the order in which a moving price would cross them), ties by
    /// arrival. Returns how many fired. O(k log n).
    pub fn triggered(&mut self, source: Trigger, price: Price, out: &mut Vec<StopEntry>) -> usize {
        let mut n = 0;
        for (side, threshold) in [(Side::Buy, price.0), (Side::Sell, price.0.saturating_neg())] {
            loop {
                let q = &mut self.queues[source.idx()][side.idx()];
                let Some(entry) = q.first_entry() else {
                    break;
                };
                if entry.key().0 > threshold {
                    break;
                }
                let slot = entry.remove();
                let id = StopId::new(slot, self.slots[slot as usize].generation);
                let Some(p) = self.release(slot) else {
                    continue;
                };
                out.push(StopEntry { id, stop: p.stop });
                n += 1;
            }
        }
        n
    }

    fn pending(&self, id: StopId) -> Option<&Pending> {
        let s = self.slots.get(id.slot() as usize)?;
        if s.generation != id.generation() {
            return None;
        }
        s.pending.as_ref()
    }

    /// Empties a live slot: unlinks it from its account, bumps the generation, frees it.
    /// The caller removes the queue entry. `None` (and no change) for a vacant slot.
    fn release(&mut self, slot: u32) -> Option<Pending> {
        let s = &mut self.slots[slot as usize];
        let p = s.pending.take()?;
        s.generation = s.generation.wrapping_add(1);
        if p.acct_prev == NIL {
            self.account_heads[p.stop.order.account.0 as usize] = p.acct_next;
        } else if let Some(prev) = self.slots[p.acct_prev as usize].pending.as_mut() {
            prev.acct_next = p.acct_next;
        }
        if p.acct_next != NIL {
            if let Some(next) = self.slots[p.acct_next as usize].pending.as_mut() {
                next.acct_prev = p.acct_prev;
            }
        }
        self.free.push(slot);
        self.len -= 1;
        Some(p)
    }
}

fn key(stop: &StopOrder, seq: u64) -> Key {
    let p = stop.trigger_price.0;
    match stop.order.side {
        Side::Buy => (p, seq),
        // Trigger prices are positive, so the negation is exact.
        Side::Sell => (-p, seq),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{Stp, TimeInForce};

    fn stop(account: u32, side: Side, trigger: Trigger, at: i64) -> StopOrder {
        StopOrder {
            trigger,
            trigger_price: Price(at),
            order: NewOrder::market(AccountId(account), side, Qty(1)),
        }
    }

    fn fire(sb: &mut StopBook, source: Trigger, px: i64) -> Vec<(StopId, i64)> {
        let mut out = Vec::new();
        sb.triggered(source, Price(px), &mut out);
        out.into_iter().map(|e| (e.id, e.stop.trigger_price.0)).collect()
    }

    #[test]
    fn buy_stops_fire_on_rise_sell_stops_on_fall_in_trigger_then_arrival_order() {
        let mut sb = StopBook::new(Price(1), Qty(1)).unwrap();
        let b105 = sb.place(stop(1, Side::Buy, Trigger::Last, 105)).unwrap();
        let b102 = sb.place(stop(2, Side::Buy, Trigger::Last, 102)).unwrap();
        let b102_late = sb.place(stop(3, Side::Buy, Trigger::Last, 102)).unwrap();
        let b110 = sb.place(stop(4, Side::Buy, Trigger::Last, 110)).unwrap();
        let s95 = sb.place(stop(5, Side::Sell, Trigger::Last, 95)).unwrap();
        let s98 = sb.place(stop(6, Side::Sell, Trigger::Last, 98)).unwrap();
        let s98_late = sb.place(stop(7, Side::Sell, Trigger::Last, 98)).unwrap();

        assert_eq!(fire(&mut sb, Trigger::Last, 101), vec![]);
        assert_eq!(fire(&mut sb, Trigger::Last, 99), vec![]);
        // The rise to 105 fires 102, 102 (arrival order), 105; not 110.
        assert_eq!(fire(&mut sb, Trigger::Last, 105), vec![(b102, 102), (b102_late, 102), (b105, 105)]);
        // A fall to 95 fires 98, 98 (arrival), then 95.
        assert_eq!(fire(&mut sb, Trigger::Last, 95), vec![(s98, 98), (s98_late, 98), (s95, 95)]);
        assert_eq!(sb.len(), 1);
        assert_eq!(sb.get(b110).map(|s| s.trigger_price), Some(Price(110)));
        assert_eq!(sb.get(b105), None, "fired stops are gone");
    }

    #[test]
    fn last_and_mark_triggers_are_independent() {
        let mut sb = StopBook::new(Price(1), Qty(1)).unwrap();
        let on_last = sb.place(stop(1, Side::Sell, Trigger::Last, 90)).unwrap();
        let on_mark = sb.place(stop(1, Side::Sell, Trigger::Mark, 90)).unwrap();
        // A wick in the last price to 85 fires only the last-price stop.
        assert_eq!(fire(&mut sb, Trigger::Last, 85), vec![(on_last, 90)]);
        assert_eq!(fire(&mut sb, Trigger::Mark, 91), vec![]);
        assert_eq!(fire(&mut sb, Trigger::Mark, 90), vec![(on_mark, 90)]);
        assert!(sb.is_empty());
    }

    #[test]
    fn cancel_by_id_and_by_account_and_stale_ids() {
        let mut sb = StopBook::new(Price(1), Qty(1)).unwrap();
        let a = sb.place(stop(1, Side::Buy, Trigger::Mark, 100)).unwrap();
        let b = sb.place(stop(2, Side::Buy, Trigger::Mark, 101)).unwrap();
        let c = sb.place(stop(1, Side::Sell, Trigger::Last, 90)).unwrap();
        let d = sb.place(stop(1, Side::Buy, Trigger::Last, 120)).unwrap();
        assert_eq!(sb.cancel(a).map(|s| s.trigger_price), Ok(Price(100)));
        assert_eq!(sb.cancel(a), Err(BookError::UnknownStop(a)));
        // The freed slot is reused; the old id must not reach the new stop.
        let e = sb.place(stop(3, Side::Sell, Trigger::Mark, 80)).unwrap();
        assert_eq!(e.slot(), a.slot());
        assert_eq!(sb.get(a), None);
        assert!(sb.cancel(a).is_err());

        let ids: Vec<_> = sb.orders_of(AccountId(1)).map(|s| s.id).collect();
        assert_eq!(ids, vec![d, c]);
        let mut out = Vec::new();
        assert_eq!(sb.cancel_all(AccountId(1), &mut out), 2);
        assert_eq!(out.iter().map(|s| s.id).collect::<Vec<_>>(), vec![d, c]);
        assert_eq!(sb.orders_of(AccountId(1)).count(), 0);
        assert_eq!(sb.len(), 2);
        // Cancelled stops no longer fire.
        assert_eq!(fire(&mut sb, Trigger::Last, 1), vec![]);
        assert_eq!(fire(&mut sb, Trigger::Mark, 200), vec![(b, 101)]);
        assert_eq!(fire(&mut sb, Trigger::Mark, 80), vec![(e, 80)]);
        assert!(sb.is_empty());
    }

    #[test]
    fn stops_are_validated_on_entry() {
        let mut sb = StopBook::new(Price(10), Qty(5)).unwrap();
        let mut s = stop(1, Side::Buy, Trigger::Last, 105);
        s.order.qty = Qty(5);
        assert!(sb.place(s).is_ok(), "the trigger may be finer than the tick");
        s.trigger_price = Price(0);
        assert_eq!(sb.place(s), Err(BookError::NonPositivePrice(Price(0))));
        s.trigger_price = Price(100);
        s.order.qty = Qty(7);
        assert!(matches!(sb.place(s), Err(BookError::QtyNotLotMultiple { .. })));
        s.order.qty = Qty(5);
        s.order.limit = Some(Price(101));
        s.order.tif = TimeInForce::Gtc;
        assert!(matches!(sb.place(s), Err(BookError::PriceNotTickMultiple { .. })));
        s.order.limit = None;
        assert_eq!(sb.place(s), Err(BookError::MarketOrderMustBeImmediate));
        s.order.limit = Some(Price(110));
        s.order.stp = Stp::ExpireBoth;
        assert!(sb.place(s).is_ok(), "a stop-limit GTC order is fine");
        assert_eq!(sb.len(), 2);
    }
}
