//! `cascade data inspect FILE`: reads a real exchange data file (Binance archive CSV or zip,
//! Bybit CSV or csv.gz, Hyperliquid node_fills) with the readers of `cascade_io::exchange` and
//! prints what it holds: format, rows, time range and the dataset's own figures; `--csv OUT`
//! also writes its rows as normalised CSV. Thin: every rule lives in cascade-io.

use std::path::PathBuf;

use anyhow::Context;
use cascade_io::exchange::{Format, Wrapping, inspect};

/// Arguments of `cascade data`.
#[derive(clap::Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand)]
enum DataCommand {
    /// Read a real exchange data file whole and print its format, rows, time range and figures
    /// (streaming: memory stays bounded on a file of any size).
    Inspect(InspectArgs),
}

/// Arguments of `cascade data inspect`.
#[derive(clap::Args)]
struct InspectArgs {
    /// The file: plain CSV, a zip holding one CSV, gzip CSV, or JSON lines.
    file: PathBuf,
    /// The format, or `auto` to tell it from the header line or the file name. One of: auto,
    /// binance-klines, binance-premium-klines, binance-rest-klines, binance-aggtrades,
    /// binance-trades, binance-bookdepth, binance-bookticker, binance-metrics, binance-funding,
    /// binance-liquidations, bybit-klines, bybit-trades, hyperliquid-fills.
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    format: String,
    /// Also write the rows as normalised CSV (Unix-ms times, exact decimals) to this file.
    #[arg(long, value_name = "OUT")]
    csv: Option<PathBuf>,
    /// Print the result as one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `cascade data …`.
///
/// # Errors
/// An unknown format name, or the reader's error (file, row, line, column).
pub fn run(args: &DataArgs) -> anyhow::Result<()> {
    match &args.command {
        DataCommand::Inspect(a) => run_inspect(a),
    }
}

fn run_inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let format = match args.format.as_str() {
        "auto" => None,
        name => Some(Format::from_name(name).map_err(anyhow::Error::msg)?),
    };
    let i = inspect(&args.file, format, args.csv.as_deref()).context("cannot read the data file")?;
    let wrapping = match i.wrapping {
        Wrapping::Plain => "plain",
        Wrapping::Zip => "zip",
        Wrapping::Gzip => "gzip",
    };
    let header = i.header.map_or("-", |h| if h { "yes" } else { "no" });
    if args.json {
        let mut figures = serde_json::Map::new();
        for (k, v) in &i.figures {
            figures.insert((*k).to_string(), serde_json::Value::String(v.clone()));
        }
        let doc = serde_json::json!({
            "file": i.file.display().to_string(),
            "format": i.format.name(),
            "wrapping": wrapping,
            "header": header,
            "rows": i.span.rows,
            "first_ms": i.span.min_ms,
            "last_ms": i.span.max_ms,
            "figures": figures,
        });
        crate::out::line(serde_json::to_string_pretty(&doc)?)?;
    } else {
        crate::out::line(format_args!("{}", i.file.display()))?;
        crate::out::line(format_args!("  {:<44} {}", "format", i.format.name()))?;
        crate::out::line(format_args!("  {:<44} {wrapping}", "wrapping"))?;
        crate::out::line(format_args!("  {:<44} {header}", "header line"))?;
        for (k, v) in &i.figures {
            crate::out::line(format_args!("  {k:<44} {v}"))?;
        }
    }
    if let Some(out) = &args.csv {
        eprintln!("  {} rows written to {}", i.span.rows, out.display());
    }
    Ok(())
}
