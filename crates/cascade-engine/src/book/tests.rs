//! Worked examples of the book's behaviour: each test states its inputs and the exact events
//! expected, computed by hand.

use super::*;
use crate::num::{Price, Qty};

const A: AccountId = AccountId(1);
const B: AccountId = AccountId(2);
const C: AccountId = AccountId(3);

fn book() -> Book {
    Book::new(Price(10), Qty(1)).unwrap()
}

fn place(b: &mut Book, acct: AccountId, side: Side, px: i64, q: i64) -> OrderId {
    let mut ev = Vec::new();
    let out = b.submit(NewOrder::limit(acct, side, Price(px), Qty(q)), &mut ev).unwrap();
    b.check_invariants().unwrap();
    out.resting().expect("expected the order to rest")
}

/// (maker order, price, qty, maker remaining) of each fill.
fn fills(ev: &[BookEvent]) -> Vec<(OrderId, i64, i64, i64)> {
    ev.iter()
        .filter_map(|e| match *e {
            BookEvent::Fill { maker_order, price, qty, maker_remaining, .. } => {
                Some((maker_order, price.0, qty.0, maker_remaining.0))
            }
            _ => None,
        })
        .collect()
}

fn queue(b: &Book, side: Side, px: i64) -> Vec<OrderId> {
    b.level_orders(side, Price(px)).map(|o| o.id).collect()
}

#[test]
fn new_rejects_non_positive_tick_and_lot() {
    assert_eq!(Book::new(Price(0), Qty(1)).err(), Some(BookError::InvalidTick(Price(0))));
    assert_eq!(Book::new(Price(1), Qty(-1)).err(), Some(BookError::InvalidLot(Qty(-1))));
}

#[test]
fn submit_validates_and_changes_nothing_on_error() {
    let mut b = Book::new(Price(10), Qty(5)).unwrap();
    let mut ev = Vec::new();
    let bad = [
        (NewOrder::limit(A, Side::Buy, Price(100), Qty(0)), BookError::NonPositiveQty(Qty(0))),
        (
            NewOrder::limit(A, Side::Buy, Price(100), Qty(7)),
            BookError::QtyNotLotMultiple { qty: Qty(7), lot: Qty(5) },
        ),
        (NewOrder::limit(A, Side::Buy, Price(0), Qty(5)), BookError::NonPositivePrice(Price(0))),
        (
            NewOrder::limit(A, Side::Buy, Price(105), Qty(5)),
            BookError::PriceNotTickMultiple { price: Price(105), tick: Price(10) },
        ),
        (
            NewOrder::market(A, Side::Buy, Qty(5)).with_tif(TimeInForce::Gtc),
            BookError::MarketOrderMustBeImmediate,
        ),
        (
            NewOrder::market(A, Side::Buy, Qty(5)).with_tif(TimeInForce::PostOnly),
            BookError::MarketOrderMustBeImmediate,
        ),
        (
            NewOrder::limit(AccountId(DEFAULT_MAX_ACCOUNT + 1), Side::Buy, Price(100), Qty(5)),
            BookError::AccountOutOfRange {
                account: AccountId(DEFAULT_MAX_ACCOUNT + 1),
                max: DEFAULT_MAX_ACCOUNT,
            },
        ),
    ];
    for (o, e) in bad {
        assert_eq!(b.submit(o, &mut ev), Err(e));
    }
    assert!(ev.is_empty());
    assert!(b.is_empty());
    // The side total may not overflow.
    b.submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(i64::MAX - 2)), &mut ev).unwrap();
    assert_eq!(b.submit(NewOrder::limit(A, Side::Buy, Price(90), Qty(5)), &mut ev), Err(BookError::Overflow));
    b.check_invariants().unwrap();
}

