//! Properties of the margin mathematics over random positions: the liquidation price is the
//! exact threshold of the liquidation predicate, the bankruptcy price zeroes the equity, a fresh
//! position's prices are ordered `BP ≤ LP < EP` (long), tier lookup is monotone, and Binance's
//! bracket recomputation is what the tiered solver does.

use std::str::FromStr;

use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, Instrument, InstrumentSpec};
use cascade_engine::margin::tables::{
    binance_altcoin, binance_btcusdt, bitmex_xbtusd, bybit_btcusdt, hyperliquid, okx_ethusdt,
};
use cascade_engine::margin::{
    CrossAccount, Leverage, MaintenanceBasis, MarginRatioKind, Position, RiskTiers, bankruptcy_price,
    bankruptcy_price_with_fee, is_liquidatable, is_liquidatable_with_fee, liquidation_price,
    liquidation_price_hinted, liquidation_price_hinted_with_fee, liquidation_price_with_fee,
};
use cascade_engine::num::{Cash, Price, Qty, RATE_ONE, Rate};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn instrument(kind: ContractKind, pd: u32, qd: u32, contract_size: i64) -> Instrument {
    Instrument::new(InstrumentSpec {
        symbol: "P".into(),
        kind,
        settle_asset: AssetId(0),
        price_decimals: pd,
        qty_decimals: qd,
        tick: Price(1),
        lot: Qty(1),
        min_qty: Qty(1),
        min_notional: Cash::ZERO,
        contract_size: Decimal::from(contract_size),
        tier_contract: None,
        fees: FeeSchedule { maker: Rate(0), taker: Rate(0) },
    })
    .unwrap()
}

/// A market to draw positions in: instrument, table, basis, price range (units), size range.
struct Market {
    inst: Instrument,
    tiers: RiskTiers,
    basis: MaintenanceBasis,
}

fn market(i: usize) -> Market {
    let lin = || instrument(ContractKind::Linear, 2, 3, 1);
    let inv = || instrument(ContractKind::Inverse, 1, 0, 100);
    match i {
        0 => Market { inst: lin(), tiers: binance_btcusdt().unwrap(), basis: MaintenanceBasis::Mark },
        1 => Market { inst: lin(), tiers: binance_altcoin().unwrap(), basis: MaintenanceBasis::Mark },
        2 => Market { inst: lin(), tiers: bybit_btcusdt().unwrap(), basis: MaintenanceBasis::Entry },
        3 => Market { inst: lin(), tiers: hyperliquid("BTC").unwrap(), basis: MaintenanceBasis::Mark },
        4 => Market {
            inst: inv(),
            tiers: RiskTiers::flat(Rate(400_000), Rate(800_000), Cash::ZERO).unwrap(),
            basis: MaintenanceBasis::Mark,
        },
        5 => Market { inst: inv(), tiers: bitmex_xbtusd().unwrap(), basis: MaintenanceBasis::Entry },
        // OKX tiers on size (contracts), rates on the whole position (no maintenance amount).
        _ => Market { inst: lin(), tiers: okx_ethusdt().unwrap(), basis: MaintenanceBasis::Mark },
    }
}

/// A fresh isolated position: market index, signed qty, entry (= mark), and the isolated
/// margin at a leverage between 1x and the tier's maximum.
fn fresh() -> impl Strategy<Value = (usize, i64, i64, u64)> {
    (0usize..7, 1i64..3_000_000, 1_000i64..200_000, any::<bool>(), 0u64..=1_000_000).prop_map(
        |(m, q, px, long, levf)| {
            // Linear markets: qty in 0.001 units (≤ 3,000), price in cents. Inverse: contracts
            // (≤ 30,000) and price in tenths.
            let (q, px) = if m == 4 || m == 5 { (q / 100 + 1, px * 10) } else { (q, px * 100) };
            (m, if long { q } else { -q }, px, levf)
        },
    )
}

