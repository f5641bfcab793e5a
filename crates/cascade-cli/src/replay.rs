//! `cascade replay SCENARIO --prices [ASSET=]FILE… [--liquidations FILE]`: a scenario whose
//! replayed assets' index is a real price file, exactly (`[[assets]] index = "path"`), and
//! whose population is liquidated through each venue's real waterfall as that path crosses
//! it. Thin: the scenario text is edited (so the run directory's `scenario.toml` is what ran),
//! read and simulated by the libraries, and written with two more tables, `real_path` and
//! (with `--liquidations`) `liquidation_compare`.
//!
//! **Which file is which asset.** `--prices BTC=FILE` names the asset. A bare `--prices FILE`
//! is matched by the symbol its file name starts with (`BTCUSDT-1m-2025-11-21.csv` →
//! `BTCUSDT`): the asset whose name is that symbol, or the symbol less a quote currency
//! (USDT, USDC, FDUSD, BUSD, USD). An unknown asset name, a symbol no asset matches, or two
//! files for one asset are errors.
//!
//! **What the replay changes in the scenario**, each said on standard error: the asset gets
//! `path` (the file) and `index = "path"`; keys the file replaces or that could no longer act
//! are removed (`index_price`, `annual_volatility`, `spot_depth_1pct`,
//! `spot_recovery_half_life_s`, `perp_flow_to_spot`, `perp_flow_lag_s`), and so are
//! `[[shocks]]` on a replayed asset (the file already holds the news). A `lookback_path` is
//! kept: the population's entries still come from it, so the file need only cover the run. An
//! asset with `[[assets.spot]]` books is refused (its index would no longer be theirs, and
//! makers quote them). Without `run.start_utc`, the run starts at the file's first row plus the
//! population's look-back (its entry prices come from the file before the start; the first row
//! when no population trades the asset or a `lookback_path` gives its entries), at the first
//! close at or after that; without `run.duration_s`, it lasts until the file's last close.
//! When the scenario sets them, the file must cover them (else a named error from the scenario
//! reader).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cascade_io::replay::{liquidation_compare_rows, read_real_liquidations, real_path_rows};
use cascade_report::ReportOptions;
use cascade_sim::metrics::Recording;
use cascade_sim::scenario::{Portfolio, PricePath, Run, Scenario};
use cascade_sim::{Phase, RunOptions, Simulation, run as simulate};
use toml_edit::{DocumentMut, Item, value};

/// Quote currencies a file-name symbol may end with after its asset's name.
const QUOTES: [&str; 5] = ["USDT", "USDC", "FDUSD", "BUSD", "USD"];

/// Keys of an `[[assets]]` entry that the replayed file replaces or that cannot act on an
/// index that is the file.
const DROPPED_KEYS: [&str; 6] = [
    "index_price",
    "annual_volatility",
    "spot_depth_1pct",
    "spot_recovery_half_life_s",
    "perp_flow_to_spot",
    "perp_flow_lag_s",
];

