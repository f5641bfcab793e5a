//! Agents in small worlds: hedgers selling spot when ADL cuts their hedge, herds copying their
//! leader with a lag, the population's time-zero state, and the transfer hook.

use cascade_engine::num::Cash;
use cascade_sim::agents::population::Trader;
use cascade_sim::scenario::Scenario;
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::{Market, Owner};
use cascade_sim::{InvariantChecks, Phase, RunOptions, Simulation};

fn quiet() -> RunOptions<'static> {
    RunOptions { counterfactual: false, invariants: InvariantChecks::AtSamples, ..RunOptions::default() }
}

/// Steps `sim` until simulated time `t` (seconds).
fn run_until(sim: &mut Simulation, t: u64) {
    while sim.world.now < SimTime::from_secs(t) {
        if !sim.step().unwrap() {
            break;
        }
    }
}

/// The world of these tests: BTC at 100,000 on one Hyperliquid-rules venue (USDC) with its
/// makers. What a test varies: the `[run]` keys, BTC's volatility, the makers' count and extra
/// keys, and the `[noise]` keys.
fn hyperliquid_btc(run: &str, volatility: &str, makers: u32, maker_extra: &str, noise: &str) -> String {
    format!(
        r#"
[run]
{run}

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = {volatility}

[[venues]]
name = "hyperliquid"
rules = "hyperliquid"
settle_asset = "USDC"

[[venues.instruments]]
symbol = "BTC"
asset = "BTC"
tick = "1"
lot = "0.00001"

[[makers]]
venue = "hyperliquid"
symbol = "BTC"
count = {makers}
capital = "20000000"
level_notional = "100000"
{maker_extra}
[noise]
{noise}"#
    )
}

/// A 15-minute world with two makers and 20 noise traders; tests append their population.
fn one_venue() -> String {
    hyperliquid_btc("name = \"small\"\nseed = 3\nduration_s = 900", "0.4", 2, "", "traders = 20\n")
}

