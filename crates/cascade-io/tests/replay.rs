//! The replay tables and the real liquidation reader: per-minute sums against hand counts, the
//! real path joined with the sample after each close, each liquidation format read (hand-written
//! files and the repo's real Hyperliquid sample), bad lines named.

use std::path::Path;

use cascade_io::replay::{
    LiquidationSource, RealLiquidation, liquidation_compare_rows, read_real_liquidations, real_path_rows,
};
use cascade_sim::metrics::{LiquidationKind, LiquidationRow, MarginMode, PositionSide, SeriesRow};
use cascade_sim::scenario::{Dec, PricePath, PricePoint};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn real(t: u64, side: PositionSide, notional: &str) -> RealLiquidation {
    RealLiquidation { time_ms: t, symbol: "BTCUSDT".into(), side, notional: dec(notional) }
}

fn sim(t: u64, venue: &str, side: PositionSide, notional: &str) -> LiquidationRow {
    LiquidationRow {
        time_ms: t,
        venue: venue.into(),
        instrument: "BTCUSDT".into(),
        account: 1,
        side,
        margin_mode: MarginMode::Cross,
        kind: LiquidationKind::Full,
        qty: dec("1"),
        price: dec("1"),
        notional: dec(notional),
        mark_price: dec("1"),
        bankruptcy_price: None,
        fee: Decimal::ZERO,
        insurance_fund_change: Decimal::ZERO,
        bad_debt: Decimal::ZERO,
    }
}

#[test]
fn per_minute_sums_match_hand_counts() {
    use PositionSide::{Long, Short};
    let start = 1_000_000_000;
    // Run of 150 s: minutes 0, 1 and a half-minute 2.
    let reals = [
        real(start - 1, Long, "999"),        // before: outside
        real(start, Long, "100"),            // minute 0
        real(start + 59_999, Long, "50.5"),  // minute 0
        real(start + 60_000, Short, "20"),   // minute 1
        real(start + 149_999, Short, "7"),   // minute 2
        real(start + 150_000, Long, "1000"), // the end: outside
    ];
    let sims = [
        sim(0, "binance", Long, "10"),
        sim(30_000, "binance", Long, "5"),
        sim(61_000, "binance", Short, "3"),
        sim(61_000, "bybit", Short, "300"), // another venue's market: not compared
        sim(150_000, "binance", Long, "9"), // the end: outside
    ];
    let markets = [("binance".to_string(), "BTCUSDT".to_string())];
    let (rows, outside) = liquidation_compare_rows("BTC", &reals, &sims, &markets, start, 150_000);
    assert_eq!(outside, 2);
    assert_eq!(rows.len(), 6, "3 minutes × 2 sides");
    let get = |t: u64, side| rows.iter().find(|r| r.time_ms == t && r.side == side).unwrap();
    let m0 = get(0, Long);
    assert_eq!(
        (m0.real_count, m0.real_notional, m0.sim_count, m0.sim_notional),
        (2, dec("150.5"), 2, dec("15"))
    );
    let m1 = get(60_000, Short);
    assert_eq!((m1.real_count, m1.real_notional, m1.sim_count, m1.sim_notional), (1, dec("20"), 1, dec("3")));
    let m2 = get(120_000, Short);
    assert_eq!((m2.real_count, m2.real_notional, m2.sim_count), (1, dec("7"), 0));
    assert_eq!(get(60_000, Long).real_count + get(120_000, Long).real_count, 0);
}

fn row(t: u64, venue: &str, index: &str, mark: &str) -> SeriesRow {
    SeriesRow {
        time_ms: t,
        venue: venue.into(),
        instrument: "BTCUSDT".into(),
        last: None,
        mark: Some(dec(mark)),
        index: Some(dec(index)),
        best_bid: None,
        best_ask: None,
        bid_depth_1pct: Decimal::ZERO,
        ask_depth_1pct: Decimal::ZERO,
        bid_depth_5pct: Decimal::ZERO,
        ask_depth_5pct: Decimal::ZERO,
        volume: Decimal::ZERO,
        volume_notional: Decimal::ZERO,
        trades: 0,
        liq_long_count: 0,
        liq_long_notional: Decimal::ZERO,
        liq_short_count: 0,
        liq_short_notional: Decimal::ZERO,
        open_interest: Decimal::ZERO,
        open_interest_notional: Decimal::ZERO,
        insurance_fund: Decimal::ZERO,
        adl_count: 0,
        adl_notional: Decimal::ZERO,
        bad_debt: Decimal::ZERO,
        funding_rate: None,
        backstop_position: Decimal::ZERO,
        backstop_pnl: Decimal::ZERO,
    }
}

#[test]
fn the_real_path_is_joined_with_the_first_sample_after_each_close() {
    let pt = |t: u64, p: &str| PricePoint { time_ms: t, price: Dec::parse(p).unwrap() };
    let start = 600_000;
    let path = PricePath::new(
        "f",
        vec![pt(540_000, "99"), pt(600_000, "100"), pt(660_000, "101"), pt(720_000, "102")],
    )
    .unwrap();
    // A sample at t shows the step before t: the close at 60 s appears in the row at 61 s.
    let series = [
        row(0, "binance", "99.5", "99.6"),
        row(1_000, "binance", "100", "100.1"),
        row(60_000, "binance", "100.9", "101"),
        row(61_000, "binance", "101", "101.2"),
    ];
    let markets = [("binance".to_string(), "BTCUSDT".to_string())];
    let rows = real_path_rows("BTC", &path, start, 120_000, &markets, &series);
    // The point before the start and the one at the end (120 s) are left out.
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].time_ms, rows[0].real_close, rows[0].index), (0, dec("100"), Some(dec("100"))));
    assert_eq!((rows[1].time_ms, rows[1].real_close, rows[1].mark), (60_000, dec("101"), Some(dec("101.2"))));
}

