//! The positions an ADL ranking reads, kept densely per market side.
//!
//! A ranking scores every position opposite a bankrupt one. Read from the ledger, each is a
//! random access into millions of account records, and a crash ranks a large market hundreds
//! of times. Most positions are their account's only exposure to the market's pool (an isolated
//! position, or the one cross position of a wallet holding nothing but the settle asset): what
//! the ranking needs of them — size, cost and the margin behind them — fits in a small record
//! kept here, in a contiguous array read in one sweep. A cross pool of a few positions (a
//! basket) keeps its wallet and legs in one small record of [`AdlPools`], which each leg's
//! record names. The others are listed too, marked to be read from the ledger.
//!
//! The venue keeps the records in step with the ledger where it keeps the liquidation index in
//! step (every re-index), and re-indexes what changed before it ranks; its audit checks every
//! ranking built from here against one read from the ledger.

use smallvec::SmallVec;

use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::num::{Cash, Qty};

/// A position slot that is in no side's list.
pub const NO_SLOT: u32 = u32::MAX;
/// The bit of a slot that names the short side.
const SHORT_BIT: u32 = 1 << 31;

/// What the ranking reads of one listed position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Owner.
    pub account: AccountId,
    /// Signed size.
    pub size: Qty,
    /// Entry value (cost basis).
    pub cost: Cash,
    /// The margin behind it: isolated margin, or the cross wallet's settle-asset balance.
    pub wallet: Cash,
    /// How the margin is read.
    pub kind: MemberKind,
}

/// How a listed position's margin is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// An isolated position: equity = its margin + its PnL.
    Isolated,
    /// The only cross position of its pool, whose wallet holds only the settle asset: equity =
    /// the wallet + its PnL.
    Cross,
    /// One of the cross positions of the pool at this index of [`AdlPools`], whose wallet
    /// holds only the settle asset: equity = the wallet + every leg's PnL.
    Pool(u32),
    /// Anything else (several positions share the pool, or other collateral backs it): read
    /// from the ledger.
    Ledger,
}

/// The most positions a pool record holds (a larger pool is read from the ledger).
pub const POOL_LEGS: usize = 4;

/// One position of a pool record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    /// Its market.
    pub instrument: InstrumentId,
    /// Signed size.
    pub size: Qty,
    /// Entry value.
    pub cost: Cash,
}

/// A cross pool of several positions: the wallet's settle-asset balance and every open cross
/// position of that asset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    /// The wallet's balance in the settle asset.
    pub wallet: Cash,
    /// The pool's open positions.
    pub legs: SmallVec<[Leg; POOL_LEGS]>,
}

/// The pool records of one venue, with a free list so that indices stay put.
#[derive(Debug, Clone, Default)]
pub struct AdlPools {
    pools: Vec<Pool>,
    free: Vec<u32>,
}

impl AdlPools {
    /// Stores `pool`; returns its index.
    pub fn insert(&mut self, pool: Pool) -> u32 {
        if let Some(i) = self.free.pop() {
            self.pools[i as usize] = pool;
            return i;
        }
        self.pools.push(pool);
        u32::try_from(self.pools.len() - 1).unwrap_or(u32::MAX)
    }

    /// Replaces the record at `i`.
    pub fn set(&mut self, i: u32, pool: Pool) {
        if let Some(p) = self.pools.get_mut(i as usize) {
            *p = pool;
        }
    }

    /// Frees the record at `i`.
    pub fn release(&mut self, i: u32) {
        if let Some(p) = self.pools.get_mut(i as usize) {
            p.legs.clear();
            self.free.push(i);
        }
    }

    /// The record at `i`.
    #[must_use]
    pub fn get(&self, i: u32) -> Option<&Pool> {
        self.pools.get(i as usize)
    }
}

/// The listed positions of one market, longs and shorts.
#[derive(Debug, Clone, Default)]
pub struct AdlMembers {
    sides: [Vec<Member>; 2],
}

/// Side index: 0 long, 1 short.
fn side_of(long: bool) -> usize {
    usize::from(!long)
}

impl AdlMembers {
    /// The listed positions on one side, in no particular order.
    #[must_use]
    pub fn side(&self, long: bool) -> &[Member] {
        &self.sides[side_of(long)]
    }

    /// Number of listed positions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sides[0].len() + self.sides[1].len()
    }

    /// Whether none is listed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lists `m` on its size's side; returns its slot (to store with the position).
    pub fn push(&mut self, m: Member) -> u32 {
        let long = m.size.is_positive();
        let v = &mut self.sides[side_of(long)];
        let i = u32::try_from(v.len()).unwrap_or(NO_SLOT);
        v.push(m);
        if long { i } else { i | SHORT_BIT }
    }

    /// Whether `slot` is on the side `m`'s size names (so `m` can replace it in place).
    #[must_use]
    pub fn same_side(slot: u32, m: &Member) -> bool {
        (slot & SHORT_BIT == 0) == m.size.is_positive()
    }

    /// The record at `slot`.
    #[must_use]
    pub fn get(&self, slot: u32) -> Option<&Member> {
        let (side, i) = Self::split(slot);
        self.sides[side].get(i)
    }

    /// Replaces the record at `slot`, which must be on `m`'s side.
    pub fn set(&mut self, slot: u32, m: Member) {
        let (side, i) = Self::split(slot);
        if let Some(x) = self.sides[side].get_mut(i) {
            *x = m;
        }
    }

    /// Unlists the record at `slot`. The last record of its side takes its place: returns that
    /// record's account (whose stored slot is now `slot`), if another one moved.
    pub fn remove(&mut self, slot: u32) -> Option<AccountId> {
        let (side, i) = Self::split(slot);
        let v = &mut self.sides[side];
        if i >= v.len() {
            return None;
        }
        v.swap_remove(i);
        v.get(i).map(|m| m.account)
    }

    fn split(slot: u32) -> (usize, usize) {
        (usize::from(slot & SHORT_BIT != 0), (slot & !SHORT_BIT) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(a: u32, size: i64) -> Member {
        Member {
            account: AccountId(a),
            size: Qty(size),
            cost: Cash(1),
            wallet: Cash(2),
            kind: MemberKind::Isolated,
        }
    }

    #[test]
    fn sides_are_kept_apart_and_a_removal_moves_the_last_record() {
        let mut m = AdlMembers::default();
        let a = m.push(member(1, 5));
        let b = m.push(member(2, -5));
        let c = m.push(member(3, 7));
        assert_eq!(m.side(true).len(), 2);
        assert_eq!(m.side(false).len(), 1);
        // Removing the first long moves account 3 (the last long) into its slot.
        assert_eq!(m.remove(a), Some(AccountId(3)));
        assert_eq!(m.side(true)[0].account, AccountId(3));
        // Removing the last record moves nobody.
        assert_eq!(m.remove(b), None);
        assert!(m.side(false).is_empty());
        // Account 3 now sits at `a`'s slot; `c` is past the end.
        assert_eq!(m.remove(c), None);
        assert_eq!(m.len(), 1);
        assert!(AdlMembers::same_side(a, &member(9, 1)));
        assert!(!AdlMembers::same_side(a, &member(9, -1)));
    }
}
