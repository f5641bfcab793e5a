//! Property tests of the order book against a reference model that is obviously correct and
//! obviously slow: a `Vec` of resting orders, searched linearly for the best (price, arrival)
//! at every step.
//!
//! Random streams of every kind of operation (GTC/IOC/FOK/post-only/market submissions with
//! every self-trade prevention mode, cancels by fresh and stale ids, amendments, cancel-all,
//! invalid inputs) from several accounts are applied to both; after every operation the book
//! must have produced exactly the model's events and outcome, and must satisfy: never crossed
//! at rest, fills within the taker's limit at the maker's price, per-side quantity conserved,
//! level aggregates equal to the sum of their orders, and the model's queue order per level.
//! 50 cases × at least 2,000 operations = at least 100,000 operations per run.

use cascade_engine::book::{
    AccountId, AmendOutcome, Book, BookError, BookEvent, CancelledOrder, ExpireReason, Fate, LevelInfo,
    NewOrder, OrderId, Side, Stp, SubmitOutcome, TimeInForce,
};
use cascade_engine::num::{Price, Qty};
use proptest::prelude::*;

const TICK: i64 = 5;
const LOT: i64 = 3;
const ACCOUNTS: u32 = 6;

// ---------------------------------------------------------------- reference model

#[derive(Debug, Clone)]
struct MOrder {
    id: OrderId,
    account: AccountId,
    side: Side,
    price: i64,
    remaining: i64,
    seq: u64,
    stp: Stp,
    post_only: bool,
}

#[derive(Debug, Clone, Copy)]
struct MTaker {
    id: OrderId,
    account: AccountId,
    side: Side,
    limit: Option<i64>,
    stp: Stp,
}

#[derive(Default)]
struct Model {
    orders: Vec<MOrder>,
    seq: u64,
}

fn accepts(side: Side, limit: Option<i64>, px: i64) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => px <= l,
        (Side::Sell, Some(l)) => px >= l,
    }
}

/// Priority key of a resting order: smaller is matched first.
fn priority(o: &MOrder) -> (i64, u64) {
    match o.side {
        Side::Buy => (-o.price, o.seq),
        Side::Sell => (o.price, o.seq),
    }
}