fn setup(m: &Market, qty: i64, px: i64, levf: u64) -> Option<(Position<'_>, Cash)> {
    let pos = Position {
        instrument: &m.inst,
        tiers: &m.tiers,
        qty: Qty(qty),
        entry_price: Price(px),
        mark_price: Price(px),
    };
    let max = m.tiers.max_leverage(&pos.exposure(pos.entry_price).ok()?);
    // Leverage from 1x to the maximum, in whole hundredths.
    let span = u64::try_from((max.0 - RATE_ONE).max(0) / 1_000_000).ok()?;
    let lev = Leverage(RATE_ONE + i64::try_from(levf % (span + 1)).ok()? * 1_000_000);
    let im = pos.initial_margin(m.basis, Some(lev)).ok()?;
    Some((pos, im))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// At the computed LP the position is liquidatable and one price unit further from
    /// liquidation it is not; with the rounded figures, equity ≤ MM at the LP and equity > MM
    /// (within two cash units of rounding) one unit away.
    #[test]
    fn liquidation_price_is_the_exact_threshold((mi, qty, px, levf) in fresh()) {
        let m = market(mi);
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let Some(lp) = liquidation_price(&pos, im, m.basis).unwrap() else { return Ok(()); };
        prop_assert!(lp.0 > 0 && lp < Price::MAX);
        prop_assert!(is_liquidatable(&pos, im, m.basis, lp).unwrap());
        let safer = if qty > 0 { Price(lp.0 + 1) } else { Price(lp.0 - 1) };
        if safer.0 > 0 {
            prop_assert!(!is_liquidatable(&pos, im, m.basis, safer).unwrap());
        }
        let mm_at = |p: Price| {
            let at = Position { mark_price: p, ..pos };
            at.maintenance_margin(m.basis).unwrap()
        };
        let equity_at = |p: Price| im.0 + pos.unrealized_pnl(p).unwrap().0;
        prop_assert!(equity_at(lp) <= mm_at(lp).0 + 1);
        if safer.0 > 0 {
            prop_assert!(equity_at(safer) + 2 > mm_at(safer).0);
        }
    }

    /// The venue's fast path gives exactly the full solve, at any mark and collateral.
    #[test]
    fn hinted_solve_equals_the_full_solve((mi, qty, px, levf) in fresh(), mark_f in 0.3f64..1.7, coll_f in 0.0f64..20.0) {
        let m = market(mi);
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let mark = Price(((pos.entry_price.0 as f64) * mark_f).max(1.0) as i64);
        let pos = Position { mark_price: mark, ..pos };
        let collateral = Cash((im.0 as f64 * coll_f) as i64);
        prop_assert_eq!(
            liquidation_price_hinted(&pos, collateral, m.basis).unwrap(),
            liquidation_price(&pos, collateral, m.basis).unwrap()
        );
    }

    /// With a fee to close (Bybit taker, OKX liquidation fee: up to 0.2% here), the liquidation
    /// price is still the exact threshold of its predicate, the fast path agrees with the full
    /// solve, and the bankruptcy price leaves equity ≥ the fee there and < it one unit beyond.
    #[test]
    fn fee_to_close_prices_are_exact_thresholds((mi, qty, px, levf) in fresh(), fee_bp in 0i64..=20, mark_f in 0.5f64..1.5) {
        let m = market(mi);
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let fee = Rate::from_bps(fee_bp);
        let moved = Position { mark_price: Price(((pos.entry_price.0 as f64) * mark_f).max(1.0) as i64), ..pos };
        prop_assert_eq!(
            liquidation_price_hinted_with_fee(&moved, im, m.basis, fee).unwrap(),
            liquidation_price_with_fee(&moved, im, m.basis, fee).unwrap()
        );
        if let Some(lp) = liquidation_price_with_fee(&pos, im, m.basis, fee).unwrap() {
            prop_assert!(lp.0 > 0 && lp < Price::MAX);
            prop_assert!(is_liquidatable_with_fee(&pos, im, m.basis, lp, fee).unwrap());
            let safer = if qty > 0 { Price(lp.0 + 1) } else { Price(lp.0 - 1) };
            if safer.0 > 0 {
                prop_assert!(!is_liquidatable_with_fee(&pos, im, m.basis, safer, fee).unwrap());
            }
            // The fee only brings liquidation closer.
            if let Some(plain) = liquidation_price(&pos, im, m.basis).unwrap() {
                if qty > 0 { prop_assert!(lp >= plain); } else { prop_assert!(lp <= plain); }
            }
        }
        if let Some(bp) = bankruptcy_price_with_fee(&pos, im, fee).unwrap() {
            // equity − fee × value, exactly, in cash units × 10^8 (rate scale).
            let left = |p: Price| -> i128 {
                let e = i128::from(im.0 + pos.unrealized_pnl(p).unwrap().0);
                let v = i128::from(pos.notional(p).unwrap().0);
                e * i128::from(RATE_ONE) - v * i128::from(fee.0)
            };
            // PnL is rounded down and value up on inverse contracts: allow one cash unit.
            prop_assert!(left(bp) >= -2 * i128::from(RATE_ONE), "at bp {bp:?}");
            let worse = if qty > 0 { Price(bp.0 - 1) } else { Price(bp.0 + 1) };
            if worse.0 > 0 {
                prop_assert!(left(worse) < 2 * i128::from(RATE_ONE), "beyond bp {worse:?}");
            }
        }
    }

    /// At the bankruptcy price the equity is ≥ 0, and one unit beyond it is < 0.
    #[test]
    fn bankruptcy_price_zeroes_the_equity((mi, qty, px, levf) in fresh()) {
        let m = market(mi);
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let Some(bp) = bankruptcy_price(&pos, im).unwrap() else { return Ok(()); };
        let equity_at = |p: Price| im.0 + pos.unrealized_pnl(p).unwrap().0;
        prop_assert!(equity_at(bp) >= 0);
        let worse = if qty > 0 { Price(bp.0 - 1) } else { Price(bp.0 + 1) };
        if worse.0 > 0 {
            prop_assert!(equity_at(worse) < 0);
        }
    }

    /// A fresh position opened at its entry with leverage ≤ max: BP ≤ LP < EP for a long,
    /// EP < LP ≤ BP for a short; a position that can go bankrupt can be liquidated.
    #[test]
    fn fresh_position_orders_bp_lp_entry((mi, qty, px, levf) in fresh()) {
        let m = market(mi);
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let lp = liquidation_price(&pos, im, m.basis).unwrap();
        let bp = bankruptcy_price(&pos, im).unwrap();
        prop_assert!(!is_liquidatable(&pos, im, m.basis, pos.entry_price).unwrap());
        if let Some(lp) = lp {
            if qty > 0 { prop_assert!(lp < pos.entry_price); } else { prop_assert!(lp > pos.entry_price); }
        }
        if let Some(bp) = bp {
            let lp = lp.expect("bankrupt somewhere but never liquidatable");
            if qty > 0 { prop_assert!(bp <= lp, "bp {bp:?} lp {lp:?}"); } else { prop_assert!(bp >= lp, "bp {bp:?} lp {lp:?}"); }
        }
    }

    /// Binance §1.3: the LP from the full bracket table equals the LP computed with the one
    /// bracket that holds the LP's notional.
    #[test]
    fn bracket_recomputation_agrees_with_the_table((_, qty, px, levf) in fresh(), alt in any::<bool>()) {
        let m = market(usize::from(alt));
        let Some((pos, im)) = setup(&m, qty, px, levf) else { return Ok(()); };
        let Some(lp) = liquidation_price(&pos, im, MaintenanceBasis::Mark).unwrap() else { return Ok(()); };
        let tier = *m.tiers.tier(&pos.exposure(lp).unwrap());
        let flat = RiskTiers::flat(tier.mmr, tier.imr, tier.maintenance_amount).unwrap();
        let one = Position { tiers: &flat, ..pos };
        prop_assert_eq!(liquidation_price(&one, im, MaintenanceBasis::Mark).unwrap(), Some(lp));
    }

    /// Tier lookup is monotone in the amount, and with derived maintenance amounts so is the
    /// maintenance margin.
    #[test]
    fn tier_lookup_is_monotone(a in 0i64..1_000_000_000_000_000, b in 0i64..1_000_000_000_000_000, t in 0usize..4) {
        let tiers = market(t).tiers;
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(tiers.index_for(lo) <= tiers.index_for(hi));
        let mm = |n| tiers.maintenance_margin(&cascade_engine::margin::Exposure::notional(Cash(n))).unwrap();
        prop_assert!(mm(lo) <= mm(hi));
        prop_assert!(tiers.max_leverage(&cascade_engine::margin::Exposure::notional(Cash(lo)))
            >= tiers.max_leverage(&cascade_engine::margin::Exposure::notional(Cash(hi))));
    }
}

