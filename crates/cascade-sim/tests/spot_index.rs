//! Spot books that make the index (`[[assets.spot]]`): flow on the perpetuals reaches the index
//! through the basis arbitrageur's spot leg; without liquidations every venue's marks differ;
//! the example scenario is deterministic and keeps every ledger invariant after every event.
//! Expected figures are reasoned by hand in the comments.

use cascade_engine::book::Side;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::OrderRequest;
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::{BookRef, Owner};
use cascade_sim::{InvariantChecks, RunOptions, Simulation, run};

const EXAMPLE: &str = include_str!("../../../scenarios/examples/spot-index.toml");

fn example() -> Scenario {
    Scenario::from_toml(EXAMPLE, "scenarios/examples/spot-index.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// The example made smaller for debug-build tests: fewer accounts, a shorter run, the shock at
/// one minute.
fn small() -> Scenario {
    let mut s = example();
    s.run.duration_s = 240;
    s.population.accounts = 1_500;
    s.shocks[0].at_s = 60;
    s.shocks[0].duration_s = 60;
    s
}

fn quick() -> RunOptions<'static> {
    RunOptions { counterfactual: false, invariants: InvariantChecks::Never, ..RunOptions::default() }
}

/// One venue, no population, no noise: a perpetual maker, a spot maker with a thin ladder and a
/// basis arbitrageur. The fair value does not move.
const ONE_VENUE: &str = r#"
[run]
duration_s = 60

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.0

[[assets.spot]]
venue = "binance"
symbol = "BTC/USDT"
tick = "0.01"
lot = "0.00001"

[[venues]]
name = "binance"
rules = "binance"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[population]
accounts = 0

[[makers]]
venue = "binance"
symbol = "BTCUSDT"
levels = 10
level_notional = "100000"

[[makers]]
venue = "binance"
symbol = "BTC/USDT"
capital = "2000000"
levels = 5
half_spread_bps = 1.0
level_spacing_bps = 3.0
level_notional = "50000"

[[arbitrageurs]]
kind = "basis"
markets = [{ venue = "binance", symbol = "BTCUSDT" }]
capital = "10000000"
threshold_bps = 10.0
max_position = "5000000"
latency_ms = 3600000

[noise]
traders = 0
value_traders = 0
"#;

/// A perpetual sell wave (standing for a liquidation sweep) leaves the perpetual 2.5 % below
/// spot; the basis arbitrageur buys it and sells base on the spot book, and the index falls.
///
/// By hand: the arbitrageur's clip is `max_position / 10` = 500,000 USDT, its spot account holds
/// a quarter of its 10,000,000 capital as base (25 BTC), so it sells 500,000 / 100,000 ≈ 5 BTC
/// with a limit half the threshold (5 bp) below the spot mid. The spot maker's innermost bid is
/// 1 bp below the fair value and holds at most `level_notional × 1.25` (the jitter) = 62,500
/// USDT < 500,000, and its second bid, one spacing (3 bp) lower, is above the limit: the sale
/// takes the whole first level, so the best bid falls by at least one spacing, 3 bp of 100,000
/// = 30 USDT, less one tick (0.01) of rounding. The ask is untouched, so the mid falls by at
/// least (30 − 0.01) / 2 − 0.01 ≈ 14.98 USDT, and Binance's index (one source: the mid, floored
/// to the perpetual's 0.1) by at least 14.8.
#[test]
fn a_perp_sell_wave_moves_the_spot_index_through_the_arbitrageur() {
    let s = Scenario::from_toml(ONE_VENUE, "one-venue.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1, true).unwrap();
    sim.run_until(SimTime::from_secs(5)).unwrap();
    let w = &mut sim.world;
    let (perp, spot) = (0, 0);
    let index_before = w.book_index(perp).unwrap().unwrap();
    let book = w.book_at(BookRef::Spot(spot));
    let (bid_before, ask_before) = (book.best_bid().unwrap(), book.best_ask().unwrap());
    // Spot stands at the fair value within the makers' spread (2 bp + rounding): 100,000 ± 20.
    assert!((index_before.0 - 1_000_000).abs() <= 200, "index {index_before:?}");
    assert_eq!(sim.agents.arbs[0].spot_units, 0.0, "no gap before the wave");

    // The wave: 50 BTC offered at 98,000 sweeps the perpetual's bids and rests; a lone bid at
    // 97,000 gives the perpetual a mid of 97,500.
    let v = 0;
    let seller = w.open_account(v, Owner::Nobody).unwrap();
    w.deposit(v, seller, Cash(20_000_000 * 100_000_000)).unwrap();
    let sell = OrderRequest::limit(Side::Sell, Price(980_000), Qty(50_000));
    assert!(w.place(perp, seller, sell).unwrap().is_some());
    let buyer = w.open_account(v, Owner::Nobody).unwrap();
    w.deposit(v, buyer, Cash(1_000_000 * 100_000_000)).unwrap();
    assert!(w.place(perp, buyer, OrderRequest::limit(Side::Buy, Price(970_000), Qty(10))).unwrap().is_some());
    assert_eq!(w.book(perp).mid(), Some(Price(975_000)));

    sim.agents.arbs[0].wake(&mut sim.world).unwrap();
    let w = &sim.world;
    // It bought 5 BTC of the perpetual at 98,000 and sold base on the spot book.
    let sold = -sim.agents.arbs[0].spot_units;
    assert!(sold > 62_500.0 / 100_000.0, "sold {sold} BTC, more than the first bid level");
    let book = w.book_at(BookRef::Spot(spot));
    let bid_after = book.best_bid().unwrap();
    assert_eq!(book.best_ask(), Some(ask_before), "the asks are untouched");
    assert!(bid_before.0 - bid_after.0 >= 3_000 - 1, "bid {bid_before:?} -> {bid_after:?}");
    let index_after = w.book_index(perp).unwrap().unwrap();
    assert!(index_before.0 - index_after.0 >= 148, "index {index_before:?} -> {index_after:?}");
    w.check_invariants(0).unwrap();
}

/// The small example keeps every ledger invariant after every event, liquidates, and moves the
/// spot books (the index leaves the fair value's neighbourhood with the shock).
#[test]
fn invariants_hold_after_every_event_with_spot_books() {
    let s = small();
    let opts = RunOptions {
        invariants: InvariantChecks::EveryEvent,
        counterfactual: false,
        ..RunOptions::default()
    };
    let rec = run(&s, 7, &opts).unwrap();
    assert!(!rec.liquidations.is_empty(), "the small run should liquidate someone");
    assert_eq!(rec.series.len(), 240 * 2);
}

/// Same scenario and seed, same recording; another seed, another one.
#[test]
fn the_spot_index_example_is_deterministic() {
    let s = small();
    let opts = RunOptions { invariants: InvariantChecks::Never, ..RunOptions::default() };
    let a = run(&s, 3, &opts).unwrap();
    let b = run(&s, 3, &opts).unwrap();
    assert!(a == b, "two runs of the same scenario and seed differ");
    let c = run(&s, 4, &quick()).unwrap();
    assert!(a.series != c.series);
}

/// Without forced liquidations the marks differ on every venue: liquidation selling reaches the
/// shared spot books, whose mids make every venue's index.
#[test]
fn the_counterfactual_without_liquidations_differs_on_every_venue() {
    let s = small();
    let on = run(&s, 11, &quick()).unwrap();
    let off = run(&s, 11, &RunOptions { liquidations: false, ..quick() }).unwrap();
    assert!(!on.liquidations.is_empty() && off.liquidations.is_empty());
    for venue in ["binance", "bybit"] {
        let marks = |r: &cascade_sim::metrics::Recording| {
            r.series.iter().filter(|x| x.venue == venue).map(|x| (x.mark, x.index)).collect::<Vec<_>>()
        };
        let (a, b) = (marks(&on), marks(&off));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).any(|(x, y)| x.0 != y.0), "{venue}: marks identical with and without");
        assert!(a.iter().zip(&b).any(|(x, y)| x.1 != y.1), "{venue}: index identical with and without");
    }
}

