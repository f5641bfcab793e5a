//! Multi-asset collateral in the simulation (`[[venues.collateral]]`, `[[population.collateral]]`,
//! `[policy.collateral]`): a holder's margin falls with the venue's own USDe book under
//! `internal_book` and not under `external_index`; liquidations that sell collateral into that
//! thin book depeg it and take other holders with it; the keys are validated by name; runs are
//! deterministic and keep every ledger invariant. Expectations are reasoned by hand in comments.

use std::collections::BTreeSet;

use cascade_engine::book::Side;
use cascade_engine::num::{Price, Qty};
use cascade_engine::venue::OrderRequest;
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::{BookRef, Market, Owner, base_asset};
use cascade_sim::{InvariantChecks, RunOptions, Simulation, run};

/// One Binance-rules venue, BTC flat at 100,000 (no volatility), one tier with a 5 %
/// maintenance rate and 10x at most, no fees; USDe pegged at 1 with a spot book and no maker
/// (the tests quote it by hand). 200 longs at 10x entered at 100,000 (a flat look-back), held;
/// half the cross accounts hold their whole initial margin in USDe (no haircut).
///
/// By hand: a holder of notional N deposited U = N/10 USDe (at 1, rounded up), so at a USDe
/// price p its equity is U·p + q·(mark − 100,000) and its maintenance 0.05·N (Binance reserves
/// no fee to close; one tier: no maintenance amount). With the mark at 100,000 it is liquidatable
/// iff N/10 · p ≤ 0.05·N, i.e. **p ≤ 0.5**, whatever N. A settle-only account has N/10 > 0.05·N.
fn threshold_text() -> String {
    usde_world(30, "0.0001", LEVERAGE_10X, "")
}

/// The world both scenarios of this file share; what differs is the run's length, the USDe
/// reprice step, the leverage draws (`[[population.leverage]]` tables) and what `extra` appends
/// (more makers, shocks). `SOURCE` is left for [`scenario`] to fill.
fn usde_world(duration_s: u32, reprice_step: &str, leverage: &str, extra: &str) -> String {
    format!(
        r#"
[run]
duration_s = {duration_s}

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.0

[[assets]]
name = "USDe"
index_price = "1"
annual_volatility = 0.0

[[assets.spot]]
venue = "binance"
symbol = "USDE/USDT"
tick = "0.0001"
lot = "1"
maker_fee = "0"
taker_fee = "0"

[[venues]]
name = "binance"
rules = "binance"
insurance_fund = "10000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
maker_fee = "0"
taker_fee = "0"

[[venues.instruments.tiers]]
floor = "0"
mmr = "0.05"
max_leverage = 10

[[venues.collateral]]
asset = "USDe"
source = "SOURCE"
reprice_step = "{reprice_step}"

[population]
accounts = 200
long_share = 1.0
isolated_share = 0.0

{leverage}
[population.entry]
annual_volatility = 0.0
lookback_return = 0.0

[population.size]
median = "100000"
sigma = 0.5
min = "20000"
max = "500000"

[population.behaviour]
hold = 1.0
static_stop = 0.0
adaptive_stop = 0.0
take_profit = 0.0
buy_the_dip = 0.0

[[population.collateral]]
venue = "binance"
asset = "USDe"
share = 0.5
fraction = 1.0

[[makers]]
venue = "binance"
symbol = "BTCUSDT"
levels = 20
level_notional = "2000000"
capital = "400000000"
max_inventory = "100000000"
{extra}"#
    )
}

/// Every account at 10x.
const LEVERAGE_10X: &str = r#"[[population.leverage]]
min = 10
max = 10
weight = 1.0
"#;

