//! A real price path an asset's fair value follows (`[[assets]] path = ...`), held in memory.
//!
//! The simulator never opens files: cascade-io reads the kline file a scenario names, builds a
//! [`PricePath`] from it and attaches it to the asset ([`Scenario::attach_price_paths`](super::Scenario::attach_price_paths)).
//!
//! **Points and interpolation.** Each kline becomes one point: its `close`, at the instant the
//! bar closes, `close_time + 1` ms (for Binance 1-minute bars, `open_time + 60 000`). The close
//! is the last trade of the bar, so it is known only then; placing it at `open_time` would let
//! the simulation see a minute into the future. The first bar's `open`, at its `open_time`,
//! starts the path. Between two points the fair value moves
//! **linearly** (in price, not in log-price); at a point it equals that close exactly.
//!
//! **Bar ranges.** A kline path also keeps each bar's low and high ([`BarRange`]). The fair value
//! never uses them (it follows the closes); a population's look-back does: a trader whose stop
//! or liquidation price lay inside a bar's range was stopped out by that bar's wick, even though
//! no close reached it.

use super::values::Dec;

/// One point of a price path: an exact price at a Unix time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricePoint {
    /// Unix time, milliseconds UTC (for a kline: its `close_time + 1`).
    pub time_ms: u64,
    /// Price, USD (for a kline: its `close`), exact.
    pub price: Dec,
}

/// The range one bar traded in: its lowest and highest price between its open and its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarRange {
    /// Unix time the bar closes, milliseconds UTC (for a kline: its `close_time + 1`).
    pub close_ms: u64,
    /// Lowest price of the bar, USD, exact.
    pub low: Dec,
    /// Highest price of the bar, USD, exact.
    pub high: Dec,
}

/// A price path: points in strictly increasing time, every price > 0, at least one point; and
/// optionally the ranges of the bars the points close (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePath {
    /// Where it came from (a file path), for error messages.
    pub source: String,
    points: Vec<PricePoint>,
    ranges: Vec<BarRange>,
}

impl PricePath {
    /// A path from `points`, checked.
    ///
    /// # Errors
    /// A message if there is no point, a price is not > 0, or times do not strictly increase.
    pub fn new(source: impl Into<String>, points: Vec<PricePoint>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("the price path has no point".into());
        }
        for (i, p) in points.iter().enumerate() {
            if !p.price.is_positive() {
                return Err(format!("point {i}: price {} is not > 0", p.price));
            }
            if i > 0 && p.time_ms <= points[i - 1].time_ms {
                return Err(format!(
                    "point {i}: time {} ms is not after the previous point's {} ms",
                    p.time_ms,
                    points[i - 1].time_ms
                ));
            }
        }
        Ok(Self { source: source.into(), points, ranges: Vec::new() })
    }

    /// The same path with the ranges of its bars, checked.
    ///
    /// # Errors
    /// A message if a low is not > 0, a high is below its low, or close times do not strictly
    /// increase.
    pub fn with_ranges(mut self, ranges: Vec<BarRange>) -> Result<Self, String> {
        for (i, r) in ranges.iter().enumerate() {
            if !r.low.is_positive() {
                return Err(format!("bar {i}: low {} is not > 0", r.low));
            }
            if r.high < r.low {
                return Err(format!("bar {i}: high {} is below low {}", r.high, r.low));
            }
            if i > 0 && r.close_ms <= ranges[i - 1].close_ms {
                return Err(format!(
                    "bar {i}: close time {} ms is not after the previous bar's {} ms",
                    r.close_ms,
                    ranges[i - 1].close_ms
                ));
            }
        }
        self.ranges = ranges;
        Ok(self)
    }

    /// The bars' ranges, in time order (empty for a path of bare points).
    #[must_use]
    pub fn ranges(&self) -> &[BarRange] {
        &self.ranges
    }

    /// The points, in time order.
    #[must_use]
    pub fn points(&self) -> &[PricePoint] {
        &self.points
    }

    /// Time of the first point, Unix ms.
    #[must_use]
    pub fn first_ms(&self) -> u64 {
        self.points[0].time_ms
    }

    /// Time of the last point, Unix ms.
    #[must_use]
    pub fn last_ms(&self) -> u64 {
        self.points[self.points.len() - 1].time_ms
    }

    /// The exact price of the point at `time_ms`, if there is one at exactly that time.
    #[must_use]
    pub fn price_at_point(&self, time_ms: u64) -> Option<Dec> {
        self.points.binary_search_by_key(&time_ms, |p| p.time_ms).ok().map(|i| self.points[i].price)
    }
}

/// A price path as the simulation uses it: times relative to simulated time zero, in
/// microseconds, prices as floats (the fair value is an exogenous driver, not money).
#[derive(Debug, Clone)]
pub struct Track {
    times_us: Vec<i64>,
    prices: Vec<f64>,
    /// (close time µs from time zero, low, high) of each bar, in time order.
    ranges: Vec<(i64, f64, f64)>,
}

