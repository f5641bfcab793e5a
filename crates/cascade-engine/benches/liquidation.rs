//! Liquidation benchmarks (figures printed; run with
//! `cargo bench -p cascade-engine --bench liquidation`).
//!
//! 1. **Mark update with k liquidations among n accounts**, n = 10^4 … 10^7 (set `MAX_N` to
//!    stop earlier): n single-position accounts (one lot long each, leverage spread from ~2x to
//!    ~18x so their liquidation prices spread from ~45% to ~95% of entry) are opened against a
//!    market maker; then the mark is set (a) to a price that crosses nobody and (b) 25 times to
//!    prices that each cross the next k accounts, which are liquidated into the maker's bids
//!    (median reported).
//!    Target: cost flat in n (within 2×). Also the live heap per account (target ≤ 128 bytes),
//!    counted by a global allocator: account, position, index entry, book list head, everything
//!    (`MIN_N`/`MAX_N` select the sizes; the account table is reserved up front, as a simulator
//!    that knows its population does).
//! 2. **ADL wave**: 50,000 longs at ~19x against 50,000 profitable 2x shorts, an insurance fund
//!    of 1 USDT and no bids: one mark update 10% down liquidates every long, the fund is
//!    exhausted at once and ADL closes them against the shorts. Target: under one second.

use std::time::Instant;

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentId, InstrumentSpec};
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig, VenueEvent};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

const USDT: AssetId = AssetId(0);
const ENTRY: i64 = 1_000_000; // 100,000.0
/// Mark updates timed per size; the median is reported (a handful is too noisy at 10^7, where
/// the first updates also pay for cold pages).
const UPDATES: usize = 25;

fn venue() -> (Venue, InstrumentId) {
    let mut v = Venue::new(VenueConfig::default());
    let ins = v.add_instrument(InstrumentSpec::linear("BTCUSDT", USDT, 1, 3)).expect("instrument");
    // Binance's BTC guarantee would have the fund absorb the wave instead of ADL.
    v.set_adl_guarantee(ins, None).expect("instrument");
    (v, ins)
}

fn usdt(x: i64) -> Cash {
    Cash::units(x).expect("fits")
}

/// Fraction in [0, 1) spread evenly over i (golden-ratio sequence): deterministic, no RNG.
fn spread(i: u64) -> f64 {
    (i as f64 * 0.618_033_988_749_895).fract()
}

