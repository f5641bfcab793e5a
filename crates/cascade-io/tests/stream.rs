//! A run's recording written as a Binance event stream and read back.

use cascade_io::stream::{Polled, StreamReader, recording_events, write_stream};
use cascade_sim::metrics::{
    LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide, Recorder,
};
use cascade_sim::scheduler::SimTime;
use cascade_watch::{Side, StreamEvent};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Two venues listing `BTCUSDT` (so symbols get the venue), one second of trading on the
/// first with two accounts' longs of the same size liquidated at the same prices at 0.4 s,
/// sampled at 1 s.
fn recording() -> cascade_sim::metrics::Recording {
    let mut r = Recorder::new(SimTime::from_secs(1));
    let a = r.add_market("binance", "BTCUSDT");
    r.add_market("bybit", "BTCUSDT");
    r.on_trade(a, d("100000"), d("0.5"), d("50000"));
    r.on_trade(a, d("99900.5"), d("0.25"), d("24975.125"));
    for account in [7, 8] {
        r.on_liquidation(
            a,
            LiquidationRow {
                time_ms: 400,
                venue: "binance".into(),
                instrument: "BTCUSDT".into(),
                account,
                side: PositionSide::Long,
                margin_mode: MarginMode::Isolated,
                kind: LiquidationKind::Full,
                qty: d("0.25"),
                price: d("99900.5"),
                notional: d("24975.125"),
                mark_price: d("99950"),
                bankruptcy_price: Some(d("99800")),
                fee: d("10"),
                insurance_fund_change: d("10"),
                bad_debt: Decimal::ZERO,
            },
        );
    }
    r.sample(SimTime::from_secs(1), |k| MarketSnapshot {
        last: (k == a).then(|| d("99900.5")),
        mark: Some(d("99950.1")),
        index: Some(d("99960")),
        funding_rate: Some(d("0.0001")),
        ..MarketSnapshot::default()
    });
    r.finish("t", 1, SimTime::from_secs(1), Decimal::ZERO)
}

#[test]
fn a_recording_becomes_force_orders_trades_and_marks_in_time_order() {
    let start = 1_760_126_400_000; // 2025-10-10T20:00:00Z
    let ev = recording_events(&recording(), start);
    assert_eq!(ev.len(), 4, "{ev:#?}");
    let StreamEvent::ForceOrder(f) = &ev[0] else { panic!("{:?}", ev[0]) };
    assert_eq!((f.symbol.as_str(), f.side, f.trade_time), ("BTCUSDT_binance", Side::Sell, start + 400));
    // The two indistinguishable liquidations as one order: 0.25 + 0.25 at 99,900.5 = 49,950.25.
    assert_eq!(
        (f.price, f.avg_price, f.filled_qty, f.notional()),
        (d("99800"), d("99900.5"), d("0.5"), d("49950.25"))
    );
    let StreamEvent::AggTrade(t) = &ev[1] else { panic!("{:?}", ev[1]) };
    // The interval's two trades as one aggregate: last price, whole volume, trades 1..=2.
    assert_eq!((t.id, t.price, t.qty, t.first_trade_id, t.last_trade_id), (1, d("99900.5"), d("0.75"), 1, 2));
    assert_eq!(t.trade_time, start + 1000);
    let marks: Vec<_> = ev[2..].iter().map(StreamEvent::symbol).collect();
    assert_eq!(marks, ["BTCUSDT_binance", "BTCUSDT_bybit"]);
}

#[test]
fn the_written_file_reads_back_identically_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let rec = recording();
    assert_eq!(write_stream(&p1, &rec, 0).unwrap(), 4);
    write_stream(&p2, &rec, 0).unwrap();
    let bytes = std::fs::read(&p1).unwrap();
    assert_eq!(bytes, std::fs::read(&p2).unwrap());
    let first = std::str::from_utf8(&bytes).unwrap().lines().next().unwrap();
    assert_eq!(
        first,
        r#"{"e":"forceOrder","E":400,"o":{"s":"BTCUSDT_binance","S":"SELL","o":"LIMIT","f":"IOC","q":"0.50","p":"99800","ap":"99900.5","X":"FILLED","l":"0.50","z":"0.50","T":400}}"#
    );
    let mut r = StreamReader::new(bytes.as_slice());
    let mut back = Vec::new();
    while let Polled::Event(e) = r.poll().unwrap() {
        back.push(e);
    }
    assert_eq!(back, recording_events(&rec, 0));
    assert_eq!(r.stats().malformed, 0);
}
