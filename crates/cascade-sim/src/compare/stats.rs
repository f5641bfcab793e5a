//! Statistics over seeds: mean, quantiles, a summary (n, mean, median, p5, p95) and the paired
//! difference of two policies with a percentile-bootstrap confidence interval of its mean.
//!
//! Pure and deterministic: the bootstrap draws from one ChaCha8 stream seeded with
//! [`BOOTSTRAP_SEED`], created afresh for every interval, so an interval depends only on the
//! differences it is given (not on threads, nor on which figures were computed before it).
//! Quantiles are the calibration's ([`crate::fit::quantile`]: linear between order statistics,
//! NumPy's default), so the two commands agree.

use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fit::quantile;

/// Seed of the bootstrap's ChaCha8 stream (fixed: outputs are reproducible).
pub const BOOTSTRAP_SEED: u64 = 20_251_010;

/// Resamples of the bootstrap.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// Confidence level of the intervals.
pub const CONFIDENCE: f64 = 0.95;

/// Mean of `xs` (`None` when empty), computed as `x₀ + Σ(xᵢ − x₀) / n` so that equal values give
/// exactly that value back (a plain `Σxᵢ / n` of three 0.1 is 0.10000000000000002).
#[must_use]
pub fn mean(xs: &[f64]) -> Option<f64> {
    let (&x0, _) = xs.split_first()?;
    let dev: f64 = xs.iter().map(|x| x - x0).sum();
    Some(x0 + dev / xs.len() as f64)
}

/// A quantile, `None` when `xs` is empty.
#[must_use]
pub fn quantile_opt(xs: &[f64], q: f64) -> Option<f64> {
    (!xs.is_empty()).then(|| quantile(xs, q))
}

/// One policy's figure over the seeds that have a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Seeds with a value.
    pub n: usize,
    /// Seeds without one (e.g. a mark that never recovered).
    pub missing: usize,
    /// Mean (`None` when `n` = 0).
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 5th percentile.
    pub p5: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

impl Summary {
    /// The summary of per-seed values (`None`: no value for that seed).
    #[must_use]
    pub fn of(values: &[Option<f64>]) -> Self {
        let xs: Vec<f64> = values.iter().flatten().copied().collect();
        Self {
            n: xs.len(),
            missing: values.len() - xs.len(),
            mean: mean(&xs),
            median: quantile_opt(&xs, 0.5),
            p5: quantile_opt(&xs, 0.05),
            p95: quantile_opt(&xs, 0.95),
        }
    }
}

/// A policy's figure minus the baseline's, seed by seed (paired: same seed, same draws).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// Seeds where both have a value.
    pub n: usize,
    /// Mean difference.
    pub mean: Option<f64>,
    /// Median difference.
    pub median: Option<f64>,
    /// Lower end of the 95 % percentile-bootstrap interval of the mean difference.
    pub ci_lo: Option<f64>,
    /// Upper end.
    pub ci_hi: Option<f64>,
}

impl PairedDiff {
    /// `policy − baseline` for every seed where both have a value, summarised.
    #[must_use]
    pub fn of(policy: &[Option<f64>], baseline: &[Option<f64>]) -> Self {
        let d: Vec<f64> = paired_differences(policy, baseline).into_iter().flatten().collect();
        let ci = bootstrap_mean_ci(&d, BOOTSTRAP_RESAMPLES, CONFIDENCE, BOOTSTRAP_SEED);
        Self {
            n: d.len(),
            mean: mean(&d),
            median: quantile_opt(&d, 0.5),
            ci_lo: ci.map(|c| c.0),
            ci_hi: ci.map(|c| c.1),
        }
    }
}

/// `policy − baseline` per seed (`None` where either is missing).
#[must_use]
pub fn paired_differences(policy: &[Option<f64>], baseline: &[Option<f64>]) -> Vec<Option<f64>> {
    policy.iter().zip(baseline).map(|(p, b)| Some((*p)? - (*b)?)).collect()
}

