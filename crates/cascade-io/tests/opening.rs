//! The run opens on a live population: nobody seeded is liquidated, and no stop fires, before
//! the market has moved.
//!
//! Two defects made the 10 October scenario liquidate hundreds of accounts in its first second
//! (3 Dec 2026): the seeding fills left each book's last price at the last entry seeded (any
//! price of the look-back week), so stop-losses placed while building fired against it and their
//! market orders swept the thin opening books; and OKX's tier tables, which count contracts,
//! read base-unit quantities as contracts (16,000 DOGE as 16,000 contracts, 2% maintenance
//! instead of 0.65%), while the seeding's survival check left out the venue's fee to close.

use std::path::PathBuf;

use cascade_io::read_scenario;
use cascade_sim::scenario::Scenario;
use cascade_sim::{InvariantChecks, Phase, RunOptions, Simulation};

/// The 10 October scenario at 1/500 of its population, for its first five seconds (its shocks,
/// which start minutes later, left out: they must fall inside the run).
fn oct_10_opening() -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/oct-10-2025.toml");
    let mut s = read_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.shocks.iter().all(|sh| sh.at_s >= 60), "a shock inside the opening window");
    s.shocks.clear();
    s.run.scale = 0.002;
    s.run.duration_s = 5;
    s
}

#[test]
fn the_run_opens_at_the_index_not_at_the_last_seeded_entry() {
    let s = oct_10_opening();
    let sim = Simulation::new(&s, 7, true).unwrap();
    let w = &sim.world;
    for (m, mk) in w.markets.iter().enumerate() {
        let last = w.venues[mk.venue].engine.last_price(mk.id).unwrap();
        assert_eq!(last, Some(mk.price_near(w.spot_of(m))), "{} at {}", mk.symbol, w.venues[mk.venue].name);
    }
}

#[test]
fn nobody_is_liquidated_in_the_first_seconds() {
    let s = oct_10_opening();
    for seed in [1, 2] {
        let mut sim = Simulation::new(&s, seed, true).unwrap();
        let opts =
            RunOptions { counterfactual: false, invariants: InvariantChecks::Never, ..RunOptions::default() };
        sim.run_to_end(&opts, Phase::Main).unwrap();
        let rec = sim.finish();
        let early: Vec<String> = rec
            .liquidations
            .iter()
            .map(|l| format!("{} ms {} {} account {}", l.time_ms, l.venue, l.instrument, l.account))
            .collect();
        assert!(early.is_empty(), "seed {seed}: liquidated in the first 5 s: {early:#?}");
    }
}
