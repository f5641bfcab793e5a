//! The exchange data formats Cascade reads, their command-line names, and telling a file's
//! format from its header line or, failing that, its name (Binance archive names:
//! `<SYM>-aggTrades-YYYY-MM-DD.csv`, `<SYM>-1m-YYYY-MM.csv`, …).
//!
//! Must never: guess between formats a file does not tell apart — it asks for `--format`.

use std::io::{BufRead, BufReader, Read};

use crate::error::IoError;
use crate::exchange::source::DataFile;
use crate::exchange::{binance, bybit};

/// A data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Binance klines (USD-M, COIN-M, spot, mark and index price): 12 columns.
    BinanceKlines,
    /// Binance premium index klines (prices may be ≤ 0).
    BinancePremiumKlines,
    /// The 6-column `timestamp,open,high,low,close,volume` REST layout ([`crate::klines`]).
    BinanceRestKlines,
    /// Binance aggTrades.
    BinanceAggTrades,
    /// Binance trades.
    BinanceTrades,
    /// Binance bookDepth.
    BinanceBookDepth,
    /// Binance bookTicker.
    BinanceBookTicker,
    /// Binance metrics (open interest, long/short ratios).
    BinanceMetrics,
    /// Binance fundingRate.
    BinanceFunding,
    /// Binance liquidationSnapshot.
    BinanceLiquidations,
    /// Bybit klines.
    BybitKlines,
    /// Bybit public trading archive.
    BybitTrades,
    /// Hyperliquid node_fills.
    HyperliquidFills,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 13] = [
        Format::BinanceKlines,
        Format::BinancePremiumKlines,
        Format::BinanceRestKlines,
        Format::BinanceAggTrades,
        Format::BinanceTrades,
        Format::BinanceBookDepth,
        Format::BinanceBookTicker,
        Format::BinanceMetrics,
        Format::BinanceFunding,
        Format::BinanceLiquidations,
        Format::BybitKlines,
        Format::BybitTrades,
        Format::HyperliquidFills,
    ];

    /// The name on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::BinanceKlines => "binance-klines",
            Format::BinancePremiumKlines => "binance-premium-klines",
            Format::BinanceRestKlines => "binance-rest-klines",
            Format::BinanceAggTrades => "binance-aggtrades",
            Format::BinanceTrades => "binance-trades",
            Format::BinanceBookDepth => "binance-bookdepth",
            Format::BinanceBookTicker => "binance-bookticker",
            Format::BinanceMetrics => "binance-metrics",
            Format::BinanceFunding => "binance-funding",
            Format::BinanceLiquidations => "binance-liquidations",
            Format::BybitKlines => "bybit-klines",
            Format::BybitTrades => "bybit-trades",
            Format::HyperliquidFills => "hyperliquid-fills",
        }
    }

    /// The format named `name` on the command line.
    ///
    /// # Errors
    /// An unknown name, with the list of known ones.
    pub fn from_name(name: &str) -> Result<Format, String> {
        Format::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
            format!("unknown format `{name}`; known: auto, {}", Format::ALL.map(Format::name).join(", "))
        })
    }

    /// Header lines that identify the format (exactly, columns trimmed).
    fn headers(self) -> &'static [&'static [&'static str]] {
        match self {
            Format::BinanceKlines => &[binance::klines::COLUMNS],
            Format::BinanceRestKlines => &[&crate::klines::SHORT_COLUMNS],
            Format::BinanceAggTrades => &[binance::agg_trades::COLUMNS],
            Format::BinanceTrades => &[binance::trades::COLUMNS],
            Format::BinanceBookDepth => &[binance::book_depth::COLUMNS],
            Format::BinanceBookTicker => &[binance::book_ticker::COLUMNS],
            Format::BinanceMetrics => &[binance::metrics::COLUMNS],
            Format::BinanceFunding => &[binance::funding_rate::COLUMNS],
            Format::BinanceLiquidations => &[binance::liquidation_snapshot::COLUMNS],
            Format::BybitKlines => &[bybit::KLINE_COLUMNS],
            Format::BybitTrades => &[bybit::TRADE_COLUMNS, bybit::TRADE_COLUMNS_RPI],
            Format::BinancePremiumKlines | Format::HyperliquidFills => &[],
        }
    }
}

