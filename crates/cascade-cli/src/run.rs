//! `cascade run`: runs the built-in default session and prints its summary.

use std::time::Instant;

use anyhow::Context;
use cascade_sim::session::{SessionConfig, run_session};

/// Arguments of `cascade run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Master seed: the same seed gives the same output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Simulated seconds.
    #[arg(long, default_value_t = 3_600)]
    duration: u32,
    /// Fraction the fair value drops at the shock (half way through).
    #[arg(long, default_value_t = 0.05)]
    shock: f64,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the session.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let cfg = SessionConfig {
        seed: args.seed,
        duration_s: args.duration,
        shock_at_s: args.duration / 2,
        shock_drop: args.shock,
        ..SessionConfig::default()
    };
    let started = Instant::now();
    let s = run_session(&cfg).context("running the default session")?;
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!("cascade run: built-in default session (BTCUSDT, 1 venue), seed {}", s.seed);
    let rows = [
        (
            "simulated time",
            format!("{} s, shock −{:.1}% at {} s", cfg.duration_s, cfg.shock_drop * 100.0, cfg.shock_at_s),
        ),
        ("operations", s.operations.to_string()),
        ("trades", s.trades.to_string()),
        ("volume", format!("{} BTC ({} USDT)", s.volume_btc, s.notional_usdt)),
        ("open / low / high / close", format!("{} / {} / {} / {}", s.open, s.low, s.high, s.close)),
        ("peak-to-trough drop", format!("{:.2}%", s.max_drop_pct)),
        ("open interest", format!("{} BTC", s.open_interest_btc)),
        ("fees collected", format!("{} USDT", s.fees_usdt)),
        ("bad debt", format!("{} USDT", s.bad_debt_usdt)),
        ("invariants", if s.invariants_ok { "hold (full scan)".into() } else { "VIOLATED".into() }),
    ];
    for (k, v) in rows {
        println!("  {k:<26} {v}");
    }
    eprintln!("  ({:.2} s wall, {:.0} operations/s)", secs, s.operations as f64 / secs.max(1e-9));
    anyhow::ensure!(s.invariants_ok, "an engine invariant was violated");
    Ok(())
}
