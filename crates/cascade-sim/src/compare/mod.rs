//! Policy comparison arithmetic (`cascade compare`): the figures of each run ([`figures`]), their
//! summary over seeds and the paired difference of every policy to the baseline with a bootstrap
//! confidence interval ([`stats`]), gathered into one [`Comparison`].
//!
//! Pure: no files, no clock, no threads. The CLI runs the (policy, seed) pairs in parallel,
//! collects each run's [`figures::run_figures`] in (policy, seed) order and hands them to
//! [`Comparison::build`]; cascade-io writes the result, cascade-report draws it. Same inputs ⇒
//! the same `Comparison`, bit for bit.

pub mod figures;
pub mod stats;

use serde::{Deserialize, Serialize};

pub use figures::{FigureDef, Recovery, collateral_figure_defs, figure_defs, half_recovery, run_figures};
pub use stats::{PairedDiff, Summary, bootstrap_mean_ci, mean, paired_differences};

/// The name of the scenario as it is, always the first policy.
pub const BASELINE: &str = "baseline";

/// How the confidence intervals were computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// `percentile`: quantiles of the resampled means.
    pub method: String,
    /// Resamples.
    pub resamples: usize,
    /// Confidence level.
    pub level: f64,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
}

/// One figure of one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureResult {
    /// The figure's name (see [`Comparison::figures`]).
    pub figure: String,
    /// One value per seed, in [`Comparison::seeds`] order (`null`: none for that seed).
    pub values: Vec<Option<f64>>,
    /// Over the seeds.
    pub summary: Summary,
    /// Minus the baseline, seed by seed (absent for the baseline itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<PairedDiff>,
}

/// One policy's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// Its name (`baseline` for the scenario as it is).
    pub name: String,
    /// The policy file, as given (absent for the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// One entry per figure, in [`Comparison::figures`] order.
    pub figures: Vec<FigureResult>,
}

/// Every policy's figures over the same seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file, as given.
    pub scenario_file: String,
    /// Seeds, in order; run `k` of every policy used seed `seeds[k]`.
    pub seeds: Vec<u64>,
    /// The figures.
    pub figures: Vec<FigureDef>,
    /// How the intervals were computed.
    pub bootstrap: Bootstrap,
    /// Policies, baseline first.
    pub policies: Vec<PolicyResult>,
}

/// One policy's per-seed figures, the input of [`Comparison::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRuns {
    /// Name.
    pub name: String,
    /// Policy file (None for the baseline).
    pub file: Option<String>,
    /// `per_seed[k][f]`: figure `f` of the run with seed `k`.
    pub per_seed: Vec<Vec<Option<f64>>>,
}

impl Comparison {
    /// Summaries and paired differences; `policies[0]` is the baseline.
    #[must_use]
    pub fn build(
        scenario: &str,
        scenario_file: &str,
        seeds: &[u64],
        figures: Vec<FigureDef>,
        policies: &[PolicyRuns],
    ) -> Self {
        let column = |p: &PolicyRuns, f: usize| -> Vec<Option<f64>> {
            p.per_seed.iter().map(|run| run.get(f).copied().flatten()).collect()
        };
        let baseline = policies.first();
        let results = policies
            .iter()
            .enumerate()
            .map(|(i, p)| PolicyResult {
                name: p.name.clone(),
                file: p.file.clone(),
                figures: figures
                    .iter()
                    .enumerate()
                    .map(|(f, d)| {
                        let values = column(p, f);
                        let vs_baseline = match baseline {
                            Some(b) if i > 0 => Some(PairedDiff::of(&values, &column(b, f))),
                            _ => None,
                        };
                        FigureResult {
                            figure: d.name.clone(),
                            summary: Summary::of(&values),
                            values,
                            vs_baseline,
                        }
                    })
                    .collect(),
            })
            .collect();
        Self {
            scenario: scenario.to_string(),
            scenario_file: scenario_file.to_string(),
            seeds: seeds.to_vec(),
            figures,
            bootstrap: Bootstrap {
                method: "percentile".into(),
                resamples: stats::BOOTSTRAP_RESAMPLES,
                level: stats::CONFIDENCE,
                seed: stats::BOOTSTRAP_SEED,
            },
            policies: results,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_per_seed_against_the_baseline() {
        let defs = vec![
            FigureDef { name: "a".into(), unit: "USD".into(), description: String::new() },
            FigureDef { name: "b".into(), unit: "min".into(), description: String::new() },
        ];
        let base = PolicyRuns {
            name: BASELINE.into(),
            file: None,
            per_seed: vec![vec![Some(10.0), Some(1.0)], vec![Some(20.0), None]],
        };
        let p = PolicyRuns {
            name: "p".into(),
            file: Some("p.toml".into()),
            per_seed: vec![vec![Some(7.0), Some(3.0)], vec![Some(17.0), Some(2.0)]],
        };
        let c = Comparison::build("s", "s.toml", &[1, 2], defs, &[base, p]);
        assert_eq!(c.policies[0].figures[0].vs_baseline, None);
        let a = c.policies[1].figures[0].vs_baseline.as_ref().unwrap();
        // 7 − 10 and 17 − 20: every difference −3, so the interval is the point −3.
        assert_eq!((a.n, a.mean, a.ci_lo, a.ci_hi), (2, Some(-3.0), Some(-3.0), Some(-3.0)));
        // Figure b: only seed 1 has both (3 − 1 = 2).
        let b = c.policies[1].figures[1].vs_baseline.as_ref().unwrap();
        assert_eq!((b.n, b.mean), (1, Some(2.0)));
        assert_eq!(c.policies[0].figures[1].summary.missing, 1);
        assert_eq!(c.policies[0].figures[1].values, vec![Some(1.0), None]);
    }
}
