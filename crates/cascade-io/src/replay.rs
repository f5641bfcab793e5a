//! The tables only a replay writes (`cascade replay`): the real path next to the simulated marks
//! (`real_path`), and real against simulated liquidations per minute and side
//! (`liquidation_compare`), with the reader of the real liquidation files they compare with.
//!
//! A replayed asset's prices come from a kline file (its closes, [`crate::read_kline_path`]) or
//! from a Binance trades / aggTrades file ([`read_prices`]), made into minute closes the same
//! way: the first trade's price at the start of its minute, then, for each minute with trades,
//! its last trade's price at the minute's end (a minute without trades has no point: the path
//! is interpolated across it).
//!
//! Real liquidations come from a Binance USD-M `liquidationSnapshot` archive file, Binance
//! `forceOrder` websocket JSON lines, or Hyperliquid `node_fills` (only the liquidated account's
//! fills count). Each becomes a time, a symbol, a side (the position liquidated, long or short)
//! and a notional in the quote currency. Every bad row or line is an error naming the file and
//! the line (a replay compares, it does not skim). No simulation logic lives here: the
//! comparison is a per-minute sum of two lists.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use cascade_sim::metrics::{LiquidationRow, PositionSide, SeriesRow};
use cascade_sim::scenario::{Dec, PricePath, PricePoint};
use cascade_watch::{Side as StreamSide, StreamEvent};
use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::binance::agg_trades::AggTrade;
use crate::exchange::binance::liquidation_snapshot::{LiquidationOrder, Side as SnapshotSide};
use crate::exchange::binance::trades::Trade;
use crate::exchange::format::{Format, detect};
use crate::exchange::hyperliquid::Fills;
use crate::exchange::{DataFile, Rows};
use crate::table::{Cell, Column, ColumnType, Table, col};

/// Which exchange a real liquidation file comes from: the simulated venues it is compared with
/// are those under that exchange's rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationSource {
    /// Binance liquidationSnapshot or forceOrder.
    Binance,
    /// Hyperliquid node_fills.
    Hyperliquid,
}

impl LiquidationSource {
    /// The rule-set name of the scenario's `[[venues]] rules` this source is compared with.
    #[must_use]
    pub fn rules(self) -> &'static str {
        match self {
            LiquidationSource::Binance => "binance",
            LiquidationSource::Hyperliquid => "hyperliquid",
        }
    }
}

/// One real liquidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealLiquidation {
    /// Unix ms UTC (order time, trade time or fill time).
    pub time_ms: u64,
    /// Symbol or coin as the exchange writes it (`BTCUSDT`, `BTC`); for a liquidationSnapshot
    /// file, the symbol its name starts with.
    pub symbol: String,
    /// The position liquidated.
    pub side: PositionSide,
    /// Notional in the quote currency: filled quantity × average price (quantity × order price
    /// when nothing is reported filled).
    pub notional: Decimal,
}

/// A real liquidation file, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealLiquidations {
    /// Which exchange wrote it.
    pub source: LiquidationSource,
    /// Its liquidations, in file order.
    pub rows: Vec<RealLiquidation>,
}

/// Reads a real liquidation file: the format from its first line (a `forceOrder` event, any
/// other JSON object: node_fills) or its header / name (liquidationSnapshot); plain, zip or gzip.
///
/// # Errors
/// [`IoError`] naming the file and the row or line of the first bad record; a file of another
/// dataset, or a COIN-M liquidationSnapshot (quantities in contracts), is refused with a reason.
pub fn read_real_liquidations(path: &Path) -> Result<RealLiquidations, IoError> {
    if first_line(path)?.contains("forceOrder") {
        return read_force_orders(path);
    }
    let mut file = DataFile::open(path)?;
    match detect(&mut file)? {
        Format::BinanceLiquidations => read_snapshot(path, &mut file),
        Format::HyperliquidFills => read_fills(&mut file),
        other => Err(IoError::Header {
            path: path.to_path_buf(),
            message: format!(
                "a {} file, not liquidations (expected a Binance liquidationSnapshot, forceOrder JSON lines \
                 or Hyperliquid node_fills)",
                other.name()
            ),
        }),
    }
}

