//! The named figures of a run that calibration targets, computed from its recording exactly as
//! `shared/calibration/check_oct10.py` computes them from the written files (the two alt timing
//! figures, `alt_low_minutes` and `alt_change_1h_pct`, and `liq_peak_minutes` are this crate's
//! own). Never fails: a figure without data is 0 (no liquidation: long share 0; no thin altcoin:
//! ratio 0; no counterfactual: amplification 0), so a run without a cascade scores far from the
//! bands.

use rust_decimal::prelude::ToPrimitive;

use crate::metrics::{InstrumentSummary, Recording};

/// Instrument prefixes that are majors, not thin altcoins.
pub const MAJORS: [&str; 4] = ["BTC", "ETH", "SOL", "XBT"];

/// A figure a calibration target can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// Liquidated notional, long + short, all venues, USD (settle assets added as equal).
    TotalLiquidatedUsd,
    /// Long share of the liquidated notional, in [0, 1].
    LongShare,
    /// Largest peak-to-trough drop of the reference market's sampled mark, percent.
    BtcDropPct,
    /// Minutes after the start of the run of the low of that drop.
    BtcLowMinutes,
    /// 1 if the venue with the largest liquidated notional has `hyperliquid` in its name, else 0.
    HyperliquidLargest,
    /// Median over thin altcoin markets (symbol not starting with BTC, ETH, SOL or XBT) of their
    /// largest mark drop ÷ the drop of a BTC (or XBT) market on the same venue.
    AltBtcDropRatio,
    /// Open interest valued at the mark, all markets: last sample ÷ first sample − 1, percent.
    OpenInterestChangePct,
    /// Σ over venues of the insurance-fund drawdown (start − lowest sample), USD.
    InsuranceFundDrawnUsd,
    /// Cascade amplification: peak-to-trough drop ÷ the same without forced liquidations.
    Amplification,
    /// 1 if on every venue where ADL fired its first ADL came strictly after its first
    /// liquidation, else 0.
    AdlAfterLiquidation,
    /// Median over thin altcoin markets of the minutes after the start of the run of their mark's
    /// low: whether the alts crash with the cascade or grind down after it.
    AltLowMinutes,
    /// Median over thin altcoin markets of their mark one hour after the start of the run against
    /// their first sampled mark, percent (−21 % on 10 October 2025 at 21:45 UTC): whether they
    /// rebound from the wick, as the real ones did within the hour, or stay down.
    AltChange1hPct,
    /// Start, in whole minutes after the start of the run, of the minute with the most liquidated
    /// notional (long + short, every venue and market, from the sampled intervals; the earliest
    /// on a tie, 0 without liquidations). On 10 October 2025 ≈ $3.2B were liquidated in one
    /// minute around 21:15 UTC, 30 minutes after 20:45: whether liquidations peak in the
    /// cascade or at the first shock.
    LiqPeakMinutes,
}

impl Figure {
    /// Every figure, in report order.
    pub const ALL: [Self; 13] = [
        Self::TotalLiquidatedUsd,
        Self::LongShare,
        Self::BtcDropPct,
        Self::BtcLowMinutes,
        Self::HyperliquidLargest,
        Self::AltBtcDropRatio,
        Self::OpenInterestChangePct,
        Self::InsuranceFundDrawnUsd,
        Self::Amplification,
        Self::AdlAfterLiquidation,
        Self::AltLowMinutes,
        Self::AltChange1hPct,
        Self::LiqPeakMinutes,
    ];

    /// The name targets files use.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::TotalLiquidatedUsd => "total_liquidated_usd",
            Self::LongShare => "long_share",
            Self::BtcDropPct => "btc_drop_pct",
            Self::BtcLowMinutes => "btc_low_minutes",
            Self::HyperliquidLargest => "hyperliquid_largest",
            Self::AltBtcDropRatio => "alt_btc_drop_ratio",
            Self::OpenInterestChangePct => "open_interest_change_pct",
            Self::InsuranceFundDrawnUsd => "insurance_fund_drawn_usd",
            Self::Amplification => "amplification",
            Self::AdlAfterLiquidation => "adl_after_liquidation",
            Self::AltLowMinutes => "alt_low_minutes",
            Self::AltChange1hPct => "alt_change_1h_pct",
            Self::LiqPeakMinutes => "liq_peak_minutes",
        }
    }

    /// The figure of that name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Position in [`Figure::ALL`] (and in [`FigureValues`]).
    #[must_use]
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// One value per [`Figure`], indexed by [`Figure::index`].
pub type FigureValues = [f64; Figure::ALL.len()];

