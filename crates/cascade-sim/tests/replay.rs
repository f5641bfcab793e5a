//! `[[assets]] index = "path"`: the index is the real path exactly, and positions are liquidated
//! when (and only when) that path crosses their liquidation price. Expected figures are worked
//! by hand in the comments.

use cascade_sim::scenario::{Dec, Portfolio, PricePath, PricePoint, Scenario};
use cascade_sim::scheduler::SimTime;
use cascade_sim::{InvariantChecks, RunOptions, Simulation};
use rust_decimal::Decimal;

/// 10 Oct 2025 20:45:00 UTC, Unix ms.
const START_MS: u64 = 1_760_129_100_000;

/// One Binance-rules venue, no population, no makers: only the real path moves the marks.
/// One tier: maintenance rate 0.5 %, maintenance amount 0, up to 100× (so the hand formula has
/// no tier step). No fees, so opening a position leaves the wallet whole.
const SCENARIO: &str = r#"
[run]
duration_s = 180
start_utc = "2025-10-10T20:45:00Z"
metrics_interval_ms = 1000

[[assets]]
name = "BTC"
path = "in-memory"
index = "path"

[[venues]]
name = "binance"
rules = "binance"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
maker_fee = "0"
taker_fee = "0"

[[venues.instruments.tiers]]
floor = "0"
mmr = "0.005"
max_leverage = 100
maintenance_amount = "0"

[population]
accounts = 0
"#;

