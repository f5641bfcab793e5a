//! Statistics of a sweep per parameter point: the distribution of each main figure over the
//! seeds, tail risk of the losses, and the probabilities of the events that matter.
//!
//! # Definitions
//! - Quantiles are linear between order statistics (NumPy's default, the same as
//!   `cascade compare` and `cascade calibrate`): for `n` sorted values `x₀ ≤ … ≤ xₙ₋₁`, the
//!   `q`-quantile sits at position `h = q (n − 1)`: `x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋)`.
//! - **VaR_q** (value at risk) of a loss is its `q`-quantile: the loss exceeded in a share
//!   `1 − q` of the runs.
//! - **ES_q** (expected shortfall) is the mean of the losses ≥ VaR_q: how bad the tail is on
//!   average once VaR is reached.
//! - The losses are a run's liquidated notional (long + short) and its bad debt.
//! - `P(fund exhausted)` is the share of runs where any venue's insurance fund was exhausted
//!   (see [`crate::figures`]); `P(ADL)` the share with at least one ADL reduction.
//! - Amplification statistics use the runs that have one (a counterfactual that dropped).

use cascade_sim::fit::quantile;

use crate::figures::FigureDef;
use crate::journal::RunRow;

/// The distribution of a figure over a point's runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Dist {
    /// Runs with a value.
    pub n: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 5th percentile.
    pub p5: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

impl Dist {
    /// The distribution of `xs` (empty: all `None`).
    #[must_use]
    pub fn of(xs: &[f64]) -> Self {
        let q = |p: f64| (!xs.is_empty()).then(|| quantile(xs, p));
        Self { n: xs.len() as u64, mean: mean(xs), median: q(0.5), p5: q(0.05), p95: q(0.95) }
    }
}

/// A loss's distribution and its tail risk.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Risk {
    /// Mean, median, p5, p95.
    pub dist: Dist,
    /// VaR at 95 %.
    pub var95: Option<f64>,
    /// Expected shortfall at 95 %.
    pub es95: Option<f64>,
    /// VaR at 99 %.
    pub var99: Option<f64>,
    /// Expected shortfall at 99 %.
    pub es99: Option<f64>,
}

impl Risk {
    /// The risk figures of `losses`.
    #[must_use]
    pub fn of(losses: &[f64]) -> Self {
        Self {
            dist: Dist::of(losses),
            var95: value_at_risk(losses, 0.95),
            es95: expected_shortfall(losses, 0.95),
            var99: value_at_risk(losses, 0.99),
            es99: expected_shortfall(losses, 0.99),
        }
    }
}

/// Mean, `x₀ + Σ(xᵢ − x₀)/n` (equal values give exactly that value); `None` when empty.
#[must_use]
pub fn mean(xs: &[f64]) -> Option<f64> {
    let (&x0, _) = xs.split_first()?;
    Some(x0 + xs.iter().map(|x| x - x0).sum::<f64>() / xs.len() as f64)
}

/// VaR_q: the `q`-quantile of the losses; `None` when there are none.
#[must_use]
pub fn value_at_risk(losses: &[f64], q: f64) -> Option<f64> {
    (!losses.is_empty()).then(|| quantile(losses, q))
}

/// ES_q: the mean of the losses ≥ VaR_q; `None` when there are none.
#[must_use]
pub fn expected_shortfall(losses: &[f64], q: f64) -> Option<f64> {
    let var = value_at_risk(losses, q)?;
    let mut tail: Vec<f64> = losses.iter().copied().filter(|x| *x >= var).collect();
    tail.sort_by(f64::total_cmp);
    mean(&tail)
}

/// One parameter point's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct PointAggregate {
    /// Point number.
    pub point: u64,
    /// Runs of the point found.
    pub runs: u64,
    /// Smallest and largest run id of the point's runs.
    pub run_ids: (u64, u64),
    /// Smallest and largest seed.
    pub seeds: (u64, u64),
    /// The point's scenario hash (the same for all its runs).
    pub scenario_hash: String,
    /// Liquidated notional (long + short).
    pub liquidated: Risk,
    /// Bad debt.
    pub bad_debt: Risk,
    /// Insurance-fund drawdown (all venues).
    pub fund_drawdown: Dist,
    /// Peak-to-trough drop, percent.
    pub peak_to_trough: Dist,
    /// Cascade amplification.
    pub amplification: Dist,
    /// Share of runs with an exhausted fund.
    pub p_fund_exhausted: Option<f64>,
    /// Share of runs with ADL.
    pub p_adl: Option<f64>,
}

/// Every point's statistics, in point order (points without runs are left out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Aggregates {
    /// Per point.
    pub points: Vec<PointAggregate>,
}

/// Values of a figure (by column name) over some runs, skipping empty ones.
#[must_use]
pub fn column(runs: &[&RunRow], defs: &[FigureDef], name: &str) -> Vec<f64> {
    let Some(k) = defs.iter().position(|d| d.name == name) else { return Vec::new() };
    runs.iter()
        .filter_map(|r| r.figures.get(k).copied().flatten())
        .map(|v| v.as_f64())
        .filter(|x| !x.is_nan())
        .collect()
}

/// The statistics of each point's runs. `runs` may be in any order; points are reported in
/// point order and each point's values are taken in run-id order, so the result does not depend
/// on the order runs finished in.
#[must_use]
pub fn aggregate(runs: &[RunRow], defs: &[FigureDef]) -> Aggregates {
    let mut points = Vec::new();
    let mut start = 0;
    let mut by_point: Vec<&RunRow> = runs.iter().collect();
    by_point.sort_by_key(|r| (r.point, r.run_id));
    while start < by_point.len() {
        let p = by_point[start].point;
        let end = start + by_point[start..].iter().take_while(|r| r.point == p).count();
        let rs = &by_point[start..end];
        let share = |name: &str| {
            let xs = column(rs, defs, name);
            (!xs.is_empty()).then(|| xs.iter().filter(|x| **x > 0.0).count() as f64 / xs.len() as f64)
        };
        points.push(PointAggregate {
            point: p,
            runs: rs.len() as u64,
            run_ids: (rs[0].run_id, rs[rs.len() - 1].run_id),
            seeds: (
                rs.iter().map(|r| r.seed).min().unwrap_or(0),
                rs.iter().map(|r| r.seed).max().unwrap_or(0),
            ),
            scenario_hash: rs[0].scenario_hash.clone(),
            liquidated: Risk::of(&column(rs, defs, "liquidated_notional")),
            bad_debt: Risk::of(&column(rs, defs, "bad_debt")),
            fund_drawdown: Dist::of(&column(rs, defs, "insurance_fund_drawdown")),
            peak_to_trough: Dist::of(&column(rs, defs, "peak_to_trough_pct")),
            amplification: Dist::of(&column(rs, defs, "cascade_amplification")),
            p_fund_exhausted: share("fund_exhausted"),
            p_adl: share("adl_count"),
        });
        start = end;
    }
    Aggregates { points }
}