fn scenario(text: &str, source: &str) -> Scenario {
    Scenario::from_toml(&text.replace("SOURCE", source), "collateral.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Quotes the USDe book by hand at `bid` / `ask` (price units of 0.0001), 1,000 USDe each, runs
/// ten seconds and returns (the holders at the start, the accounts liquidated).
fn holders_and_liquidated(source: &str, bid: i64, ask: i64) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let s = scenario(&threshold_text(), source);
    let mut sim = Simulation::new(&s, 7, true).unwrap();
    let w = &mut sim.world;
    let book = w.find_spot("binance", "USDE/USDT").unwrap();
    let usde = base_asset(1);
    let quoter = w.open_account(0, Owner::Nobody).unwrap();
    w.deposit(0, quoter, Market::cash(10_000.0)).unwrap();
    w.deposit_asset(0, quoter, usde, Market::cash(10_000.0)).unwrap();
    for (side, p) in [(Side::Buy, bid), (Side::Sell, ask)] {
        let placed = w.place_at(BookRef::Spot(book), quoter, OrderRequest::limit(side, Price(p), Qty(1_000)));
        assert!(placed.unwrap().is_some());
    }
    let holders: BTreeSet<u32> = sim
        .agents
        .population
        .traders
        .iter()
        .filter(|t| sim.world.holding(0, t.account, usde).is_positive())
        .map(|t| t.account.0)
        .collect();
    sim.run_until(SimTime::from_secs(10)).unwrap();
    let rec = sim.finish();
    (holders, rec.liquidations.iter().map(|r| r.account).collect())
}

#[test]
fn the_internal_book_liquidates_exactly_the_holders_below_the_hand_computed_price() {
    // Mid 0.40005 ≤ 0.5: every holder, and nobody else.
    let (holders, liquidated) = holders_and_liquidated("internal_book", 4_000, 4_001);
    assert!(holders.len() > 50 && holders.len() < 150, "about half of 200: {}", holders.len());
    assert_eq!(liquidated, holders);
    // Mid 0.55005 > 0.5: the same holders keep 0.055·N of equity over 0.05·N.
    let (_, liquidated) = holders_and_liquidated("internal_book", 5_500, 5_501);
    assert!(liquidated.is_empty(), "{liquidated:?}");
    // External index: USDe counts at its peg of 1 whatever its book says.
    let (_, liquidated) = holders_and_liquidated("external_index", 4_000, 4_001);
    assert!(liquidated.is_empty(), "{liquidated:?}");
}

#[test]
fn the_policy_lever_switches_the_source() {
    // The scenario says internal_book; [policy.collateral] says external_index: nobody goes.
    let text = format!("{}\n[policy.collateral]\nsource = \"external_index\"\n", threshold_text());
    let s = scenario(&text, "internal_book");
    let mut sim = Simulation::new(&s, 7, true).unwrap();
    assert_eq!(sim.world.collateral[0].source.as_str(), "external_index");
    let w = &mut sim.world;
    let book = w.find_spot("binance", "USDE/USDT").unwrap();
    let quoter = w.open_account(0, Owner::Nobody).unwrap();
    w.deposit(0, quoter, Market::cash(10_000.0)).unwrap();
    w.deposit_asset(0, quoter, base_asset(1), Market::cash(10_000.0)).unwrap();
    w.place_at(BookRef::Spot(book), quoter, OrderRequest::limit(Side::Buy, Price(4_000), Qty(1_000)))
        .unwrap();
    w.place_at(BookRef::Spot(book), quoter, OrderRequest::limit(Side::Sell, Price(4_001), Qty(1_000)))
        .unwrap();
    sim.run_until(SimTime::from_secs(10)).unwrap();
    let rec = sim.finish();
    assert!(rec.liquidations.is_empty());
    assert_eq!(rec.summary.collateral[0].source, "external_index");
}

/// The spiral, with nothing imposed on USDe: BTC's fair value drops 14 % at 10 s; a thin USDe
/// maker quotes around the peg moved by its own tape. Leverage is 10x or 5x, half each; half the
/// cross accounts hold all their margin in USDe.
///
/// By hand, with the mark 14 % down and USDe at p, per unit of entry notional N: equity is
/// margin·p − 0.14, maintenance 0.05 × 0.86 = 0.043 (at the mark). A 10x account (margin 0.1)
/// is below it even at p = 1: every 10x account is liquidated under either source. A 5x account
/// (margin 0.2) is liquidatable iff 0.2·p ≤ 0.183, i.e. **p ≤ 0.915**: a settle-only 5x (p = 1 in
/// effect, 0.06 of equity) survives — so would it with the mark 1.8 % lower still — and so does
/// every 5x holder under `external_index` (USDe counts at 1). Under `internal_book`, the 10x
/// holders' liquidations sell their USDe (a tenth of their notional, ≈ 560k) into a book whose
/// bids hold ≈ $10k within 5 %: the sales and the backstop's resale of what the book could not
/// take walk it down, the maker's quotes follow its own tape down (80 % of the tape's basis, at
/// most 20 %), and once the book is below 0.915 every 5x holder is liquidated too — by the depeg
/// alone.
fn spiral_text() -> String {
    usde_world(300, "0.001", LEVERAGE_10X_AND_5X, SPIRAL_EXTRA)
}

/// Half the accounts at 10x, half at 5x.
const LEVERAGE_10X_AND_5X: &str = r#"[[population.leverage]]
min = 10
max = 10
weight = 0.5

[[population.leverage]]
min = 5
max = 5
weight = 0.5
"#;

/// The thin USDe maker and the BTC shock of the spiral.
const SPIRAL_EXTRA: &str = r#"
[[makers]]
venue = "binance"
symbol = "USDE/USDT"
capital = "2000000"
levels = 10
half_spread_bps = 10.0
level_spacing_bps = 50.0
level_notional = "1000"
max_inventory = "1000000"
pull_volatility = 50.0

[[shocks]]
at_s = 10
asset = "BTC"
fair_value_move = -0.14
"#;

/// (5x holders, 5x accounts liquidated, 10x accounts liquidated, the summary's USDe book low).
fn spiral(source: &str) -> (BTreeSet<u32>, BTreeSet<u32>, usize, f64) {
    let s = scenario(&spiral_text(), source);
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let usde = base_asset(1);
    let traders = sim.agents.population.traders.clone();
    let five: BTreeSet<u32> = traders.iter().filter(|t| t.leverage == 5).map(|t| t.account.0).collect();
    let holders5: BTreeSet<u32> = traders
        .iter()
        .filter(|t| t.leverage == 5 && sim.world.holding(0, t.account, usde).is_positive())
        .map(|t| t.account.0)
        .collect();
    sim.run_until(SimTime::from_secs(300)).unwrap();
    let rec = sim.finish();
    let liquidated: BTreeSet<u32> = rec.liquidations.iter().map(|r| r.account).collect();
    let liq5: BTreeSet<u32> = liquidated.intersection(&five).copied().collect();
    let ten = traders.iter().filter(|t| t.leverage == 10 && liquidated.contains(&t.account.0)).count();
    let low = rec.summary.collateral[0].book_low.unwrap();
    (holders5, liq5, ten, low)
}

#[test]
fn forced_collateral_sales_depeg_the_book_and_take_the_other_holders() {
    let (holders5, liq5, ten_internal, low) = spiral("internal_book");
    assert!(!holders5.is_empty());
    assert!(low < 0.915, "the book fell below the 5x holders' 0.915: {low}");
    assert_eq!(liq5, holders5, "every 5x holder, and no settle-only 5x account");
    let (_, liq5, ten_external, low_external) = spiral("external_index");
    assert!(liq5.is_empty(), "{liq5:?}");
    assert_eq!(ten_internal, ten_external, "every 10x account goes under either source");
    // Under external_index the liquidations do not sell into the book (the backstop buys the
    // collateral at its reference), so nothing walks the book down.
    assert!(low_external > 0.99, "{low_external}");
}

#[test]
fn collateral_runs_are_deterministic_and_keep_every_invariant() {
    let s = scenario(&spiral_text(), "internal_book");
    let opts = RunOptions {
        counterfactual: false,
        invariants: InvariantChecks::EveryEvent,
        ..RunOptions::default()
    };
    let a = run(&s, 11, &opts).unwrap();
    let b = run(&s, 11, &RunOptions { invariants: InvariantChecks::Never, ..opts }).unwrap();
    assert_eq!(a, b);
    let c = &a.summary.collateral[0];
    assert!(c.holders > 0 && c.holders_liquidated > 0 && c.units_sold_on_book > 0.0, "{c:?}");
}

fn problems(text: &str) -> Vec<(String, String)> {
    match Scenario::from_toml(text, "c.toml") {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| (p.path.clone(), p.message.clone())).collect(),
    }
}

