//! Price levels: a FIFO queue of orders at one price, with its aggregate quantity and order
//! count kept up to date on every change, and the per-side paged ladder that holds and orders
//! the levels.
//!
//! The queue is intrusive (links live in the order nodes), so pushing to the back and
//! unlinking from anywhere are O(1). Invariant kept by every function here: `total` is the sum
//! of the `remaining` of the linked orders and `count` their number.
//!
//! # The paged ladder
//! A side's levels live in pages of [`PAGE`] consecutive ticks, indexed by tick: the level at
//! tick `t` sits at offset `t % 64` of page `t / 64`, its price implicit, so a level costs
//! 20 bytes and no per-level map entry (the book's memory target with one order per level).
//! Only pages holding a level exist; they are found through a `BTreeMap` from page number to
//! page slot, so prices anywhere in `1..=i64::MAX` (a hostile order, a 10x wick) cost at most
//! one page each and memory stays proportional to the resting orders, never to the price range.
//! An occupancy bitmap per page finds the next level in a few instructions, the best level is
//! cached, and a one-page cache skips the map for the page last touched.
//!
//! A level is named by a `u32` handle, `page slot × 64 + offset`, stored in each resting node.
//! Handles stay valid while the level is non-empty; an emptied page returns to a free list.

use std::collections::BTreeMap;

use crate::num::{Price, Qty};

use super::arena::{NIL, Node};
use super::order::Side;

/// Ticks per page: one bit each in the page's occupancy word.
pub(crate) const PAGE: usize = 64;
const PAGE_BITS: u32 = 6;
const OFF_MASK: i64 = (PAGE as i64) - 1;
/// Page slots available per side: every handle below [`NIL`].
pub(crate) const MAX_PAGES: usize = (NIL >> PAGE_BITS) as usize;

/// One price level (its price is implied by where it sits). 20 bytes, 4-aligned, so a page of
/// 64 levels costs 1,280 bytes; the total is kept as two halves for that alignment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    total_lo: u32,
    total_hi: u32,
    pub count: u32,
    pub head: u32,
    pub tail: u32,
}

const _: () = assert!(std::mem::size_of::<Level>() == 20);

impl Level {
    const EMPTY: Self = Self { total_lo: 0, total_hi: 0, count: 0, head: NIL, tail: NIL };

    /// Total resting quantity at this level.
    #[inline]
    pub fn total(&self) -> Qty {
        Qty(((u64::from(self.total_hi) << 32) | u64::from(self.total_lo)) as i64)
    }

    /// Adds `d` (negative to remove) to the total; the caller keeps it within the side total.
    #[inline]
    pub fn add_total(&mut self, d: i64) {
        let t = (self.total().0 + d) as u64;
        self.total_lo = t as u32;
        self.total_hi = (t >> 32) as u32;
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
    level.add_total(n.remaining.0);
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
    level.add_total(-remaining.0);
    level.count -= 1;
}

/// 64 consecutive ticks of one side.
#[derive(Debug, Clone)]
struct Page {
    /// Tick index of offset 0, divided by [`PAGE`].
    page_no: i64,
    /// Bit `o` set: the level at offset `o` is non-empty.
    occupied: u64,
    levels: [Level; PAGE],
}

/// The levels of one side. Bids are best at the highest price, asks at the lowest; every
/// accessor here speaks in "best first" terms so callers need not care.
#[derive(Debug, Clone)]
pub(crate) struct Ladder {
    pub side: Side,
    tick: i64,
    /// Page number → slot in `pages`, for the non-empty pages only.
    index: BTreeMap<i64, u32>,
    /// Page storage; slots of emptied pages wait in `free` (their contents are stale). Boxed
    /// so growing the vector moves pointers, not 1.3 KB pages, and its doubling slack costs
    /// 8 bytes a page instead of a page (the one-order-per-level memory target).
    #[allow(clippy::vec_box, reason = "pages are large; see above")]
    pages: Vec<Box<Page>>,
    free: Vec<u32>,
    /// Non-empty levels.
    len: usize,
    /// Tick index and handle of the best level.
    best: Option<(i64, u32)>,
    /// The page last looked up: (page number, slot), slot [`NIL`] when unset.
    recent: (i64, u32),
}

impl Ladder {
    /// An empty ladder for `side` of a book with this (positive) tick.
    pub fn new(side: Side, tick: Price) -> Self {
        Self {
            side,
            tick: tick.0,
            index: BTreeMap::new(),
            pages: Vec::new(),
            free: Vec::new(),
            len: 0,
            best: None,
            recent: (0, NIL),
        }
    }

