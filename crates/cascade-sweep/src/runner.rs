//! Running a sweep: the plan (or one shard of it) in parallel, each finished run journaled,
//! resumable after a kill, tables and report written at the end.
//!
//! # The sweep directory
//! - `sweep.json`: spec hash, scenario hash, program version, the shard, the number of runs
//!   planned. A directory holding another spec (or another shard) is refused, never mixed.
//! - `spec.json`: the whole spec with the scenario text (what `merge` and resuming read).
//! - `journal.jsonl`: one line per finished run, synced ([`crate::journal`]).
//! - `runs.parquet` / `runs.csv`, rewritten from the journal sorted by run id (temporary file +
//!   rename), every [`SweepOptions::table_every`] while runs finish and at the end.
//! - `aggregate.parquet` / `aggregate.csv`, `sweep-report.html`: at the end.
//! - `runs/<run_id>/`: each run's full output (cascade-io's run directory) with `keep_runs`.
//!
//! Determinism: a run depends only on the scenario text, its overrides and its seed; rows are
//! keyed and sorted by run id; so the tables are byte-identical whatever the thread count, the
//! shard split or the interruptions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cascade_sim::RunOptions;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aggregate::aggregate;
use crate::error::{SweepError, file_err};
use crate::figures::{FigureDef, figure_defs, figures_of};
use crate::journal::{Journal, RunRow};
use crate::output::{PROGRAM_VERSION, SweepFiles, aggregate_table, runs_table, write_runs_parquet};
use crate::overrides::{Set, apply_and_read, edit_and_validate};
use crate::spec::{PlannedRun, SweepSpec, hex};

/// What the caller is told as runs finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepProgress {
    /// Runs of this shard done (including those found done on resuming).
    pub done: u64,
    /// Runs of this shard in all.
    pub total: u64,
    /// The run that just finished.
    pub run_id: u64,
}

/// A progress callback (called from the worker threads).
pub type ProgressFn = Arc<dyn Fn(&SweepProgress) + Send + Sync>;

/// How to run a sweep.
#[derive(Clone)]
pub struct SweepOptions {
    /// The sweep directory (created if missing; resumed when it holds this sweep).
    pub out_dir: PathBuf,
    /// `Some((i, n))`: only the runs with `run_id mod n = i − 1` (i from 1).
    pub shard: Option<(u32, u32)>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Keep each run's full output under `runs/<run_id>/`.
    pub keep_runs: bool,
    /// Called after each finished run.
    pub progress: Option<ProgressFn>,
    /// How often `runs.parquet` is rewritten while runs finish.
    pub table_every: Duration,
}

impl std::fmt::Debug for SweepOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepOptions")
            .field("out_dir", &self.out_dir)
            .field("shard", &self.shard)
            .field("threads", &self.threads)
            .field("keep_runs", &self.keep_runs)
            .field("table_every", &self.table_every)
            .finish_non_exhaustive()
    }
}

impl SweepOptions {
    /// Defaults for `out_dir`: every run, all cores, summaries only, tables refreshed every 5 s.
    #[must_use]
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            shard: None,
            threads: 0,
            keep_runs: false,
            progress: None,
            table_every: Duration::from_secs(5),
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOutcome {
    /// The sweep directory.
    pub out_dir: PathBuf,
    /// Runs of this shard (all runs without sharding).
    pub planned: u64,
    /// Runs found already done (resumed).
    pub resumed: u64,
    /// Runs done by this call.
    pub ran: u64,
    /// The files written.
    pub files: SweepFiles,
}

/// `sweep.json`: what a sweep directory holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepState {
    /// Layout version.
    pub format: u32,
    /// Sweep name.
    pub name: String,
    /// [`SweepSpec::hash`].
    pub spec_sha256: String,
    /// [`SweepSpec::scenario_hash`].
    pub scenario_sha256: String,
    /// Program version that started it.
    pub program_version: String,
    /// `[i, n]` for a shard.
    pub shard: Option<(u32, u32)>,
    /// Runs planned for this directory.
    pub runs_planned: u64,
}

const STATE: &str = "sweep.json";
const SPEC: &str = "spec.json";
const JOURNAL: &str = "journal.jsonl";

/// Parses `i/n` (1 ≤ i ≤ n).
///
/// # Errors
/// [`SweepError::Option`] with the expected form.
pub fn parse_shard(s: &str) -> Result<(u32, u32), SweepError> {
    let bad = || SweepError::Option(format!("--shard `{s}`: expected i/n with 1 ≤ i ≤ n, e.g. 2/4"));
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n) = (i.trim().parse::<u32>().map_err(|_| bad())?, n.trim().parse::<u32>().map_err(|_| bad())?);
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The venues of the scenario with the fixed overrides: the per-venue columns.
pub(crate) fn venues_of(spec: &SweepSpec) -> Result<(Vec<String>, Option<u64>), SweepError> {
    let origin = spec.scenario_path.display().to_string();
    let (_, s) = edit_and_validate(&spec.scenario_text, &origin, &spec.fixed)?;
    Ok((s.venues.iter().map(|v| v.name.clone()).collect(), s.run.start_unix_ms()))
}