fn mark_update_bench(n: u64) {
    let (mut v, ins) = venue();
    let mut ev = Vec::new();
    v.set_mark_price(ins, Price(ENTRY), &mut ev).expect("mark");
    let mm = v.open_account().expect("account");
    v.deposit(mm, USDT, usdt(50_000_000_000)).expect("deposit");
    v.place(mm, ins, OrderRequest::limit(Side::Sell, Price(ENTRY), Qty(n as i64 + 10)), &mut ev)
        .expect("ask");
    let before = counting_alloc::live();
    let t0 = Instant::now();
    // A simulator knows its population: reserve, as it would.
    v.reserve_accounts(n as usize);
    for i in 0..n {
        let a = v.open_account().expect("account");
        // Margin 5.5 … 55 USDT on a 100 USDT position: leverage ~18x … ~1.8x.
        let margin = Cash((550_000_000.0 + 5_000_000_000.0 * spread(i)) as i64);
        v.deposit(a, USDT, margin).expect("deposit");
        ev.clear();
        v.place(a, ins, OrderRequest::market(Side::Buy, Qty(1)), &mut ev).expect("buy");
    }
    v.refresh_index().expect("index");
    let build = t0.elapsed();
    let per_account = (counting_alloc::live() - before) as f64 / n as f64;
    // Triggers, highest first: the k-th one is the mark that liquidates exactly k more.
    let mut triggers: Vec<i64> = v
        .ledger()
        .accounts()
        .filter_map(|(_, a)| a.position(ins).map(|p| p.trigger))
        .filter(|t| *t > 0)
        .collect();
    triggers.sort_unstable_by(|a, b| b.cmp(a));
    // Bids for the liquidation orders, below every trigger that will be crossed.
    let k = 100usize;
    let lowest = triggers[((UPDATES + 1) * k).min(triggers.len() - 1)];
    for l in 0..(UPDATES * k / 50 + 10) as i64 {
        let px = lowest - 10 - l * 10;
        v.place(mm, ins, OrderRequest::limit(Side::Buy, Price(px), Qty(50)), &mut ev).expect("bid");
    }
    let idle = {
        let t = Instant::now();
        ev.clear();
        v.set_mark_price(ins, Price(triggers[0] + 100), &mut ev).expect("mark");
        assert!(!ev.iter().any(|e| matches!(e, VenueEvent::Liquidation(_))));
        t.elapsed()
    };
    let mut times = Vec::new();
    let mut liquidated = 0;
    for step in 1..=UPDATES {
        let mark = triggers[step * k - 1];
        ev.clear();
        let t = Instant::now();
        v.set_mark_price(ins, Price(mark), &mut ev).expect("mark");
        times.push(t.elapsed().as_nanos() as f64);
        liquidated += ev.iter().filter(|e| matches!(e, VenueEvent::Liquidation(_))).count();
    }
    v.check_invariants().expect("invariants");
    times.sort_by(f64::total_cmp);
    let median = times[UPDATES / 2];
    println!(
        "n = {n:>9}: build {:>6.2} s ({:>5.0} ns/account) | heap {per_account:>6.1} B/account | \
         idle mark update {:>7.0} ns | mark update with k = {k} liquidations: median {:>8.1} µs \
         = {:>6.0} ns per liquidation ({liquidated} liquidation events in {UPDATES} updates)",
        build.as_secs_f64(),
        build.as_nanos() as f64 / n as f64,
        idle.as_nanos() as f64,
        median / 1e3,
        median / k as f64,
    );
}

fn adl_wave_bench(pairs: u64) {
    let (mut v, ins) = venue();
    let mut ev = Vec::new();
    v.set_mark_price(ins, Price(ENTRY), &mut ev).expect("mark");
    v.seed_insurance_fund(USDT, usdt(1)).expect("fund");
    for i in 0..pairs {
        let short = v.open_account().expect("account");
        let long = v.open_account().expect("account");
        v.deposit(short, USDT, usdt(60)).expect("deposit");
        // ~19x long: 5.2 … 5.6 USDT on 100 USDT.
        v.deposit(long, USDT, Cash((520_000_000.0 + 40_000_000.0 * spread(i)) as i64)).expect("deposit");
        v.place(short, ins, OrderRequest::limit(Side::Sell, Price(ENTRY), Qty(1)), &mut ev).expect("ask");
        v.place(long, ins, OrderRequest::market(Side::Buy, Qty(1)), &mut ev).expect("buy");
    }
    ev.clear();
    let fund_before = v.ledger().system(USDT).insurance_fund;
    let t = Instant::now();
    v.set_mark_price(ins, Price(ENTRY * 9 / 10), &mut ev).expect("mark");
    let took = t.elapsed();
    v.check_invariants().expect("invariants");
    let liquidations = ev.iter().filter(|e| matches!(e, VenueEvent::Liquidation(_))).count();
    let adl = ev.iter().filter(|e| matches!(e, VenueEvent::Adl { .. })).count();
    println!(
        "ADL wave over {} accounts: {liquidations} liquidation events, {adl} ADL fills, insurance fund \
         {fund_before} -> {} USDT, open interest left {} lots: {:.3} s (target < 1 s)",
        2 * pairs,
        v.ledger().system(USDT).insurance_fund,
        v.open_interest(ins).expect("oi").0,
        took.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is ignored.
    let max_n: u64 = std::env::var("MAX_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let mut n: u64 = std::env::var("MIN_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    while n <= max_n {
        mark_update_bench(n);
        n *= 10;
    }
    adl_wave_bench(50_000);
}
