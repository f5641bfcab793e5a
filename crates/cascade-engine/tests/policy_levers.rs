//! The venue's policy levers (`cascade_engine::policy`), each shown on a small venue worked by
//! hand: a leverage cap refuses an order with its reason and accepts one under it, an
//! open-interest step tightens it, and a margin multiplier makes an account liquidatable at a
//! mark where it was safe (its trigger in the index moves with it).

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tiers::{Leverage, RiskTiers};
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::policy::{CapReason, CapStep, LeverageCap};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig, VenueError, VenueEvent};

const USDT: AssetId = AssetId(0);

fn usd(n: i64) -> Cash {
    Cash::units(n).unwrap()
}
fn x(n: i64) -> Leverage {
    Leverage::from_int(n).unwrap()
}

/// BTCUSDT to 0.1 USDT and 0.001 BTC, no fees, flat 0.5 % maintenance / 1 % initial (100x),
/// marked at 100,000; a maker with 100M USDT (the account returned) rests 100 BTC each side at
/// 99,999.9 / 100,000.0.
fn venue(liquidations: bool) -> (Venue, InstrumentId, AccountId) {
    let mut v = Venue::new(VenueConfig { liquidations, ..VenueConfig::default() });
    let spec = InstrumentSpec {
        fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
        ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3)
    };
    let tiers =
        RiskTiers::flat(Rate::parse("0.005").unwrap(), Rate::parse("0.01").unwrap(), Cash::ZERO).unwrap();
    let btc = v.add_instrument_with_tiers(spec, tiers).unwrap();
    let mm = v.open_account().unwrap();
    v.deposit(mm, USDT, usd(100_000_000)).unwrap();
    let mut ev = Vec::new();
    v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
    v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(999_999), Qty(100_000)), &mut ev).unwrap();
    v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(100_000)), &mut ev).unwrap();
    (v, btc, mm)
}

fn trader(v: &mut Venue, btc: InstrumentId, deposit: i64, leverage: u16) -> AccountId {
    let a = v.open_account().unwrap();
    v.deposit(a, USDT, usd(deposit)).unwrap();
    v.set_leverage(a, btc, leverage).unwrap();
    a
}

fn buy(v: &mut Venue, btc: InstrumentId, a: AccountId, qty: i64) -> Result<(), VenueError> {
    let mut ev = Vec::new();
    v.place(a, btc, OrderRequest::market(Side::Buy, Qty(qty)), &mut ev).map(|_| ())
}

/// A 20x static cap: a 50x account (its leverage chosen before the cap) is refused a 1 BTC buy
/// with the cap named; a 20x account with the same 10,000 USDT buys it (initial margin
/// 100,000 / 20 = 5,000 ≤ 10,000). Choosing 25x after the cap is refused too.
#[test]
fn a_static_cap_refuses_leverage_above_it_and_accepts_leverage_under_it() {
    let (mut v, btc, _) = venue(true);
    let fifty = trader(&mut v, btc, 10_000, 50);
    v.set_leverage_cap(btc, Some(LeverageCap { max: Some(x(20)), ..LeverageCap::default() })).unwrap();
    let err = buy(&mut v, btc, fifty, 1_000).unwrap_err();
    assert_eq!(err, VenueError::LeverageCap { leverage: x(50), cap: x(20), reason: CapReason::Static });
    assert_eq!(err.to_string(), "leverage cap: 50x is above the static cap of 20x");
    assert!(v.ledger().account(fifty).unwrap().position(btc).is_none_or(|p| p.size.is_zero()));
    // Reducing is never refused, and the cap leaves a 20x account alone.
    let twenty = trader(&mut v, btc, 10_000, 20);
    buy(&mut v, btc, twenty, 1_000).unwrap();
    assert_eq!(v.ledger().account(twenty).unwrap().position(btc).unwrap().size, Qty(1_000));
    let a = v.open_account().unwrap();
    assert!(matches!(
        v.set_leverage(a, btc, 25),
        Err(VenueError::LeverageCap { reason: CapReason::Static, .. })
    ));
    v.check_invariants().unwrap();
}