/// The market the `btc_*` figures and the price path are read from (Binance BTCUSDT for the
/// 10 October 2025 targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceMarket {
    /// Venue name, as in the scenario.
    pub venue: String,
    /// Instrument symbol.
    pub symbol: String,
}

fn f(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn starts_with_any(symbol: &str, prefixes: &[&str]) -> bool {
    let s = symbol.to_ascii_uppercase();
    prefixes.iter().any(|p| s.starts_with(p))
}

/// Every figure of one run.
#[must_use]
pub fn compute_figures(rec: &Recording, market: &ReferenceMarket) -> FigureValues {
    let s = &rec.summary;
    // A reduced run (`run.scale` < 1) is held against the bands at full scale.
    let t = s.totals_at_full_scale.as_ref().unwrap_or(&s.totals);
    let long = f(t.liquidated_long_notional);
    let total = long + f(t.liquidated_short_notional);
    let reference: Option<&InstrumentSummary> =
        s.instruments.iter().find(|i| i.venue == market.venue && i.instrument == market.symbol);
    let mut v = [0.0; Figure::ALL.len()];
    v[Figure::TotalLiquidatedUsd.index()] = total;
    v[Figure::LongShare.index()] = if total > 0.0 { long / total } else { 0.0 };
    v[Figure::BtcDropPct.index()] = reference.map_or(0.0, |i| i.max_mark_drop_pct);
    v[Figure::BtcLowMinutes.index()] =
        reference.and_then(|i| i.mark_low_time_ms).map_or(0.0, |ms| ms as f64 / 60_000.0);
    v[Figure::HyperliquidLargest.index()] = hyperliquid_largest(rec);
    v[Figure::AltBtcDropRatio.index()] = alt_ratio(&s.instruments);
    v[Figure::OpenInterestChangePct.index()] = oi_change_pct(rec);
    v[Figure::InsuranceFundDrawnUsd.index()] = f(t.insurance_fund_drawdown);
    v[Figure::Amplification.index()] = t.cascade_amplification.unwrap_or(0.0);
    let adl_after = s
        .venues
        .iter()
        .filter_map(|x| x.first_adl_ms.map(|a| (a, x.first_liquidation_ms)))
        .all(|(adl, liq)| liq.is_some_and(|l| adl > l));
    v[Figure::AdlAfterLiquidation.index()] = if adl_after { 1.0 } else { 0.0 };
    v[Figure::AltLowMinutes.index()] = alt_low_minutes(&s.instruments);
    v[Figure::AltChange1hPct.index()] = alt_change_pct(rec, HOUR_MS);
    v[Figure::LiqPeakMinutes.index()] =
        peak_minute(rec.series.iter().map(|r| (r.time_ms, f(r.liq_long_notional) + f(r.liq_short_notional))));
    v
}

/// The minute, given sampled (end of interval in ms, liquidated notional in the interval) rows,
/// with the largest sum: a sample at `t` covers the interval ending at `t`, so it falls in
/// minute `(t − 1) / 60 000` (the sample at 60 000 ms closes minute 0). Earliest on a tie; 0
/// when nothing was liquidated.
fn peak_minute(rows: impl Iterator<Item = (u64, f64)>) -> f64 {
    let mut per_minute: Vec<f64> = Vec::new();
    for (time_ms, notional) in rows {
        let minute = (time_ms.saturating_sub(1) / MINUTE_MS) as usize;
        if per_minute.len() <= minute {
            per_minute.resize(minute + 1, 0.0);
        }
        per_minute[minute] += notional;
    }
    let mut best: Option<(usize, f64)> = None;
    for (minute, n) in per_minute.into_iter().enumerate() {
        if n > 0.0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((minute, n));
        }
    }
    best.map_or(0.0, |(minute, _)| minute as f64)
}

