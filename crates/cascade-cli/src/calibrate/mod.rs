//! `cascade calibrate SCENARIO --targets TARGETS.toml [--seeds N] [--evals N] [--out DIR]
//! [--resume] [--set K=V]… [--prices [ASSET=]FILE…]`: fits free parameters of a scenario to
//! published figures (and optionally to a real minute price path and published per-market drops) with Nelder–Mead (argmin)
//! over the parameters normalised to [0, 1]; with `--prices`, on the real path itself (the
//! assets replayed as `cascade replay` does).
//!
//! The driver only: reading files ([`targets`], the scenario, the price file), the optimizer
//! loop with its progress bar and resumable log ([`log`]), and the outputs ([`report`]). The
//! figures, the objective and the write-back into the scenario text are
//! `cascade_sim::fit`; each evaluation is [`evaluate`].

mod evaluate;
mod log;
mod report;
mod targets;

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use argmin::core::{CostFunction, Executor};
use argmin::solver::neldermead::NelderMead;
use cascade_sim::fit::{ScenarioDoc, real_minute_closes};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use evaluate::Evaluator;
use log::{Evaluation, Header, Log, from_bits};

/// Arguments of `cascade calibrate`.
#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (TOML) whose parameters are fitted.
    scenario: PathBuf,
    /// Targets file (TOML): free parameters, target bands, optional real price path.
    #[arg(long)]
    targets: PathBuf,
    /// Seeds per evaluation (the scenario's `run.seed`, `+1`, …), run in parallel.
    #[arg(long, default_value_t = 8)]
    seeds: u64,
    /// Most evaluations of the objective (replayed ones included).
    #[arg(long, default_value_t = 100)]
    evals: usize,
    /// Output directory (default `out/calibrate-<scenario name>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from `DIR/evaluations.jsonl`: logged evaluations are replayed, not recomputed.
    #[arg(long)]
    resume: bool,
    /// Override a scenario value by its TOML path before fitting (repeatable), as `cascade run
    /// --set`; e.g. `--set run.scale=0.05` fits in reduced mode. The fitted scenario keeps it.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Fit on real prices: each file becomes its asset's index exactly, as in `cascade replay
    /// --prices` (after the `--set`s; shocks on those assets are dropped, so a parameter that
    /// names one is refused). The population can then be fitted to the path that really
    /// happened, apart from the model's own price formation.
    #[arg(long, value_name = "[ASSET=]FILE", num_args = 1..)]
    prices: Vec<String>,
}

/// Side of the first simplex around the starting point, in normalised units.
const SIMPLEX_STEP: f64 = 0.2;

/// Cost of every point asked for after the budget is spent (never evaluated, never best).
const SPENT: f64 = f64::MAX;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: reading the {what}", path.display()))?;
    Ok(cascade_io::utf8_text(bytes, path)?)
}