/// 20x, tightening to 10x once open interest reaches 1,000,000 USDT. A 20x account buys 1 BTC
/// while open interest is 0 (static 20x binds). After 9 BTC more change hands, open interest is
/// 10 BTC × 100,000 (mark) = 1,000,000: another 20x buy is refused with the open-interest
/// reason, and a 10x account buys (initial margin 100,000 / 10 = 10,000 ≤ 20,000).
#[test]
fn an_open_interest_step_tightens_the_cap_as_open_interest_grows() {
    let (mut v, btc, _) = venue(true);
    let cap = LeverageCap {
        max: Some(x(20)),
        open_interest: vec![CapStep { above: usd(1_000_000), max: x(10) }],
        ..LeverageCap::default()
    };
    v.set_leverage_cap(btc, Some(cap)).unwrap();
    let early = trader(&mut v, btc, 20_000, 20);
    buy(&mut v, btc, early, 1_000).unwrap();
    assert_eq!(v.open_interest_value(btc).unwrap(), usd(100_000));
    let whale = trader(&mut v, btc, 1_000_000, 10);
    buy(&mut v, btc, whale, 9_000).unwrap();
    assert_eq!(v.open_interest_value(btc).unwrap(), usd(1_000_000));
    let late = trader(&mut v, btc, 20_000, 10);
    let mut ev = Vec::new();
    // The early account's 20x is now above the 10x the open interest allows.
    let err = v.place(early, btc, OrderRequest::market(Side::Buy, Qty(1_000)), &mut ev).unwrap_err();
    assert_eq!(err, VenueError::LeverageCap { leverage: x(20), cap: x(10), reason: CapReason::OpenInterest });
    buy(&mut v, btc, late, 1_000).unwrap();
    v.check_invariants().unwrap();
}

/// Long 1 BTC at 100,000 with 5,000 USDT (20x), cross, 0.5 % maintenance: liquidatable when
/// 5,000 + (P − 100,000) ≤ 0.005·P, i.e. P ≤ 95,000 / 0.995 = 95,477.386… At a mark of 95,700:
/// equity 5,000 − 4,300 = 700, maintenance 478.5: safe. Doubling the margin (1 % maintenance)
/// makes it 957 > 700: the account is liquidated at once, at the same mark. The liquidation
/// price moves to 95,000 / 0.99 = 95,959.595…
#[test]
fn a_margin_multiplier_liquidates_at_a_mark_that_was_safe_and_moves_the_trigger() {
    let (mut v, btc, _) = venue(true);
    let a = trader(&mut v, btc, 5_000, 20);
    buy(&mut v, btc, a, 1_000).unwrap();
    let mut ev = Vec::new();
    v.set_mark_price(btc, Price(957_000), &mut ev).unwrap();
    let liquidated =
        |ev: &[VenueEvent]| ev.iter().any(|e| matches!(e, VenueEvent::Liquidation(r) if r.account == a));
    assert!(!liquidated(&ev));
    let s = v.position_margin(a, btc).unwrap();
    assert_eq!((s.equity, s.maintenance), (usd(700), "478.5".parse().unwrap()));
    ev.clear();
    assert!(v.set_margin_multiplier(btc, Rate::parse("2").unwrap(), &mut ev).unwrap());
    assert_eq!(v.margin_multiplier(btc).unwrap(), Rate::parse("2").unwrap());
    assert!(liquidated(&ev), "{ev:?}");
    v.check_invariants().unwrap();

    // Without forced liquidations, the trigger the index holds follows the table: first at the
    // liquidation price — the highest liquidatable mark (margin/price.rs "Rounding of prices"):
    // 95,477.386… → 95,477.3 — plus one unit (the index's rounding margin), then at
    // 95,959.595… → 95,959.5 plus one unit.
    let (mut v, btc, _) = venue(false);
    let a = trader(&mut v, btc, 5_000, 20);
    buy(&mut v, btc, a, 1_000).unwrap();
    v.refresh_index().unwrap();
    let trigger = |v: &Venue| v.ledger().account(a).unwrap().position(btc).unwrap().trigger;
    assert_eq!(trigger(&v), 954_774);
    let mut ev = Vec::new();
    v.set_margin_multiplier(btc, Rate::parse("2").unwrap(), &mut ev).unwrap();
    assert_eq!(trigger(&v), 959_596);
    // Back to one: the base table and the first trigger again.
    v.set_margin_multiplier(btc, Rate::ONE, &mut ev).unwrap();
    assert_eq!(trigger(&v), 954_774);
    assert!(v.set_margin_multiplier(btc, Rate::parse("0.5").unwrap(), &mut ev).is_err());
}

