//! Matching: new orders and amendments against the opposite side, best price first and FIFO
//! within a price, never outside the taker's limit, always at the maker's price.
//!
//! Self-trade prevention is applied per resting order met on the way; FOK is decided before
//! anything changes, so a killed FOK leaves no trace but its event.

use crate::num::{Price, Qty};

use super::arena::NIL;
use super::level;
use super::order::{
    AccountId, AmendOutcome, BookEvent, ExpireReason, Fate, NewOrder, OrderId, Side, Stp, SubmitOutcome,
    TimeInForce,
};
use super::{Book, BookError, validate_price, validate_qty};

/// The incoming side of a match.
#[derive(Debug, Clone, Copy)]
struct Taker {
    order: OrderId,
    account: AccountId,
    side: Side,
    limit: Option<Price>,
    stp: Stp,
}

impl Book {
    /// Matches a new order and, if its time in force allows, rests the remainder.
    ///
    /// Events are appended to `events` in the order they happen: fills (and makers expired by
    /// self-trade prevention) best price first, then `Placed` or `TakerExpired` for the
    /// remainder. Every accepted order gets an id, which stays valid only if the order rests.
    ///
    /// # Errors
    /// The order is refused, and nothing changes, if its quantity is not a positive multiple of
    /// the lot ([`BookError::NonPositiveQty`], [`BookError::QtyNotLotMultiple`]), its limit is
    /// not a positive multiple of the tick ([`BookError::NonPositivePrice`],
    /// [`BookError::PriceNotTickMultiple`]), it is a market order that is not IOC or FOK
    /// ([`BookError::MarketOrderMustBeImmediate`]), its account is above the book's maximum
    /// ([`BookError::AccountOutOfRange`]), the side's resting total could overflow
    /// ([`BookError::Overflow`]) or the arena is full ([`BookError::Full`]).
    pub fn submit(
        &mut self,
        order: NewOrder,
        events: &mut Vec<BookEvent>,
    ) -> Result<SubmitOutcome, BookError> {
        self.validate(&order)?;
        self.room_for(order.side, order.qty)?;
        if let Some(price) = order.limit {
            self.ladder_room(order.side, price)?;
        }
        let id = self.alloc(&order)?;
        let taker =
            Taker { order: id, account: order.account, side: order.side, limit: order.limit, stp: order.stp };
        let early = match order.tif {
            TimeInForce::PostOnly if self.crosses(order.side, order.limit) => {
                Some(ExpireReason::PostOnlyWouldCross)
            }
            TimeInForce::Fok if !self.fok_fillable(&taker, order.qty) => Some(ExpireReason::FillOrKill),
            _ => None,
        };
        if let Some(reason) = early {
            return Ok(self.expire_taker(&taker, Qty::ZERO, order.qty, reason, events));
        }
        let (filled, self_trade) = self.take(&taker, order.qty, events);
        let remaining = Qty(order.qty.0 - filled.0);
        if remaining.is_zero() {
            self.orders.free(id.slot());
            return Ok(SubmitOutcome { order: id, filled, remaining, fate: Fate::Filled });
        }
        let reason = match (self_trade, order.tif, order.limit) {
            (true, _, _) => ExpireReason::SelfTrade,
            (false, TimeInForce::Gtc | TimeInForce::PostOnly, Some(price)) => {
                self.orders.nodes[id.slot() as usize].remaining = remaining;
                self.rest(id.slot(), price);
                events.push(BookEvent::Placed {
                    order: id,
                    account: order.account,
                    side: order.side,
                    price,
                    qty: remaining,
                });
                return Ok(SubmitOutcome { order: id, filled, remaining, fate: Fate::Resting });
            }
            _ => ExpireReason::Unfilled,
        };
        Ok(self.expire_taker(&taker, filled, remaining, reason, events))
    }

