//! A simulated market's minute closes against a real price file's minute closes.
//!
//! Minute `k` of the run is simulated time `k × 60 s`: the simulated value is the market's mark
//! (or last) price on the last series row at or before that time (the first row's before it);
//! the real value is the close
//! of the bar that ended exactly then (a Binance 1-minute bar's close counts at its
//! `close_time + 1 ms`). Both paths are made relative to their own minute-0 value, in percent
//! (`100 × (p_k / p_0 − 1)`), so a scenario whose price level differs from the file's is still
//! compared on shape; the distance is the root mean square of the difference over the minutes
//! 1..=K where both exist, in percentage points.

use rust_decimal::prelude::ToPrimitive;

use crate::metrics::SeriesRow;

/// Which simulated price is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceField {
    /// The mark price.
    Mark,
    /// The last traded price.
    Last,
}

/// The market's price at each whole minute `0..=minutes` of the run: the last sampled price at
/// or before it, the first sampled price before the first sample (`None` only when the market
/// never has one). `series` is in time order, as recorded.
#[must_use]
pub fn minute_path(
    series: &[SeriesRow],
    venue: &str,
    symbol: &str,
    field: PriceField,
    minutes: usize,
) -> Vec<Option<f64>> {
    let mut out = vec![None; minutes + 1];
    let mut current: Option<f64> = None;
    let mut k = 0usize;
    for r in series.iter().filter(|r| r.venue == venue && r.instrument == symbol) {
        let p = match field {
            PriceField::Mark => r.mark,
            PriceField::Last => r.last,
        }
        .and_then(|d| d.to_f64());
        // The first price stands for the minutes before it (the first sample comes one
        // metrics interval after time zero).
        if current.is_none() && p.is_some() {
            current = p;
        }
        while k <= minutes && (k as u64) * 60_000 < r.time_ms {
            out[k] = current;
            k += 1;
        }
        if p.is_some() {
            current = p;
        }
    }
    while k <= minutes {
        out[k] = current;
        k += 1;
    }
    out
}

/// The real closes at the run's whole minutes `0..=minutes`: `bars` are `(close_time_ms, close)`
/// of 1-minute bars (Unix ms); minute `k` is the close of the bar whose `close_time + 1` is
/// `start_ms + k × 60 000` (`None` where the file has no such bar).
#[must_use]
pub fn real_minute_closes(bars: &[(u64, f64)], start_ms: u64, minutes: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; minutes + 1];
    for &(close_time, close) in bars {
        let t = close_time + 1;
        if t < start_ms || (t - start_ms) % 60_000 != 0 {
            continue;
        }
        let k = ((t - start_ms) / 60_000) as usize;
        if k <= minutes {
            out[k] = Some(close);
        }
    }
    out
}

/// RMSE, percentage points, between the two paths made relative to their minute-0 values,
/// over the minutes 1.. where both have a value. `None` when minute 0 is missing in either or
/// no later minute is shared.
#[must_use]
pub fn path_rmse_pct(sim: &[Option<f64>], real: &[Option<f64>]) -> Option<f64> {
    let (s0, r0) = (sim.first().copied().flatten()?, real.first().copied().flatten()?);
    if s0 <= 0.0 || r0 <= 0.0 {
        return None;
    }
    let mut sum = 0.0;
    let mut n = 0usize;
    for (s, r) in sim.iter().zip(real).skip(1) {
        if let (Some(s), Some(r)) = (s, r) {
            let d = 100.0 * (s / s0 - r / r0);
            sum += d * d;
            n += 1;
        }
    }
    (n > 0).then(|| (sum / n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_closes_land_on_their_minutes() {
        // Bars closing at 59_999 and 119_999 count at 60 s and 120 s; start at 60 s.
        let bars = [(59_999, 100.0), (119_999, 101.0), (179_999, 99.0)];
        assert_eq!(real_minute_closes(&bars, 60_000, 3), vec![Some(100.0), Some(101.0), Some(99.0), None]);
    }

    #[test]
    fn rmse_of_relative_paths() {
        // Simulated −2 %, −4 %; real −1 %, −1 %: differences −1 and −3 points, RMSE √5.
        let sim = [Some(200.0), Some(196.0), Some(192.0)];
        let real = [Some(100.0), Some(99.0), Some(99.0)];
        let r = path_rmse_pct(&sim, &real).unwrap();
        assert!((r - 5f64.sqrt()).abs() < 1e-9, "{r}");
        assert_eq!(path_rmse_pct(&[None, Some(1.0)], &real), None);
        assert_eq!(path_rmse_pct(&[Some(1.0)], &[Some(1.0)]), None);
    }
}
