//! `cascade compare SCENARIO --policy NAME=FILE.toml [--policy …] --seeds 1..50 [--out DIR]
//! [--threads N] [--no-report]`: runs the scenario as it is (`baseline`) and with each policy
//! file as its `[policy]` table, every one on the same seeds, and reports each figure over the
//! seeds with the paired difference to the baseline. Writes `compare.json`, the tidy tables
//! (`compare.csv` / `.parquet`, `compare-summary.csv` / `.parquet`), each policy's whole scenario
//! (`scenarios/NAME.toml`, to replay one seed with `cascade run`) and `compare.html` with a
//! strip chart per figure.
//!
//! The driver only: reading the files (the splice and its errors are
//! `cascade_io::read_scenario_with_policy`), running the (policy, seed) pairs on a rayon pool
//! (collected in (policy, seed) order, so nothing depends on the number of threads), printing.
//! Figures and statistics are `cascade_sim::compare`, the files `cascade_io::compare`, the
//! charts and page `cascade_report::render_policy_comparison`.

mod seeds;
mod table;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use cascade_sim::compare::{
    BASELINE, Comparison, PolicyRuns, collateral_figure_defs, figure_defs, run_figures,
};
use cascade_sim::scenario::Scenario;
use cascade_sim::{RunOptions, run as simulate};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

pub use seeds::parse_seeds;

/// Arguments of `cascade compare`.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// Scenario file (TOML); run as it is under the name `baseline`.
    scenario: PathBuf,
    /// A policy: NAME=FILE.toml, the file's content replacing the scenario's `[policy]` table
    /// (its top-level keys are what would sit under `[policy]`). Repeat for several.
    #[arg(long = "policy", value_name = "NAME=FILE.toml")]
    policies: Vec<String>,
    /// Seeds every policy runs on: `A..B` (both ends included), `N`, or a comma list (`1..10,42`).
    #[arg(long)]
    seeds: String,
    /// Output directory (default `out/compare-<scenario name>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Threads running the simulations (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip the HTML page and its charts (tables and JSON only).
    #[arg(long)]
    no_report: bool,
}

/// One policy to run: its name, file, scenario and the scenario's text (the policy spliced in).
struct Arm {
    name: String,
    file: Option<PathBuf>,
    scenario: Scenario,
    text: String,
}

fn check_name(name: &str, arg: &str) -> anyhow::Result<()> {
    if name.is_empty() {
        bail!("--policy `{arg}`: expected NAME=FILE.toml (e.g. --policy halts=policies/halts.toml)");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        bail!("--policy `{arg}`: the name `{name}` may use only letters, digits, `_`, `-` and `.`");
    }
    if name == BASELINE {
        bail!(
            "--policy `{arg}`: `{BASELINE}` is the scenario as it is (always included); choose another name"
        );
    }
    Ok(())
}