#[test]
fn fifo_within_a_level() {
    let mut b = book();
    let a1 = place(&mut b, A, Side::Sell, 100, 3);
    let b1 = place(&mut b, B, Side::Sell, 100, 4);
    let c1 = place(&mut b, C, Side::Sell, 100, 5);
    assert_eq!(queue(&b, Side::Sell, 100), vec![a1, b1, c1]);
    let mut ev = Vec::new();
    let out = b.submit(NewOrder::limit(C, Side::Buy, Price(100), Qty(8)), &mut ev).unwrap();
    assert_eq!(out.filled, Qty(8));
    assert_eq!(out.fate, Fate::Filled);
    assert_eq!(fills(&ev), vec![(a1, 100, 3, 0), (b1, 100, 4, 0), (c1, 100, 1, 4)]);
    assert_eq!(queue(&b, Side::Sell, 100), vec![c1]);
    assert_eq!(b.level_at(Side::Sell, Price(100)).unwrap().qty, Qty(4));
    b.check_invariants().unwrap();
}

#[test]
fn better_price_first_and_never_outside_the_limit() {
    let mut b = book();
    let far = place(&mut b, A, Side::Sell, 120, 5);
    let near = place(&mut b, B, Side::Sell, 110, 5);
    let mut ev = Vec::new();
    let out = b.submit(NewOrder::limit(C, Side::Buy, Price(110), Qty(8)), &mut ev).unwrap();
    // Only the 110 level is within the limit; the remainder rests at 110 as the best bid.
    assert_eq!(fills(&ev), vec![(near, 110, 5, 0)]);
    assert_eq!(out.fate, Fate::Resting);
    assert_eq!(out.remaining, Qty(3));
    assert_eq!(b.best_bid(), Some(Price(110)));
    assert_eq!(b.best_ask(), Some(Price(120)));
    assert_eq!(b.order(far).unwrap().remaining, Qty(5));
    b.check_invariants().unwrap();
}

#[test]
fn market_order_sweeps_several_levels_and_expires_the_rest() {
    let mut b = book();
    let l1 = place(&mut b, A, Side::Buy, 100, 2);
    let l2 = place(&mut b, A, Side::Buy, 90, 3);
    let l3 = place(&mut b, B, Side::Buy, 80, 4);
    let mut ev = Vec::new();
    let out = b.submit(NewOrder::market(C, Side::Sell, Qty(7)), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(l1, 100, 2, 0), (l2, 90, 3, 0), (l3, 80, 2, 2)]);
    assert_eq!((out.filled, out.fate), (Qty(7), Fate::Filled));
    // A second market order larger than the book: fills 2, the rest expires.
    ev.clear();
    let out = b.submit(NewOrder::market(C, Side::Sell, Qty(10)), &mut ev).unwrap();
    assert_eq!(out.filled, Qty(2));
    assert_eq!(out.fate, Fate::Expired(ExpireReason::Unfilled));
    assert_eq!(
        ev.last(),
        Some(&BookEvent::TakerExpired {
            order: out.order,
            account: C,
            side: Side::Sell,
            remaining: Qty(8),
            reason: ExpireReason::Unfilled,
        })
    );
    assert!(b.is_empty());
    b.check_invariants().unwrap();
}

#[test]
fn ioc_cancels_its_remainder() {
    let mut b = book();
    let m = place(&mut b, A, Side::Sell, 100, 2);
    let mut ev = Vec::new();
    let out = b
        .submit(NewOrder::limit(B, Side::Buy, Price(100), Qty(5)).with_tif(TimeInForce::Ioc), &mut ev)
        .unwrap();
    assert_eq!(fills(&ev), vec![(m, 100, 2, 0)]);
    assert_eq!(out.fate, Fate::Expired(ExpireReason::Unfilled));
    assert_eq!((out.filled, out.remaining), (Qty(2), Qty(3)));
    assert!(b.is_empty());
    assert_eq!(b.order(out.order), None, "an IOC never rests");
}

