//! Conformance of the pricing code to the test vectors of venue-mechanics.md §9, one test per
//! vector, named by its ID. Every figure here is an exact decimal in the source and the code
//! computes in exact integers, so every comparison is exact (tolerance zero).
//!
//! Covered: BIN-9, BYB-7, OKX-2, BMX-1 (interest, funding payment and net PnL), BMX-4, HL-9,
//! DYDX-20.
//!
//! Not covered here, and why:
//! * BIN-1…BIN-8, BYB-1…BYB-6, OKX-1, OKX-3, BMX-2, HL-1…HL-4, HL-10, HL-11, DYDX-19, DYDX-21,
//!   DYDX-22: maintenance-margin brackets, liquidation and bankruptcy prices, risk limits and
//!   margin tiers (the margin work, branch `margin`).
//! * BIN-10, DYDX-1…DYDX-18, DRIFT-1…DRIFT-21: liquidation, insurance-fund fees, ADL ranking
//!   and loss socialisation (liquidation/ADL work). DRIFT-11 moves cumulative funding, but to
//!   socialise a bankruptcy, not as a funding rate.
//! * §1.2 / §2.2 / §5.2 give formulas for the index and the mark price but no numeric vectors:
//!   those rules are checked by worked examples in the unit tests of `pricing::index` and
//!   `pricing::mark`.

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, InstrumentSpec};
use cascade_engine::num::{Cash, Price, Qty, Rate, Round};
use cascade_engine::pricing::funding::{
    Averaging, FundingAccumulator, FundingFormula, FundingRule, PremiumAverager, cap_from_margin,
    impact_margin_notional, interest_from_rates, premium_index,
};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig, VenueEvent};
use rust_decimal::Decimal;

/// A rate from a percentage written as in the source ("0.375" → 0.375%).
fn pct(s: &str) -> Rate {
    let r = Rate::parse(s).unwrap();
    Rate(r.0 / 100)
}

/// BIN-9 [S]: BNBUSDT, max leverage 20x so IMR 5%: `IMN = 200 USDT / 5% = 4,000 USDT`.
#[test]
fn bin_9_impact_margin_notional() {
    let imn = impact_margin_notional(Cash::units(200).unwrap(), pct("5")).unwrap();
    assert_eq!(imn, Cash::units(4_000).unwrap());
}

/// BYB-7 [R + I]: Bybit's 8 h premium average weighs minute k by `k / Σk`, Σk over minutes
/// 1…480 = 115,440.
#[test]
fn byb_7_linear_premium_weights() {
    assert_eq!(FundingRule::bybit().samples_per_interval(), 480);
    let mut avg = PremiumAverager::new(Averaging::Linear);
    for _ in 0..480 {
        avg.push(Rate::ZERO);
    }
    assert_eq!(avg.weight_sum(), 115_440);
    // Weight k/Σk for each minute k: a premium of 115,440 units in minute k alone averages to k.
    for k in [1_usize, 2, 240, 479, 480] {
        let mut avg = PremiumAverager::new(Averaging::Linear);
        for minute in 1..=480 {
            avg.push(if minute == k { Rate(115_440) } else { Rate::ZERO });
        }
        assert_eq!(avg.average().unwrap(), Rate(k as i64), "minute {k}");
    }
    // A constant premium averages to itself.
    let mut acc = FundingAccumulator::new(FundingRule::bybit()).unwrap();
    for minute in 0..480_i64 {
        assert!(acc.observe(minute * 60_000, pct("0.02")).unwrap());
    }
    assert_eq!(acc.averager().weight_sum(), 115_440);
    assert_eq!(acc.predicted().unwrap().premium, pct("0.02"));
}

/// OKX-2 [R + I]: BTC-USDT perpetual, moving-average premium +0.5%, cap ±0.375% → F = +0.375%.
#[test]
fn okx_2_funding_cap() {
    let rule = FundingRule::okx();
    let f = rule.rate(pct("0.5")).unwrap();
    assert_eq!((f.premium, f.period_rate, f.rate), (pct("0.5"), pct("0.375"), pct("0.375")));
    // The same through a full interval of one-minute samples.
    let mut acc = FundingAccumulator::new(rule).unwrap();
    for minute in 0..480_i64 {
        acc.observe(minute * 60_000, pct("0.5")).unwrap();
    }
    assert_eq!(acc.settle().unwrap().rate, pct("0.375"));
    // The cap equals 0.75 × (1% − 0.5%), the BitMEX rule (BMX-4).
    assert_eq!(cap_from_margin(pct("75"), pct("1"), pct("0.5")).unwrap(), pct("0.375"));
}

