//! The watcher over hand-made streams: every expected figure is computed in the comments from
//! the events given.

use cascade_watch::output::WarningKind;
use cascade_watch::{
    AggTrade, AlertKind, ForceOrder, Indicators, MarkPrice, Output, RiskLevel, Side, StreamEvent,
    WatchConfig, Watcher,
};
use rust_decimal::Decimal;

/// Time zero of the tests: 10 Oct 2025 20:00:00 UTC, Unix ms.
const T0: u64 = 1_760_126_400_000;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn mark(sec: u64, p: &str) -> StreamEvent {
    StreamEvent::MarkPrice(MarkPrice {
        event_time: T0 + sec * 1000,
        symbol: "BTCUSDT".into(),
        mark: d(p),
        index: None,
        settle_estimate: None,
        funding_rate: None,
        next_funding_time: None,
    })
}

fn liq(ms: u64, side: Side, qty: &str, avg: &str) -> StreamEvent {
    StreamEvent::ForceOrder(ForceOrder {
        event_time: T0 + ms,
        symbol: "BTCUSDT".into(),
        side,
        order_type: "LIMIT".into(),
        time_in_force: "IOC".into(),
        qty: d(qty),
        price: d(avg),
        avg_price: d(avg),
        status: "FILLED".into(),
        last_filled_qty: d(qty),
        filled_qty: d(qty),
        trade_time: T0 + ms,
    })
}

fn trade(ms: u64, id: u64, p: &str, q: &str) -> StreamEvent {
    StreamEvent::AggTrade(AggTrade {
        event_time: T0 + ms,
        symbol: "BTCUSDT".into(),
        id,
        price: d(p),
        qty: d(q),
        first_trade_id: id,
        last_trade_id: id,
        trade_time: T0 + ms,
        buyer_is_maker: true,
    })
}

fn run(events: impl IntoIterator<Item = StreamEvent>, config: WatchConfig) -> (Vec<Output>, Watcher) {
    let mut w = Watcher::new(config).unwrap();
    let mut out = Vec::new();
    for e in events {
        w.push(e, &mut out);
    }
    w.finish(&mut out);
    (out, w)
}

