//! `[policy]` levers in whole simulations, each shown by what it changes against the same
//! scenario without it: leverage drawn under `population_max` (and counted), margin scaled by
//! realized volatility with a ramp, a smoothed mark that ignores a jump, collateral transfers
//! held by a capacity and an outage, static stops moved farther in volatility. Expected figures
//! are worked out in the comments.

use cascade_engine::num::{Cash, Rate};
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::Owner;
use cascade_sim::{InvariantChecks, RunOptions, Simulation, run};

/// BTC at 100,000 (60 %/year) on `a` (Binance rules, its BTCUSDT table: 125x from 0) and `b`
/// (Bybit rules), `accounts` leveraged traders, `extra` appended (population keys, policy).
fn scenario(duration_s: u64, accounts: u32, population: &str, extra: &str) -> Scenario {
    let src = format!(
        r#"
[run]
seed = 11
duration_s = {duration_s}

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.6

[[venues]]
name = "a"
rules = "binance"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[[venues]]
name = "b"
rules = "bybit"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[population]
accounts = {accounts}
{population}

[noise]
traders = 0

{extra}
"#
    );
    Scenario::from_toml(&src, "policy-test.toml").unwrap()
}

/// Every draw is 50x; `population_max = 10` lowers all 40 to 10x and says so (the count in the
/// summary and one warning line); without it they stay at 50x and nothing is counted.
#[test]
fn population_max_caps_the_drawn_leverage_and_counts_the_accounts() {
    let mix = "leverage = [{ min = 50, weight = 1 }]";
    let capped =
        Simulation::new(&scenario(5, 40, mix, "[policy.leverage]\npopulation_max = 10"), 11, true).unwrap();
    assert_eq!(capped.agents.population.traders.len(), 40);
    assert!(capped.agents.population.traders.iter().all(|t| t.leverage == 10));
    let report = &capped.world.policy.report;
    assert_eq!(report.leverage_capped_accounts, 40);
    assert_eq!(
        report.warnings,
        vec![
            "[policy.leverage] population_max = 10: the drawn leverage of 40 of 40 accounts was lowered to 10x"
        ]
    );
    let free = Simulation::new(&scenario(5, 40, mix, ""), 11, true).unwrap();
    assert!(free.agents.population.traders.iter().all(|t| t.leverage == 50));
    assert_eq!(free.world.policy.report.leverage_capped_accounts, 0);
    // And the count reaches summary.json.
    let opts = RunOptions { counterfactual: false, ..RunOptions::default() };
    let rec = run(&scenario(5, 40, mix, "[policy.leverage]\npopulation_max = 10"), 11, &opts).unwrap();
    assert_eq!(rec.summary.policy.leverage_capped_accounts, 40);
}

/// A reference volatility of 0.000001 %/year makes any realized volatility hit the 3x ceiling.
/// Targets are recomputed every 10 s: at t = 0 the mark has no history (volatility 0, target 1);
/// at t = 10 s the target is 3, phased in over 100 s from 1: at t = 60 s the multiplier is
/// 1 + 2 × 50/100 = 2.00, from t = 110 s it is 3. Only venue `a` is governed.
#[test]
fn vol_scaled_margin_ramps_up_after_a_volatile_interval() {
    let policy = "[policy.margin]\nvenues = [\"a\"]\nreference_volatility = 0.00000001\nmax_multiplier = 3\nupdate_interval_s = 10\nramp_s = 100";
    let mut sim = Simulation::new(&scenario(200, 20, "", policy), 11, true).unwrap();
    let k = |sim: &Simulation, m: usize| {
        let mk = &sim.world.markets[m];
        sim.world.venues[mk.venue].engine.margin_multiplier(mk.id).unwrap()
    };
    sim.run_until(SimTime::from_millis(9_500)).unwrap();
    assert_eq!(k(&sim, 0), Rate::ONE);
    sim.run_until(SimTime::from_millis(60_500)).unwrap();
    assert_eq!(k(&sim, 0), Rate::parse("2").unwrap());
    sim.run_until(SimTime::from_millis(120_500)).unwrap();
    assert_eq!(k(&sim, 0), Rate::parse("3").unwrap());
    assert_eq!(k(&sim, 1), Rate::ONE, "venue b is not governed");
    // The maintenance rate in force at `a` is three times the table's first 0.4 %.
    let mk = &sim.world.markets[0];
    let tiers = sim.world.venues[mk.venue].engine.tiers(mk.id).unwrap();
    assert_eq!(tiers.tiers()[0].mmr, Rate::parse("0.012").unwrap());
    assert_eq!(sim.world.policy.report.margin_multiplier_max, 3.0);
    sim.world.check_invariants(0).unwrap();
}

