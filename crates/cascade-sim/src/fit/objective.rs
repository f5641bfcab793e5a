//! The calibration objective: for each target, the distance of the median over seeds of its
//! figure to the target's band, normalised and weighted; plus, optionally, a weighted price-path
//! RMSE (its median over seeds).
//!
//! Distance to a band `[lo, hi]` with scale `s`: 0 inside, `(lo − x) / s` below, `(x − hi) / s`
//! above. `s` is the band's width `hi − lo` when that is finite and positive; otherwise (a point
//! band such as `[1, 1]`, or an open one such as `[2.5, inf]`) the larger of 1 and the absolute
//! value of the finite bound(s). A target may set its own scale. A NaN median scores
//! [`NAN_DISTANCE`].

use super::figures::{Figure, FigureValues};

/// Distance given to a figure whose median is not a number.
pub const NAN_DISTANCE: f64 = 1.0e6;

/// A closed band `[lo, hi]` (either bound may be infinite) with the scale distances outside it
/// are divided by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Divisor of the distance outside the band (> 0).
    pub scale: f64,
}

impl Band {
    /// The band `[lo, hi]` with `scale`, or the default scale (see the module doc).
    ///
    /// # Errors
    /// A message when a bound is NaN, `lo > hi`, both bounds are infinite on the same side, or
    /// the scale is not finite and positive.
    pub fn new(lo: f64, hi: f64, scale: Option<f64>) -> Result<Self, String> {
        if lo.is_nan() || hi.is_nan() {
            return Err("a band bound is NaN".into());
        }
        if lo > hi {
            return Err(format!("band [{lo}, {hi}]: lo is above hi"));
        }
        if lo == f64::INFINITY || hi == f64::NEG_INFINITY {
            return Err(format!("band [{lo}, {hi}] is empty"));
        }
        let width = hi - lo;
        let scale = match scale {
            Some(s) if s.is_finite() && s > 0.0 => s,
            Some(s) => return Err(format!("scale {s} is not finite and positive")),
            None if width.is_finite() && width > 0.0 => width,
            None => [lo, hi].into_iter().filter(|b| b.is_finite()).map(f64::abs).fold(1.0, f64::max),
        };
        Ok(Self { lo, hi, scale })
    }

    /// Whether `x` lies in the band (bounds included).
    #[must_use]
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// Normalised distance of `x` to the band: 0 inside.
    #[must_use]
    pub fn distance(&self, x: f64) -> f64 {
        if x.is_nan() {
            NAN_DISTANCE
        } else if x < self.lo {
            (self.lo - x) / self.scale
        } else if x > self.hi {
            (x - self.hi) / self.scale
        } else {
            0.0
        }
    }
}

/// A named figure, its band and its weight in the objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The figure.
    pub figure: Figure,
    /// The band it should land in.
    pub band: Band,
    /// Weight (≥ 0).
    pub weight: f64,
}

/// The objective of one evaluation, with its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// Σ weight × distance, plus the path and drops terms.
    pub total: f64,
    /// Median over seeds of each target's figure, in target order.
    pub medians: Vec<f64>,
    /// Weight × distance of each target, in target order.
    pub terms: Vec<f64>,
    /// Median over seeds of the path RMSE and its weighted term, when there is a path.
    pub path: Option<(f64, f64)>,
    /// Median over seeds of the published drops' RMSE and its weighted term, when there are
    /// published drops.
    pub drops: Option<(f64, f64)>,
}

/// A distance measured on every seed (an RMSE, ≥ 0) and its weight: the term is weight × its
/// median over seeds, [`NAN_DISTANCE`] × weight when the median is missing.
#[derive(Debug, Clone, Copy)]
pub struct SeedDistance<'a> {
    /// Weight (≥ 0).
    pub weight: f64,
    /// Each seed's value, in seed order (NaN where it could not be computed).
    pub per_seed: &'a [f64],
}

impl SeedDistance<'_> {
    /// (median, weighted term).
    fn term(self) -> (f64, f64) {
        let m = median(self.per_seed);
        let term = if self.weight == 0.0 {
            0.0
        } else if m.is_nan() {
            self.weight * NAN_DISTANCE
        } else {
            self.weight * m
        };
        (m, term)
    }
}

/// Median of `xs` (mean of the two middle values for an even count; NaN when empty). Sorted
/// with a total order, so NaN values sort last.
#[must_use]
pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

/// The `q`-quantile of `xs`, linearly interpolated between order statistics (NumPy's default):
/// position `q × (n − 1)` in the sorted values. NaN when `xs` is empty.
#[must_use]
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(v.len() - 1);
    let frac = pos - i as f64;
    if frac == 0.0 { v[i] } else { v[i] + (v[j] - v[i]) * frac }
}

