//! Finding who to liquidate without scanning every account.
//!
//! Per instrument, positions are kept ordered by the mark price at which they may become
//! liquidatable (their *trigger*): longs trigger when the mark falls to or below it, shorts when
//! it rises to or above. A mark update pops only the crossed entries, O(k log n) for k among n.
//! Triggers are conservative (never later than the true liquidation price); the venue confirms
//! each popped account exactly and re-inserts those that are still safe.
//!
//! Most accounts of a calm market sit far from liquidation, yet every fill re-indexes both of
//! its accounts. So the index keeps only the triggers *near* the mark ordered; a trigger beyond
//! a *parking zone* around the mark (a long's below its lower edge, a short's above its upper
//! edge) is parked in an unordered table, where inserting and removing cost O(1). The zone
//! always contains the mark the venue last set ([`LiquidationIndex::set_mark`]), so no parked
//! trigger can be crossed; when the mark leaves the zone, a new zone is drawn around it and the
//! parked triggers inside it move to the ordered sets. What [`LiquidationIndex::crossed`]
//! returns never depends on where an entry sits: with a mark outside the zone (a caller that did
//! not set it), the parked triggers are scanned too.
//!
//! Most of those far triggers need not even be solved: when a cheap bound proves that an
//! account's trigger lies beyond the zone (the venue's `trigger_bound`), the account is
//! *deferred*: kept with the collateral it was bounded with and counted as parked, its exact
//! trigger solved only if the zone is re-drawn (or a caller asks for fresh triggers). A deferred
//! entry is parked in every answer: [`LiquidationIndex::len`], [`LiquidationIndex::members`]
//! and the rest see it exactly where its solved trigger would sit.
//!
//! A cross account with positions in several instruments keeps one trigger per position like
//! any other: the venue shares the pool's slack between them, so each holds whatever the other
//! marks do (`venue/margin.rs`, `shared_triggers`).
//!
//! This module never decides who is liquidatable: it only keeps the triggers the venue solved.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::ledger::AccountId;
use crate::num::{Cash, Price};

/// Half-width of the parking zone, in parts per 10,000 of the mark: a trigger more than 10%
/// from the mark is parked. A wider zone re-draws less often but orders more triggers.
pub const PARK_ZONE_BPS: i64 = 1_000;

/// Ordered triggers of one instrument.
#[derive(Debug, Clone, Default)]
pub struct LiquidationIndex {
    /// Longs by (trigger, account): liquidatable candidates when `mark <= trigger`.
    longs: BTreeSet<(Price, AccountId)>,
    /// Shorts by (trigger, account): candidates when `mark >= trigger`.
    shorts: BTreeSet<(Price, AccountId)>,
    /// Parked triggers by account: `[0]` longs below the zone, `[1]` shorts above it (apart, so
    /// that listing one side never walks the other). One entry per account and instrument.
    parked: [Parked; 2],
    /// Deferred accounts (see the module docs) with the collateral their bound used: `[0]`
    /// longs, `[1]` shorts. Their triggers, once solved, are parked.
    deferred: [Deferred; 2],
    /// The parking zone `[lo, hi]`; `None` until a mark is set (everything is ordered then).
    zone: Option<(Price, Price)>,
    /// Triggers set aside while their accounts wait (`[0]` longs, `[1]` shorts), by (trigger,
    /// account): crossed, but the venue has proved that visiting them changes nothing while
    /// what it watches holds (`venue/waiting.rs`). Returned as crossed marked as set aside
    /// ([`LiquidationIndex::crossed_keyed`]); counted, listed and removed like any other entry.
    waiting: [BTreeSet<(Price, AccountId)>; 2],
}

/// A crossed entry: (long, trigger, account, set aside).
pub type Crossed = (bool, Price, AccountId, bool);

/// Triggers with their accounts, sorted by (trigger, account).
type Entries = Vec<(Price, AccountId)>;

/// One side's parked triggers.
type Parked = HashMap<AccountId, Price, BuildHasherDefault<IdHasher>>;

/// One side's deferred accounts, with the collateral their trigger is to be solved with.
type Deferred = HashMap<AccountId, Cash, BuildHasherDefault<IdHasher>>;

/// Hashes an account id by one multiplication (ids are dense small integers; the table is
/// never iterated where the order could reach an output).
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u32(u32::from(n));
    }
}

