//! Reads the inputs of the estimated liquidation map (`cascade liqmap --oi … --prices …`):
//! Binance futures metrics files (5-minute open interest and long/short ratios, read by
//! `cascade_io::exchange::binance::metrics`) and kline files (`cascade_io::read_klines`: the
//! 12-column archive layout or the 6-column REST layout; plain, zipped or gzipped), and hands
//! them to the model (`estimate.rs`). Every error names the file and, for a row, its number.
//! No arithmetic here.

use std::path::{Path, PathBuf};

use cascade_engine::margin::Venue;
use cascade_io::exchange::binance::metrics::Metrics;
use cascade_io::exchange::{DataFile, Rows};

use super::estimate::{EstimateError, EstimateOptions, OiMap, OiPoint, OiSource, PriceBar, build_oi_maps};
use crate::error::ReportError;

/// One metrics file and the price file of the same symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OiInput {
    /// Binance metrics CSV (or its zip).
    pub metrics: PathBuf,
    /// Kline file of the same symbol.
    pub prices: PathBuf,
}

fn oi_err(path: &Path, message: String) -> ReportError {
    ReportError::OpenInterest { path: path.to_path_buf(), message }
}

/// Reads a metrics file and a kline file into a source (venue Binance: the metrics files are
/// Binance's). The symbol is the metrics' own; it must be the same on every row.
///
/// # Errors
/// [`ReportError::Io`] naming the file, row, line and column of a bad cell;
/// [`ReportError::OpenInterest`] for a file without rows or a row whose symbol differs.
pub fn read_source(input: &OiInput) -> Result<OiSource, ReportError> {
    let mut file = DataFile::open(&input.metrics)?;
    let mut oi = Vec::new();
    let mut symbol: Option<String> = None;
    for (i, m) in Rows::<Metrics>::new(&mut file)?.enumerate() {
        let m = m?;
        let row = i as u64 + 1;
        match &symbol {
            None => symbol = Some(m.symbol.clone()),
            Some(s) if *s != m.symbol => {
                return Err(oi_err(
                    &input.metrics,
                    format!(
                        "row {row}, field `symbol`: `{}` differs from `{s}` on the rows before",
                        m.symbol
                    ),
                ));
            }
            Some(_) => {}
        }
        oi.push(OiPoint {
            row,
            time_ms: m.create_time,
            open_interest: m.sum_open_interest,
            taker_ratio: m.sum_taker_long_short_vol_ratio,
            top_position_ratio: m.sum_toptrader_long_short_ratio,
            account_ratio: m.count_long_short_ratio,
        });
    }
    let symbol = symbol.ok_or_else(|| oi_err(&input.metrics, "no open-interest row in the file".into()))?;
    let prices = cascade_io::read_klines(&input.prices)?
        .into_iter()
        .map(|k| PriceBar {
            open_time: i64::try_from(k.open_time).unwrap_or(i64::MAX),
            close_time: i64::try_from(k.close_time).unwrap_or(i64::MAX),
            open: k.open,
            high: k.high,
            low: k.low,
            close: k.close,
        })
        .collect();
    Ok(OiSource { venue: Venue::Binance, symbol, oi, prices })
}

/// Reads every input and builds the estimated maps, one per coin.
///
/// # Errors
/// As [`read_source`]; the model's errors name the metrics file (and the price file when the
/// two do not overlap in time).
pub fn build_from_files(
    inputs: &[OiInput],
    opts: &EstimateOptions,
    band: Option<rust_decimal::Decimal>,
    range_pct: rust_decimal::Decimal,
) -> Result<Vec<OiMap>, ReportError> {
    let sources = inputs.iter().map(read_source).collect::<Result<Vec<_>, _>>()?;
    build_oi_maps(&sources, opts, band, range_pct).map_err(|(i, e)| {
        let input = &inputs[i.min(inputs.len().saturating_sub(1))];
        match e {
            EstimateError::NoOverlap { .. } => {
                oi_err(&input.metrics, format!("{e} (price file {})", input.prices.display()))
            }
            EstimateError::Options(m) if m.starts_with("--") => {
                let (option, message) = m.split_once(' ').unwrap_or(("--range", m.as_str()));
                ReportError::InvalidOption {
                    option: if option == "--band" { "band" } else { "range" },
                    message: message.to_string(),
                }
            }
            e => oi_err(&input.metrics, e.to_string()),
        }
    })
}
