//! Spot markets: fills exchange the base asset for the quote value, fees in the quote asset
//! through the fee pool, and every order is backed by funds held out of the wallet. Expected
//! figures are worked by hand in the comments.

use cascade_engine::book::{Side, Trigger};
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentError, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::position::MarginMode;
use cascade_engine::venue::{OrderKind, OrderRequest, Placed, Venue, VenueConfig, VenueError, VenueEvent};
use rust_decimal::Decimal;

const USDT: AssetId = AssetId(0);
const BTC: AssetId = AssetId(1);

fn c(s: &str) -> Cash {
    s.parse().unwrap()
}

/// BTC/USDT spot as Binance lists it: tick 0.01 USDT, lot 0.00001 BTC; fees 0.02% maker,
/// 0.05% taker (the constructor's defaults). One price unit × one quantity unit = 1e-7 USDT.
fn btcusdt() -> InstrumentSpec {
    InstrumentSpec::spot("BTCUSDT", BTC, USDT, 2, 5)
}

/// `100,000.00` USDT in price units.
fn px(whole: i64) -> Price {
    Price(whole * 100)
}

/// BTC quantity from a decimal string, in 1e-5 units.
fn q(s: &str) -> Qty {
    let c: Cash = s.parse().unwrap();
    Qty(c.0 / 1_000)
}

fn wallet(v: &Venue, a: AccountId, asset: AssetId) -> Cash {
    v.ledger().account(a).unwrap().balance(asset)
}

fn held(v: &Venue, a: AccountId, asset: AssetId) -> Cash {
    v.ledger().held(a, asset)
}

fn trade(ev: &[VenueEvent]) -> cascade_engine::venue::Trade {
    let trades: Vec<_> =
        ev.iter().filter_map(|e| if let VenueEvent::Trade(t) = e { Some(*t) } else { None }).collect();
    assert_eq!(trades.len(), 1, "expected one trade in {ev:?}");
    trades[0]
}

