//! The chart defects of issue 14, each with a figure computed by hand: liquidation bursts that
//! missed most of a cascade, funding of 8-hourly and hourly venues on one axis, open interest
//! valued at the mark, a small venue's insurance fund flattened by a large one's axis, repeated
//! colours, and times from zero on a run placed in UTC.

mod common;

use cascade_report::charts::{Figure, palette};
use cascade_report::run_figures;
use cascade_report::view::RunContext;
use cascade_sim::metrics::{
    LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide, Recorder,
};
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;

/// The context the default scenario gives (Binance and Hyperliquid rule sets), placed at
/// 2025-10-10T20:45:00Z.
fn placed() -> RunContext {
    let mut sc = cascade_sim::scenario::Scenario::builtin_default();
    sc.run.start_utc = Some("2025-10-10T20:45:00Z".into());
    RunContext::from_scenario(&sc)
}

fn by_id<'f>(figs: &'f [Figure], id: &str) -> &'f Figure {
    figs.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no figure {id}"))
}

/// One market, 60 one-second intervals; long liquidations of 20M in second 10 and waves of
/// 1, 1.5, 2, 2.5 and 3M in seconds 31–35 (as on the default scenario's Binance market).
#[test]
fn every_wave_of_a_cascade_is_marked() {
    let mut r = Recorder::new(SimTime::from_secs(1));
    let key = r.add_market("binance", "BTCUSDT");
    let waves: [(u64, i64); 6] = [
        (10, 20_000_000),
        (31, 1_000_000),
        (32, 1_500_000),
        (33, 2_000_000),
        (34, 2_500_000),
        (35, 3_000_000),
    ];
    for i in 1..=60u64 {
        r.on_trade(key, Decimal::new(100_000, 0), Decimal::ONE, Decimal::new(100_000, 0));
        if let Some((_, notional)) = waves.iter().find(|w| w.0 == i) {
            r.on_liquidation(
                key,
                LiquidationRow {
                    time_ms: i * 1000 - 500,
                    venue: "binance".into(),
                    instrument: "BTCUSDT".into(),
                    account: u32::try_from(i).unwrap(),
                    side: PositionSide::Long,
                    margin_mode: MarginMode::Cross,
                    kind: LiquidationKind::Full,
                    qty: Decimal::new(*notional / 100_000, 0),
                    price: Decimal::new(100_000, 0),
                    notional: Decimal::new(*notional, 0),
                    mark_price: Decimal::new(100_000, 0),
                    bankruptcy_price: None,
                    fee: Decimal::ZERO,
                    insurance_fund_change: Decimal::ZERO,
                    bad_debt: Decimal::ZERO,
                },
            );
        }
        r.sample(SimTime::from_secs(i), |_| MarketSnapshot {
            last: Some(Decimal::new(100_000, 0)),
            mark: Some(Decimal::new(100_000, 0)),
            ..MarketSnapshot::default()
        });
    }
    let rec = r.finish("waves", 1, SimTime::from_secs(60), Decimal::ZERO);
    let figs = run_figures(&rec, &RunContext::default());
    let price = by_id(&figs, "price-binance-btcusdt");
    let marks = &price.markers[0];
    // Total 30M, threshold 1% = 300K: all six intervals. (The old rule, 10% of the largest
    // interval = 2M, left out the 1M and 1.5M waves.)
    let xs: Vec<f64> = marks.points.iter().map(|p| p.0).collect();
    assert_eq!(xs, [10.0, 31.0, 32.0, 33.0, 34.0, 35.0]);
    assert!(
        marks.name.contains("≥ 300K") && marks.name.contains("1% of the market's total"),
        "{}",
        marks.name
    );
}