#[test]
fn fok_is_all_or_nothing() {
    let mut b = book();
    let m1 = place(&mut b, A, Side::Sell, 100, 2);
    let m2 = place(&mut b, A, Side::Sell, 110, 2);
    place(&mut b, A, Side::Sell, 120, 10);
    let mut ev = Vec::new();
    // 5 wanted, only 4 within 110: nothing trades.
    let fok = NewOrder::limit(B, Side::Buy, Price(110), Qty(5)).with_tif(TimeInForce::Fok);
    let out = b.submit(fok, &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::FillOrKill));
    assert_eq!(out.filled, Qty::ZERO);
    assert_eq!(fills(&ev), vec![]);
    assert_eq!(b.side_qty(Side::Sell), Qty(14));
    // 4 wanted: fills completely.
    ev.clear();
    let out = b
        .submit(NewOrder::limit(B, Side::Buy, Price(110), Qty(4)).with_tif(TimeInForce::Fok), &mut ev)
        .unwrap();
    assert_eq!(out.fate, Fate::Filled);
    assert_eq!(fills(&ev), vec![(m1, 100, 2, 0), (m2, 110, 2, 0)]);
    b.check_invariants().unwrap();
}

#[test]
fn fok_counts_only_what_self_trade_prevention_leaves() {
    let mut b = book();
    place(&mut b, A, Side::Sell, 100, 3);
    let own = place(&mut b, B, Side::Sell, 100, 3);
    place(&mut b, A, Side::Sell, 110, 3);
    let mut ev = Vec::new();
    let fok =
        |stp, q| NewOrder::limit(B, Side::Buy, Price(110), Qty(q)).with_tif(TimeInForce::Fok).with_stp(stp);
    // ExpireTaker stops at B's own order: only 3 reachable.
    let out = b.submit(fok(Stp::ExpireTaker, 4), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::FillOrKill));
    // ExpireMaker skips it: 6 reachable, 7 is too many.
    let out = b.submit(fok(Stp::ExpireMaker, 7), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::FillOrKill));
    assert!(fills(&ev).is_empty());
    assert_eq!(b.len(), 3, "a killed FOK leaves the book untouched");
    // Without STP the own order counts (and self-trades): 9 reachable.
    let out = b.submit(fok(Stp::None, 9), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Filled);
    assert!(fills(&ev).iter().any(|f| f.0 == own));
    assert!(b.is_empty());
}

#[test]
fn post_only_rests_or_is_rejected_if_it_would_cross() {
    let mut b = book();
    place(&mut b, A, Side::Sell, 100, 2);
    let mut ev = Vec::new();
    let po = |px| NewOrder::limit(B, Side::Buy, Price(px), Qty(1)).with_tif(TimeInForce::PostOnly);
    let out = b.submit(po(100), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::PostOnlyWouldCross));
    assert_eq!(out.filled, Qty::ZERO);
    assert_eq!(b.len(), 1);
    let out = b.submit(po(90), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Resting);
    let id = out.order;
    assert!(b.order(id).unwrap().post_only);
    // Amending it to a crossing price is refused and changes nothing.
    ev.clear();
    assert_eq!(b.amend(id, Some(Price(100)), Qty(1), &mut ev), Err(BookError::PostOnlyWouldCross(id)));
    assert!(ev.is_empty());
    assert_eq!(b.order(id).unwrap().price, Price(90));
    b.check_invariants().unwrap();
}

#[test]
fn stp_expire_taker_keeps_the_maker() {
    let mut b = book();
    let mine = place(&mut b, A, Side::Sell, 100, 5);
    let other = place(&mut b, B, Side::Sell, 100, 5);
    let mut ev = Vec::new();
    let out = b
        .submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(3)).with_stp(Stp::ExpireTaker), &mut ev)
        .unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::SelfTrade));
    assert_eq!(out.filled, Qty::ZERO);
    assert_eq!(queue(&b, Side::Sell, 100), vec![mine, other]);
    b.check_invariants().unwrap();
}