/// A key that sorts entries as [`LiquidationIndex::crossed_most_underwater_first`] lists them:
/// longs first, from the highest trigger down, then shorts from the lowest up (ties by account,
/// in the same directions).
#[must_use]
pub fn underwater_rank(long: bool, trigger: Price, account: AccountId) -> (bool, i64, i64) {
    let a = i64::from(account.0);
    if long { (false, -trigger.0, -a) } else { (true, trigger.0, a) }
}

/// The zone `mark × (1 ∓ PARK_ZONE_BPS)`, rounded outward, never below 1.
fn zone_around(mark: Price) -> (Price, Price) {
    let w = i128::from(mark.0) * i128::from(PARK_ZONE_BPS) / 10_000;
    let lo = (i128::from(mark.0) - w - 1).max(1);
    let hi = (i128::from(mark.0) + w + 1).min(i128::from(i64::MAX));
    (Price(i64::try_from(lo).unwrap_or(1)), Price(i64::try_from(hi).unwrap_or(i64::MAX)))
}

impl LiquidationIndex {
    /// The parking zone `[lo, hi]`, once a mark is set: a long trigger below `lo` or a short one
    /// above `hi` is parked.
    #[must_use]
    pub fn zone(&self) -> Option<(Price, Price)> {
        self.zone
    }

    /// Whether a long (`long = true`) or short trigger lies beyond the zone on its safe side
    /// (so it is parked).
    #[must_use]
    pub fn is_far(&self, long: bool, trigger: Price) -> bool {
        match self.zone {
            Some((lo, _)) if long => trigger < lo,
            Some((_, hi)) => trigger > hi,
            None => false,
        }
    }

    /// Adds a long (`long = true`) or short trigger.
    pub fn insert(&mut self, long: bool, trigger: Price, account: AccountId) {
        if self.is_far(long, trigger) {
            self.parked[usize::from(!long)].insert(account, trigger);
        } else if long {
            self.longs.insert((trigger, account));
        } else {
            self.shorts.insert((trigger, account));
        }
    }

    /// Removes a trigger added by [`LiquidationIndex::insert`]. A far trigger is looked for
    /// among the parked ones first: a trigger is parked exactly when it is far from the current
    /// zone ([`LiquidationIndex::set_mark`] keeps it so), so the ordered set is searched only for
    /// the others.
    pub fn remove(&mut self, long: bool, trigger: Price, account: AccountId) {
        let side = usize::from(!long);
        if !self.waiting[side].is_empty() && self.waiting[side].remove(&(trigger, account)) {
            return;
        }
        let far = self.is_far(long, trigger);
        if far && Self::unpark(&mut self.parked[usize::from(!long)], trigger, account) {
            return;
        }
        let removed = if long {
            self.longs.remove(&(trigger, account))
        } else {
            self.shorts.remove(&(trigger, account))
        };
        if !removed && !far {
            Self::unpark(&mut self.parked[usize::from(!long)], trigger, account);
        }
    }

    /// Removes `account`'s parked trigger if it is `trigger`; whether it was there.
    fn unpark(parked: &mut Parked, trigger: Price, account: AccountId) -> bool {
        match parked.entry(account) {
            std::collections::hash_map::Entry::Occupied(e) if *e.get() == trigger => {
                e.remove();
                true
            }
            _ => false,
        }
    }

    /// Defers `account`'s long (`long = true`) or short trigger: the caller has proved it lies
    /// beyond the current zone, and will solve it with `collateral` when asked
    /// ([`LiquidationIndex::needs_solving`], [`LiquidationIndex::take_deferred`]). Replaces an
    /// earlier deferral of the account on that side.
    pub fn defer(&mut self, long: bool, account: AccountId, collateral: Cash) {
        self.deferred[usize::from(!long)].insert(account, collateral);
    }

    /// Forgets a deferral made by [`LiquidationIndex::defer`]; whether there was one.
    pub fn undefer(&mut self, long: bool, account: AccountId) -> bool {
        self.deferred[usize::from(!long)].remove(&account).is_some()
    }

    /// The collateral `account`'s deferred trigger on that side is to be solved with, if it is
    /// deferred.
    #[must_use]
    pub fn deferred_collateral(&self, long: bool, account: AccountId) -> Option<Cash> {
        self.deferred[usize::from(!long)].get(&account).copied()
    }

    /// Number of deferred accounts (counted among the parked ones too).
    #[must_use]
    pub fn deferred_len(&self) -> usize {
        self.deferred[0].len() + self.deferred[1].len()
    }

