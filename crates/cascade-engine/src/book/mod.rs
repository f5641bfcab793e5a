//! A single-instrument limit order book with price-time priority, and a stop-order book.
//!
//! The book matches already-validated orders and reports what happened as [`BookEvent`]s. It
//! knows nothing of money, positions, margin or contract specs beyond the tick and the lot; it
//! never allocates per call on the hot path (events go into a caller-owned buffer), never
//! panics on input, and has no clock and no randomness: the same calls give the same events.
//!
//! Layout: orders live in an arena of 40-byte nodes ([`arena`]) threaded into per-level FIFO
//! queues ([`level`]) and per-account lists ([`accounts`]); levels live per side in a paged,
//! tick-indexed ladder ([`level::Ladder`]) with an occupancy bitmap per page. Matching is in [`matching`], read-only queries in [`depth`], stop
//! orders in [`stops`].

mod accounts;
mod arena;
mod depth;
mod error;
mod level;
mod matching;
mod order;
pub mod stops;

pub use depth::{LevelInfo, Levels, Sweep};
pub use error::BookError;
pub use order::{
    AccountId, AmendOutcome, BookEvent, CancelledOrder, ExpireReason, Fate, NewOrder, OrderId, OrderView,
    Side, Stp, SubmitOutcome, TimeInForce,
};
pub use stops::{StopBook, StopEntry, StopId, StopOrder, Trigger};

use crate::num::{Price, Qty};

use accounts::AccountLists;
use arena::{NIL, NodeInit, OrderArena};
use level::Ladder;

/// Account ids accepted by default: up to 2^24 − 1 (16.7 million accounts, at most 64 MiB of
/// list heads). Raise it with [`Book::with_max_account`].
pub const DEFAULT_MAX_ACCOUNT: u32 = (1 << 24) - 1;

/// The order book of one instrument.
#[derive(Debug, Clone)]
pub struct Book {
    tick: Price,
    lot: Qty,
    max_account: u32,
    orders: OrderArena,
    ladders: [Ladder; 2],
    accounts: AccountLists,
    /// Resting quantity per side; kept below `i64::MAX` so no level or depth sum can overflow.
    side_qty: [Qty; 2],
    /// Resting orders per side.
    side_orders: [usize; 2],
}

