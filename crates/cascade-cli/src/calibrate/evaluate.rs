//! One evaluation: parameter values written into the scenario text, the text read back through
//! the normal scenario reader, the seeds run in parallel (rayon; collected in seed order and
//! reduced serially, so the result does not depend on the number of threads), figures, path and
//! drops distances computed by `cascade_sim::fit`, and the objective.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cascade_sim::fit::{
    Figure, FigureValues, ReferenceMarket, ScenarioDoc, SeedDistance, Target, compute_figures, drops_rmse_pp,
    minute_path, objective, path_rmse_pct,
};
use cascade_sim::{RunOptions, run as simulate};
use rayon::prelude::*;

use super::log::{Evaluation, bits};
use super::targets::Targets;

/// Objective given to a point where the edited scenario is refused or a run fails.
pub const INVALID_OBJECTIVE: f64 = 1.0e9;

/// Penalty per unit of distance outside the unit box (the point is clamped into it).
pub const OUT_OF_BOX_PENALTY: f64 = 10.0;

/// Everything an evaluation needs, fixed for the whole calibration.
pub struct Evaluator {
    /// The scenario file (names errors; relative price files resolve from its directory).
    pub scenario_path: PathBuf,
    /// Its text as a document.
    pub doc: ScenarioDoc,
    /// The targets file, checked.
    pub targets: Targets,
    /// Seeds of every evaluation.
    pub seeds: Vec<u64>,
    /// Whole minutes of the run compared.
    pub minutes: usize,
    /// Real closes at the run's minutes, when there is a price path.
    pub real: Option<Vec<Option<f64>>>,
}

struct SeedOut {
    figures: FigureValues,
    rmse: Option<f64>,
    drops_rmse: Option<f64>,
    path: Vec<Option<f64>>,
}

impl Evaluator {
    /// The scenario text with the parameters at `u` (clamped into [0, 1]) and their values.
    ///
    /// # Errors
    /// A parameter that cannot be written (checked before the first evaluation, so only on a
    /// fault).
    pub fn text_at(&self, u: &[f64]) -> anyhow::Result<(String, Vec<f64>)> {
        let mut doc = self.doc.clone();
        let mut values = Vec::with_capacity(u.len());
        for (p, &ui) in self.targets.params.iter().zip(u) {
            let v = p.value(ui);
            doc.set(p, v)?;
            values.push(v);
        }
        Ok((doc.to_string(), values))
    }

    /// Evaluates the optimizer's point `x` as evaluation number `eval`.
    ///
    /// # Errors
    /// Only faults of the parameter write-back; a refused scenario or a failed run scores
    /// [`INVALID_OBJECTIVE`] and is recorded with its error.
    pub fn evaluate(&self, eval: usize, x: &[f64]) -> anyhow::Result<Evaluation> {
        let penalty = OUT_OF_BOX_PENALTY * x.iter().map(|&xi| (-xi).max(xi - 1.0).max(0.0)).sum::<f64>();
        let u: Vec<f64> = x.iter().map(|&xi| xi.clamp(0.0, 1.0)).collect();
        let (text, params) = self.text_at(&u)?;
        let mut out = Evaluation {
            eval,
            x: x.to_vec(),
            x_bits: x.iter().map(|&xi| bits(xi)).collect(),
            params,
            figures: Vec::new(),
            path_rmse: Vec::new(),
            drops_rmse: Vec::new(),
            minute_path: Vec::new(),
            objective: INVALID_OBJECTIVE + penalty,
            objective_bits: String::new(),
            penalty,
            error: None,
        };
        match self.run_seeds(&text) {
            Ok(runs) => {
                let per_seed: Vec<FigureValues> = runs.iter().map(|r| r.figures).collect();
                let rmse: Vec<f64> = runs.iter().map(|r| r.rmse.unwrap_or(f64::NAN)).collect();
                let drops: Vec<f64> = runs.iter().map(|r| r.drops_rmse.unwrap_or(f64::NAN)).collect();
                let targets: Vec<Target> = self.targets.targets.iter().map(|t| t.target).collect();
                let path = self
                    .targets
                    .price_path
                    .as_ref()
                    .map(|p| SeedDistance { weight: p.weight, per_seed: &rmse });
                let drops =
                    self.targets.drops.as_ref().map(|d| SeedDistance { weight: d.weight, per_seed: &drops });
                let o = objective(&targets, &per_seed, path, drops);
                out.objective = o.total + penalty;
                out.figures = per_seed
                    .iter()
                    .map(|v| {
                        Figure::ALL
                            .iter()
                            .map(|f| (f.name().to_string(), v[f.index()]))
                            .collect::<BTreeMap<_, _>>()
                    })
                    .collect();
                out.path_rmse = runs.iter().map(|r| r.rmse).collect();
                out.drops_rmse = runs.iter().map(|r| r.drops_rmse).collect();
                out.minute_path = runs.into_iter().map(|r| r.path).collect();
            }
            Err(e) => out.error = Some(e),
        }
        out.objective_bits = bits(out.objective);
        Ok(out)
    }

    fn run_seeds(&self, text: &str) -> Result<Vec<SeedOut>, String> {
        let scenario =
            cascade_io::read_scenario_text(text, &self.scenario_path).map_err(|e| format!("{e:#}"))?;
        let market: &ReferenceMarket = &self.targets.market;
        let field = self.targets.price_path.as_ref().map_or(cascade_sim::fit::PriceField::Mark, |p| p.price);
        let counterfactual = self.targets.needs_counterfactual();
        let results: Vec<Result<SeedOut, String>> = self
            .seeds
            .par_iter()
            .map(|&seed| {
                let opts = RunOptions { counterfactual, ..RunOptions::default() };
                let rec = simulate(&scenario, seed, &opts).map_err(|e| format!("seed {seed}: {e}"))?;
                let path = minute_path(&rec.series, &market.venue, &market.symbol, field, self.minutes);
                let rmse = self.real.as_ref().and_then(|real| path_rmse_pct(&path, real));
                let drops_rmse =
                    self.targets.drops.as_ref().and_then(|d| drops_rmse_pp(&rec.series, &d.markets, d.price));
                Ok(SeedOut { figures: compute_figures(&rec, market), rmse, drops_rmse, path })
            })
            .collect();
        results.into_iter().collect()
    }
}