    /// Whether deferred triggers must be solved before the index is told `mark` or asked what
    /// `mark` crossed: the mark is outside the zone (so the zone is re-drawn, or parked triggers
    /// are scanned) and something is deferred.
    #[must_use]
    pub fn needs_solving(&self, mark: Price) -> bool {
        self.deferred_len() > 0 && !self.zone_holds(mark)
    }

    /// Removes and returns every deferral as (long, account, collateral), in (account, side)
    /// order, for the caller to solve and insert.
    pub fn take_deferred(&mut self) -> Vec<(bool, AccountId, Cash)> {
        let mut out: Vec<(bool, AccountId, Cash)> = Vec::with_capacity(self.deferred_len());
        for (side, d) in self.deferred.iter_mut().enumerate() {
            out.extend(d.drain().map(|(a, c)| (side == 0, a, c)));
        }
        out.sort_unstable_by_key(|&(long, a, _)| (a, !long));
        out
    }

    /// Tells the index the instrument's mark. When it has left the parking zone, a new zone is
    /// drawn around it: parked triggers inside move to the ordered sets, ordered ones beyond it
    /// are parked. O(parked) then, O(1) otherwise. Deferred triggers must have been solved
    /// first ([`LiquidationIndex::needs_solving`]): they would not move.
    pub fn set_mark(&mut self, mark: Price) {
        if self.zone.is_some_and(|(lo, hi)| lo <= mark && mark <= hi) {
            return;
        }
        let (lo, hi) = zone_around(mark);
        self.zone = Some((lo, hi));
        let [parked_longs, parked_shorts] = &mut self.parked;
        let (longs, shorts) = (&mut self.longs, &mut self.shorts);
        parked_longs.retain(|&a, &mut p| {
            let far = p < lo;
            if !far {
                longs.insert((p, a));
            }
            far
        });
        parked_shorts.retain(|&a, &mut p| {
            let far = p > hi;
            if !far {
                shorts.insert((p, a));
            }
            far
        });
        // Ordered triggers now beyond the zone are parked.
        let kept = self.longs.split_off(&(lo, AccountId(0)));
        for (p, a) in std::mem::replace(&mut self.longs, kept) {
            self.parked[0].insert(a, p);
        }
        let beyond = self.shorts.split_off(&(Price(hi.0.saturating_add(1)), AccountId(0)));
        for (p, a) in beyond {
            self.parked[1].insert(a, p);
        }
    }

    /// Whether `mark` lies in the parking zone (then no parked trigger is crossed).
    fn zone_holds(&self, mark: Price) -> bool {
        self.zone.is_some_and(|(lo, hi)| lo <= mark && mark <= hi)
    }

    /// Parked triggers `mark` has crossed (only when the mark is outside the zone), as
    /// (long entries, short entries), each sorted by (trigger, account).
    fn parked_crossed(&self, mark: Price) -> (Entries, Entries) {
        let (mut l, mut s) = (Vec::new(), Vec::new());
        if self.zone_holds(mark) {
            return (l, s);
        }
        l.extend(self.parked[0].iter().filter(|(_, p)| mark <= **p).map(|(a, p)| (*p, *a)));
        s.extend(self.parked[1].iter().filter(|(_, p)| mark >= **p).map(|(a, p)| (*p, *a)));
        l.sort_unstable();
        s.sort_unstable();
        (l, s)
    }

    /// Appends to `out`, in (trigger, account) order, every account whose trigger `mark` has
    /// crossed, longs first. The entries stay in the index: the venue removes or updates them.
    /// With a mark outside the zone, deferred triggers must have been solved first
    /// ([`LiquidationIndex::needs_solving`]). Triggers set aside ([`LiquidationIndex::wait`])
    /// are not listed ([`LiquidationIndex::crossed_keyed`] lists them, marked).
    pub fn crossed(&self, mark: Price, out: &mut Vec<AccountId>) {
        let (pl, ps) = self.parked_crossed(mark);
        if pl.is_empty() && ps.is_empty() {
            out.extend(self.longs.range((mark, AccountId(0))..).map(|(_, a)| *a));
            out.extend(self.shorts.range(..=(mark, AccountId(u32::MAX))).map(|(_, a)| *a));
            return;
        }
        let longs: Entries = self.longs.range((mark, AccountId(0))..).copied().collect();
        out.extend(merge(longs, pl).into_iter().map(|(_, a)| a));
        let shorts: Entries = self.shorts.range(..=(mark, AccountId(u32::MAX))).copied().collect();
        out.extend(merge(shorts, ps).into_iter().map(|(_, a)| a));
    }

