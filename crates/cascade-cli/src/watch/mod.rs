//! `cascade watch [FILE]`: cascade-risk indicators over a stream of Binance `forceOrder`,
//! `aggTrade` and `markPriceUpdate` JSON lines (a file, `--follow` to tail one still being
//! written, or standard input). A dashboard on a terminal; JSON lines of indicators, alerts
//! and warnings otherwise (`--json`). Thin: cascade-io reads the lines, cascade-watch computes,
//! this module moves bytes and draws.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use cascade_io::stream::{LineError, Polled, ReadStats, StreamReader};
use cascade_watch::{Counts, Output, RiskLevel, WatchConfig, Watcher};
use rust_decimal::Decimal;

mod clusters;
mod dashboard;

/// Arguments of `cascade watch`.
#[derive(clap::Args)]
pub struct WatchArgs {
    /// JSON lines of events (one event, a `{"stream":…,"data":…}` wrapper or an array per
    /// line); standard input when omitted or `-`.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Keep reading FILE as it grows (like `tail -f`); stop with Ctrl-C (or q on the dashboard).
    #[arg(long)]
    follow: bool,
    /// JSON lines on standard output even on a terminal (the default when it is not one).
    #[arg(long)]
    json: bool,
    /// In JSON, one indicators line per symbol every N seconds of stream time (alerts and
    /// warnings are always written).
    #[arg(long, default_value_t = 1, value_name = "N")]
    every: u64,
    /// Positions CSV (the `cascade liqmap` format) whose liquidation prices make the clusters
    /// the distance is measured to.
    #[arg(long, value_name = "POSITIONS.csv")]
    clusters: Option<PathBuf>,
    /// Smallest notional of a cluster (one price band of one side), quote currency.
    #[arg(long, default_value = "1000000", value_name = "USD")]
    cluster_min: Decimal,
    /// Width of the cluster bands, quote currency (default: a round number near 0.5% of each
    /// coin's mean liquidation price).
    #[arg(long, value_name = "PRICE")]
    cluster_band: Option<Decimal>,
    /// Liquidated notional per minute for elevated, high, critical [default: 250000,1000000,5000000].
    #[arg(long, value_delimiter = ',', num_args = 1, value_name = "E,H,C")]
    liq_levels: Option<Vec<Decimal>>,
    /// Absolute 5-minute price change, percent, for elevated, high, critical [default: 1,2.5,5].
    #[arg(long, value_delimiter = ',', num_args = 1, value_name = "E,H,C")]
    move_levels: Option<Vec<f64>>,
    /// Liquidation acceleration (last minute ÷ the one before) that makes a high level
    /// critical [default: 2].
    #[arg(long)]
    accel_ratio: Option<f64>,
    /// Distance to a cluster, percent, that raises the level by one [default: 1].
    #[arg(long, value_name = "PCT")]
    cluster_near_pct: Option<f64>,
    /// Lowest level that raises an alert: elevated, high or critical.
    #[arg(long, default_value = "high")]
    alert_level: String,
    /// Seconds below the alert level before an alert is cleared [default: 60].
    #[arg(long, value_name = "S")]
    clear_after: Option<u64>,
    /// Mark-price updates further apart than this (ms) are reported as a gap [default: 10000].
    #[arg(long, value_name = "MS")]
    gap_ms: Option<u64>,
    /// Skipped lines described on standard error before they are only counted.
    #[arg(long, default_value_t = 20, value_name = "N")]
    max_warnings: u64,
}

fn three<T: Copy>(v: &[T], option: &str) -> anyhow::Result<[T; 3]> {
    match v {
        [a, b, c] => Ok([*a, *b, *c]),
        _ => bail!(
            "--{option}: expected three comma-separated values (elevated,high,critical), got {}",
            v.len()
        ),
    }
}

/// The watcher's configuration from the options (defaults for the ones not given).
fn config(args: &WatchArgs) -> anyhow::Result<WatchConfig> {
    let mut c = WatchConfig::default();
    if let Some(v) = &args.liq_levels {
        c.liq_levels = three(v, "liq-levels")?;
    }
    if let Some(v) = &args.move_levels {
        c.move_levels = three(v, "move-levels")?;
    }
    if let Some(x) = args.accel_ratio {
        c.accel_ratio = x;
    }
    if let Some(x) = args.cluster_near_pct {
        c.cluster_near_pct = x;
    }
    c.alert_level = RiskLevel::parse(&args.alert_level).with_context(|| {
        format!("--alert-level {}: expected elevated, high or critical", args.alert_level)
    })?;
    if let Some(x) = args.clear_after {
        c.clear_after_s = x;
    }
    if let Some(x) = args.gap_ms {
        c.gap_ms = x;
    }
    c.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    Ok(c)
}