fn first_line(path: &Path) -> Result<String, IoError> {
    let mut file = DataFile::open(path)?;
    let mut first = Vec::new();
    let mut r = BufReader::new(std::io::Read::take(file.reader()?, 1 << 20));
    r.read_until(b'\n', &mut first).map_err(|e| IoError::File {
        path: path.to_path_buf(),
        action: "reading",
        source: e,
    })?;
    Ok(String::from_utf8_lossy(&first).into_owned())
}

fn read_snapshot(path: &Path, file: &mut DataFile) -> Result<RealLiquidations, IoError> {
    let inner = file.inner_name();
    let symbol = inner.split('-').next().unwrap_or_default().to_string();
    if symbol.contains('_') {
        return Err(IoError::Header {
            path: path.to_path_buf(),
            message: format!(
                "`{symbol}` is a COIN-M contract (quantities in contracts, not coins): only USD-M \
                 liquidationSnapshot files are compared"
            ),
        });
    }
    let mut rows = Vec::new();
    for o in Rows::<LiquidationOrder>::new(file)? {
        let o = o?;
        let filled = o.accumulated_fill_quantity * o.average_price;
        rows.push(RealLiquidation {
            time_ms: u64::try_from(o.time).unwrap_or(0),
            symbol: symbol.clone(),
            side: match o.side {
                SnapshotSide::Sell => PositionSide::Long,
                SnapshotSide::Buy => PositionSide::Short,
            },
            notional: if filled.is_zero() { o.original_quantity * o.price } else { filled },
        });
    }
    Ok(RealLiquidations { source: LiquidationSource::Binance, rows })
}

fn read_force_orders(path: &Path) -> Result<RealLiquidations, IoError> {
    let mut file = DataFile::open(path)?;
    let name = file.name().to_path_buf();
    let reader = BufReader::new(file.reader()?);
    let mut rows = Vec::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let bad = |message: String| IoError::Cell {
            path: name.clone(),
            row: line_no,
            line: line_no,
            field: "-".into(),
            message,
        };
        let line = line.map_err(|e| bad(format!("cannot read: {e}")))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut problem = None;
        crate::stream::parse_line(&line, &mut |e| match e {
            Ok(StreamEvent::ForceOrder(o)) => rows.push(RealLiquidation {
                time_ms: o.trade_time,
                notional: o.notional(),
                side: match o.side {
                    StreamSide::Sell => PositionSide::Long,
                    StreamSide::Buy => PositionSide::Short,
                },
                symbol: o.symbol,
            }),
            Ok(_) => problem = Some("not a forceOrder event".to_string()),
            Err(e) => problem = Some(e.to_string()),
        });
        if let Some(p) = problem {
            return Err(bad(p));
        }
    }
    Ok(RealLiquidations { source: LiquidationSource::Binance, rows })
}

fn read_fills(file: &mut DataFile) -> Result<RealLiquidations, IoError> {
    let mut rows = Vec::new();
    for f in Fills::new(file)? {
        let f = f?;
        if !f.is_liquidated_side() {
            continue;
        }
        rows.push(RealLiquidation {
            time_ms: u64::try_from(f.time).unwrap_or(0),
            symbol: f.coin.clone(),
            // The liquidated account sells to close a long, buys to close a short.
            side: if f.buy { PositionSide::Short } else { PositionSide::Long },
            notional: f.sz * f.px,
        });
    }
    Ok(RealLiquidations { source: LiquidationSource::Hyperliquid, rows })
}

