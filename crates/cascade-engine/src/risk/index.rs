//! Finding who to liquidate without scanning every account.
//!
//! Per instrument, positions are kept ordered by the mark price at which they may become
//! liquidatable (their *trigger*): longs trigger when the mark falls to or below it, shorts when
//! it rises to or above. A mark update pops only the crossed entries, O(k log n) for k among n.
//! Triggers are conservative (never later than the true liquidation price); the venue confirms
//! each popped account exactly and re-inserts those that are still safe.
//!
//! A cross account with positions in several instruments has triggers that depend on the other
//! marks. Each such account is also registered in the *band* index of every instrument it holds:
//! its triggers were computed with the other positions at the adverse edge of a band around
//! their marks, so they stay conservative until a mark leaves its band, which pops the account
//! for re-indexing the same way.

use std::collections::BTreeSet;

use crate::ledger::AccountId;
use crate::num::Price;

/// Ordered triggers of one instrument.
#[derive(Debug, Clone, Default)]
pub struct LiquidationIndex {
    /// Longs by (trigger, account): liquidatable candidates when `mark <= trigger`.
    longs: BTreeSet<(Price, AccountId)>,
    /// Shorts by (trigger, account): candidates when `mark >= trigger`.
    shorts: BTreeSet<(Price, AccountId)>,
    /// Multi-instrument cross accounts by the lower edge of this instrument's band.
    band_lo: BTreeSet<(Price, AccountId)>,
    /// … and by the upper edge.
    band_hi: BTreeSet<(Price, AccountId)>,
}

impl LiquidationIndex {
    /// Adds a long (`long = true`) or short trigger.
    pub fn insert(&mut self, long: bool, trigger: Price, account: AccountId) {
        if long {
            self.longs.insert((trigger, account));
        } else {
            self.shorts.insert((trigger, account));
        }
    }

    /// Removes a trigger added by [`LiquidationIndex::insert`].
    pub fn remove(&mut self, long: bool, trigger: Price, account: AccountId) {
        if long {
            self.longs.remove(&(trigger, account));
        } else {
            self.shorts.remove(&(trigger, account));
        }
    }

    /// Registers an account's band `[lo, hi]` on this instrument's mark.
    pub fn insert_band(&mut self, lo: Price, hi: Price, account: AccountId) {
        self.band_lo.insert((lo, account));
        self.band_hi.insert((hi, account));
    }

    /// Removes a band added by [`LiquidationIndex::insert_band`].
    pub fn remove_band(&mut self, lo: Price, hi: Price, account: AccountId) {
        self.band_lo.remove(&(lo, account));
        self.band_hi.remove(&(hi, account));
    }

    /// Appends to `out`, in (trigger, account) order, every account whose trigger `mark` has
    /// crossed, longs first. The entries stay in the index: the venue removes or updates them.
    pub fn crossed(&self, mark: Price, out: &mut Vec<AccountId>) {
        out.extend(self.longs.range((mark, AccountId(0))..).map(|(_, a)| *a));
        out.extend(self.shorts.range(..=(mark, AccountId(u32::MAX))).map(|(_, a)| *a));
    }

    /// Like [`LiquidationIndex::crossed`], but most underwater first on both sides: longs from
    /// the highest trigger down, shorts from the lowest up. Venues work the worst accounts first
    /// (dYdX sorts by distance from the oracle, §6.3), so when the book or the fund runs out it
    /// is the least underwater who wait — the same rule for longs and shorts.
    pub fn crossed_most_underwater_first(&self, mark: Price, out: &mut Vec<AccountId>) {
        out.extend(self.longs.range((mark, AccountId(0))..).rev().map(|(_, a)| *a));
        out.extend(self.shorts.range(..=(mark, AccountId(u32::MAX))).map(|(_, a)| *a));
    }

    /// Appends every account with a trigger or a band here (in index order, possibly more than
    /// once): who a change of the instrument's margin table must re-index.
    pub fn accounts(&self, out: &mut Vec<AccountId>) {
        for set in [&self.longs, &self.shorts, &self.band_lo] {
            out.extend(set.iter().map(|(_, a)| *a));
        }
    }

    /// Appends every account whose band `mark` has left.
    pub fn band_exits(&self, mark: Price, out: &mut Vec<AccountId>) {
        out.extend(self.band_lo.range((Price(mark.0.saturating_add(1)), AccountId(0))..).map(|(_, a)| *a));
        out.extend(self.band_hi.range(..(mark, AccountId(0))).map(|(_, a)| *a));
    }

    /// Accounts holding a long (`long = true`) or short position here, in trigger order.
    pub fn members(&self, long: bool) -> impl Iterator<Item = AccountId> + '_ {
        let set = if long { &self.longs } else { &self.shorts };
        set.iter().map(|(_, a)| *a)
    }

    /// Number of indexed positions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.longs.len() + self.shorts.len()
    }

    /// Whether nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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

    #[test]
    fn bands_pop_only_when_left() {
        let mut ix = LiquidationIndex::default();
        ix.insert_band(Price(90), Price(110), AccountId(1));
        let mut out = Vec::new();
        for m in [90, 100, 110] {
            ix.band_exits(Price(m), &mut out);
        }
        assert!(out.is_empty());
        ix.band_exits(Price(89), &mut out);
        ix.band_exits(Price(111), &mut out);
        assert_eq!(out, vec![AccountId(1), AccountId(1)]);
    }
}
