//! The index of a replayed asset (`[[assets]] index = "path"`), exact in a market's price units.
//!
//! A replay holds the venues to the real price path: the index a market's mark is computed from
//! is the file's close, not a float near it. Each close becomes an integer number of the
//! market's price units (rounded half away from zero only when the file has more decimals than
//! the market), placed where the price path puts it (a bar's close time + 1 ms, relative to the
//! run start); between two closes the index moves linearly, in integers, rounded down to a
//! price unit (`Round::Floor`), so at every close time it equals that close exactly. It is held
//! flat before the first point and after the last. Must never read a file or touch a venue.

use cascade_engine::num::{Price, Round, div_i128};
use rust_decimal::RoundingStrategy;

use crate::scenario::{Dec, PricePath};

/// A price path in one market's price units, times in microseconds from simulated time zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayIndex {
    times_us: Vec<i64>,
    units: Vec<i64>,
}

impl ReplayIndex {
    /// `path` for a market with `price_decimals`, with simulated time zero at Unix `start_ms`.
    ///
    /// # Errors
    /// A message naming the point whose price does not fit the market's price units.
    pub fn new(path: &PricePath, start_ms: u64, price_decimals: u32) -> Result<Self, String> {
        let mut times_us = Vec::with_capacity(path.points().len());
        let mut units = Vec::with_capacity(path.points().len());
        for (i, p) in path.points().iter().enumerate() {
            let us = (i128::from(p.time_ms) - i128::from(start_ms)) * 1_000;
            times_us.push(i64::try_from(us).map_err(|_| format!("point {i}: time out of range"))?);
            let rounded =
                Dec(p.price.0.round_dp_with_strategy(price_decimals, RoundingStrategy::MidpointAwayFromZero));
            let u = rounded.to_scaled(price_decimals).filter(|&u| u > 0).ok_or_else(|| {
                format!("point {i}: price {} does not fit {price_decimals} decimals", p.price)
            })?;
            units.push(u);
        }
        Ok(Self { times_us, units })
    }

    /// The index at `t_us` microseconds from time zero: the close at exactly that time, else
    /// the integer linear interpolation between the two closes around it, rounded down.
    #[must_use]
    pub fn at(&self, t_us: i64) -> Price {
        let n = self.units.len();
        match self.times_us.binary_search(&t_us) {
            Ok(i) => Price(self.units[i]),
            Err(0) => Price(self.units[0]),
            Err(i) if i >= n => Price(self.units[n - 1]),
            Err(i) => {
                let (t0, t1) = (i128::from(self.times_us[i - 1]), i128::from(self.times_us[i]));
                let (p0, p1) = (i128::from(self.units[i - 1]), i128::from(self.units[i]));
                let step = div_i128((p1 - p0) * (i128::from(t_us) - t0), t1 - t0, Round::Floor).unwrap_or(0);
                Price(self.units[i - 1].saturating_add(step))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::PricePoint;

    fn pt(time_ms: u64, price: &str) -> PricePoint {
        PricePoint { time_ms, price: Dec::parse(price).unwrap() }
    }

    /// Closes 100.5 at Unix 60 s and 101.2 at 120 s, one decimal (units of 0.1): 1005 and 1012
    /// exactly at those times; 15 s past the first, 1005 + 7 × 15/60 = 1006.75, floored 1006;
    /// 1 µs before the second, 1005 + 7 × (60 s − 1 µs)/60 s = 1011.99…, floored 1011.
    #[test]
    fn closes_are_exact_and_between_them_the_index_is_floored_linear() {
        let p = PricePath::new("f", vec![pt(60_000, "100.5"), pt(120_000, "101.2")]).unwrap();
        let r = ReplayIndex::new(&p, 60_000, 1).unwrap();
        assert_eq!(r.at(0), Price(1005));
        assert_eq!(r.at(60_000_000), Price(1012));
        assert_eq!(r.at(15_000_000), Price(1006));
        assert_eq!(r.at(59_999_999), Price(1011));
        assert_eq!(r.at(-5), Price(1005));
        assert_eq!(r.at(1_000_000_000), Price(1012));
        // Two decimals in the file for a market of none: 100.5 → 101 (half away from zero).
        let r0 = ReplayIndex::new(&p, 60_000, 0).unwrap();
        assert_eq!(r0.at(0), Price(101));
    }
}