    /// Changes a resting order's size and/or price.
    ///
    /// * Same price, smaller size: reduced in place, keeping its time priority.
    /// * Same price and size (or `new_price` equal to the current one with the same size):
    ///   nothing changes.
    /// * Larger size or another price: the order loses priority and goes to the back of its
    ///   (new) level; if the new price crosses the book it first matches as a taker (with its
    ///   own self-trade prevention mode), like exchange-core's "move". It keeps its id.
    ///
    /// `new_qty` is the new *open* quantity (what is still resting), not the original size.
    ///
    /// # Errors
    /// Nothing changes if: the id names no resting order ([`BookError::UnknownOrder`]);
    /// `new_qty` is not a positive multiple of the lot (use [`Book::cancel`] to remove an
    /// order); `new_price` is not a positive multiple of the tick; a post-only order would
    /// cross ([`BookError::PostOnlyWouldCross`]); or the side total could overflow.
    pub fn amend(
        &mut self,
        id: OrderId,
        new_price: Option<Price>,
        new_qty: Qty,
        events: &mut Vec<BookEvent>,
    ) -> Result<AmendOutcome, BookError> {
        let slot = self.orders.slot_of(id).ok_or(BookError::UnknownOrder(id))?;
        let view = self.view(slot).ok_or(BookError::UnknownOrder(id))?;
        validate_qty(self.lot, new_qty)?;
        let price = match new_price {
            Some(p) => {
                validate_price(self.tick, p)?;
                p
            }
            None => view.price,
        };
        let side = view.side;
        let growth = Qty(new_qty.0 - view.remaining.0);
        if growth.is_positive() {
            self.room_for(side, growth)?;
        }
        let li = self.orders.nodes[slot as usize].level;

        if price == view.price {
            let priority_kept = !growth.is_positive();
            if growth.is_zero() {
                return Ok(AmendOutcome {
                    order: id,
                    filled: Qty::ZERO,
                    remaining: new_qty,
                    fate: Fate::Resting,
                    priority_kept,
                });
            }
            let level = self.ladders[side.idx()].level_mut(li);
            if priority_kept {
                self.orders.nodes[slot as usize].remaining = new_qty;
                level.add_total(growth.0);
            } else {
                // Unlink and re-append: the level cannot empty in between.
                level::unlink(&mut self.orders.nodes, level, slot);
                self.orders.nodes[slot as usize].remaining = new_qty;
                level::push_back(&mut self.orders.nodes, level, li, slot);
            }
            self.side_qty[side.idx()] = Qty(self.side_qty[side.idx()].0 + growth.0);
            events.push(BookEvent::Amended {
                order: id,
                account: view.account,
                side,
                price,
                qty: new_qty,
                priority_kept,
            });
            return Ok(AmendOutcome {
                order: id,
                filled: Qty::ZERO,
                remaining: new_qty,
                fate: Fate::Resting,
                priority_kept,
            });
        }

        let crosses = self.crosses(side, Some(price));
        if crosses && view.post_only {
            return Err(BookError::PostOnlyWouldCross(id));
        }
        self.ladder_room(side, price)?;
        self.detach(slot);
        self.orders.nodes[slot as usize].remaining = new_qty;
        let (filled, self_trade) = if crosses {
            let taker = Taker { order: id, account: view.account, side, limit: Some(price), stp: view.stp };
            self.take(&taker, new_qty, events)
        } else {
            (Qty::ZERO, false)
        };
        let remaining = Qty(new_qty.0 - filled.0);
        let fate = if remaining.is_zero() {
            self.orders.free(slot);
            Fate::Filled
        } else if self_trade {
            self.orders.free(slot);
            events.push(BookEvent::TakerExpired {
                order: id,
                account: view.account,
                side,
                remaining,
                reason: ExpireReason::SelfTrade,
            });
            Fate::Expired(ExpireReason::SelfTrade)
        } else {
            self.orders.nodes[slot as usize].remaining = remaining;
            self.rest(slot, price);
            events.push(BookEvent::Amended {
                order: id,
                account: view.account,
                side,
                price,
                qty: remaining,
                priority_kept: false,
            });
            Fate::Resting
        };
        Ok(AmendOutcome { order: id, filled, remaining, fate, priority_kept: false })
    }

    /// Whether an order on `side` limited at `limit` would match the opposite best now.
    #[inline]
    fn crosses(&self, side: Side, limit: Option<Price>) -> bool {
        self.ladders[side.opposite().idx()].best().is_some_and(|(p, _)| side.accepts(limit, p))
    }

    /// Frees the taker's slot and reports its remainder as expired.
    fn expire_taker(
        &mut self,
        t: &Taker,
        filled: Qty,
        remaining: Qty,
        reason: ExpireReason,
        events: &mut Vec<BookEvent>,
    ) -> SubmitOutcome {
        self.orders.free(t.order.slot());
        events.push(BookEvent::TakerExpired {
            order: t.order,
            account: t.account,
            side: t.side,
            remaining,
            reason,
        });
        SubmitOutcome { order: t.order, filled, remaining, fate: Fate::Expired(reason) }
    }