fn has(ps: &[(String, String)], path: &str) -> bool {
    ps.iter().any(|(p, _)| p == path)
}

#[test]
fn bad_collateral_keys_are_named() {
    let base = threshold_text().replace("SOURCE", "internal_book");
    // Values out of range, each named.
    let t = base
        .replace("reprice_step = \"0.0001\"", "reprice_step = \"0\"\nhaircut = \"1\"")
        .replace("share = 0.5", "share = 1.5")
        .replace("fraction = 1.0", "fraction = 0.0");
    let ps = problems(&t);
    for path in [
        "venues[0].collateral[0].reprice_step",
        "venues[0].collateral[0].haircut",
        "population.collateral[0].share",
        "population.collateral[0].fraction",
    ] {
        assert!(has(&ps, path), "{path} not in {ps:?}");
    }
    // An asset without a book on the venue; a holder of an asset the venue does not accept.
    let t = base.replace("[[venues.collateral]]\nasset = \"USDe\"", "[[venues.collateral]]\nasset = \"BTC\"");
    let ps = problems(&t);
    assert!(has(&ps, "venues[0].collateral[0].asset"), "{ps:?}");
    assert!(has(&ps, "population.collateral[0].asset"), "{ps:?}");
    // An unknown key is refused by name.
    let t = base.replace("reprice_step = \"0.0001\"", "reprice_step = \"0.0001\"\npeg = \"1\"");
    let ps = problems(&t);
    assert!(
        ps.iter().any(|(p, m)| p.ends_with("collateral[0].peg") && m.contains("unknown field")),
        "{ps:?}"
    );
    // The policy lever: an unknown source, a table that sets nothing, a follower of nothing.
    let t = format!("{base}\n[policy.collateral]\nsource = \"oracle\"\n");
    assert!(has(&problems(&t), "policy.collateral.source"), "{:?}", problems(&t));
    let t = format!("{base}\n[policy.collateral]\nvenues = [\"binance\"]\n");
    assert!(has(&problems(&t), "policy.collateral"), "{:?}", problems(&t));
    let t = base.replace(
        "name = \"USDe\"\nindex_price = \"1\"\nannual_volatility = 0.0",
        "name = \"USDe\"\nindex_price = \"1\"\nfollows = \"ETH\"",
    );
    assert!(has(&problems(&t), "assets[1].follows"), "{:?}", problems(&t));
}