/// Runs the calibration and writes its outputs.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    if args.evals == 0 {
        bail!("--evals must be at least 1");
    }
    let scenario_text = read_text(&args.scenario, "scenario")?;
    let (scenario_text, scenario) = if args.sets.is_empty() {
        let scenario = cascade_io::read_scenario_text(&scenario_text, &args.scenario)?;
        (scenario_text, scenario)
    } else {
        let sets = args.sets.iter().map(|a| cascade_sweep::parse_set(a)).collect::<Result<Vec<_>, _>>()?;
        cascade_sweep::apply_and_read(&scenario_text, &args.scenario, &sets)?
    };
    let (scenario_text, scenario) = if args.prices.is_empty() {
        (scenario_text, scenario)
    } else {
        let (text, scenario, _) =
            crate::replay::replay_scenario(&scenario_text, &scenario, &args.scenario, &args.prices)?;
        (text, scenario)
    };
    let targets_text = read_text(&args.targets, "targets file")?;
    let targets = targets::read(&args.targets)?;
    let tname = args.targets.display();
    let m = &targets.market;
    let has_market = |venue: &str, symbol: &str| {
        scenario.markets().iter().any(|(_, _, r)| r.venue == venue && r.symbol == symbol)
    };
    if !has_market(&m.venue, &m.symbol) {
        bail!(
            "{tname}: field `market`: no market `{}` / `{}` in {}",
            m.venue,
            m.symbol,
            args.scenario.display()
        );
    }
    if let Some(d) = &targets.drops {
        for (i, q) in d.markets.iter().enumerate() {
            if !has_market(&q.venue, &q.symbol) {
                bail!(
                    "{tname}: field `drops.markets[{i}]`: no market `{}` / `{}` in {}",
                    q.venue,
                    q.symbol,
                    args.scenario.display()
                );
            }
        }
    }
    let mut doc =
        ScenarioDoc::parse(&scenario_text).map_err(|e| anyhow!("{}: {e}", args.scenario.display()))?;
    let mut start = Vec::new();
    for (i, p) in targets.params.iter().enumerate() {
        let here = |e: cascade_sim::fit::ParamError| {
            anyhow!("{tname}: field `params[{i}].path`: {e} ({})", args.scenario.display())
        };
        let v = doc.get(p).map_err(here)?;
        doc.clone().set(p, p.value(p.normalise(v))).map_err(here)?;
        start.push(p.normalise(v));
    }
    let minutes = usize::try_from(scenario.run.duration_s / 60).unwrap_or(0);
    let (real, price_sha) = match &targets.price_path {
        None => (None, None),
        Some(pp) => {
            let bytes = std::fs::read(&pp.file).with_context(|| {
                format!("{tname}: field `price_path.file`: reading {}", pp.file.display())
            })?;
            let bars = cascade_io::read_klines(&pp.file)
                .with_context(|| format!("{tname}: field `price_path.file`"))?;
            let pairs: Vec<(u64, f64)> = bars
                .iter()
                .map(|b| {
                    (b.close_time, rust_decimal::prelude::ToPrimitive::to_f64(&b.close).unwrap_or(f64::NAN))
                })
                .collect();
            let t0 = scenario.run.start_unix_ms().or_else(|| bars.first().map(|b| b.open_time)).unwrap_or(0);
            let real = real_minute_closes(&pairs, t0, minutes);
            if real.first().copied().flatten().is_none() || real.iter().skip(1).all(Option::is_none) {
                bail!(
                    "{tname}: field `price_path.file`: {} has no 1-minute closes at the run's start and minutes \
                     (start {t0} ms, {minutes} min)",
                    pp.file.display()
                );
            }
            (Some(real), Some(sha256_hex(&bytes)))
        }
    };
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from(format!("out/calibrate-{}", scenario.run.name)));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("{}: creating the output directory", out.display()))?;
    let seeds: Vec<u64> = (0..args.seeds).map(|i| scenario.run.seed.wrapping_add(i)).collect();
    let dir = args.scenario.parent().unwrap_or_else(|| Path::new(""));
    let mut asset_files_sha256 = Vec::new();
    for (i, a) in scenario.assets.iter().enumerate() {
        if let Some(p) = &a.path {
            let bytes = std::fs::read(dir.join(p)).with_context(|| {
                format!("{}: field `assets[{i}].path`: reading {p}", args.scenario.display())
            })?;
            asset_files_sha256.push(sha256_hex(&bytes));
        }
    }
    let header = Header {
        version: 1,
        scenario_sha256: sha256_hex(scenario_text.as_bytes()),
        asset_files_sha256,
        targets_sha256: sha256_hex(targets_text.as_bytes()),
        price_file_sha256: price_sha,
        seeds: seeds.clone(),
    };
    let (log, replay) = Log::open(&out, &header, args.resume)?;
    let evaluator = Evaluator { scenario_path: args.scenario.clone(), doc, targets, seeds, minutes, real };
    let driver = Driver::new(&evaluator, log, replay, args.evals);
    let best = driver.optimise(&start)?;
    if let Some(e) = &best.error {
        let values: Vec<String> = evaluator
            .targets
            .params
            .iter()
            .zip(&best.params)
            .map(|(p, v)| format!("{} = {}", p.path, cascade_sim::fit::params::format_decimal(*v)))
            .collect();
        bail!(
            "every evaluated point was refused (see {}); at {}: {e}",
            out.join("evaluations.jsonl").display(),
            values.join(", ")
        );
    }
    report::write(&out, &args.scenario, &args.targets, &scenario, &evaluator, &best, driver.done())?;
    crate::out::line(format_args!(
        "cascade calibrate: best objective {:.6} at evaluation {} of {} → {}",
        best.objective,
        best.eval,
        driver.done(),
        out.display()
    ))?;
    for (p, v) in evaluator.targets.params.iter().zip(&best.params) {
        crate::out::line(format_args!("  {:<40} {}", p.path, cascade_sim::fit::params::format_decimal(*v)))?;
    }
    Ok(())
}

struct State {
    log: Log,
    replay: Vec<Evaluation>,
    done: usize,
    best: Option<Evaluation>,
    failure: Option<anyhow::Error>,
}

/// The optimizer's side: counts evaluations, replays logged ones, logs new ones, keeps the best.
struct Driver<'a> {
    evaluator: &'a Evaluator,
    budget: usize,
    state: RefCell<State>,
    bar: ProgressBar,
    terminal: bool,
}

