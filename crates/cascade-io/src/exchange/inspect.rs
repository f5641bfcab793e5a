//! Reading a whole exchange file into the figures `cascade data inspect` prints (rows, time
//! range, each dataset's own figures), optionally writing its rows as normalised CSV — one
//! streaming pass, memory bounded whatever the file's size (except the 6-column REST klines,
//! read by [`crate::klines::read_klines`] into memory, as the scenario's `path` reads them).
//!
//! Must never: leave a half-written CSV under the asked name (it is written through
//! [`crate::write_atomic`]).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::binance::agg_trades::{AggTrade, TakerTally};
use crate::exchange::binance::book_depth::{BookDepth, DepthTally};
use crate::exchange::binance::book_ticker::{BookTicker, TickerTally};
use crate::exchange::binance::funding_rate::{FundingRate, FundingTally};
use crate::exchange::binance::klines::{Kline, KlineTally, PremiumKline};
use crate::exchange::binance::liquidation_snapshot::{LiquidationOrder, LiquidationTally};
use crate::exchange::binance::metrics::{Metrics, MetricsTally};
use crate::exchange::binance::trades::Trade;
use crate::exchange::bybit::{BybitKline, BybitKlineTally, BybitTrade};
use crate::exchange::csv_rows::{Record, Rows};
use crate::exchange::format::{Format, detect};
use crate::exchange::hyperliquid::{Fill, FillTally, Fills};
use crate::exchange::source::{DataFile, Wrapping};
use crate::exchange::summary::{Normalized, Range, Span, Tally, add, show, show_opt};

/// What a file holds.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The file (with `!entry` for a zip archive).
    pub file: PathBuf,
    /// Its format (given or detected).
    pub format: Format,
    /// How it was wrapped.
    pub wrapping: Wrapping,
    /// Whether it had a header line (`None` for JSON lines).
    pub header: Option<bool>,
    /// Rows and time range.
    pub span: Span,
    /// The dataset's own figures, (label, value) in display order.
    pub figures: Vec<(&'static str, String)>,
}

/// Reads `path` whole as `format` (detected when `None`), folding every row into the figures,
/// and writes the rows as normalised CSV to `csv_out` when given.
///
/// # Errors
/// The first bad row or cell (file, row, line, column), an unreadable or truncated file, a
/// format that cannot be detected, or a failure writing `csv_out`.
pub fn inspect(path: &Path, format: Option<Format>, csv_out: Option<&Path>) -> Result<Inspection, IoError> {
    let mut file = DataFile::open(path)?;
    let format = match format {
        Some(f) => f,
        None => detect(&mut file)?,
    };
    let name = file.name().to_path_buf();
    let wrapping = file.wrapping();
    let (span, figures, header) = match format {
        Format::BinanceKlines => csv_rows::<Kline, KlineTally>(&mut file, csv_out)?,
        Format::BinancePremiumKlines => csv_rows::<PremiumKline, KlineTally>(&mut file, csv_out)?,
        Format::BinanceRestKlines => rest_klines(path, csv_out)?,
        Format::BinanceAggTrades => csv_rows::<AggTrade, TakerTally>(&mut file, csv_out)?,
        Format::BinanceTrades => csv_rows::<Trade, TakerTally>(&mut file, csv_out)?,
        Format::BinanceBookDepth => csv_rows::<BookDepth, DepthTally>(&mut file, csv_out)?,
        Format::BinanceBookTicker => csv_rows::<BookTicker, TickerTally>(&mut file, csv_out)?,
        Format::BinanceMetrics => csv_rows::<Metrics, MetricsTally>(&mut file, csv_out)?,
        Format::BinanceFunding => csv_rows::<FundingRate, FundingTally>(&mut file, csv_out)?,
        Format::BinanceLiquidations => csv_rows::<LiquidationOrder, LiquidationTally>(&mut file, csv_out)?,
        Format::BybitKlines => csv_rows::<BybitKline, BybitKlineTally>(&mut file, csv_out)?,
        Format::BybitTrades => csv_rows::<BybitTrade, TakerTally>(&mut file, csv_out)?,
        Format::HyperliquidFills => {
            let (span, figures) = {
                let fills = Fills::new(&mut file)?;
                fold::<Fill, FillTally>(fills, |f| f.time, csv_out)?
            };
            (span, figures, None)
        }
    };
    Ok(Inspection { file: name, format, wrapping, header, span, figures })
}

