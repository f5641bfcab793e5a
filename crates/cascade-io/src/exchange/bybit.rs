//! Bybit files, streamed: klines of the v5 market API as commonly stored, and the public
//! trading archive.
//!
//! * Klines ([`BybitKline`]): `timestamp,open,high,low,close,volume,turnover`, the rows of
//!   `/v5/market/kline` (bybit-exchange.github.io/docs/v5/market/kline: start time, OHLC,
//!   `volume` in the base coin, `turnover` in the quote coin) with the start time written either
//!   as a `YYYY-MM-DD HH:MM:SS` UTC string (as in `../shared/data/real/bybit_linear_15m/`) or as
//!   Unix milliseconds. The header line is required (the layout is not Bybit's own file).
//! * Trades ([`BybitTrade`]): the daily files of public.bybit.com/trading/<SYM>/
//!   (`<SYM>YYYY-MM-DD.csv.gz`, gzip, read as a stream):
//!   `timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,
//!   foreignNotional`, and since 2025 an 11th column `RPI` (1 when a retail-price-improvement
//!   order took part). `timestamp` is Unix seconds with a fraction (`1585267197.3539`), read
//!   here as milliseconds (sub-millisecond digits dropped); `side` is the taker's; `grossValue`
//!   is written by a float printer (`7.854169999999999e+09`) and kept as the exact decimal of
//!   that text. Older files list the day newest first: rows out of time order are counted, not
//!   refused. The header line is required.
//!
//! Refused, naming file, row, line and column: a bad time, a price ≤ 0, a negative size, a side
//! other than Buy/Sell, an unknown tick direction, `high` below `low`.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::binance::agg_trades::TakerTally;
use crate::exchange::cells::{Cells, parse_datetime_ms, unix_ms};
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally, add, show, show_opt};

/// Columns of a stored Bybit kline file.
pub const KLINE_COLUMNS: &[&str] = &["timestamp", "open", "high", "low", "close", "volume", "turnover"];
/// Columns of a public trading file with the `RPI` column (2025 on).
pub const TRADE_COLUMNS_RPI: &[&str] = &[
    "timestamp",
    "symbol",
    "side",
    "size",
    "price",
    "tickDirection",
    "trdMatchID",
    "grossValue",
    "homeNotional",
    "foreignNotional",
    "RPI",
];
/// Columns of a public trading file before the `RPI` column.
pub const TRADE_COLUMNS: &[&str] = TRADE_COLUMNS_RPI.split_at(TRADE_COLUMNS_RPI.len() - 1).0;

/// One Bybit kline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BybitKline {
    /// Bar start, Unix ms UTC.
    pub start_time: i64,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Base-coin volume.
    pub volume: Decimal,
    /// Quote-coin turnover.
    pub turnover: Decimal,
}

impl Record for BybitKline {
    const DATASET: &'static str = "Bybit kline";
    const LAYOUTS: &'static [&'static [&'static str]] = &[KLINE_COLUMNS];
    const HEADER_REQUIRED: bool = true;

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let t = c.text(0);
        let start_time =
            if t.bytes().all(|b| b.is_ascii_digit()) { c.time_ms(0)? } else { c.datetime_ms(0)? };
        let k = BybitKline {
            start_time,
            open: c.price(1)?,
            high: c.price(2)?,
            low: c.price(3)?,
            close: c.price(4)?,
            volume: c.amount(5)?,
            turnover: c.amount(6)?,
        };
        if k.high < k.low {
            return Err(c.error(2, format!("high {} is below low {}", k.high, k.low)));
        }
        Ok(k)
    }

    fn time_ms(&self) -> i64 {
        self.start_time
    }
}

impl Normalized for BybitKline {
    const COLUMNS: &'static [&'static str] =
        &["start_time_ms", "open", "high", "low", "close", "volume", "turnover"];

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.start_time.to_string(),
            self.open.to_string(),
            self.high.to_string(),
            self.low.to_string(),
            self.close.to_string(),
            self.volume.to_string(),
            self.turnover.to_string(),
        ]);
    }
}

/// First open, last close, range, volumes.
#[derive(Debug, Clone, Default)]
pub struct BybitKlineTally {
    open: Option<Decimal>,
    close: Option<Decimal>,
    range: Range,
    volume: Decimal,
    turnover: Decimal,
}

impl Tally<BybitKline> for BybitKlineTally {
    fn add(&mut self, k: &BybitKline) {
        self.open.get_or_insert(k.open);
        self.close = Some(k.close);
        self.range.add(k.low);
        self.range.add(k.high);
        self.volume = add(self.volume, k.volume);
        self.turnover = add(self.turnover, k.turnover);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("first open", show_opt(self.open)),
            ("last close", show_opt(self.close)),
            ("low .. high", self.range.text()),
            ("volume", show(self.volume)),
            ("turnover", show(self.turnover)),
        ]
    }
}

/// Direction of the price change a trade made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickDirection {
    /// Up from the previous trade.
    PlusTick,
    /// Same price, the last change was up.
    ZeroPlusTick,
    /// Down from the previous trade.
    MinusTick,
    /// Same price, the last change was down.
    ZeroMinusTick,
}