/// Percentile-bootstrap interval of the mean of `xs` at `level` (e.g. 0.95): `resamples`
/// samples of `n` values drawn with replacement, the mean of each, and the `(1 − level)/2` and
/// `(1 + level)/2` quantiles of those means. `None` when `xs` is empty or `resamples` is 0.
/// Every value equal ⇒ the interval is that value, exactly.
#[must_use]
pub fn bootstrap_mean_ci(xs: &[f64], resamples: usize, level: f64, seed: u64) -> Option<(f64, f64)> {
    if xs.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = xs.len();
    let mut sample = vec![0.0; n];
    let mut means = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for s in &mut sample {
            *s = xs[rng.random_range(0..n)];
        }
        means.push(mean(&sample).unwrap_or(f64::NAN));
    }
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    Some((quantile(&means, tail), quantile(&means, 1.0 - tail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_equal_values_is_exact() {
        // Σ/n would give 0.30000000000000004 / 3 = 0.10000000000000002.
        assert_eq!(mean(&[0.1, 0.1, 0.1]), Some(0.1));
        assert_eq!(mean(&[1.0, 2.0, 3.0, 10.0]), Some(4.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn summary_by_hand() {
        // 1..=21: position q × 20 in the sorted values; p5 → position 1 → 2, p95 → 19 → 20,
        // median → 10 → 11, mean 11.
        let v: Vec<Option<f64>> = (1..=21).map(|i| Some(f64::from(i))).collect();
        let s = Summary::of(&v);
        assert_eq!((s.n, s.missing), (21, 0));
        assert_eq!((s.mean, s.median, s.p5, s.p95), (Some(11.0), Some(11.0), Some(2.0), Some(20.0)));
        // [3, None, 1, 2, 10]: four values; median between 2 and 3 = 2.5; p5 at position
        // 0.15 → 1 + 0.15 × (2 − 1) = 1.15; p95 at 2.85 → 3 + 0.85 × 7 = 8.95.
        let s = Summary::of(&[Some(3.0), None, Some(1.0), Some(2.0), Some(10.0)]);
        assert_eq!((s.n, s.missing), (4, 1));
        assert_eq!(s.mean, Some(4.0));
        assert_eq!(s.median, Some(2.5));
        assert!((s.p5.unwrap() - 1.15).abs() < 1e-12, "{s:?}");
        assert!((s.p95.unwrap() - 8.95).abs() < 1e-12, "{s:?}");
        let empty = Summary::of(&[None, None]);
        assert_eq!((empty.n, empty.missing, empty.mean, empty.p95), (0, 2, None, None));
    }

    #[test]
    fn paired_differences_skip_seeds_missing_on_either_side() {
        let p = [Some(5.0), None, Some(2.0), Some(1.0)];
        let b = [Some(3.0), Some(1.0), None, Some(4.0)];
        assert_eq!(paired_differences(&p, &b), vec![Some(2.0), None, None, Some(-3.0)]);
        let d = PairedDiff::of(&p, &b);
        assert_eq!((d.n, d.mean, d.median), (2, Some(-0.5), Some(-0.5)));
    }

    #[test]
    fn bootstrap_of_equal_differences_is_that_point() {
        let ci = bootstrap_mean_ci(&[0.1; 7], BOOTSTRAP_RESAMPLES, 0.95, BOOTSTRAP_SEED);
        assert_eq!(ci, Some((0.1, 0.1)));
        let d = PairedDiff::of(&[Some(2.5), Some(3.5)], &[Some(2.0), Some(3.0)]);
        assert_eq!((d.mean, d.ci_lo, d.ci_hi), (Some(0.5), Some(0.5), Some(0.5)));
        assert_eq!(bootstrap_mean_ci(&[-4.0], 100, 0.95, 1), Some((-4.0, -4.0)));
        assert_eq!(bootstrap_mean_ci(&[], 100, 0.95, 1), None);
    }

    #[test]
    fn bootstrap_of_zero_and_one_spans_both() {
        // Resamples of {0, 1} have mean 0 (both draws 0, probability 1/4), 1/2 (1/2) or 1 (1/4).
        // Of 10,000 resamples about 2,500 have mean 0, far more than the 250 below the 2.5 %
        // quantile (fewer than 251 would be a 45-sigma event): the interval is exactly [0, 1].
        let ci = bootstrap_mean_ci(&[0.0, 1.0], BOOTSTRAP_RESAMPLES, 0.95, BOOTSTRAP_SEED);
        assert_eq!(ci, Some((0.0, 1.0)));
        // At level 0 both ends are the median of the means: 1/2.
        assert_eq!(
            bootstrap_mean_ci(&[0.0, 1.0], BOOTSTRAP_RESAMPLES, 0.0, BOOTSTRAP_SEED),
            Some((0.5, 0.5))
        );
    }

    #[test]
    fn bootstrap_is_reproducible_and_brackets_the_mean() {
        let xs = [-3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let a = bootstrap_mean_ci(&xs, 2_000, 0.95, 7).unwrap();
        assert_eq!(Some(a), bootstrap_mean_ci(&xs, 2_000, 0.95, 7));
        // Mean 25/8 = 3.125; the interval lies inside [min, max] and brackets it.
        assert!(a.0 < 3.125 && 3.125 < a.1 && -3.0 <= a.0 && a.1 <= 9.0, "{a:?}");
    }
}