    /// Number of non-empty levels.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether a price strictly better than `b` for this side (`a` ahead of `b` in priority).
    #[inline]
    pub fn better(side: Side, a: Price, b: Price) -> bool {
        match side {
            Side::Buy => a > b,
            Side::Sell => a < b,
        }
    }

    /// The best level: highest bid or lowest ask.
    #[inline]
    pub fn best(&self) -> Option<(Price, u32)> {
        self.best.map(|(t, h)| (Price(t * self.tick), h))
    }

    /// The level at `h`.
    #[inline]
    pub fn level(&self, h: u32) -> &Level {
        &self.pages[(h >> PAGE_BITS) as usize].levels[(h & OFF_MASK as u32) as usize]
    }

    /// The level at `h`, to change its queue or total.
    #[inline]
    pub fn level_mut(&mut self, h: u32) -> &mut Level {
        &mut self.pages[(h >> PAGE_BITS) as usize].levels[(h & OFF_MASK as u32) as usize]
    }

    /// The price of the level at `h`.
    #[inline]
    pub fn price_of(&self, h: u32) -> Price {
        let page = &self.pages[(h >> PAGE_BITS) as usize];
        Price(((page.page_no << PAGE_BITS) | i64::from(h & OFF_MASK as u32)) * self.tick)
    }

    /// The tick index of a positive multiple of the tick, `None` for any other price.
    #[inline]
    fn tick_of(&self, price: Price) -> Option<i64> {
        (price.0 > 0 && price.0 % self.tick == 0).then(|| price.0 / self.tick)
    }

    /// The slot of a non-empty page.
    #[inline]
    fn page_slot(&mut self, page_no: i64) -> Option<u32> {
        if self.recent.1 != NIL && self.recent.0 == page_no {
            return Some(self.recent.1);
        }
        let slot = *self.index.get(&page_no)?;
        self.recent = (page_no, slot);
        Some(slot)
    }

    /// The non-empty level at `price`, if any.
    #[inline]
    pub fn get(&self, price: Price) -> Option<u32> {
        let t = self.tick_of(price)?;
        let slot = if self.recent.1 != NIL && self.recent.0 == t >> PAGE_BITS {
            self.recent.1
        } else {
            *self.index.get(&(t >> PAGE_BITS))?
        };
        let off = (t & OFF_MASK) as u32;
        (self.pages[slot as usize].occupied >> off & 1 == 1).then_some((slot << PAGE_BITS) | off)
    }

    /// Whether a level at `price` could be created: false only when every page slot is in use
    /// and `price` needs a new page.
    pub fn has_room_for(&self, price: Price) -> bool {
        if self.pages.len() < MAX_PAGES || !self.free.is_empty() {
            return true;
        }
        self.tick_of(price).is_some_and(|t| self.index.contains_key(&(t >> PAGE_BITS)))
    }

    /// The level at `price` (a positive tick multiple), created empty if absent. The caller
    /// must have checked [`Ladder::has_room_for`] and must link an order into a new level
    /// before anything else reads the ladder.
    pub fn entry(&mut self, price: Price) -> u32 {
        let t = price.0 / self.tick;
        let page_no = t >> PAGE_BITS;
        let off = (t & OFF_MASK) as u32;
        let slot = match self.page_slot(page_no) {
            Some(s) => s,
            None => {
                let s = self.new_page(page_no);
                self.index.insert(page_no, s);
                self.recent = (page_no, s);
                s
            }
        };
        let h = (slot << PAGE_BITS) | off;
        let page = &mut self.pages[slot as usize];
        if page.occupied >> off & 1 == 0 {
            page.occupied |= 1 << off;
            page.levels[off as usize] = Level::EMPTY;
            self.len += 1;
            let is_best = match self.best {
                None => true,
                Some((b, _)) => match self.side {
                    Side::Buy => t > b,
                    Side::Sell => t < b,
                },
            };
            if is_best {
                self.best = Some((t, h));
            }
        }
        h
    }