impl Model {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn find(&self, id: OrderId) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }

    /// Opposite orders acceptable to the taker, best first.
    fn candidates(&self, side: Side, limit: Option<i64>) -> Vec<MOrder> {
        let mut c: Vec<MOrder> = self
            .orders
            .iter()
            .filter(|o| o.side == side.opposite() && accepts(side, limit, o.price))
            .cloned()
            .collect();
        c.sort_by_key(priority);
        c
    }

    fn crosses(&self, side: Side, limit: Option<i64>) -> bool {
        !self.candidates(side, limit).is_empty()
    }

    fn fok_fillable(&self, t: &MTaker, qty: i64) -> bool {
        let mut got = 0;
        for m in self.candidates(t.side, t.limit) {
            if t.stp != Stp::None && m.account == t.account {
                if t.stp == Stp::ExpireMaker {
                    continue;
                }
                return false;
            }
            got += m.remaining;
            if got >= qty {
                return true;
            }
        }
        false
    }

    fn take(&mut self, t: &MTaker, qty: i64, ev: &mut Vec<BookEvent>) -> (i64, bool) {
        let mut rem = qty;
        while rem > 0 {
            let Some(best) = self.candidates(t.side, t.limit).into_iter().next() else {
                break;
            };
            let i = self.find(best.id).unwrap();
            if t.stp != Stp::None && best.account == t.account {
                if t.stp == Stp::ExpireTaker {
                    return (qty - rem, true);
                }
                ev.push(BookEvent::MakerExpired {
                    order: best.id,
                    account: best.account,
                    side: best.side,
                    price: Price(best.price),
                    remaining: Qty(best.remaining),
                });
                self.orders.remove(i);
                if t.stp == Stp::ExpireBoth {
                    return (qty - rem, true);
                }
                continue;
            }
            let q = rem.min(best.remaining);
            rem -= q;
            self.orders[i].remaining -= q;
            ev.push(BookEvent::Fill {
                maker_order: best.id,
                maker_account: best.account,
                taker_order: t.id,
                taker_account: t.account,
                taker_side: t.side,
                price: Price(best.price),
                qty: Qty(q),
                maker_remaining: Qty(best.remaining - q),
            });
            if self.orders[i].remaining == 0 {
                self.orders.remove(i);
            }
        }
        (qty - rem, false)
    }

    fn validate(o: &NewOrder) -> Result<(), BookError> {
        if o.qty.0 <= 0 {
            return Err(BookError::NonPositiveQty(o.qty));
        }
        if o.qty.0 % LOT != 0 {
            return Err(BookError::QtyNotLotMultiple { qty: o.qty, lot: Qty(LOT) });
        }
        match o.limit {
            Some(p) if p.0 <= 0 => Err(BookError::NonPositivePrice(p)),
            Some(p) if p.0 % TICK != 0 => {
                Err(BookError::PriceNotTickMultiple { price: p, tick: Price(TICK) })
            }
            None if matches!(o.tif, TimeInForce::Gtc | TimeInForce::PostOnly) => {
                Err(BookError::MarketOrderMustBeImmediate)
            }
            _ => Ok(()),
        }
    }

    /// The model's submit, given the id the book chose (ids are the book's business).
    fn submit(&mut self, o: &NewOrder, id: OrderId, ev: &mut Vec<BookEvent>) -> SubmitOutcome {
        let t = MTaker { id, account: o.account, side: o.side, limit: o.limit.map(|p| p.0), stp: o.stp };
        let qty = o.qty.0;
        let expire = |ev: &mut Vec<BookEvent>, filled: i64, reason| {
            ev.push(BookEvent::TakerExpired {
                order: id,
                account: o.account,
                side: o.side,
                remaining: Qty(qty - filled),
                reason,
            });
            SubmitOutcome {
                order: id,
                filled: Qty(filled),
                remaining: Qty(qty - filled),
                fate: Fate::Expired(reason),
            }
        };
        if o.tif == TimeInForce::PostOnly && self.crosses(o.side, t.limit) {
            return expire(ev, 0, ExpireReason::PostOnlyWouldCross);
        }
        if o.tif == TimeInForce::Fok && !self.fok_fillable(&t, qty) {
            return expire(ev, 0, ExpireReason::FillOrKill);
        }
        let (filled, stopped) = self.take(&t, qty, ev);
        if filled == qty {
            return SubmitOutcome {
                order: id,
                filled: Qty(filled),
                remaining: Qty::ZERO,
                fate: Fate::Filled,
            };
        }
        if stopped {
            return expire(ev, filled, ExpireReason::SelfTrade);
        }
        match (o.tif, o.limit) {
            (TimeInForce::Gtc | TimeInForce::PostOnly, Some(p)) => {
                let seq = self.next_seq();
                self.orders.push(MOrder {
                    id,
                    account: o.account,
                    side: o.side,
                    price: p.0,
                    remaining: qty - filled,
                    seq,
                    stp: o.stp,
                    post_only: o.tif == TimeInForce::PostOnly,
                });
                ev.push(BookEvent::Placed {
                    order: id,
                    account: o.account,
                    side: o.side,
                    price: p,
                    qty: Qty(qty - filled),
                });
                SubmitOutcome {
                    order: id,
                    filled: Qty(filled),
                    remaining: Qty(qty - filled),
                    fate: Fate::Resting,
                }
            }
            _ => expire(ev, filled, ExpireReason::Unfilled),
        }
    }

    fn cancel(&mut self, id: OrderId) -> Result<CancelledOrder, BookError> {
        let i = self.find(id).ok_or(BookError::UnknownOrder(id))?;
        let o = self.orders.remove(i);
        Ok(CancelledOrder {
            order: id,
            account: o.account,
            side: o.side,
            price: Price(o.price),
            remaining: Qty(o.remaining),
        })
    }

    fn amend(
        &mut self,
        id: OrderId,
        new_price: Option<Price>,
        new_qty: Qty,
        ev: &mut Vec<BookEvent>,
    ) -> Result<AmendOutcome, BookError> {
        let i = self.find(id).ok_or(BookError::UnknownOrder(id))?;
        if new_qty.0 <= 0 {
            return Err(BookError::NonPositiveQty(new_qty));
        }
        if new_qty.0 % LOT != 0 {
            return Err(BookError::QtyNotLotMultiple { qty: new_qty, lot: Qty(LOT) });
        }
        if let Some(p) = new_price {
            if p.0 <= 0 {
                return Err(BookError::NonPositivePrice(p));
            }
            if p.0 % TICK != 0 {
                return Err(BookError::PriceNotTickMultiple { price: p, tick: Price(TICK) });
            }
        }
        let o = self.orders[i].clone();
        let price = new_price.map_or(o.price, |p| p.0);
        let outcome = |filled: i64, fate, kept| AmendOutcome {
            order: id,
            filled: Qty(filled),
            remaining: Qty(new_qty.0 - filled),
            fate,
            priority_kept: kept,
        };
        let amended = |qty: i64, kept| BookEvent::Amended {
            order: id,
            account: o.account,
            side: o.side,
            price: Price(price),
            qty: Qty(qty),
            priority_kept: kept,
        };
        if price == o.price {
            if new_qty.0 == o.remaining {
                return Ok(outcome(0, Fate::Resting, true));
            }
            let kept = new_qty.0 < o.remaining;
            self.orders[i].remaining = new_qty.0;
            if !kept {
                self.orders[i].seq = self.next_seq();
            }
            ev.push(amended(new_qty.0, kept));
            return Ok(outcome(0, Fate::Resting, kept));
        }
        let crosses = self.crosses(o.side, Some(price));
        if crosses && o.post_only {
            return Err(BookError::PostOnlyWouldCross(id));
        }
        self.orders.remove(i);
        let t = MTaker { id, account: o.account, side: o.side, limit: Some(price), stp: o.stp };
        let (filled, stopped) = self.take(&t, new_qty.0, ev);
        let rem = new_qty.0 - filled;
        if rem == 0 {
            return Ok(outcome(filled, Fate::Filled, false));
        }
        if stopped {
            ev.push(BookEvent::TakerExpired {
                order: id,
                account: o.account,
                side: o.side,
                remaining: Qty(rem),
                reason: ExpireReason::SelfTrade,
            });
            return Ok(outcome(filled, Fate::Expired(ExpireReason::SelfTrade), false));
        }
        let seq = self.next_seq();
        self.orders.push(MOrder { price, remaining: rem, seq, ..o });
        ev.push(amended(rem, false));
        Ok(outcome(filled, Fate::Resting, false))
    }

    fn cancel_all(&mut self, account: AccountId, ev: &mut Vec<BookEvent>) -> usize {
        let (gone, kept): (Vec<_>, Vec<_>) = self.orders.drain(..).partition(|o| o.account == account);
        self.orders = kept;
        for o in &gone {
            ev.push(BookEvent::Cancelled {
                order: o.id,
                account,
                side: o.side,
                price: Price(o.price),
                remaining: Qty(o.remaining),
            });
        }
        gone.len()
    }

    fn levels(&self, side: Side) -> Vec<LevelInfo> {
        let mut v: Vec<&MOrder> = self.orders.iter().filter(|o| o.side == side).collect();
        v.sort_by_key(|o| priority(o));
        let mut out: Vec<LevelInfo> = Vec::new();
        for o in v {
            match out.last_mut() {
                Some(l) if l.price.0 == o.price => {
                    l.qty.0 += o.remaining;
                    l.orders += 1;
                }
                _ => out.push(LevelInfo { price: Price(o.price), qty: Qty(o.remaining), orders: 1 }),
            }
        }
        out
    }

    fn queue(&self, side: Side, price: i64) -> Vec<OrderId> {
        let mut v: Vec<&MOrder> = self.orders.iter().filter(|o| o.side == side && o.price == price).collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter().map(|o| o.id).collect()
    }
}