/// BMX-1 [R]: long 15,000 XBTUSD at 750; quote rate 1.00%/day, base 0.25%/day. Entry value
/// 20 XBT; F = 0.25%; funding paid 0.05 XBT; exit at 800: PnL 1.25 XBT, net 1.2 XBT.
#[test]
fn bmx_1_interest_funding_payment_and_net_pnl() {
    // I = (1.00% − 0.25%) / 3 = 0.25% per 8 h.
    let interest = interest_from_rates(pct("1"), pct("0.25"), 3).unwrap();
    assert_eq!(interest, pct("0.25"));
    // The guide's example has the premium at the interest level, where the rule gives F = I:
    // F = P + clamp(I − P, ±0.05%) = 0.25% with I = P = 0.25%.
    let rule = FundingRule {
        formula: FundingFormula::ClampedInterest { interest, band: pct("0.05") },
        ..FundingRule::bitmex()
    };
    assert_eq!(rule.rate(interest).unwrap().rate, pct("0.25"));
    // With the default interest of 0.01% the same premium gives 0.25% + max(0.01% − 0.25%,
    // −0.05%) = 0.2%: the example's F follows from its interest rates, not the default.
    assert_eq!(FundingRule::bitmex().rate(interest).unwrap().rate, pct("0.2"));

    // Through the venue: XBTUSD, inverse, 1 USD per contract, settled in XBT; no fees.
    let xbt = AssetId(1);
    let mut v = Venue::new(VenueConfig::default());
    let ins = v
        .add_instrument(InstrumentSpec {
            symbol: "XBTUSD".into(),
            kind: ContractKind::Inverse,
            settle_asset: xbt,
            price_decimals: 1,
            qty_decimals: 0,
            tick: Price(5),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::ZERO,
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
        })
        .unwrap();
    let (long, maker) = (v.open_account().unwrap(), v.open_account().unwrap());
    let xbt_units = |s: &str| s.parse::<Cash>().unwrap();
    v.deposit(long, xbt, xbt_units("100")).unwrap();
    v.deposit(maker, xbt, xbt_units("100")).unwrap();
    let mut ev = Vec::new();
    v.place(maker, ins, OrderRequest::limit(Side::Sell, Price(7_500), Qty(15_000)), &mut ev).unwrap();
    v.place(long, ins, OrderRequest::limit(Side::Buy, Price(7_500), Qty(15_000)), &mut ev).unwrap();
    let VenueEvent::Trade(t) = ev[0] else { panic!("expected the opening trade") };
    assert_eq!(t.value, xbt_units("20"));
    v.set_mark_price(ins, Price(7_500), &mut ev).unwrap();
    let s = v.settle_funding(ins, pct("0.25"), &mut ev).unwrap();
    assert_eq!((s.paid, s.received, s.residual), (xbt_units("0.05"), xbt_units("0.05"), Cash::ZERO));
    assert_eq!(v.ledger().account(long).unwrap().balance(xbt), xbt_units("99.95"));
    // Exit at 800.
    ev.clear();
    v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(8_000), Qty(15_000)), &mut ev).unwrap();
    v.place(long, ins, OrderRequest::limit(Side::Sell, Price(8_000), Qty(15_000)), &mut ev).unwrap();
    let VenueEvent::Trade(t) = ev[0] else { panic!("expected the closing trade") };
    assert_eq!(t.taker_realized, xbt_units("1.25"));
    assert_eq!(v.ledger().account(long).unwrap().balance(xbt), xbt_units("101.2"));
    v.check_invariants().unwrap();
}

/// BMX-4 [S]: funding cap with IM 1%, MM 0.5%: `0.75 × (1% − 0.5%) = 0.375%`.
#[test]
fn bmx_4_funding_cap_from_margin() {
    let cap = cap_from_margin(pct("75"), pct("1"), pct("0.5")).unwrap();
    assert_eq!(cap, pct("0.375"));
    assert_eq!(FundingRule::bitmex().period_cap, Some(cap));
    assert_eq!(FundingRule::bitmex().rate(pct("3")).unwrap().rate, pct("0.375"));
    assert_eq!(FundingRule::bitmex().rate(pct("-3")).unwrap().rate, pct("-0.375"));
}

/// HL-9 [S + I]: I = 0.01%, impact bid 10,100, oracle 10,000 → P = 1%; clamp(I − P) = −0.05%;
/// F₈ₕ = 0.95%; hourly 0.11875%.
#[test]
fn hl_9_hourly_funding_from_the_8h_formula() {
    // The impact ask is not given; any ask at or above the oracle leaves the premium at 1%.
    let p = premium_index(Some(Price(10_100)), Some(Price(10_120)), Price(10_000)).unwrap();
    assert_eq!(p, pct("1"));
    assert_eq!(premium_index(Some(Price(10_100)), None, Price(10_000)).unwrap(), pct("1"));
    let f = FundingRule::hyperliquid().rate(p).unwrap();
    assert_eq!(f.period_rate, pct("0.95"));
    assert_eq!(f.rate, pct("0.11875"));
}

/// DYDX-20 [R]: funding clamp factor 600%, IM 15%, maintenance fraction 80% → ±18%.
#[test]
fn dydx_20_funding_clamp_factor() {
    let imf = pct("15");
    // MMF = IMF × maintenance fraction = 12%.
    let mmf = imf.mul_div(80, 100, Round::Floor).unwrap();
    assert_eq!(mmf, pct("12"));
    let clamp = cap_from_margin(pct("600"), imf, mmf).unwrap();
    assert_eq!(clamp, pct("18"));
    let rule = FundingRule { period_cap: Some(clamp), ..FundingRule::dydx() };
    let f = rule.rate(pct("40")).unwrap();
    assert_eq!((f.period_rate, f.rate), (pct("18"), pct("2.25")));
}