    /// Like [`LiquidationIndex::crossed`], but most underwater first on both sides: longs from
    /// the highest trigger down, shorts from the lowest up. Venues work the worst accounts first
    /// (dYdX sorts by distance from the oracle, §6.3), so when the book or the fund runs out it
    /// is the least underwater who wait — the same rule for longs and shorts. The same
    /// conditions on deferred and set-aside triggers apply.
    pub fn crossed_most_underwater_first(&self, mark: Price, out: &mut Vec<AccountId>) {
        let (pl, ps) = self.parked_crossed(mark);
        if pl.is_empty() && ps.is_empty() {
            out.extend(self.longs.range((mark, AccountId(0))..).rev().map(|(_, a)| *a));
            out.extend(self.shorts.range(..=(mark, AccountId(u32::MAX))).map(|(_, a)| *a));
            return;
        }
        let longs: Entries = self.longs.range((mark, AccountId(0))..).copied().collect();
        out.extend(merge(longs, pl).into_iter().rev().map(|(_, a)| a));
        let shorts: Entries = self.shorts.range(..=(mark, AccountId(u32::MAX))).copied().collect();
        out.extend(merge(shorts, ps).into_iter().map(|(_, a)| a));
    }

    /// [`LiquidationIndex::crossed_most_underwater_first`] with each entry's side (`true`: a
    /// long), trigger, account and whether it is set aside ([`LiquidationIndex::wait`]), set-aside
    /// entries merged in their place, so a caller can tell them apart in the same order
    /// ([`underwater_rank`]).
    pub fn crossed_keyed(&self, mark: Price, out: &mut Vec<Crossed>) {
        let (pl, ps) = self.parked_crossed(mark);
        let wl = self.waiting[0].range((mark, AccountId(0))..);
        let ws = self.waiting[1].range(..=(mark, AccountId(u32::MAX)));
        crossed_side(true, self.longs.range((mark, AccountId(0))..), pl, wl, out);
        crossed_side(false, self.shorts.range(..=(mark, AccountId(u32::MAX))), ps, ws, out);
    }

    /// Appends every account with a trigger here (possibly more than once, in no
    /// particular order): who a change of the instrument's margin table must re-index.
    pub fn accounts(&self, out: &mut Vec<AccountId>) {
        for set in [&self.longs, &self.shorts] {
            out.extend(set.iter().map(|(_, a)| *a));
        }
        for side in &self.parked {
            out.extend(side.keys().copied());
        }
        for side in &self.deferred {
            out.extend(side.keys().copied());
        }
        for side in &self.waiting {
            out.extend(side.iter().map(|&(_, a)| a));
        }
    }

    /// Accounts holding a long (`long = true`) or short position here: the ordered ones in
    /// trigger order, then the parked and deferred ones in no particular order (callers sort).
    pub fn members(&self, long: bool) -> impl Iterator<Item = AccountId> + '_ {
        let set = if long { &self.longs } else { &self.shorts };
        let side = usize::from(!long);
        set.iter()
            .map(|(_, a)| *a)
            .chain(self.parked[side].keys().copied())
            .chain(self.deferred[side].keys().copied())
            .chain(self.waiting[side].iter().map(|&(_, a)| a))
    }

    /// Number of indexed positions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.longs.len() + self.shorts.len() + self.parked_len() + self.waiting_len()
    }

    /// Number of triggers set aside while their accounts wait.
    #[must_use]
    pub fn waiting_len(&self) -> usize {
        self.waiting[0].len() + self.waiting[1].len()
    }

    /// Sets `account`'s long (`long = true`) or short `trigger` aside: it stays an entry of the
    /// index but is no longer returned as crossed, until [`LiquidationIndex::unwait`]. Whether
    /// the entry was there.
    pub fn wait(&mut self, long: bool, trigger: Price, account: AccountId) -> bool {
        let side = usize::from(!long);
        let far = self.is_far(long, trigger);
        let found = if far && Self::unpark(&mut self.parked[side], trigger, account) {
            true
        } else if long {
            self.longs.remove(&(trigger, account))
        } else {
            self.shorts.remove(&(trigger, account))
        };
        if found {
            self.waiting[side].insert((trigger, account));
        }
        found
    }

    /// Puts a trigger set aside by [`LiquidationIndex::wait`] back; whether it was set aside.
    pub fn unwait(&mut self, long: bool, trigger: Price, account: AccountId) -> bool {
        let found = self.waiting[usize::from(!long)].remove(&(trigger, account));
        if found {
            self.insert(long, trigger, account);
        }
        found
    }

    /// Number of parked positions (beyond the zone around the mark), deferred ones included.
    #[must_use]
    pub fn parked_len(&self) -> usize {
        self.parked[0].len() + self.parked[1].len() + self.deferred_len()
    }

    /// Whether nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One side of [`LiquidationIndex::crossed_keyed`]: the crossed ordered triggers, the crossed
