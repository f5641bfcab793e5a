//! Published per-market drops against the simulated ones.
//!
//! A band on one median figure (the thin alts' drop ÷ BTC's) says nothing about whether each
//! market fell about as far as it really did: on 10 October 2025 Binance's BNB perpetual fell
//! 33 % and SUI's 83 %. A drop here is what a kline file gives: from the price at the start of
//! the window to the lowest price in it, `100 × (1 − low / start)`. The simulated one reads the
//! market's sampled mark (or last) price: the first sampled value and the lowest. The distance is
//! the root mean square of the differences over the listed markets, in percentage points.

use rust_decimal::prelude::ToPrimitive;

use super::path::PriceField;
use crate::metrics::SeriesRow;

/// One market's published drop.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedDrop {
    /// Venue name, as in the scenario.
    pub venue: String,
    /// Instrument symbol.
    pub symbol: String,
    /// Percent from the window's start to its low, in (0, 100].
    pub drop_pct: f64,
}

/// The market's drop from its first sampled price to its lowest, percent; `None` when it has no
/// positive sampled price. `series` is in time order, as recorded.
#[must_use]
pub fn market_drop_pct(series: &[SeriesRow], venue: &str, symbol: &str, field: PriceField) -> Option<f64> {
    drop_from_start(series.iter().filter(|r| r.venue == venue && r.instrument == symbol).map(|r| {
        match field {
            PriceField::Mark => r.mark,
            PriceField::Last => r.last,
        }
        .and_then(|d| d.to_f64())
    }))
}

/// RMSE, percentage points, of the simulated drops against `published`; `None` when the list is
/// empty or a listed market has no price in the run.
#[must_use]
pub fn drops_rmse_pp(series: &[SeriesRow], published: &[PublishedDrop], field: PriceField) -> Option<f64> {
    rmse(published.iter().map(|d| (market_drop_pct(series, &d.venue, &d.symbol, field), d.drop_pct)))
}

/// `100 × (1 − low / first)` over the positive prices, in order.
fn drop_from_start(prices: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut first: Option<f64> = None;
    let mut low = f64::INFINITY;
    for p in prices.flatten().filter(|p| *p > 0.0) {
        first.get_or_insert(p);
        low = low.min(p);
    }
    first.map(|p0| 100.0 * (1.0 - low / p0))
}

/// Root mean square of (simulated − published); `None` if empty or a simulated value is missing.
fn rmse(pairs: impl Iterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for (sim, published) in pairs {
        sum += (sim? - published).powi(2);
        n += 1;
    }
    (n > 0).then(|| (sum / n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_runs_from_the_first_price_to_the_low() {
        // 200, 150, (missing), 40, 120: 1 − 40 / 200 = 80 %. A leading gap and a zero are
        // skipped: (missing), 0, 100, 70, 90 → 30 %. Nothing priced: none.
        let xrp =
            drop_from_start([Some(200.0), Some(150.0), None, Some(40.0), Some(120.0)].into_iter()).unwrap();
        assert!((xrp - 80.0).abs() < 1e-12, "{xrp}");
        let bnb =
            drop_from_start([None, Some(0.0), Some(100.0), Some(70.0), Some(90.0)].into_iter()).unwrap();
        assert!((bnb - 30.0).abs() < 1e-12, "{bnb}");
        assert_eq!(drop_from_start([None, Some(0.0)].into_iter()), None);
        // A market that only rose has dropped 0 %.
        assert_eq!(drop_from_start([Some(1.0), Some(2.0)].into_iter()), Some(0.0));
    }

    #[test]
    fn rmse_over_the_listed_markets() {
        // Simulated 80 and 30 against published 56 and 33: differences 24 and −3 points,
        // RMSE √((576 + 9) / 2) = √292.5.
        let r = rmse([(Some(80.0), 56.0), (Some(30.0), 33.0)].into_iter()).unwrap();
        assert!((r - 292.5f64.sqrt()).abs() < 1e-9, "{r}");
        // A listed market without prices, or nothing listed: no distance.
        assert_eq!(rmse([(Some(80.0), 56.0), (None, 33.0)].into_iter()), None);
        assert_eq!(rmse(std::iter::empty()), None);
    }
}
