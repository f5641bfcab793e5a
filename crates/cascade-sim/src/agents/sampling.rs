//! Draws shared by several agents: heavy-tailed sizes, leverage from a weighted bucket mix, a
//! weighted choice, and exponential waiting times. Floats only: callers convert results to
//! engine integers with a named rounding.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::scenario::{LeverageBucket, SizeDist, SizeKind};

/// A notional from `d`, settle-asset units, within `[min, max]`: draws above `max` are drawn
/// again (up to 32 times, then clamped), draws below `min` are raised to it.
#[must_use]
pub fn size(d: &SizeDist, rng: &mut ChaCha8Rng) -> f64 {
    SizeSampler::new(d).draw(rng)
}

/// A [`SizeDist`] with its decimal figures converted to floats once: an agent that draws a size
/// per order keeps one, since the three conversions cost more than the draw itself. Draws are
/// exactly those of [`size`].
#[derive(Debug, Clone, Copy)]
pub struct SizeSampler {
    kind: SizeKind,
    median: f64,
    sigma: f64,
    alpha: f64,
    min: f64,
    max: f64,
}

impl SizeSampler {
    /// The sampler of `d`.
    #[must_use]
    pub fn new(d: &SizeDist) -> Self {
        Self {
            kind: d.kind,
            median: d.median.to_f64(),
            sigma: d.sigma,
            alpha: d.alpha,
            min: d.min.to_f64(),
            max: d.max.to_f64(),
        }
    }

    /// A notional, as [`size`] draws it.
    #[must_use]
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        let (min, max) = (self.min, self.max);
        for _ in 0..32 {
            let x = match self.kind {
                SizeKind::Lognormal => {
                    let z: f64 = StandardNormal.sample(rng);
                    self.median * (self.sigma * z).exp()
                }
                SizeKind::Pareto => {
                    // Inverse CDF: min × U^(−1/α), U in (0, 1].
                    let u = 1.0 - rng.random::<f64>();
                    min * u.powf(-1.0 / self.alpha)
                }
            };
            if x.is_finite() && x <= max {
                return x.max(min);
            }
        }
        max
    }
}

/// A leverage from a weighted mix: the bucket by weight, then uniform among its whole numbers.
#[must_use]
pub fn leverage(mix: &[LeverageBucket], rng: &mut ChaCha8Rng) -> u32 {
    if mix.is_empty() {
        return 1;
    }
    let weights = mix.iter().map(|b| b.weight);
    let b = &mix[pick(weights, rng)];
    let (lo, hi) = (b.min.max(1), b.max().max(b.min.max(1)));
    rng.random_range(lo..=hi)
}

/// An index chosen with probability proportional to its weight (the last one if rounding
/// leaves the draw past the end; 0 for an empty or all-zero list).
#[must_use]
pub fn pick(weights: impl Iterator<Item = f64> + Clone, rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.clone().filter(|w| *w > 0.0).sum();
    if total <= 0.0 {
        return 0;
    }
    let mut x = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if w <= 0.0 {
            continue;
        }
        last = i;
        if x < w {
            return i;
        }
        x -= w;
    }
    last
}

/// Seconds until the next event of a Poisson process with `rate_per_s` (infinite at rate 0).
#[must_use]
pub fn wait_s(rate_per_s: f64, rng: &mut ChaCha8Rng) -> f64 {
    if rate_per_s <= 0.0 {
        return f64::INFINITY;
    }
    let u = 1.0 - rng.random::<f64>();
    -u.ln() / rate_per_s
}

/// Splits `total` items by `weights` into whole counts that sum to `total` exactly (largest
/// remainder; ties to the earlier entry).
#[must_use]
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w.max(0.0) / sum * total as f64).collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest fractional part first; the sort is stable, so ties keep file order.
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa)
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dec;
    use rand::SeedableRng;

    #[test]
    fn apportion_is_exact() {
        assert_eq!(apportion(10, &[0.5, 0.5]), [5, 5]);
        assert_eq!(apportion(10, &[0.275, 0.165, 0.56]), [3, 2, 5]);
        assert_eq!(apportion(3, &[1.0, 1.0]).iter().sum::<u64>(), 3);
        assert_eq!(apportion(5, &[]), Vec::<u64>::new());
    }

    #[test]
    fn sizes_stay_in_bounds_and_have_the_median() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let d = SizeDist { max: Dec::parse("100000").unwrap(), ..SizeDist::default() };
        let mut xs: Vec<f64> = (0..20_001).map(|_| size(&d, &mut rng)).collect();
        assert!(xs.iter().all(|x| (10.0..=100_000.0).contains(x)));
        xs.sort_by(f64::total_cmp);
        let median = xs[10_000];
        assert!((median / 2_000.0 - 1.0).abs() < 0.06, "median {median}");
        let p = SizeDist { kind: SizeKind::Pareto, alpha: 1.5, ..SizeDist::default() };
        assert!((0..1000).all(|_| size(&p, &mut rng) >= 10.0));
    }

    #[test]
    fn leverage_follows_the_buckets() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mix = [LeverageBucket::new(1, 5, 0.5), LeverageBucket::new(100, 100, 0.5)];
        let draws: Vec<u32> = (0..4000).map(|_| leverage(&mix, &mut rng)).collect();
        assert!(draws.iter().all(|l| (1..=5).contains(l) || *l == 100));
        let high = draws.iter().filter(|l| **l == 100).count();
        assert!((1800..2200).contains(&high), "{high}");
    }

    #[test]
    fn leverage_weights_are_relative() {
        // Weights 2 and 6 draw 100x with probability 6 / 8 = 0.75: 3,000 of 4,000 expected,
        // standard deviation sqrt(4000 × 0.75 × 0.25) ≈ 27, so 2,850–3,150 is over 5 sigma.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mix = [LeverageBucket::new(1, 5, 2.0), LeverageBucket::new(100, 100, 6.0)];
        let high = (0..4000).filter(|_| leverage(&mix, &mut rng) == 100).count();
        assert!((2850..3150).contains(&high), "{high}");
    }
}