/// Schema errors name the field: an unknown key, a key with no meaning next to spot books, a
/// venue that does not exist, a symbol listed twice, a zero weight, a lot too fine for spot.
#[test]
fn spot_book_schema_errors_name_the_field() {
    let refuse = |find: &str, replace: &str| {
        assert_eq!(EXAMPLE.matches(find).count(), 1, "`{find}`");
        let src = EXAMPLE.replacen(find, replace, 1);
        match Scenario::from_toml(&src, "x.toml") {
            Ok(_) => panic!("`{replace}` should be refused"),
            Err(e) => e,
        }
    };
    let has = |e: &cascade_sim::scenario::ScenarioError, path: &str| {
        assert!(e.problems().iter().any(|p| p.path == path), "no problem at `{path}` in:\n{e}");
    };
    has(&refuse("weight = 3\n", "weight = 3\ndepth = 1\n"), "assets[0].spot[0].depth");
    has(
        &refuse("annual_volatility = 0.5\n", "annual_volatility = 0.5\nspot_depth_1pct = \"1\"\n"),
        "assets[0].spot_depth_1pct",
    );
    has(
        &refuse("annual_volatility = 0.5\n", "annual_volatility = 0.5\nspot_recovery_half_life_s = 60\n"),
        "assets[0].spot_recovery_half_life_s",
    );
    has(
        &refuse("annual_volatility = 0.5\n", "annual_volatility = 0.5\nperp_flow_to_spot = 0.2\n"),
        "assets[0].perp_flow_to_spot",
    );
    has(
        &refuse(
            "venue = \"bybit\"\nsymbol = \"BTC/USDT\"\ntick = \"0.1\"",
            "venue = \"okx\"\nsymbol = \"BTC/USDT\"\ntick = \"0.1\"",
        ),
        "assets[0].spot[1].venue",
    );
    has(
        &refuse("symbol = \"BTC/USDT\"\ntick = \"0.01\"", "symbol = \"BTCUSDT\"\ntick = \"0.01\""),
        "assets[0].spot[0].symbol",
    );
    has(&refuse("weight = 3\n", "weight = 0\n"), "assets[0].spot[0].weight");
    has(&refuse("lot = \"0.00001\"\nmaker_fee", "lot = \"0.000000001\"\nmaker_fee"), "assets[0].spot[0].lot");
    // A maker on a spot symbol no venue lists.
    has(&refuse("symbol = \"BTC/USDT\"\ncount = 1", "symbol = \"ETH/USDT\"\ncount = 1"), "makers[3].symbol");
}

