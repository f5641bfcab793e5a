//! Binance kline archives, streamed: USD-M and COIN-M futures (`data/futures/{um,cm}/…/klines/`),
//! their `markPriceKlines` and `indexPriceKlines`, spot (`data/spot/…/klines/`), and
//! `premiumIndexKlines` ([`PremiumKline`], whose "prices" are premiums and may be ≤ 0).
//!
//! Layout (binance/binance-public-data README, data.binance.vision; checked on the real USD-M
//! files): 12 columns `open_time,open,high,low,close,volume,close_time,quote_volume,count,
//! taker_buy_volume,taker_buy_quote_volume,ignore`, with a header line in futures files since
//! about 2022 and none before, nor in spot files. Times are Unix milliseconds; spot files since
//! 2025-01-01 write microseconds, read here as milliseconds (rounded down). On COIN-M files
//! `volume` counts contracts and `quote_volume` is in the base asset; on mark, index and premium
//! files the volume columns are 0 (premium: `count` is the number of samples).
//!
//! Refused, naming file, row, line and column: a cell that is not a number, a price ≤ 0 (except
//! premium), `high` below `low`, `close_time` before `open_time`.
//! The 6-column REST layout (`timestamp,open,high,low,close,volume`) is read by
//! [`crate::klines`], which the scenario's `[[assets]] path` uses.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally, add, show, show_opt};

/// The 12 columns of a Binance kline file.
pub const COLUMNS: &[&str] = &crate::klines::KLINE_COLUMNS;

/// One bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kline {
    /// Bar open time, Unix ms UTC.
    pub open_time: i64,
    /// First price of the bar.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price of the bar.
    pub close: Decimal,
    /// Base volume (COIN-M: contracts).
    pub volume: Decimal,
    /// Bar close time, Unix ms UTC (`open_time + 59 999` for 1-minute bars).
    pub close_time: i64,
    /// Quote volume (COIN-M: base asset).
    pub quote_volume: Decimal,
    /// Number of trades (premium index: samples).
    pub count: u64,
    /// Part of `volume` where the taker bought.
    pub taker_buy_volume: Decimal,
    /// Part of `quote_volume` where the taker bought.
    pub taker_buy_quote_volume: Decimal,
}

fn parse_bar(
    c: &Cells<'_>,
    price: fn(&Cells<'_>, usize) -> Result<Decimal, IoError>,
) -> Result<Kline, IoError> {
    let k = Kline {
        open_time: c.time_ms(0)?,
        open: price(c, 1)?,
        high: price(c, 2)?,
        low: price(c, 3)?,
        close: price(c, 4)?,
        volume: c.amount(5)?,
        close_time: c.time_ms(6)?,
        quote_volume: c.amount(7)?,
        count: c.uint(8)?,
        taker_buy_volume: c.amount(9)?,
        taker_buy_quote_volume: c.amount(10)?,
    };
    c.dec(11)?;
    if k.high < k.low {
        return Err(c.error(2, format!("high {} is below low {}", k.high, k.low)));
    }
    if k.close_time < k.open_time {
        return Err(c.error(6, format!("{} is before the bar's open_time {}", k.close_time, k.open_time)));
    }
    Ok(k)
}

impl Record for Kline {
    const DATASET: &'static str = "Binance kline";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        parse_bar(c, |c, i| c.price(i))
    }

    fn time_ms(&self) -> i64 {
        self.open_time
    }
}

/// A bar of a `premiumIndexKlines` file: the same columns, prices are premiums (any sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PremiumKline(pub Kline);

impl Record for PremiumKline {
    const DATASET: &'static str = "Binance premium index kline";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        parse_bar(c, |c, i| c.dec(i)).map(PremiumKline)
    }

    fn time_ms(&self) -> i64 {
        self.0.open_time
    }
}

impl Normalized for Kline {
    const COLUMNS: &'static [&'static str] = COLUMNS_NORMALIZED;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.open_time.to_string(),
            self.open.to_string(),
            self.high.to_string(),
            self.low.to_string(),
            self.close.to_string(),
            self.volume.to_string(),
            self.close_time.to_string(),
            self.quote_volume.to_string(),
            self.count.to_string(),
            self.taker_buy_volume.to_string(),
            self.taker_buy_quote_volume.to_string(),
        ]);
    }
}

/// The normalised columns: the archive's, without `ignore` (the last).
const COLUMNS_NORMALIZED: &[&str] = COLUMNS.split_at(COLUMNS.len() - 1).0;

impl Normalized for PremiumKline {
    const COLUMNS: &'static [&'static str] = COLUMNS_NORMALIZED;

    fn cells(&self, out: &mut Vec<String>) {
        self.0.cells(out);
    }
}

/// Figures of a kline file: first open, last close, price range, volumes, trades.
#[derive(Debug, Clone, Default)]
pub struct KlineTally {
    open: Option<Decimal>,
    close: Option<Decimal>,
    range: Range,
    volume: Decimal,
    quote_volume: Decimal,
    taker_buy_volume: Decimal,
    trades: u64,
}

impl Tally<Kline> for KlineTally {
    fn add(&mut self, k: &Kline) {
        self.open.get_or_insert(k.open);
        self.close = Some(k.close);
        self.range.add(k.low);
        self.range.add(k.high);
        self.volume = add(self.volume, k.volume);
        self.quote_volume = add(self.quote_volume, k.quote_volume);
        self.taker_buy_volume = add(self.taker_buy_volume, k.taker_buy_volume);
        self.trades = self.trades.saturating_add(k.count);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("first open", show_opt(self.open)),
            ("last close", show_opt(self.close)),
            ("low .. high", self.range.text()),
            ("volume", show(self.volume)),
            ("quote volume", show(self.quote_volume)),
            ("taker buy volume", show(self.taker_buy_volume)),
            ("trades", self.trades.to_string()),
        ]
    }
}

impl Tally<PremiumKline> for KlineTally {
    fn add(&mut self, k: &PremiumKline) {
        <Self as Tally<Kline>>::add(self, &k.0);
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        <Self as Tally<Kline>>::figures(self)
    }
}