/// The input: its name for messages and a reader.
fn open(args: &WatchArgs) -> anyhow::Result<(String, Box<dyn BufRead>)> {
    match args.file.as_deref().filter(|p| *p != Path::new("-")) {
        Some(p) => {
            let f = File::open(p).with_context(|| format!("{}: cannot open the stream file", p.display()))?;
            Ok((p.display().to_string(), Box::new(BufReader::with_capacity(1 << 20, f))))
        }
        None if args.follow => bail!("--follow needs a FILE (standard input is already followed)"),
        None => Ok(("<stdin>".into(), Box::new(BufReader::with_capacity(1 << 20, std::io::stdin())))),
    }
}

/// The reader, the watcher and what the two have said, shared by both front ends.
pub(crate) struct Session {
    pub source: String,
    pub reader: StreamReader<Box<dyn BufRead>>,
    pub watcher: Watcher,
    pub out: Vec<Output>,
    pub follow: bool,
    shown: u64,
    max_warnings: u64,
}

impl Session {
    /// Reports a skipped line on standard error (the first `--max-warnings` of them).
    pub fn skipped(&mut self, line: u64, e: &LineError) {
        self.shown += 1;
        if self.shown <= self.max_warnings {
            eprintln!("warning: {}:{line}: {e} (skipped)", self.source);
        }
        if self.shown == self.max_warnings + 1 {
            eprintln!("warning: further skipped lines are only counted");
        }
    }

    /// What was read, as one line for people.
    pub fn summary_text(r: ReadStats, c: Counts) -> String {
        format!(
            "read {} lines: {} events, {} malformed and {} unsupported skipped; {} duplicates, {} out of order, {} late \
             dropped, {} mark gaps, {} trades missing; {} alerts",
            r.lines,
            r.events,
            r.malformed,
            r.unsupported,
            c.duplicates,
            c.out_of_order,
            c.late,
            c.mark_gaps,
            c.missing_trades,
            c.alerts
        )
    }
}

/// How long to wait for a followed file to grow.
pub(crate) const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// Runs the command.
pub fn run(args: &WatchArgs) -> anyhow::Result<()> {
    if args.every == 0 {
        bail!("--every: must be at least 1 (second)");
    }
    let mut watcher = Watcher::new(config(args)?)?;
    if let Some(path) = &args.clusters {
        let clusters = clusters::from_positions(path, args.cluster_band, args.cluster_min)?;
        watcher = watcher.with_clusters(clusters, cascade_report::liqmap::coin_of);
    }
    let (source, input) = open(args)?;
    let mut session = Session {
        source,
        reader: StreamReader::new(input).following(args.follow),
        watcher,
        out: Vec::new(),
        follow: args.follow,
        shown: 0,
        max_warnings: args.max_warnings,
    };
    if !args.json && std::io::stdout().is_terminal() {
        dashboard::run(&mut session)
    } else {
        json(&mut session, args.every)
    }
}

/// Writes every output as a JSON line; `Ok(false)` once the reader of standard output is gone.
fn write_outputs(w: &mut impl Write, out: &mut Vec<Output>, every: u64) -> anyhow::Result<bool> {
    for o in out.drain(..) {
        if let Output::Indicators(i) = &o {
            if (i.time_ms / 1000) % every != 0 {
                continue;
            }
        }
        let r = serde_json::to_writer(&mut *w, &o)
            .map_err(std::io::Error::from)
            .and_then(|()| w.write_all(b"\n"));
        match r {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(false),
            other => other.context("writing to standard output")?,
        }
    }
    Ok(true)
}

/// The JSON-lines front end.
fn json(s: &mut Session, every: u64) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    loop {
        match s.reader.poll().with_context(|| format!("{}: reading", s.source))? {
            Polled::Event(e) => {
                s.watcher.push(e, &mut s.out);
                if !s.out.is_empty() && !write_outputs(&mut w, &mut s.out, every)? {
                    return Ok(());
                }
            }
            Polled::Skipped { line, error } => s.skipped(line, &error),
            Polled::End if s.follow => {
                match w.flush() {
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(()),
                    other => other.context("writing to standard output")?,
                }
                std::thread::sleep(FOLLOW_POLL);
            }
            Polled::End => break,
        }
    }
    s.watcher.finish(&mut s.out);
    if !write_outputs(&mut w, &mut s.out, every)? {
        return Ok(());
    }
    let (r, c) = (s.reader.stats(), s.watcher.counts());
    let summary = serde_json::json!({"type": "summary", "read": r, "watch": c});
    let done = writeln!(w, "{summary}").and_then(|()| w.flush());
    match done {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(()),
        other => other.context("writing to standard output")?,
    }
    eprintln!("{}: {}", s.source, Session::summary_text(r, c));
    Ok(())
}
