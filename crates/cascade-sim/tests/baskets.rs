//! Cross-margin baskets (`[population.baskets]`): cross accounts that hold several markets of
//! their venue. Every cross account of a two-market venue holds both, the extra leg `size` × the
//! first's notional, at the same look-back minute, on the same side or (a hedge) the other; a
//! fall of the altcoin alone liquidates an account at the hand-computed mark and its waterfall
//! closes the BTC leg too; the keys are validated by name; without the table (or with a share of
//! 0) nobody's draw changes. Expectations are reasoned by hand in comments.

use std::collections::BTreeMap;

use cascade_engine::num::{Price, Qty};
use cascade_sim::agents::population::{BasketLeg, Trader};
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::Market;
use cascade_sim::{InvariantChecks, RunOptions, Simulation, run};

/// One Binance-rules venue, no fees, BTC at 100,000 (tick 0.1, lot 0.001) and ALT at 10 (tick
/// 0.0001, lot 1), both with a volatility of 0; one tier each: BTC 1 % maintenance and 20x, ALT
/// 2 % and 20x. Look-back: one hour (61 points, one a minute), synthetic, volatility 0 and
/// `lookback_return`, so every asset's path is the same deterministic curve scaled to its own
/// price: `p_k = p0 × (1 + r)^(k/60 − 1)`. Everyone holds (no stops). `population` is the
/// `[population]` table's body (accounts, shares, markets, leverage, size) and `extra` is
/// appended (the baskets table).
fn text(population: &str, lookback_return: f64, extra: &str) -> String {
    format!(
        r#"
[run]
duration_s = 60

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.0

[[assets]]
name = "ALT"
index_price = "10"
annual_volatility = 0.0

[[venues]]
name = "binance"
rules = "binance"
insurance_fund = "100000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
maker_fee = "0"
taker_fee = "0"

[[venues.instruments.tiers]]
floor = "0"
mmr = "0.01"
max_leverage = 20

[[venues.instruments]]
symbol = "ALTUSDT"
asset = "ALT"
tick = "0.0001"
lot = "1"
maker_fee = "0"
taker_fee = "0"

[[venues.instruments.tiers]]
floor = "0"
mmr = "0.02"
max_leverage = 20

[population]
{population}

[population.entry]
lookback_s = 3600
annual_volatility = 0.0
lookback_return = {lookback_return}

[population.behaviour]
hold = 1.0
static_stop = 0.0
adaptive_stop = 0.0
take_profit = 0.0
buy_the_dip = 0.0
{extra}"#
    )
}

/// 200 accounts, half long, all cross, split evenly over BTC and ALT, 2x or 3x, notional
/// lognormal around 10,000 within [5,000, 50,000].
const EVEN: &str = r#"accounts = 200
long_share = 0.5
isolated_share = 0.0

[[population.markets]]
venue = "binance"
symbol = "BTCUSDT"
weight = 1.0

[[population.markets]]
venue = "binance"
symbol = "ALTUSDT"
weight = 1.0

[[population.leverage]]
min = 2
max = 3
weight = 1.0

[population.size]
median = "10000"
sigma = 0.5
min = "5000"
max = "50000"
"#;

