//! `cascade stress PORTFOLIO.toml [SCENARIO…]`: thin. Parses the arguments, calls
//! [`cascade_stress::stress`] and prints its table (or JSON); `--out DIR` also writes
//! `stress.json` and `stress.html` there.

use std::path::PathBuf;

/// Arguments of `cascade stress`.
#[derive(clap::Args)]
pub struct StressArgs {
    /// The portfolio file (TOML: [[accounts]], [[holdings]], [[routes]], [[transfers]]).
    portfolio: PathBuf,
    /// Scenarios: library names (shock, outage, nov-21-replay, depeg, oct-10-reduced,
    /// oct-10-2025) or scenario files; default: shock, outage, nov-21-replay, depeg.
    scenarios: Vec<String>,
    /// Seed of every run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where library names resolve.
    #[arg(long, default_value = "scenarios")]
    library: PathBuf,
    /// Seconds between two samples of the accounts.
    #[arg(long, default_value_t = 10)]
    sample_s: u64,
    /// Skip the margin and transfer solve (one run per scenario).
    #[arg(long)]
    no_solve: bool,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write stress.json and stress.html into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs the stress test and prints it.
///
/// # Errors
/// A bad portfolio or scenario (file, line, field named), a simulation failure, an unwritable
/// output.
pub fn run(args: &StressArgs) -> anyhow::Result<()> {
    let names =
        if args.scenarios.is_empty() { cascade_stress::default_names() } else { args.scenarios.clone() };
    let opts = cascade_stress::StressOptions {
        seed: args.seed,
        library_dir: args.library.clone(),
        sample_s: args.sample_s,
        solve: !args.no_solve,
    };
    let report = cascade_stress::stress(&args.portfolio, &names, &opts)?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("stress.json");
        cascade_io::files::write_atomic(&path, |p, w| {
            std::io::Write::write_all(w, json.as_bytes()).map_err(|source| cascade_io::IoError::File {
                path: p.to_path_buf(),
                action: "writing",
                source,
            })
        })?;
        cascade_stress::page::write_page(&report, &dir.join("stress.html"))?;
    }
    if args.json {
        crate::out::line(format_args!("{json}"))?;
    } else {
        crate::out::line(format_args!("{}", report.table()))?;
    }
    Ok(())
}