/// A maker holds 1 BTC and 200,000 USDT and quotes 99,900.00 / 100,000.00; Alice buys at
/// market, Bob sells into the bid, Alice sells the rest of the bid and rests the remainder.
#[test]
fn hand_computed_spot_session() {
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(btcusdt()).unwrap();
    let (mm, alice, bob) = (v.open_account().unwrap(), v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(mm, BTC, c("1")).unwrap();
    v.deposit(mm, USDT, c("200000")).unwrap();
    v.deposit(alice, USDT, c("60000")).unwrap();
    v.deposit(bob, BTC, c("0.5")).unwrap();
    let mut ev = Vec::new();

    // The ask holds its 0.4 BTC. The bid (0.3 at 99,900) holds value 29,970 + fee at the larger
    // rate 0.05% 14.985 + one cash unit per possible fill but the last (30,000 lots − 1 =
    // 29,999 units = 0.00029999): 29,984.98529999 USDT.
    v.place(mm, s, OrderRequest::limit(Side::Sell, px(100_000), q("0.4")), &mut ev).unwrap();
    v.place(mm, s, OrderRequest::limit(Side::Buy, px(99_900), q("0.3")), &mut ev).unwrap();
    assert!(ev.is_empty());
    assert_eq!((wallet(&v, mm, BTC), held(&v, mm, BTC)), (c("0.6"), c("0.4")));
    assert_eq!((wallet(&v, mm, USDT), held(&v, mm, USDT)), (c("170015.01470001"), c("29984.98529999")));
    v.check_invariants().unwrap();

    // 1. Alice buys 0.25 at market (band cap 105,000 → she needs 26,263.12524999, has 60,000).
    // Fills at 100,000.00: value 25,000; taker fee 12.5; maker fee 5 out of the proceeds.
    v.place(alice, s, OrderRequest::market(Side::Buy, q("0.25")), &mut ev).unwrap();
    let t = trade(&ev);
    assert_eq!((t.value, t.taker_fee, t.maker_fee), (c("25000"), c("12.5"), c("5")));
    assert_eq!((t.taker_realized, t.maker_realized, t.shortfall), (Cash::ZERO, Cash::ZERO, Cash::ZERO));
    // Alice: 60,000 − 25,000 − 12.5 = 34,987.5 USDT and 0.25 BTC.
    assert_eq!((wallet(&v, alice, USDT), wallet(&v, alice, BTC)), (c("34987.5"), c("0.25")));
    // Maker: ask hold 0.4 → 0.15; USDT wallet 170,015.01470001 + 25,000 − 5.
    assert_eq!(held(&v, mm, BTC), c("0.15"));
    assert_eq!(wallet(&v, mm, USDT), c("195010.01470001"));
    assert_eq!(v.ledger().system(USDT).fee_pool, c("17.5"));
    v.check_invariants().unwrap();

    // 2. Bob sells 0.2 limit at 99,900.00, crossing the bid: value 19,980; Bob's taker fee
    // 9.99; the maker pays 19,980 + 3.996 from its hold, 10,000.98929999 left; the 0.1 still
    // resting needs 9,990 + 4.995 + 0.00009999 = 9,994.99509999, so 5.9942 returns to its wallet.
    ev.clear();
    v.place(bob, s, OrderRequest::limit(Side::Sell, px(99_900), q("0.2")), &mut ev).unwrap();
    let t = trade(&ev);
    assert_eq!(
        (t.value, t.taker_fee, t.maker_fee, t.taker_side),
        (c("19980"), c("9.99"), c("3.996"), Side::Sell)
    );
    assert_eq!((wallet(&v, bob, USDT), wallet(&v, bob, BTC)), (c("19970.01"), c("0.3")));
    assert_eq!(held(&v, mm, USDT), c("9994.99509999"));
    assert_eq!(wallet(&v, mm, USDT), c("195016.00890001"));
    assert_eq!((wallet(&v, mm, BTC), held(&v, mm, BTC)), (c("0.8"), c("0.15")));
    assert_eq!(v.ledger().system(USDT).fee_pool, c("31.486"));
    v.check_invariants().unwrap();

    // 3. Alice sells 0.15 limit at 99,900.00: 0.1 fills the rest of the bid (value 9,990, her
    // fee 4.995, maker fee 1.998), 0.05 rests and holds 0.05 BTC. The filled bid's hold
    // 9,994.99509999 − 9,991.998 = 2.99709999 goes back to the maker's wallet.
    ev.clear();
    let placed = v.place(alice, s, OrderRequest::limit(Side::Sell, px(99_900), q("0.15")), &mut ev).unwrap();
    let t = trade(&ev);
    assert_eq!((t.value, t.taker_fee, t.maker_fee), (c("9990"), c("4.995"), c("1.998")));
    assert!(matches!(placed, Placed::Order { filled, .. } if filled == q("0.1")));
    // Alice: 34,987.5 + 9,990 − 4.995 = 44,972.505 USDT; BTC 0.25 − 0.1 − 0.05 held = 0.1.
    assert_eq!(wallet(&v, alice, USDT), c("44972.505"));
    assert_eq!((wallet(&v, alice, BTC), held(&v, alice, BTC)), (c("0.1"), c("0.05")));
    // Maker: 205,011.004 − 9,990 − 1.998 = 195,019.006 USDT, all in the wallet; 0.9 + 0.15 BTC.
    assert_eq!((wallet(&v, mm, USDT), held(&v, mm, USDT)), (c("195019.006"), Cash::ZERO));
    assert_eq!((wallet(&v, mm, BTC), held(&v, mm, BTC)), (c("0.9"), c("0.15")));
    // Fee pool: 31.486 + 4.995 + 1.998 = 38.479; conservation: 44,972.505 + 19,970.01 +
    // 195,019.006 + 38.479 = 260,000 USDT, 0.1 + 0.05 + 0.3 + 0.9 + 0.15 = 1.5 BTC.
    assert_eq!(v.ledger().system(USDT).fee_pool, c("38.479"));
    assert_eq!(v.ledger().system(USDT).clearing, Cash::ZERO);
    assert_eq!(v.open_interest(s).unwrap(), Qty::ZERO);
    assert_eq!(v.last_price(s).unwrap(), Some(px(99_900)));
    for a in [mm, alice, bob] {
        assert!(v.ledger().account(a).unwrap().positions().is_empty());
    }
    v.check_invariants().unwrap();
}

/// A maker rebate is paid from the fee pool to the maker's wallet.
#[test]
fn maker_rebate_on_spot() {
    let fees = FeeSchedule { maker: Rate::from_bps(-1), taker: Rate::from_bps(5) };
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(InstrumentSpec { fees, ..btcusdt() }).unwrap();
    let (mm, t) = (v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(mm, USDT, c("3000")).unwrap();
    v.deposit(t, BTC, c("0.02")).unwrap();
    let mut ev = Vec::new();
    // 0.02 at 100,000.00 = 2,000; hold 2,000 + 1 (0.05%) + 1,999 units (2,000 lots − 1).
    v.place(mm, s, OrderRequest::limit(Side::Buy, px(100_000), q("0.02")), &mut ev).unwrap();
    assert_eq!(held(&v, mm, USDT), c("2001.00001999"));
    v.place(t, s, OrderRequest::market(Side::Sell, q("0.02")), &mut ev).unwrap();
    // Taker: 2,000 − 1 = 1,999 USDT. Maker: 3,000 − 2,000 + 0.2 rebate = 1,000.2 USDT, 0.02 BTC.
    // Fee pool: 1 − 0.2 = 0.8.
    let tr = trade(&ev);
    assert_eq!((tr.taker_fee, tr.maker_fee), (c("1"), c("-0.2")));
    assert_eq!((wallet(&v, t, USDT), wallet(&v, t, BTC)), (c("1999"), Cash::ZERO));
    assert_eq!(
        (wallet(&v, mm, USDT), held(&v, mm, USDT), wallet(&v, mm, BTC)),
        (c("1000.2"), Cash::ZERO, c("0.02"))
    );
    assert_eq!(v.ledger().system(USDT).fee_pool, c("0.8"));
    v.check_invariants().unwrap();
}

/// Every account's wallet and held USDT and BTC, the book's size and the fee pool.
type Snapshot = (Vec<[Cash; 4]>, usize, Cash);

/// Everything an account can observe, to show a refused call changed nothing.
fn snapshot(v: &Venue, s: InstrumentId) -> Snapshot {
    let accts = v
        .ledger()
        .accounts()
        .map(|(id, a)| [a.balance(USDT), a.balance(BTC), held(v, id, USDT), held(v, id, BTC)])
        .collect();
    (accts, v.book(s).unwrap().len(), v.ledger().system(USDT).fee_pool)
}

#[test]
fn unbacked_orders_are_refused_and_change_nothing() {
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(btcusdt()).unwrap();
    let (mm, carol) = (v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(mm, BTC, c("1")).unwrap();
    v.deposit(carol, USDT, c("1000")).unwrap();
    let mut ev = Vec::new();
    v.place(mm, s, OrderRequest::limit(Side::Sell, px(100_000), q("0.5")), &mut ev).unwrap();
    let before = snapshot(&v, s);
    // A buy of 0.01 at 100,000.00 needs 1,000 + 0.5 fee + 999 units (1,000 lots − 1) =
    // 1,000.50000999 USDT; Carol has 1,000.
    let r = v.place(carol, s, OrderRequest::limit(Side::Buy, px(100_000), q("0.01")), &mut ev);
    assert_eq!(
        r,
        Err(VenueError::InsufficientFunds { asset: 0, required: c("1000.50000999"), available: c("1000") })
    );
    // A market buy is bounded at the band: 0.0095 at up to 105,000.00 needs 997.5 + 0.49875 +
    // 0.00000949 = 997.99875949, which she has; at 0.0096 it is 1,008 + 0.504 + … and refused.
    let r = v.place(carol, s, OrderRequest::market(Side::Buy, q("0.0096")), &mut ev);
    assert!(matches!(r, Err(VenueError::InsufficientFunds { asset: 0, .. })));
    // She holds no BTC to sell.
    let r = v.place(carol, s, OrderRequest::limit(Side::Sell, px(100_000), q("0.001")), &mut ev);
    assert_eq!(
        r,
        Err(VenueError::InsufficientFunds { asset: 1, required: c("0.001"), available: Cash::ZERO })
    );
    assert!(ev.is_empty());
    assert_eq!(snapshot(&v, s), before);
    v.check_invariants().unwrap();
    // The backed market buy goes through: 0.0095 × 100,000 = 950 + 0.475 fee.
    v.place(carol, s, OrderRequest::market(Side::Buy, q("0.0095")), &mut ev).unwrap();
    assert_eq!((wallet(&v, carol, USDT), wallet(&v, carol, BTC)), (c("49.525"), c("0.0095")));
    v.check_invariants().unwrap();
}

#[test]
fn a_resting_sell_cannot_be_withdrawn_or_sold_twice() {
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(btcusdt()).unwrap();
    let a = v.open_account().unwrap();
    v.deposit(a, BTC, c("1")).unwrap();
    let mut ev = Vec::new();
    let Placed::Order { id, .. } =
        v.place(a, s, OrderRequest::limit(Side::Sell, px(100_000), q("0.7")), &mut ev).unwrap()
    else {
        panic!("expected a book order")
    };
    assert_eq!((wallet(&v, a, BTC), held(&v, a, BTC)), (c("0.3"), c("0.7")));
    // The 0.7 BTC are held: only 0.3 can leave or back a second sell.
    assert!(v.withdraw(a, BTC, c("0.31")).is_err());
    let r = v.place(a, s, OrderRequest::limit(Side::Sell, px(101_000), q("0.31")), &mut ev);
    assert_eq!(r, Err(VenueError::InsufficientFunds { asset: 1, required: c("0.31"), available: c("0.3") }));
    // Growing the resting sell to 1.01 BTC needs 0.31 more than it holds.
    let r = v.amend(a, s, id, None, q("1.01"), &mut ev);
    assert!(matches!(r, Err(VenueError::InsufficientFunds { asset: 1, .. })));
    assert_eq!((wallet(&v, a, BTC), held(&v, a, BTC)), (c("0.3"), c("0.7")));
    assert_eq!(v.book(s).unwrap().order(id).unwrap().remaining, q("0.7"));
    v.check_invariants().unwrap();
    // Growing it to exactly 1 BTC uses the whole wallet.
    v.amend(a, s, id, None, q("1"), &mut ev).unwrap();
    assert_eq!((wallet(&v, a, BTC), held(&v, a, BTC)), (Cash::ZERO, c("1")));
    v.check_invariants().unwrap();
    // Shrinking and cancelling return the base to the wallet.
    v.amend(a, s, id, None, q("0.4"), &mut ev).unwrap();
    assert_eq!((wallet(&v, a, BTC), held(&v, a, BTC)), (c("0.6"), c("0.4")));
    v.withdraw(a, BTC, c("0.6")).unwrap();
    v.cancel(a, s, id, &mut ev).unwrap();
    assert_eq!((wallet(&v, a, BTC), held(&v, a, BTC)), (c("0.4"), Cash::ZERO));
    v.check_invariants().unwrap();
}

#[test]
fn an_amended_bid_that_crosses_pays_as_a_taker() {
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(btcusdt()).unwrap();
    let (mm, b) = (v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(mm, BTC, c("1")).unwrap();
    v.deposit(b, USDT, c("20000")).unwrap();
    let mut ev = Vec::new();
    v.place(mm, s, OrderRequest::limit(Side::Sell, px(100_000), q("0.1")), &mut ev).unwrap();
    let Placed::Order { id, .. } =
        v.place(b, s, OrderRequest::limit(Side::Buy, px(90_000), q("0.15")), &mut ev).unwrap()
    else {
        panic!("expected a book order")
    };
    // Moved up to 100,000.00 it takes the 0.1 ask (value 10,000, fee 5) and rests 0.05, which
    // holds 5,000 + 2.5 + 4,999 units = 5,002.50004999.
    v.amend(b, s, id, Some(px(100_000)), q("0.15"), &mut ev).unwrap();
    let t = trade(&ev);
    assert_eq!((t.taker, t.value, t.taker_fee), (b, c("10000"), c("5")));
    assert_eq!(held(&v, b, USDT), c("5002.50004999"));
    // 20,000 − 10,000 − 5 − 5,002.50004999 = 4,992.49995001.
    assert_eq!((wallet(&v, b, USDT), wallet(&v, b, BTC)), (c("4992.49995001"), c("0.1")));
    v.check_invariants().unwrap();
    v.cancel_all(b, s, &mut ev).unwrap();
    assert_eq!((wallet(&v, b, USDT), held(&v, b, USDT)), (c("9995"), Cash::ZERO));
    v.check_invariants().unwrap();
}

#[test]
fn perpetual_only_calls_are_refused_on_spot() {
    let mut v = Venue::new(VenueConfig::default());
    let s = v.add_instrument(btcusdt()).unwrap();
    let a = v.open_account().unwrap();
    v.deposit(a, BTC, c("1")).unwrap();
    v.deposit(a, USDT, c("100000")).unwrap();
    let mut ev = Vec::new();
    let field = |r: Result<(), VenueError>| match r {
        Err(VenueError::InvalidOrder { field, .. }) => field,
        other => panic!("expected a named refusal, got {other:?}"),
    };
    let mut ro = OrderRequest::limit(Side::Sell, px(100_000), q("0.1"));
    ro.reduce_only = true;
    assert_eq!(field(v.place(a, s, ro, &mut ev).map(|_| ())), "reduce_only");
    let stop = OrderRequest {
        kind: OrderKind::StopMarket { trigger: px(90_000), source: Trigger::Last },
        ..OrderRequest::market(Side::Sell, q("0.1"))
    };
    assert_eq!(field(v.place(a, s, stop, &mut ev).map(|_| ())), "kind");
    assert_eq!(field(v.set_margin_mode(a, s, MarginMode::Isolated)), "mode");
    assert_eq!(field(v.add_isolated_margin(a, s, c("1"))), "mode");
    assert_eq!(field(v.set_leverage(a, s, 5)), "leverage");
    v.set_mark_price(s, px(100_000), &mut ev).unwrap();
    assert_eq!(field(v.settle_funding(s, Rate::from_bps(1), &mut ev).map(|_| ())), "instrument");
    // Without a price band a market buy's cost has no bound.
    let mut nb = Venue::new(VenueConfig { market_band: Rate::ZERO, ..VenueConfig::default() });
    let s2 = nb.add_instrument(btcusdt()).unwrap();
    let b = nb.open_account().unwrap();
    nb.deposit(b, USDT, c("1000")).unwrap();
    assert_eq!(
        field(nb.place(b, s2, OrderRequest::market(Side::Buy, q("0.001")), &mut ev).map(|_| ())),
        "kind"
    );
    assert!(ev.is_empty());
    assert!(v.ledger().account(a).unwrap().positions().is_empty());
    v.check_invariants().unwrap();
}

#[test]
fn spot_specs_are_validated() {
    let err = |spec: InstrumentSpec| match Venue::new(VenueConfig::default()).add_instrument(spec) {
        Err(VenueError::Instrument(InstrumentError::Spot { field, .. })) => field,
        other => panic!("expected a spot refusal, got {other:?}"),
    };
    assert_eq!(err(InstrumentSpec::spot("X", BTC, USDT, 0, 9)), "qty_decimals");
    assert_eq!(err(InstrumentSpec { contract_size: Decimal::from(2), ..btcusdt() }), "contract_size");
    assert_eq!(err(InstrumentSpec::spot("X", USDT, USDT, 2, 5)), "kind");
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate(Rate::ONE.0 + 1) };
    assert_eq!(err(InstrumentSpec { fees, ..btcusdt() }), "fees");
    // 8 quantity decimals convert one for one into base cash units.
    let v = cascade_engine::instrument::Instrument::new(InstrumentSpec::spot("X", BTC, USDT, 0, 8)).unwrap();
    assert_eq!(v.base_amount(Qty(12_345)), Ok(Cash(12_345)));
    let v = cascade_engine::instrument::Instrument::new(btcusdt()).unwrap();
    assert_eq!(v.base_amount(q("0.00001")), Ok(c("0.00001")));
    assert_eq!(v.base_asset(), Some(BTC));
}

/// Spending the quote asset on spot must not take a cross pool below its initial margin, as a
/// withdrawal would not.
#[test]
fn a_spot_buy_cannot_spend_the_margin_of_open_positions() {
    use cascade_engine::margin::tiers::RiskTiers;
    let no_fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    let mut v = Venue::new(VenueConfig::default());
    // Perp with 0.5% maintenance / 1% initial margin; the spot pair without fees.
    let tiers = RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(100), Cash::ZERO).unwrap();
    let perp = InstrumentSpec { fees: no_fees, ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3) };
    let perp = v.add_instrument_with_tiers(perp, tiers).unwrap();
    let s = v.add_instrument(InstrumentSpec { fees: no_fees, ..btcusdt() }).unwrap();
    let (mm, t) = (v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(mm, USDT, c("1000000")).unwrap();
    v.deposit(mm, BTC, c("1")).unwrap();
    v.deposit(t, USDT, c("2000")).unwrap();
    let mut ev = Vec::new();
    v.set_mark_price(perp, Price(1_000_000), &mut ev).unwrap();
    v.place(mm, perp, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1_000)), &mut ev).unwrap();
    v.place(t, perp, OrderRequest::market(Side::Buy, Qty(1_000)), &mut ev).unwrap();
    // Long 1 BTC at the mark: equity 2,000, initial margin 1% × 100,000 = 1,000, so 1,000 free.
    v.place(mm, s, OrderRequest::limit(Side::Sell, px(50_000), q("0.1")), &mut ev).unwrap();
    ev.clear();
    // 0.0201 at 50,000.00 costs 1,005 > 1,000 free, though the wallet holds 2,000.
    let r = v.place(t, s, OrderRequest::limit(Side::Buy, px(50_000), q("0.0201")), &mut ev);
    assert_eq!(r, Err(VenueError::InsufficientMargin { required: c("1005"), available: c("1000") }));
    assert!(ev.is_empty());
    // 0.02 costs exactly the 1,000 free.
    v.place(t, s, OrderRequest::limit(Side::Buy, px(50_000), q("0.02")), &mut ev).unwrap();
    assert_eq!((wallet(&v, t, USDT), wallet(&v, t, BTC)), (c("1000"), c("0.02")));
    v.check_invariants().unwrap();
}
