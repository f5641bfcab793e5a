//! Binance futures metrics archives (`data/futures/um/daily/metrics/<SYM>/
//! <SYM>-metrics-YYYY-MM-DD.zip`, daily only, from 2021-12), streamed: every 5 minutes the open
//! interest and the long/short ratios.
//!
//! Layout (data.binance.vision; the header as public parsers of these files quote it):
//! `create_time,symbol,sum_open_interest,sum_open_interest_value,
//! count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,
//! sum_taker_long_short_vol_ratio`; `create_time` a `YYYY-MM-DD HH:MM:SS` UTC string, open
//! interest in the base asset and in USD, e.g.
//! `2025-11-02 00:05:00,BTCUSDT,76643.1910000000000000,8430743345.6809000000000000,2.05109210,
//! 1.90989100,1.87546479,0.76060100`. The header line is required. A ratio cell may be empty
//! (the statistic was not published for that interval): it reads as `None`, never as 0.
//!
//! Refused, naming file, row, line and column: a bad date-time, an empty symbol, a negative
//! open interest or ratio, a number that is not one.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally, show_opt};

/// Columns of a metrics file.
pub const COLUMNS: &[&str] = &[
    "create_time",
    "symbol",
    "sum_open_interest",
    "sum_open_interest_value",
    "count_toptrader_long_short_ratio",
    "sum_toptrader_long_short_ratio",
    "count_long_short_ratio",
    "sum_taker_long_short_vol_ratio",
];

/// One 5-minute statistics row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// Statistics time, Unix ms UTC.
    pub create_time: i64,
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Open interest in the base asset (contracts on COIN-M).
    pub sum_open_interest: Decimal,
    /// Open interest in USD.
    pub sum_open_interest_value: Decimal,
    /// Top traders' long/short ratio by accounts.
    pub count_toptrader_long_short_ratio: Option<Decimal>,
    /// Top traders' long/short ratio by positions.
    pub sum_toptrader_long_short_ratio: Option<Decimal>,
    /// All accounts' long/short ratio.
    pub count_long_short_ratio: Option<Decimal>,
    /// Taker buy/sell volume ratio.
    pub sum_taker_long_short_vol_ratio: Option<Decimal>,
}

impl Record for Metrics {
    const DATASET: &'static str = "Binance metrics";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];
    const HEADER_REQUIRED: bool = true;

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let ratio = |i: usize| -> Result<Option<Decimal>, IoError> {
            let r = c.opt_dec(i)?;
            if let Some(r) = r
                && r < Decimal::ZERO
            {
                return Err(c.error(i, format!("ratio {r} is negative")));
            }
            Ok(r)
        };
        Ok(Metrics {
            create_time: c.datetime_ms(0)?,
            symbol: c.word(1)?.to_string(),
            sum_open_interest: c.amount(2)?,
            sum_open_interest_value: c.amount(3)?,
            count_toptrader_long_short_ratio: ratio(4)?,
            sum_toptrader_long_short_ratio: ratio(5)?,
            count_long_short_ratio: ratio(6)?,
            sum_taker_long_short_vol_ratio: ratio(7)?,
        })
    }

    fn time_ms(&self) -> i64 {
        self.create_time
    }
}

impl Normalized for Metrics {
    const COLUMNS: &'static [&'static str] = &[
        "create_time_ms",
        "symbol",
        "sum_open_interest",
        "sum_open_interest_value",
        "count_toptrader_long_short_ratio",
        "sum_toptrader_long_short_ratio",
        "count_long_short_ratio",
        "sum_taker_long_short_vol_ratio",
    ];

    fn cells(&self, out: &mut Vec<String>) {
        let o = |x: Option<Decimal>| x.map(|d| d.to_string()).unwrap_or_default();
        out.extend([
            self.create_time.to_string(),
            self.symbol.clone(),
            self.sum_open_interest.to_string(),
            self.sum_open_interest_value.to_string(),
            o(self.count_toptrader_long_short_ratio),
            o(self.sum_toptrader_long_short_ratio),
            o(self.count_long_short_ratio),
            o(self.sum_taker_long_short_vol_ratio),
        ]);
    }
}

/// Open interest first, last and range (base and USD); the all-accounts long/short ratio range.
#[derive(Debug, Clone, Default)]
pub struct MetricsTally {
    symbols: Vec<String>,
    first_oi: Option<Decimal>,
    last_oi: Option<Decimal>,
    oi: Range,
    oi_value: Range,
    long_short: Range,
    missing_ratios: u64,
}

impl Tally<Metrics> for MetricsTally {
    fn add(&mut self, m: &Metrics) {
        if !self.symbols.contains(&m.symbol) {
            self.symbols.push(m.symbol.clone());
        }
        self.first_oi.get_or_insert(m.sum_open_interest);
        self.last_oi = Some(m.sum_open_interest);
        self.oi.add(m.sum_open_interest);
        self.oi_value.add(m.sum_open_interest_value);
        if let Some(r) = m.count_long_short_ratio {
            self.long_short.add(r);
        }
        let ratios = [
            m.count_toptrader_long_short_ratio,
            m.sum_toptrader_long_short_ratio,
            m.count_long_short_ratio,
            m.sum_taker_long_short_vol_ratio,
        ];
        self.missing_ratios += ratios.iter().filter(|r| r.is_none()).count() as u64;
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("symbols", self.symbols.join(",")),
            ("open interest first, last", format!("{}, {}", show_opt(self.first_oi), show_opt(self.last_oi))),
            ("open interest min .. max", self.oi.text()),
            ("open interest value (USD) min .. max", self.oi_value.text()),
            ("long/short account ratio min .. max", self.long_short.text()),
            ("empty ratio cells", self.missing_ratios.to_string()),
        ]
    }
}