#[test]
fn stp_expire_maker_removes_own_orders_and_matches_behind_them() {
    let mut b = book();
    let mine = place(&mut b, A, Side::Sell, 100, 5);
    let other = place(&mut b, B, Side::Sell, 100, 5);
    let mut ev = Vec::new();
    let out = b
        .submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(3)).with_stp(Stp::ExpireMaker), &mut ev)
        .unwrap();
    assert_eq!(
        ev[0],
        BookEvent::MakerExpired {
            order: mine,
            account: A,
            side: Side::Sell,
            price: Price(100),
            remaining: Qty(5),
        }
    );
    assert_eq!(fills(&ev), vec![(other, 100, 3, 2)]);
    assert_eq!(out.fate, Fate::Filled);
    assert_eq!(b.order(mine), None);
    b.check_invariants().unwrap();
}

#[test]
fn stp_expire_both_removes_maker_and_taker() {
    let mut b = book();
    let other = place(&mut b, B, Side::Sell, 100, 1);
    let mine = place(&mut b, A, Side::Sell, 100, 5);
    let behind = place(&mut b, B, Side::Sell, 100, 5);
    let mut ev = Vec::new();
    let out = b
        .submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(4)).with_stp(Stp::ExpireBoth), &mut ev)
        .unwrap();
    // Fills the first order of B, meets its own order: both expire.
    assert_eq!(fills(&ev), vec![(other, 100, 1, 0)]);
    assert!(matches!(ev[1], BookEvent::MakerExpired { order, .. } if order == mine));
    assert_eq!(out.fate, Fate::Expired(ExpireReason::SelfTrade));
    assert_eq!((out.filled, out.remaining), (Qty(1), Qty(3)));
    assert_eq!(queue(&b, Side::Sell, 100), vec![behind]);
    assert_eq!(b.best_bid(), None, "an expired taker does not rest");
    b.check_invariants().unwrap();
}

#[test]
fn stp_none_allows_self_trades() {
    let mut b = book();
    let mine = place(&mut b, A, Side::Sell, 100, 5);
    let mut ev = Vec::new();
    b.submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(5)), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(mine, 100, 5, 0)]);
}

#[test]
fn size_decrease_keeps_priority_increase_loses_it() {
    let mut b = book();
    let first = place(&mut b, A, Side::Buy, 100, 5);
    let second = place(&mut b, B, Side::Buy, 100, 5);
    let mut ev = Vec::new();
    let out = b.amend(first, None, Qty(2), &mut ev).unwrap();
    assert!(out.priority_kept);
    assert_eq!(queue(&b, Side::Buy, 100), vec![first, second]);
    assert_eq!(b.level_at(Side::Buy, Price(100)).unwrap().qty, Qty(7));
    // Same price given explicitly, larger size: to the back, same id.
    let out = b.amend(first, Some(Price(100)), Qty(6), &mut ev).unwrap();
    assert!(!out.priority_kept);
    assert_eq!(out.order, first);
    assert_eq!(queue(&b, Side::Buy, 100), vec![second, first]);
    assert_eq!(b.level_at(Side::Buy, Price(100)).unwrap().qty, Qty(11));
    // Unchanged: nothing happens.
    ev.clear();
    let out = b.amend(second, None, Qty(5), &mut ev).unwrap();
    assert!(out.priority_kept);
    assert!(ev.is_empty());
    assert_eq!(b.amend(second, None, Qty(0), &mut ev), Err(BookError::NonPositiveQty(Qty(0))));
    b.check_invariants().unwrap();
}

#[test]
fn price_move_loses_priority_even_back_and_forth() {
    let mut b = book();
    let first = place(&mut b, A, Side::Sell, 100, 5);
    let second = place(&mut b, B, Side::Sell, 100, 5);
    let mut ev = Vec::new();
    b.amend(first, Some(Price(110)), Qty(5), &mut ev).unwrap();
    assert_eq!(b.level_count(Side::Sell), 2);
    b.amend(first, Some(Price(100)), Qty(5), &mut ev).unwrap();
    assert_eq!(queue(&b, Side::Sell, 100), vec![second, first]);
    assert_eq!(b.level_count(Side::Sell), 1, "the emptied level is gone");
    b.check_invariants().unwrap();
}

