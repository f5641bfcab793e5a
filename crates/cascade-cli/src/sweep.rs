//! `cascade sweep SWEEP.toml [--out DIR] [--threads N] [--shard i/n] [--keep-runs]` and
//! `cascade sweep merge DIR... --out DIR`. Thin: parsing, running, merging and writing live in
//! cascade-sweep.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use cascade_sweep::{SweepOptions, SweepOutcome, SweepSpec, merge, parse_shard, run_sweep};

/// Arguments of `cascade sweep`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Sweep file (TOML): base scenario, parameters, seeds.
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Sweep directory (default `out/sweep-<name>`, `…-shard-i-of-n` for a shard); run the same
    /// command again to resume a killed sweep.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Run only shard i of n (runs with run_id mod n = i − 1), e.g. `--shard 2/4`.
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Keep each run's full output directory under `runs/<run_id>/`.
    #[arg(long)]
    keep_runs: bool,
}

#[derive(clap::Subcommand)]
enum SweepCommand {
    /// Join shard directories into one sweep directory (the tables an unsharded sweep writes).
    Merge {
        /// Shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs or merges a sweep.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    if let Some(SweepCommand::Merge { dirs, out }) = &args.command {
        let o = merge(dirs, out)?;
        return report(&o, "merged");
    }
    let Some(file) = &args.file else { anyhow::bail!("name a sweep file") };
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let spec = SweepSpec::from_file(file)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let base = format!("out/sweep-{}", spec.name);
        PathBuf::from(match shard {
            Some((i, n)) => format!("{base}-shard-{i}-of-{n}"),
            None => base,
        })
    });
    let started = Instant::now();
    let last = Arc::new(Mutex::new(None::<Instant>));
    let mut opts = SweepOptions::new(&out);
    opts.shard = shard;
    opts.threads = args.threads;
    opts.keep_runs = args.keep_runs;
    opts.progress = Some(Arc::new(move |p: &cascade_sweep::SweepProgress| {
        let Ok(mut l) = last.lock() else { return };
        if l.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) || p.done == p.total {
            *l = Some(Instant::now());
            let rate = p.done as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprintln!("sweep: {}/{} runs done ({rate:.2} runs/s)", p.done, p.total);
        }
    }));
    eprintln!(
        "sweep `{}`: {} points × {} seeds = {} runs{} → {}",
        spec.name,
        spec.points.len(),
        spec.seeds.len(),
        spec.run_count(),
        shard.map_or(String::new(), |(i, n)| format!(", shard {i}/{n}")),
        out.display()
    );
    let o = run_sweep(&spec, &opts).with_context(|| format!("sweep {}", file.display()))?;
    eprintln!("  ({:.2} s wall)", started.elapsed().as_secs_f64());
    report(&o, "done")
}

fn report(o: &SweepOutcome, what: &str) -> anyhow::Result<()> {
    crate::out::line(format_args!(
        "cascade sweep: {} runs {what} ({} resumed, {} run now) → {}",
        o.planned,
        o.resumed,
        o.ran,
        o.out_dir.display()
    ))?;
    for p in [&o.files.runs_parquet, &o.files.aggregate_parquet, &o.files.aggregate_csv, &o.files.report] {
        crate::out::line(format_args!("  {}", p.display()))?;
    }
    Ok(())
}