    /// A page slot for `page_no`, reusing an emptied one.
    fn new_page(&mut self, page_no: i64) -> u32 {
        if let Some(s) = self.free.pop() {
            let p = &mut self.pages[s as usize];
            p.page_no = page_no;
            p.occupied = 0;
            s
        } else {
            // Callers check `has_room_for` first, so the slot fits below `MAX_PAGES`.
            let s = self.pages.len() as u32;
            self.pages.push(Box::new(Page { page_no, occupied: 0, levels: [Level::EMPTY; PAGE] }));
            s
        }
    }

    /// Drops the emptied level at `h`, and its page if that empties too.
    pub fn remove(&mut self, h: u32) {
        let slot = h >> PAGE_BITS;
        let off = h & OFF_MASK as u32;
        let page = &mut self.pages[slot as usize];
        page.occupied &= !(1u64 << off);
        let (page_no, occupied) = (page.page_no, page.occupied);
        self.len -= 1;
        if occupied == 0 {
            self.index.remove(&page_no);
            self.free.push(slot);
            if self.recent.1 == slot {
                self.recent = (0, NIL);
            }
        }
        if self.best.is_some_and(|(_, b)| b == h) {
            // Every other level is worse, so the new best is the extreme of this page if it
            // still holds one, else of the extreme page.
            self.best = if occupied != 0 {
                Some(self.extreme_in(slot))
            } else {
                let next = match self.side {
                    Side::Buy => self.index.last_key_value(),
                    Side::Sell => self.index.first_key_value(),
                };
                next.map(|(_, &s)| self.extreme_in(s))
            };
        }
    }

    /// The best level of a non-empty page: (tick index, handle).
    #[inline]
    fn extreme_in(&self, slot: u32) -> (i64, u32) {
        let p = &self.pages[slot as usize];
        let off = match self.side {
            Side::Buy => 63 - p.occupied.leading_zeros(),
            Side::Sell => p.occupied.trailing_zeros(),
        };
        ((p.page_no << PAGE_BITS) | i64::from(off), (slot << PAGE_BITS) | off)
    }

    /// Levels from the best outward.
    pub fn iter(&self) -> LadderIter<'_> {
        let pages = match self.side {
            Side::Buy => PageIter::Down(self.index.iter().rev()),
            Side::Sell => PageIter::Up(self.index.iter()),
        };
        LadderIter { ladder: self, pages, slot: 0, bits: 0, lo: 0, hi: 0 }
    }

    /// Levels with prices between `a` and `b` inclusive (in either order), in no set order.
    pub fn range(&self, a: Price, b: Price) -> LadderIter<'_> {
        let (lo, hi) = if a <= b { (a.0, b.0) } else { (b.0, a.0) };
        // Tick indices of the first and last multiples inside [lo, hi].
        let lo_t = lo.div_euclid(self.tick) + i64::from(lo.rem_euclid(self.tick) != 0);
        let hi_t = hi.div_euclid(self.tick);
        let pages = if lo_t > hi_t {
            PageIter::Empty
        } else {
            PageIter::Range(self.index.range(lo_t >> PAGE_BITS..=hi_t >> PAGE_BITS))
        };
        LadderIter { ladder: self, pages, slot: 0, bits: 0, lo: lo_t, hi: hi_t }
    }

    /// Checks the ladder's own bookkeeping: index, bitmaps, count and cached best.
    pub fn check(&self) -> Result<(), String> {
        let mut n = 0usize;
        for (&page_no, &slot) in &self.index {
            let p = self.pages.get(slot as usize).ok_or("index names a missing page")?;
            if p.page_no != page_no || p.occupied == 0 || self.free.contains(&slot) {
                return Err(format!("page {page_no} (slot {slot}) is stale, empty or free"));
            }
            n += p.occupied.count_ones() as usize;
        }
        if n != self.len {
            return Err(format!("{:?} ladder counts {} levels but holds {n}", self.side, self.len));
        }
        let actual = self.iter().next().map(|(p, h)| (p.0 / self.tick, h));
        if actual != self.best {
            return Err(format!("{:?} best cached as {:?} but is {actual:?}", self.side, self.best));
        }
        if self.recent.1 != NIL && self.index.get(&self.recent.0) != Some(&self.recent.1) {
            return Err("page cache names a page not in the index".into());
        }
        Ok(())
    }

    /// Heap bytes held: pages (live and free), their pointers, and the page index (estimated
    /// at 24 bytes an entry: a `BTreeMap` leaf holds up to 11 in about 200 bytes).
    pub fn heap_bytes(&self) -> usize {
        self.pages.len() * std::mem::size_of::<Page>()
            + self.pages.capacity() * std::mem::size_of::<Box<Page>>()
            + self.free.capacity() * 4
            + self.index.len() * 24
    }
}

