//! `cascade run [SCENARIO] [--seed N] [--out DIR] [--report]`: runs a scenario (the built-in
//! default when none is given), writes its tables as CSV and Parquet and its summary as JSON into
//! DIR, optionally renders the HTML report and the run as an event stream (`--emit-stream`), and
//! prints the summary. Thin: reading, simulating,
//! writing and rendering live in cascade-io, cascade-sim and cascade-report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use cascade_report::ReportOptions;
use cascade_sim::scenario::{DEFAULT_TOML, Scenario};
use cascade_sim::{Phase, Progress, RunOptions, run as simulate};
use cascade_sweep::{apply_and_read, parse_set};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Arguments of `cascade run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML); the built-in default scenario when omitted.
    scenario: Option<PathBuf>,
    /// Master seed (default: the scenario's `run.seed`). Same scenario and seed ⇒ same files.
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory (default `out/<scenario name>-seed<N>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also render the HTML report and its charts into `DIR/report`.
    #[arg(long)]
    report: bool,
    /// Skip the counterfactual run without forced liquidations (no cascade amplification).
    #[arg(long)]
    no_counterfactual: bool,
    /// Run the counterfactual alone: forced liquidations disabled at every venue (positions
    /// past maintenance stay open), so its paths can be read beside a normal run's.
    #[arg(long, conflicts_with = "no_counterfactual")]
    no_liquidations: bool,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Override a scenario value by its TOML path (repeatable), e.g.
    /// `--set population.leverage[2].weight=0.2`, `--set 'venues[0].insurance_fund="5e7"'`;
    /// the result is validated like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Also write the run as Binance websocket JSON lines for `cascade watch`: forceOrder per
    /// liquidation, aggTrade per sampling interval that traded, markPriceUpdate per mark
    /// sample, timed from `run.start_utc` (Unix 0 without one).
    #[arg(long, value_name = "FILE")]
    emit_stream: Option<PathBuf>,
}

/// Runs the scenario and writes its outputs.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let (scenario, source) = match &args.scenario {
        Some(path) if args.sets.is_empty() => {
            let text = cascade_io::read_text(path, "reading the scenario")?;
            (cascade_io::read_scenario_text(&text, path)?, text)
        }
        None if args.sets.is_empty() => (Scenario::builtin_default(), DEFAULT_TOML.to_string()),
        path => {
            // Overrides edit the text (comments kept): the run directory's scenario.toml is
            // what ran.
            let sets = args.sets.iter().map(|a| parse_set(a)).collect::<Result<Vec<_>, _>>()?;
            let (text, path) = match path {
                Some(p) => (cascade_io::read_text(p, "reading the scenario")?, p.clone()),
                None => (DEFAULT_TOML.to_string(), PathBuf::from("scenarios/default.toml")),
            };
            let (text, scenario) = apply_and_read(&text, &path, &sets)?;
            (scenario, text)
        }
    };
    let seed = args.seed.unwrap_or(scenario.run.seed);
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from(format!("out/{}-seed{seed}", scenario.run.name)));
    // A bad output path is refused now, not after the whole simulation.
    cascade_io::check_run_dir_target(&out)?;
    let progress = Reporter::new();
    let callback = |p: &Progress| progress.update(p);
    let opts = RunOptions {
        counterfactual: !args.no_counterfactual && !args.no_liquidations,
        liquidations: !args.no_liquidations,
        progress: Some(&callback),
        ..RunOptions::default()
    };
    let started = Instant::now();
    let rec = simulate(&scenario, seed, &opts)
        .with_context(|| format!("running scenario `{}`", scenario.run.name))?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    write_outputs(&out, &rec, &source)?;
    if let Some(path) = &args.emit_stream {
        let start = scenario.run.start_unix_ms().unwrap_or(0);
        let n = cascade_io::stream::write_stream(path, &rec, start)
            .with_context(|| format!("writing the event stream to {}", path.display()))?;
        eprintln!("wrote {n} stream events into {}", path.display());
    }
    if args.report {
        let files =
            cascade_report::render_run(&out, &ReportOptions { progress: true, ..ReportOptions::default() })
                .with_context(|| format!("rendering the report of {}", out.display()))?;
        eprintln!("report: {}", files.html.display());
    }
    let s = &rec.summary;
    // What the scenario's policy changed, said once (also in summary.json → policy.warnings).
    for w in &s.policy.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        crate::out::line(format_args!("{}", serde_json::to_string_pretty(s)?))?;
        return Ok(());
    }
    let t = &s.totals;
    crate::out::line(format_args!("cascade run: {scenario}, seed {seed} → {}", out.display()))?;
    let rows = [
        ("liquidated long", format!("{}", t.liquidated_long_notional.round_dp(2))),
        ("liquidated short", format!("{}", t.liquidated_short_notional.round_dp(2))),
        ("liquidations / accounts", format!("{} / {}", t.liquidations, t.accounts_liquidated)),
        ("ADL", format!("{} ({})", t.adl_count, t.adl_notional.round_dp(2))),
        ("bad debt", format!("{}", t.bad_debt.round_dp(2))),
        (
            "peak-to-trough drop",
            // The run's figure is its worst market's: name it.
            match cascade_report::tables::worst_market(s) {
                Some(m) => format!("{:.2}% ({} {}, mark)", t.peak_to_trough_pct, m.venue, m.instrument),
                None => format!("{:.2}%", t.peak_to_trough_pct),
            },
        ),
        (
            "without liquidations",
            t.counterfactual_peak_to_trough_pct.map_or("-".into(), |x| format!("{x:.2}%")),
        ),
        ("cascade amplification", t.cascade_amplification.map_or("-".into(), |x| format!("{x:.3}"))),
    ];
    for (k, v) in rows {
        crate::out::line(format_args!("  {k:<26} {v}"))?;
    }
    eprintln!("  ({secs:.2} s wall)");
    Ok(())
}

