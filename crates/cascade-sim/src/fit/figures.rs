//! The named figures of a run that calibration targets, computed from its recording exactly as
//! `shared/calibration/check_oct10.py` computes them from the written files. Never fails: a
//! figure without data is 0 (no liquidation: long share 0; no thin altcoin: ratio 0; no
//! counterfactual: amplification 0), so a run without a cascade scores far from the bands.

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
}

impl Figure {
    /// Every figure, in report order.
    pub const ALL: [Self; 10] = [
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
    v
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
    if ratios.is_empty() { 0.0 } else { crate::fit::objective::median(&ratios) }
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
}