#[test]
fn funding_is_per_hour_whatever_the_venue_interval() {
    let rec = common::recording(120);
    let figs = run_figures(&rec, &placed());
    let f = by_id(&figs, "funding");
    assert_eq!(f.y_label, "funding rate, % per hour");
    // Sample 1's rate is 100 - 5 = 95 millionths = 0.0095% per interval: Binance pays every
    // 8 h (0.0095 / 8 = 0.0011875 %/h), Hyperliquid every hour (0.0095 %/h).
    let first = |name: &str| f.lines.iter().find(|l| l.name.starts_with(name)).unwrap().points[0].1;
    assert!((first("binance BTCUSDT") - 0.001_187_5).abs() < 1e-12, "{}", first("binance BTCUSDT"));
    assert!((first("hyperliquid BTC") - 0.0095).abs() < 1e-12, "{}", first("hyperliquid BTC"));
    assert!(f.lines.iter().any(|l| l.name == "binance BTCUSDT (8 h interval)"));
    assert!(f.lines.iter().any(|l| l.name == "hyperliquid BTC (1 h interval)"));
}

#[test]
fn open_interest_is_the_quantity_not_its_value_at_the_mark() {
    let rec = common::recording(120);
    let figs = run_figures(&rec, &RunContext::default());
    let oi = by_id(&figs, "open-interest");
    let line = &oi.lines[0];
    // Quantity 120.000 − (i mod 50) × 0.010: 119.990 at sample 1 (the start), 120.000 at 50.
    assert_eq!(line.points[0].1, 0.0);
    let at_50 = line.points.iter().find(|p| p.0 == 50.0).unwrap().1;
    assert!((at_50 - (120.0 / 119.99 - 1.0) * 100.0).abs() < 1e-9, "{at_50}");
    assert!(line.name.ends_with("(119.99 at start)"), "{}", line.name);
}

#[test]
fn each_venue_fund_has_its_own_axis_with_its_bad_debt() {
    let rec = common::recording(120);
    let figs = run_figures(&rec, &placed());
    let hl = by_id(&figs, "insurance-fund-hyperliquid");
    // Hyperliquid's fund starts at 1,000,000 USDC and is drawn on its own scale: its change from
    // the start, with its 123.45 USDC of bad debt.
    assert!(hl.title.contains("start 1M USDC"), "{}", hl.title);
    assert_eq!(hl.y_label, "USDC: fund − start, bad debt");
    let fund = &hl.lines[0];
    assert_eq!(fund.points[0].1, 0.0);
    assert!(fund.points.iter().any(|p| p.1 < 0.0), "the drawdown shows");
    let debt = hl.lines.iter().find(|l| l.name.starts_with("bad debt")).unwrap();
    assert_eq!(debt.points.iter().map(|p| p.1).fold(0.0, f64::max), 123.45);
    let bn = by_id(&figs, "insurance-fund-binance");
    assert!(bn.y_label.starts_with("USDT"), "{}", bn.y_label);
}

#[test]
fn no_two_series_of_a_chart_share_a_colour() {
    let rec = common::recording(120);
    for fig in run_figures(&rec, &placed()) {
        let legend = fig.legend();
        for (i, a) in legend.iter().enumerate() {
            for b in &legend[i + 1..] {
                assert_ne!(a.1, b.1, "{}: {} and {} share a colour", fig.id, a.0, b.0);
            }
        }
    }
    // 38 markets (oct-10-2025) get 38 colours.
    let colours: std::collections::BTreeSet<String> = (0..38).map(|i| format!("{:?}", palette(i))).collect();
    assert_eq!(colours.len(), 38);
}

#[test]
fn a_run_placed_in_utc_reads_clock_times() {
    let rec = common::recording(120);
    for fig in run_figures(&rec, &placed()) {
        let axis = fig.time.unwrap_or_else(|| panic!("{}: not over time", fig.id));
        assert_eq!(fig.x_label, "time (UTC, 2025-10-10)", "{}", fig.id);
        // 90 s after 20:45:00.
        assert_eq!(axis.tick(90.0), "20:46:30");
    }
    let plain = run_figures(&rec, &RunContext::default());
    assert_eq!(plain[0].x_label, "time since start (s)");
}