/// The fair value drops 5 % at t = 30 s. Without a book Binance's mark is P1 = the index (no
/// funding rate yet), so it falls 5 % at once; with a 60-second median it is the median of
/// 31 samples at about 100,000 and one at about 95,000: still about 100,000.
#[test]
fn a_median_mark_moves_less_after_a_jump() {
    let shock = "[[shocks]]\nat_s = 30\nasset = \"BTC\"\nfair_value_move = -0.05";
    let mark_after = |policy: &str| {
        let mut sim = Simulation::new(&scenario(60, 0, "", &format!("{shock}\n{policy}")), 11, true).unwrap();
        sim.run_until(SimTime::from_millis(29_500)).unwrap();
        let before = sim.world.markets[0].mark.unwrap().0 as f64;
        sim.run_until(SimTime::from_millis(30_500)).unwrap();
        sim.world.markets[0].mark.unwrap().0 as f64 / before
    };
    let raw = mark_after("");
    let smoothed =
        mark_after("[policy.prices]\nvenues = [\"a\"]\nmark_smoothing = \"median\"\nmark_window_s = 60");
    assert!(raw < 0.96, "the raw mark falls with the index: {raw}");
    assert!(smoothed > 0.99, "the median ignores one sample: {smoothed}");
}

/// Policy: 60 s delay (the senders asked for 1,800 s), 1,000,000 per 3,600 s into each venue,
/// network down from 600 s to 1,200 s.
/// * t = 0: 1,000,000 a→b is due at 60 s and arrives then; it holds b's channel for
///   1,000,000 / 1,000,000 × 3,600 s = 3,600 s, until 3,660 s.
/// * t = 0: 500,000 a→b is due at 60 s but b's channel is busy: it arrives at 3,660 s.
/// * t = 590 s: 100,000 b→a is due at 650 s, inside the outage: it arrives at 1,200 s.
/// * t = 700 s: nothing starts during the outage.
///
/// Two transfers deferred, one refused.
#[test]
fn transfer_capacity_and_outages_delay_completion() {
    let policy = "[policy.transfers]\ndelay_s = 60\ncapacity = \"1000000\"\ncapacity_interval_s = 3600\noutages = [{ start_s = 600, end_s = 1200 }]";
    let mut sim = Simulation::new(&scenario(4_000, 0, "", policy), 11, true).unwrap();
    let usd = |n: i64| Cash::units(n).unwrap();
    let (from, to) = (
        sim.world.open_account(0, Owner::Nobody).unwrap(),
        sim.world.open_account(1, Owner::Nobody).unwrap(),
    );
    sim.world.deposit(0, from, usd(2_000_000)).unwrap();
    sim.world.deposit(1, to, usd(200_000)).unwrap();
    let own = SimTime::from_secs(1_800);
    assert_eq!(sim.transfer(0, from, 1, to, usd(1_000_000), own).unwrap(), usd(1_000_000));
    assert_eq!(sim.transfer(0, from, 1, to, usd(500_000), own).unwrap(), usd(500_000));
    sim.run_until(SimTime::from_secs(590)).unwrap();
    assert_eq!(sim.transfer(1, to, 0, from, usd(100_000), own).unwrap(), usd(100_000));
    sim.run_until(SimTime::from_secs(700)).unwrap();
    assert_eq!(sim.transfer(1, to, 0, from, usd(100_000), own).unwrap(), Cash::ZERO);
    sim.run_until(SimTime::from_secs(3_999)).unwrap();
    let arrived: Vec<Option<u64>> =
        sim.world.transfers.log.iter().map(|t| t.arrived_at.map(|a| a.as_millis() / 1_000)).collect();
    assert_eq!(arrived, vec![Some(60), Some(3_660), Some(1_200)]);
    let r = &sim.world.policy.report;
    assert_eq!((r.transfers_deferred, r.transfers_refused_outage), (2, 1));
    sim.world.check_invariants(0).unwrap();
}

