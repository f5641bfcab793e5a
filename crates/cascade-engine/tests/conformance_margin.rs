//! Conformance of the margin mathematics with the worked examples of
//! `shared/reference/venue-mechanics.md` §9. Each test is named by the vector's ID and states
//! its inputs, its source and the tolerance that source implies.
//!
//! Covered: BIN-1, BIN-2, BIN-3, BIN-4, BIN-7, BIN-8, BYB-1, BYB-2, BYB-4, BYB-5, BYB-6, OKX-3,
//! BMX-2, HL-1, HL-2, HL-3, HL-4, HL-10, HL-11, DYDX-1, DYDX-2, DYDX-3, DYDX-4, DYDX-5,
//! DYDX-19, DYDX-20, DYDX-21, DYDX-22, DRIFT-19.
//!
//! Not covered here, and why:
//! * BIN-9, BYB-7, OKX-2, BMX-1, BMX-4, HL-9, DRIFT-11: funding and index arithmetic, not
//!   margin (the `funding` module's vectors).
//! * BIN-10: ADL ranking (the `adl` module).
//! * OKX-1, DYDX-6..11, DYDX-18, DRIFT-1..10, DRIFT-15, DRIFT-16: liquidation execution
//!   (partial-liquidation sizes, fillable prices, liquidator and insurance fees, per-slot
//!   liquidation) — the `liquidation` module's vectors.
//! * DRIFT-12, DRIFT-20, DRIFT-21: spot-market interest and asset/liability weights and the
//!   unrealized-PnL asset weight — Cascade does not model spot collateral weights yet.

use std::str::FromStr;

use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, Instrument, InstrumentSpec};
use cascade_engine::margin::dydx::{LiquidityTier, bankruptcy_quote};
use cascade_engine::margin::tables::{
    binance_btcusdt, bitmex_xbtusd, bybit_btcusdt, hyperliquid, hyperliquid_mmr, okx_ethusdt,
};
use cascade_engine::margin::{
    Exposure, Leverage, MaintenanceBasis, Position, RiskTiers, Venue, bankruptcy_price, default_tiers, drift,
    liquidation_price, maintenance_amount,
};
use cascade_engine::num::{Cash, Price, Qty, Rate};
use rust_decimal::Decimal;

fn cash(s: &str) -> Cash {
    Cash::from_str(s).unwrap()
}

fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap()
}

fn lev(n: i64) -> Leverage {
    Leverage::from_int(n).unwrap()
}

fn instrument(kind: ContractKind, pd: u32, qd: u32, contract_size: &str) -> Instrument {
    Instrument::new(InstrumentSpec {
        symbol: "TEST".into(),
        kind,
        settle_asset: AssetId(0),
        price_decimals: pd,
        qty_decimals: qd,
        tick: Price(1),
        lot: Qty(1),
        min_qty: Qty(1),
        min_notional: Cash::ZERO,
        contract_size: Decimal::from_str(contract_size).unwrap(),
        tier_contract: None,
        fees: FeeSchedule { maker: Rate(0), taker: Rate(0) },
    })
    .unwrap()
}

/// A linear instrument with `qd` quantity decimals and the finest price precision that keeps
/// values exact (8 − qd).
fn linear(qd: u32) -> Instrument {
    instrument(ContractKind::Linear, 8 - qd, qd, "1")
}

fn position<'a>(inst: &'a Instrument, tiers: &'a RiskTiers, qty: &str, entry: &str) -> Position<'a> {
    let pd = inst.spec().price_decimals;
    let p = Price::parse(entry, pd).unwrap();
    Position {
        instrument: inst,
        tiers,
        qty: Qty::parse(qty, inst.spec().qty_decimals).unwrap(),
        entry_price: p,
        mark_price: p,
    }
}

fn as_decimal(p: Price, inst: &Instrument) -> Decimal {
    Decimal::from_str(&p.to_decimal(inst.spec().price_decimals)).unwrap()
}

fn assert_close(got: Decimal, want: &str, abs_tol: &str) {
    let want = Decimal::from_str(want).unwrap();
    let tol = Decimal::from_str(abs_tol).unwrap();
    assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
}

fn assert_rel(got: Decimal, want: &str, rel: &str) {
    let want = Decimal::from_str(want).unwrap();
    let rel = Decimal::from_str(rel).unwrap();
    assert!((got - want).abs() <= want.abs() * rel, "got {got}, want {want} (rel {rel})");
}