impl<'a> Driver<'a> {
    fn new(evaluator: &'a Evaluator, log: Log, replay: Vec<Evaluation>, budget: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal { ProgressBar::new(budget as u64) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("calibrate [{bar:30}] {pos}/{len} evaluations, {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let state = State { log, replay, done: 0, best: None, failure: None };
        Self { evaluator, budget, state: RefCell::new(state), bar, terminal }
    }

    fn done(&self) -> usize {
        self.state.borrow().done
    }

    /// The objective at `x` as the optimizer sees it. argmin's Nelder–Mead unwraps some cost
    /// results, so nothing is thrown through it: once the budget is spent or a fault happened
    /// (kept for [`Driver::optimise`] to return), every point costs [`SPENT`] and nothing is
    /// evaluated; its iteration cap then ends the run.
    fn cost(&self, x: &[f64]) -> f64 {
        {
            let st = self.state.borrow();
            if st.done >= self.budget || st.failure.is_some() {
                return SPENT;
            }
        }
        match self.evaluate(x) {
            Ok(v) => v,
            Err(e) => {
                self.state.borrow_mut().failure = Some(e);
                SPENT
            }
        }
    }

    /// One evaluation of the objective at `x`, replayed from the log when it is there.
    fn evaluate(&self, x: &[f64]) -> anyhow::Result<f64> {
        let mut st = self.state.borrow_mut();
        let k = st.done;
        let e = if let Some(logged) = st.replay.get(k) {
            let same = logged.x_bits.len() == x.len()
                && logged
                    .x_bits
                    .iter()
                    .zip(x)
                    .all(|(b, xi)| from_bits(b).is_ok_and(|v| v.to_bits() == xi.to_bits()));
            if !same {
                bail!(
                    "evaluations.jsonl: evaluation {} was at another point than the optimizer asks now: the log does \
                     not belong to these inputs",
                    k + 1
                );
            }
            let mut e = logged.clone();
            e.objective = from_bits(&logged.objective_bits)?;
            e
        } else {
            let e = self.evaluator.evaluate(k + 1, x)?;
            st.log.append(&e)?;
            e
        };
        st.done += 1;
        if st.best.as_ref().is_none_or(|b| e.objective < b.objective) {
            st.best = Some(e.clone());
        }
        let best = st.best.as_ref().map_or(f64::NAN, |b| b.objective);
        self.bar.set_message(format!("best {best:.4}"));
        self.bar.inc(1);
        if !self.terminal {
            let replayed = if k < st.replay.len() { " (replayed)" } else { "" };
            let err = e.error.as_deref().map_or(String::new(), |m| format!(" — refused: {m}"));
            eprintln!(
                "evaluation {}/{}: objective {:.6}{replayed}, best {best:.6}{err}",
                k + 1,
                self.budget,
                e.objective
            );
        } else if let Some(m) = &e.error {
            self.bar.println(format!("evaluation {}: refused: {m}", k + 1));
        }
        Ok(e.objective)
    }

    /// Nelder–Mead from `start` (normalised) with a first simplex of side [`SIMPLEX_STEP`]
    /// (stepping down where up would leave the box). Deterministic: Nelder–Mead draws nothing.
    fn optimise(&self, start: &[f64]) -> anyhow::Result<Evaluation> {
        let mut simplex = vec![start.to_vec()];
        for i in 0..start.len() {
            let mut v = start.to_vec();
            v[i] = if v[i] + SIMPLEX_STEP <= 1.0 { v[i] + SIMPLEX_STEP } else { v[i] - SIMPLEX_STEP };
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex).with_sd_tolerance(1e-9).map_err(|e| anyhow!("{e}"))?;
        let problem = Problem { driver: self };
        // Every iteration asks for at least one point, so `budget` iterations spend the budget.
        let iters = u64::try_from(self.budget).unwrap_or(u64::MAX);
        let result = Executor::new(problem, solver).configure(|s| s.max_iters(iters)).run();
        let mut st = self.state.borrow_mut();
        if let Some(e) = st.failure.take() {
            return Err(e);
        }
        if let Err(e) = result {
            return Err(anyhow!("optimizer: {e}"));
        }
        self.bar.finish_and_clear();
        st.best.take().ok_or_else(|| anyhow!("no evaluation was made"))
    }
}

/// The objective as argmin sees it.
struct Problem<'a, 'b> {
    driver: &'b Driver<'a>,
}

impl CostFunction for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Self::Param) -> Result<Self::Output, argmin::core::Error> {
        Ok(self.driver.cost(x))
    }
}