/// Arguments of `cascade replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML): venues, instruments, population, makers…
    scenario: PathBuf,
    /// Real price file per replayed asset: Binance USD-M kline CSV, or Binance trades /
    /// aggTrades (made into minute closes); plain, zip or gzip; as `ASSET=FILE` or a file whose
    /// name starts with the symbol (`BTCUSDT-1m-….csv`).
    #[arg(long, value_name = "[ASSET=]FILE", num_args = 1.., required = true)]
    prices: Vec<String>,
    /// Real liquidations to compare with, per minute and side: a Binance USD-M
    /// liquidationSnapshot file, Binance forceOrder JSON lines, or Hyperliquid node_fills.
    #[arg(long, value_name = "FILE")]
    liquidations: Option<PathBuf>,
    /// Master seed (default: the scenario's `run.seed`). Same scenario, files and seed ⇒ same
    /// files.
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory (default `out/<scenario name>-replay-seed<N>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also render the HTML report (real path overlaid, real vs simulated liquidations) into
    /// `DIR/report`.
    #[arg(long)]
    report: bool,
    /// Positions to put into the venues as accounts of their own (a `cascade liqmap` positions
    /// CSV: venue rules, symbol, side, size, entry_price, and leverage or margin), liquidated by
    /// the real path like the population.
    #[arg(long, value_name = "FILE")]
    positions: Option<PathBuf>,
    /// Also run the counterfactual without forced liquidations (cascade amplification).
    #[arg(long)]
    counterfactual: bool,
}

/// One `--prices` argument resolved: the asset's index in the scenario, the file, its path.
pub(crate) struct Replayed {
    asset: usize,
    file: PathBuf,
    /// The file as the scenario's `path` names it: relative to the scenario's directory, so
    /// the run directory's `scenario.toml` (and its hash) is the same from any checkout.
    file_in_scenario: String,
    path: PricePath,
}

/// Runs the replay and writes its outputs.
pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let text = cascade_io::read_text(&args.scenario, "reading the scenario")?;
    let base = cascade_io::read_scenario_text(&text, &args.scenario)?;
    let (edited, scenario, replayed) = replay_scenario(&text, &base, &args.scenario, &args.prices)?;
    let seed = args.seed.unwrap_or(scenario.run.seed);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("out/{}-replay-seed{seed}", scenario.run.name)));
    cascade_io::check_run_dir_target(&out)?;
    let real = match &args.liquidations {
        Some(f) => Some(read_real_liquidations(f).with_context(|| format!("reading {}", f.display()))?),
        None => None,
    };
    let start_ms = scenario.run.start_unix_ms().context("the replay has no run.start_utc")?;
    let duration_ms = scenario.run.duration_s * 1_000;
    eprintln!(
        "replay: {} to {} ({} s)",
        cascade_io::utc_text(i64::try_from(start_ms).unwrap_or(0)),
        cascade_io::utc_text(i64::try_from(start_ms + duration_ms).unwrap_or(0)),
        scenario.run.duration_s
    );
    let portfolio = match &args.positions {
        Some(f) => {
            let p = crate::replay_positions::portfolio(f, &scenario)?;
            eprintln!("positions: {} accounts from {}", p.accounts.len(), f.display());
            Some(p)
        }
        None => None,
    };
    let opts = RunOptions { counterfactual: args.counterfactual, ..RunOptions::default() };
    let rec = simulate_with(&scenario, seed, &opts, portfolio.as_ref())
        .with_context(|| format!("replaying `{}`", scenario.run.name))?;
    // The run directory says which positions file was put in (a comment keeps the TOML valid).
    let edited = match &args.positions {
        Some(f) => format!("# cascade replay --positions {}\n{edited}", f.display()),
        None => edited,
    };

    let mut real_path = Vec::new();
    let mut compare = real.as_ref().map(|_| Vec::new());
    for r in &replayed {
        let asset = &scenario.assets[r.asset].name;
        let markets = markets_of(&scenario, asset, None);
        real_path.extend(real_path_rows(asset, &r.path, start_ms, duration_ms, &markets, &rec.series));
        if let (Some(real), Some(rows)) = (&real, compare.as_mut()) {
            let rules = real.source.rules();
            let on_rules = markets_of(&scenario, asset, Some(rules));
            if on_rules.is_empty() {
                bail!(
                    "{}: the real liquidations are {rules}'s, but no venue with rules = \"{rules}\" lists `{asset}` \
                     in the scenario",
                    args.liquidations.as_deref().unwrap_or(Path::new("")).display()
                );
            }
            let mine: Vec<_> = real.rows.iter().filter(|l| symbol_asset(&l.symbol, asset)).cloned().collect();
            let (cmp, outside) =
                liquidation_compare_rows(asset, &mine, &rec.liquidations, &on_rules, start_ms, duration_ms);
            eprintln!(
                "liquidations: {} real {asset} rows in the file, {} of them outside the run's window (not compared)",
                mine.len(),
                outside
            );
            rows.extend(cmp);
        }
    }
    if let Some(real) = &real {
        let names: Vec<&str> = replayed.iter().map(|r| scenario.assets[r.asset].name.as_str()).collect();
        let others: BTreeSet<&str> = real
            .rows
            .iter()
            .filter(|l| !names.iter().any(|a| symbol_asset(&l.symbol, a)))
            .map(|l| l.symbol.as_str())
            .collect();
        if !others.is_empty() {
            let n = real.rows.iter().filter(|l| others.contains(l.symbol.as_str())).count();
            eprintln!(
                "liquidations: {n} rows of symbols no replayed asset matches, not compared: {}",
                others.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let files = cascade_io::write_replay_run(&out, &rec, Some(&edited), &real_path, compare.as_deref())
        .with_context(|| format!("writing the run to {}", out.display()))?;
    eprintln!("wrote {} files into {}", files.paths.len(), out.display());
    if args.report {
        let files =
            cascade_report::render_run(&out, &ReportOptions { progress: true, ..ReportOptions::default() })
                .with_context(|| format!("rendering the report of {}", out.display()))?;
        eprintln!("report: {}", files.html.display());
    }
    let t = &rec.summary.totals;
    crate::out::line(format_args!("cascade replay: {}, seed {seed} → {}", scenario.run.name, out.display()))?;
    let mut rows = vec![
        ("liquidated long", format!("{}", t.liquidated_long_notional.round_dp(2))),
        ("liquidated short", format!("{}", t.liquidated_short_notional.round_dp(2))),
        ("liquidations / accounts", format!("{} / {}", t.liquidations, t.accounts_liquidated)),
        ("ADL", format!("{} ({})", t.adl_count, t.adl_notional.round_dp(2))),
        ("bad debt", format!("{}", t.bad_debt.round_dp(2))),
    ];
    if let Some(c) = &compare {
        let sum = |f: fn(&cascade_io::replay::LiquidationCompareRow) -> rust_decimal::Decimal| {
            c.iter().map(f).sum::<rust_decimal::Decimal>().round_dp(2)
        };
        rows.push(("real liquidated (compared)", format!("{}", sum(|r| r.real_notional))));
        rows.push(("simulated, same rule set", format!("{}", sum(|r| r.sim_notional))));
    }
    for (k, v) in rows {
        crate::out::line(format_args!("  {k:<26} {v}"))?;
    }
    Ok(())
}

/// `text` (the scenario `base` read from `scenario_file`) with each `--prices` argument's asset
/// replayed from its file, as text and read back, and the resolved arguments (every change
/// said on standard error): what `cascade replay` runs and `cascade calibrate --prices` fits.
///
/// # Errors
/// A `--prices` argument that names no asset or file, or a scenario that does not fit them.
pub(crate) fn replay_scenario(
    text: &str,
    base: &Scenario,
    scenario_file: &Path,
    prices: &[String],
) -> anyhow::Result<(String, Scenario, Vec<Replayed>)> {
    let replayed = resolve_prices(base, prices, scenario_file)?;
    let edited = edit_scenario(text, base, &replayed)?;
    let scenario = cascade_io::read_scenario_text(&edited, scenario_file)
        .context("the scenario with the replayed files does not fit them")?;
    Ok((edited, scenario, replayed))
}

/// [`simulate`], with `portfolio`'s accounts put into the venues first when given.
fn simulate_with(
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions<'_>,
    portfolio: Option<&Portfolio>,
) -> anyhow::Result<Recording> {
    let Some(p) = portfolio else { return Ok(simulate(scenario, seed, opts)?) };
    if let Some(problem) = scenario.validate().into_iter().next() {
        bail!("{}: {}", problem.path, problem.message);
    }
    let (mut main, _) = Simulation::with_portfolio(scenario, seed, true, p, &[])?;
    main.run_to_end(opts, Phase::Main)?;
    let mut rec = main.finish();
    if opts.counterfactual {
        let (mut cf, _) = Simulation::with_portfolio(scenario, seed, false, p, &[])?;
        cf.run_to_end(opts, Phase::Counterfactual)?;
        rec.summary.set_counterfactual(&cf.finish().summary);
    }
    Ok(rec)
}

/// The (venue, instrument) markets listing `asset`, on venues under `rules` when given.
fn markets_of(s: &Scenario, asset: &str, rules: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in &s.venues {
        if rules.is_some_and(|r| !v.rules.eq_ignore_ascii_case(r)) {
            continue;
        }
        for i in &v.instruments {
            if i.asset == asset {
                out.push((v.name.clone(), i.symbol.clone()));
            }
        }
    }
    out
}

/// Whether exchange symbol `symbol` (`BTCUSDT`, `BTC`) is asset `asset`: equal, or the asset
/// followed by a quote currency.
fn symbol_asset(symbol: &str, asset: &str) -> bool {
    let (s, a) = (symbol.to_ascii_uppercase(), asset.to_ascii_uppercase());
    s == a || s.strip_prefix(&a).is_some_and(|q| QUOTES.contains(&q))
}

/// The symbol a file name starts with: up to its first `-`, `_` or `.`.
fn file_symbol(file: &Path) -> String {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.split(['-', '_', '.']).next().unwrap_or_default().to_string()
}

/// Each `--prices` argument as an asset and its read file.
fn resolve_prices(s: &Scenario, args: &[String], scenario_file: &Path) -> anyhow::Result<Vec<Replayed>> {
    let dir = std::path::absolute(scenario_file.parent().unwrap_or(Path::new("")))
        .with_context(|| format!("the directory of {}", scenario_file.display()))?;
    let names = || s.assets.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut out: Vec<Replayed> = Vec::new();
    for arg in args {
        let (asset, file) = match arg.split_once('=') {
            Some((a, f)) if !a.is_empty() && !a.contains(['/', '\\']) => {
                let i = s.assets.iter().position(|x| x.name == a).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--prices {arg}: unknown asset `{a}` (the scenario's assets: {})",
                        names()
                    )
                })?;
                (i, PathBuf::from(f))
            }
            _ => {
                let file = PathBuf::from(arg);
                let sym = file_symbol(&file);
                let i = s.assets.iter().position(|x| symbol_asset(&sym, &x.name)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--prices {arg}: the file name's symbol `{sym}` matches no asset of the scenario ({}); \
                         name it: --prices ASSET={arg}",
                        names()
                    )
                })?;
                (i, file)
            }
        };
        if let Some(prev) = out.iter().find(|r| r.asset == asset) {
            bail!("--prices {arg}: asset `{}` already replays {}", s.assets[asset].name, prev.file.display());
        }
        if !s.assets[asset].spot.is_empty() {
            bail!(
                "--prices {arg}: asset `{}` has [[assets.spot]] books making its index; a replay's index is \
                 the file: remove the books (and their makers) to replay it",
                s.assets[asset].name
            );
        }
        let path = cascade_io::replay::read_prices(&file)
            .with_context(|| format!("--prices {arg}: reading the price file"))?;
        let file = std::path::absolute(&file).unwrap_or(file);
        let file_in_scenario = relative_to(&file, &dir).display().to_string();
        out.push(Replayed { asset, file, file_in_scenario, path });
    }
    Ok(out)
}

/// `p`'s components with `.` removed and `name/..` folded (lexically).
fn normalized(p: &Path) -> Vec<std::path::Component<'_>> {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `file` as a path from `dir` (both absolute): `..` up to their common ancestor, then down.
fn relative_to(file: &Path, dir: &Path) -> PathBuf {
    let (f, d) = (normalized(file), normalized(dir));
    let common = f.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return file.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &f[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The scenario text with the replayed assets pointed at their files (see the module doc);
/// every change is said on standard error.
fn edit_scenario(text: &str, s: &Scenario, replayed: &[Replayed]) -> anyhow::Result<String> {
    let mut doc: DocumentMut = text.parse().context("the scenario is not TOML")?;
    let assets = doc
        .get_mut("assets")
        .and_then(Item::as_array_of_tables_mut)
        .context("the scenario has no [[assets]] array of tables")?;
    for r in replayed {
        let name = &s.assets[r.asset].name;
        let t = assets.get_mut(r.asset).context("asset out of range")?;
        for key in DROPPED_KEYS {
            if t.remove(key).is_some() {
                eprintln!("replay: assets[{}].{key} dropped ({name}'s index is now the file)", r.asset);
            }
        }
        t["path"] = value(r.file_in_scenario.clone());
        t["index"] = value("path");
    }
    let replayed_names: Vec<&str> = replayed.iter().map(|r| s.assets[r.asset].name.as_str()).collect();
    if let Some(shocks) = doc.get_mut("shocks").and_then(Item::as_array_of_tables_mut) {
        let mut k = 0;
        shocks.retain(|t| {
            let hit = t.get("asset").and_then(Item::as_str).is_some_and(|a| replayed_names.contains(&a));
            if hit {
                eprintln!(
                    "replay: shocks[{k}] on {} dropped (the file already holds what happened)",
                    t.get("asset").and_then(Item::as_str).unwrap_or_default()
                );
            }
            k += 1;
            !hit
        });
        if shocks.is_empty() {
            doc.remove("shocks");
        }
    }
    let run = doc.entry("run").or_insert(toml_edit::table());
    let run = run.as_table_mut().context("`run` is not a table")?;
    let pop_assets = s.population_assets();
    let lookback_ms =
        if s.population.accounts > 0 { s.population.entry.lookback_s.saturating_mul(1_000) } else { 0 };
    if run.get("start_utc").is_none() {
        // The latest start any file allows: its first row plus the look-back of a population
        // trading it (none when a `lookback_path` gives the entries), at a close.
        let mut start = 0;
        for r in replayed {
            let own_lookback = s.assets.get(r.asset).is_some_and(|a| a.lookback_path.is_none());
            let back = if pop_assets.contains(&r.asset) && own_lookback { lookback_ms } else { 0 };
            let earliest = r.path.first_ms().saturating_add(back);
            let at = r.path.points().iter().map(|p| p.time_ms).find(|&t| t >= earliest).with_context(|| {
                format!(
                    "{}: the file is shorter than the population's look-back ({} s, population.entry.lookback_s)",
                    r.file.display(),
                    lookback_ms / 1_000
                )
            })?;
            start = start.max(at);
        }
        let utc = cascade_io::utc_text(i64::try_from(start).unwrap_or(0)).replace(".000Z", "Z");
        eprintln!("replay: run.start_utc = \"{utc}\" (from the file)");
        run["start_utc"] = value(utc);
    }
    if run.get("duration_s").is_none() {
        let start = match run.get("start_utc").and_then(Item::as_str) {
            Some(t) => Run { start_utc: Some(t.into()), ..Run::default() }
                .start_unix_ms()
                .with_context(|| format!("run.start_utc `{t}` is not a UTC time"))?,
            None => 0,
        };
        let end = replayed.iter().map(|r| r.path.last_ms()).min().unwrap_or(start);
        let secs = end.saturating_sub(start) / 1_000;
        if secs == 0 {
            bail!("the price files end at or before the run's start: nothing to replay");
        }
        eprintln!("replay: run.duration_s = {secs} (to the files' last close)");
        run["duration_s"] = value(i64::try_from(secs).unwrap_or(i64::MAX));
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_from_the_scenario_directory() {
        let r = |f: &str, d: &str| relative_to(Path::new(f), Path::new(d)).display().to_string();
        assert_eq!(r("/repo/data/b/x.csv", "/repo/scenarios/examples"), "../../data/b/x.csv");
        assert_eq!(r("/repo/a/../data/x.csv", "/repo/scenarios"), "../data/x.csv");
        assert_eq!(r("/repo/scenarios/x.csv", "/repo/scenarios"), "x.csv");
    }

    #[test]
    fn symbols_match_assets_by_name_or_name_and_quote() {
        assert!(
            symbol_asset("BTCUSDT", "BTC") && symbol_asset("btc", "BTC") && symbol_asset("BTCUSD", "BTC")
        );
        assert!(!symbol_asset("BTCDOMUSDT", "BTC") && !symbol_asset("ETHUSDT", "BTC"));
        assert_eq!(file_symbol(Path::new("/d/BTCUSDT-1m-2025-11-21.csv")), "BTCUSDT");
        assert_eq!(file_symbol(Path::new("ETHUSDT_trades.csv.gz")), "ETHUSDT");
    }
}