#[test]
fn a_move_across_the_book_matches_first_then_rests_at_the_back() {
    let mut b = book();
    let ask = place(&mut b, A, Side::Sell, 110, 3);
    let bid_other = place(&mut b, C, Side::Buy, 90, 1);
    let mover = place(&mut b, B, Side::Buy, 100, 5);
    let mut ev = Vec::new();
    let out = b.amend(mover, Some(Price(110)), Qty(5), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(ask, 110, 3, 0)]);
    assert!(matches!(
        ev[0],
        BookEvent::Fill { taker_order, taker_account: B, taker_side: Side::Buy, .. } if taker_order == mover
    ));
    assert_eq!(out.fate, Fate::Resting);
    assert_eq!((out.filled, out.remaining), (Qty(3), Qty(2)));
    let v = b.order(mover).unwrap();
    assert_eq!((v.price, v.remaining), (Price(110), Qty(2)));
    assert_eq!(b.best_ask(), None);
    // Moving a bid fully through the book fills it and the id goes stale.
    place(&mut b, A, Side::Sell, 120, 1);
    ev.clear();
    let out = b.amend(bid_other, Some(Price(120)), Qty(1), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Filled);
    assert_eq!(b.order(bid_other), None);
    assert_eq!(b.cancel(bid_other), Err(BookError::UnknownOrder(bid_other)));
    b.check_invariants().unwrap();
}

#[test]
fn a_move_into_an_own_order_with_expire_taker_removes_the_mover() {
    let mut b = book();
    place(&mut b, A, Side::Sell, 110, 3);
    let mut ev = Vec::new();
    let mover = b
        .submit(NewOrder::limit(A, Side::Buy, Price(100), Qty(2)).with_stp(Stp::ExpireTaker), &mut ev)
        .unwrap()
        .order;
    let out = b.amend(mover, Some(Price(110)), Qty(2), &mut ev).unwrap();
    assert_eq!(out.fate, Fate::Expired(ExpireReason::SelfTrade));
    assert_eq!(b.order(mover), None);
    assert_eq!(b.len(), 1);
    b.check_invariants().unwrap();
}

#[test]
fn stale_id_is_detected_after_its_slot_is_reused() {
    let mut b = book();
    let old = place(&mut b, A, Side::Buy, 100, 1);
    let gone = b.cancel(old).unwrap();
    assert_eq!(
        gone,
        CancelledOrder { order: old, account: A, side: Side::Buy, price: Price(100), remaining: Qty(1) }
    );
    let new = place(&mut b, B, Side::Buy, 90, 7);
    assert_eq!(new.slot(), old.slot(), "the slot is reused");
    assert_ne!(new, old);
    let mut ev = Vec::new();
    assert_eq!(b.cancel(old), Err(BookError::UnknownOrder(old)));
    assert_eq!(b.amend(old, None, Qty(1), &mut ev), Err(BookError::UnknownOrder(old)));
    assert_eq!(b.order(old), None);
    assert_eq!(b.order(new).unwrap().remaining, Qty(7));
    assert_eq!(b.cancel(OrderId(u64::MAX)), Err(BookError::UnknownOrder(OrderId(u64::MAX))));
}