// ---------------------------------------------------------------- operations

#[derive(Debug, Clone)]
enum Op {
    Submit {
        account: u32,
        buy: bool,
        /// Price in ticks; `None` = market.
        ticks: Option<i64>,
        lots: i64,
        tif: TimeInForce,
        stp: Stp,
        /// Make the quantity or price invalid.
        spoil: u8,
    },
    /// `live`: pick among resting orders; otherwise among every id ever issued (mostly stale).
    Cancel {
        live: bool,
        pick: usize,
    },
    Amend {
        live: bool,
        pick: usize,
        ticks: Option<i64>,
        lots: i64,
    },
    CancelAll {
        account: u32,
    },
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        5 => Just(TimeInForce::Gtc),
        2 => Just(TimeInForce::Ioc),
        2 => Just(TimeInForce::Fok),
        2 => Just(TimeInForce::PostOnly),
    ]
}

fn stp() -> impl Strategy<Value = Stp> {
    prop_oneof![
        4 => Just(Stp::None),
        1 => Just(Stp::ExpireTaker),
        1 => Just(Stp::ExpireMaker),
        1 => Just(Stp::ExpireBoth),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let submit = (
        0..ACCOUNTS,
        any::<bool>(),
        prop::option::weighted(0.93, 1i64..=10),
        1i64..=8,
        tif(),
        stp(),
        prop_oneof![40 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
    )
        .prop_map(|(account, buy, ticks, lots, tif, stp, spoil)| {
            // Buys mostly low and sells mostly high, overlapping in the middle, so the book
            // both rests and trades.
            let ticks = ticks.map(|t| if buy { t } else { t + 6 });
            // A market order must be immediate: GTC/post-only markets are invalid input.
            Op::Submit { account, buy, ticks, lots, tif, stp, spoil }
        });
    prop_oneof![
        50 => submit,
        6 => (prop::bool::weighted(0.8), any::<usize>())
            .prop_map(|(live, pick)| Op::Cancel { live, pick }),
        30 => (
            prop::bool::weighted(0.85),
            any::<usize>(),
            prop::option::weighted(0.8, 1i64..=10),
            0i64..=9,
        )
            .prop_map(|(live, pick, ticks, lots)| Op::Amend { live, pick, ticks, lots }),
        1 => (0..ACCOUNTS + 1).prop_map(|account| Op::CancelAll { account }),
    ]
}

// ---------------------------------------------------------------- checks

/// Per-side bookkeeping of where every submitted unit of quantity went.
#[derive(Default, Debug)]
struct Ledger {
    submitted: [i128; 2],
    filled: [i128; 2],
    removed: [i128; 2],
}

fn si(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

impl Ledger {
    fn record(&mut self, ev: &[BookEvent]) {
        for e in ev {
            match *e {
                BookEvent::Fill { taker_side, qty, .. } => {
                    self.filled[si(taker_side)] += i128::from(qty.0);
                    self.filled[si(taker_side.opposite())] += i128::from(qty.0);
                }
                BookEvent::MakerExpired { side, remaining, .. }
                | BookEvent::TakerExpired { side, remaining, .. }
                | BookEvent::Cancelled { side, remaining, .. } => {
                    self.removed[si(side)] += i128::from(remaining.0);
                }
                BookEvent::Placed { .. } | BookEvent::Amended { .. } => {}
            }
        }
    }
}

/// Checks every fill of one operation: within the taker's limit and at the resting maker's
/// price (looked up in the model *before* the operation).
fn check_fills(ev: &[BookEvent], limit: Option<i64>, before: &Model) -> Result<(), TestCaseError> {
    for e in ev {
        if let BookEvent::Fill { maker_order, taker_side, price, .. } = *e {
            prop_assert!(
                accepts(taker_side, limit, price.0),
                "fill at {price:?} outside the taker's limit {limit:?}"
            );
            let maker = before.orders.iter().find(|o| o.id == maker_order);
            prop_assert!(maker.is_some(), "fill against an order that was not resting");
            prop_assert_eq!(maker.unwrap().price, price.0, "fill not at the maker's price");
        }
    }
    Ok(())
}

fn check_state(book: &Book, model: &Model, ledger: &Ledger) -> Result<(), TestCaseError> {
    if let Err(e) = book.check_invariants() {
        return Err(TestCaseError::fail(e));
    }
    if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) {
        prop_assert!(b < a, "crossed at rest: {b:?} >= {a:?}");
    }
    for side in [Side::Buy, Side::Sell] {
        let levels: Vec<LevelInfo> = book.level_infos(side).collect();
        prop_assert_eq!(&levels, &model.levels(side));
        for l in &levels {
            let q: Vec<OrderId> = book.level_orders(side, l.price).map(|o| o.id).collect();
            let sum: i64 = book.level_orders(side, l.price).map(|o| o.remaining.0).sum();
            prop_assert_eq!(sum, l.qty.0, "level aggregate != sum of its orders");
            prop_assert_eq!(q, model.queue(side, l.price.0), "queue order differs");
        }
        let resting = i128::from(book.side_qty(side).0);
        let s = si(side);
        prop_assert_eq!(
            ledger.submitted[s],
            ledger.filled[s] + ledger.removed[s] + resting,
            "{:?} quantity not conserved: {:?}",
            side,
            ledger
        );
    }
    prop_assert_eq!(ledger.filled[0], ledger.filled[1]);
    prop_assert_eq!(book.len(), model.orders.len());
    for a in 0..=ACCOUNTS {
        let mut ids: Vec<OrderId> = book.orders_of(AccountId(a)).map(|o| o.id).collect();
        let mut want: Vec<OrderId> =
            model.orders.iter().filter(|o| o.account == AccountId(a)).map(|o| o.id).collect();
        ids.sort();
        want.sort();
        prop_assert_eq!(ids, want);
    }
    Ok(())
}

/// An id to cancel or amend: a resting one, or any ever issued (most of those are stale).
fn pick_id(live: bool, pick: usize, model: &Model, ids: &[OrderId]) -> Option<OrderId> {
    if live && !model.orders.is_empty() {
        Some(model.orders[pick % model.orders.len()].id)
    } else if !ids.is_empty() {
        Some(ids[pick % ids.len()])
    } else {
        None
    }
}

/// How often each kind of event happened in a run: evidence that the generator reaches every
/// path of the matcher.
#[derive(Default, Debug)]
struct Stats {
    fills: usize,
    maker_expired: usize,
    expired: [usize; 4],
    placed: usize,
    amended: usize,
    cancelled: usize,
    max_resting: usize,
}

impl Stats {
    fn record(&mut self, ev: &[BookEvent], resting: usize) {
        for e in ev {
            match *e {
                BookEvent::Fill { .. } => self.fills += 1,
                BookEvent::MakerExpired { .. } => self.maker_expired += 1,
                BookEvent::TakerExpired { reason, .. } => {
                    self.expired[match reason {
                        ExpireReason::Unfilled => 0,
                        ExpireReason::FillOrKill => 1,
                        ExpireReason::SelfTrade => 2,
                        ExpireReason::PostOnlyWouldCross => 3,
                    }] += 1;
                }
                BookEvent::Placed { .. } => self.placed += 1,
                BookEvent::Amended { .. } => self.amended += 1,
                BookEvent::Cancelled { .. } => self.cancelled += 1,
            }
        }
        self.max_resting = self.max_resting.max(resting);
    }
}

fn run(ops: &[Op]) -> Result<Stats, TestCaseError> {
    let mut stats = Stats::default();
    let mut book = Book::new(Price(TICK), Qty(LOT)).unwrap();
    let mut model = Model::default();
    let mut ledger = Ledger::default();
    let mut ids: Vec<OrderId> = Vec::new();
    let mut ev = Vec::new();
    let mut want = Vec::new();
    for op in ops {
        ev.clear();
        want.clear();
        let before_orders = model.orders.clone();
        let before = Model { orders: before_orders, seq: model.seq };
        match *op {
            Op::Submit { account, buy, ticks, lots, tif, stp, spoil } => {
                let mut o = NewOrder {
                    account: AccountId(account),
                    side: if buy { Side::Buy } else { Side::Sell },
                    limit: ticks.map(|t| Price(t * TICK)),
                    qty: Qty(lots * LOT),
                    tif,
                    stp,
                };
                match spoil {
                    1 => o.qty = Qty(o.qty.0 + 1),
                    2 => o.limit = o.limit.map(|p| Price(p.0 - 1)),
                    3 => o.qty = Qty(0),
                    _ => {}
                }
                let got = book.submit(o, &mut ev);
                match Model::validate(&o) {
                    Err(e) => {
                        prop_assert_eq!(got, Err(e));
                        prop_assert!(ev.is_empty());
                    }
                    Ok(()) => {
                        let out = got.map_err(|e| TestCaseError::fail(format!("{e}")))?;
                        prop_assert!(model.find(out.order).is_none(), "new id collides with a resting order");
                        let expect = model.submit(&o, out.order, &mut want);
                        prop_assert_eq!(out, expect);
                        prop_assert_eq!(&ev, &want, "events differ for {:?}", o);
                        ledger.submitted[si(o.side)] += i128::from(o.qty.0);
                        ids.push(out.order);
                        check_fills(&ev, o.limit.map(|p| p.0), &before)?;
                    }
                }
            }
            Op::Cancel { live, pick } => {
                let Some(id) = pick_id(live, pick, &model, &ids) else {
                    continue;
                };
                let got = book.cancel(id);
                prop_assert_eq!(got, model.cancel(id));
                if let Ok(c) = got {
                    ledger.removed[si(c.side)] += i128::from(c.remaining.0);
                }
            }
            Op::Amend { live, pick, ticks, lots } => {
                let Some(id) = pick_id(live, pick, &model, &ids) else {
                    continue;
                };
                let old = book.order(id);
                // Like submissions: buys mostly low, sells mostly high.
                let shift = if old.is_some_and(|o| o.side == Side::Sell) { 6 } else { 0 };
                let price = ticks.map(|t| Price((t + shift) * TICK));
                let qty = Qty(lots * LOT);
                let got = book.amend(id, price, qty, &mut ev);
                let expect = model.amend(id, price, qty, &mut want);
                prop_assert_eq!(got, expect);
                prop_assert_eq!(&ev, &want, "amend events differ");
                if let (Ok(_), Some(old)) = (got, old) {
                    let growth = i128::from(qty.0 - old.remaining.0);
                    if growth > 0 {
                        ledger.submitted[si(old.side)] += growth;
                    } else {
                        ledger.removed[si(old.side)] -= growth;
                    }
                    check_fills(&ev, Some(price.unwrap_or(old.price).0), &before)?;
                }
            }
            Op::CancelAll { account } => {
                let n = book.cancel_all(AccountId(account), &mut ev);
                prop_assert_eq!(n, model.cancel_all(AccountId(account), &mut want));
                let key = |e: &BookEvent| match *e {
                    BookEvent::Cancelled { order, .. } => order,
                    _ => OrderId(u64::MAX),
                };
                ev.sort_by_key(key);
                want.sort_by_key(key);
                prop_assert_eq!(&ev, &want);
            }
        }
        ledger.record(&ev);
        stats.record(&ev, book.len());
        check_state(&book, &model, &ledger)?;
    }
    Ok(stats)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 50,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    /// 50 cases × 2,000–2,400 operations: at least 100,000 operations per run.
    #[test]
    fn book_matches_the_reference_model(ops in prop::collection::vec(op(), 2000..=2400)) {
        run(&ops)?;
    }
}

/// The generator must reach every path: one fixed-seed stream of 10,000 operations has to
/// produce every kind of event, and queues deeper than a handful of orders.
#[test]
fn the_operation_stream_exercises_every_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let ops = prop::collection::vec(op(), 10_000).new_tree(&mut runner).unwrap().current();
    let stats = run(&ops).unwrap();
    assert!(stats.fills > 1000, "{stats:?}");
    assert!(stats.maker_expired > 10, "{stats:?}");
    assert!(stats.expired.iter().all(|&n| n > 10), "{stats:?}");
    assert!(stats.placed > 1000 && stats.amended > 1000 && stats.cancelled > 100, "{stats:?}");
    assert!(stats.max_resting > 60, "{stats:?}");
}