impl Book {
    /// An empty book whose prices must be multiples of `tick` and quantities of `lot`.
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
            orders: OrderArena::new(),
            ladders: [Ladder::new(Side::Buy, tick), Ladder::new(Side::Sell, tick)],
            accounts: AccountLists::default(),
            side_qty: [Qty::ZERO; 2],
            side_orders: [0; 2],
        })
    }

    /// The same book accepting account ids up to `max` (per-account lists cost 4 bytes per id
    /// up to the largest id seen).
    #[must_use]
    pub fn with_max_account(mut self, max: u32) -> Self {
        self.max_account = max;
        self
    }

    /// The price increment every limit price must be a multiple of.
    #[must_use]
    pub fn tick(&self) -> Price {
        self.tick
    }

    /// The quantity increment every order quantity must be a multiple of.
    #[must_use]
    pub fn lot(&self) -> Qty {
        self.lot
    }

    /// Number of resting orders.
    #[must_use]
    pub fn len(&self) -> usize {
        self.side_orders[0] + self.side_orders[1]
    }

    /// Whether no order rests.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of resting orders on one side.
    #[must_use]
    pub fn order_count(&self, side: Side) -> usize {
        self.side_orders[side.idx()]
    }

    /// Number of non-empty price levels on one side.
    #[must_use]
    pub fn level_count(&self, side: Side) -> usize {
        self.ladders[side.idx()].len()
    }

    /// Total resting quantity on one side.
    #[must_use]
    pub fn side_qty(&self, side: Side) -> Qty {
        self.side_qty[side.idx()]
    }

    /// A resting order, if `id` names one.
    #[must_use]
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        let slot = self.orders.slot_of(id)?;
        self.view(slot)
    }

    /// Whether `account` has a resting order here (what [`Book::cancel_all`] would cancel).
    #[must_use]
    pub fn has_orders(&self, account: AccountId) -> bool {
        self.accounts.head(account) != NIL
    }

    /// The resting orders of an account, most recently placed or moved first.
    pub fn orders_of(&self, account: AccountId) -> impl Iterator<Item = OrderView> + '_ {
        let mut cur = self.accounts.head(account);
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let slot = cur;
            cur = self.orders.nodes[slot as usize].acct_next;
            self.view(slot)
        })
    }

    /// Every account with a resting order, in id order. O(the largest account id seen).
    #[must_use]
    pub fn accounts_with_orders(&self) -> Vec<AccountId> {
        self.accounts.accounts()
    }

    /// Removes a resting order.
    ///
    /// # Errors
    /// [`BookError::UnknownOrder`] if `id` names no resting order (never issued, filled,
    /// cancelled, or a stale id whose slot now holds another order).
    pub fn cancel(&mut self, id: OrderId) -> Result<CancelledOrder, BookError> {
        let slot = self.orders.slot_of(id).ok_or(BookError::UnknownOrder(id))?;
        let view = self.view(slot).ok_or(BookError::UnknownOrder(id))?;
        self.detach(slot);
        self.orders.free(slot);
        Ok(CancelledOrder {
            order: id,
            account: view.account,
            side: view.side,
            price: view.price,
            remaining: view.remaining,
        })
    }

    /// Cancels every resting order of `account` (the first step of a liquidation), pushing one
    /// [`BookEvent::Cancelled`] per order; returns how many. O(the account's orders).
    pub fn cancel_all(&mut self, account: AccountId, events: &mut Vec<BookEvent>) -> usize {
        let mut n = 0;
        loop {
            let slot = self.accounts.head(account);
            if slot == NIL {
                return n;
            }
            let id = self.orders.id_of(slot);
            if let Some(v) = self.view(slot) {
                events.push(BookEvent::Cancelled {
                    order: id,
                    account,
                    side: v.side,
                    price: v.price,
                    remaining: v.remaining,
                });
            }
            self.detach(slot);
            self.orders.free(slot);
            n += 1;
        }
    }

    /// Heap bytes held by the book's structures (arena, ladder pages, account heads). The page
    /// index term is an estimate; `benches/book_memory.rs` measures exactly.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.orders.heap_bytes()
            + self.ladders[0].heap_bytes()
            + self.ladders[1].heap_bytes()
            + self.accounts.heap_bytes()
    }

    /// Checks every internal invariant: queue links and level aggregates, ladder keys, account
    /// lists, side totals, and that the book is not crossed. O(book); for tests and audits.
    ///
    /// # Errors
    /// A description of the first violation found.
    pub fn check_invariants(&self) -> Result<(), String> {
        let nodes = &self.orders.nodes;
        let mut linked = 0usize;
        for side in [Side::Buy, Side::Sell] {
            let ladder = &self.ladders[side.idx()];
            ladder.check()?;
            let mut qty = 0i128;
            let mut count = 0usize;
            let mut last: Option<Price> = None;
            for (price, li) in ladder.iter() {
                if let Some(l) = last {
                    if !Ladder::better(side, l, price) {
                        return Err(format!("{side:?} ladder out of order at {price:?}"));
                    }
                }
                last = Some(price);
                let level = ladder.level(li);
                if ladder.get(price) != Some(li) {
                    return Err(format!("level {li} is not found at its price {price:?}"));
                }
                if level.count == 0 {
                    return Err(format!("empty level left at {price:?}"));
                }
                if price.0 % self.tick.0 != 0 || !price.is_positive() {
                    return Err(format!("off-tick level {price:?}"));
                }
                let (mut sum, mut n, mut prev, mut cur) = (0i128, 0u32, NIL, level.head);
                while cur != NIL {
                    let node = &nodes[cur as usize];
                    if node.side != Some(side) || node.level != li || node.prev != prev {
                        return Err(format!("bad links at slot {cur} in level {price:?}"));
                    }
                    if !node.remaining.is_positive() || node.remaining.0 % self.lot.0 != 0 {
                        return Err(format!("bad remaining {:?} at slot {cur}", node.remaining));
                    }
                    sum += i128::from(node.remaining.0);
                    n += 1;
                    prev = cur;
                    cur = node.next;
                }
                if level.tail != prev {
                    return Err(format!("tail mismatch at {price:?}"));
                }
                if sum != i128::from(level.total().0) || n != level.count {
                    return Err(format!(
                        "level {price:?} says {:?}/{} but holds {sum}/{n}",
                        level.total(),
                        level.count
                    ));
                }
                qty += sum;
                count += n as usize;
            }
            if qty != i128::from(self.side_qty[side.idx()].0) || count != self.side_orders[side.idx()] {
                return Err(format!("{side:?} side totals drifted"));
            }
            linked += count;
        }
        if let (Some(b), Some(a)) = (self.best_bid(), self.best_ask()) {
            if b >= a {
                return Err(format!("crossed book at rest: bid {b:?} >= ask {a:?}"));
            }
        }
        let live = nodes.iter().filter(|n| n.side.is_some()).count();
        if live != linked {
            return Err(format!("{live} live slots but {linked} orders in levels"));
        }
        let mut in_accounts = 0usize;
        for (slot, node) in nodes.iter().enumerate() {
            if node.side.is_some() && node.acct_prev == NIL {
                if self.accounts.head(node.account) != slot as u32 {
                    return Err(format!("slot {slot} unreachable from its account"));
                }
                let mut cur = slot as u32;
                while cur != NIL {
                    if nodes[cur as usize].account != node.account {
                        return Err(format!("account list of {:?} mixes owners", node.account));
                    }
                    in_accounts += 1;
                    cur = nodes[cur as usize].acct_next;
                }
            }
        }
        if in_accounts != linked {
            return Err(format!("{in_accounts} orders in account lists, {linked} in levels"));
        }
        Ok(())
    }

    // ---- internals shared by the other modules ----

    /// A view of a live slot.
    fn view(&self, slot: u32) -> Option<OrderView> {
        let n = &self.orders.nodes[slot as usize];
        let side = n.side?;
        if n.level == NIL {
            return None;
        }
        let price = self.ladders[side.idx()].price_of(n.level);
        Some(OrderView {
            id: OrderId::new(slot, n.generation),
            account: n.account,
            side,
            price,
            remaining: n.remaining,
            stp: n.stp,
            post_only: n.post_only,
        })
    }

    /// Checks a new order against the tick, the lot and the account limit.
    fn validate(&self, o: &NewOrder) -> Result<(), BookError> {
        validate_order(self.tick, self.lot, o)?;
        if o.account.0 > self.max_account {
            return Err(BookError::AccountOutOfRange { account: o.account, max: self.max_account });
        }
        Ok(())
    }

    /// Whether `extra` more quantity can rest on `side` without overflowing the side total.
    fn room_for(&self, side: Side, extra: Qty) -> Result<(), BookError> {
        self.side_qty[side.idx()].checked_add(extra).map(|_| ()).map_err(|_| BookError::Overflow)
    }

    /// Whether the ladder of `side` can hold a level at `price` (it cannot only when every page
    /// slot is in use and `price` needs a new page).
    fn ladder_room(&self, side: Side, price: Price) -> Result<(), BookError> {
        if self.ladders[side.idx()].has_room_for(price) { Ok(()) } else { Err(BookError::Full) }
    }

    /// Links an allocated, unlinked order at the back of the level at `price`, creating the
    /// level if needed, and into its account's list. The caller checked [`Book::ladder_room`].
    fn rest(&mut self, slot: u32, price: Price) {
        let (side, remaining) = {
            let n = &self.orders.nodes[slot as usize];
            (n.side.unwrap_or(Side::Buy), n.remaining)
        };
        let ladder = &mut self.ladders[side.idx()];
        let li = ladder.entry(price);
        level::push_back(&mut self.orders.nodes, ladder.level_mut(li), li, slot);
        self.accounts.link(&mut self.orders.nodes, slot);
        self.side_qty[side.idx()] = Qty(self.side_qty[side.idx()].0 + remaining.0);
        self.side_orders[side.idx()] += 1;
    }

    /// Unlinks a resting order from its level (dropping the level if it empties) and from its
    /// account's list. The slot stays allocated.
    fn detach(&mut self, slot: u32) {
        let (side, li, remaining) = {
            let n = &self.orders.nodes[slot as usize];
            (n.side.unwrap_or(Side::Buy), n.level, n.remaining)
        };
        let ladder = &mut self.ladders[side.idx()];
        let level = ladder.level_mut(li);
        level::unlink(&mut self.orders.nodes, level, slot);
        if level.count == 0 {
            ladder.remove(li);
        }
        self.accounts.unlink(&mut self.orders.nodes, slot);
        self.side_qty[side.idx()] = Qty(self.side_qty[side.idx()].0 - remaining.0);
        self.side_orders[side.idx()] -= 1;
    }

    /// Allocates a node for an order about to match.
    fn alloc(&mut self, o: &NewOrder) -> Result<OrderId, BookError> {
        self.orders.alloc(NodeInit {
            account: o.account,
            side: o.side,
            remaining: o.qty,
            stp: o.stp,
            post_only: o.tif == TimeInForce::PostOnly,
        })
    }
}

/// Checks an order's quantity, limit price and time in force against a tick and a lot; shared
/// by the book and the stop book so a stop that fires can always be submitted.
fn validate_order(tick: Price, lot: Qty, o: &NewOrder) -> Result<(), BookError> {
    validate_qty(lot, o.qty)?;
    match o.limit {
        Some(p) => validate_price(tick, p)?,
        None => {
            if matches!(o.tif, TimeInForce::Gtc | TimeInForce::PostOnly) {
                return Err(BookError::MarketOrderMustBeImmediate);
            }
        }
    }
    Ok(())
}

fn validate_qty(lot: Qty, qty: Qty) -> Result<(), BookError> {
    if !qty.is_positive() {
        return Err(BookError::NonPositiveQty(qty));
    }
    if qty.0 % lot.0 != 0 {
        return Err(BookError::QtyNotLotMultiple { qty, lot });
    }
    Ok(())
}

fn validate_price(tick: Price, price: Price) -> Result<(), BookError> {
    if !price.is_positive() {
        return Err(BookError::NonPositivePrice(price));
    }
    if price.0 % tick.0 != 0 {
        return Err(BookError::PriceNotTickMultiple { price, tick });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