fn baskets(share: f64, legs: u32, size: f64, hedge: f64) -> String {
    format!("\n[population.baskets]\nshare = {share}\nlegs = {legs}\nsize = {size}\nhedge = {hedge}\n")
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "baskets.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// (traders, basket legs, the simulation) of `s` drawn with `seed`. Market 0 is BTC, 1 ALT.
fn drawn(s: &Scenario, seed: u64) -> (Vec<Trader>, Vec<BasketLeg>, Simulation) {
    let sim = Simulation::new(s, seed, true).unwrap();
    let p = &sim.agents.population;
    (p.traders.clone(), p.basket_legs.clone(), sim)
}

/// Value of `qty` at `price` in market `m`, settle units.
fn value(sim: &Simulation, m: usize, qty: i64, price: i64) -> f64 {
    Market::cash_f64(sim.world.markets[m].value(Price(price), Qty(qty)))
}

/// Share = 1, legs = 1, hedge = 0, size = 0.5: every account (all cross, none momentum) holds
/// both markets — the other market is the only candidate, so exactly one leg each — on the same
/// side. The leg's notional is 0.5 × the first's drawn notional, each rounded to its lot: the
/// leg's value is within one ALT lot (10) or one BTC lot (100) of 0.5 × the first position's
/// value, plus half the first's own rounding (≤ 0.5 × 100 or 0.5 × 10): within 150.
/// Same minute: with volatility 0 both paths are `p0 × 0.95^(k/60 − 1)` (return −5 %), so
/// `entry / p0` is the same for both legs up to the ticks (relative 1e-6 for BTC, 1e-5 for ALT),
/// while neighbouring minutes differ by 1 − 0.95^(1/60) ≈ 8.5e-4.
#[test]
fn every_cross_account_holds_both_markets_at_the_same_minute() {
    let s = scenario(&text(EVEN, -0.05, &baskets(1.0, 1, 0.5, 0.0)));
    let (traders, legs, sim) = drawn(&s, 5);
    assert_eq!(traders.len(), 200);
    assert_eq!(legs.len(), 200, "one leg per account");
    let p0 = [100_000.0, 10.0];
    let mut not_at_time_zero = 0;
    for (i, t) in traders.iter().enumerate() {
        let leg = legs[i];
        assert_eq!(leg.trader as usize, i);
        assert_ne!(leg.market, t.market, "the other market");
        assert_eq!(leg.long, t.long, "hedge = 0: same side");
        let (m, lm) = (t.market as usize, leg.market as usize);
        let first = value(&sim, m, t.qty.0, t.entry.0);
        let extra = value(&sim, lm, leg.qty.0, leg.entry.0);
        assert!((extra - 0.5 * first).abs() <= 150.0, "{i}: leg {extra} vs first {first}");
        let r1 = sim.world.markets[m].to_f64(t.entry) / p0[m];
        let r2 = sim.world.markets[lm].to_f64(leg.entry) / p0[lm];
        assert!((r1 - r2).abs() < 1e-4, "{i}: {r1} vs {r2}: not the same minute");
        if r1 > 1.0 + 1e-4 {
            not_at_time_zero += 1;
        }
        // The engine holds both, on the drawn sides.
        let sign = if t.long { 1 } else { -1 };
        assert_eq!(sim.world.position(m, t.account).0, sign * t.qty.0);
        assert_eq!(sim.world.position(lm, t.account).0, sign * leg.qty.0);
    }
    // Entries spread over the hour (a 2x or 3x position survives any minute of a 5 % fall).
    assert!(not_at_time_zero > 150, "{not_at_time_zero}");
    let rec = sim.finish();
    let pop = rec.summary.population.expect("a population section with the table");
    assert_eq!((pop.basket_accounts, pop.basket_legs), (Some(200), Some(200)));
}

/// Hedge = 1: every extra leg takes the other side; the engine shows the two opposite
/// positions in the same account (one cross pool).
#[test]
fn a_hedge_leg_takes_the_other_side() {
    let s = scenario(&text(EVEN, -0.05, &baskets(1.0, 1, 0.5, 1.0)));
    let (traders, legs, sim) = drawn(&s, 5);
    assert_eq!(legs.len(), 200);
    for leg in &legs {
        let t = traders[leg.trader as usize];
        assert_eq!(leg.long, !t.long);
        let pos = sim.world.position(leg.market as usize, t.account).0;
        assert_eq!(pos, if t.long { -leg.qty.0 } else { leg.qty.0 });
    }
}

/// 20 longs on BTC at 10x with a notional of exactly 10,000 (min = max), each with one ALT leg
/// of 0.5 × 10,000 at 10x, long, entered at exactly the time-zero prices (a flat look-back:
/// return 0, volatility 0). ALT's weight is tiny, so no account starts on ALT (apportioned: 20
/// and 0), but it is a leg's candidate.
const ALL_BTC_LONG_10X: &str = r#"accounts = 20
long_share = 1.0
isolated_share = 0.0

[[population.markets]]
venue = "binance"
symbol = "BTCUSDT"
weight = 1.0

[[population.markets]]
venue = "binance"
symbol = "ALTUSDT"
weight = 0.000001

[[population.leverage]]
min = 10
max = 10
weight = 1.0

[population.size]
median = "10000"
sigma = 0.5
min = "10000"
max = "10000"
"#;

/// Sets ALT's mark to `alt` (BTC left at 100,000) after a second of the run and returns the
/// accounts (by id) liquidated in each market: (BTC, ALT), and whether every position of the
/// population is flat afterwards.
fn crash_alt(alt: f64) -> (Vec<u32>, Vec<u32>, bool, usize) {
    let s = scenario(&text(ALL_BTC_LONG_10X, 0.0, &baskets(1.0, 1, 0.5, 0.0)));
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let traders = sim.agents.population.traders.clone();
    let legs = sim.agents.population.basket_legs.clone();
    assert_eq!((traders.len(), legs.len()), (20, 20));
    for (t, l) in traders.iter().zip(&legs) {
        // 0.1 BTC at 100,000 and 500 ALT at 10, both long.
        assert_eq!((t.market, t.qty.0, t.entry.0), (0, 100, 1_000_000));
        assert_eq!((l.market, l.long, l.qty.0, l.entry.0), (1, true, 500, 100_000));
    }
    sim.run_until(SimTime::from_secs(1)).unwrap();
    sim.world.update_mark(1, alt).unwrap();
    let mark = sim.world.markets[1].mark.map(|p| sim.world.markets[1].to_f64(p));
    assert_eq!(mark, Some(alt), "the mark is the index (empty book)");
    let flat = traders
        .iter()
        .all(|t| sim.world.position(0, t.account).is_zero() && sim.world.position(1, t.account).is_zero());
    let rec = sim.finish();
    let mut by: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for r in &rec.liquidations {
        assert!(r.side == cascade_sim::metrics::PositionSide::Long);
        by.entry(r.instrument.as_str()).or_default().push(r.account);
    }
    let mut get = |k: &str| {
        let mut v = by.remove(k).unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    };
    (get("BTCUSDT"), get("ALTUSDT"), flat, rec.liquidations.len())
}

/// By hand, per account: initial margin 10,000/10 + 5,000/10 = 1,500 (deposited, plus one unit;
/// no fees), so at an ALT mark P with BTC at 100,000 its equity is 1,500 + 500 (P − 10) and its
/// maintenance 1 % × 10,000 + 2 % × 500 P = 100 + 10 P. Equity < maintenance iff
/// 490 P < 3,600, i.e. **P < 7.3469**: at 7.4 (equity 200 > 174) nobody is liquidated, at 7.3
/// (150 < 173) all 20 are. At 6 the account is underwater (equity −500): closing ALT at any
/// price ≤ 7 (its bankruptcy price, where the pool is at zero) leaves at most 0 for BTC's
/// maintenance of 100, so the waterfall closes BTC too: 20 accounts in each market, all flat.
#[test]
fn an_altcoin_crash_liquidates_the_account_and_closes_its_btc_leg() {
    let (btc, alt, flat, _) = crash_alt(7.4);
    assert!(btc.is_empty() && alt.is_empty(), "{btc:?} {alt:?}");
    assert!(!flat);
    let (_, alt, _, _) = crash_alt(7.3);
    assert_eq!(alt.len(), 20, "{alt:?}");
    let (btc, alt, flat, _) = crash_alt(6.0);
    assert_eq!(alt.len(), 20, "{alt:?}");
    assert_eq!(btc, alt, "the same accounts' BTC legs");
    assert!(flat, "every position closed");
}

fn problems(text: &str) -> Vec<(String, String)> {
    match Scenario::from_toml(text, "b.toml") {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| (p.path.clone(), p.message.clone())).collect(),
    }
}