/// All longs at 20-50x, hedgers short at 3x, a 10% crash on a venue without an insurance fund:
/// bankrupt longs are deleveraged against the profitable shorts, the hedgers among them, who
/// then sell the spot they no longer hedge.
#[test]
fn hedgers_cut_by_adl_sell_their_spot() {
    let src = format!(
        "{}{}",
        one_venue(),
        r#"
[population]
accounts = 3000
long_share = 1.0

[[population.leverage]]
min = 20
max = 50
weight = 1.0

[population.entry]
lookback_s = 600

[[hedgers]]
venue = "hyperliquid"
symbol = "BTC"
count = 5
notional = "3000000"
leverage = 3

[[shocks]]
at_s = 300
asset = "BTC"
fair_value_move = -0.10
notional = "20000000"
duration_s = 120
"#
    );
    let s = Scenario::from_toml(&src, "hedgers.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let spot_held: f64 = sim.agents.hedgers.iter().map(|h| h.spot_units).sum();
    assert!(spot_held > 100.0, "five hedgers hold ~150 BTC of spot, got {spot_held}");
    assert!(sim.agents.hedgers.iter().all(|h| sim.world.position(h.market, h.account).is_negative()));
    sim.run_to_end(&quiet(), Phase::Main).unwrap();
    let hedgers: Vec<u32> = sim.agents.hedgers.iter().map(|h| h.account.0).collect();
    let spot_left: f64 = sim.agents.hedgers.iter().map(|h| h.spot_units).sum();
    let flow = sim.world.assets[0].spot_flow;
    let rec = sim.finish();
    let hit = rec.adl.iter().filter(|a| hedgers.contains(&a.account)).count();
    assert!(hit > 0, "no hedger was deleveraged ({} ADL rows)", rec.adl.len());
    assert!(spot_left < spot_held, "hedgers still hold {spot_left} of {spot_held}");
    assert!(flow < 0.0, "the hedgers' spot sales should show as spot flow, got {flow}");
}

/// A herd's followers open within the lag window after the leader and close after it.
#[test]
fn followers_copy_the_leader_after_their_lag() {
    let src = format!(
        "{}{}",
        one_venue(),
        r#"
[population]
accounts = 0

[[herds]]
venue = "hyperliquid"
symbol = "BTC"
followers = 40
side = "long"
leader_entry_s = 60
leader_exit_s = 400
lag_ms = 3000
lag_jitter_ms = 2000
"#
    );
    let s = Scenario::from_toml(&src, "herd.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let held = |sim: &Simulation| {
        sim.agents.followers.iter().filter(|f| sim.world.position(f.market, f.account).is_positive()).count()
    };
    run_until(&mut sim, 60);
    assert_eq!(held(&sim), 0, "nobody copies before the leader moves");
    run_until(&mut sim, 62);
    let early = held(&sim);
    run_until(&mut sim, 66);
    let late = held(&sim);
    assert!(early < 40 && late >= 36, "copies within the lag window: {early} by 62 s, {late} by 66 s");
    let leader = sim.agents.herds[0].leader;
    assert!(sim.world.position(sim.agents.herds[0].market, leader).is_positive());
    run_until(&mut sim, 406);
    assert_eq!(held(&sim), 0, "every follower closed within 5 s of the leader");
    sim.world.check_invariants(sim.events).unwrap();
}

/// The population at time zero: every position open at its entry price, behaviours in place,
/// open interest balanced by the seeding account, money conserved.
#[test]
fn the_population_opens_at_its_entry_prices() {
    let s = Scenario::builtin_default();
    let sim = Simulation::new(&s, 11, true).unwrap();
    let w = &sim.world;
    w.check_invariants(0).unwrap();
    let traders = &sim.agents.population.traders;
    assert_eq!(traders.len(), 30_000);
    let open = traders.iter().filter(|t| !t.qty.is_zero()).count();
    assert!(open > 29_900, "{open} of 30000 opened");
    let mut longs = 0;
    for t in traders.iter().filter(|t| !t.qty.is_zero()).take(2_000) {
        let m = t.market as usize;
        let v = w.markets[m].venue;
        let pos = w.venues[v].engine.ledger().account(t.account).unwrap().position(w.markets[m].id).unwrap();
        assert_eq!(pos.size.0.abs(), t.qty.0);
        assert_eq!(pos.size.is_positive(), t.long);
        // Entered at exactly the drawn price: cost = value at entry.
        assert_eq!(pos.cost, w.markets[m].value(t.entry, t.qty));
        longs += usize::from(t.long);
    }
    // 0.65 and 0.7 long shares on the two markets.
    assert!((1_250..1_500).contains(&longs), "{longs} longs of 2000");
    // Trailing stops of the adaptive share wait in the index (10% of the accounts).
    assert!((2_500..3_500).contains(&sim.agents.population.trailing()));
    // The seeding fills are entries from before the run: no market has a last price yet,
    // though the engine's books printed every one of them.
    for m in 0..w.markets.len() {
        assert_eq!(w.last(m), None, "market {m}");
    }
    assert!((0..w.markets.len()).any(|m| {
        let mk = &w.markets[m];
        w.venues[mk.venue].engine.last_price(mk.id).unwrap().is_some()
    }));
}

/// Collateral sent between venues leaves one at once and reaches the other after the delay.
#[test]
fn a_transfer_arrives_after_its_delay() {
    let s = Scenario::builtin_default();
    let mut sim = Simulation::new(&s, 1, true).unwrap();
    let (va, vb) = (0, 1);
    let aa = sim.world.open_account(va, Owner::Nobody).unwrap();
    let ab = sim.world.open_account(vb, Owner::Nobody).unwrap();
    sim.world.deposit(va, aa, Cash(5_000 * 100_000_000)).unwrap();
    run_until(&mut sim, 10);
    let amount = Cash(1_000 * 100_000_000);
    let sent = sim.transfer(va, aa, vb, ab, amount, SimTime::from_secs(30)).unwrap();
    assert_eq!(sent, amount);
    assert_eq!(sim.world.wallet(va, aa), Cash(4_000 * 100_000_000));
    run_until(&mut sim, 39);
    assert_eq!(sim.world.wallet(vb, ab), Cash::ZERO);
    run_until(&mut sim, 41);
    assert_eq!(sim.world.wallet(vb, ab), amount);
    // More than the wallet holds: refused, nothing leaves.
    let sent = sim.transfer(va, aa, vb, ab, Cash(9_000 * 100_000_000), SimTime::from_secs(1)).unwrap();
    assert_eq!(sent, Cash::ZERO);
    sim.world.check_invariants(sim.events).unwrap();
}

/// A maker told it was auto-deleveraged pulls every quote, stays out for `return_half_life_s`,
/// then comes back with thin size that grows as its confidence recovers.
#[test]
fn a_maker_pulls_after_adl_and_returns_gradually() {
    let s = Scenario::builtin_default();
    let mut sim = Simulation::new(&s, 2, true).unwrap();
    run_until(&mut sim, 100);
    let (m, a) = (sim.agents.makers[0].market, sim.agents.makers[0].account);
    let resting = |sim: &Simulation| sim.world.book(m).orders_of(a).map(|o| o.remaining.0).sum::<i64>();
    let normal = resting(&sim);
    assert!(normal > 0, "the maker quotes before the ADL");
    sim.agents.makers[0].on_adl(&mut sim.world).unwrap();
    assert_eq!(resting(&sim), 0, "pulled at once");
    run_until(&mut sim, 100 + 119);
    assert_eq!(resting(&sim), 0, "out for the 120 s return half-life");
    run_until(&mut sim, 100 + 160);
    let back = resting(&sim);
    assert!(back > 0 && back < normal, "back thin: {back} vs {normal} before");
    run_until(&mut sim, 100 + 900);
    assert!(resting(&sim) > back, "size grows as confidence recovers");
}

/// Past its pull level a maker with `withdraw_half_life_s = 60` fades instead of leaving: here
/// calm 0.01 and pull 0.02 (× a draw in [0.75, 1.5]: 0.0175–0.025) against BTC's 0.4, so it is
/// stressed from its first few samples on and stays so. Its confidence then halves every 60 s:
/// between two wakes 60 s apart (one wake a second) it is exactly half. It quotes at full stress,
/// size × 0.2 × confidence, until that is under 0.02, i.e. confidence under 0.1, about
/// 60 × log2(10) ≈ 199 s after the stress began: still quoting at 150 s, nothing at 280 s. The
/// same maker without the key has pulled everything by 30 s, and an ADL pulls it at once.
#[test]
fn a_withdrawing_maker_fades_by_its_half_life() {
    let world = |extra: &str| {
        let src = hyperliquid_btc(
            "name = \"withdraw\"\nseed = 3\nduration_s = 900",
            "0.4",
            1,
            &format!("calm_volatility = 0.01\npull_volatility = 0.02\n{extra}"),
            "traders = 0\n",
        );
        Simulation::new(&Scenario::from_toml(&src, "withdraw.toml").unwrap(), 3, true).unwrap()
    };
    let resting = |sim: &Simulation| {
        let (m, a) = (sim.agents.makers[0].market, sim.agents.makers[0].account);
        sim.world.book(m).orders_of(a).count()
    };
    let mut pulled = world("");
    run_until(&mut pulled, 30);
    assert_eq!(resting(&pulled), 0, "without the key the maker has pulled");
    let mut fading = world("withdraw_half_life_s = 60\n");
    run_until(&mut fading, 30);
    assert!(resting(&fading) > 0, "with it the maker still quotes at 30 s");
    run_until(&mut fading, 90);
    let c90 = fading.agents.makers[0].confidence();
    run_until(&mut fading, 150);
    let c150 = fading.agents.makers[0].confidence();
    assert!(c90 < 1.0, "stressed by 90 s: confidence {c90}");
    assert!((c150 / c90 - 0.5).abs() < 1e-9, "halved over 60 s: {c90} -> {c150}");
    assert!(resting(&fading) > 0, "still quoting at 150 s (confidence {c150})");
    run_until(&mut fading, 280);
    assert_eq!(resting(&fading), 0, "nothing at 280 s: confidence {}", fading.agents.makers[0].confidence());
    // An ADL still pulls at once and holds the maker out for its 120 s return half-life.
    let mut adl = world("withdraw_half_life_s = 60\n");
    run_until(&mut adl, 30);
    assert!(resting(&adl) > 0);
    adl.agents.makers[0].on_adl(&mut adl.world).unwrap();
    assert_eq!(resting(&adl), 0, "pulled at once by the ADL");
    run_until(&mut adl, 60);
    assert_eq!(resting(&adl), 0, "still out 30 s after the ADL");
}

/// A pulled maker with `pulled_bands_bps = [400, 1000]` keeps exactly one bid and one ask at
/// each band around one centre c (its fair value: the index moved by its basis estimate, at
/// most 20%): bids at 0.96c and 0.90c, asks at 1.04c and 1.10c (to the tick, 1 in ~100,000),
/// each worth `level_notional` 100,000 × `pulled_size` 0.5 × a jitter in [0.75, 1.25], i.e.
/// 37.5k-62.5k. Without the key the same pull leaves nothing (the test above).
#[test]
fn a_pulled_maker_keeps_orders_at_its_bands() {
    let src = hyperliquid_btc(
        "name = \"bands\"\nseed = 3\nduration_s = 900",
        "0.4",
        1,
        "pulled_bands_bps = [400, 1000]\npulled_size = 0.5\n",
        "traders = 20\n",
    );
    let s = Scenario::from_toml(&src, "bands.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    run_until(&mut sim, 100);
    let (m, a) = (sim.agents.makers[0].market, sim.agents.makers[0].account);
    let ladder = sim.world.book(m).orders_of(a).count();
    assert!(ladder > 4, "quoting its ladder before the pull: {ladder} orders");
    sim.agents.makers[0].on_adl(&mut sim.world).unwrap();
    run_until(&mut sim, 105);
    let mk = &sim.world.markets[m];
    let index = mk.to_f64(mk.index.unwrap());
    let mut orders: Vec<(bool, f64, f64)> = sim
        .world
        .book(m)
        .orders_of(a)
        .map(|o| {
            let buy = o.side == cascade_engine::book::Side::Buy;
            (buy, mk.to_f64(o.price), cascade_sim::world::Market::cash_f64(mk.value(o.price, o.remaining)))
        })
        .collect();
    orders.sort_by(|x, y| x.1.total_cmp(&y.1));
    assert_eq!(orders.len(), 4, "one order per side per band: {orders:?}");
    let centre = (orders[1].1 + orders[2].1) / 2.0;
    assert!((centre / index - 1.0).abs() < 0.2, "centre {centre} vs index {index}");
    for ((buy, px, notional), (want_buy, want)) in
        orders.iter().zip([(true, 0.90), (true, 0.96), (false, 1.04), (false, 1.10)])
    {
        assert_eq!(*buy, want_buy, "{orders:?}");
        assert!((px / centre - want).abs() < 1e-4, "{px} is not {want} x {centre}: {orders:?}");
        assert!((37_500.0..=62_500.0).contains(notional), "notional {notional}: {orders:?}");
    }
}

/// Trailing stops at the bottom of the price grid: BTC priced at 3 on a tick of 1, where a
/// trail's next move `3 × (1 + d/2)` rounds back to 3. The stop must still be moved at most once
/// per mark (before the fix `on_mark` moved it forever and the run never ended), so a
/// 15-minute run of 200 trailing-stop traders ends, well within the minute allowed here.
#[test]
fn trailing_stops_at_the_bottom_of_the_grid_do_not_spin() {
    let world =
        hyperliquid_btc("name = \"grid\"\nseed = 3\nduration_s = 900", "0.4", 2, "", "traders = 20\n")
            .replace("index_price = \"100000\"", "index_price = \"3\"")
            .replace("level_notional = \"100000\"", "level_notional = \"1000\"");
    let src = format!(
        "{world}{}",
        r#"
[population]
accounts = 200
long_share = 0.5

[[population.leverage]]
min = 2
weight = 1.0

[population.size]
median = "50"
min = "10"
max = "100"

[population.behaviour]
hold = 0.0
static_stop = 0.0
adaptive_stop = 1.0
take_profit = 0.0
buy_the_dip = 0.0
"#
    );
    let s = Scenario::from_toml(&src, "grid.toml").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sim = Simulation::new(&s, 3, true).unwrap();
        let trailing = sim.agents.population.trailing();
        sim.run_to_end(&quiet(), Phase::Main).unwrap();
        let _ = tx.send((trailing, sim.world.now));
    });
    let (trailing, end) =
        rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the run spun on its trailing stops");
    assert!(trailing > 100, "most of the 200 traders trail a stop: {trailing}");
    assert!(end >= SimTime::from_secs(900), "ended at {end:?}");
}