/// The cross example of the `calc` documentation: WB 10,000 USDT, ETHUSDT long 20 @ 4,000
/// marked 3,900 (MMR 0.5%), BTCUSDT short 0.5 @ 110,000. Each position's cross LP, with the
/// other held at its mark, is where the whole account reaches its maintenance margin.
#[test]
fn cross_liquidation_price_is_where_the_account_hits_maintenance() {
    let inst = instrument(ContractKind::Linear, 2, 3, 1);
    let eth =
        RiskTiers::flat(Rate::parse("0.005").unwrap(), Rate::parse("0.01").unwrap(), Cash::ZERO).unwrap();
    let btc = binance_btcusdt().unwrap();
    let positions = [
        Position {
            instrument: &inst,
            tiers: &eth,
            qty: Qty(20_000),
            entry_price: Price(400_000),
            mark_price: Price(390_000),
        },
        Position {
            instrument: &inst,
            tiers: &btc,
            qty: Qty(-500),
            entry_price: Price(11_000_000),
            mark_price: Price(11_000_000),
        },
    ];
    let wb = Cash::from_str("10000").unwrap();
    let account = CrossAccount { wallet_balance: wb, positions: &positions };
    assert_eq!(account.equity().unwrap(), Cash::from_str("8000").unwrap());
    // MM = 20 × 3,900 × 0.5% + 55,000 × 0.5% − 50 = 390 + 225.
    assert_eq!(account.maintenance_margin(MaintenanceBasis::Mark).unwrap(), Cash::from_str("615").unwrap());
    assert_eq!(
        account.margin_ratio(MaintenanceBasis::Mark, MarginRatioKind::MaintenanceOverEquity).unwrap(),
        Some(Rate::parse("0.076875").unwrap())
    );
    for (i, step) in [(0usize, 1i64), (1, -1)] {
        let lp = account.liquidation_price(i, MaintenanceBasis::Mark).unwrap().unwrap();
        let at = |p: i64| {
            let mut moved = positions;
            moved[i].mark_price = Price(p);
            CrossAccount { wallet_balance: wb, positions: &moved }
                .is_liquidatable(MaintenanceBasis::Mark)
                .unwrap()
        };
        assert!(at(lp.0), "position {i} at its LP {lp:?}");
        assert!(!at(lp.0 + step), "position {i} one unit safer than {lp:?}");
        let bp = account.bankruptcy_price(i).unwrap().unwrap();
        let mut moved = positions;
        moved[i].mark_price = bp;
        let e = CrossAccount { wallet_balance: wb, positions: &moved }.equity().unwrap();
        assert!(e.0 >= 0 && e.0 < 1_000_000, "equity at BP {e}");
    }
    // ETH long LP: 10,000 − 225 + 20·(P − 4,000) = 0.1·P → P = 3,528.894…; the long's LP
    // rounds down to the cent.
    assert_eq!(account.liquidation_price(0, MaintenanceBasis::Mark).unwrap(), Some(Price(352_889)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The one-pass prices of every cross position (`all_prices_with_fees`, what `cascade calc`
    /// uses) are exactly the one-position methods' results: the total less a position's own
    /// contribution is the same integer sum as adding the others up.
    #[test]
    fn all_cross_prices_match_one_at_a_time(
        draws in proptest::collection::vec((fresh(), 0i64..1_000_000, 10i64..50_000), 1..6),
        wb in 0i64..5_000_000,
    ) {
        let markets: Vec<Market> = draws.iter().map(|((mi, ..), ..)| market(*mi)).collect();
        let mut positions = Vec::new();
        let mut fees = Vec::new();
        for (m, ((_, qty, px, _), fee, mark_pm)) in markets.iter().zip(&draws) {
            // Same linear/inverse units as `fresh`; the mark within ±5% of the entry.
            let mark = (px * (1_000_000 - 50_000 + mark_pm * 2) / 1_000_000).max(1);
            positions.push(Position {
                instrument: &m.inst,
                tiers: &m.tiers,
                qty: Qty(*qty),
                entry_price: Price(*px),
                mark_price: Price(mark),
            });
            fees.push(Rate(*fee));
        }
        let basis = MaintenanceBasis::Mark;
        let account = CrossAccount { wallet_balance: Cash(wb * 1_000_000), positions: &positions };
        let all = account.all_prices_with_fees(basis, &fees).unwrap();
        for (i, (lp, bp)) in all.iter().enumerate() {
            prop_assert_eq!(*lp, account.liquidation_price_with_fees(i, basis, &fees).unwrap());
            prop_assert_eq!(*bp, account.bankruptcy_price_with_fee(i, fees[i]).unwrap());
        }
    }
}
