//! `cascade stress` against hand-computed books.
//!
//! The world of the first tests: BTC (100,000) and ETH (4,000) on two venues, `a` (Binance
//! rules) and `b` (OKX rules), each market with one margin tier (MMR 1%, no maintenance amount,
//! up to 50x) and no trading fees, so every figure below is arithmetic on the sizes and prices.
//! Makers quote every market (the marks stay on the index within a few basis points; the fair
//! values' random walk is 5% a year, ±0.01% over the run); a small population trades BTC on `a`.
//! At t = 300 s BTC's fair value jumps by `btc` and ETH's by `eth`.
//!
//! The book: account `x` on `a`, cross, wallet 12,000 USDT, long 0.5 BTC @ 100,000 (50,000) and
//! long 10 ETH @ 4,000 (40,000), both at 10x (initial margin 9,000); account `y` on `b`, cross,
//! wallet 40,000, short 0.5 BTC @ 100,000 at 10x.

use cascade_engine::num::Cash;
use cascade_sim::scenario::{Portfolio, Scenario};
use cascade_sim::scheduler::SimTime;
use cascade_stress::run::{Outcome, Plan, run};
use cascade_stress::solve::solve;
use rust_decimal::Decimal;

const INSTRUMENT: &str = r#"
maker_fee = "0"
taker_fee = "0"

[[venues.instruments.tiers]]
floor = "0"
mmr = "0.01"
max_leverage = 50
"#;