/// Every trader holds a static stop 5 % from entry. With a reference volatility of
/// 0.000001 %/year any realized volatility gives the ceiling factor 2, so after the first
/// look (t = 10 s) every open stop sits 10 % from its entry; without the policy, 5 %.
#[test]
fn adaptive_stops_sit_farther_in_volatility() {
    let behaviour = "[population.behaviour]\nhold = 0\nstatic_stop = 1\nadaptive_stop = 0\ntake_profit = 0\nbuy_the_dip = 0\nstop_distance = 0.05";
    let policy = "[policy.stops]\nreference_volatility = 0.00000001\nmax_factor = 2\nupdate_interval_s = 10";
    let distances = |policy: &str| {
        let mut sim = Simulation::new(&scenario(30, 30, behaviour, policy), 11, true).unwrap();
        sim.run_until(SimTime::from_millis(10_500)).unwrap();
        let mut out = Vec::new();
        for t in sim.agents.population.traders.iter().filter(|t| !t.qty.is_zero() && t.stop > 0) {
            let mk = &sim.world.markets[t.market as usize];
            let entry = mk.to_f64(t.entry);
            let sign = if t.long { 1.0 } else { -1.0 };
            out.push(
                (sign * (entry - mk.to_f64(cascade_engine::num::Price(t.stop))) / entry * 100.0).round(),
            );
        }
        (out, sim.agents.population.stops_moved())
    };
    let (wide, moved) = distances(policy);
    let (base, unmoved) = distances("");
    assert!(!wide.is_empty() && wide.len() == base.len());
    assert!(wide.iter().all(|&d| d == 10.0), "{wide:?}");
    assert!(base.iter().all(|&d| d == 5.0), "{base:?}");
    assert_eq!((moved, unmoved), (wide.len() as u64, 0));
}

/// Every key of every sub-table together, on a run checked for invariants at every event:
/// the levers compose without breaking conservation.
#[test]
fn all_levers_together_keep_the_invariants() {
    let policy = r#"
[policy.leverage]
max = 20
open_interest = [{ above = "1000000", max = 10 }]
position = [{ above = "100000", max = 5 }]
population_max = 25
[policy.margin]
reference_volatility = 0.3
max_multiplier = 2
update_interval_s = 5
ramp_s = 10
[policy.prices]
mark_smoothing = "ema"
mark_window_s = 30
[policy.transfers]
delay_s = 5
[policy.stops]
update_interval_s = 5
[[makers]]
venue = "a"
symbol = "BTCUSDT"
capital = "20000000"
[[shocks]]
at_s = 10
asset = "BTC"
fair_value_move = -0.04
notional = "2000000"
duration_s = 10
"#;
    let opts = RunOptions {
        counterfactual: false,
        invariants: InvariantChecks::EveryEvent,
        ..RunOptions::default()
    };
    let rec = run(&scenario(30, 60, "", policy), 11, &opts).unwrap();
    assert!(rec.summary.policy.margin_multiplier_max >= 1.0);
}

/// A 20x cap at venue `a`, in force from time zero: a herd's leader (10x) opens at t = 5 s, its
/// 25 followers (all 50x isolated, chosen before the run) copy within 1–3 s and each copy is
/// refused for the cap — 25 refusals counted, no follower position. Without the cap they follow.
/// (Cross followers are refused too, but as `insufficient margin`: the engine forgets the
/// leverage a flat cross position chose when the account is re-indexed, so their orders are
/// margined at the cap's 1/20 instead, which their 50x deposit does not cover.)
#[test]
fn a_venue_cap_refuses_orders_during_the_run_and_counts_them() {
    let herd = r#"
[[makers]]
venue = "a"
symbol = "BTCUSDT"
capital = "20000000"
[[herds]]
venue = "a"
symbol = "BTCUSDT"
followers = 25
leader_entry_s = 5
leverage = [{ min = 50, weight = 1 }]
isolated_share = 1
"#;
    let followers = |extra: &str| {
        let mut sim = Simulation::new(&scenario(20, 0, "", &format!("{herd}\n{extra}")), 11, true).unwrap();
        sim.run_until(SimTime::from_secs(15)).unwrap();
        let open = sim
            .agents
            .followers
            .iter()
            .filter(|f| !sim.world.position(f.market, f.account).is_zero())
            .count();
        (open, sim.world.policy.report.orders_refused_leverage_cap)
    };
    assert_eq!(followers("[policy.leverage]\nvenues = [\"a\"]\nmax = 20"), (0, 25));
    let (open, refused) = followers("");
    assert!(open > 0 && refused == 0, "{open} {refused}");
}
