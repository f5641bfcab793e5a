//! The order arena: every order of a book lives in one `Vec` of fixed-size nodes, addressed by
//! `u32` slot, with a free list threaded through vacant slots and a generation per slot.
//!
//! A node carries the intrusive links of two doubly-linked lists (its price level's FIFO queue
//! and its account's order list), so that cancelling or moving an order is O(1) pointer work
//! and never a search. This module only allocates and frees; it never links or unlinks.

use crate::num::Qty;

use super::error::BookError;
use super::order::{AccountId, OrderId, Side, Stp};

/// The "no node / no level" link.
pub(crate) const NIL: u32 = u32::MAX;

/// One order slot. While the slot is vacant `side` is `None` and `next` links the free list.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Quantity still open.
    pub remaining: Qty,
    /// Previous order in the level's queue (towards the head, older), or [`NIL`].
    pub prev: u32,
    /// Next order in the level's queue (younger), or [`NIL`]; free-list link when vacant.
    pub next: u32,
    /// Previous order in the owner's list, or [`NIL`].
    pub acct_prev: u32,
    /// Next order in the owner's list, or [`NIL`].
    pub acct_next: u32,
    /// The owner.
    pub account: AccountId,
    /// Handle of the price level the order rests in (in its side's ladder), or [`NIL`] while
    /// it is a taker.
    pub level: u32,
    /// Bumped every time the slot is freed, so old ids no longer match.
    pub generation: u32,
    /// The order's side; `None` marks a vacant slot.
    pub side: Option<Side>,
    /// Self-trade prevention mode, applied again if an amendment makes the order take.
    pub stp: Stp,
    /// Post-only orders may not be amended to a crossing price.
    pub post_only: bool,
}

// A resting order must stay small: the book's memory and cache behaviour depend on it.
const _: () = assert!(std::mem::size_of::<Node>() <= 64);

/// What a freshly allocated order node holds before it is linked anywhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeInit {
    pub account: AccountId,
    pub side: Side,
    pub remaining: Qty,
    pub stp: Stp,
    pub post_only: bool,
}

/// Slot allocator with generations.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderArena {
    pub nodes: Vec<Node>,
    free_head: u32,
}

impl OrderArena {
    pub fn new() -> Self {
        Self { nodes: Vec::new(), free_head: NIL }
    }

    /// Takes a vacant slot (or grows the arena) and fills it; the node is linked nowhere.
    pub fn alloc(&mut self, init: NodeInit) -> Result<OrderId, BookError> {
        let slot = if self.free_head == NIL {
            let slot = u32::try_from(self.nodes.len()).map_err(|_| BookError::Full)?;
            if slot == NIL {
                return Err(BookError::Full);
            }
            self.nodes.push(Node {
                remaining: Qty::ZERO,
                prev: NIL,
                next: NIL,
                acct_prev: NIL,
                acct_next: NIL,
                account: init.account,
                level: NIL,
                generation: 0,
                side: None,
                stp: Stp::None,
                post_only: false,
            });
            slot
        } else {
            let slot = self.free_head;
            self.free_head = self.nodes[slot as usize].next;
            slot
        };
        let n = &mut self.nodes[slot as usize];
        n.remaining = init.remaining;
        n.prev = NIL;
        n.next = NIL;
        n.acct_prev = NIL;
        n.acct_next = NIL;
        n.account = init.account;
        n.level = NIL;
        n.side = Some(init.side);
        n.stp = init.stp;
        n.post_only = init.post_only;
        Ok(OrderId::new(slot, n.generation))
    }

    /// Returns a slot to the free list; its id becomes stale. The node must be unlinked.
    pub fn free(&mut self, slot: u32) {
        let n = &mut self.nodes[slot as usize];
        n.side = None;
        n.generation = n.generation.wrapping_add(1);
        n.remaining = Qty::ZERO;
        n.next = self.free_head;
        self.free_head = slot;
    }

    /// The slot of a live order with this id, or `None` if the id is unknown or stale.
    #[inline]
    pub fn slot_of(&self, id: OrderId) -> Option<u32> {
        let slot = id.slot();
        let n = self.nodes.get(slot as usize)?;
        (n.side.is_some() && n.generation == id.generation()).then_some(slot)
    }

    /// The id currently naming a slot.
    #[inline]
    pub fn id_of(&self, slot: u32) -> OrderId {
        OrderId::new(slot, self.nodes[slot as usize].generation)
    }

    /// Bytes held by the arena (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init() -> NodeInit {
        NodeInit {
            account: AccountId(1),
            side: Side::Buy,
            remaining: Qty(5),
            stp: Stp::None,
            post_only: false,
        }
    }

    #[test]
    fn node_fits_in_forty_bytes() {
        assert!(std::mem::size_of::<Node>() <= 40);
    }

    #[test]
    fn freed_slot_is_reused_under_a_new_generation() {
        let mut a = OrderArena::new();
        let first = a.alloc(init()).unwrap();
        assert_eq!(a.slot_of(first), Some(first.slot()));
        a.free(first.slot());
        assert_eq!(a.slot_of(first), None);
        let second = a.alloc(init()).unwrap();
        assert_eq!(second.slot(), first.slot());
        assert_ne!(second, first);
        assert_eq!(a.slot_of(first), None, "the stale id must not reach the new order");
        assert_eq!(a.slot_of(second), Some(second.slot()));
        assert_eq!(a.slot_of(OrderId::new(99, 0)), None);
    }
}
