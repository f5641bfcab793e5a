//! `[policy.margin]`: dynamic margin. Every maintenance and initial rate of a market's tiers
//! (and its maintenance amounts) is multiplied by `m = max(m_vol, m_oi)`, with
//! `m_vol = clamp(realized_vol / reference_volatility, 1, max_multiplier)` and
//! `m_oi = clamp(open_interest / reference_open_interest, 1, max_multiplier)`, recomputed every
//! `update_interval_s` and phased in linearly over `ramp_s`. The engine re-indexes every
//! position's liquidation price when the multiplier changes.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;
use super::scope::{Known, check_venues};

/// The largest multiplier a scenario may ask for.
pub const MAX_MARGIN_MULTIPLIER: f64 = 10.0;

/// `[policy.margin]`: vol- and open-interest-scaled margin rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginPolicy {
    /// Venues it applies at, by `name` (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Annualised realized volatility of the mark at which the volatility multiplier is 1,
    /// as a fraction (default: none, no volatility scaling; > 0, at most 20). The realized
    /// volatility is the market's EWMA estimate of the mark's log returns (2-minute half-life).
    pub reference_volatility: Option<f64>,
    /// Open interest (long side at the mark), settle-asset units, at which the open-interest
    /// multiplier is 1 (default: none, no open-interest scaling; > 0).
    pub reference_open_interest: Option<Dec>,
    /// Largest multiplier (default 3; in [1, 10]). Rates are also capped at 100 %.
    #[serde(default = "default_max_multiplier")]
    pub max_multiplier: f64,
    /// Seconds between two recomputations of the target multiplier (default 60; > 0, at most
    /// the run's length).
    #[serde(default = "default_update_interval")]
    pub update_interval_s: u64,
    /// Seconds over which a new target is phased in linearly from the multiplier in force
    /// (default 0: at once; at most 86,400). The multiplier applied moves in steps of 0.01.
    #[serde(default)]
    pub ramp_s: u64,
}

fn default_max_multiplier() -> f64 {
    3.0
}
fn default_update_interval() -> u64 {
    60
}

impl MarginPolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        if self.reference_volatility.is_none() && self.reference_open_interest.is_none() {
            v.err(
                path,
                "set `reference_volatility` and/or `reference_open_interest`: without either the \
                 multiplier is always 1",
            );
        }
        if let Some(x) = self.reference_volatility {
            v.positive_f64(&format!("{path}.reference_volatility"), x);
            v.volatility(&format!("{path}.reference_volatility"), x);
        }
        if let Some(d) = self.reference_open_interest {
            v.positive_dec(&format!("{path}.reference_open_interest"), d);
            v.fits_cash(&format!("{path}.reference_open_interest"), d);
        }
        let m = self.max_multiplier;
        if !(m.is_finite() && (1.0..=MAX_MARGIN_MULTIPLIER).contains(&m)) {
            v.err(
                format!("{path}.max_multiplier"),
                format!("must be in [1, {MAX_MARGIN_MULTIPLIER}], got {m}"),
            );
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
        v.at_most(&format!("{path}.ramp_s"), self.ramp_s, 86_400);
    }
}