#[test]
fn cancel_all_removes_only_that_accounts_orders() {
    let mut b = book();
    let a1 = place(&mut b, A, Side::Buy, 100, 1);
    let b1 = place(&mut b, B, Side::Buy, 100, 1);
    let a2 = place(&mut b, A, Side::Sell, 120, 2);
    let a3 = place(&mut b, A, Side::Buy, 90, 3);
    let mine: Vec<_> = b.orders_of(A).map(|o| o.id).collect();
    assert_eq!(mine, vec![a3, a2, a1]);
    let mut ev = Vec::new();
    assert_eq!(b.cancel_all(A, &mut ev), 3);
    assert_eq!(ev.len(), 3);
    assert!(ev.iter().all(|e| matches!(e, BookEvent::Cancelled { account: A, .. })));
    assert_eq!(b.orders_of(A).count(), 0);
    assert_eq!(b.len(), 1);
    assert_eq!(b.order(b1).unwrap().account, B);
    assert_eq!(b.cancel_all(C, &mut ev), 0);
    assert_eq!(b.cancel_all(AccountId(u32::MAX), &mut ev), 0);
    b.check_invariants().unwrap();
}

/// A hand-worked session. Tick 10, lot 1.
///
/// Book after setup (asks best first, bids best first):
/// ```text
///   ask 1030: C 4
///   ask 1020: A 2, B 3
///   ask 1010: B 1
///   --------
///   bid 1000: A 5, C 2
///   bid  990: B 4
/// ```
/// 1. B buys 5 limit 1020 GTC → fills B@1010×1, A@1020×2, B@1020×2 (B self-trades, STP none);
///    nothing rests; ask 1020 keeps B's 1 left.
/// 2. C sells market 8 → fills A@1000×5, C@1000×2 (self-trade), B@990×1; B keeps 3 at 990.
/// 3. C moves its 1030 ask to 990 (crossing the bids): fills B@990×3 as a taker, then rests
///    its 1 left at 990, now the best ask; no bids remain.
#[test]
fn hand_computed_session() {
    let mut b = book();
    let c_ask_1030 = place(&mut b, C, Side::Sell, 1030, 4);
    let a_ask_1020 = place(&mut b, A, Side::Sell, 1020, 2);
    let b_ask_1020 = place(&mut b, B, Side::Sell, 1020, 3);
    let b_ask_1010 = place(&mut b, B, Side::Sell, 1010, 1);
    let a_bid_1000 = place(&mut b, A, Side::Buy, 1000, 5);
    let c_bid_1000 = place(&mut b, C, Side::Buy, 1000, 2);
    let b_bid_990 = place(&mut b, B, Side::Buy, 990, 4);
    assert_eq!(b.mid(), Some(Price(1005)));
    assert_eq!(b.spread(), Some(Price(10)));

    let mut ev = Vec::new();
    let out = b.submit(NewOrder::limit(B, Side::Buy, Price(1020), Qty(5)), &mut ev).unwrap();
    assert_eq!(
        fills(&ev),
        vec![(b_ask_1010, 1010, 1, 0), (a_ask_1020, 1020, 2, 0), (b_ask_1020, 1020, 2, 1)]
    );
    assert_eq!((out.filled, out.fate), (Qty(5), Fate::Filled));
    assert_eq!(b.best_ask(), Some(Price(1020)));
    assert_eq!(b.levels(Side::Sell).collect::<Vec<_>>(), vec![(Price(1020), Qty(1)), (Price(1030), Qty(4))]);

    ev.clear();
    let out = b.submit(NewOrder::market(C, Side::Sell, Qty(8)), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(a_bid_1000, 1000, 5, 0), (c_bid_1000, 1000, 2, 0), (b_bid_990, 990, 1, 3)]);
    assert_eq!(out.fate, Fate::Filled);
    // Exact VWAP of that sell: (5·1000 + 2·1000 + 1·990) / 8 = 998.75.
    let notional: i128 = fills(&ev).iter().map(|f| i128::from(f.1 * f.2)).sum();
    assert_eq!(notional, 7990);

    ev.clear();
    let out = b.amend(c_ask_1030, Some(Price(990)), Qty(4), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(b_bid_990, 990, 3, 0)]);
    assert_eq!((out.filled, out.remaining, out.fate), (Qty(3), Qty(1), Fate::Resting));
    assert_eq!(b.best_bid(), None);
    assert_eq!(b.best_ask(), Some(Price(990)));
    assert_eq!(
        b.level_infos(Side::Sell).collect::<Vec<_>>(),
        vec![
            LevelInfo { price: Price(990), qty: Qty(1), orders: 1 },
            LevelInfo { price: Price(1020), qty: Qty(1), orders: 1 },
        ]
    );
    assert_eq!(b.order(b_ask_1020).unwrap().remaining, Qty(1));
    b.check_invariants().unwrap();
}

