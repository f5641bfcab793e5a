//! Which markets may hold an account's resting orders or pending stops: one word per account.
//!
//! A liquidation cancels the account's orders first, and for a cross account on every market
//! that holds some. Asking each book and stop book is a random read into a table sized by the
//! account count, so with millions of accounts and dozens of markets that question cost more
//! than the rest of a waterfall that met an empty book. The word answers it in one read.
//!
//! The bits are a superset of the truth: a bit is set whenever an order comes to rest or a stop
//! is placed for the account on that market (the only two ways into a book or stop book), and
//! cleared only by a cancel-all there, after which the account holds nothing on it. Fills and
//! single cancels leave a bit set that may be stale, so readers confirm each set bit with the
//! book and see exactly what a scan of every market would. With more than 64 markets every
//! market counts as possible.

use crate::instrument::InstrumentId;
use crate::ledger::AccountId;

/// Per-account bit sets of markets that may hold its orders.
#[derive(Debug, Clone, Default)]
pub(super) struct OrderMarkets {
    /// Bit `i` of `bits[a]`: market `i` may hold orders of account `a`.
    bits: Vec<u64>,
    /// A market id ≥ 64 was noted: every market is possible for every account.
    wide: bool,
}

impl OrderMarkets {
    /// Notes that `account` may now hold orders on `ins`.
    pub(super) fn note(&mut self, account: AccountId, ins: InstrumentId) {
        if ins.0 >= 64 {
            self.wide = true;
            return;
        }
        let a = account.0 as usize;
        if a >= self.bits.len() {
            self.bits.resize(a + 1, 0);
        }
        self.bits[a] |= 1 << ins.0;
    }

    /// Notes that `account` holds nothing on `ins`.
    pub(super) fn clear(&mut self, account: AccountId, ins: InstrumentId) {
        if let Some(w) = self.bits.get_mut(account.0 as usize)
            && ins.0 < 64
        {
            *w &= !(1 << ins.0);
        }
    }