/// parked ones (any order) and the crossed set-aside ones, appended nearest the mark first
/// (longs descending, shorts ascending), set-aside ones marked.
fn crossed_side<'a>(
    long: bool,
    ordered: impl DoubleEndedIterator<Item = &'a (Price, AccountId)>,
    parked: Entries,
    waiting: impl DoubleEndedIterator<Item = &'a (Price, AccountId)>,
    out: &mut Vec<Crossed>,
) {
    let emit = |(p, a), w| out.push((long, p, a, w));
    if parked.is_empty() {
        // Both sorted: merged in one pass.
        if long {
            merge_sorted(ordered.rev(), waiting.rev(), |x, y| x > y, emit);
        } else {
            merge_sorted(ordered, waiting, |x, y| x < y, emit);
        }
        return;
    }
    let mut all: Vec<(Price, AccountId, bool)> =
        merge(ordered.copied().collect(), parked).into_iter().map(|(p, a)| (p, a, false)).collect();
    all.extend(waiting.map(|&(p, a)| (p, a, true)));
    all.sort_unstable_by_key(|&(p, a, _)| (p, a));
    let all = all.into_iter().map(|(p, a, w)| (long, p, a, w));
    if long {
        out.extend(all.rev());
    } else {
        out.extend(all);
    }
}

/// Merges two sequences sorted the same way (`first(x, y)`: x comes before y), calling `emit`
/// with each entry and whether it came from `b`.
fn merge_sorted<'a>(
    a: impl Iterator<Item = &'a (Price, AccountId)>,
    b: impl Iterator<Item = &'a (Price, AccountId)>,
    first: impl Fn(&(Price, AccountId), &(Price, AccountId)) -> bool,
    mut emit: impl FnMut((Price, AccountId), bool),
) {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if first(x, y) => emit(**x, false),
            (Some(_), Some(y)) => {
                emit(**y, true);
                b.next();
                continue;
            }
            (Some(x), None) => emit(**x, false),
            (None, Some(y)) => {
                emit(**y, true);
                b.next();
                continue;
            }
            (None, None) => return,
        }
        a.next();
    }
}