#[test]
fn far_prices_rest_match_and_cost_one_page_each() {
    // A book trading near 1,000 with a 10x wick ask at 10,000, a stray bid at one tick and an
    // ask at the largest tick multiple: each far order costs one ladder page (≈1.3 KB), not
    // the price range between them, and matching walks across the gaps in price order.
    let mut b = book();
    let mut ev = Vec::new();
    let near = place(&mut b, A, Side::Sell, 1_010, 2);
    let wick = place(&mut b, B, Side::Sell, 10_000, 3);
    let top_px = i64::MAX - i64::MAX % 10;
    let top = place(&mut b, C, Side::Sell, top_px, 1);
    let low = place(&mut b, C, Side::Buy, 10, 4);
    assert!(b.heap_bytes() < 4 * 1_400 + 1_024, "{} bytes", b.heap_bytes());
    assert_eq!(b.best_bid(), Some(Price(10)));
    assert_eq!(
        b.levels(Side::Sell).collect::<Vec<_>>(),
        vec![(Price(1_010), Qty(2)), (Price(10_000), Qty(3)), (Price(top_px), Qty(1))]
    );
    assert_eq!(b.depth_between(Side::Sell, Price(1), Price(i64::MAX)), Qty(6));
    assert_eq!(b.depth_between(Side::Sell, Price(1_011), Price(9_999)), Qty(0));

    // A market buy of 6 sweeps 2 @ 1,010, 3 @ 10,000 and 1 @ the top price, in that order.
    let out = b.submit(NewOrder::market(A, Side::Buy, Qty(6)), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(near, 1_010, 2, 0), (wick, 10_000, 3, 0), (top, top_px, 1, 0)]);
    assert_eq!((out.filled, out.fate), (Qty(6), Fate::Filled));
    assert_eq!(b.best_ask(), None);
    b.check_invariants().unwrap();

    // Moving the stray bid up to the top price and back keeps the book consistent.
    b.amend(low, Some(Price(top_px)), Qty(4), &mut ev).unwrap();
    assert_eq!(b.best_bid(), Some(Price(top_px)));
    b.amend(low, Some(Price(10)), Qty(4), &mut ev).unwrap();
    assert_eq!(b.best_bid(), Some(Price(10)));
    b.check_invariants().unwrap();
}

#[test]
fn scattered_prices_keep_memory_proportional_to_orders() {
    // 1,000 orders at prices spread over the whole i64 range (a hostile stream): at most one
    // page per order on each side, whatever the spread, and cancelling them all frees every
    // level.
    let mut b = Book::new(Price(1), Qty(1)).unwrap();
    let mut ids = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..1_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let px = 1 + (x >> 2) as i64;
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let mut ev = Vec::new();
        // Crossing orders match instead of resting; only resting ones are kept.
        if let Ok(out) = b.submit(NewOrder::limit(A, side, Price(px), Qty(1)).with_stp(Stp::None), &mut ev) {
            ids.extend(out.resting());
        }
    }
    b.check_invariants().unwrap();
    let pages_bound = 2 * 1_000 * (64 * 20 + 16 + 8 + 24);
    assert!(b.heap_bytes() < pages_bound + 1_000 * 40 * 2 + 64, "{} bytes", b.heap_bytes());
    // Some were taken by later crossing orders; the rest cancel.
    for id in ids {
        if b.order(id).is_some() {
            b.cancel(id).unwrap();
        }
    }
    assert!(b.is_empty());
    assert_eq!((b.level_count(Side::Buy), b.level_count(Side::Sell)), (0, 0));
    b.check_invariants().unwrap();
}