// ---------------------------------------------------------------- Binance (§9.1)

/// BIN-1: Level 3 floor 250,000, MMR 1% (previous 0.5%), previous cum 50 → cum 1,300 USDT.
/// Source: Binance USDⓈ-M liquidation-price FAQ [R]. Exact.
#[test]
fn bin_1_maintenance_amount() {
    let cum = maintenance_amount(cash("250000"), rate("0.01"), rate("0.005"), cash("50")).unwrap();
    assert_eq!(cum, cash("1300"));
    assert_eq!(binance_btcusdt().unwrap().tiers()[2].maintenance_amount, cash("1300"));
}

/// BIN-2: BTCUSDT notional 264,000 → MMR 1%. Source: same FAQ [R]. Exact.
#[test]
fn bin_2_bracket_lookup() {
    let t = binance_btcusdt().unwrap();
    assert_eq!(t.tier(&Exposure::notional(cash("264000"))).mmr, rate("0.01"));
}

/// BIN-3: ETHUSDT isolated long, WB 1,535,443.01, q 3,683.979, EP 1,456.84, MMR 0.10,
/// cum 135,365 → LP 1,114.78. Source: freqtrade `test_liquidation_price_binance` ("From calc
/// example") [R]. The venue shows 2 dp: tolerance 0.01.
#[test]
fn bin_3_isolated_long_liquidation_price() {
    let inst = linear(3);
    let tiers = RiskTiers::flat(rate("0.10"), rate("0.20"), cash("135365")).unwrap();
    let pos = position(&inst, &tiers, "3683.979", "1456.84");
    let lp = liquidation_price(&pos, cash("1535443.01"), MaintenanceBasis::Mark).unwrap().unwrap();
    assert_close(as_decimal(lp, &inst), "1114.78", "0.01");
}

/// BIN-4: BTCUSDT isolated long, WB 1,535,443.01, q 109.488, EP 32,481.98, MMR 0.025,
/// cum 16,300 → LP 18,778.73. Source: freqtrade, as BIN-3 [R]. Tolerance 0.01 (2 dp).
/// The same LP comes out of the full BTCUSDT bracket table: the LP's notional (≈2.06M) lies in
/// bracket 4, whose MMR and amount are the example's (Binance's bracket recomputation).
#[test]
fn bin_4_isolated_long_liquidation_price_and_bracket() {
    let inst = linear(3);
    let flat = RiskTiers::flat(rate("0.025"), rate("0.05"), cash("16300")).unwrap();
    let pos = position(&inst, &flat, "109.488", "32481.98");
    let lp = liquidation_price(&pos, cash("1535443.01"), MaintenanceBasis::Mark).unwrap().unwrap();
    assert_close(as_decimal(lp, &inst), "18778.73", "0.01");

    let table = default_tiers(Venue::Binance, "BTCUSDT").unwrap();
    let pos = Position { tiers: &table, ..pos };
    let lp2 = liquidation_price(&pos, cash("1535443.01"), MaintenanceBasis::Mark).unwrap().unwrap();
    assert_eq!(lp, lp2);
}

/// BIN-7: COIN-M, 100 BTCUSD contracts of 100 USD at mark 25,000, MMR 0.4%, cum 0 →
/// notional 0.4 BTC, MM 0.0016 BTC. Source: Binance COIN-M FAQ [R]. Exact.
#[test]
fn bin_7_coin_m_maintenance_margin() {
    let inst = instrument(ContractKind::Inverse, 1, 0, "100");
    let tiers = RiskTiers::flat(rate("0.004"), rate("0.008"), Cash::ZERO).unwrap();
    let pos = position(&inst, &tiers, "100", "25000");
    assert_eq!(pos.notional(pos.mark_price).unwrap(), cash("0.4"));
    assert_eq!(pos.maintenance_margin(MaintenanceBasis::Mark).unwrap(), cash("0.0016"));
}

/// BIN-8: COIN-M level 5, floor 50 BTC, MMR 5% vs 2.5%, previous cum 0.56 BTC → 1.81 BTC.
/// Source: Binance COIN-M FAQ (es) [R]. Exact.
#[test]
fn bin_8_coin_m_maintenance_amount() {
    let cum = maintenance_amount(cash("50"), rate("0.05"), rate("0.025"), cash("0.56")).unwrap();
    assert_eq!(cum, cash("1.81"));
}

