//! `cascade report RUN_DIR…`: one run's report, or several runs compared; and
//! `cascade liqmap POSITIONS.csv`: liquidation maps. Thin: parse arguments, call
//! `cascade_report`, print where the files went.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use cascade_report::liqmap::{self, LiqMapOptions};
use cascade_report::{ReportOptions, render_comparison, render_liqmaps, render_run};
use cascade_sim::metrics::PositionSide;
use rust_decimal::Decimal;

/// Arguments of `cascade report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Run directories (written by `cascade run --out`): one gives its report, several a
    /// comparison on shared axes.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Output directory (default: RUN_DIR/report, or RUN_A/compare for several runs).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write SVG and HTML only, no PNG.
    #[arg(long)]
    no_png: bool,
}

/// Renders the report or comparison and prints the page's path.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let opts = ReportOptions { out_dir: args.out.clone(), progress: true, skip_png: args.no_png };
    let files = if let [one] = args.runs.as_slice() {
        render_run(one, &opts).context("cannot make the report")?
    } else {
        render_comparison(&args.runs, &opts).context("cannot make the comparison")?
    };
    crate::out::line(format_args!("{}", files.html.display()))?;
    eprintln!("  {} charts, each as PNG and SVG, beside it", files.charts.len());
    Ok(())
}

/// Arguments of `cascade liqmap`.
#[derive(clap::Args)]
pub struct LiqmapArgs {
    /// Positions CSV: venue, symbol, side, size, entry_price and one of leverage,
    /// liquidation_price or margin (see examples/liqmap/positions.csv). Without it, the map is
    /// drawn from a simulated population (`--scenario`, `--at`).
    #[arg(value_name = "POSITIONS.csv")]
    file: Option<PathBuf>,
    /// Scenario whose leveraged population is mapped when no positions file is given (default:
    /// the built-in default scenario).
    #[arg(long, value_name = "SCENARIO.toml")]
    scenario: Option<PathBuf>,
    /// Simulated second at which the population is mapped (default 0: as opened).
    #[arg(long, default_value_t = 0)]
    at: u64,
    /// Seed of the simulated population (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Reference ("current") price, as COIN=PRICE (e.g. BTC=100000), repeatable; a coin without
    /// one uses its positions' notional-weighted mean entry price. A bare number applies to
    /// every coin.
    #[arg(long, value_name = "COIN=PRICE")]
    price: Vec<String>,
    /// Price band width in quote currency (default: a round number near 0.5% of the price).
    #[arg(long)]
    band: Option<Decimal>,
    /// Half-width of the window drawn, percent of the reference price.
    #[arg(long, default_value = "20")]
    range: Decimal,
    /// Clusters to list per coin.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Only this coin (e.g. BTC).
    #[arg(long)]
    coin: Option<String>,
    /// Output directory for liqmap.html and the charts.
    #[arg(long, value_name = "DIR", default_value = "liqmap")]
    out: PathBuf,
}

/// Maps the open positions of a scenario's simulated population at `--at` seconds, with the
/// liquidation prices held in the venues' liquidation indexes.
fn simulated_maps(args: &LiqmapArgs, opts: &LiqMapOptions) -> anyhow::Result<(Vec<liqmap::LiqMap>, String)> {
    let scenario = match &args.scenario {
        Some(path) => cascade_io::read_scenario(path)?,
        None => cascade_sim::scenario::Scenario::builtin_default(),
    };
    if args.at > scenario.run.duration_s {
        bail!(
            "--at {}: the scenario `{}` runs {} s; pick a second within it",
            args.at,
            scenario.run.name,
            scenario.run.duration_s
        );
    }
    let seed = args.seed.unwrap_or(scenario.run.seed);
    let mut sim = cascade_sim::Simulation::new(&scenario, seed, true)?;
    sim.run_until(cascade_sim::scheduler::SimTime::from_secs(args.at))?;
    let positions: Vec<liqmap::LiqPosition> = sim
        .world
        .population_positions()?
        .into_iter()
        .filter_map(|p| {
            Some(liqmap::LiqPosition {
                venue: p.rules,
                symbol: p.symbol,
                side: if p.long { PositionSide::Long } else { PositionSide::Short },
                size: p.size,
                entry_price: p.entry_price,
                margin: liqmap::MarginInput::LiquidationPrice(p.liquidation_price?),
            })
        })
        .collect();
    eprintln!("{} open positions of `{}` (seed {seed}) at {} s", positions.len(), scenario.run.name, args.at);
    let source = format!("scenario `{}` at {} s", scenario.run.name, args.at);
    Ok((liqmap::build(&positions, opts)?, source))
}

/// Builds the maps, prints the clusters, writes the page and charts.
pub fn liqmap(args: &LiqmapArgs) -> anyhow::Result<()> {
    let mut prices = BTreeMap::new();
    let mut all: Option<Decimal> = None;
    for p in &args.price {
        match p.split_once('=') {
            Some((coin, v)) => {
                if coin.trim().is_empty() {
                    bail!("--price {p}: the coin is empty (expected COIN=PRICE, e.g. BTC=100000)");
                }
                let v = Decimal::from_str(v.trim()).with_context(|| format!("--price {p}: not a number"))?;
                if v <= Decimal::ZERO {
                    bail!("--price {p}: the price must be > 0");
                }
                prices.insert(coin.trim().to_ascii_uppercase(), v);
            }
            None => {
                let v = Decimal::from_str(p.trim()).with_context(|| format!("--price {p}: not a number"))?;
                if v <= Decimal::ZERO {
                    bail!("--price {p}: the price must be > 0");
                }
                all = Some(v);
            }
        }
    }
    let opts = LiqMapOptions {
        prices,
        default_price: all,
        band: args.band,
        range_pct: args.range,
        top: args.top,
        coin: args.coin.clone(),
    };
    let (maps, source) = match &args.file {
        Some(file) => (liqmap::build_from_file(file, &opts)?, file.display().to_string()),
        None => simulated_maps(args, &opts)?,
    };
    if maps.is_empty() {
        bail!("{source}: no position on coin {}", args.coin.as_deref().unwrap_or("?"));
    }
    // A price for a coin that is not on any map would be silently unused.
    let mapped: Vec<&str> = maps.iter().map(|m| m.coin.as_str()).collect();
    for coin in opts.prices.keys() {
        if !mapped.iter().any(|c| c.eq_ignore_ascii_case(coin)) {
            bail!(
                "--price {coin}=...: no position on coin {coin} in {source} (mapped: {})",
                mapped.join(", ")
            );
        }
    }
    for m in &maps {
        crate::out::line(format_args!("{}", liqmap::summary_text(m, args.top)))?;
    }
    let files = render_liqmaps(
        &maps,
        args.top,
        &args.out,
        &ReportOptions { progress: true, ..ReportOptions::default() },
    )?;
    crate::out::line(format_args!("{}", files.html.display()))?;
    Ok(())
}