#[test]
fn bad_basket_keys_are_named() {
    let ps = problems(&text(EVEN, 0.0, &baskets(1.5, 0, 0.0, -0.1)));
    for path in [
        "population.baskets.share",
        "population.baskets.legs",
        "population.baskets.size",
        "population.baskets.hedge",
    ] {
        assert!(ps.iter().any(|(p, _)| p == path), "{path} not in {ps:?}");
    }
    let ps = problems(&text(EVEN, 0.0, &baskets(0.5, 9, 10.5, 0.5)));
    let named: Vec<&str> = ps.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(named, ["population.baskets.legs", "population.baskets.size"], "{ps:?}");
    // The edges are allowed.
    assert!(problems(&text(EVEN, 0.0, &baskets(0.0, 8, 10.0, 1.0))).is_empty());
    assert!(problems(&text(EVEN, 0.0, &baskets(1.0, 1, 0.01, 0.0))).is_empty());
    // An unknown key is refused by name.
    let ps = problems(&text(EVEN, 0.0, &format!("{}legz = 2\n", baskets(0.5, 2, 0.5, 0.5))));
    assert!(ps.iter().any(|(p, m)| p.contains("baskets") && m.contains("legz")), "{ps:?}");
}

/// A share of 0 draws from the basket streams only: every trader is exactly the one drawn
/// without the table. With a share of 1 and half the accounts isolated, the isolated ones (not
/// eligible) are unchanged too (but for their account ids), and so is every account's market,
/// side, leverage and behaviour (a basket may only re-draw its entry time, from its own stream).
#[test]
fn the_table_changes_no_other_draw() {
    let mixed = EVEN.replace("isolated_share = 0.0", "isolated_share = 0.5");
    let (none, legs, sim) = drawn(&scenario(&text(&mixed, -0.05, "")), 9);
    assert!(legs.is_empty());
    assert!(sim.finish().summary.population.is_none(), "no population section without the table");
    let (zero, legs, _) = drawn(&scenario(&text(&mixed, -0.05, &baskets(0.0, 2, 0.5, 0.3))), 9);
    assert!(legs.is_empty());
    assert_eq!(none, zero);
    let (all, legs, _) = drawn(&scenario(&text(&mixed, -0.05, &baskets(1.0, 2, 0.5, 0.3))), 9);
    assert!(!legs.is_empty());
    let cross: Vec<usize> = legs.iter().map(|l| l.trader as usize).collect();
    // Account ids are not draws: a leg opens its market's seeding account earlier, so the ids
    // after it shift.
    let anon = |t: &Trader| Trader { account: cascade_engine::ledger::AccountId(0), ..*t };
    for (i, (a, b)) in none.iter().zip(&all).enumerate() {
        let key = |t: &Trader| (t.market, t.long, t.leverage, t.behave, t.on_last);
        assert_eq!(key(a), key(b), "{i}");
        if !cross.contains(&i) {
            assert_eq!(anon(a), anon(b), "{i}: not a basket");
        }
    }
    // Isolated accounts hold no basket.
    let isolated = none.len() - cross.len();
    assert!(isolated > 50, "about half of 200 are isolated: {isolated}");
}