// ---------------------------------------------------------------- Bybit (§9.2)

fn bybit_position<'a>(
    inst: &'a Instrument,
    tiers: &'a RiskTiers,
    qty: &str,
    entry: &str,
    leverage: i64,
) -> (Position<'a>, Cash) {
    let pos = position(inst, tiers, qty, entry);
    let im = pos.initial_margin(MaintenanceBasis::Entry, Some(lev(leverage))).unwrap();
    (pos, im)
}

/// BYB-1: USDT isolated long 1 BTC @ 20,000, 50x, MMR 0.5% → IM 400, MM 100, LP 19,700.
/// Source: Bybit Liquidation-Price-USDT-Contract [R]. Exact (the figures are whole).
#[test]
fn byb_1_usdt_isolated_long() {
    let inst = linear(3);
    let tiers = bybit_btcusdt().unwrap();
    let (pos, im) = bybit_position(&inst, &tiers, "1", "20000", 50);
    assert_eq!(im, cash("400"));
    assert_eq!(pos.maintenance_margin(MaintenanceBasis::Entry).unwrap(), cash("100"));
    let lp = liquidation_price(&pos, im, Venue::Bybit.maintenance_basis()).unwrap().unwrap();
    assert_eq!(lp, Price::parse("19700", 5).unwrap());
}

/// BYB-2: the same position short → LP 20,300. Source: [I] from Bybit's short formula. Exact.
#[test]
fn byb_2_usdt_isolated_short() {
    let inst = linear(3);
    let tiers = bybit_btcusdt().unwrap();
    let (pos, im) = bybit_position(&inst, &tiers, "-1", "20000", 50);
    let lp = liquidation_price(&pos, im, MaintenanceBasis::Entry).unwrap().unwrap();
    assert_eq!(lp, Price::parse("20300", 5).unwrap());
}

/// BYB-4: inverse long @ 7,890.08, 50x → BP = EP·L/(L+1) = 7,735.372549, shown as 7,735.50.
/// Source: Bybit ADL help article [R]. Margin is rounded to a satoshi, so the price is compared
/// at 1e-4 USD; rounded up to Bybit's 0.5 tick (a long's BP rounds up) it is exactly 7,735.5.
#[test]
fn byb_4_inverse_long_bankruptcy_price() {
    let inst = instrument(ContractKind::Inverse, 6, 0, "1");
    let tiers = RiskTiers::flat(rate("0.005"), rate("0.01"), Cash::ZERO).unwrap();
    let (pos, im) = bybit_position(&inst, &tiers, "1000000", "7890.08", 50);
    let bp = bankruptcy_price(&pos, im).unwrap().unwrap();
    assert_close(as_decimal(bp, &inst), "7735.372549", "0.0001");
    let tick = Price::parse("0.5", 6).unwrap().0;
    let on_tick = Price(bp.0.div_euclid(tick) * tick + if bp.0 % tick == 0 { 0 } else { tick });
    assert_eq!(on_tick.to_decimal(6), "7735.5");
}

/// BYB-5: linear long 1 BTC @ 10,000, 50x → BP 9,800. Source: mobie.io FAQ [S]. Exact.
#[test]
fn byb_5_linear_bankruptcy_price() {
    let inst = linear(3);
    let tiers = bybit_btcusdt().unwrap();
    let (pos, im) = bybit_position(&inst, &tiers, "1", "10000", 50);
    assert_eq!(bankruptcy_price(&pos, im).unwrap(), Some(Price::parse("9800", 5).unwrap()));
}

/// BYB-6: linear long 1 BTC @ 10,000, 50x, MMR 0.5% → LP 9,850; short 1 BTC @ 8,000, 40x →
/// LP 8,160. Source: cryptoarmy.io [S]. Exact.
#[test]
fn byb_6_linear_liquidation_prices() {
    let inst = linear(3);
    let tiers = bybit_btcusdt().unwrap();
    let (pos, im) = bybit_position(&inst, &tiers, "1", "10000", 50);
    assert_eq!(
        liquidation_price(&pos, im, MaintenanceBasis::Entry).unwrap(),
        Some(Price::parse("9850", 5).unwrap())
    );
    let (pos, im) = bybit_position(&inst, &tiers, "-1", "8000", 40);
    assert_eq!(
        liquidation_price(&pos, im, MaintenanceBasis::Entry).unwrap(),
        Some(Price::parse("8160", 5).unwrap())
    );
}