/// The page numbers an iterator visits, with their slots.
enum PageIter<'a> {
    Up(std::collections::btree_map::Iter<'a, i64, u32>),
    Down(std::iter::Rev<std::collections::btree_map::Iter<'a, i64, u32>>),
    Range(std::collections::btree_map::Range<'a, i64, u32>),
    Empty,
}

/// Iterator over a ladder's levels as (price, handle): from the best outward, or over a price
/// range.
pub(crate) struct LadderIter<'a> {
    ladder: &'a Ladder,
    pages: PageIter<'a>,
    /// The page being walked and its levels not yet yielded.
    slot: u32,
    bits: u64,
    /// Tick bounds of a range walk.
    lo: i64,
    hi: i64,
}

impl LadderIter<'_> {
    /// The ladder walked.
    pub fn ladder(&self) -> &Ladder {
        self.ladder
    }
}

impl Iterator for LadderIter<'_> {
    type Item = (Price, u32);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        while self.bits == 0 {
            let (&page_no, &slot) = match &mut self.pages {
                PageIter::Up(it) => it.next(),
                PageIter::Down(it) => it.next(),
                PageIter::Range(it) => it.next(),
                PageIter::Empty => None,
            }?;
            self.slot = slot;
            self.bits = self.ladder.pages[slot as usize].occupied;
            if let PageIter::Range(_) = self.pages {
                if page_no == self.lo >> PAGE_BITS {
                    self.bits &= u64::MAX << (self.lo & OFF_MASK);
                }
                if page_no == self.hi >> PAGE_BITS {
                    self.bits &= u64::MAX >> (OFF_MASK - (self.hi & OFF_MASK));
                }
            }
        }
        let off = if let PageIter::Down(_) = self.pages {
            63 - self.bits.leading_zeros()
        } else {
            self.bits.trailing_zeros()
        };
        self.bits &= !(1u64 << off);
        let h = (self.slot << PAGE_BITS) | off;
        Some((self.ladder.price_of(h), h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Prices the tests draw from: a dense band around 1,000,000 ticks, page edges, a 10x
    /// wick, and the extremes of the price range.
    /// (Tick 1; page 15,625 starts at 1,000,000.)
    fn price_strategy() -> impl Strategy<Value = Price> {
        prop_oneof![
            8 => (999_800_i64..1_000_200).prop_map(Price),
            1 => (9_999_990_i64..10_000_010).prop_map(Price),
            1 => (1_i64..70).prop_map(Price),
            1 => (0_i64..70).prop_map(|k| Price(i64::MAX - k)),
        ]
    }

    /// Each op: insert one unit at a price, or remove the whole level at a price if present.
    fn ops() -> impl Strategy<Value = Vec<(bool, Price)>> {
        proptest::collection::vec((any::<bool>(), price_strategy()), 1..300)
    }

    fn model_best(side: Side, m: &BTreeMap<Price, i64>) -> Option<Price> {
        match side {
            Side::Buy => m.last_key_value().map(|(p, _)| *p),
            Side::Sell => m.first_key_value().map(|(p, _)| *p),
        }
    }

    proptest! {
        /// The paged ladder and a plain `BTreeMap<Price, total>` reference agree after every
        /// step: best level, level count, lookups, the best-outward walk and range sums.
        #[test]
        fn paged_ladder_matches_a_btreemap_model(
            sell in any::<bool>(), ops in ops(),
        ) {
            let side = if sell { Side::Sell } else { Side::Buy };
            let mut ladder = Ladder::new(side, Price(1));
            let mut model: BTreeMap<Price, i64> = BTreeMap::new();
            for (insert, price) in ops {
                if insert {
                    let h = ladder.entry(price);
                    ladder.level_mut(h).add_total(1);
                    ladder.level_mut(h).count += 1;
                    *model.entry(price).or_default() += 1;
                } else if let Some(h) = ladder.get(price) {
                    let l = ladder.level_mut(h);
                    let q = l.total().0;
                    l.add_total(-q);
                    l.count = 0;
                    ladder.remove(h);
                    prop_assert_eq!(model.remove(&price), Some(q));
                } else {
                    prop_assert!(!model.contains_key(&price));
                }
                prop_assert_eq!(ladder.check(), Ok(()));
                prop_assert_eq!(ladder.len(), model.len());
                prop_assert_eq!(ladder.best().map(|(p, _)| p), model_best(side, &model));
                prop_assert_eq!(ladder.get(price).map(|h| ladder.level(h).total().0), model.get(&price).copied());
            }
            let walked: Vec<_> = ladder.iter().map(|(p, h)| (p, ladder.level(h).total().0)).collect();
            let mut expected: Vec<_> = model.iter().map(|(p, q)| (*p, *q)).collect();
            if side == Side::Buy {
                expected.reverse();
            }
            prop_assert_eq!(walked, expected);
            for (a, b) in [(999_900, 1_000_100), (1_000_100, 999_950), (1, i64::MAX), (-5, 64), (63, 64)] {
                let sum: i64 = ladder.range(Price(a), Price(b)).map(|(_, h)| ladder.level(h).total().0).sum();
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let want: i64 = model.range(Price(lo)..=Price(hi)).map(|(_, q)| q).sum();
                prop_assert_eq!(sum, want);
            }
        }

        /// With a coarse tick, off-tick prices are never found and ranges round inward.
        #[test]
        fn coarse_tick_ranges_round_inward(ts in proptest::collection::btree_set(1_i64..500, 1..40), a in 0_i64..5_000, b in 0_i64..5_000) {
            let mut ladder = Ladder::new(Side::Sell, Price(10));
            for &t in &ts {
                let h = ladder.entry(Price(t * 10));
                ladder.level_mut(h).add_total(t);
                ladder.level_mut(h).count = 1;
            }
            prop_assert_eq!(ladder.get(Price(ts.iter().next().copied().unwrap() * 10 + 3)), None);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let sum: i64 = ladder.range(Price(a), Price(b)).map(|(_, h)| ladder.level(h).total().0).sum();
            let want: i64 = ts.iter().filter(|&&t| lo <= t * 10 && t * 10 <= hi).sum();
            prop_assert_eq!(sum, want);
        }
    }

    #[test]
    fn a_level_is_twenty_bytes_and_a_page_about_1300() {
        // The one-order-per-level memory target: 40 B node + 20.3 B level ≤ 64 B.
        assert_eq!(std::mem::size_of::<Level>(), 20);
        assert_eq!(std::mem::size_of::<Page>(), 64 * 20 + 16);
    }

    #[test]
    fn far_prices_cost_one_page_each() {
        // Orders at a 10x wick and at the top of the price range allocate a page each, not the
        // range between them.
        let mut l = Ladder::new(Side::Sell, Price(1));
        for p in [1_000_000, 10_000_000, i64::MAX, 1] {
            let h = l.entry(Price(p));
            l.level_mut(h).count = 1;
        }
        assert_eq!(l.pages.len(), 4);
        assert!(l.heap_bytes() < 4 * 1_400 + 200);
        assert_eq!(l.best().map(|(p, _)| p), Some(Price(1)));
        assert_eq!(l.iter().map(|(p, _)| p.0).collect::<Vec<_>>(), vec![1, 1_000_000, 10_000_000, i64::MAX]);
        let top = l.get(Price(i64::MAX)).unwrap();
        assert_eq!(l.price_of(top), Price(i64::MAX));
    }
}