/// FNV-1a of a text (stable across Rust versions, unlike `DefaultHasher`).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The default scenario's traders and the recording of a 120-second run (its shock moved to
/// 60 s), hashed: the values were printed by this same function (less the `baskets` line) on the
/// commit before baskets existed (2800c79), so the feature changed nothing for a scenario
/// without the table. The recording's value was printed again when the market-order band moved
/// from the best opposite quote to the mark and the default scenario's basis arbitrageur was let
/// hold its whole collateral per venue (changes that move fills, not baskets). The traders' value
/// was printed again when `Trader` gained its `waiting` field (window momentum traders): its
/// `Debug` text changed, the draws did not, and the recording's value stayed the same. The
/// recording's value was printed again when the spot index's depth became a number of coins (the
/// default scenario's shock lowers the price, so the same dollars of arbitrage and hedge flow
/// after it push the index further). Both values were printed again when a trader whose 64
/// random look-back times all failed to survive came to draw its entry among the surviving
/// times instead of entering at the time-zero price (4 Dec 2026): its entry price, so the
/// traders' text and the whole run, change by design.
#[test]
fn the_default_scenario_is_unchanged() {
    let mut s = Scenario::builtin_default();
    assert!(s.population.baskets.is_none());
    s.run.duration_s = 120;
    s.shocks[0].at_s = 60;
    let sim = Simulation::new(&s, 42, true).unwrap();
    let traders = fnv(&format!("{:?}", sim.agents.population.traders));
    let opts = RunOptions {
        counterfactual: false,
        invariants: InvariantChecks::EveryEvent,
        ..RunOptions::default()
    };
    let rec = run(&s, 42, &opts).unwrap();
    let m = &rec.summary;
    let summary =
        format!("{:?} {:?} {:?} {:?} {:?}", m.totals, m.venues, m.instruments, m.policy, m.collateral);
    let recording = fnv(&format!("{:?} {:?} {:?} {summary}", rec.series, rec.liquidations, rec.adl));
    eprintln!("traders {traders:#x} recording {recording:#x}");
    assert_eq!((traders, recording), GOLDEN);
}