/// One minute, milliseconds.
const MINUTE_MS: u64 = 60_000;
/// One hour, milliseconds.
const HOUR_MS: u64 = 60 * MINUTE_MS;

fn is_thin_alt(symbol: &str) -> bool {
    !starts_with_any(symbol, &MAJORS)
}

fn median_or_zero(v: &[f64]) -> f64 {
    if v.is_empty() { 0.0 } else { crate::fit::objective::median(v) }
}

fn alt_low_minutes(instruments: &[InstrumentSummary]) -> f64 {
    low_minutes(instruments.iter().map(|i| (i.instrument.as_str(), i.mark_low_time_ms)))
}

/// Median over thin altcoin markets, given as (symbol, time of the mark's low), of that time in
/// minutes; markets without a low are left out.
fn low_minutes<'a>(markets: impl Iterator<Item = (&'a str, Option<u64>)>) -> f64 {
    let lows: Vec<f64> =
        markets.filter(|m| is_thin_alt(m.0)).filter_map(|m| m.1.map(|ms| ms as f64 / 60_000.0)).collect();
    median_or_zero(&lows)
}

fn alt_change_pct(rec: &Recording, at_ms: u64) -> f64 {
    change_pct(
        rec.series.iter().map(|r| (r.venue.as_str(), r.instrument.as_str(), r.time_ms, r.mark.map(f))),
        at_ms,
    )
}

/// Median over thin altcoin markets, given as sampled (venue, symbol, time, mark) rows in time
/// order, of (mark at the first sample at or after `at_ms` ÷ first sampled mark − 1) × 100;
/// markets without both marks are left out (0 when none has them).
fn change_pct<'a>(rows: impl Iterator<Item = (&'a str, &'a str, u64, Option<f64>)>, at_ms: u64) -> f64 {
    // (venue, symbol, first mark, mark at `at_ms`), in first-seen order (a few dozen markets).
    let mut marks: Vec<(&str, &str, f64, Option<f64>)> = Vec::new();
    for (venue, symbol, time_ms, mark) in rows {
        let Some(mark) = mark.filter(|_| is_thin_alt(symbol)) else { continue };
        let Some(m) = marks.iter_mut().find(|m| m.0 == venue && m.1 == symbol) else {
            marks.push((venue, symbol, mark, (time_ms >= at_ms).then_some(mark)));
            continue;
        };
        if time_ms >= at_ms && m.3.is_none() {
            m.3 = Some(mark);
        }
    }
    let changes: Vec<f64> =
        marks.iter().filter_map(|m| m.3.filter(|_| m.2 > 0.0).map(|b| (b / m.2 - 1.0) * 100.0)).collect();
    median_or_zero(&changes)
}

fn hyperliquid_largest(rec: &Recording) -> f64 {
    let mut top: Option<(&str, f64)> = None;
    for x in &rec.summary.venues {
        let n = f(x.liquidated_long_notional) + f(x.liquidated_short_notional);
        if top.is_none_or(|(_, best)| n > best) {
            top = Some((x.venue.as_str(), n));
        }
    }
    match top {
        Some((name, n)) if n > 0.0 && name.to_ascii_lowercase().contains("hyperliquid") => 1.0,
        _ => 0.0,
    }
}

fn alt_ratio(instruments: &[InstrumentSummary]) -> f64 {
    let btc_drop = |venue: &str| {
        instruments
            .iter()
            .find(|i| i.venue == venue && starts_with_any(&i.instrument, &["BTC", "XBT"]))
            .map(|i| i.max_mark_drop_pct)
    };
    let ratios: Vec<f64> = instruments
        .iter()
        .filter(|i| !starts_with_any(&i.instrument, &MAJORS))
        .filter_map(|i| btc_drop(&i.venue).filter(|b| *b > 0.0).map(|b| i.max_mark_drop_pct / b))
        .collect();
    median_or_zero(&ratios)
}