/// Runs one planned run: its scenario text (overrides applied), the recording.
///
/// # Errors
/// [`SweepError::Override`] for a bad value, [`SweepError::Run`] when the simulation fails.
pub fn run_one(
    spec: &SweepSpec,
    run: PlannedRun,
) -> Result<(String, cascade_sim::metrics::Recording), SweepError> {
    let sets: Vec<Set> = spec.sets_of(run.point);
    let (text, scenario) = apply_and_read(&spec.scenario_text, &spec.scenario_path, &sets)?;
    let opts = RunOptions { counterfactual: spec.counterfactual, ..RunOptions::default() };
    let rec = cascade_sim::run(&scenario, run.seed, &opts).map_err(|e| SweepError::Run {
        run_id: run.run_id,
        point: run.point,
        seed: run.seed,
        message: e.to_string(),
    })?;
    Ok((text, rec))
}

/// Checks or creates the sweep directory's state; returns the rows already journaled.
fn prepare(
    spec: &SweepSpec,
    opts: &SweepOptions,
    defs: &[FigureDef],
) -> Result<(Journal, BTreeMap<u64, RunRow>), SweepError> {
    let dir = &opts.out_dir;
    if dir.exists() && !dir.is_dir() {
        return Err(SweepError::Mismatch {
            dir: dir.clone(),
            problem: "a file, not a directory, is there".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(file_err(dir, "creating the sweep directory"))?;
    let state = SweepState {
        format: 1,
        name: spec.name.clone(),
        spec_sha256: spec.hash(),
        scenario_sha256: spec.scenario_hash(),
        program_version: PROGRAM_VERSION.into(),
        shard: opts.shard,
        runs_planned: spec.runs(opts.shard).len() as u64,
    };
    let state_path = dir.join(STATE);
    match read_state(dir)? {
        Some(old) => check_same(dir, &old, &state)?,
        None => {
            if dir.join(JOURNAL).exists() {
                return Err(SweepError::Mismatch {
                    dir: dir.clone(),
                    problem: format!("a journal without {STATE}: not a sweep directory this program wrote"),
                });
            }
            cascade_io::compare::write_json(&dir.join(SPEC), spec)?;
            cascade_io::compare::write_json(&state_path, &state)?;
        }
    }
    Journal::open(&dir.join(JOURNAL), defs)
}

/// Reads `sweep.json` of a directory (`None` when absent).
///
/// # Errors
/// [`SweepError::File`] or [`SweepError::Mismatch`] when it is unreadable.
pub fn read_state(dir: &Path) -> Result<Option<SweepState>, SweepError> {
    let path = dir.join(STATE);
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| SweepError::Mismatch {
            dir: dir.to_path_buf(),
            problem: format!("{STATE} is not readable: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SweepError::File { path, action: "reading", source: e }),
    }
}

/// Reads `spec.json` of a sweep directory.
///
/// # Errors
/// [`SweepError::File`] or [`SweepError::Mismatch`].
pub fn read_spec(dir: &Path) -> Result<SweepSpec, SweepError> {
    let path = dir.join(SPEC);
    let t = std::fs::read_to_string(&path).map_err(file_err(&path, "reading the sweep's spec"))?;
    serde_json::from_str(&t).map_err(|e| SweepError::Mismatch {
        dir: dir.to_path_buf(),
        problem: format!("{SPEC} is not readable: {e}"),
    })
}

fn check_same(dir: &Path, old: &SweepState, new: &SweepState) -> Result<(), SweepError> {
    let problem = if old.spec_sha256 != new.spec_sha256 {
        Some(format!(
            "holds another sweep (spec {} here, {} now): use another --out, or delete it to start over",
            &old.spec_sha256[..12.min(old.spec_sha256.len())],
            &new.spec_sha256[..12]
        ))
    } else if old.shard != new.shard {
        let show = |s: Option<(u32, u32)>| {
            s.map_or("the whole sweep".to_string(), |(i, n)| format!("shard {i}/{n}"))
        };
        Some(format!("holds {} of this sweep, not {}", show(old.shard), show(new.shard)))
    } else {
        None
    };
    problem.map_or(Ok(()), |problem| Err(SweepError::Mismatch { dir: dir.to_path_buf(), problem }))
}

struct Shared {
    journal: Journal,
    rows: BTreeMap<u64, RunRow>,
    last_table: Instant,
}

/// Runs the sweep (or its shard) into `opts.out_dir`, resuming what a killed run left there,
/// and writes the tables and the report.
///
/// # Errors
/// [`SweepError::Mismatch`] when the directory holds another sweep or shard; the first failed
/// run's error (runs finished before it stay journaled: run again to resume); file errors.
pub fn run_sweep(spec: &SweepSpec, opts: &SweepOptions) -> Result<SweepOutcome, SweepError> {
    if let Some((i, n)) = opts.shard
        && (i == 0 || n == 0 || i > n)
    {
        return Err(SweepError::Option(format!("shard {i}/{n}: expected 1 ≤ i ≤ n")));
    }
    let (venues, start) = venues_of(spec)?;
    let defs = figure_defs(&venues);
    let (journal, done) = prepare(spec, opts, &defs)?;
    let plan = spec.runs(opts.shard);
    let planned = plan.len() as u64;
    if let Some(stray) = done.keys().find(|id| plan.binary_search_by_key(*id, |r| r.run_id).is_err()) {
        return Err(SweepError::Mismatch {
            dir: opts.out_dir.clone(),
            problem: format!("the journal holds run {stray}, which is not in this sweep's plan"),
        });
    }
    let todo: Vec<PlannedRun> = plan.iter().copied().filter(|r| !done.contains_key(&r.run_id)).collect();
    let resumed = planned - todo.len() as u64;
    let shared = Mutex::new(Shared { journal, rows: done, last_table: Instant::now() });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| SweepError::Option(format!("cannot start {} threads: {e}", opts.threads)))?;
    let result: Result<(), SweepError> = pool.install(|| {
        todo.par_iter().with_max_len(1).try_for_each(|&run| {
            let (text, rec) = run_one(spec, run)?;
            if opts.keep_runs {
                let dir = opts.out_dir.join("runs").join(run.run_id.to_string());
                cascade_io::write_run_as(&dir, &rec, Some(&text), run.run_id)?;
            }
            let row = RunRow {
                run_id: run.run_id,
                point: run.point,
                seed: run.seed,
                scenario_hash: hex(&Sha256::digest(text.as_bytes())),
                figures: figures_of(&rec.summary, &venues),
            };
            drop(rec);
            let mut sh = shared.lock().map_err(|_| SweepError::Option("a worker thread panicked".into()))?;
            sh.journal.append(&row)?;
            sh.rows.insert(row.run_id, row);
            let done = sh.rows.len() as u64;
            if sh.last_table.elapsed() >= opts.table_every {
                let rows: Vec<&RunRow> = sh.rows.values().collect();
                write_runs_parquet(&opts.out_dir, &runs_table(spec, &defs, &rows, start))?;
                sh.last_table = Instant::now();
            }
            drop(sh);
            if let Some(p) = &opts.progress {
                p(&SweepProgress { done, total: planned, run_id: run.run_id });
            }
            Ok(())
        })
    });
    let sh = shared.into_inner().map_err(|_| SweepError::Option("a worker thread panicked".into()))?;
    // Whatever finished is in the journal; the table shows it even when a run failed.
    let rows: Vec<RunRow> = sh.rows.into_values().collect();
    let files = write_outputs(spec, &opts.out_dir, &defs, &rows, start)?;
    result?;
    Ok(SweepOutcome { out_dir: opts.out_dir.clone(), planned, resumed, ran: planned - resumed, files })
}

/// Writes `runs`, `aggregate` (Parquet and CSV) and the report from the rows.
pub(crate) fn write_outputs(
    spec: &SweepSpec,
    dir: &Path,
    defs: &[FigureDef],
    rows: &[RunRow],
    start: Option<u64>,
) -> Result<SweepFiles, SweepError> {
    let files = SweepFiles::in_dir(dir);
    let refs: Vec<&RunRow> = rows.iter().collect();
    let runs = runs_table(spec, defs, &refs, start);
    runs.write_parquet(&files.runs_parquet)?;
    runs.write_csv(&files.runs_csv)?;
    let agg = aggregate(rows, defs);
    let table = aggregate_table(spec, &agg);
    table.write_parquet(&files.aggregate_parquet)?;
    table.write_csv(&files.aggregate_csv)?;
    crate::report::write_report(spec, defs, rows, &agg, &files.report)?;
    Ok(files)
}

/// The journal's path in a sweep directory.
#[must_use]
pub fn journal_path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL)
}

/// The spec's path in a sweep directory.
#[must_use]
pub fn spec_path(dir: &Path) -> PathBuf {
    dir.join(SPEC)
}

/// The state's path in a sweep directory.
#[must_use]
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE)
}