#[test]
fn a_usd_m_snapshot_is_read_and_coin_m_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("BTCUSDT-liquidationSnapshot-2025-10-10.csv");
    std::fs::write(
        &f,
        "time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,last_fill_quantity,accumulated_fill_quantity\n\
         1760130000000,SELL,LIMIT,IOC,0.5,110000,110500,FILLED,0.5,0.5\n\
         1760130001000,BUY,LIMIT,IOC,0.2,111000,0,NEW,0,0\n",
    )
    .unwrap();
    let r = read_real_liquidations(&f).unwrap();
    assert_eq!(r.source, LiquidationSource::Binance);
    // 0.5 × 110,500 filled; nothing filled on the second: 0.2 × 111,000 at the order price.
    assert_eq!(r.rows.len(), 2);
    assert_eq!(
        (r.rows[0].side, r.rows[0].notional, r.rows[0].symbol.as_str()),
        (PositionSide::Long, dec("55250"), "BTCUSDT")
    );
    assert_eq!((r.rows[1].side, r.rows[1].notional), (PositionSide::Short, dec("22200")));
    let coin_m = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples/binance/BTCUSD_PERP-liquidationSnapshot-2024-03-05.csv");
    let e = read_real_liquidations(&coin_m).unwrap_err().to_string();
    assert!(e.contains("COIN-M"), "{e}");
}

#[test]
fn hyperliquid_fills_count_only_the_liquidated_side() {
    // The repo's real block: one liquidated fill, counted by hand in the file (a WLFI short
    // closed by buying 890 at 0.15327: 136.4103 USDC); its counterparties are not liquidations.
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples/hyperliquid/node_fills_2025-10-27_liquidation_block.jsonl");
    let r = read_real_liquidations(&f).unwrap();
    assert_eq!(r.source, LiquidationSource::Hyperliquid);
    assert_eq!(r.rows.len(), 1);
    let l = &r.rows[0];
    assert_eq!(
        (l.symbol.as_str(), l.side, l.notional, l.time_ms),
        ("WLFI", PositionSide::Short, dec("136.41030"), 1_761_584_402_387)
    );
}

#[test]
fn trades_become_minute_closes() {
    use cascade_io::replay::read_prices;
    // The repo's aggTrades sample: six trades in the minute from 1760131200000; the first at
    // 104311.2, the last (1760131201007) at 104290.0.
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples/binance/BTCUSDT-aggTrades-2025-10-10.csv");
    let p = read_prices(&f).unwrap();
    let pts: Vec<(u64, Decimal)> = p.points().iter().map(|q| (q.time_ms, q.price.get())).collect();
    assert_eq!(pts, vec![(1_760_131_200_000, dec("104311.2")), (1_760_131_260_000, dec("104290.0"))]);
    // Hand-written trades over minutes 0, 1 and 3 (none in 2) from B = 1760131200000 (a whole
    // minute): the first price at B, then each traded minute's last price at its end.
    let b: u64 = 1_760_131_200_000;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("BTCUSDT-trades-2025-10-10.csv");
    let rows = [(100.0, 0), (101.5, 59_999), (99.0, 60_000), (98.0, 180_500)];
    let mut text = "id,price,qty,quote_qty,time,is_buyer_maker\n".to_string();
    for (i, (p, dt)) in rows.iter().enumerate() {
        text += &format!("{},{p:.1},1,{p:.1},{},true\n", i + 1, b + dt);
    }
    std::fs::write(&t, text).unwrap();
    let p = read_prices(&t).unwrap();
    let pts: Vec<(u64, Decimal)> = p.points().iter().map(|q| (q.time_ms - b, q.price.get())).collect();
    assert_eq!(
        pts,
        vec![(0, dec("100.0")), (60_000, dec("101.5")), (120_000, dec("99.0")), (240_000, dec("98.0"))]
    );
    // Out of order: named with its row.
    let text = format!(
        "id,price,qty,quote_qty,time,is_buyer_maker\n1,100,1,100,{},true\n2,101,1,101,{},true\n",
        b + 60_000,
        b + 59_000
    );
    std::fs::write(&t, text).unwrap();
    let e = read_prices(&t).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("before"), "{e}");
}

#[test]
fn a_bad_force_order_line_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("force.jsonl");
    std::fs::write(
        &f,
        r#"{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"1","p":"1","ap":"2","X":"FILLED","l":"1","z":"1","T":1}}
{"e":"forceOrder","E":2,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"one","p":"1","ap":"2","X":"FILLED","l":"1","z":"1","T":2}}
"#,
    )
    .unwrap();
    let e = read_real_liquidations(&f).unwrap_err().to_string();
    assert!(e.contains("force.jsonl") && e.contains("line 2") && e.contains("o.q"), "{e}");
}