impl TickDirection {
    /// As Bybit spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TickDirection::PlusTick => "PlusTick",
            TickDirection::ZeroPlusTick => "ZeroPlusTick",
            TickDirection::MinusTick => "MinusTick",
            TickDirection::ZeroMinusTick => "ZeroMinusTick",
        }
    }
}

/// One trade of a public trading file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BybitTrade {
    /// Trade time, Unix ms UTC.
    pub time_ms: i64,
    /// Symbol.
    pub symbol: String,
    /// Whether the taker sold (`side = Sell`).
    pub taker_sold: bool,
    /// Size (base coin for linear contracts).
    pub size: Decimal,
    /// Price.
    pub price: Decimal,
    /// Tick direction.
    pub tick_direction: TickDirection,
    /// Trade id.
    pub trd_match_id: String,
    /// Value in the venue's smallest units (the file's float text, exactly).
    pub gross_value: Decimal,
    /// Size in the base coin.
    pub home_notional: Decimal,
    /// Value in the quote coin.
    pub foreign_notional: Decimal,
    /// The `RPI` flag where the file has the column.
    pub rpi: Option<bool>,
}

/// Unix seconds with an optional fraction (`1585267197.3539`) as milliseconds, rounded down.
fn seconds_to_ms(t: &str) -> Option<i64> {
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut ms = 0i64;
    for k in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(k).map_or(0, |b| i64::from(b - b'0'));
    }
    unix_ms(secs.checked_mul(1_000)?.checked_add(ms)?)
}

impl Record for BybitTrade {
    const DATASET: &'static str = "Bybit trading";
    const LAYOUTS: &'static [&'static [&'static str]] = &[TRADE_COLUMNS, TRADE_COLUMNS_RPI];
    const HEADER_REQUIRED: bool = true;

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let t = c.text(0);
        let time_ms = seconds_to_ms(t)
            .or_else(|| parse_datetime_ms(t))
            .ok_or_else(|| c.error(0, format!("`{t}` is not Unix seconds (`1585267197.3539`)")))?;
        let taker_sold = match c.text(2) {
            "Buy" => false,
            "Sell" => true,
            other => return Err(c.error(2, format!("`{other}` is not Buy or Sell"))),
        };
        let tick_direction = match c.text(5) {
            "PlusTick" => TickDirection::PlusTick,
            "ZeroPlusTick" => TickDirection::ZeroPlusTick,
            "MinusTick" => TickDirection::MinusTick,
            "ZeroMinusTick" => TickDirection::ZeroMinusTick,
            other => {
                return Err(c.error(
                    5,
                    format!("`{other}` is not PlusTick, ZeroPlusTick, MinusTick or ZeroMinusTick"),
                ));
            }
        };
        let rpi = if c.names.len() > 10 {
            match c.text(10) {
                "0" => Some(false),
                "1" => Some(true),
                other => return Err(c.error(10, format!("`{other}` is not 0 or 1"))),
            }
        } else {
            None
        };
        Ok(BybitTrade {
            time_ms,
            symbol: c.word(1)?.to_string(),
            taker_sold,
            size: c.amount(3)?,
            price: c.price(4)?,
            tick_direction,
            trd_match_id: c.word(6)?.to_string(),
            gross_value: c.amount(7)?,
            home_notional: c.amount(8)?,
            foreign_notional: c.amount(9)?,
            rpi,
        })
    }

    fn time_ms(&self) -> i64 {
        self.time_ms
    }
}

impl Normalized for BybitTrade {
    const COLUMNS: &'static [&'static str] = &[
        "time_ms",
        "symbol",
        "side",
        "size",
        "price",
        "tick_direction",
        "trd_match_id",
        "gross_value",
        "home_notional",
        "foreign_notional",
        "rpi",
    ];

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.time_ms.to_string(),
            self.symbol.clone(),
            if self.taker_sold { "Sell" } else { "Buy" }.to_string(),
            self.size.to_string(),
            self.price.to_string(),
            self.tick_direction.as_str().to_string(),
            self.trd_match_id.clone(),
            self.gross_value.to_string(),
            self.home_notional.to_string(),
            self.foreign_notional.to_string(),
            self.rpi.map(|b| u8::from(b).to_string()).unwrap_or_default(),
        ]);
    }
}

impl Tally<BybitTrade> for TakerTally {
    fn add(&mut self, t: &BybitTrade) {
        self.trade(t.price, t.size, t.taker_sold);
        self.trades = self.trades.saturating_add(1);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        self.trade_figures()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1585267197.3539 s = 1585267197353 ms (the 0.9 of a millisecond is dropped).
    #[test]
    fn fractional_seconds_become_milliseconds() {
        assert_eq!(seconds_to_ms("1585267197.3539"), Some(1_585_267_197_353));
        assert_eq!(seconds_to_ms("1585267197"), Some(1_585_267_197_000));
        assert_eq!(seconds_to_ms("1585267197.5"), Some(1_585_267_197_500));
        assert_eq!(seconds_to_ms("-1.5"), None);
        assert_eq!(seconds_to_ms("1e9"), None);
    }
}