/// The price path of a price file: Binance trades or aggTrades made into minute closes (see
/// the module doc), anything else read as klines ([`crate::read_kline_path`]).
///
/// # Errors
/// [`IoError`] naming the file and the row of the first bad record; trades out of time order,
/// or a file with no trade, are refused.
pub fn read_prices(path: &Path) -> Result<PricePath, IoError> {
    let mut file = DataFile::open(path)?;
    let mut trades: Vec<(i64, Decimal)> = Vec::new();
    match detect(&mut file) {
        Ok(Format::BinanceTrades) => {
            for t in Rows::<Trade>::new(&mut file)? {
                let t = t?;
                trades.push((t.time, t.price));
            }
        }
        Ok(Format::BinanceAggTrades) => {
            for t in Rows::<AggTrade>::new(&mut file)? {
                let t = t?;
                trades.push((t.transact_time, t.price));
            }
        }
        _ => return crate::read_kline_path(path),
    }
    let bad = |message: String| IoError::Header { path: path.to_path_buf(), message };
    let Some(&(first_t, first_p)) = trades.first() else {
        return Err(bad("no trade in the file".into()));
    };
    let minute = |t: i64| u64::try_from(t.div_euclid(60_000)).unwrap_or(0) * 60_000;
    let mut points = vec![PricePoint { time_ms: minute(first_t), price: Dec(first_p) }];
    for (row, w) in trades.windows(2).enumerate() {
        let ((t0, p0), (t1, _)) = (w[0], w[1]);
        if t1 < t0 {
            return Err(bad(format!("row {}: trade time {t1} is before the previous row's {t0}", row + 2)));
        }
        if minute(t1) != minute(t0) {
            points.push(PricePoint { time_ms: minute(t0) + 60_000, price: Dec(p0) });
        }
    }
    let &(last_t, last_p) = trades.last().unwrap_or(&(first_t, first_p));
    points.push(PricePoint { time_ms: minute(last_t) + 60_000, price: Dec(last_p) });
    PricePath::new(path.display().to_string(), points).map_err(bad)
}

/// `real_path`: each close of a replayed asset's file inside the run, beside every market of
/// that asset as sampled just after the price step at that close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealPathRow {
    /// Time of the close (its bar's close time + 1 ms), milliseconds since the run start.
    pub time_ms: u64,
    /// Asset name, as in the scenario.
    pub asset: String,
    /// The file's close, exact.
    pub real_close: Decimal,
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// The market's simulated index in the first sample after that close (equal to the close
    /// when the price step falls on it).
    pub index: Option<Decimal>,
    /// The market's simulated mark in that sample.
    pub mark: Option<Decimal>,
}

static REAL_PATH: [Column<RealPathRow>; 7] = [
    col!(time_ms, U64),
    col!(asset, Str),
    col!(real_close, Dec),
    col!(venue, Str),
    col!(instrument, Str),
    col!(index, OptDec),
    col!(mark, OptDec),
];

impl Table for RealPathRow {
    const NAME: &'static str = "real_path";
    fn columns() -> &'static [Column<Self>] {
        &REAL_PATH
    }
}

/// The `real_path` rows of one replayed asset: every point of `path` from the run start
/// `start_ms` (Unix ms) to before its end `duration_ms` later (no price step is taken at the
/// end itself), for each of `markets` ((venue,
/// instrument) of the asset), joined with the first series row after that time (a sample at
/// time t is taken before the price step at t, so the first one after shows it).
#[must_use]
pub fn real_path_rows(
    asset: &str,
    path: &PricePath,
    start_ms: u64,
    duration_ms: u64,
    markets: &[(String, String)],
    series: &[SeriesRow],
) -> Vec<RealPathRow> {
    let mut by_market: BTreeMap<(&str, &str), Vec<&SeriesRow>> = BTreeMap::new();
    for r in series {
        by_market.entry((r.venue.as_str(), r.instrument.as_str())).or_default().push(r);
    }
    let mut out = Vec::new();
    for p in path.points() {
        if p.time_ms < start_ms || p.time_ms - start_ms >= duration_ms {
            continue;
        }
        let t = p.time_ms - start_ms;
        for (venue, instrument) in markets {
            let rows = by_market.get(&(venue.as_str(), instrument.as_str()));
            let after = rows.and_then(|rs| {
                let k = rs.partition_point(|r| r.time_ms <= t);
                rs.get(k).copied()
            });
            out.push(RealPathRow {
                time_ms: t,
                asset: asset.to_string(),
                real_close: p.price.get(),
                venue: venue.clone(),
                instrument: instrument.clone(),
                index: after.and_then(|r| r.index),
                mark: after.and_then(|r| r.mark),
            });
        }
    }
    out
}