/// Collateral price source (venue-mechanics §8; the setup of `collateral_depeg.rs`): a trader
/// holds 10 USDT + 10,000 USDe and is long 1.9 BTC at 100,000; the internal USDe book depegs
/// to a 0.65 mid. Valued from the book, its equity after a 3 % BTC drop is
/// 10 + 6,500 − 5,700 = 810 < 871.5 of maintenance: liquidated. Valued from an external index
/// that holds the peg (1 USDT), it is 10 + 10,000 − 5,700 = 4,310: safe.
#[test]
fn collateral_valued_from_an_external_index_survives_an_internal_book_depeg() {
    use cascade_engine::venue::{CollateralRule, CollateralSource};
    const USDE: AssetId = AssetId(1);
    let outcome = |external: bool| {
        let mut v = Venue::new(VenueConfig::default());
        let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
        let btc = v
            .add_instrument(InstrumentSpec { fees, ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3) })
            .unwrap();
        let usde = v
            .add_instrument(InstrumentSpec { fees, ..InstrumentSpec::spot("USDEUSDT", USDE, USDT, 4, 0) })
            .unwrap();
        let mm = v.open_account().unwrap();
        v.deposit(mm, USDT, usd(100_000_000)).unwrap();
        v.deposit(mm, USDE, usd(1_000_000)).unwrap();
        let trader = v.open_account().unwrap();
        v.deposit(trader, USDT, usd(10)).unwrap();
        v.deposit(trader, USDE, usd(10_000)).unwrap();
        let mut ev = Vec::new();
        v.place(mm, usde, OrderRequest::limit(Side::Buy, Price(9_999), Qty(1_000_000)), &mut ev).unwrap();
        v.place(mm, usde, OrderRequest::limit(Side::Sell, Price(10_001), Qty(1_000_000)), &mut ev).unwrap();
        let source = if external { CollateralSource::External } else { CollateralSource::Book(usde) };
        v.set_collateral(USDE, CollateralRule { pool: USDT, price: usd(1), haircut: Rate::ZERO, source })
            .unwrap();
        v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
        v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1_900)), &mut ev).unwrap();
        v.place(trader, btc, OrderRequest::market(Side::Buy, Qty(1_900)), &mut ev).unwrap();
        v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(960_000), Qty(10_000)), &mut ev).unwrap();
        // The internal book depegs: makers step away, a thin 0.6500 / 0.6501 is left.
        v.cancel_all(mm, usde, &mut ev).unwrap();
        v.place(mm, usde, OrderRequest::limit(Side::Buy, Price(6_500), Qty(1_000)), &mut ev).unwrap();
        v.place(mm, usde, OrderRequest::limit(Side::Sell, Price(6_501), Qty(1_000)), &mut ev).unwrap();
        let price = v.refresh_collateral(USDE, &mut ev).unwrap();
        ev.clear();
        v.set_mark_price(btc, Price(970_000), &mut ev).unwrap();
        let liquidated = ev.iter().any(|e| matches!(e, VenueEvent::Liquidation(r) if r.account == trader));
        let equity = if liquidated { None } else { Some(v.position_margin(trader, btc).unwrap().equity) };
        v.check_invariants().unwrap();
        (price, liquidated, equity)
    };
    assert_eq!(outcome(false), (Cash(65_000_000), true, None));
    assert_eq!(outcome(true), (usd(1), false, Some(usd(4_310))));
}
