//! Per-account order lists: for each account, an intrusive doubly-linked list through its
//! resting orders, with the heads in a `Vec` indexed by `AccountId.0`.
//!
//! This is what makes `cancel_all` (the first step of every liquidation) cost O(the account's
//! orders) rather than a scan of the book. Four bytes per account id up to the largest seen.

use super::arena::{NIL, Node};
use super::order::AccountId;

/// Heads of the per-account lists.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountLists {
    heads: Vec<u32>,
}

impl AccountLists {
    /// Every account with at least one resting order, in id order.
    pub fn accounts(&self) -> Vec<AccountId> {
        self.heads
            .iter()
            .enumerate()
            .filter(|&(_, &h)| h != NIL)
            .map(|(i, _)| AccountId(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect()
    }

    /// The first (most recently linked) order of an account, or [`NIL`].
    #[inline]
    pub fn head(&self, account: AccountId) -> u32 {
        self.heads.get(account.0 as usize).copied().unwrap_or(NIL)
    }

    /// Links `slot` at the front of its owner's list. The caller has checked the account id
    /// against the book's maximum, which bounds the growth of `heads`.
    #[inline]
    pub fn link(&mut self, nodes: &mut [Node], slot: u32) {
        let a = nodes[slot as usize].account.0 as usize;
        if a >= self.heads.len() {
            self.heads.resize(a + 1, NIL);
        }
        let old = self.heads[a];
        {
            let n = &mut nodes[slot as usize];
            n.acct_prev = NIL;
            n.acct_next = old;
        }
        if old != NIL {
            nodes[old as usize].acct_prev = slot;
        }
        self.heads[a] = slot;
    }

    /// Removes `slot` from its owner's list.
    #[inline]
    pub fn unlink(&mut self, nodes: &mut [Node], slot: u32) {
        let (a, prev, next) = {
            let n = &mut nodes[slot as usize];
            let r = (n.account.0 as usize, n.acct_prev, n.acct_next);
            n.acct_prev = NIL;
            n.acct_next = NIL;
            r
        };
        if prev == NIL {
            self.heads[a] = next;
        } else {
            nodes[prev as usize].acct_next = next;
        }
        if next != NIL {
            nodes[next as usize].acct_prev = prev;
        }
    }

    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.heads.capacity() * std::mem::size_of::<u32>()
    }
}
