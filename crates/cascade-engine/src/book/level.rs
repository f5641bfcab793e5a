//! Price levels: a FIFO queue of orders at one price, with its aggregate quantity and order
//! count kept up to date on every change, and the per-side ladder that orders the levels.
//!
//! The queue is intrusive (links live in the order nodes), so pushing to the back and
//! unlinking from anywhere are O(1). Invariant kept by every function here: `total` is the sum
//! of the `remaining` of the linked orders and `count` their number.

use std::collections::BTreeMap;

use crate::num::{Price, Qty};

use super::arena::{NIL, Node};
use super::order::Side;

/// One price level.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub price: Price,
    pub total: Qty,
    pub count: u32,
    pub head: u32,
    pub tail: u32,
}

/// Level storage with slot reuse, so a book that keeps creating and emptying levels does not
/// grow.
#[derive(Debug, Clone, Default)]
pub(crate) struct LevelArena {
    pub levels: Vec<Level>,
    free: Vec<u32>,
}

impl LevelArena {
    /// A new, empty level at `price`.
    pub fn alloc(&mut self, price: Price) -> u32 {
        let level = Level { price, total: Qty::ZERO, count: 0, head: NIL, tail: NIL };
        if let Some(i) = self.free.pop() {
            self.levels[i as usize] = level;
            i
        } else {
            // At most one level per resting order, and resting orders fit in u32 slots.
            let i = self.levels.len() as u32;
            self.levels.push(level);
            i
        }
    }

    /// Returns an emptied level's slot.
    pub fn free(&mut self, i: u32) {
        self.free.push(i);
    }

    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Level>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }
}

/// Appends order `slot` at the back of `level`'s queue.
#[inline]
pub(crate) fn push_back(nodes: &mut [Node], level: &mut Level, li: u32, slot: u32) {
    let tail = level.tail;
    let n = &mut nodes[slot as usize];
    n.prev = tail;
    n.next = NIL;
    n.level = li;
    // Sums are bounded by the side total, which the book keeps within i64.
    level.total = Qty(level.total.0 + n.remaining.0);
    level.count += 1;
    if tail == NIL {
        level.head = slot;
    } else {
        nodes[tail as usize].next = slot;
    }
    level.tail = slot;
}

/// Removes order `slot` from `level`'s queue, wherever it is.
#[inline]
pub(crate) fn unlink(nodes: &mut [Node], level: &mut Level, slot: u32) {
    let (prev, next, remaining) = {
        let n = &mut nodes[slot as usize];
        let r = (n.prev, n.next, n.remaining);
        n.prev = NIL;
        n.next = NIL;
        n.level = NIL;
        r
    };
    if prev == NIL {
        level.head = next;
    } else {
        nodes[prev as usize].next = next;
    }
    if next == NIL {
        level.tail = prev;
    } else {
        nodes[next as usize].prev = prev;
    }
    level.total = Qty(level.total.0 - remaining.0);
    level.count -= 1;
}

/// The levels of one side, keyed by price. Bids are best at the highest price, asks at the
/// lowest; every accessor here speaks in "best first" terms so callers need not care.
#[derive(Debug, Clone)]
pub(crate) struct Ladder {
    pub side: Side,
    pub map: BTreeMap<Price, u32>,
}

impl Ladder {
    pub fn new(side: Side) -> Self {
        Self { side, map: BTreeMap::new() }
    }

    /// The best level: highest bid or lowest ask.
    #[inline]
    pub fn best(&self) -> Option<(Price, u32)> {
        let kv = match self.side {
            Side::Buy => self.map.last_key_value(),
            Side::Sell => self.map.first_key_value(),
        };
        kv.map(|(p, l)| (*p, *l))
    }

    /// Whether a price strictly better than `b` for this side (`a` ahead of `b` in priority).
    #[inline]
    pub fn better(side: Side, a: Price, b: Price) -> bool {
        match side {
            Side::Buy => a > b,
            Side::Sell => a < b,
        }
    }

    /// Levels from the best outward.
    pub fn iter(&self) -> LadderIter<'_> {
        match self.side {
            Side::Buy => LadderIter::Down(self.map.iter().rev()),
            Side::Sell => LadderIter::Up(self.map.iter()),
        }
    }

    /// Levels with prices between `a` and `b` inclusive (in either order), in no set order.
    pub fn range(&self, a: Price, b: Price) -> std::collections::btree_map::Range<'_, Price, u32> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        self.map.range(lo..=hi)
    }
}

/// Iterator over a ladder from the best level outward.
pub(crate) enum LadderIter<'a> {
    Up(std::collections::btree_map::Iter<'a, Price, u32>),
    Down(std::iter::Rev<std::collections::btree_map::Iter<'a, Price, u32>>),
}

impl Iterator for LadderIter<'_> {
    type Item = (Price, u32);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Up(it) => it.next(),
            Self::Down(it) => it.next(),
        }
        .map(|(p, l)| (*p, *l))
    }
}