/// How many of `traders` hold a short (`short`) or a long position in `sim`.
fn population_holding(sim: &Simulation, traders: &[Trader], short: bool) -> usize {
    traders
        .iter()
        .filter(|t| {
            let p = sim.world.position(t.market as usize, t.account);
            if short { p.is_negative() } else { p.is_positive() }
        })
        .count()
}

/// 200 accounts at `long_share` and `leverage`x, all momentum traders, with `keys` (the trigger).
fn momentum_population(long_share: &str, leverage: u32, keys: &str) -> String {
    format!(
        r#"
[population]
accounts = 200
long_share = {long_share}

[[population.leverage]]
min = {leverage}
weight = 1.0

[population.behaviour]
hold = 0.0
static_stop = 0.0
adaptive_stop = 0.0
take_profit = 0.0
buy_the_dip = 0.0
momentum = 1.0
{keys}
"#
    )
}

/// Momentum shorts start flat and open at their triggers: with `momentum_trigger` 0.05 each
/// trigger sits 0.05 × [0.5, 1.5] = 2.5-7.5% below the 100,000 start, i.e. in [92,500, 97,500].
/// Before the crash nobody holds a position; a 12% fall (fair value 88,000) passes every
/// trigger, so by the end nearly all hold a short (a few may have been liquidated on the
/// rebound, none may be long), and money is conserved throughout.
#[test]
fn momentum_shorts_open_on_the_break() {
    let src = format!(
        "{}{}{}",
        one_venue(),
        momentum_population("0.0", 5, "momentum_trigger = 0.05"),
        r#"
[[shocks]]
at_s = 300
asset = "BTC"
fair_value_move = -0.12
notional = "20000000"
duration_s = 120
"#
    );
    let s = Scenario::from_toml(&src, "momentum.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let traders = sim.agents.population.traders.clone();
    let held = |sim: &Simulation, short: bool| population_holding(sim, &traders, short);
    for t in &traders {
        let trigger = sim.world.markets[t.market as usize].to_f64(t.entry);
        assert!((92_500.0..=97_500.0).contains(&trigger), "trigger {trigger}");
    }
    run_until(&mut sim, 290);
    assert_eq!(held(&sim, true) + held(&sim, false), 0, "flat before the break");
    sim.run_to_end(&quiet(), Phase::Main).unwrap();
    let shorts = held(&sim, true);
    assert!(shorts >= 190, "{shorts} of 200 opened a short");
    assert_eq!(held(&sim, false), 0);
    sim.world.check_invariants(sim.events).unwrap();
}

/// 200 window traders (300 s window, 20 deviations) at 20x, all momentum.
fn window_population() -> String {
    momentum_population("1.0", 20, "momentum_window_s = 300\nmomentum_sigmas = 20.0")
}

/// A 15-minute Hyperliquid BTC world (annual volatility 0.4, four makers that do not pull, 20
/// noise traders) with `population`: the fair value falls 12 % over 120 s from 300 s, then
/// rises 25 % over 60 s from 600 s, both without flow.
fn fall_then_rebound(name: &str, population: &str) -> String {
    let run = format!("name = \"{name}\"\nseed = 3\nduration_s = 900");
    format!(
        "{}{population}{}",
        hyperliquid_btc(&run, "0.4", 4, "pull_volatility = 20.0\n", "traders = 20\n"),
        r#"
[[shocks]]
at_s = 300
asset = "BTC"
fair_value_move = -0.12
ramp_s = 120

[[shocks]]
at_s = 600
asset = "BTC"
fair_value_move = 0.25
ramp_s = 60
"#
    )
}

/// Window momentum traders (`momentum_window_s = 300`, `momentum_sigmas = 20`) with BTC at an
/// annual volatility of 0.4: the calm deviation of a 300 s return is 0.4 × √(300 / 31,536,000)
/// = 0.123 %, so the triggers are 20 × [0.5, 1.5] × 0.123 % = 1.23-3.70 % away from the
/// window's extreme. The side is the break's, not `long_share` (1.0 here). The makers keep
/// quoting through the moves (`pull_volatility` 20), and the news moves come without flow.
/// Nobody holds a position before the 12 % fall at 300 s, spread over 120 s (about 0.1 % a
/// second); it breaks every trigger downwards, so every trader enters short (none long), at
/// the first mark past its trigger: within (1 − 0.037) × 100,000 less a step ≈ 96,200 and
/// (1 − 0.0123) × a high of at most ≈ 100,100 ≈ 98,900. At 20x a short is liquidated about
/// 5 % − maintenance above its entry, so below ≈ 103,900; the +25 % rebound at 600 s (fair
/// value 88,000 → 110,000 over 60 s) passes that, so no short survives to the end: the squeeze
/// liquidates every one. The summary's counts add up to the 200 traders and money is conserved
/// throughout.
#[test]
fn window_momentum_traders_short_the_break_and_the_rebound_squeezes_them() {
    let src = fall_then_rebound("chase", &window_population());
    let s = Scenario::from_toml(&src, "chasers.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let traders = sim.agents.population.traders.clone();
    let held = |sim: &Simulation, short: bool| population_holding(sim, &traders, short);
    assert!(sim.agents.population.traders.iter().all(|t| t.waiting), "all wait at time zero");
    run_until(&mut sim, 290);
    assert_eq!(held(&sim, true) + held(&sim, false), 0, "flat before the break");
    run_until(&mut sim, 590);
    let shorts = held(&sim, true);
    assert!(shorts >= 190, "{shorts} of 200 shorted the break");
    assert_eq!(held(&sim, false), 0, "nobody went long on a fall");
    for t in sim.agents.population.traders.iter().filter(|t| !t.qty.is_zero()) {
        let entry = sim.world.markets[t.market as usize].to_f64(t.entry);
        assert!(!t.long && entry > 96_000.0 && entry < 99_000.0, "entered short at {entry}");
    }
    sim.world.check_invariants(sim.events).unwrap();
    sim.run_to_end(&quiet(), Phase::Main).unwrap();
    assert_eq!(held(&sim, true), 0, "the rebound liquidated every short");
    assert_eq!(held(&sim, false), 0, "nobody was left waiting to go long");
    sim.world.check_invariants(sim.events).unwrap();
    let rec = sim.finish();
    let m = rec.summary.population.and_then(|p| p.momentum).expect("momentum counts");
    assert_eq!(m.entered_long, 0);
    assert_eq!(m.entered_short as usize, shorts);
    assert_eq!(m.entered_short + m.gave_up + m.waiting, 200, "{m:?}");
    assert!(rec.summary.totals.accounts_liquidated >= shorts as u64, "{:?}", rec.summary.totals);
}

/// Fade traders: the window, triggers and world of the test above (1.23-3.70 % from the
/// window's extreme), every trader `fade` instead of `momentum`. The 12 % fall breaks every
/// trigger downwards, so each buys against it (none sells) at the first mark past its trigger,
/// within the same ≈ 96,200-98,900. At 20x a long is liquidated about 5 % − maintenance under
/// its entry, so above ≈ 91,900; the fall goes on to 88,000, so every one that bought is
/// liquidated before the rebound at 600 s: the dip buyer who absorbs a break becomes fuel if the
/// move goes on. No trader is left holding; the fade counts add up to the 200 traders and the
/// momentum counts are all zero.
#[test]
fn fade_traders_buy_the_break_and_the_fall_liquidates_them() {
    let src = fall_then_rebound(
        "fade",
        &window_population().replace("momentum = 1.0", "momentum = 0.0\nfade = 1.0"),
    );
    let s = Scenario::from_toml(&src, "fade.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    let traders = sim.agents.population.traders.clone();
    let held = |sim: &Simulation, short: bool| population_holding(sim, &traders, short);
    assert!(sim.agents.population.traders.iter().all(|t| t.waiting), "all wait at time zero");
    run_until(&mut sim, 290);
    assert_eq!(held(&sim, true) + held(&sim, false), 0, "flat before the break");
    run_until(&mut sim, 590);
    let entered: Vec<_> =
        sim.agents.population.traders.iter().filter(|t| !t.waiting && !t.qty.is_zero()).copied().collect();
    assert!(entered.len() >= 190, "{} of 200 bought the break", entered.len());
    for t in &entered {
        let entry = sim.world.markets[t.market as usize].to_f64(t.entry);
        assert!(t.long && entry > 96_000.0 && entry < 99_000.0, "entered at {entry}, long {}", t.long);
    }
    assert_eq!(held(&sim, false), 0, "the fall to 88,000 liquidated every fade long");
    assert_eq!(held(&sim, true), 0, "nobody sold the fall");
    sim.world.check_invariants(sim.events).unwrap();
    sim.run_to_end(&quiet(), Phase::Main).unwrap();
    sim.world.check_invariants(sim.events).unwrap();
    let rec = sim.finish();
    let pop = rec.summary.population.expect("population counts");
    let f = pop.fade.expect("fade counts");
    assert_eq!(f.entered_short, 0, "{f:?}");
    assert_eq!(f.entered_long as usize, entered.len(), "{f:?}");
    assert_eq!(f.entered_long + f.gave_up + f.waiting, 200, "{f:?}");
    let m = pop.momentum.expect("momentum counts exist with the window");
    assert_eq!((m.entered_short, m.entered_long, m.gave_up, m.waiting), (0, 0, 0, 0));
    assert!(rec.summary.totals.accounts_liquidated >= entered.len() as u64, "{:?}", rec.summary.totals);
}

/// One maker limited to $150k of inventory in a two-minute world with no other trader.
fn hedging_maker() -> String {
    hyperliquid_btc(
        "name = \"hedge\"\nseed = 5\nduration_s = 120",
        "0.01",
        1,
        "max_inventory = \"150000\"\n",
        "traders = 0\nvalue_traders = 0\n",
    )
}

/// A maker that absorbs a 2 BTC market sell (≈ $200k, above its $150k `max_inventory`) stops
/// bidding. Without a hedge it is still not bidding 30 s later: nobody lifts its asks. With
/// `hedge_half_life_s = 10` it sells spot against the position every 1 s requote, closing
/// 1 − 2^(−1/10) of the gap each time: after n requotes the hedge is −2 × (1 − 2^(−n/10)) BTC,
/// so by 30 s (n = 29 or 30: −1.73 to −1.75 BTC) its net inventory (≈ $25k) is far below the
/// limit and it bids again; the hedge's sales pushed the spot index down (negative spot flow).
#[test]
fn a_hedging_maker_sells_spot_and_bids_again() {
    use cascade_engine::book::Side;
    use cascade_engine::venue::OrderRequest;
    let bids_after_sweep = |hedge: Option<u64>| {
        let mut s = Scenario::from_toml(&hedging_maker(), "hedge.toml").unwrap();
        s.makers[0].hedge_half_life_s = hedge;
        let mut sim = Simulation::new(&s, 1, true).unwrap();
        run_until(&mut sim, 10);
        let m = sim.agents.makers[0].market;
        let taker = sim.world.open_account(0, Owner::Nobody).unwrap();
        sim.world.deposit(0, taker, Cash::units(1_000_000).unwrap()).unwrap();
        let price = sim.world.markets[m].index.unwrap();
        let qty = sim.world.markets[m].qty_for_value(Cash::units(200_000).unwrap(), price);
        sim.world.place(m, taker, OrderRequest::market(Side::Sell, qty)).unwrap().unwrap();
        run_until(&mut sim, 12);
        let a = sim.agents.makers[0].account;
        let bids = |sim: &Simulation| sim.world.book(m).orders_of(a).filter(|o| o.side == Side::Buy).count();
        assert_eq!(bids(&sim), 0, "over its inventory limit the maker stops bidding (hedge {hedge:?})");
        run_until(&mut sim, 40);
        let h = sim.agents.makers[0].hedge_base();
        (bids(&sim), h, sim.world.assets[0].spot_flow)
    };
    let (bids, hedge, flow) = bids_after_sweep(None);
    assert_eq!((bids, hedge, flow), (0, 0.0, 0.0), "no hedge: no bids, no spot trades");
    let (bids, hedge, flow) = bids_after_sweep(Some(10));
    assert!(bids > 0, "hedged, the maker bids again");
    assert!((-1.76..=-1.72).contains(&hedge), "hedge {hedge} BTC");
    assert!(flow < -1.7 * 90_000.0, "the hedge sold spot: {flow}");
}

/// The same sweep with a hedge (half-life 10 s) and a position limit: the hedge brings the net
/// inventory back under `max_inventory` ($150k) by 30 s, as above, but the perpetual position
/// is still the ≈ 2 BTC (≈ $200k) it absorbed, so with `max_position = "150000"` the maker
/// still quotes no bid at 40 s, and asks only; with `max_position = "300000"` ($200k is under
/// it) it bids again.
#[test]
fn a_hedging_maker_stops_bidding_past_its_position_limit() {
    use cascade_engine::book::Side;
    use cascade_engine::venue::OrderRequest;
    let sides_at_40s = |limit: &str| {
        let mut s = Scenario::from_toml(&hedging_maker(), "hedge.toml").unwrap();
        s.makers[0].hedge_half_life_s = Some(10);
        s.makers[0].max_position = Some(limit.parse().unwrap());
        let mut sim = Simulation::new(&s, 1, true).unwrap();
        run_until(&mut sim, 10);
        let m = sim.agents.makers[0].market;
        let taker = sim.world.open_account(0, Owner::Nobody).unwrap();
        sim.world.deposit(0, taker, Cash::units(1_000_000).unwrap()).unwrap();
        let price = sim.world.markets[m].index.unwrap();
        let qty = sim.world.markets[m].qty_for_value(Cash::units(200_000).unwrap(), price);
        sim.world.place(m, taker, OrderRequest::market(Side::Sell, qty)).unwrap().unwrap();
        run_until(&mut sim, 40);
        let a = sim.agents.makers[0].account;
        let count = |side| sim.world.book(m).orders_of(a).filter(|o| o.side == side).count();
        let hedge = sim.agents.makers[0].hedge_base();
        assert!((-1.76..=-1.72).contains(&hedge), "the hedge is as without a limit: {hedge} BTC");
        (count(Side::Buy), count(Side::Sell))
    };
    let (bids, asks) = sides_at_40s("150000");
    assert_eq!(bids, 0, "past its position limit the maker does not bid");
    assert!(asks > 0, "it still offers, which reduces the position");
    let (bids, asks) = sides_at_40s("300000");
    assert!(bids > 0 && asks > 0, "under a $300k limit it quotes both sides: {bids} bids, {asks} asks");
}

/// Chasers size their order at the higher of the mark and the best bid, the price the venue
/// checks a market order's initial margin at. BTC's fair value falls 12 % in `ramp_s` seconds
/// on a Binance-rules venue, whose mark follows the index, while the makers requote only every
/// 30 s: for up to 30 s after the fall their bids still sit near 100,000, up to 13.6 % above a
/// mark near 88,000. A chaser breaking then and sized at the mark would sell at a bid where
/// its order is worth up to 1.136 × its notional, more than its deposit covers (the initial
/// margin of its notional at 20x, 5 %, plus twice the 0.05 % taker fee: any bid more than
/// 2 % above the mark), and be refused: without the sizing 75, 37 and 23 of the 200 were, at
/// `ramp_s` 1, 5 and 20.
/// With it no chaser is refused (`gave_up` counts refusals and breaks that healed before a bid
/// came; the makers never pull, so here only refusals) and all 200 short the fall.
#[test]
fn chasers_are_not_refused_when_the_bid_sits_above_the_mark() {
    for ramp in [1, 5, 20] {
        let src = format!(
            r#"
[run]
seed = 3
duration_s = 420

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.4

[[venues]]
name = "binance"
rules = "binance"
insurance_fund = "100000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"
taker_fee = "0.0005"

[[makers]]
venue = "binance"
symbol = "BTCUSDT"
count = 4
capital = "20000000"
level_notional = "100000"
pull_volatility = 20.0
requote_ms = 30000

[noise]
traders = 20
{}
[[shocks]]
at_s = 300
asset = "BTC"
fair_value_move = -0.12
ramp_s = {ramp}
"#,
            window_population()
        );
        let s = Scenario::from_toml(&src, "chasers.toml").unwrap();
        let mut sim = Simulation::new(&s, 3, true).unwrap();
        sim.run_to_end(&quiet(), Phase::Main).unwrap();
        sim.world.check_invariants(sim.events).unwrap();
        let m = sim.finish().summary.population.and_then(|p| p.momentum).expect("momentum counts");
        assert_eq!(m.gave_up, 0, "ramp {ramp} s: {m:?}");
        assert!(m.entered_short >= 190, "ramp {ramp} s: {m:?}");
    }
}

/// Two BTC venues and a sell program of 10,000,000 over 100 s split `{ a = 3, b = 1 }`.
fn weighted_shock(weights: &str) -> String {
    let venue = |name: &str| {
        format!(
            r#"
[[venues]]
name = "{name}"
rules = "binance"
insurance_fund = "100000000"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[[makers]]
venue = "{name}"
symbol = "BTCUSDT"
count = 4
capital = "100000000"
level_notional = "500000"
pull_volatility = 50.0
"#
        )
    };
    format!(
        r#"
[run]
seed = 3
duration_s = 200

[[assets]]
name = "BTC"
index_price = "100000"
annual_volatility = 0.4
{}{}
[noise]
traders = 0

[[shocks]]
at_s = 10
asset = "BTC"
notional = "10000000"
duration_s = 100
{weights}
"#,
        venue("a"),
        venue("b")
    )
}

/// `venue_weights` splits a shock's flow by weight: 3:1 over venues `a` and `b` sends each
/// slice (100 of 1 s) 10,000,000 × 3/4 / 100 = 75,000 on `a` and 10,000,000 × 1/4 / 100 =
/// 25,000 on `b`, and after the program the shock's accounts are short about 7.5M and 2.5M
/// (75 and 25 BTC at 100,000; the price moves a little, so within 10 %). Without weights the
/// split is even (50,000 each).
#[test]
fn a_shock_splits_its_flow_by_venue_weight() {
    let s = Scenario::from_toml(&weighted_shock("venue_weights = { a = 3.0, b = 1.0 }"), "w.toml").unwrap();
    let mut sim = Simulation::new(&s, 3, true).unwrap();
    assert_eq!(sim.agents.shocks[0].slice_notional, vec![75_000.0, 25_000.0]);
    sim.run_to_end(&quiet(), Phase::Main).unwrap();
    sim.world.check_invariants(sim.events).unwrap();
    let btc: Vec<f64> = sim.agents.shocks[0]
        .legs
        .iter()
        .map(|&(m, acc)| {
            let q = sim.world.position(m, acc);
            let mk = &sim.world.markets[m];
            assert!(q.is_negative(), "the seller ends short");
            // Its size: its value at 100,000, in BTC.
            Market::cash_f64(mk.value(mk.price_near(100_000.0), q)).abs() / 100_000.0
        })
        .collect();
    assert!((67.5..=82.5).contains(&btc[0]), "venue a: {btc:?} BTC");
    assert!((22.5..=27.5).contains(&btc[1]), "venue b: {btc:?} BTC");

    let even = Scenario::from_toml(&weighted_shock(""), "even.toml").unwrap();
    let sim = Simulation::new(&even, 3, true).unwrap();
    assert_eq!(sim.agents.shocks[0].slice_notional, vec![50_000.0, 50_000.0]);
}

/// Weights that cannot be used are refused with the key's path: a weight of zero, a venue that
/// does not exist, and `venues` given together with `venue_weights`.
#[test]
fn bad_venue_weights_are_refused() {
    for (keys, path, what) in [
        ("venue_weights = { a = 0.0, b = 1.0 }", "shocks[0].venue_weights.a", "> 0"),
        ("venue_weights = { a = 1.0, c = 1.0 }", "shocks[0].venue_weights.c", "unknown venue `c`"),
        ("venues = [\"a\"]\nvenue_weights = { a = 1.0 }", "shocks[0].venue_weights", "not both"),
    ] {
        let err = Scenario::from_toml(&weighted_shock(keys), "w.toml").unwrap_err().to_string();
        assert!(err.contains(path) && err.contains(what), "{keys}: {err}");
    }
}
