//! `cascade report RUN_DIR…`: one run's report, or several runs compared; and
//! `cascade liqmap POSITIONS.csv` (or `--oi METRICS --prices KLINES`, estimated from open
//! interest): liquidation maps. Thin: parse arguments, call
//! `cascade_report`, print where the files went.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use cascade_report::liqmap::oi_files::OiInput;
use cascade_report::liqmap::{self, LiqMapOptions, estimate};
use cascade_report::{ReportOptions, render_comparison, render_liqmaps, render_oi_maps, render_run};
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
    #[arg(value_name = "POSITIONS.csv", conflicts_with = "oi")]
    file: Option<PathBuf>,
    /// ESTIMATED map from open interest: a Binance futures metrics file (5-minute open interest
    /// and long/short ratios, CSV or zip), repeatable (one per symbol); needs --prices.
    #[arg(long, value_name = "METRICS.csv", requires = "prices", conflicts_with_all = ["scenario", "at", "seed", "price"])]
    oi: Vec<PathBuf>,
    /// Kline file of the same symbol as each --oi file (in the same order; one file serves
    /// them all): Binance's 12-column archive layout or the 6-column REST layout.
    #[arg(long, value_name = "KLINES.csv", requires = "oi")]
    prices: Vec<PathBuf>,
    /// Leverage mix of the estimate's new positions: `5x=0.3,10x=0.3,25x=0.2,50x=0.12,100x=0.08`
    /// (the default), or a file holding such entries (one or more per line, `#` comments).
    #[arg(long, value_name = "MIX|FILE", requires = "oi")]
    leverage_mix: Option<String>,
    /// Ratio splitting new open interest long/short: taker (default: the interval's taker
    /// buy/sell volume), top-trader (top traders' positions) or accounts (all accounts).
    #[arg(long, value_name = "RATIO", requires = "oi")]
    split: Option<String>,
    /// Notional of the representative position whose margin tier sets the estimate's
    /// liquidation prices (quote currency, default 10000).
    #[arg(long, value_name = "QUOTE", requires = "oi")]
    position_notional: Option<Decimal>,
    /// Scenario whose leveraged population is mapped when no positions file is given (default:
    /// the built-in default scenario).
    #[arg(long, value_name = "SCENARIO.toml")]
    scenario: Option<PathBuf>,
    /// Simulated second at which the population is mapped (default 0: as opened).
    #[arg(long)]
    at: Option<u64>,
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
    let at = args.at.unwrap_or(0);
    if at > scenario.run.duration_s {
        bail!(
            "--at {}: the scenario `{}` runs {} s; pick a second within it",
            at,
            scenario.run.name,
            scenario.run.duration_s
        );
    }
    let seed = args.seed.unwrap_or(scenario.run.seed);
    let mut sim = cascade_sim::Simulation::new(&scenario, seed, true)?;
    sim.run_until(cascade_sim::scheduler::SimTime::from_secs(at))?;
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
    eprintln!("{} open positions of `{}` (seed {seed}) at {at} s", positions.len(), scenario.run.name);
    let source = format!("scenario `{}` at {at} s", scenario.run.name);
    Ok((liqmap::build(&positions, opts)?, source))
}

/// The estimate's options from the arguments.
fn estimate_options(args: &LiqmapArgs) -> anyhow::Result<estimate::EstimateOptions> {
    let mut opts = estimate::EstimateOptions::default();
    if let Some(spec) = &args.leverage_mix {
        let text = if spec.contains('=') {
            spec.clone()
        } else {
            let raw = std::fs::read_to_string(spec).with_context(|| {
                format!("--leverage-mix {spec}: not a mix (LEVERAGE=WEIGHT,…) nor a readable file")
            })?;
            raw.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        };
        opts.mix = estimate::parse_mix(&text).map_err(|m| anyhow::anyhow!("--leverage-mix {spec}: {m}"))?;
    }
    if let Some(s) = &args.split {
        opts.split = s.parse().map_err(|m: String| anyhow::anyhow!("--split {s}: {m}"))?;
    }
    if let Some(n) = args.position_notional {
        opts.position_notional = n;
    }
    Ok(opts)
}

/// `cascade liqmap --oi … --prices …`: the ESTIMATED map from open interest.
fn oi_maps(args: &LiqmapArgs) -> anyhow::Result<()> {
    let inputs: Vec<OiInput> = match (args.oi.len(), args.prices.len()) {
        (n, m) if n == m => args
            .oi
            .iter()
            .zip(&args.prices)
            .map(|(o, p)| OiInput { metrics: o.clone(), prices: p.clone() })
            .collect(),
        (_, 1) => {
            args.oi.iter().map(|o| OiInput { metrics: o.clone(), prices: args.prices[0].clone() }).collect()
        }
        (n, m) => {
            bail!("{n} --oi files and {m} --prices files: give one price file per --oi file, or one for all")
        }
    };
    let opts = estimate_options(args)?;
    let mut maps = liqmap::oi_files::build_from_files(&inputs, &opts, args.band, args.range)?;
    if let Some(coin) = &args.coin {
        let all: Vec<String> = maps.iter().map(|m| m.coin.clone()).collect();
        maps.retain(|m| m.coin.eq_ignore_ascii_case(coin));
        if maps.is_empty() {
            bail!("--coin {coin}: the --oi files hold {}", all.join(", "));
        }
    }
    for m in &maps {
        crate::out::line(format_args!("{}", liqmap::oi_output::summary_text(m, args.top)))?;
    }
    let files = render_oi_maps(
        &maps,
        args.top,
        &args.out,
        &ReportOptions { progress: true, ..ReportOptions::default() },
    )?;
    crate::out::line(format_args!("{}", files.html.display()))?;
    Ok(())
}

/// Builds the maps, prints the clusters, writes the page and charts.
pub fn liqmap(args: &LiqmapArgs) -> anyhow::Result<()> {
    if !args.oi.is_empty() {
        return oi_maps(args);
    }
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