// ---------------------------------------------------------------- OKX, BitMEX (§9.3, §9.4)

/// OKX-3: ETHUSDT (2021 tiers), 5,000 contracts → tier 2: MMR 0.50%, IMR 1.00%, 100x.
/// Source: OKEx tier announcement [R]. Exact.
#[test]
fn okx_3_position_tier() {
    let t = okx_ethusdt().unwrap();
    let e = Exposure { notional: Cash::ZERO, size: 5_000 * 100_000_000 };
    assert_eq!(t.index_for(t.amount(&e)), 1);
    let tier = t.tier(&e);
    assert_eq!((tier.mmr, tier.imr), (rate("0.005"), rate("0.01")));
    assert_eq!(tier.max_leverage, lev(100));
}

/// BMX-2: XBTUSD position 180 XBT → MM 0.50% = 0.90 XBT; 230 XBT → MM 1.00%, IM 1.50%.
/// Source: bitmex.com riskLimitsExamples [R]. Exact.
#[test]
fn bmx_2_risk_limit_steps() {
    let t = bitmex_xbtusd().unwrap();
    let e180 = Exposure::notional(cash("180"));
    assert_eq!(t.maintenance_margin(&e180).unwrap(), cash("0.9"));
    let e230 = Exposure::notional(cash("230"));
    let tier = t.tier(&e230);
    assert_eq!((tier.mmr, tier.imr), (rate("0.01"), rate("0.015")));
    assert_eq!(t.maintenance_margin(&e230).unwrap(), cash("2.3"));
    assert_eq!(t.initial_margin(&e230, None).unwrap(), cash("3.45"));
}

// ---------------------------------------------------------------- Hyperliquid (§9.5)

/// HL-1..4 share one shape: isolated, `l = 1/(2·maxLev)` with the freqtrade fixture's max
/// leverage, venue-reported LP compared at relative 1e-4 (as the freqtrade test does).
fn hl_case(max_lev: i64, size: &str, entry: &str, collateral: &str, expected: &str) {
    let qd = Decimal::from_str(size).unwrap().normalize().scale();
    let inst = linear(qd);
    let l = lev(max_lev);
    let tiers = RiskTiers::flat(hyperliquid_mmr(l).unwrap(), l.to_imr().unwrap(), Cash::ZERO).unwrap();
    let pos = position(&inst, &tiers, size, entry);
    let lp =
        liquidation_price(&pos, cash(collateral), Venue::Hyperliquid.maintenance_basis()).unwrap().unwrap();
    assert_rel(as_decimal(lp, &inst), expected, "0.0001");
}

/// HL-1: ETH long, EP 2,458.5, size 0.015, collateral 36.864593, 1x → LP 0.86915825.
/// Source: freqtrade `test_hyperliquid_dry_run_liquidation_price` [R]. Relative 1e-4.
#[test]
fn hl_1_eth_long() {
    hl_case(50, "0.015", "2458.5", "36.864593", "0.86915825");
}

/// HL-2: BTC long, EP 62,739.0, size 0.00077, collateral 24.137992, 2x → LP 31,708.03843631.
/// Source: as HL-1 [R]. Relative 1e-4.
#[test]
fn hl_2_btc_long() {
    hl_case(50, "0.00077", "62739.0", "24.137992", "31708.03843631");
}

/// HL-3: SOL long, EP 145.83, size 0.33, collateral 24.045107, 2x → LP 74.83696193.
/// Source: as HL-1 [R]. Relative 1e-4.
#[test]
fn hl_3_sol_long() {
    hl_case(20, "0.33", "145.83", "24.045107", "74.83696193");
}

/// HL-4: ETH short, EP 2,642.8, size 0.019, collateral 25.091876, 2x → LP 3,924.18322043.
/// Source: as HL-1 [R]. Relative 1e-4.
#[test]
fn hl_4_eth_short() {
    hl_case(50, "-0.019", "2642.8", "25.091876", "3924.18322043");
}