const GOLDEN: (u64, u64) = (0x7883_d375_cbe6_0c73, 0x3988_4be2_da70_f7c4);

/// The whole run with every ledger invariant checked at every event, twice (same output): 200
/// accounts at 10x, flat look-back, half of the cross accounts with baskets (a third of the
/// legs hedges), ALT's fair value 40 % down at 10 s while BTC stays at 100,000. A BTC-first
/// long with a long ALT leg of half its size holds 15 % of its BTC notional in margin and loses
/// 20 % of it on ALT: it is bankrupt, so its BTC position — whose price never moved — is closed
/// too. Such BTC liquidations (of accounts whose ALT leg is long) must appear.
#[test]
fn basket_runs_are_deterministic_keep_every_invariant_and_spread_the_crash() {
    let ten = EVEN.replace("min = 2\nmax = 3", "min = 10\nmax = 10");
    let shock = "\n[[shocks]]\nat_s = 10\nasset = \"ALT\"\nfair_value_move = -0.4\n";
    let s = scenario(&text(&ten, 0.0, &format!("{}{shock}", baskets(0.5, 1, 0.5, 0.3))));
    let opts = RunOptions {
        counterfactual: false,
        invariants: InvariantChecks::EveryEvent,
        ..RunOptions::default()
    };
    let a = run(&s, 4, &opts).unwrap();
    let b = run(&s, 4, &RunOptions { invariants: InvariantChecks::Never, ..opts }).unwrap();
    assert_eq!(a, b);
    let (traders, legs, _) = drawn(&s, 4);
    let pop = a.summary.population.unwrap();
    assert_eq!(pop.basket_legs, Some(legs.len() as u64));
    let accounts = pop.basket_accounts.unwrap_or(0);
    assert!(accounts > 50 && accounts < 150, "about half of 200: {pop:?}");
    // Accounts (by id) whose first position is a BTC long with a long ALT leg.
    let contagion: Vec<u32> = legs
        .iter()
        .map(|l| (traders[l.trader as usize], l))
        .filter(|(t, l)| t.market == 0 && t.long && l.long)
        .map(|(t, _)| t.account.0)
        .collect();
    assert!(!contagion.is_empty());
    let btc_closed: Vec<u32> = a
        .liquidations
        .iter()
        .filter(|r| r.instrument == "BTCUSDT" && contagion.contains(&r.account))
        .map(|r| r.account)
        .collect();
    assert!(!btc_closed.is_empty(), "no BTC leg of a long basket was closed");
}

/// `[policy.leverage] population_max = 2` on 2x–3x draws: without baskets it lowers the
/// accounts that drew 3x (c of them, counted). With share = 1 and one leg each, every account
/// is a basket whose leg has the account's drawn leverage (both markets allow 20x), so each
/// capped account has a capped leg too: the figure is exactly 2c, and the warning says so.
#[test]
fn population_max_caps_and_counts_the_legs() {
    let cap = "\n[policy.leverage]\npopulation_max = 2\n";
    let single = Simulation::new(&scenario(&text(EVEN, -0.05, cap)), 5, true).unwrap();
    let c = single.world.policy.report.leverage_capped_accounts;
    assert!(c > 50, "about half of 200 drew 3x: {c}");
    let both = format!("{}{cap}", baskets(1.0, 1, 0.5, 0.0));
    let sim = Simulation::new(&scenario(&text(EVEN, -0.05, &both)), 5, true).unwrap();
    assert_eq!(sim.agents.population.basket_legs.len(), 200);
    let report = &sim.world.policy.report;
    assert_eq!(report.leverage_capped_accounts, 2 * c);
    assert!(
        report.warnings.iter().any(|w| w.contains(&format!("({c} accounts, {c} basket legs)"))),
        "{report:?}"
    );
    assert!(sim.agents.population.traders.iter().all(|t| t.leverage <= 2));
}
