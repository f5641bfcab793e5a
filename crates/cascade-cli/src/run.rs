//! `cascade run`: runs the built-in default scenario (or `--no-counterfactual` for one pass)
//! and prints its summary. Minimal front door over `cascade_sim::run`; file outputs and a
//! scenario path come with the CLI's own issue.

use std::time::Instant;

use anyhow::Context;
use cascade_sim::scenario::Scenario;
use cascade_sim::{RunOptions, run as simulate};

/// Arguments of `cascade run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Master seed: the same seed gives the same output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Skip the counterfactual run without forced liquidations (no cascade amplification).
    #[arg(long)]
    no_counterfactual: bool,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the scenario.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let scenario = Scenario::builtin_default();
    let opts = RunOptions { counterfactual: !args.no_counterfactual, ..RunOptions::default() };
    let started = Instant::now();
    let rec = simulate(&scenario, args.seed, &opts).context("running the default scenario")?;
    let secs = started.elapsed().as_secs_f64();
    let s = &rec.summary;
    if args.json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    let t = &s.totals;
    println!("cascade run: {scenario}, seed {}", args.seed);
    let rows = [
        ("liquidated long", format!("{}", t.liquidated_long_notional.round_dp(2))),
        ("liquidated short", format!("{}", t.liquidated_short_notional.round_dp(2))),
        ("liquidations / accounts", format!("{} / {}", t.liquidations, t.accounts_liquidated)),
        ("ADL", format!("{} ({})", t.adl_count, t.adl_notional.round_dp(2))),
        ("bad debt", format!("{}", t.bad_debt.round_dp(2))),
        ("peak-to-trough drop", format!("{:.2}%", t.peak_to_trough_pct)),
        (
            "without liquidations",
            t.counterfactual_peak_to_trough_pct.map_or("-".into(), |x| format!("{x:.2}%")),
        ),
        ("cascade amplification", t.cascade_amplification.map_or("-".into(), |x| format!("{x:.3}"))),
    ];
    for (k, v) in rows {
        println!("  {k:<26} {v}");
    }
    eprintln!("  ({secs:.2} s wall)");
    Ok(())
}