/// The tables, the summary and the scenario that produced them (so a report can show it), put
/// in place as one complete directory.
fn write_outputs(out: &Path, rec: &cascade_sim::metrics::Recording, source: &str) -> anyhow::Result<()> {
    let files = cascade_io::write_run_with(out, rec, Some(source))
        .with_context(|| format!("writing the run to {}", out.display()))?;
    eprintln!("wrote {} files into {}", files.paths.len(), out.display());
    Ok(())
}

/// Progress on standard error: a bar per simulation on a terminal (the run and its
/// counterfactual advance side by side), a log line per tenth of each otherwise.
struct Reporter {
    bars: Option<MultiProgress>,
    /// Per phase: run, counterfactual.
    state: Mutex<[PhaseProgress; 2]>,
}

/// One simulation's progress: its bar once seen, the next tenth to log, when it started.
type PhaseProgress = (Option<ProgressBar>, u64, Option<Instant>);

impl Reporter {
    fn new() -> Self {
        let bars = std::io::stderr().is_terminal().then(MultiProgress::new);
        Self { bars, state: Mutex::new([(None, 0, None), (None, 0, None)]) }
    }

    fn update(&self, p: &Progress) {
        let Ok(mut all) = self.state.lock() else { return };
        let secs = p.sim_time.as_micros() / 1_000_000;
        let total = p.duration.as_micros() / 1_000_000;
        let (i, phase) = match p.phase {
            Phase::Main => (0, "run"),
            Phase::Counterfactual => (1, "counterfactual"),
        };
        let st = &mut all[i];
        let started = *st.2.get_or_insert_with(Instant::now);
        let rate = p.events as f64 / started.elapsed().as_secs_f64().max(1e-9);
        if let Some(multi) = &self.bars {
            let bar = st.0.get_or_insert_with(|| {
                let b = multi.add(ProgressBar::new(total));
                b.set_style(
                    ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} s simulated, {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                b.set_prefix(phase);
                b
            });
            bar.set_length(total);
            bar.set_position(secs);
            bar.set_message(format!("{} events, {:.0} events/s", p.events, rate));
        } else {
            let tenth = (secs * 10).checked_div(total).unwrap_or(10);
            if tenth > st.1 || secs == total {
                st.1 = tenth + 1;
                eprintln!("{phase}: {secs}/{total} s simulated, {} events, {rate:.0} events/s", p.events);
            }
        }
    }

    fn finish(&self) {
        if let Ok(all) = self.state.lock() {
            for bar in all.iter().filter_map(|s| s.0.as_ref()) {
                bar.finish_and_clear();
            }
        }
    }
}
