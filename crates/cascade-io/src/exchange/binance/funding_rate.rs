//! Binance funding-rate archives (`data/futures/{um,cm}/monthly/fundingRate/<SYM>/
//! <SYM>-fundingRate-YYYY-MM.zip`), streamed: one row per funding settlement.
//!
//! Layout (data.binance.vision; checked on the real files in `../shared/data/real/`):
//! `calc_time,funding_interval_hours,last_funding_rate`, e.g. `1760140800000,8,0.00010000`:
//! settlement time in Unix ms (a few ms after the hour), the interval in hours, and the rate
//! paid for it (positive: longs pay shorts). With or without the header line.
//!
//! Refused, naming file, row, line and column: a bad time, an interval of 0 hours or more than
//! 24, a rate that is not a number.

use rust_decimal::Decimal;

use crate::error::IoError;
use crate::exchange::cells::Cells;
use crate::exchange::csv_rows::Record;
use crate::exchange::summary::{Normalized, Range, Tally, add, show};

/// Columns of a fundingRate file.
pub const COLUMNS: &[&str] = &["calc_time", "funding_interval_hours", "last_funding_rate"];

/// One funding settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRate {
    /// Settlement time, Unix ms UTC.
    pub calc_time: i64,
    /// Funding interval, hours.
    pub funding_interval_hours: u32,
    /// Rate paid for the interval (0.0001 = 0.01 %); positive: longs pay.
    pub last_funding_rate: Decimal,
}

impl Record for FundingRate {
    const DATASET: &'static str = "Binance fundingRate";
    const LAYOUTS: &'static [&'static [&'static str]] = &[COLUMNS];

    fn parse(c: &Cells<'_>) -> Result<Self, IoError> {
        let hours = c.uint(1)?;
        if !(1..=24).contains(&hours) {
            return Err(c.error(1, format!("{hours} h is not a funding interval (1..24)")));
        }
        Ok(FundingRate {
            calc_time: c.time_ms(0)?,
            funding_interval_hours: u32::try_from(hours).unwrap_or(24),
            last_funding_rate: c.dec(2)?,
        })
    }

    fn time_ms(&self) -> i64 {
        self.calc_time
    }
}

impl Normalized for FundingRate {
    const COLUMNS: &'static [&'static str] = COLUMNS;

    fn cells(&self, out: &mut Vec<String>) {
        out.extend([
            self.calc_time.to_string(),
            self.funding_interval_hours.to_string(),
            self.last_funding_rate.to_string(),
        ]);
    }
}

/// Range and sum of the rates, the intervals seen, negative settlements.
#[derive(Debug, Clone, Default)]
pub struct FundingTally {
    range: Range,
    sum: Decimal,
    negative: u64,
    intervals: Vec<u32>,
}

impl Tally<FundingRate> for FundingTally {
    fn add(&mut self, f: &FundingRate) {
        self.range.add(f.last_funding_rate);
        self.sum = add(self.sum, f.last_funding_rate);
        self.negative += u64::from(f.last_funding_rate.is_sign_negative() && !f.last_funding_rate.is_zero());
        if !self.intervals.contains(&f.funding_interval_hours) {
            self.intervals.push(f.funding_interval_hours);
            self.intervals.sort_unstable();
        }
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("rate min .. max", self.range.text()),
            ("sum of rates", show(self.sum)),
            ("negative settlements", self.negative.to_string()),
            ("intervals (h)", self.intervals.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
        ]
    }
}
