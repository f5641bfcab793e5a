//! `[policy.stops]`: adaptive stops as a behavioural policy of the population. The traders with
//! a static stop-loss (`population.behaviour.static_stop`) place it at
//! `stop_distance × clamp(realized_vol / reference_volatility, 1, max_factor)` from entry instead
//! of at `stop_distance`, and move it every `update_interval_s` as the market's realized
//! volatility changes: farther in turbulence, back when calm.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::scope::{Known, check_venues};

/// The largest factor a scenario may ask for.
pub const MAX_STOP_FACTOR: f64 = 10.0;

/// `[policy.stops]`: volatility-scaled stop-losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopsPolicy {
    /// Venues whose markets' traders follow it, by `name` (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Annualised realized volatility at which the stop sits at `stop_distance`, as a fraction
    /// (default: the adaptive stops' calm level, the asset's volatility or its price file's
    /// look-back volatility; > 0, at most 20).
    pub reference_volatility: Option<f64>,
    /// Largest factor on the stop distance (default 3; in [1, 10]). The distance itself is
    /// kept below 90 % of the entry.
    #[serde(default = "default_max_factor")]
    pub max_factor: f64,
    /// Seconds between two re-placements of the stops (default 60; > 0, at most the run's
    /// length). A stop is re-placed only when its factor moved by 0.05 or more.
    #[serde(default = "default_update_interval")]
    pub update_interval_s: u64,
}

fn default_max_factor() -> f64 {
    3.0
}
fn default_update_interval() -> u64 {
    60
}

impl StopsPolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        if let Some(x) = self.reference_volatility {
            v.positive_f64(&format!("{path}.reference_volatility"), x);
            v.volatility(&format!("{path}.reference_volatility"), x);
        }
        let m = self.max_factor;
        if !(m.is_finite() && (1.0..=MAX_STOP_FACTOR).contains(&m)) {
            v.err(format!("{path}.max_factor"), format!("must be in [1, {MAX_STOP_FACTOR}], got {m}"));
        }
        v.nonzero(&format!("{path}.update_interval_s"), self.update_interval_s);
        if known.duration_s > 0 && self.update_interval_s > known.duration_s {
            v.err(
                format!("{path}.update_interval_s"),
                format!(
                    "must be at most the run's length ({} s), got {}",
                    known.duration_s, self.update_interval_s
                ),
            );
        }
    }
}