/// Labelled figures, in display order.
type Figures = Vec<(&'static str, String)>;
/// What reading a file gives: span, figures, whether it had a header line.
type Folded = (Span, Figures, Option<bool>);

fn csv_rows<T, A>(file: &mut DataFile, csv_out: Option<&Path>) -> Result<Folded, IoError>
where
    T: Record + Normalized,
    A: Tally<T>,
{
    let mut rows = Rows::<T>::new(file)?;
    let (span, figures) = fold::<T, A>(rows.by_ref(), T::time_ms, csv_out)?;
    Ok((span, figures, Some(rows.had_header())))
}

/// Folds every row into a [`Span`] and the dataset's tally, writing normalised CSV if asked.
fn fold<T, A>(
    rows: impl Iterator<Item = Result<T, IoError>>,
    time: fn(&T) -> i64,
    csv_out: Option<&Path>,
) -> Result<(Span, Figures), IoError>
where
    T: Normalized,
    A: Tally<T>,
{
    let mut span = Span::default();
    let mut tally = A::default();
    match csv_out {
        None => {
            for r in rows {
                let r = r?;
                span.add(time(&r));
                tally.add(&r);
            }
        }
        Some(out) => crate::write_atomic(out, |p, w: &mut BufWriter<File>| {
            let csv_err = |source| IoError::Csv { path: p.to_path_buf(), source };
            let mut wr = csv::Writer::from_writer(w);
            wr.write_record(T::COLUMNS).map_err(csv_err)?;
            let mut cells = Vec::with_capacity(T::COLUMNS.len());
            for r in rows {
                let r = r?;
                span.add(time(&r));
                tally.add(&r);
                cells.clear();
                r.cells(&mut cells);
                wr.write_record(&cells).map_err(csv_err)?;
            }
            wr.flush().map_err(|source| IoError::File { path: p.to_path_buf(), action: "writing", source })
        })?,
    }
    let mut figures = span.figures();
    figures.extend(tally.figures());
    Ok((span, figures))
}

/// The 6-column REST klines through [`crate::klines::read_klines`] (checked: no gaps, in order).
fn rest_klines(path: &Path, csv_out: Option<&Path>) -> Result<Folded, IoError> {
    let bars = crate::klines::read_klines(path)?;
    let rows = bars.into_iter().map(|k| Ok(RestKline(k)));
    let (span, figures) =
        fold::<RestKline, RestTally>(rows, |k| i64::try_from(k.0.open_time).unwrap_or(i64::MAX), csv_out)?;
    Ok((span, figures, Some(true)))
}

struct RestKline(crate::klines::Kline);

impl Normalized for RestKline {
    const COLUMNS: &'static [&'static str] =
        &["open_time", "open", "high", "low", "close", "volume", "close_time"];

    fn cells(&self, out: &mut Vec<String>) {
        let k = &self.0;
        out.extend([
            k.open_time.to_string(),
            k.open.to_string(),
            k.high.to_string(),
            k.low.to_string(),
            k.close.to_string(),
            k.volume.to_string(),
            k.close_time.to_string(),
        ]);
    }
}

#[derive(Default)]
struct RestTally {
    open: Option<Decimal>,
    close: Option<Decimal>,
    range: Range,
    volume: Decimal,
}

impl Tally<RestKline> for RestTally {
    fn add(&mut self, k: &RestKline) {
        self.open.get_or_insert(k.0.open);
        self.close = Some(k.0.close);
        self.range.add(k.0.low);
        self.range.add(k.0.high);
        self.volume = add(self.volume, k.0.volume);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("first open", show_opt(self.open)),
            ("last close", show_opt(self.close)),
            ("low .. high", self.range.text()),
            ("volume", show(self.volume)),
        ]
    }
}