/// wBETH follows ETH: its fair value (the external reference) is ETH's index × 1.08.
#[test]
fn a_follower_tracks_its_asset_at_the_start_ratio() {
    let t = threshold_text().replace("SOURCE", "external_index").replace(
        "[[assets]]\nname = \"USDe\"\nindex_price = \"1\"\nannual_volatility = 0.0",
        "[[assets]]\nname = \"USDe\"\nindex_price = \"108000\"\nfollows = \"BTC\"",
    );
    let mut s = Scenario::from_toml(&t, "f.toml").unwrap_or_else(|e| panic!("{e}"));
    s.population.accounts = 0;
    s.shocks.push(cascade_sim::scenario::Shock {
        name: String::new(),
        at_s: 5,
        asset: "BTC".into(),
        fair_value_move: -0.1,
        ramp_s: 0,
        notional: cascade_sim::scenario::Dec::ZERO,
        side: cascade_sim::scenario::FlowSide::Sell,
        duration_s: 600,
        slice_ms: 1000,
        venues: Vec::new(),
        venue_weights: Default::default(),
    });
    let mut sim = Simulation::new(&s, 1, true).unwrap();
    sim.run_until(SimTime::from_secs(8)).unwrap();
    // 100,000 × 0.9 × 1.08 = 97,200 (the pressure model is at rest: no spot flow).
    let fair = sim.world.assets[1].fair;
    assert!((fair - 97_200.0).abs() < 1e-6, "{fair}");
}

/// The shipped policy file switches every collateral of the 10 October scenario to its external
/// reference, and changes nothing else.
#[test]
fn the_external_index_policy_file_loads_onto_oct_10() {
    let oct = include_str!("../../../scenarios/oct-10-2025.toml");
    let policy = include_str!("../../../scenarios/policies/collateral-external-index.toml");
    let base = Scenario::from_toml(oct, "oct-10-2025.toml").unwrap_or_else(|e| panic!("{e}"));
    let (s, _) = cascade_sim::scenario::scenario_with_policy(oct, "oct-10-2025.toml", policy, "p.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let p = s.policy.collateral.as_ref().unwrap();
    assert_eq!(p.source, Some(cascade_sim::scenario::CollateralSourceCfg::ExternalIndex));
    assert_eq!(Scenario { policy: base.policy.clone(), ..s }, base);
    let assets: Vec<(String, String)> = base.collateral_entries();
    assert_eq!(assets.len(), 3, "USDe, wBETH and BNSOL on binance: {assets:?}");
}