/// Reads the scenario and every policy; all policy files' problems are reported together.
fn read_arms(args: &CompareArgs) -> anyhow::Result<Vec<Arm>> {
    let src = cascade_io::read_text(&args.scenario, "reading the scenario")?;
    let baseline = cascade_io::read_scenario_text(&src, &args.scenario)?;
    let mut arms = vec![Arm { name: BASELINE.into(), file: None, scenario: baseline, text: src.clone() }];
    let mut errors = Vec::new();
    for arg in &args.policies {
        let Some((name, file)) = arg.split_once('=') else {
            bail!("--policy `{arg}`: expected NAME=FILE.toml (e.g. --policy halts=policies/halts.toml)");
        };
        check_name(name, arg)?;
        if arms.iter().any(|a| a.name == name) {
            bail!("--policy `{arg}`: the name `{name}` is used twice");
        }
        let path = PathBuf::from(file);
        let text = match cascade_io::read_text(&path, "reading the policy file") {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("policy `{name}`: {e}"));
                continue;
            }
        };
        match cascade_io::read_scenario_with_policy(&src, &args.scenario, &text, &path) {
            Ok((scenario, text)) => arms.push(Arm { name: name.into(), file: Some(path), scenario, text }),
            Err(e) => errors.push(format!("policy `{name}`: {e}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(arms)
}

/// Runs the comparison and writes its outputs.
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let seeds = parse_seeds(&args.seeds).map_err(anyhow::Error::msg)?;
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let arms = read_arms(args)?;
    let baseline = &arms[0].scenario;
    let markets: Vec<(String, String)> =
        baseline.markets().into_iter().map(|(_, _, m)| (m.venue, m.symbol)).collect();
    let mut defs = figure_defs(&markets);
    defs.extend(collateral_figure_defs(&baseline.collateral_entries()));
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("out/compare-{}", baseline.run.name)));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("{}: creating the output directory", out.display()))?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting the thread pool")?;
    let jobs: Vec<(usize, u64)> = (0..arms.len()).flat_map(|a| seeds.iter().map(move |&s| (a, s))).collect();
    let bar = progress_bar(jobs.len());
    let started = Instant::now();
    let results: Vec<Result<Vec<Option<f64>>, String>> = pool.install(|| {
        jobs.par_iter()
            .map(|&(a, seed)| {
                let arm = &arms[a];
                let opts = RunOptions { counterfactual: false, ..RunOptions::default() };
                let rec = simulate(&arm.scenario, seed, &opts)
                    .map_err(|e| format!("policy `{}`, seed {seed}: {e}", arm.name))?;
                let got: Vec<(&str, &str)> = rec
                    .summary
                    .instruments
                    .iter()
                    .map(|i| (i.venue.as_str(), i.instrument.as_str()))
                    .collect();
                let want: Vec<(&str, &str)> = markets.iter().map(|(v, s)| (v.as_str(), s.as_str())).collect();
                if got != want {
                    return Err(format!(
                        "policy `{}`, seed {seed}: the run's markets differ from the scenario's",
                        arm.name
                    ));
                }
                bar.inc(1);
                Ok(run_figures(&rec))
            })
            .collect()
    });
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let mut per_arm: Vec<PolicyRuns> = arms
        .iter()
        .map(|a| PolicyRuns {
            name: a.name.clone(),
            file: a.file.as_ref().map(|p| p.display().to_string()),
            per_seed: Vec::with_capacity(seeds.len()),
        })
        .collect();
    for (&(a, _), r) in jobs.iter().zip(results) {
        per_arm[a].per_seed.push(r.map_err(anyhow::Error::msg)?);
    }
    let comparison =
        Comparison::build(&baseline.run.name, &args.scenario.display().to_string(), &seeds, defs, &per_arm);
    let mut written = cascade_io::write_comparison(&out, &comparison)?;
    written.extend(write_scenarios(&out, &args.scenario, &arms)?);
    if !args.no_report {
        let opts =
            cascade_report::ReportOptions { out_dir: Some(out.clone()), progress: true, skip_png: false };
        let ctx = cascade_report::view::RunContext::from_scenario(baseline);
        let files = cascade_report::render_policy_comparison(&comparison, &ctx, &out, &opts)?;
        written.push(files.html);
    }
    for line in table::render(&comparison) {
        crate::out::line(line)?;
    }
    crate::out::line(format_args!(
        "cascade compare: {} policies × {} seeds = {} runs in {:.1} s on {} thread(s) → {}",
        arms.len(),
        seeds.len(),
        jobs.len(),
        elapsed.as_secs_f64(),
        pool.current_num_threads(),
        out.display()
    ))?;
    for p in written {
        crate::out::line(format_args!("  {}", shown(&p)))?;
    }
    Ok(())
}

/// Writes each policy's whole scenario (the policy spliced in) as `DIR/scenarios/NAME.toml`,
/// with relative price-file paths made absolute, so `cascade run DIR/scenarios/NAME.toml --seed
/// N` replays any one run of the comparison.
fn write_scenarios(out: &Path, scenario_path: &Path, arms: &[Arm]) -> anyhow::Result<Vec<PathBuf>> {
    let dir = out.join("scenarios");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: creating the directory", dir.display()))?;
    let base = scenario_path.parent().unwrap_or_else(|| Path::new(""));
    let mut paths = Vec::with_capacity(arms.len());
    for arm in arms {
        let mut doc = cascade_sim::fit::ScenarioDoc::parse(&arm.text)?;
        for (i, a) in arm.scenario.assets.iter().enumerate() {
            if let Some(p) = &a.path
                && Path::new(p).is_relative()
            {
                let abs = std::fs::canonicalize(base.join(p))
                    .with_context(|| format!("{}: resolving assets[{i}].path", scenario_path.display()))?;
                doc.set_str(&format!("assets[{i}].path"), &abs.display().to_string())?;
            }
        }
        let from =
            arm.file.as_ref().map_or(String::new(), |f| format!(" with [policy] from {}", f.display()));
        let text =
            format!("# `cascade compare` policy `{}`: {}{from}.\n{doc}", arm.name, scenario_path.display());
        let path = dir.join(format!("{}.toml", arm.name));
        cascade_io::write_atomic(&path, |p, w| {
            use std::io::Write;
            w.write_all(text.as_bytes()).map_err(|source| cascade_io::IoError::File {
                path: p.to_path_buf(),
                action: "writing",
                source,
            })
        })?;
        paths.push(path);
    }
    Ok(paths)
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("compare [{bar:30}] {pos}/{len} runs ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