/// HL-10: BTC margin table ≤ 150M at 40x, > 150M at 20x → MMR 1.25% / 2.5%, deduction of
/// tier 2 = 150M × 1.25% = 1,875,000. Source: margin-tiers page [R] + [I]. Exact.
#[test]
fn hl_10_btc_margin_table() {
    let t = hyperliquid("BTC").unwrap();
    let tiers = t.tiers();
    assert_eq!((tiers[0].mmr, tiers[1].mmr), (rate("0.0125"), rate("0.025")));
    assert_eq!(tiers[1].maintenance_amount, cash("1875000"));
    assert_eq!(tiers[1].floor, cash("150000000").0);
}

/// HL-11: a 20x maximum leverage → MMR 2.5%. Source: margin-tiers page [R]. Exact.
#[test]
fn hl_11_mmr_is_half_imr_at_max_leverage() {
    assert_eq!(hyperliquid_mmr(lev(20)).unwrap(), rate("0.025"));
}

// ---------------------------------------------------------------- dYdX (§9.6)

/// The test perpetual `BtcUsd_20PercentInitial_10PercentMaintenance`: IM 20%, MF 50%.
const TEST_TIER: LiquidityTier = LiquidityTier {
    name: "test",
    initial_margin_ppm: 200_000,
    maintenance_fraction_ppm: 500_000,
    open_interest_lower_cap: Cash(0),
    open_interest_upper_cap: Cash(0),
};

/// One quote quantum: 10^-6 USDC.
const QUANTUM: Cash = Cash(100);

/// A subaccount: USDC balance and positions `(size in base, oracle price)`. Returns the
/// bankruptcy quote in quote quantums for changing position `index` by `delta`.
fn dydx_bq(usdc: &str, positions: &[(&str, &str)], index: usize, delta: &str) -> i64 {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    let to_cash = |x: Decimal| Cash::from_str(&x.to_string()).unwrap();
    let nnv = |size: Decimal, px: Decimal| to_cash(size * px);
    let mm = |size: Decimal, px: Decimal| TEST_TIER.maintenance_margin(nnv(size, px)).unwrap();
    let mut tnc = cash(usdc);
    let mut tmmr = Cash::ZERO;
    for &(size, px) in positions {
        tnc = tnc.checked_add(nnv(d(size), d(px))).unwrap();
        tmmr = tmmr.checked_add(mm(d(size), d(px))).unwrap();
    }
    let (size, px) = (d(positions[index].0), d(positions[index].1));
    let after = size + d(delta);
    let delta_nnv = nnv(after, d(positions[index].1)).checked_sub(nnv(size, px)).unwrap();
    let delta_mmr = mm(after, px).checked_sub(mm(size, px)).unwrap();
    let bq = bankruptcy_quote(delta_nnv, tnc, delta_mmr, tmmr, QUANTUM).unwrap();
    bq.0 / QUANTUM.0
}

/// DYDX-1: long 0.1 BTC @ 50,000, USDC −4,501 (TNC 499, TMMR 500), close all →
/// BQ 4,501,000,000 quote quantums. Source: `TestGetBankruptcyPriceInQuoteQuantums` [R]. Exact.
#[test]
fn dydx_1_bankruptcy_quote_long() {
    assert_eq!(dydx_bq("-4501", &[("0.1", "50000")], 0, "-0.1"), 4_501_000_000);
}

/// DYDX-2: short 0.1 BTC, USDC +5,499, close all → BQ −5,499,000,000. Source: as DYDX-1 [R].
#[test]
fn dydx_2_bankruptcy_quote_short() {
    assert_eq!(dydx_bq("5499", &[("-0.1", "50000")], 0, "0.1"), -5_499_000_000);
}

/// DYDX-3: long 0.1 BTC, USDC −5,000 (TNC 0), close half → BQ 2,500,000,000. Source: as
/// DYDX-1 [R]. Exact.
#[test]
fn dydx_3_bankruptcy_quote_partial() {
    assert_eq!(dydx_bq("-5000", &[("0.1", "50000")], 0, "-0.05"), 2_500_000_000);
}

/// DYDX-4: long 0.004 BTC ($200) + 0.1 ETH ($300), USDC −490 (TNC 10, TMMR 50), close ETH →
/// BQ 294,000,000. Source: as DYDX-1 [R]. Exact.
#[test]
fn dydx_4_bankruptcy_quote_two_positions() {
    let positions = [("0.004", "50000"), ("0.1", "3000")];
    assert_eq!(dydx_bq("-490", &positions, 1, "-0.1"), 294_000_000);
}

