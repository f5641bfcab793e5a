//! Simulator benchmarks (figures printed; run with `cargo bench -p cascade-sim --bench simulate`).
//!
//! 1. `scenarios/bench/rmsc04.toml`: a calm day shaped like ABIDES' RMSC04 (2 makers, 100 value,
//!    1,000 noise traders, 6.5 h, one venue): scheduler events per second on one core.
//!    Target: ≥ 3 million events/s (ABIDES does about 33,000 messages/s on this kind of machine).
//! 2. `scenarios/bench/million.toml`: 1,000,000 leveraged accounts on 3 instruments, 6 simulated
//!    hours around a crash: wall time (seeding + simulation) and peak resident memory.
//!    Target: under 60 s on one core and under 4 GiB.
//!
//! Each runs once without the counterfactual and without invariant scans (release build).
//! `BENCH=rmsc04` or `BENCH=million` selects one.

use std::time::Instant;

use cascade_sim::scenario::Scenario;
use cascade_sim::{InvariantChecks, Progress, RunOptions, run};

const RMSC04: &str = include_str!("../../../scenarios/bench/rmsc04.toml");
const MILLION: &str = include_str!("../../../scenarios/bench/million.toml");

/// Peak resident set size of this process, from /proc (kB), if available.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn bench(name: &str, toml: &str) {
    let scenario = match Scenario::from_toml(toml, name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: invalid scenario: {e}");
            std::process::exit(1);
        }
    };
    let events = std::sync::atomic::AtomicU64::new(0);
    let progress = |p: &Progress| events.store(p.events, std::sync::atomic::Ordering::Relaxed);
    let opts = RunOptions {
        counterfactual: false,
        invariants: InvariantChecks::Never,
        progress: Some(&progress),
        ..RunOptions::default()
    };
    let t = Instant::now();
    let rec = match run(&scenario, scenario.run.seed, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{name}: run failed: {e}");
            std::process::exit(1);
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let s = &rec.summary.totals;
    println!(
        "{name}: {} events in {secs:.2} s = {:.2} M events/s | {} liquidations, drop {:.2}% | peak RSS {} MB",
        events.load(std::sync::atomic::Ordering::Relaxed),
        events.load(std::sync::atomic::Ordering::Relaxed) as f64 / secs / 1e6,
        s.liquidations,
        s.peak_to_trough_pct,
        peak_rss_kb().map_or_else(|| "?".into(), |k| (k / 1024).to_string()),
    );
}

fn main() {
    let only = std::env::var("BENCH").unwrap_or_default();
    if only.is_empty() || only == "rmsc04" {
        bench("rmsc04", RMSC04);
    }
    if only.is_empty() || only == "million" {
        bench("million", MILLION);
    }
}