    /// The markets among the first `n` that may hold orders of `account`, in id order.
    pub(super) fn may_hold(&self, account: AccountId, n: usize) -> impl Iterator<Item = InstrumentId> {
        // Wide: every market, in order (the word cannot name ids ≥ 64).
        let every = if self.wide { 0..n } else { 0..0 };
        let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        let mut w = if self.wide { 0 } else { self.bits.get(account.0 as usize).copied().unwrap_or(0) & all };
        let named = std::iter::from_fn(move || {
            (w != 0).then(|| {
                let i = w.trailing_zeros();
                w &= w - 1;
                i as usize
            })
        });
        every.chain(named).filter_map(|i| u16::try_from(i).ok().map(InstrumentId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{OrderId, Side, Trigger};
    use crate::instrument::{AssetId, InstrumentSpec};
    use crate::num::{Cash, Price, Qty};
    use crate::venue::{OrderKind, OrderRequest, Venue, VenueConfig, VenueEvent};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Limit { acct: u8, ins: u8, buy: bool, ticks: i64, qty: i64 },
        Market { acct: u8, ins: u8, buy: bool, qty: i64 },
        Stop { acct: u8, ins: u8, buy: bool, ticks: i64, qty: i64 },
        CancelAll { acct: u8, ins: u8 },
        CancelOne { acct: u8, ins: u8, nth: usize },
        Mark { ins: u8, ticks: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        let a = 0u8..4;
        let i = 0u8..3;
        prop_oneof![
            (a.clone(), i.clone(), any::<bool>(), -20i64..20, 1i64..50)
                .prop_map(|(acct, ins, buy, ticks, qty)| Op::Limit { acct, ins, buy, ticks, qty }),
            (a.clone(), i.clone(), any::<bool>(), 1i64..80).prop_map(|(acct, ins, buy, qty)| Op::Market {
                acct,
                ins,
                buy,
                qty
            }),
            (a.clone(), i.clone(), any::<bool>(), -20i64..20, 1i64..50)
                .prop_map(|(acct, ins, buy, ticks, qty)| Op::Stop { acct, ins, buy, ticks, qty }),
            (a.clone(), i.clone()).prop_map(|(acct, ins)| Op::CancelAll { acct, ins }),
            (a, i.clone(), 0usize..4).prop_map(|(acct, ins, nth)| Op::CancelOne { acct, ins, nth }),
            (i, -20i64..20).prop_map(|(ins, ticks)| Op::Mark { ins, ticks }),
        ]
    }

    proptest! {
        /// Whatever orders, fills, stops, cancellations and marks do, every market whose book or
        /// stop book holds something of an account is among the markets its word names.
        #[test]
        fn the_word_never_misses_a_market_that_holds_orders(ops in prop::collection::vec(op(), 1..120)) {
            let usdt = AssetId(0);
            let mut v = Venue::new(VenueConfig::default());
            let ins: Vec<InstrumentId> = ["AAAUSDT", "BBBUSDT", "CCCUSDT"]
                .iter()
                .map(|s| v.add_instrument(InstrumentSpec::linear(s, usdt, 1, 3)).unwrap())
                .collect();
            let accts: Vec<AccountId> = (0..4).map(|_| v.open_account().unwrap()).collect();
            for &a in &accts {
                v.deposit(a, usdt, Cash(1_000_000_000_000_000)).unwrap();
            }
            let mut ev: Vec<VenueEvent> = Vec::new();
            let mid = 10_000i64;
            for &i in &ins {
                v.set_mark_price(i, Price(mid), &mut ev).unwrap();
            }
            for op in ops {
                ev.clear();
                // Refusals are part of the mix: what matters is the state after each step.
                let _ = match op {
                    Op::Limit { acct, ins: i, buy, ticks, qty } => {
                        let side = if buy { Side::Buy } else { Side::Sell };
                        let req = OrderRequest::limit(side, Price(mid + ticks), Qty(qty));
                        v.place(accts[usize::from(acct)], ins[usize::from(i)], req, &mut ev).map(|_| ())
                    }
                    Op::Market { acct, ins: i, buy, qty } => {
                        let side = if buy { Side::Buy } else { Side::Sell };
                        v.place(accts[usize::from(acct)], ins[usize::from(i)], OrderRequest::market(side, Qty(qty)), &mut ev)
                            .map(|_| ())
                    }
                    Op::Stop { acct, ins: i, buy, ticks, qty } => {
                        let side = if buy { Side::Buy } else { Side::Sell };
                        let kind = OrderKind::StopMarket { trigger: Price(mid + ticks), source: Trigger::Mark };
                        let req = OrderRequest { kind, ..OrderRequest::market(side, Qty(qty)) };
                        v.place(accts[usize::from(acct)], ins[usize::from(i)], req, &mut ev).map(|_| ())
                    }
                    Op::CancelAll { acct, ins: i } => v.cancel_all(accts[usize::from(acct)], ins[usize::from(i)], &mut ev),
                    Op::CancelOne { acct, ins: i, nth } => {
                        let (a, i) = (accts[usize::from(acct)], ins[usize::from(i)]);
                        let id: Option<OrderId> =
                            v.markets[usize::from(i.0)].book.orders_of(a).nth(nth).map(|o| o.id);
                        match id {
                            Some(id) => v.cancel(a, i, id, &mut ev),
                            None => Ok(()),
                        }
                    }
                    Op::Mark { ins: i, ticks } => v.set_mark_price(ins[usize::from(i)], Price(mid + ticks), &mut ev),
                };
                for &a in &accts {
                    let named: Vec<InstrumentId> = v.order_markets.may_hold(a, v.markets.len()).collect();
                    for (k, m) in v.markets.iter().enumerate() {
                        let i = InstrumentId(u16::try_from(k).unwrap());
                        if m.book.has_orders(a) || m.stops.has_orders(a) {
                            prop_assert!(named.contains(&i), "account {a:?} holds orders on {i:?}, word names {named:?}");
                        }
                    }
                }
            }
        }
    }

    fn ids(m: &OrderMarkets, a: u32, n: usize) -> Vec<u16> {
        m.may_hold(AccountId(a), n).map(|i| i.0).collect()
    }

    #[test]
    fn bits_are_noted_cleared_and_listed_in_id_order() {
        let mut m = OrderMarkets::default();
        assert!(ids(&m, 7, 10).is_empty(), "an account never noted may hold nothing");
        m.note(AccountId(7), InstrumentId(5));
        m.note(AccountId(7), InstrumentId(1));
        m.note(AccountId(7), InstrumentId(5));
        assert_eq!(ids(&m, 7, 10), vec![1, 5]);
        assert!(ids(&m, 6, 10).is_empty(), "another account is untouched");
        // Only the first n markets are listed.
        assert_eq!(ids(&m, 7, 3), vec![1]);
        m.clear(AccountId(7), InstrumentId(1));
        assert_eq!(ids(&m, 7, 10), vec![5]);
        m.clear(AccountId(99), InstrumentId(1));
        assert_eq!(ids(&m, 7, 64), vec![5]);
    }

    #[test]
    fn a_market_past_the_word_makes_every_market_possible() {
        let mut m = OrderMarkets::default();
        m.note(AccountId(1), InstrumentId(2));
        m.note(AccountId(3), InstrumentId(64));
        assert_eq!(ids(&m, 1, 66), (0..66).collect::<Vec<_>>());
        assert_eq!(ids(&m, 0, 3), vec![0, 1, 2]);
    }
}