/// A hedger whose short is cut sells the spot it no longer covers on the spot book.
///
/// By hand: the hedger holds 1,000,000 / 100,000 = 10 BTC as base at the spot book and is short
/// 10 BTC of the perpetual. Closing 5 BTC of the short (standing for an ADL) leaves 5 BTC
/// unhedged; it offers them at the venue's 5 % band below the spot mid. The spot maker's five
/// bids hold at most 5 × 62,500 = 312,500 USDT ≈ 3.2 BTC (< 5), all above the band: every bid
/// is taken and the bid side is empty, and the hedger keeps 10 − (what the bids held) BTC.
#[test]
fn a_cut_hedger_sells_its_spot_on_the_book() {
    let src = format!(
        "{ONE_VENUE}\n[[hedgers]]\nvenue = \"binance\"\nsymbol = \"BTCUSDT\"\nnotional = \"1000000\"\nleverage = 5\n"
    );
    let s = Scenario::from_toml(&src, "hedger.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1, true).unwrap();
    sim.run_until(SimTime::from_secs(5)).unwrap();
    let h = sim.agents.hedgers[0].clone();
    assert!((h.spot_units - 10.0).abs() < 1e-9, "{}", h.spot_units);
    let w = &mut sim.world;
    let bids: i64 = w.book_at(BookRef::Spot(0)).level_infos(Side::Buy).map(|l| l.qty.0).sum();
    assert!(bids > 0 && bids < 320_000, "bids hold {bids} lots of 1e-5 BTC");
    let cut = OrderRequest { reduce_only: true, ..OrderRequest::market(Side::Buy, Qty(5_000)) };
    assert!(w.place(h.market, h.account, cut).unwrap().is_some());
    assert_eq!(w.position(h.market, h.account), Qty(-5_000));
    sim.agents.hedgers[0].react(&mut sim.world).unwrap();
    let left = sim.agents.hedgers[0].spot_units;
    assert!((left - (10.0 - bids as f64 / 1e5)).abs() < 1e-9, "left {left}, bids {bids}");
    assert_eq!(sim.world.book_at(BookRef::Spot(0)).best_bid(), None, "every bid was taken");
    sim.world.check_invariants(0).unwrap();
}