/// The objective of one evaluation: `per_seed` holds the figures of each seed's run (in seed
/// order); `path` and `drops` are the distances to the real price path and to the published
/// per-market drops, when the targets have them.
#[must_use]
pub fn objective(
    targets: &[Target],
    per_seed: &[FigureValues],
    path: Option<SeedDistance<'_>>,
    drops: Option<SeedDistance<'_>>,
) -> Objective {
    let mut total = 0.0;
    let mut medians = Vec::with_capacity(targets.len());
    let mut terms = Vec::with_capacity(targets.len());
    for t in targets {
        let values: Vec<f64> = per_seed.iter().map(|v| v[t.figure.index()]).collect();
        let m = median(&values);
        let term = if t.weight == 0.0 { 0.0 } else { t.weight * t.band.distance(m) };
        total += term;
        medians.push(m);
        terms.push(term);
    }
    let path = path.map(SeedDistance::term);
    let drops = drops.map(SeedDistance::term);
    total += path.map_or(0.0, |p| p.1) + drops.map_or(0.0, |d| d.1);
    Objective { total, medians, terms, path, drops }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(lo: f64, hi: f64) -> Band {
        Band::new(lo, hi, None).unwrap()
    }

    #[test]
    fn distance_is_zero_inside_and_scaled_by_width_outside() {
        // Band $15–30B: width $15B.
        let b = band(15e9, 30e9);
        assert_eq!(b.scale, 15e9);
        assert_eq!(b.distance(20e9), 0.0);
        assert_eq!(b.distance(15e9), 0.0);
        assert_eq!(b.distance(30e9), 0.0);
        // $3B: (15 − 3) / 15 = 0.8.
        assert!((b.distance(3e9) - 0.8).abs() < 1e-12);
        // $45B: (45 − 30) / 15 = 1.
        assert!((b.distance(45e9) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn point_and_open_bands_use_the_bound_as_scale() {
        // Hyperliquid the largest venue: [1, 1], scale max(1, 1) = 1; 0 is 1 away.
        let b = band(1.0, 1.0);
        assert_eq!(b.distance(0.0), 1.0);
        assert_eq!(b.distance(1.0), 0.0);
        // Thin alts ≥ 2.5 × BTC: [2.5, inf], scale 2.5; a ratio of 1.5 is 0.4 away.
        let b = band(2.5, f64::INFINITY);
        assert!((b.distance(1.5) - 0.4).abs() < 1e-12);
        assert_eq!(b.distance(1e12), 0.0);
        // An explicit scale wins.
        let b = Band::new(2.5, f64::INFINITY, Some(0.5)).unwrap();
        assert!((b.distance(1.5) - 2.0).abs() < 1e-12);
        assert_eq!(band(0.0, 1.0).distance(f64::NAN), NAN_DISTANCE);
    }

    #[test]
    fn bad_bands_are_refused() {
        assert!(Band::new(2.0, 1.0, None).is_err());
        assert!(Band::new(f64::NAN, 1.0, None).is_err());
        assert!(Band::new(f64::INFINITY, f64::INFINITY, None).is_err());
        assert!(Band::new(0.0, 1.0, Some(0.0)).is_err());
    }

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        // 0.1-quantile of 1..=5: position 0.4 → 1 + 0.4 × (2 − 1) = 1.4; 0.9 → 4.6.
        let xs = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!((quantile(&xs, 0.1) - 1.4).abs() < 1e-12);
        assert!((quantile(&xs, 0.9) - 4.6).abs() < 1e-12);
    }

    #[test]
    fn objective_on_hand_computed_figures() {
        let targets = [
            Target { figure: Figure::TotalLiquidatedUsd, band: band(15e9, 30e9), weight: 1.0 },
            Target { figure: Figure::LongShare, band: band(0.80, 0.92), weight: 2.0 },
            Target { figure: Figure::BtcDropPct, band: band(10.0, 16.0), weight: 1.0 },
            Target { figure: Figure::HyperliquidLargest, band: band(1.0, 1.0), weight: 0.5 },
        ];
        let seed = |total: f64, long: f64, drop: f64, hl: f64| {
            let mut v = [0.0; Figure::ALL.len()];
            v[Figure::TotalLiquidatedUsd.index()] = total;
            v[Figure::LongShare.index()] = long;
            v[Figure::BtcDropPct.index()] = drop;
            v[Figure::HyperliquidLargest.index()] = hl;
            v
        };
        let runs = [seed(6e9, 0.99, 12.0, 1.0), seed(9e9, 0.95, 13.0, 0.0), seed(12e9, 0.98, 4.0, 0.0)];
        // Medians: total $9B → (15 − 9) / 15 = 0.4, weight 1 → 0.4.
        // long share 0.98 → (0.98 − 0.92) / 0.12 = 0.5, weight 2 → 1.0.
        // BTC drop 12 % → inside → 0.
        // Hyperliquid largest 0 → 1 / 1, weight 0.5 → 0.5.
        // Path: RMSEs 2, 4, 3 % → median 3, weight 0.1 → 0.3.
        // Drops: RMSEs 10, 20, NaN (sorted last) → median 20, weight 0.05 → 1.0.
        let path = SeedDistance { weight: 0.1, per_seed: &[2.0, 4.0, 3.0] };
        let drops = SeedDistance { weight: 0.05, per_seed: &[10.0, f64::NAN, 20.0] };
        let o = objective(&targets, &runs, Some(path), Some(drops));
        assert_eq!(o.medians, vec![9e9, 0.98, 12.0, 0.0]);
        let expected = [0.4, 1.0, 0.0, 0.5];
        for (t, e) in o.terms.iter().zip(expected) {
            assert!((t - e).abs() < 1e-9, "{t} vs {e}");
        }
        let (rmse, term) = o.path.unwrap();
        assert_eq!(rmse, 3.0);
        assert!((term - 0.3).abs() < 1e-12);
        let (rmse, term) = o.drops.unwrap();
        assert_eq!(rmse, 20.0);
        assert!((term - 1.0).abs() < 1e-12);
        assert!((o.total - 3.2).abs() < 1e-9, "{}", o.total);
        // No drop computed on any seed: the median is missing, the term NAN_DISTANCE × weight.
        let none = SeedDistance { weight: 0.05, per_seed: &[f64::NAN] };
        let o = objective(&targets, &runs[..1], None, Some(none));
        assert_eq!(o.drops.unwrap().1, 0.05 * NAN_DISTANCE);

        // Everything inside its band and no path term: 0.
        let inside = [seed(20e9, 0.85, 13.0, 1.0)];
        assert_eq!(objective(&targets, &inside, None, None).total, 0.0);
    }
}