    /// Whether a FOK taker could fill `qty` now: quantity within its limit, skipping the own
    /// orders that `ExpireMaker` would remove and stopping at the first own order where
    /// `ExpireTaker` / `ExpireBoth` would stop the taker. Reads only.
    fn fok_fillable(&self, t: &Taker, qty: Qty) -> bool {
        let opp = &self.ladders[t.side.opposite().idx()];
        // Per-order walk only if the taker's account could meet itself.
        let own_possible = t.stp != Stp::None && self.accounts.head(t.account) != NIL;
        let mut need = qty.0;
        for (price, li) in opp.iter() {
            if !t.side.accepts(t.limit, price) {
                return false;
            }
            let level = opp.level(li);
            if !own_possible {
                need -= level.total().0;
                if need <= 0 {
                    return true;
                }
                continue;
            }
            let mut cur = level.head;
            while cur != NIL {
                let n = &self.orders.nodes[cur as usize];
                if n.account == t.account {
                    if t.stp != Stp::ExpireMaker {
                        return false;
                    }
                } else {
                    need -= n.remaining.0;
                    if need <= 0 {
                        return true;
                    }
                }
                cur = n.next;
            }
        }
        false
    }

    /// Matches `t` for up to `qty` against the opposite side. Returns the quantity filled and
    /// whether self-trade prevention stopped the taker.
    fn take(&mut self, t: &Taker, qty: Qty, events: &mut Vec<BookEvent>) -> (Qty, bool) {
        let opp = t.side.opposite();
        let oi = opp.idx();
        let mut remaining = qty.0;
        let mut stopped = false;
        while remaining > 0 && !stopped {
            let Some((price, li)) = self.ladders[oi].best() else {
                break;
            };
            if !t.side.accepts(t.limit, price) {
                break;
            }
            let mut cur = self.ladders[oi].level(li).head;
            while cur != NIL {
                let (maker_account, next, maker_remaining) = {
                    let n = &self.orders.nodes[cur as usize];
                    (n.account, n.next, n.remaining.0)
                };
                if t.stp != Stp::None && maker_account == t.account {
                    if t.stp == Stp::ExpireTaker {
                        stopped = true;
                        break;
                    }
                    events.push(BookEvent::MakerExpired {
                        order: self.orders.id_of(cur),
                        account: maker_account,
                        side: opp,
                        price,
                        remaining: Qty(maker_remaining),
                    });
                    self.remove_from_level(cur, li, opp);
                    if t.stp == Stp::ExpireBoth {
                        stopped = true;
                        break;
                    }
                    cur = next;
                    continue;
                }
                let q = remaining.min(maker_remaining);
                let left = maker_remaining - q;
                remaining -= q;
                events.push(BookEvent::Fill {
                    maker_order: self.orders.id_of(cur),
                    maker_account,
                    taker_order: t.order,
                    taker_account: t.account,
                    taker_side: t.side,
                    price,
                    qty: Qty(q),
                    maker_remaining: Qty(left),
                });
                if left == 0 {
                    self.remove_from_level(cur, li, opp);
                } else {
                    self.orders.nodes[cur as usize].remaining = Qty(left);
                    self.ladders[oi].level_mut(li).add_total(-q);
                    self.side_qty[oi].0 -= q;
                }
                if remaining == 0 {
                    break;
                }
                cur = next;
            }
            if self.ladders[oi].level(li).count == 0 {
                self.ladders[oi].remove(li);
            }
        }
        (Qty(qty.0 - remaining), stopped)
    }

    /// Removes a maker met while matching from its level (which the caller drops if it
    /// empties) and its account list, and frees its slot.
    #[inline]
    fn remove_from_level(&mut self, slot: u32, li: u32, side: Side) {
        let remaining = self.orders.nodes[slot as usize].remaining;
        level::unlink(&mut self.orders.nodes, self.ladders[side.idx()].level_mut(li), slot);
        self.accounts.unlink(&mut self.orders.nodes, slot);
        self.side_qty[side.idx()].0 -= remaining.0;
        self.side_orders[side.idx()] -= 1;
        self.orders.free(slot);
    }
}
