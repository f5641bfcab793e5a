//! The figures `cascade compare` reports for each run: liquidated notional (total, long,
//! short), the mark's peak-to-trough drop per market and the worst, how long each mark took to
//! win back half of that drop, bad debt, insurance-fund drawdown, ADL count and notional, and
//! the circuit breaker's halts (a count: the summary has no halted volume or halted time).
//!
//! Read from a run's [`Recording`]; the totals shared with calibration come from
//! [`crate::fit::compute_figures`] so both commands define them once. Never fails: a figure that
//! does not exist for a run (a mark that never won back half its drop) is `None`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::fit::{Figure, ReferenceMarket, compute_figures};
use crate::metrics::{Recording, SeriesRow};

/// What a compared figure is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureDef {
    /// Name in the outputs, e.g. `liquidated_usd` or `drop_pct:binance/BTCUSDT`.
    pub name: String,
    /// Unit: `USD`, `%`, `min` or `count`.
    pub unit: String,
    /// One line for people.
    pub description: String,
}

fn def(name: String, unit: &str, description: String) -> FigureDef {
    FigureDef { name, unit: unit.into(), description }
}

/// The markets of a run, `(venue, symbol)`, in scenario order.
fn markets(rec: &Recording) -> Vec<(&str, &str)> {
    rec.summary.instruments.iter().map(|i| (i.venue.as_str(), i.instrument.as_str())).collect()
}

/// The figures of a run's markets, in output order (the same for every run of one scenario).
#[must_use]
pub fn figure_defs(markets: &[(String, String)]) -> Vec<FigureDef> {
    let mut v = vec![
        def("liquidated_usd".into(), "USD", "liquidated notional, long + short, all venues".into()),
        def("liquidated_long_usd".into(), "USD", "liquidated notional of longs".into()),
        def("liquidated_short_usd".into(), "USD", "liquidated notional of shorts".into()),
        def("drop_pct:worst".into(), "%", "largest peak-to-trough drop of the mark over all markets".into()),
    ];
    for (venue, symbol) in markets {
        v.push(def(
            format!("drop_pct:{venue}/{symbol}"),
            "%",
            format!("peak-to-trough drop of the {venue} {symbol} mark"),
        ));
    }
    v.push(def(
        "recovery_min:worst".into(),
        "min",
        "minutes from the low of the worst market's drop until its mark wins back half of it (none: not recovered)"
            .into(),
    ));
    for (venue, symbol) in markets {
        v.push(def(
            format!("recovery_min:{venue}/{symbol}"),
            "min",
            format!("minutes from the low of the {venue} {symbol} drop until its mark wins back half of it"),
        ));
    }
    v.extend([
        def("bad_debt_usd".into(), "USD", "bad debt at the end, all venues".into()),
        def(
            "insurance_fund_drawdown_usd".into(),
            "USD",
            "insurance funds' drawdown (start − lowest), summed".into(),
        ),
        def("adl_count".into(), "count", "ADL reductions".into()),
        def("adl_notional_usd".into(), "USD", "notional closed by ADL".into()),
        def(
            "halts".into(),
            "count",
            "market halts started by a [policy.halts] circuit breaker, all markets".into(),
        ),
    ]);
    v
}

/// The figures of a scenario's multi-asset collateral, `(venue, asset)` per
/// `[[venues.collateral]]` entry in scenario order (none without collateral): how far each
/// venue's own book fell below the asset's external reference, and how many holders a
/// liquidation took the collateral of. [`run_figures`] appends their values after
/// [`figure_defs`]'s.
#[must_use]
pub fn collateral_figure_defs(collateral: &[(String, String)]) -> Vec<FigureDef> {
    let mut v = Vec::with_capacity(collateral.len() * 2);
    for (venue, asset) in collateral {
        v.push(def(
            format!("depeg_pct:{venue}/{asset}"),
            "%",
            format!("largest drop of the {venue} {asset} spot book below the asset's external reference"),
        ));
        v.push(def(
            format!("collateral_liquidated:{venue}/{asset}"),
            "count",
            format!("{venue} accounts whose {asset} collateral a liquidation converted"),
        ));
    }
    v
}

/// The largest peak-to-trough drop of a sampled mark path and when it recovered half of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// The drop, percent of the peak.
    pub drop_pct: f64,
    /// Time of the low, ms since the start.
    pub low_ms: u64,
    /// First sample time after the low at which the mark is at least halfway back from the low
    /// to the peak before it (`None`: never within the run).
    pub recovered_ms: Option<u64>,
}

impl Recovery {
    /// Minutes from the low to the half recovery.
    #[must_use]
    pub fn minutes(&self) -> Option<f64> {
        self.recovered_ms.map(|t| (t - self.low_ms) as f64 / 60_000.0)
    }
}

/// The largest drop of `marks` (time order; the same rule as the run summary's
/// `max_mark_drop_pct`: the peak so far, the lowest price since it) and its half recovery.
/// `None` when the mark never fell below an earlier peak.
#[must_use]
pub fn half_recovery(marks: &[(u64, Decimal)]) -> Option<Recovery> {
    let mut peak: Option<Decimal> = None;
    let mut trough: Option<Decimal> = None;
    // (drop, peak, trough, low time, index of the low)
    let mut best: Option<(f64, Decimal, Decimal, u64, usize)> = None;
    for (k, &(t, p)) in marks.iter().enumerate() {
        let pk = *peak.get_or_insert(p);
        if p > pk {
            peak = Some(p);
            trough = Some(p);
        } else if trough.is_none_or(|tr| p < tr) {
            trough = Some(p);
            if pk > Decimal::ZERO {
                let drop = ((pk - p) / pk).to_f64().unwrap_or(0.0);
                if best.is_none_or(|b| drop > b.0) && drop > 0.0 {
                    best = Some((drop, pk, p, t, k));
                }
            }
        }
    }
    let (drop, pk, low, low_ms, k) = best?;
    let half = low + (pk - low) / Decimal::TWO;
    let recovered_ms = marks[k + 1..].iter().find(|(_, p)| *p >= half).map(|(t, _)| *t);
    Some(Recovery { drop_pct: drop * 100.0, low_ms, recovered_ms })
}

