//! The stress test over a scenario list and what it reports: per scenario the run with the
//! portfolio inside ([`Outcome`]), the single-venue calculator's view of each account at time
//! zero (what `cascade calc` says with the other marks fixed), and per account the margin and
//! transfer solve. Serialised as the JSON output; [`StressReport::table`] is the terminal table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cascade_engine::num::Cash;
use cascade_sim::scenario::{AccountMode, Portfolio, PositionSide, Scenario};
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::StressError;
use crate::library;
use crate::run::{Outcome, Plan, run};
use crate::solve::{MarginSolve, solve};

/// Options of [`stress`].
#[derive(Debug, Clone)]
pub struct StressOptions {
    /// Master seed of every run.
    pub seed: u64,
    /// The repository's `scenarios/` directory (where library names resolve).
    pub library_dir: PathBuf,
    /// Seconds between two samples of the accounts.
    pub sample_s: u64,
    /// Solve the extra margin and transfer timing (re-runs each scenario).
    pub solve: bool,
}

/// The single-venue calculator's figures for one leg at time zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalcLeg {
    /// Instrument.
    pub symbol: String,
    /// Liquidation price with the account's other marks fixed.
    pub liquidation_price: Option<String>,
    /// Bankruptcy price, likewise.
    pub bankruptcy_price: Option<String>,
}

/// One scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    /// Library name or file.
    pub scenario: String,
    /// What it is.
    pub description: String,
    /// The portfolio does not fit this scenario (unknown venue, symbol…): why. Nothing else is
    /// then reported for it.
    pub skipped: Option<String>,
    /// The run.
    pub outcome: Option<Outcome>,
    /// Per account, per leg: `cascade calc` at the first marks (other marks fixed).
    pub calc: Vec<Vec<CalcLeg>>,
    /// Per account: the margin and transfer solve.
    pub solves: Vec<MarginSolve>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressReport {
    /// Portfolio file.
    pub portfolio: String,
    /// Its name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Results, in the order the scenarios were named.
    pub scenarios: Vec<ScenarioResult>,
}

/// Reads a scenario by library name or path: the scenario, a label and its description.
///
/// # Errors
/// An unknown name, an unreadable or invalid file (named with line and field).
pub fn load_scenario(name: &str, library_dir: &Path) -> Result<(Scenario, String), StressError> {
    if let Some(e) = library::entry(name) {
        let path = library_dir.join(e.file);
        if e.sets.is_empty() {
            return Ok((cascade_io::read_scenario(&path)?, e.description.to_string()));
        }
        let text = cascade_io::files::read_text(&path, "reading the scenario")?;
        let sets: Vec<(String, String)> =
            e.sets.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        let edited = cascade_sweep::overrides::apply(&text, &sets)
            .map_err(|err| StressError::UnknownScenario(name.to_string(), err.to_string()))?;
        return Ok((cascade_io::read_scenario_text(&edited, &path)?, e.description.to_string()));
    }
    let path = Path::new(name);
    if path.extension().is_some_and(|x| x == "toml") {
        let s = cascade_io::read_scenario(path)?;
        let d = s.run.description.clone();
        return Ok((s, d));
    }
    let names: Vec<&str> = library::LIBRARY.iter().map(|e| e.name).collect();
    Err(StressError::UnknownScenario(name.to_string(), names.join(", ")))
}

/// Reads a portfolio file (every unknown key an error at file:line:column).
///
/// # Errors
/// Unreadable or invalid file.
pub fn read_portfolio(path: &Path) -> Result<Portfolio, StressError> {
    let text = cascade_io::files::read_text(path, "reading the portfolio")?;
    Ok(Portfolio::from_toml(&text, &path.display().to_string())?)
}