fn two_venues(btc: f64, eth: f64) -> Scenario {
    let mut src = String::from(
        r#"
[run]
name = "joint"
seed = 3
duration_s = 600

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.05

[[assets]]
name = "ETH"
index_price = "4000"
annual_volatility = 0.05
"#,
    );
    for (venue, rules, btc_sym, eth_sym) in
        [("a", "binance", "BTCUSDT", "ETHUSDT"), ("b", "okx", "BTC-USDT-SWAP", "ETH-USDT-SWAP")]
    {
        src.push_str(&format!(
            "\n[[venues]]\nname = \"{venue}\"\nrules = \"{rules}\"\ninsurance_fund = \"1000000\"\n\
             \n[[venues.instruments]]\nsymbol = \"{btc_sym}\"\nasset = \"BTC\"\ntick = \"0.1\"\nlot = \"0.001\"\n{INSTRUMENT}\
             \n[[venues.instruments]]\nsymbol = \"{eth_sym}\"\nasset = \"ETH\"\ntick = \"0.01\"\nlot = \"0.001\"\n{INSTRUMENT}"
        ));
        for sym in [btc_sym, eth_sym] {
            src.push_str(&format!(
                "\n[[makers]]\nvenue = \"{venue}\"\nsymbol = \"{sym}\"\ncount = 2\ncapital = \"20000000\"\nlevel_notional = \"200000\"\n"
            ));
        }
    }
    src.push_str(
        r#"
[population]
accounts = 50

[[population.markets]]
venue = "a"
symbol = "BTCUSDT"
weight = 1.0
"#,
    );
    for (asset, mv) in [("BTC", btc), ("ETH", eth)] {
        if mv != 0.0 {
            src.push_str(&format!(
                "\n[[shocks]]\nat_s = 300\nasset = \"{asset}\"\nfair_value_move = {mv:?}\n"
            ));
        }
    }
    Scenario::from_toml(&src, "joint.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn book(extra: &str) -> Portfolio {
    let src = format!(
        r#"
name = "two-venue"

[[accounts]]
name = "x"
venue = "a"
wallet = "12000"

[[accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = "0.5"
entry_price = "100000"
leverage = 10

[[accounts.positions]]
symbol = "ETHUSDT"
side = "long"
size = "10"
entry_price = "4000"
leverage = 10

[[accounts]]
name = "y"
venue = "b"
wallet = "40000"

[[accounts.positions]]
symbol = "BTC-USDT-SWAP"
side = "short"
size = "0.5"
entry_price = "100000"
leverage = 10
{extra}"#
    );
    Portfolio::from_toml(&src, "book.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn go(scenario: &Scenario, portfolio: &Portfolio) -> Outcome {
    let plan = Plan {
        scenario,
        seed: 3,
        portfolio,
        extra: vec![Cash::ZERO; portfolio.accounts.len()],
        leg_extra: Vec::new(),
        rescue: None,
        sample: SimTime::from_secs(10),
    };
    run(&plan).unwrap_or_else(|e| panic!("{e}"))
}

/// `cascade calc` on account `x` alone, each leg with the other's mark fixed at its entry:
/// BTC: 12,000 + 0.5 (P − 100,000) = 0.01 × (0.5 P + 40,000) ⇒ 0.495 P = 38,400 ⇒
/// P = 77,575.76; ETH: 12,000 + 10 (Q − 4,000) = 0.01 × (50,000 + 10 Q) ⇒ 9.9 Q = 28,500 ⇒
/// Q = 2,878.79. Each is below its shock's level (BTC −20% = 80,000, ETH −25% = 3,000), so
/// calc calls each leg safe. Together at (80,000, 3,000) the equity is
/// 12,000 − 10,000 − 10,000 = −8,000, below the maintenance 0.01 × 70,000 = 700: liquidated.
#[test]
fn the_joint_move_liquidates_what_each_single_venue_calc_calls_safe() {
    let calc = cascade_io::calc::calc(
        r#"{"venue": "binance", "mode": "cross", "wallet_balance": "12000", "positions": [
          {"symbol": "BTCUSDT", "side": "long", "size": "0.5", "entry_price": "100000", "mark_price": "100000",
           "mmr": "0.01", "maintenance_amount": "0", "contract": "linear"},
          {"symbol": "ETHUSDT", "side": "long", "size": "10", "entry_price": "4000", "mark_price": "4000",
           "mmr": "0.01", "maintenance_amount": "0", "contract": "linear"}]}"#,
    )
    .unwrap();
    let lp = |i: usize| calc.positions[i].liquidation_price.as_deref().unwrap().parse::<Decimal>().unwrap();
    assert_eq!(lp(0).round_dp(2), Decimal::new(7_757_576, 2));
    assert_eq!(lp(1).round_dp(2), Decimal::new(287_879, 2));
    assert!(lp(0) < Decimal::from(80_000) && lp(1) < Decimal::from(3_000));

    let p = book("");
    // Each move alone: x survives (3% and 4% above the calc's prices).
    for (btc, eth) in [(-0.2, 0.0), (0.0, -0.25)] {
        let o = go(&two_venues(btc, eth), &p);
        assert!(!o.liquidated(0), "x liquidated by BTC {btc} / ETH {eth} alone: {:?}", o.accounts[0].legs);
    }
    // Together: liquidated at the jump, both legs closed; y (the short) is not.
    let o = go(&two_venues(-0.2, -0.25), &p);
    let x = &o.accounts[0];
    let t = x.first_liquidation_s.expect("x liquidated by the joint move");
    assert!((300.0..310.0).contains(&t), "liquidated at {t} s");
    for leg in &x.legs {
        assert!(leg.events.iter().any(|e| e.kind != "adl_cut"), "{} liquidated", leg.symbol);
        assert!(leg.size_end.is_zero(), "{} closed: {}", leg.symbol, leg.size_end);
    }
    // The BTC mark at the liquidation is near 80,000, far above calc's 77,575.76.
    let mark = x.legs[0].events[0].mark.unwrap();
    assert!(mark > Decimal::from(79_000) && mark < Decimal::from(81_000), "mark {mark}");
    assert!(!o.liquidated(1));
    // y's short gained 0.5 × 20,000 ≈ 10,000.
    let pnl = o.accounts[1].pnl;
    assert!(pnl > Decimal::from(9_500) && pnl < Decimal::from(10_500), "y pnl {pnl}");
}

/// The margin that survives the joint move: at (80,000, 3,000) x's equity is 12,000 + E −
/// 20,000 and its maintenance 700, so E > 8,700 (± the marks' few basis points: 0.1% of
/// 70,000 is 70). The solve's tolerance is 0.1% of the entry notional 90,000 = 90.
#[test]
fn the_extra_margin_is_solved() {
    let scenario = two_venues(-0.2, -0.25);
    let p = book("");
    let plan = Plan {
        scenario: &scenario,
        seed: 3,
        portfolio: &p,
        extra: vec![Cash::ZERO; 2],
        leg_extra: Vec::new(),
        rescue: None,
        sample: SimTime::from_secs(10),
    };
    let base = run(&plan).unwrap();
    let s = solve(&plan, &base, 0).unwrap();
    assert_eq!(s.tolerance, Decimal::from(90));
    let e = s.extra_margin.expect("an amount survives");
    assert!(e > Decimal::from(8_500) && e < Decimal::from(8_900), "extra {e}");
    // y survives as is.
    assert_eq!(solve(&plan, &base, 1).unwrap().extra_margin, Some(Decimal::ZERO));
}

/// An isolated account: `z` on `a`, wallet 6,000, long 0.5 BTC @ 100,000 at 10x, so its
/// position holds 5,000 of isolated margin and the other 1,000 stays in the wallet, where it backs
/// nothing. BTC −20% at 300 s: with E added to the position's margin its liquidation price is
/// 5,000 + E + 0.5 (P − 100,000) = 0.01 × 0.5 P ⇒ P = (45,000 − E) / 0.495, below the jump's
/// 80,000 when E > 45,000 − 39,600 = 5,400 (± the marks' few basis points: 0.1% of 40,000 is
/// 40). Tolerance: 0.1% of the leg's 50,000 = 50.
#[test]
fn an_isolated_account_is_solved_per_position() {
    let scenario = two_venues(-0.2, 0.0);
    let p = Portfolio::from_toml(
        r#"
[[accounts]]
name = "z"
venue = "a"
mode = "isolated"
wallet = "6000"

[[accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = "0.5"
entry_price = "100000"
leverage = 10
"#,
        "isolated.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plan = Plan {
        scenario: &scenario,
        seed: 3,
        portfolio: &p,
        extra: vec![Cash::ZERO],
        leg_extra: Vec::new(),
        rescue: None,
        sample: SimTime::from_secs(10),
    };
    let base = run(&plan).unwrap();
    assert!(base.liquidated(0), "the 1,000 left in the wallet does not save the position");
    let s = solve(&plan, &base, 0).unwrap();
    let e = s.extra_margin.unwrap_or_else(|| panic!("an amount survives: {:?}", s.note));
    assert!(e > Decimal::from(5_300) && e < Decimal::from(5_500), "extra {e}");
    assert_eq!(s.legs.len(), 1);
    assert_eq!(s.legs[0].extra_margin, Some(e));
    assert!(s.transfers.is_empty());
    assert!(s.note.as_deref().unwrap_or("").starts_with("isolated"), "{:?}", s.note);
    // The same amount in the wallet (cross-style) does not save it.
    let wallet_only = Plan { extra: vec![Cash(6_000 * 100_000_000)], ..plan.clone() };
    assert!(run(&wallet_only).unwrap().liquidated(0));
}

/// A transfer of 20,000 from y to x sent at 200 s: with a 600 s route it is still in flight
/// at the jump (300 s) and arrives at 800 s, after the end: x is liquidated and the transfer
/// reported too late. Over an instant route it is there at 200 s, and x's equity at the jump is
/// 32,000 − 20,000 = 12,000 against 700 of maintenance: x survives. y can send it: its free
/// margin is 40,000 − 5,000 of initial margin.
#[test]
fn a_transfer_that_arrives_too_late() {
    let scenario = two_venues(-0.2, -0.25);
    let plan = |delay: u64| {
        book(&format!(
            "\n[[routes]]\nfrom = \"y\"\nto = \"x\"\ndelay_s = {delay}\n\n[[transfers]]\nfrom = \"y\"\nto = \"x\"\namount = \"20000\"\nat_s = 200\n"
        ))
    };
    let slow = go(&scenario, &plan(600));
    assert!(slow.liquidated(0));
    let t = &slow.transfers[0];
    assert_eq!(t.sent, Decimal::from(20_000));
    assert_eq!(t.sent_s.floor(), 200.0);
    assert_eq!(t.arrived_s, None, "still in flight at the end (600 s)");
    assert!(t.too_late);

    let fast = go(&scenario, &plan(0));
    assert!(!fast.liquidated(0), "{:?}", fast.accounts[0].legs[0].events);
    assert!(!fast.transfers[0].too_late);
    assert_eq!(fast.transfers[0].arrived_s.map(f64::floor), Some(200.0));
}

/// A hedge ADL cuts. One venue, Bybit rules (Binance's BTCUSDT guarantee would keep ADL
/// away), no insurance fund: 300 longs at 20–50x on BTC; at 120 s BTC jumps −10%, past every
/// long's bankruptcy price (at most 5% away), so the book cannot take their liquidation orders
/// at the bankruptcy price, the empty fund takes nothing over, and the rest is
/// auto-deleveraged against the profitable shorts. The book: `h`, short 1 BTC @ 100,000 at 10x
/// with a 20,000 wallet, hedging 1 BTC held off-exchange. At 90,000 its Bybit ADL score is
/// PnL% × effective leverage = (10,000 / 100,000) × (90,000 / 30,000) = 0.3, against
/// 0.1 × (0.9 N / 1.1 N) ≈ 0.08 for the 1x seeding account on the other side of the
/// population: h is cut before it, and its hedge is left short of the holding.
#[test]
fn a_hedge_that_adl_cuts() {
    let src = format!(
        r#"
[run]
name = "adl"
seed = 5
duration_s = 300

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.05

[[venues]]
name = "a"
rules = "bybit"
insurance_fund = "0"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
{INSTRUMENT}
[[makers]]
venue = "a"
symbol = "BTCUSDT"
count = 1
capital = "2000000"
level_notional = "20000"

[population]
accounts = 300
long_share = 1.0
isolated_share = 0.0

[[population.leverage]]
min = 20
max = 50
weight = 1.0

[population.size]
kind = "lognormal"
median = "20000"
sigma = 0.3
min = "1000"
max = "100000"

[[shocks]]
at_s = 120
asset = "BTC"
fair_value_move = -0.1
"#
    );
    let scenario = Scenario::from_toml(&src, "adl.toml").unwrap_or_else(|e| panic!("{e}"));
    let p = Portfolio::from_toml(
        r#"
[[accounts]]
name = "h"
venue = "a"
wallet = "20000"

[[accounts.positions]]
symbol = "BTCUSDT"
side = "short"
size = "1"
entry_price = "100000"
leverage = 10

[[holdings]]
asset = "BTC"
amount = "1"
"#,
        "hedge.toml",
    )
    .unwrap();
    let o = go(&scenario, &p);
    let h = &o.accounts[0];
    assert!(h.first_liquidation_s.is_none(), "a profitable short is not liquidated");
    let t = h.first_adl_s.expect("the hedge is cut by ADL");
    assert!((120.0..130.0).contains(&t), "ADL at {t} s");
    let leg = &h.legs[0];
    assert!(leg.size_end > Decimal::from(-1), "the short is smaller: {}", leg.size_end);
    let cut: Decimal = leg.events.iter().filter(|e| e.kind == "adl_cut").map(|e| e.qty).sum();
    assert_eq!(leg.size_end, Decimal::from(-1) + cut);
    // Ranked first (0.3 against the seeder's 0.08).
    assert_eq!(leg.events.iter().find(|e| e.kind == "adl_cut").and_then(|e| e.rank), Some(0));
    // Before the jump h stood in the ADL queue of the short side; the holding lost 10%.
    assert!(leg.samples.iter().any(|s| s.adl_queue_pct.is_some()));
    let holding = &o.holdings[0];
    assert!(holding.modelled);
    assert!((holding.value_end / holding.value_start - 0.9).abs() < 0.01);
}