/// Two cross longs of 0.1 BTC entered at 100,000 on the path below.
///
/// Binance cross, one position, maintenance amount 0: liquidated when
/// `wallet + 0.1 × (P − 100000) < 0.1 × P × 0.005`, i.e. below `P = (10000 − wallet) / 0.0995`.
/// - `crossed`, wallet 398: P = 9602 / 0.0995 = 96,502.51 — inside the 20:46–20:47 fall from
///   99,000 to 95,000.
/// - `safe`, wallet 1,000: P = 9000 / 0.0995 = 90,452.26 — below the path's low, 95,000.
const PORTFOLIO: &str = r#"
[[accounts]]
name = "crossed"
venue = "binance"
mode = "cross"
wallet = "398"
[[accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = "0.1"
entry_price = "100000"
leverage = 50

[[accounts]]
name = "safe"
venue = "binance"
mode = "cross"
wallet = "1000"
[[accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = "0.1"
entry_price = "100000"
leverage = 50
"#;

/// Closes at 20:45, 20:46, 20:47, 20:48 (a close sits at its bar's close time + 1 ms, i.e. at
/// the whole minute), starting from the 20:44 bar's open.
fn path() -> PricePath {
    let pt =
        |min: u64, p: &str| PricePoint { time_ms: START_MS + min * 60_000, price: Dec::parse(p).unwrap() };
    PricePath::new("in-memory", vec![pt(0, "100000.0"), pt(1, "99000.0"), pt(2, "95000.0"), pt(3, "96000.4")])
        .unwrap()
}

fn scenario(src: &str) -> Scenario {
    let mut s = Scenario::from_toml(src, "replay-test").unwrap_or_else(|e| panic!("{e}"));
    s.attach_price_paths(vec![(0, path())], src, "replay-test").unwrap_or_else(|e| panic!("{e}"));
    s
}

fn run(s: &Scenario) -> cascade_sim::metrics::Recording {
    let portfolio = Portfolio::from_toml(PORTFOLIO, "portfolio").unwrap_or_else(|e| panic!("{e}"));
    let (mut sim, _) = Simulation::with_portfolio(s, 7, true, &portfolio, &[]).unwrap();
    let opts =
        RunOptions { counterfactual: false, invariants: InvariantChecks::Never, ..RunOptions::default() };
    sim.run_to_end(&opts, cascade_sim::Phase::Main).unwrap();
    sim.finish()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn the_index_is_the_file_close_at_every_minute_and_linear_between() {
    let s = scenario(SCENARIO);
    let (mut sim, _) = Simulation::with_portfolio(&s, 7, true, &Portfolio::default(), &[]).unwrap();
    // The market's index just after the price step at `ms` (the next step is 1 s later).
    let mut index_at = |ms: u64| {
        sim.run_until(SimTime::from_millis(ms + 1)).unwrap();
        let mk = &sim.world.markets[0];
        mk.index.map(|p| Decimal::new(p.0, 1)).unwrap_or_else(|| panic!("no index at {ms}"))
    };
    // 20 s into 100,000 → 99,000: 1000000 − 10000 × 20/60 = 996,666.67 units, floored 99,666.6.
    assert_eq!(index_at(20_000), dec("99666.6"));
    // Each close exactly, in the market's 0.1 units.
    assert_eq!(index_at(60_000), dec("99000.0"));
    assert_eq!(index_at(120_000), dec("95000.0"));
    // 30 s into 95,000 → 96,000.4: 950000 + 10004 × 30/60 = 955,002 units, 95,500.2.
    assert_eq!(index_at(150_000), dec("95500.2"));
    // 59 s in: 950000 + 10004 × 59/60 = 959,837.27 units, floored 95,983.7.
    assert_eq!(index_at(179_000), dec("95983.7"));
    // The sampled series carries the same exact decimals (a row shows the step before it).
    let rec = run(&s);
    let row = rec.series.iter().find(|r| r.time_ms == 61_000).unwrap();
    assert_eq!(row.index, Some(dec("99000.0")));
}

#[test]
fn a_long_is_liquidated_in_the_minute_the_path_crosses_its_price_and_the_other_is_not() {
    let rec = run(&scenario(SCENARIO));
    // Only `crossed`: its liquidation price 96,502.51 is crossed between 20:46 and 20:47. On the
    // 1 s price steps the index is 99000 − 4000 × s/60: 96,533.3 at s = 37 (above), 96,466.6 at
    // s = 38 (below), so the pass at 60 + 38 s liquidates it.
    assert_eq!(rec.liquidations.len(), 1, "{:#?}", rec.liquidations);
    let l = &rec.liquidations[0];
    assert!((60_000..120_000).contains(&l.time_ms), "liquidated at {} ms", l.time_ms);
    assert_eq!(l.time_ms, 98_000);
    assert_eq!(l.qty, dec("0.1"));
    assert!(l.mark_price < dec("96502.51") && l.mark_price > dec("96400"), "mark {}", l.mark_price);
    // Nothing before the crossing: the first 97 s hold both positions.
    assert_eq!(SimTime::from_millis(l.time_ms), SimTime::from_secs(98));
}

#[test]
fn replay_refuses_shocks_and_pressure_keys_on_the_asset_and_needs_a_path() {
    let shocked = format!("{SCENARIO}\n[[shocks]]\nat_s = 10\nasset = \"BTC\"\nfair_value_move = -0.05\n");
    let e = Scenario::from_toml(&shocked, "s").unwrap_err().to_string();
    assert!(e.contains("shocks[0].asset") && e.contains("index = \"path\""), "{e}");
    let pushed = SCENARIO.replace("index = \"path\"", "index = \"path\"\nperp_flow_to_spot = 0.5");
    let e = Scenario::from_toml(&pushed, "s").unwrap_err().to_string();
    assert!(e.contains("assets[0].perp_flow_to_spot"), "{e}");
    let no_path = SCENARIO.replace("path = \"in-memory\"", "index_price = \"100000\"");
    let e = Scenario::from_toml(&no_path, "s").unwrap_err().to_string();
    assert!(e.contains("assets[0].index") && e.contains("needs a `path`"), "{e}");
    let bad = SCENARIO.replace("index = \"path\"", "index = \"file\"");
    assert!(Scenario::from_toml(&bad, "s").unwrap_err().to_string().contains("index"));
}

#[test]
fn the_same_replay_twice_records_the_same() {
    let s = scenario(SCENARIO);
    let (a, b) = (run(&s), run(&s));
    assert_eq!(format!("{:?}", a.series), format!("{:?}", b.series));
    assert_eq!(format!("{:?}", a.liquidations), format!("{:?}", b.liquidations));
}
