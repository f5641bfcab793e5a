//! Multi-asset collateral valued off the venue's own thin book (venue-mechanics §8: on
//! 10 Oct 2025 Binance valued USDe, wBETH and BNSOL collateral from its internal spot books,
//! which depegged while external prices did not). The same 3% BTC drop leaves a trader whose
//! collateral holds its peg safe, and liquidates the one whose collateral book collapsed. The
//! USDe book is a spot market, so its maker must hold the USDe it offers.

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::venue::{
    CollateralRule, CollateralSource, LiquidationKind, OrderRequest, Venue, VenueConfig, VenueEvent,
};

const USDT: AssetId = AssetId(0);
const USDE: AssetId = AssetId(1);

fn spec(symbol: &str, price_decimals: u32, qty_decimals: u32) -> InstrumentSpec {
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    InstrumentSpec { fees, ..InstrumentSpec::linear(symbol, USDT, price_decimals, qty_decimals) }
}

/// The USDe/USDT spot book: price to 0.0001 USDT, whole USDe, no fees.
fn usde_spot() -> InstrumentSpec {
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    InstrumentSpec { fees, ..InstrumentSpec::spot("USDEUSDT", USDE, USDT, 4, 0) }
}

/// A venue where `trader` holds 10 USDT + 10,000 USDe and is long 1.9 BTC at 100,000.
fn setup() -> (Venue, InstrumentId, InstrumentId, AccountId, AccountId) {
    let mut v = Venue::new(VenueConfig::default());
    let btc = v.add_instrument(spec("BTCUSDT", 1, 3)).unwrap();
    let usde = v.add_instrument(usde_spot()).unwrap();
    let mm = v.open_account().unwrap();
    v.deposit(mm, USDT, Cash::units(100_000_000).unwrap()).unwrap();
    // Inventory for the ask: a spot sell must be backed by the base asset.
    v.deposit(mm, USDE, Cash::units(1_000_000).unwrap()).unwrap();
    let trader = v.open_account().unwrap();
    v.deposit(trader, USDT, Cash::units(10).unwrap()).unwrap();
    v.deposit(trader, USDE, Cash::units(10_000).unwrap()).unwrap();
    let mut ev = Vec::new();
    // The internal USDe book quotes the peg. The bid holds 999,900 USDT, the ask 1,000,000 USDe.
    v.place(mm, usde, OrderRequest::limit(Side::Buy, Price(9_999), Qty(1_000_000)), &mut ev).unwrap();
    v.place(mm, usde, OrderRequest::limit(Side::Sell, Price(10_001), Qty(1_000_000)), &mut ev).unwrap();
    assert_eq!(v.ledger().held(mm, USDE), Cash::units(1_000_000).unwrap());
    assert_eq!(v.ledger().held(mm, USDT), Cash::units(999_900).unwrap());
    v.set_collateral(
        USDE,
        CollateralRule {
            pool: USDT,
            price: Cash::units(1).unwrap(),
            haircut: Rate::ZERO,
            source: CollateralSource::Book(usde),
        },
    )
    .unwrap();
    v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
    v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1_900)), &mut ev).unwrap();
    // Without its USDe the trader's 10 USDT could not back this position: the collateral counts.
    v.place(trader, btc, OrderRequest::market(Side::Buy, Qty(1_900)), &mut ev).unwrap();
    assert_eq!(v.ledger().account(trader).unwrap().position(btc).unwrap().size, Qty(1_900));
    // Bids for the liquidation to sell into.
    v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(960_000), Qty(10_000)), &mut ev).unwrap();
    (v, btc, usde, mm, trader)
}

fn liquidations(ev: &[VenueEvent]) -> usize {
    ev.iter().filter(|e| matches!(e, VenueEvent::Liquidation(_))).count()
}