/// Merges two sorted lists (the ordered and the parked crossed entries).
fn merge(mut a: Entries, b: Entries) -> Entries {
    if !b.is_empty() {
        a.extend(b);
        a.sort_unstable();
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `crossed` returns exactly the entries a scan would, in order.
        #[test]
        fn crossed_matches_a_scan(entries in prop::collection::vec((any::<bool>(), 1i64..1_000, 0u32..50), 0..200), mark in 1i64..1_000) {
            let mut ix = LiquidationIndex::default();
            let mut all = Vec::new();
            for (long, t, a) in entries {
                ix.insert(long, Price(t), AccountId(a));
                all.push((long, Price(t), AccountId(a)));
            }
            all.sort();
            all.dedup();
            let mut got = Vec::new();
            ix.crossed(Price(mark), &mut got);
            let mut want: Vec<AccountId> = all.iter().filter(|(l, t, _)| *l && t.0 >= mark).map(|e| e.2).collect();
            want.extend(all.iter().filter(|(l, t, _)| !*l && t.0 <= mark).map(|e| e.2));
            prop_assert_eq!(got, want);
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(bool, i64, u32),
        Remove(u32),
        Mark(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<bool>(), 1i64..2_000, 0u32..60).prop_map(|(l, t, a)| Op::Insert(l, t, a)),
            2 => (0u32..60).prop_map(Op::Remove),
            1 => (1i64..2_000).prop_map(Op::Mark),
        ]
    }

    proptest! {
        /// Parking never changes an answer: after any sequence of inserts, removals and mark
        /// updates (which re-draw the zone), `crossed`, `crossed_most_underwater_first`,
        /// `members` and `len` agree with a plain ordered reference holding every trigger, for
        /// marks inside and outside the zone. Like the venue, an account holds at most one
        /// trigger here and is removed before it is re-inserted.
        #[test]
        fn parking_matches_an_ordered_reference(ops in prop::collection::vec(op(), 0..300), probes in prop::collection::vec(1i64..2_000, 1..8)) {
            let mut ix = LiquidationIndex::default();
            let mut held: std::collections::BTreeMap<u32, (bool, i64)> = Default::default();
            for o in ops {
                match o {
                    Op::Insert(l, t, a) => {
                        if let Some((ol, ot)) = held.remove(&a) {
                            ix.remove(ol, Price(ot), AccountId(a));
                        }
                        ix.insert(l, Price(t), AccountId(a));
                        held.insert(a, (l, t));
                    }
                    Op::Remove(a) => {
                        if let Some((ol, ot)) = held.remove(&a) {
                            ix.remove(ol, Price(ot), AccountId(a));
                        }
                    }
                    Op::Mark(m) => ix.set_mark(Price(m)),
                }
                prop_assert_eq!(ix.len(), held.len());
                for &mark in &probes {
                    let mut longs: Vec<(i64, u32)> = held.iter().filter(|(_, (l, t))| *l && *t >= mark).map(|(a, (_, t))| (*t, *a)).collect();
                    let mut shorts: Vec<(i64, u32)> = held.iter().filter(|(_, (l, t))| !*l && *t <= mark).map(|(a, (_, t))| (*t, *a)).collect();
                    longs.sort_unstable();
                    shorts.sort_unstable();
                    let mut want: Vec<AccountId> = longs.iter().map(|e| AccountId(e.1)).collect();
                    want.extend(shorts.iter().map(|e| AccountId(e.1)));
                    let mut got = Vec::new();
                    ix.crossed(Price(mark), &mut got);
                    prop_assert_eq!(&got, &want);
                    let mut want: Vec<AccountId> = longs.iter().rev().map(|e| AccountId(e.1)).collect();
                    want.extend(shorts.iter().map(|e| AccountId(e.1)));
                    got.clear();
                    ix.crossed_most_underwater_first(Price(mark), &mut got);
                    prop_assert_eq!(&got, &want);
                }
                for side in [true, false] {
                    let mut got: Vec<AccountId> = ix.members(side).collect();
                    got.sort_unstable();
                    let want: Vec<AccountId> = held.iter().filter(|(_, (l, _))| *l == side).map(|(a, _)| AccountId(*a)).collect();
                    prop_assert_eq!(got, want);
                }
            }
        }
    }

    /// A mark of 1,000 draws the zone [899, 1,101]: a long trigger at 850 and a short one at
    /// 1,200 are parked, a long at 950 is ordered. The mark falling to 880 leaves the zone:
    /// the new zone [791, 969] orders the long at 850 (crossed at 840 only, like any other).
    #[test]
    fn far_triggers_park_until_the_mark_comes_near() {
        let mut ix = LiquidationIndex::default();
        ix.set_mark(Price(1_000));
        ix.insert(true, Price(850), AccountId(1));
        ix.insert(false, Price(1_200), AccountId(2));
        ix.insert(true, Price(950), AccountId(3));
        assert_eq!((ix.len(), ix.parked_len()), (3, 2));
        ix.set_mark(Price(880));
        assert_eq!(ix.parked_len(), 1);
        let mut out = Vec::new();
        ix.crossed_most_underwater_first(Price(880), &mut out);
        assert_eq!(out, vec![AccountId(3)]);
        out.clear();
        ix.crossed_most_underwater_first(Price(840), &mut out);
        assert_eq!(out, vec![AccountId(3), AccountId(1)]);
    }

    /// Longs at triggers 90, 95, 99 and shorts at 101, 105 (accounts 1–5). At a mark of 92 the
    /// longs with triggers ≥ 92 are crossed: 99 is 7 below its trigger, 95 is 3 below, so 99
    /// (account 3) comes first; at 104 the short at 101 (account 4) is 3 above, first.
    #[test]
    fn most_underwater_first_on_both_sides() {
        let mut ix = LiquidationIndex::default();
        for (long, t, a) in [(true, 90, 1), (true, 95, 2), (true, 99, 3), (false, 101, 4), (false, 105, 5)] {
            ix.insert(long, Price(t), AccountId(a));
        }
        let mut out = Vec::new();
        ix.crossed_most_underwater_first(Price(92), &mut out);
        assert_eq!(out, vec![AccountId(3), AccountId(2)]);
        out.clear();
        ix.crossed_most_underwater_first(Price(106), &mut out);
        assert_eq!(out, vec![AccountId(4), AccountId(5)]);
    }
}