/// The format a file name says, if any (Binance archive names, `node_fills`).
#[must_use]
pub fn format_from_name(path: &str, inner: &str) -> Option<Format> {
    let has = |s: &str| inner.contains(s);
    if path.contains("premiumIndexKlines") {
        return Some(Format::BinancePremiumKlines);
    }
    if has("node_fills") {
        return Some(Format::HyperliquidFills);
    }
    let by_dataset = [
        ("-aggTrades-", Format::BinanceAggTrades),
        ("-trades-", Format::BinanceTrades),
        ("-bookDepth-", Format::BinanceBookDepth),
        ("-bookTicker-", Format::BinanceBookTicker),
        ("-metrics-", Format::BinanceMetrics),
        ("-fundingRate-", Format::BinanceFunding),
        ("-liquidationSnapshot-", Format::BinanceLiquidations),
    ];
    if let Some((_, f)) = by_dataset.iter().find(|(k, _)| has(k)) {
        return Some(*f);
    }
    const INTERVALS: [&str; 16] =
        ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1mo"];
    let parts: Vec<&str> = inner.split('-').collect();
    if parts.len() >= 3 && INTERVALS.contains(&parts[1]) {
        return Some(Format::BinanceKlines);
    }
    None
}

/// The format of `file`: its header line when it has one that names a format, else its name.
///
/// # Errors
/// The file cannot be read, or neither its first line nor its name tells the format.
pub fn detect(file: &mut DataFile) -> Result<Format, IoError> {
    let name_hint = format_from_name(&file.path().display().to_string(), &file.inner_name());
    let mut first = Vec::new();
    let name = file.name().to_path_buf();
    {
        let reader = file.reader()?;
        let mut r = BufReader::new(reader.take(1 << 20));
        r.read_until(b'\n', &mut first).map_err(|e| IoError::Cell {
            path: name.clone(),
            row: 1,
            line: 1,
            field: "-".into(),
            message: format!("cannot read the first line: {e}"),
        })?;
    }
    let line = String::from_utf8_lossy(&first);
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.starts_with('{') {
        return Ok(Format::HyperliquidFills);
    }
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    let by_header = Format::ALL.into_iter().find(|f| f.headers().iter().any(|h| h == &cells.as_slice()));
    match (by_header, name_hint) {
        (Some(Format::BinanceKlines), Some(Format::BinancePremiumKlines)) => Ok(Format::BinancePremiumKlines),
        (Some(f), _) | (None, Some(f)) => Ok(f),
        (None, None) => Err(IoError::Header {
            path: file.name().to_path_buf(),
            message: format!(
                "cannot tell the format from the first line (`{}`) or the file name; pass --format ({})",
                line.chars().take(120).collect::<String>(),
                Format::ALL.map(Format::name).join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names as data.binance.vision publishes them (zip entries carry the same stem).
    #[test]
    fn binance_archive_names_say_their_dataset() {
        let cases = [
            ("BTCUSDT-aggTrades-2025-10-10.csv", Some(Format::BinanceAggTrades)),
            ("BTCUSDT-trades-2025-10-10.csv", Some(Format::BinanceTrades)),
            ("BTCUSDT-bookDepth-2025-10-10.csv", Some(Format::BinanceBookDepth)),
            ("BTCUSDT-bookTicker-2024-03-05.csv", Some(Format::BinanceBookTicker)),
            ("BTCUSDT-metrics-2025-11-02.csv", Some(Format::BinanceMetrics)),
            ("BTCUSDT-fundingRate-2025-10.csv", Some(Format::BinanceFunding)),
            ("BTCUSD_PERP-liquidationSnapshot-2024-03-05.csv", Some(Format::BinanceLiquidations)),
            ("BTCUSDT-1m-2025-10.csv", Some(Format::BinanceKlines)),
            ("BTCUSD_PERP-4h-2025-10-10.csv", Some(Format::BinanceKlines)),
            ("node_fills_20251010_21", Some(Format::HyperliquidFills)),
            ("BTCUSDT_15m.csv", None),
            ("prices.csv", None),
        ];
        for (name, want) in cases {
            assert_eq!(format_from_name(name, name), want, "{name}");
        }
        let premium = "data/futures/um/daily/premiumIndexKlines/BTCUSDT/1m/BTCUSDT-1m-2025-10-10.zip";
        assert_eq!(
            format_from_name(premium, "BTCUSDT-1m-2025-10-10.csv"),
            Some(Format::BinancePremiumKlines)
        );
    }
}