#[test]
fn a_collateral_depeg_on_the_internal_book_liquidates() {
    // Pegged: a 3% drop leaves equity 10 + 10,000 − 5,700 = 4,310 USDT above maintenance.
    let (mut v, btc, _, _, trader) = setup();
    let mut ev = Vec::new();
    v.refresh_collateral(USDE, &mut ev).unwrap();
    v.set_mark_price(btc, Price(970_000), &mut ev).unwrap();
    assert_eq!(liquidations(&ev), 0);
    assert!(!v.position_margin(trader, btc).unwrap().liquidatable());

    // Depegged: the book's makers step away and a seller hits a thin bid at 0.65.
    let (mut v, btc, usde, mm, trader) = setup();
    let mut ev = Vec::new();
    v.cancel_all(mm, usde, &mut ev).unwrap();
    assert_eq!(v.ledger().held(mm, USDE), Cash::ZERO);
    v.place(mm, usde, OrderRequest::limit(Side::Buy, Price(6_500), Qty(1_000)), &mut ev).unwrap();
    v.place(mm, usde, OrderRequest::limit(Side::Sell, Price(6_501), Qty(1_000)), &mut ev).unwrap();
    let price = v.refresh_collateral(USDE, &mut ev).unwrap();
    assert_eq!(price, Cash(65_000_000)); // mid of 0.6500 / 0.6501, rounded down: 0.65 USDT
    // 10 + 6,500 of equity still covers the 900 USDT maintenance at the unchanged mark …
    assert_eq!(liquidations(&ev), 0);
    // … but not after the same 3% drop: 10 + 6,500 − 5,700 = 810 < 871.5. No partial close can
    // restore it (see the next test), so the whole 1.9 BTC is liquidated: one book attempt at the
    // bankruptcy price finds only the 96,000 bid below it, and BTCUSDT's ADL guarantee has the
    // fund take it over at 96,573.7.
    ev.clear();
    v.set_mark_price(btc, Price(970_000), &mut ev).unwrap();
    let reports: Vec<_> = ev
        .iter()
        .filter_map(
            |e| if let VenueEvent::Liquidation(r) = e { Some((r.kind, r.qty, r.price)) } else { None },
        )
        .collect();
    assert_eq!(reports, vec![(LiquidationKind::Backstop, Qty(1_900), Price(965_737))]);
    assert!(!v.position_margin(trader, btc).unwrap().liquidatable());
    v.check_invariants().unwrap();
}

/// Who pays (defect: a liquidated account used to keep its USDe while bad debt paid its loss).
/// The depegged case above, followed through by hand (zero fees, no insurance fund):
/// 1. Conversion first: the trader's 10,000 USDe go to the internal book as a market sell; the
///    only bid is 1,000 @ 0.65 (the 5% band stops at 0.6175): **1,000 sold for 650 USDT**. The
///    fund is empty, so the backstop buys none of the other 9,000.
/// 2. Equity 660 + 9,000 × 0.65 − 5,700 = 810; no partial close restores margin (tier 2 needs
///    810 > 871.5; tier 1 needs q ≥ 1.385 and q < 0.75), so the whole 1.9 BTC goes; its
///    bankruptcy price 100,000 − 6,510 / 1.9 = 96,573.68… → 96,573.7 is above the 96,000 bid, and
///    BTCUSDT's ADL guarantee has the (empty) fund take it over: the trader realizes
///    1.9 × (96,573.7 − 100,000) = −6,509.97, pays its 660 USDT, and **5,849.97** is bad debt.
/// 3. It keeps no collateral against that debt: ⌈5,849.97 / 0.65⌉ = **8,999.95384616 USDe**
///    (valued 5,849.97) go to the backstop; the trader is left with 0.04615384 USDe, 0 USDT.
#[test]
fn the_collateral_pays_first_through_the_book_then_is_seized_against_bad_debt() {
    let (mut v, btc, usde, mm, trader) = setup();
    let mut ev = Vec::new();
    v.cancel_all(mm, usde, &mut ev).unwrap();
    v.place(mm, usde, OrderRequest::limit(Side::Buy, Price(6_500), Qty(1_000)), &mut ev).unwrap();
    v.place(mm, usde, OrderRequest::limit(Side::Sell, Price(6_501), Qty(1_000)), &mut ev).unwrap();
    v.refresh_collateral(USDE, &mut ev).unwrap();
    ev.clear();
    v.set_mark_price(btc, Price(970_000), &mut ev).unwrap();
    let usd = |s: &str| -> Cash { s.parse().unwrap() };
    let sale = ev.iter().find_map(|e| match *e {
        VenueEvent::CollateralSale { account, asset, units, proceeds, book } if account == trader => {
            Some((asset, units, proceeds, book))
        }
        _ => None,
    });
    assert_eq!(sale, Some((USDE, usd("1000"), usd("650"), Some(usde))));
    let seized = ev.iter().find_map(|e| match *e {
        VenueEvent::CollateralSeized { account, asset, units, value } if account == trader => {
            Some((asset, units, value))
        }
        _ => None,
    });
    assert_eq!(seized, Some((USDE, usd("8999.95384616"), usd("5849.97"))));
    let acct = v.ledger().account(trader).unwrap();
    assert_eq!((acct.balance(USDT), acct.balance(USDE)), (Cash::ZERO, usd("0.04615384")));
    let b = v.backstop().unwrap();
    assert_eq!(v.ledger().account(b).unwrap().balance(USDE), usd("8999.95384616"));
    // The 1,000 USDe the liquidation sold went to the bid's owner: its wallet has 999,000 free
    // (1,000 are held by its resting ask) + 1,000 bought.
    assert_eq!(v.ledger().account(mm).unwrap().balance(USDE), usd("1000000"));
    assert_eq!(v.ledger().held(mm, USDE), usd("1000"));
    v.check_invariants().unwrap();
}
