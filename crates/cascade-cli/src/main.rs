//! `cascade`: the command-line front door. Thin: parse arguments, call the library, print.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod calc;
mod calibrate;
mod compare;
mod data;
mod input;
mod out;
mod replay;
mod replay_positions;
mod report;
mod run;
mod stress;
mod sweep;
mod watch;
mod waterfall;

/// Cascade: a laboratory for liquidation cascades in crypto derivatives markets.
#[derive(Parser)]
#[command(name = "cascade", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the built-in default scenario and print its summary (with the cascade amplification).
    Run(run::RunArgs),
    /// Margin calculator: liquidation and bankruptcy prices, margins and margin ratio of the
    /// positions in a JSON file (`-` for stdin).
    Calc(calc::CalcArgs),
    /// Report of a run directory (HTML page, charts as PNG and SVG); several directories are
    /// compared on shared axes.
    Report(report::ReportArgs),
    /// Liquidation map of a positions CSV (or a simulated population): notional liquidated per
    /// price band by leverage, top clusters printed, chart and HTML page written. With `--oi
    /// METRICS --prices KLINES`: an ESTIMATED map from open interest (heatmap, cumulative curves,
    /// CSV, JSON).
    Liqmap(report::LiqmapArgs),
    /// Fit a scenario's free parameters to published figures (bands) and optionally a real
    /// minute price path: Nelder–Mead over seeded runs; writes the fitted scenario, a report and
    /// an overlay chart.
    Calibrate(calibrate::CalibrateArgs),
    /// Compare policies: the scenario as it is (`baseline`) and with each policy file as its
    /// `[policy]` table, on the same seeds; each figure's mean, median, p5–p95 and the paired
    /// difference to the baseline with a 95% bootstrap interval; JSON, CSV, Parquet, HTML.
    Compare(compare::CompareArgs),
    /// Monte Carlo sweep: a sweep file's parameter grid / samples × seeds, in parallel,
    /// resumable after a kill, shardable (`--shard i/n`, joined by `cascade sweep merge`);
    /// writes runs.parquet, aggregate.parquet (mean, median, p5/p95, VaR, ES, P(fund
    /// exhausted), P(ADL)) and sweep-report.html.
    Sweep(sweep::SweepArgs),
    /// Liquidation waterfall what-if: a venue state and a sequence of marks in a JSON file (`-`
    /// for stdin); prints the liquidations, takeovers, ADL, socialised losses and final balances.
    Waterfall(waterfall::WaterfallArgs),
    /// Real exchange data: `cascade data inspect FILE` reads a Binance archive file (klines,
    /// aggTrades, trades, bookDepth, bookTicker, metrics, fundingRate, liquidationSnapshot;
    /// CSV or zip), a Bybit kline or trading file (CSV or csv.gz) or Hyperliquid node_fills
    /// and prints its rows, time range and figures; `--csv OUT` writes normalised CSV.
    Data(data::DataArgs),
    /// Live cascade-risk monitor over Binance forceOrder / aggTrade / markPrice JSON lines (a
    /// file, `--follow`, or stdin): liquidations per minute by side and their acceleration,
    /// long share, price change over 1/5/15 min, realised volatility, distance to liquidation
    /// clusters, a risk level and alerts. Dashboard on a terminal, JSON lines otherwise.
    Watch(watch::WatchArgs),
    /// What happens to a book: a portfolio TOML's accounts put into each scenario's venues;
    /// per leg when it is liquidated or ADL'd, its ADL-queue place, losses, and the extra margin
    /// or transfer (with its latest send time) that survives. Table, JSON, HTML.
    Stress(stress::StressArgs),
    /// Replay a real price path: each `--prices` file is its asset's index, exactly; marks per
    /// venue rule, the population liquidated through the real waterfall; the run's tables plus
    /// the real path and, with `--liquidations`, real vs simulated liquidations per minute.
    Replay(replay::ReplayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Calc(args) => calc::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Liqmap(args) => report::liqmap(&args),
        Command::Waterfall(args) => waterfall::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Data(args) => data::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Stress(args) => stress::run(&args),
        Command::Replay(args) => replay::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