fn mark_path(series: &[SeriesRow], venue: &str, symbol: &str) -> Vec<(u64, Decimal)> {
    series
        .iter()
        .filter(|r| r.venue == venue && r.instrument == symbol)
        .filter_map(|r| r.mark.map(|m| (r.time_ms, m)))
        .collect()
}

fn dec(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

/// The value of every figure of [`figure_defs`] for one run, in that order.
#[must_use]
pub fn run_figures(rec: &Recording) -> Vec<Option<f64>> {
    let s = &rec.summary;
    let t = &s.totals;
    // The reference market only matters for the `btc_*` figures, which are not used here.
    let fit = compute_figures(rec, &ReferenceMarket { venue: String::new(), symbol: String::new() });
    let mut v = vec![
        Some(fit[Figure::TotalLiquidatedUsd.index()]),
        Some(dec(t.liquidated_long_notional)),
        Some(dec(t.liquidated_short_notional)),
        Some(t.peak_to_trough_pct),
    ];
    v.extend(s.instruments.iter().map(|i| Some(i.max_mark_drop_pct)));
    let recoveries: Vec<Option<Recovery>> = markets(rec)
        .into_iter()
        .map(|(venue, sym)| half_recovery(&mark_path(&rec.series, venue, sym)))
        .collect();
    // The worst market: the largest drop, the first in scenario order on a tie.
    let worst = s
        .instruments
        .iter()
        .enumerate()
        .fold(None::<(usize, f64)>, |acc, (k, i)| match acc {
            Some((_, d)) if d >= i.max_mark_drop_pct => acc,
            _ => Some((k, i.max_mark_drop_pct)),
        })
        .map(|(k, _)| k);
    v.push(worst.and_then(|k| recoveries[k]).and_then(|r| r.minutes()));
    v.extend(recoveries.iter().map(|r| r.and_then(|r| r.minutes())));
    v.extend([
        Some(dec(t.bad_debt)),
        Some(fit[Figure::InsuranceFundDrawnUsd.index()]),
        Some(t.adl_count as f64),
        Some(dec(t.adl_notional)),
        Some(s.instruments.iter().map(|i| i.halts).sum::<u64>() as f64),
    ]);
    for c in &s.collateral {
        v.extend([Some(c.depeg_max_pct), Some(c.holders_liquidated as f64)]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(marks: &[i64]) -> Vec<(u64, Decimal)> {
        marks.iter().enumerate().map(|(k, m)| (k as u64 * 1_000, Decimal::from(*m))).collect()
    }

    #[test]
    fn half_recovery_by_hand() {
        // Peak 100, low 80 at t = 2 s (−20 %); halfway back is 90, first reached at t = 5 s.
        let r = half_recovery(&path(&[100, 90, 80, 85, 89, 90, 70])).unwrap();
        // The later 70 is a deeper low (−30 %) of the same peak: it is the drop that counts.
        assert_eq!(r.low_ms, 6_000);
        assert!((r.drop_pct - 30.0).abs() < 1e-12);
        assert_eq!(r.recovered_ms, None);
        assert_eq!(r.minutes(), None);

        let r = half_recovery(&path(&[100, 90, 80, 85, 89, 90, 95])).unwrap();
        assert_eq!((r.low_ms, r.recovered_ms), (2_000, Some(5_000)));
        assert!((r.drop_pct - 20.0).abs() < 1e-12);
        assert_eq!(r.minutes(), Some(3_000.0 / 60_000.0));
    }

    #[test]
    fn a_new_peak_starts_a_new_drop_and_the_larger_one_counts() {
        // 100 → 95 (−5 %), new peak 200 → 150 (−25 %) at t = 4 s, half back = 175 at t = 6 s.
        let r = half_recovery(&path(&[100, 95, 200, 180, 150, 170, 175])).unwrap();
        assert_eq!((r.low_ms, r.recovered_ms), (4_000, Some(6_000)));
        assert!((r.drop_pct - 25.0).abs() < 1e-12);
    }

    #[test]
    fn a_mark_that_only_rises_has_no_drop() {
        assert_eq!(half_recovery(&path(&[1, 2, 2, 3])), None);
        assert_eq!(half_recovery(&[]), None);
    }

    #[test]
    fn every_collateral_has_a_depeg_and_a_liquidated_holders_figure() {
        let c = [("binance".to_string(), "USDe".to_string())];
        let names: Vec<String> = collateral_figure_defs(&c).into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["depeg_pct:binance/USDe", "collateral_liquidated:binance/USDe"]);
        assert!(collateral_figure_defs(&[]).is_empty());
    }

    #[test]
    fn every_market_has_a_drop_and_a_recovery_figure() {
        let m = [("a".to_string(), "X".to_string()), ("b".to_string(), "Y".to_string())];
        let names: Vec<String> = figure_defs(&m).into_iter().map(|d| d.name).collect();
        assert_eq!(
            names,
            [
                "liquidated_usd",
                "liquidated_long_usd",
                "liquidated_short_usd",
                "drop_pct:worst",
                "drop_pct:a/X",
                "drop_pct:b/Y",
                "recovery_min:worst",
                "recovery_min:a/X",
                "recovery_min:b/Y",
                "bad_debt_usd",
                "insurance_fund_drawdown_usd",
                "adl_count",
                "adl_notional_usd",
                "halts",
            ]
        );
    }
}