/// `liquidation_compare`: real against simulated liquidations of one asset in one minute of
/// the run, for one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidationCompareRow {
    /// Start of the minute, milliseconds since the run start.
    pub time_ms: u64,
    /// Asset name, as in the scenario.
    pub asset: String,
    /// The position liquidated: `long` or `short`.
    pub side: PositionSide,
    /// Real liquidations (orders or liquidated fills) in the minute.
    pub real_count: u64,
    /// Their notional, quote currency.
    pub real_notional: Decimal,
    /// Simulated liquidations (rows of `liquidations`, ADL closes included) in the minute, on
    /// the venues under the real file's rule set.
    pub sim_count: u64,
    /// Their notional, settle asset.
    pub sim_notional: Decimal,
}

static COMPARE: [Column<LiquidationCompareRow>; 7] = [
    col!(time_ms, U64),
    col!(asset, Str),
    col!(side, Label),
    col!(real_count, U64),
    col!(real_notional, Dec),
    col!(sim_count, U64),
    col!(sim_notional, Dec),
];

impl Table for LiquidationCompareRow {
    const NAME: &'static str = "liquidation_compare";
    fn columns() -> &'static [Column<Self>] {
        &COMPARE
    }
}

/// Per-minute sums, both sides of every minute of the run (zeros included, so a chart has no
/// gaps): `real` liquidations whose time falls in `[start_ms, start_ms + duration_ms)`, against
/// `sim` rows of the markets in `markets` ((venue, instrument)). Returns the rows and how many
/// real liquidations fell outside the run (the caller says so).
#[must_use]
pub fn liquidation_compare_rows(
    asset: &str,
    real: &[RealLiquidation],
    sim: &[LiquidationRow],
    markets: &[(String, String)],
    start_ms: u64,
    duration_ms: u64,
) -> (Vec<LiquidationCompareRow>, u64) {
    let minutes = duration_ms.div_ceil(60_000);
    let side_ix = |s: PositionSide| usize::from(s == PositionSide::Short);
    // (count, notional) per minute and side: [real long, real short, sim long, sim short].
    let mut bins = vec![[(0_u64, Decimal::ZERO); 4]; usize::try_from(minutes).unwrap_or(0)];
    let mut outside = 0;
    for r in real {
        let Some(t) = r.time_ms.checked_sub(start_ms).filter(|&t| t < duration_ms) else {
            outside += 1;
            continue;
        };
        let b = &mut bins[(t / 60_000) as usize][side_ix(r.side)];
        b.0 += 1;
        b.1 += r.notional;
    }
    for l in sim {
        let listed = markets.iter().any(|(v, i)| *v == l.venue && *i == l.instrument);
        if !listed || l.time_ms >= duration_ms {
            continue;
        }
        let b = &mut bins[(l.time_ms / 60_000) as usize][2 + side_ix(l.side)];
        b.0 += 1;
        b.1 += l.notional;
    }
    let mut rows = Vec::with_capacity(bins.len() * 2);
    for (m, b) in bins.iter().enumerate() {
        for side in [PositionSide::Long, PositionSide::Short] {
            let k = side_ix(side);
            rows.push(LiquidationCompareRow {
                time_ms: m as u64 * 60_000,
                asset: asset.to_string(),
                side,
                real_count: b[k].0,
                real_notional: b[k].1,
                sim_count: b[2 + k].0,
                sim_notional: b[2 + k].1,
            });
        }
    }
    (rows, outside)
}