/// What `cascade calc` says of each account at the marks of the first sample, with the other
/// marks fixed (one document per account, the venue's rules, the tier the engine uses).
fn calc_view(scenario: &Scenario, portfolio: &Portfolio, outcome: &Outcome) -> Vec<Vec<CalcLeg>> {
    let mut out = Vec::new();
    for (i, a) in portfolio.accounts.iter().enumerate() {
        let run = &outcome.accounts[i];
        let rules =
            scenario.venues.iter().find(|v| v.name == a.venue).map_or("binance", |v| v.rules.as_str());
        let mut positions = Vec::new();
        for (j, x) in a.positions.iter().enumerate() {
            let leg = &run.legs[j];
            let mark = leg.samples.first().and_then(|s| s.mark).map_or(leg.entry_price, |m| {
                Decimal::from_f64_retain(m).map_or(leg.entry_price, |d| d.round_dp(8))
            });
            let tier = scenario
                .venues
                .iter()
                .find(|v| v.name == a.venue)
                .and_then(|v| v.instruments.iter().find(|ins| ins.symbol == x.symbol))
                .and_then(|ins| ins.tiers.first().map(|t| (t.mmr, t.maintenance_amount)));
            let mut p = serde_json::json!({
                "symbol": x.symbol,
                "side": if x.side == PositionSide::Long { "long" } else { "short" },
                "size": leg.size.to_string(),
                "entry_price": leg.entry_price.to_string(),
                "mark_price": mark.normalize().to_string(),
                "contract": "linear",
            });
            if let Some((mmr, amount)) = tier {
                p["mmr"] = serde_json::Value::String(mmr.to_string());
                p["maintenance_amount"] = serde_json::Value::String(amount.unwrap_or_default().to_string());
            }
            if a.mode == AccountMode::Isolated {
                p["leverage"] = serde_json::Value::String(x.leverage.to_string());
            }
            positions.push(p);
        }
        let doc = serde_json::json!({
            "venue": rules,
            "mode": if a.mode == AccountMode::Isolated { "isolated" } else { "cross" },
            "wallet_balance": a.wallet.to_string(),
            "positions": positions,
        });
        let legs = match cascade_io::calc::calc(&doc.to_string()) {
            Ok(o) => o
                .positions
                .into_iter()
                .map(|p| CalcLeg {
                    symbol: p.symbol,
                    liquidation_price: p.liquidation_price,
                    bankruptcy_price: p.bankruptcy_price,
                })
                .collect(),
            Err(e) => a
                .positions
                .iter()
                .map(|x| CalcLeg {
                    symbol: x.symbol.clone(),
                    liquidation_price: Some(format!("calc refused: {e}")),
                    bankruptcy_price: None,
                })
                .collect(),
        };
        out.push(legs);
    }
    out
}

/// Runs the portfolio through each named scenario (library names or `.toml` paths).
///
/// # Errors
/// An unreadable portfolio or scenario, or a simulation failure. A portfolio that does not fit
/// one scenario (a venue it lacks) is reported in that scenario's `skipped`, not an error.
pub fn stress(
    portfolio_path: &Path,
    names: &[String],
    opts: &StressOptions,
) -> Result<StressReport, StressError> {
    let portfolio = read_portfolio(portfolio_path)?;
    let mut scenarios = Vec::with_capacity(names.len());
    for name in names {
        let (scenario, description) = load_scenario(name, &opts.library_dir)?;
        scenarios.push(stress_one(&portfolio, &scenario, name, description, opts)?);
    }
    Ok(StressReport {
        portfolio: portfolio_path.display().to_string(),
        name: portfolio.name.clone(),
        seed: opts.seed,
        scenarios,
    })
}

/// One scenario: the run, the calculator's view and the solves.
///
/// # Errors
/// A simulation failure other than the portfolio not fitting the scenario.
pub fn stress_one(
    portfolio: &Portfolio,
    scenario: &Scenario,
    name: &str,
    description: String,
    opts: &StressOptions,
) -> Result<ScenarioResult, StressError> {
    let plan = Plan {
        scenario,
        seed: opts.seed,
        portfolio,
        extra: vec![Cash::ZERO; portfolio.accounts.len()],
        leg_extra: Vec::new(),
        rescue: None,
        sample: SimTime::from_secs(opts.sample_s.max(1)),
    };
    let mut result = ScenarioResult {
        scenario: name.to_string(),
        description,
        skipped: None,
        outcome: None,
        calc: Vec::new(),
        solves: Vec::new(),
    };
    let sim_err = |source: cascade_sim::SimError| StressError::Sim {
        portfolio: portfolio.name.clone(),
        scenario: name.to_string(),
        source: Box::new(source),
    };
    let outcome = match run(&plan) {
        Ok(o) => o,
        Err(cascade_sim::SimError::Scenario { field, reason }) if field.starts_with("accounts[") => {
            result.skipped = Some(format!("`{field}`: {reason}"));
            return Ok(result);
        }
        Err(e) => return Err(sim_err(e)),
    };
    result.calc = calc_view(scenario, portfolio, &outcome);
    if opts.solve {
        for i in 0..portfolio.accounts.len() {
            result.solves.push(solve(&plan, &outcome, i).map_err(sim_err)?);
        }
    }
    result.outcome = Some(outcome);
    Ok(result)
}