fn oi_change_pct(rec: &Recording) -> f64 {
    let (Some(first), Some(last)) = (rec.series.first(), rec.series.last()) else { return 0.0 };
    let (t0, t1) = (first.time_ms, last.time_ms);
    let sum = |t: u64| {
        rec.series.iter().filter(|r| r.time_ms == t).map(|r| f(r.open_interest_notional)).sum::<f64>()
    };
    let (oi0, oi1) = (sum(t0), sum(t1));
    if oi0 > 0.0 { (oi1 / oi0 - 1.0) * 100.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fig in Figure::ALL {
            assert_eq!(Figure::from_name(fig.name()), Some(fig));
            assert_eq!(Figure::ALL[fig.index()], fig);
        }
        assert_eq!(Figure::from_name("total"), None);
    }

    /// Three thin alts and BTC, sampled at 0, 30 and 60 minutes. XRP 2.0 → 1.0 → 1.6 (−20 %
    /// at the hour), DOGE 0.2 → 0.1 → 0.1 (−50 %), SUI 4.0 → 2.0 → 3.6 (−10 %), BTC 100 → 50 →
    /// 100 (a major, left out): the median of −20, −50 and −10 is −20. A market whose first
    /// mark is missing starts at its first mark (WIF: none at 0, 1.0 at 30, 0.5 at 60: −50 %,
    /// making the median of four (−50, −50, −20, −10) the mean of the middle two, −35). Lows at
    /// 30, 45 and 90 minutes and BTC at 1 minute: median 45.
    #[test]
    fn alt_low_and_rebound_by_hand() {
        let m = 60_000;
        let mut rows = Vec::new();
        for (t, x, d, s, b, w) in [
            (0, 2.0, 0.2, 4.0, 100.0, None),
            (30 * m, 1.0, 0.1, 2.0, 50.0, Some(1.0)),
            (60 * m, 1.6, 0.1, 3.6, 100.0, Some(0.5)),
        ] {
            rows.push(("binance", "XRPUSDT", t, Some(x)));
            rows.push(("binance", "DOGEUSDT", t, Some(d)));
            rows.push(("bybit", "SUIUSDT", t, Some(s)));
            rows.push(("binance", "BTCUSDT", t, Some(b)));
            rows.push(("binance", "WIFUSDT", t, w));
        }
        let without_wif: Vec<_> = rows.iter().copied().filter(|r| r.1 != "WIFUSDT").collect();
        assert!((change_pct(without_wif.into_iter(), 60 * m) + 20.0).abs() < 1e-9);
        assert!((change_pct(rows.into_iter(), 60 * m) + 35.0).abs() < 1e-9);
        let lows = [("XRPUSDT", Some(30 * m)), ("DOGEUSDT", Some(45 * m)), ("SUIUSDT", Some(90 * m))];
        let with_btc = lows.into_iter().chain([("BTCUSDT", Some(m)), ("WIFUSDT", None)]);
        assert!((low_minutes(with_btc) - 45.0).abs() < 1e-9);
        assert_eq!(change_pct(std::iter::empty(), 60 * m), 0.0, "no alt: 0");
    }

    /// Samples every 30 s on two markets. Minute 0 (samples at 30 s and 60 s): 5 + 1 + 2 = 8.
    /// Minute 1 (90 s, 120 s): 4 + 4 = 8, a tie with minute 0, which wins. Minute 2 (150 s,
    /// 180 s): 3 + 6 + 0.5 = 9.5, the peak. Minute 3 (210 s): 9, less. So the peak is minute 2;
    /// with minute 3's sample raised to 10 (10 > 9.5) it is minute 3; no liquidation gives 0.
    #[test]
    fn liquidation_peak_minute_by_hand() {
        let s = 1000;
        let rows = [
            (30 * s, 5.0),
            (60 * s, 1.0),
            (60 * s, 2.0),
            (90 * s, 4.0),
            (120 * s, 4.0),
            (150 * s, 3.0),
            (180 * s, 6.0),
            (180 * s, 0.5),
            (210 * s, 9.0),
        ];
        assert_eq!(peak_minute(rows.into_iter()), 2.0);
        let mut later = rows;
        later[8].1 = 10.0;
        assert_eq!(peak_minute(later.into_iter()), 3.0);
        assert_eq!(peak_minute(rows[..2].iter().copied()), 0.0);
        assert_eq!(peak_minute([(1000, 0.0), (61_000, 0.0)].into_iter()), 0.0, "nothing liquidated");
    }
}