/// DYDX-5: long 1 BTC, USDC −13, close 21,347 base quantums (0.00021347 BTC) → BQ 2,776
/// quantums, rounded up from 2,775.11; the short mirror → −2,775. Source: as DYDX-1 [R]. Exact.
#[test]
fn dydx_5_bankruptcy_quote_rounds_up() {
    assert_eq!(dydx_bq("-13", &[("1", "50000")], 0, "-0.00021347"), 2_776);
    assert_eq!(dydx_bq("13", &[("-1", "50000")], 0, "0.00021347"), -2_775);
}

fn tier(imf: u32, mf: u32) -> LiquidityTier {
    LiquidityTier { initial_margin_ppm: imf, maintenance_fraction_ppm: mf, ..TEST_TIER }
}

/// DYDX-19: IM 15% × MF 80% → MMR 12%; 45% × 77% → 34.65%; 63.7239% × 28.9284% → 18.4343%.
/// Source: `TestLiquidityTierGetMaintenanceMarginPpm` [R]. Exact (ppm).
#[test]
fn dydx_19_maintenance_margin_ppm() {
    assert_eq!(tier(150_000, 800_000).maintenance_margin_ppm(), 120_000);
    assert_eq!(tier(450_000, 770_000).maintenance_margin_ppm(), 346_500);
    assert_eq!(tier(637_239, 289_284).maintenance_margin_ppm(), 184_343);
}

/// DYDX-20: funding clamp factor 600%, IM 15%, MF 80% → ±18%. Source:
/// `TestLiquidityTierGetMaxAbsFundingClampPpm` [R]. Exact (ppm).
#[test]
fn dydx_20_funding_clamp() {
    assert_eq!(tier(150_000, 800_000).max_abs_funding_clamp_ppm(6_000_000), 180_000);
}

/// DYDX-21: IMF 20%, OI caps 1e12 / 2e12 quantums, OI 1.5e12, notional 500,000 → IMR 300,000
/// (effective IMF 60%). Source: `TestGetInitialMarginQuoteQuantums` [R]. Exact.
#[test]
fn dydx_21_open_interest_scaled_imf() {
    let t = LiquidityTier {
        open_interest_lower_cap: Cash(1_000_000_000_000),
        open_interest_upper_cap: Cash(2_000_000_000_000),
        ..tier(200_000, 500_000)
    };
    assert_eq!(t.initial_margin(Cash(500_000), Cash(1_500_000_000_000)), Ok(Cash(300_000)));
    // Beyond the upper cap the IMF is 100%; below the lower cap it is the base.
    assert_eq!(t.initial_margin(Cash(500_000), Cash(2_000_000_000_000)), Ok(Cash(500_000)));
    assert_eq!(t.initial_margin(Cash(500_000), Cash(0)), Ok(Cash(100_000)));
}

/// DYDX-22: IMF 56.7243%, notional 123,456 → IMR 70,030 (rounded up from 70,029.55).
/// Source: as DYDX-21 [R]. Exact.
#[test]
fn dydx_22_initial_margin_rounds_up() {
    assert_eq!(tier(567_243, 500_000).initial_margin(Cash(123_456), Cash(0)), Ok(Cash(70_030)));
}

// ---------------------------------------------------------------- Drift (§9.7)

/// DRIFT-19: short 6.1475 BTC (−12,295,081,967/2 base), oracle $22,050, IM 10%, imf 0.001 →
/// initial requirement 13,555,327,867 (10^-6); at oracle $21,050 → 12,940,573,769. The size
/// premium (0.08 + 0.0024) stays below the base ratio. Source: Drift
/// `calculate_user_equity_value_tests` [R]. Exact.
#[test]
fn drift_19_initial_margin_requirement() {
    let base: i128 = -12_295_081_967 / 2;
    assert_eq!(drift::perp_margin_requirement(base, 22_050_000_000, 1_000, 1_000), Ok(13_555_327_867));
    assert_eq!(drift::perp_margin_requirement(base, 21_050_000_000, 1_000, 1_000), Ok(12_940_573_769));
    assert_eq!(drift::size_premium_margin_ratio(base.unsigned_abs(), 1_000, 1_000), Ok(1_000));
    // A large enough position pays the premium: 1,000 BTC → 800 + ⌊√(10^13)⌋·1000/10^7 = 1,116.
    assert_eq!(drift::size_premium_margin_ratio(1_000_000_000_000, 1_000, 1_000), Ok(1_116));
}