fn at(out: &[Output], sec: u64) -> &Indicators {
    out.iter()
        .find_map(|o| match o {
            Output::Indicators(i) if i.time_ms == T0 + sec * 1000 + 999 => Some(i),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no indicators at second {sec}"))
}

/// Marks at 100,000 each second for 0..=600, then 97,000 from 601 on; liquidations: a 5 BTC
/// long at 100,000 at 100.5 s (500,000), then at 170 s a 10 BTC long (1,000,000) and a 2 BTC
/// short (200,000) at 100,000.
#[test]
fn liquidation_rates_acceleration_share_and_price_changes() {
    let mut ev: Vec<StreamEvent> =
        (0..=700).map(|s| mark(s, if s <= 600 { "100000" } else { "97000" })).collect();
    ev.insert(101, liq(100_500, Side::Sell, "5", "100000"));
    ev.insert(172, liq(170_000, Side::Sell, "10", "100000"));
    ev.insert(173, liq(170_000, Side::Buy, "2", "100000"));
    let (out, _) = run(ev, WatchConfig::default());

    // Second 170: last 60 s = 111..=170 holds 1,000,000 long + 200,000 short; 51..=110 holds
    // the 500,000; acceleration 1,200,000 − 500,000.
    let i = at(&out, 170);
    assert_eq!((i.liq_long_per_min, i.liq_short_per_min), (d("1000000"), d("200000")));
    assert_eq!((i.liq_prev_min, i.liq_accel_per_min2), (d("500000"), d("700000")));
    // 5-min long share: (500,000 + 1,000,000) / 1,700,000.
    assert!((i.long_share_5m.unwrap() - 1_500_000.0 / 1_700_000.0).abs() < 1e-12);
    // 1.2 M/min ≥ 1 M: high; 1.2 M ≥ 2 × 0.5 M: accelerating, so critical.
    assert_eq!(i.level, RiskLevel::Critical);
    // Flat marks: no change, no volatility; the 5- and 15-minute changes need 300 and 900 s
    // of history.
    assert_eq!((i.change_1m_pct, i.change_5m_pct, i.change_15m_pct), (Some(0.0), None, None));
    assert_eq!(i.realized_vol_5m_pct, Some(0.0));
    assert_eq!(i.price_source, "mark");

    // Second 100 (the liquidation at 100.5 s is in it): 500,000 ≥ 250,000: elevated.
    assert_eq!(at(&out, 100).level, RiskLevel::Elevated);
    // Second 231: the 170 s liquidations left the last minute (172..=231), they are the
    // previous minute's; the 100.5 s one is still in the 5-minute share.
    let i = at(&out, 231);
    assert_eq!((i.liq_long_per_min + i.liq_short_per_min, i.liq_prev_min), (d("0"), d("1200000")));

    // Second 650: 97,000 against 100,000 at 590 and 350: −3 %; 5-min move ≥ 2.5 %: high.
    let i = at(&out, 650);
    assert_eq!((i.change_1m_pct, i.change_5m_pct), (Some(-3.0), Some(-3.0)));
    assert_eq!(i.level, RiskLevel::High);
    // One return of ln(0.97) in the 300 one-second returns of 351..=650:
    // √(ln(0.97)² / 300 × 31,536,000) × 100.
    let expected = ((0.97f64).ln().powi(2) / 300.0 * 31_536_000.0).sqrt() * 100.0;
    assert!((i.realized_vol_5m_pct.unwrap() - expected).abs() < 1e-9);
}

/// A short stream with duplicates, an out-of-order event, a gap and an event too old.
#[test]
fn duplicates_out_of_order_and_late_events() {
    let ev = vec![
        mark(0, "100000"),
        trade(500, 7, "100000", "1"),
        trade(500, 7, "100000", "1"),          // duplicate id
        liq(1_200, Side::Sell, "3", "100000"), // 300,000 in second 1
        mark(2, "100000"),
        liq(1_200, Side::Sell, "3", "100000"), // duplicate, also out of order
        liq(1_900, Side::Buy, "1", "100000"),  // 100,000, out of order: second 1 after second 2
        mark(2_000, "100000"),                 // 1,998 s without a mark: a gap
        mark(1, "100000"),                     // 1,999 s behind the newest: beyond 17 minutes
    ];
    let (out, w) = run(ev, WatchConfig::default());
    let c = w.counts();
    assert_eq!((c.events, c.duplicates, c.out_of_order, c.late), (6, 2, 1, 1));
    assert_eq!((c.agg_trades, c.force_orders, c.mark_prices), (1, 2, 3));
    // Second 1 was emitted when the stream reached second 2: the long only.
    let i = at(&out, 1);
    assert_eq!((i.liq_long_per_min, i.liq_short_per_min), (d("300000"), d("0")));
    // Second 2 was emitted when the stream jumped to 2,000: the out-of-order short is in.
    let i = at(&out, 2);
    assert_eq!((i.liq_long_per_min, i.liq_short_per_min), (d("300000"), d("100000")));
    // At 2,000 nothing is left in the last minute; the mark gap is reported once.
    let last = at(&out, 2_000);
    assert_eq!(last.liq_long_per_min + last.liq_short_per_min, d("0"));
    assert_eq!(c.mark_gaps, 1);
    assert!(out.iter().any(|o| matches!(o, Output::Warning(w) if w.kind == WarningKind::MarkGap)));
}

/// An out-of-order liquidation within the window counts from the next emission on.
#[test]
fn an_out_of_order_liquidation_joins_its_minute() {
    let ev = vec![
        mark(10, "100000"),
        mark(11, "100000"),
        liq(10_500, Side::Sell, "4", "100000"),
        mark(12, "100000"),
    ];
    let (out, w) = run(ev, WatchConfig::default());
    assert_eq!(w.counts().out_of_order, 1);
    assert_eq!(at(&out, 10).liq_long_per_min, d("0"));
    assert_eq!(at(&out, 11).liq_long_per_min, d("400000"));
}

/// Trade ids 1, 2, 5: two missing; prices from trades when there is no mark.
#[test]
fn trade_id_gaps_are_counted_and_trades_give_the_price() {
    let ev = vec![trade(0, 1, "100", "1"), trade(100, 2, "101", "2"), trade(1_100, 5, "99", "1")];
    let (out, w) = run(ev, WatchConfig::default());
    assert_eq!(w.counts().missing_trades, 2);
    let i = at(&out, 0);
    // Traded 100 × 1 + 101 × 2; the price is the latest trade's.
    assert_eq!((i.traded_per_min, i.price, i.price_source), (d("302"), Some(d("101")), "trade"));
}

/// A minute of 1.5 M/min of liquidations raises one high alert (not one per second); it is
/// cleared 60 s after the level fell below high.
#[test]
fn alerts_raise_once_and_clear_after_a_minute() {
    let mut ev: Vec<StreamEvent> = (0..=400).map(|s| mark(s, "100000")).collect();
    // 15 BTC long at 100,000 = 1,500,000 at 100 s, 0.5 × 1.5 M = 750,000 at 140 s.
    ev.insert(101, liq(100_000, Side::Sell, "15", "100000"));
    ev.insert(142, liq(140_000, Side::Sell, "7.5", "100000"));
    let (out, w) = run(ev, WatchConfig::default());
    let alerts: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Alert(a) => Some(a),
            _ => None,
        })
        .collect();
    // 1.5 M in 41..=100 after 0 before: accelerating, critical at once (the rule's step 4).
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert_eq!(
        (alerts[0].kind, alerts[0].level, alerts[0].time_ms),
        (AlertKind::Raised, RiskLevel::Critical, T0 + 100_999)
    );
    // The 100 s liquidation leaves the last minute at 160 s: 750,000 remains (elevated), so
    // the level is below high from second 160; cleared 60 s later, at 220.
    // At 159 the last minute (100..=159) holds 2.25 M after nothing: still critical.
    assert_eq!(at(&out, 159).level, RiskLevel::Critical);
    assert_eq!(at(&out, 160).level, RiskLevel::Elevated);
    assert_eq!(
        (alerts[1].kind, alerts[1].time_ms, alerts[1].previous),
        (AlertKind::Cleared, T0 + 220_999, Some(RiskLevel::Critical))
    );
    assert_eq!(w.counts().alerts, 1);
}

#[test]
fn same_events_same_outputs() {
    let ev: Vec<StreamEvent> =
        (0..300).flat_map(|s| [mark(s, "100000"), liq(s * 1000 + 3, Side::Sell, "0.1", "99000")]).collect();
    let a = serde_json::to_string(&run(ev.clone(), WatchConfig::default()).0).unwrap();
    let b = serde_json::to_string(&run(ev, WatchConfig::default()).0).unwrap();
    assert_eq!(a, b);
}