fn opt_s(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |t| format!("{t:.0} s"))
}

impl StressReport {
    /// The terminal table: per scenario, one line per leg and one per account.
    #[must_use]
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "portfolio {} ({}), seed {}", self.name, self.portfolio, self.seed);
        for r in &self.scenarios {
            let _ = writeln!(s, "\n== {}: {}", r.scenario, r.description);
            if let Some(why) = &r.skipped {
                let _ = writeln!(s, "   not run: the portfolio does not fit this scenario: {why}");
                continue;
            }
            let Some(o) = &r.outcome else { continue };
            let _ = writeln!(
                s,
                "{:<10} {:<14} {:<5} {:>10} {:>12} {:>14} {:>12} {:>10} {:>8} {:>9}",
                "account",
                "leg",
                "side",
                "size",
                "entry",
                "calc liq",
                "liquidated",
                "at mark",
                "ADL cut",
                "ADL q max"
            );
            for (i, a) in o.accounts.iter().enumerate() {
                for (j, l) in a.legs.iter().enumerate() {
                    let calc = r.calc.get(i).and_then(|c| c.get(j)).and_then(|c| c.liquidation_price.clone());
                    let liq = l.events.iter().find(|e| e.kind != "adl_cut");
                    let adl = l.events.iter().find(|e| e.kind == "adl_cut");
                    let qmax = l
                        .samples
                        .iter()
                        .filter_map(|x| x.adl_queue_pct)
                        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
                    let _ = writeln!(
                        s,
                        "{:<10} {:<14} {:<5} {:>10} {:>12} {:>14} {:>12} {:>10} {:>8} {:>9}",
                        a.name,
                        l.symbol,
                        l.side,
                        l.size.to_string(),
                        l.entry_price.to_string(),
                        calc.unwrap_or_else(|| "none".into()),
                        opt_s(liq.map(|e| e.time_s)),
                        liq.and_then(|e| e.mark).map_or_else(|| "-".into(), |m| m.to_string()),
                        opt_s(adl.map(|e| e.time_s)),
                        qmax.map_or_else(|| "-".into(), |q| format!("{q:.0}%")),
                    );
                }
                let solve = r.solves.get(i);
                let need = solve.map_or_else(
                    || "not solved".to_string(),
                    |m| match (&m.extra_margin, &m.note) {
                        (Some(x), _) if x.is_zero() => "survives as is".into(),
                        (Some(x), _) => format!("needs {x} more (±{})", m.tolerance),
                        (None, Some(n)) => n.clone(),
                        (None, None) => "no answer".into(),
                    },
                );
                let _ = writeln!(
                    s,
                    "{:<10} equity {} -> {}, PnL {}, transfers {}; {}",
                    a.name,
                    a.equity_start.round_dp(2),
                    a.equity_end.round_dp(2),
                    a.pnl.round_dp(2),
                    a.transfers_net.round_dp(2),
                    need
                );
                for t in solve.map(|m| m.transfers.as_slice()).unwrap_or_default() {
                    let when =
                        t.latest_send_s.map_or_else(|| "too slow".into(), |x| format!("send by {x} s"));
                    let ok = match t.verified {
                        Some(true) => " (checked: survives)",
                        Some(false) => " (checked: still liquidated)",
                        None => "",
                    };
                    let note = t.note.as_ref().map(|n| format!("; {n}")).unwrap_or_default();
                    let _ = writeln!(s, "{:<10}   via {} ({} s): {when}{ok}{note}", "", t.from, t.delay_s);
                }
            }
            for t in &o.transfers {
                let _ = writeln!(
                    s,
                    "transfer {} -> {}: {} of {} sent at {:.0} s, arrived {}{}",
                    t.from,
                    t.to,
                    t.sent,
                    t.requested,
                    t.sent_s,
                    opt_s(t.arrived_s),
                    if t.too_late { " — TOO LATE: the account was liquidated first" } else { "" }
                );
            }
            for h in &o.holdings {
                let _ = writeln!(
                    s,
                    "holding {} {}: {:.2} -> {:.2}{}",
                    h.amount,
                    h.asset,
                    h.value_start,
                    h.value_end,
                    if h.modelled { "" } else { " (not in the scenario: valued at 1)" }
                );
            }
        }
        s
    }
}
