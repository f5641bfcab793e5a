//! Arbitrageurs moving collateral between venues with a delay (`transfer_delay_s`,
//! `rebalance_below`).
//!
//! The world: one asset on two venues, `a` (Binance rules) and `b` (Bybit rules). A buyer works
//! $20M into `a` alone from t = 60 s, so `a` trades rich: the cross-venue arbitrageur ($400k,
//! $200k per venue) sells `a` and buys `b`. From t = 300 s the fair value jumps 2 % every 30 s,
//! eight times: its short on `a` loses what its long on `b` gains. The loss at `a` draws its free
//! margin below half its share, and the gain at `b` is what it can send there; the money left
//! in `b`'s wallet is all that can leave (the unrealized profit cannot).

use cascade_sim::Simulation;
use cascade_sim::metrics::Recording;
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::{SETTLE, Transfer};

const A: usize = 0;
const B: usize = 1;

fn scenario(delay_s: u64, rebalance_below: f64) -> Scenario {
    let mut src = format!(
        r#"
[run]
name = "transfer"
seed = 7
duration_s = 900

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.2

[[venues]]
name = "a"
rules = "binance"
settle_asset = "USDT"
insurance_fund = "5000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[[venues]]
name = "b"
rules = "bybit"
settle_asset = "USDT"
insurance_fund = "5000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[population]
accounts = 100

[[makers]]
venue = "a"
symbol = "BTCUSDT"
count = 2
capital = "20000000"
level_notional = "100000"

[[makers]]
venue = "b"
symbol = "BTCUSDT"
count = 2
capital = "20000000"
level_notional = "100000"

[[arbitrageurs]]
markets = [
  {{ venue = "a", symbol = "BTCUSDT" }},
  {{ venue = "b", symbol = "BTCUSDT" }},
]
capital = "400000"
max_position = "2000000"
threshold_bps = 3.0
transfer_delay_s = {delay_s}
rebalance_below = {rebalance_below:?}

[noise]
traders = 10

[[shocks]]
at_s = 60
asset = "BTC"
notional = "20000000"
side = "buy"
duration_s = 800
venues = ["a"]
"#
    );
    for k in 0..8 {
        src.push_str(&format!(
            "\n[[shocks]]\nat_s = {}\nasset = \"BTC\"\nfair_value_move = 0.02\n",
            300 + 30 * k
        ));
    }
    Scenario::from_toml(&src, "transfers.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Settle-asset deposits and withdrawals in venue `v`'s ledger.
fn flows(sim: &Simulation, v: usize) -> (i128, i128) {
    let s = sim.world.venues[v].engine.ledger().system(SETTLE);
    (s.deposits, s.withdrawals)
}

/// What happened at one event.
struct Step {
    /// Time of the event.
    at: SimTime,
    /// Change of each venue's (deposits, withdrawals).
    delta: [(i128, i128); 2],
    /// Change of the money put into the world from outside.
    external: i128,
}

/// A run: each event's money flows, the transfer log, the arbitrageur's (venue, account) and
/// the recording.
type Outcome = (Vec<Step>, Vec<Transfer>, Vec<(usize, u32)>, Recording);

/// Runs to the end checking every venue's invariants and the accounting across venues after
/// every event.
fn run(delay_s: u64, rebalance_below: f64) -> Outcome {
    let mut sim = Simulation::new(&scenario(delay_s, rebalance_below), 7, true).unwrap();
    let arb: Vec<(usize, u32)> = sim.agents.arbs[0].accounts().iter().map(|&(v, a, _)| (v, a.0)).collect();
    let mut steps = Vec::new();
    sim.world.check_invariants(0).unwrap();
    loop {
        let before = [flows(&sim, A), flows(&sim, B)];
        let ext = sim.world.transfers.external;
        if !sim.step().unwrap() {
            break;
        }
        sim.world.check_invariants(sim.events).unwrap();
        let after = [flows(&sim, A), flows(&sim, B)];
        let delta = [0, 1].map(|v| (after[v].0 - before[v].0, after[v].1 - before[v].1));
        steps.push(Step { at: sim.world.now, delta, external: sim.world.transfers.external - ext });
    }
    let log = sim.world.transfers.log.clone();
    (steps, log, arb, sim.finish())
}

/// Liquidations of the arbitrageur's accounts.
fn arb_liquidations(rec: &Recording, arb: &[(usize, u32)]) -> usize {
    let names = ["a", "b"];
    rec.liquidations
        .iter()
        .filter(|l| arb.iter().any(|&(v, a)| l.venue == names[v] && l.account == a))
        .count()
}

/// Checks that every transfer's money left its venue at `sent_at` and reached the other at
/// `arrived_at`, and that nothing else withdrew or deposited except from outside the world.
fn check_flows(steps: &[Step], log: &[Transfer]) {
    // Several events can share a microsecond: add up each instant's flows.
    let mut instants: Vec<Step> = Vec::new();
    for s in steps {
        match instants.last_mut() {
            Some(last) if last.at == s.at => {
                for v in [A, B] {
                    last.delta[v].0 += s.delta[v].0;
                    last.delta[v].1 += s.delta[v].1;
                }
                last.external += s.external;
            }
            _ => instants.push(Step { at: s.at, delta: s.delta, external: s.external }),
        }
    }
    let mut sent = 0;
    for s in &instants {
        for v in [A, B] {
            let out: i128 = log
                .iter()
                .filter(|t| t.from_venue == v && t.sent_at == s.at)
                .map(|t| i128::from(t.amount.0))
                .sum();
            let inn: i128 = log
                .iter()
                .filter(|t| t.to_venue == v && t.arrived_at == Some(s.at))
                .map(|t| i128::from(t.amount.0))
                .sum();
            // Transfers are the only withdrawals; a step's deposits are its arrivals and what
            // came from outside (nothing, once the run is under way).
            assert_eq!(s.delta[v].1, out, "venue {v}'s withdrawals at {}", s.at);
            if s.external == 0 {
                assert_eq!(s.delta[v].0, inn, "venue {v}'s deposits at {}", s.at);
            }
            sent += i32::from(out != 0);
        }
    }
    assert!(sent > 0, "money left a venue");
}

/// The short leg on `a` loses; money leaves `b` when `a`'s free margin falls below half its
/// share and is credited at `a` exactly `transfer_delay_s` later, counted in flight meanwhile;
/// conservation holds after every event.
#[test]
fn a_transfer_leaves_at_once_and_arrives_after_the_delay() {
    let (steps, log, arb, rec) = run(60, 0.5);
    assert!(!log.is_empty(), "the losing leg drew a transfer");
    let first = log[0];
    assert_eq!((first.from_venue, first.to_venue), (B, A), "from the winning leg to the losing one");
    // The first jump is at 300 s; the arbitrageur looks every 100 ms.
    assert!(first.sent_at >= SimTime::from_secs(300) && first.sent_at < SimTime::from_millis(300_200));
    for t in &log {
        assert!(t.amount.0 > 0);
        assert_eq!(t.arrived_at, Some(t.sent_at.saturating_add(SimTime::from_secs(60))), "{t:?}");
    }
    check_flows(&steps, &log);
    // While the first is in flight, the arbitrageur's wallet at `a` does not have it: nothing is
    // deposited at `a` between sending and arrival.
    let deposited_in_flight: i128 = steps
        .iter()
        .filter(|s| s.at >= first.sent_at && s.at < first.arrived_at.unwrap() && s.external == 0)
        .map(|s| s.delta[A].0)
        .sum();
    assert_eq!(deposited_in_flight, 0);
    // Rescued in time: the short leg is never liquidated.
    assert_eq!(arb_liquidations(&rec, &arb), 0);
    let (va, vb) = (&rec.summary.venues[A], &rec.summary.venues[B]);
    let total: i64 = log.iter().map(|t| t.amount.0).sum();
    let total = rust_decimal::Decimal::new(total, 8);
    assert_eq!((vb.transfers_out, va.transfers_in), (log.len() as u64, log.len() as u64));
    assert_eq!((vb.transferred_out, va.transferred_in), (total, total));
    assert_eq!((va.transfers_out, vb.transfers_in), (0, 0));
    assert!(va.in_flight_end.is_zero() && vb.in_flight_end.is_zero());
}

/// With no delay the money is credited in the same event it leaves.
#[test]
fn with_no_delay_a_transfer_arrives_at_once() {
    let (steps, log, arb, rec) = run(0, 0.5);
    assert!(!log.is_empty());
    for t in &log {
        assert_eq!(t.arrived_at, Some(t.sent_at), "{t:?}");
    }
    check_flows(&steps, &log);
    assert_eq!(arb_liquidations(&rec, &arb), 0);
    assert!(rec.summary.venues.iter().all(|v| v.in_flight_end.is_zero()));
}

fn rec_of(delay_s: u64, below: f64) -> (Recording, Vec<(usize, u32)>) {
    let (_, _, arb, rec) = run(delay_s, below);
    (rec, arb)
}

/// Same seed, same market: with instant transfers the short leg on `a` is topped up as it loses
/// and survives; with a delay longer than the run the money is still in flight when `a`
/// liquidates it, and it is reported in flight at the end.
#[test]
fn a_long_delay_lets_the_short_leg_be_liquidated_first() {
    let (rec0, arb0) = rec_of(0, 0.5);
    let (steps, log, arb, rec) = run(3600, 0.5);
    assert_eq!(arb, arb0, "same accounts on the same seed");
    let (instant, late) = (arb_liquidations(&rec0, &arb0), arb_liquidations(&rec, &arb));
    assert_eq!(instant, 0, "instant transfers keep the short leg alive");
    assert!(late > instant, "a long delay lets it be liquidated: {late} liquidations");
    assert!(log.iter().all(|t| t.arrived_at.is_none()));
    check_flows(&steps, &log);
    let total = rust_decimal::Decimal::new(log.iter().map(|t| t.amount.0).sum(), 8);
    let (va, vb) = (&rec.summary.venues[A], &rec.summary.venues[B]);
    assert_eq!((vb.transfers_out, vb.transferred_out), (log.len() as u64, total));
    assert_eq!((va.transfers_in, va.in_flight_end), (0, total));
    // Never rebalancing: liquidated as well, and nothing moves.
    let (steps, log, arb, rec) = run(0, 0.0);
    assert!(log.is_empty());
    assert!(steps.iter().all(|s| s.delta[A].1 == 0 && s.delta[B].1 == 0));
    assert!(arb_liquidations(&rec, &arb) > 0);
}