impl Track {
    /// `path` with simulated time zero at Unix time `start_ms`.
    #[must_use]
    pub fn new(path: &PricePath, start_ms: u64) -> Self {
        let start = i128::from(start_ms);
        let micros = |ms: u64| {
            let us = (i128::from(ms) - start) * 1_000;
            i64::try_from(us).unwrap_or(if us < 0 { i64::MIN } else { i64::MAX })
        };
        let times_us = path.points.iter().map(|p| micros(p.time_ms)).collect();
        let prices = path.points.iter().map(|p| p.price.to_f64()).collect();
        let ranges =
            path.ranges.iter().map(|r| (micros(r.close_ms), r.low.to_f64(), r.high.to_f64())).collect();
        Self { times_us, prices, ranges }
    }

    /// The bars' (close time µs from time zero, low, high), in time order.
    #[must_use]
    pub fn ranges(&self) -> &[(i64, f64, f64)] {
        &self.ranges
    }

    /// The price at `t_us` microseconds from time zero (negative: before the run): the price of
    /// the point at exactly that time, else the linear interpolation between the two points
    /// around it; held flat before the first point and after the last.
    #[must_use]
    pub fn at(&self, t_us: i64) -> f64 {
        match self.times_us.binary_search(&t_us) {
            Ok(i) => self.prices[i],
            Err(0) => self.prices[0],
            Err(i) if i >= self.times_us.len() => self.prices[self.prices.len() - 1],
            Err(i) => {
                let (t0, t1) = (self.times_us[i - 1] as f64, self.times_us[i] as f64);
                let (p0, p1) = (self.prices[i - 1], self.prices[i]);
                p0 + (p1 - p0) * ((t_us as f64 - t0) / (t1 - t0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(time_ms: u64, price: &str) -> PricePoint {
        PricePoint { time_ms, price: Dec::parse(price).unwrap() }
    }

    #[test]
    fn a_path_refuses_disorder_and_non_positive_prices() {
        assert!(PricePath::new("f", vec![]).is_err());
        assert!(PricePath::new("f", vec![pt(1, "1"), pt(1, "2")]).unwrap_err().contains("point 1"));
        assert!(PricePath::new("f", vec![pt(1, "0")]).unwrap_err().contains("not > 0"));
        let p = PricePath::new("f", vec![pt(60_000, "100"), pt(120_000, "110")]).unwrap();
        assert_eq!(p.price_at_point(120_000), Some(Dec::parse("110").unwrap()));
        assert_eq!(p.price_at_point(90_000), None);
    }

    #[test]
    fn bar_ranges_are_checked() {
        let p = PricePath::new("f", vec![pt(60_000, "100"), pt(120_000, "110")]).unwrap();
        let bar = |t, lo: &str, hi: &str| BarRange {
            close_ms: t,
            low: Dec::parse(lo).unwrap(),
            high: Dec::parse(hi).unwrap(),
        };
        let err = |r| p.clone().with_ranges(r).unwrap_err();
        assert!(err(vec![bar(120_000, "0", "110")]).contains("bar 0: low 0 is not > 0"));
        assert!(err(vec![bar(120_000, "110", "100")]).contains("bar 0: high 100 is below low 110"));
        assert!(
            err(vec![bar(120_000, "90", "110"), bar(120_000, "90", "110")]).contains("bar 1: close time")
        );
        let ok = p.clone().with_ranges(vec![bar(120_000, "90", "111")]).unwrap();
        assert_eq!(ok.ranges().len(), 1);
        // Time zero at Unix 60 000 ms: the bar closes 60 s after it.
        assert_eq!(Track::new(&ok, 60_000).ranges(), &[(60_000_000, 90.0, 111.0)]);
    }

    #[test]
    fn the_track_interpolates_linearly_between_closes() {
        let p = PricePath::new("f", vec![pt(60_000, "100"), pt(120_000, "110"), pt(180_000, "90")]).unwrap();
        // Time zero at Unix 120 000 ms: the points sit at -60 s, 0 s and +60 s.
        let t = Track::new(&p, 120_000);
        assert_eq!(t.at(0), 110.0);
        assert_eq!(t.at(-60_000_000), 100.0);
        // Half-way from 100 to 110: 105; a quarter of the way from 110 to 90: 105.
        assert!((t.at(-30_000_000) - 105.0).abs() < 1e-9);
        assert!((t.at(15_000_000) - 105.0).abs() < 1e-9);
        // Flat outside the file.
        assert_eq!(t.at(-1_000_000_000), 100.0);
        assert_eq!(t.at(1_000_000_000), 90.0);
    }
}
