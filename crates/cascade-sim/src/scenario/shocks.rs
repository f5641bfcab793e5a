//! `[[shocks]]`: exogenous news. At time `at_s` the asset's fair value jumps by
//! `fair_value_move` (or drifts by it over `ramp_s` seconds), and a seller (or buyer) starts
//! working `notional` into the markets over `duration_s`, in equal slices every `slice_ms`,
//! split over the venues evenly or by `venue_weights`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::Dec;

/// Direction of the shock's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FlowSide {
    /// Market sells (the usual risk-off shock).
    #[default]
    Sell,
    /// Market buys.
    Buy,
}

/// `[[shocks]]`: one news event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    /// Label for reports (default: empty).
    #[serde(default)]
    pub name: String,
    /// When the news hits, seconds from the start (required; before the end of the run).
    pub at_s: u64,
    /// Asset hit, a `name` from `[[assets]]` (required).
    pub asset: String,
    /// Jump of the fair value (and spot index) at `at_s`, as a fraction (default 0; > −1), e.g.
    /// −0.05 for a 5 % drop.
    #[serde(default)]
    pub fair_value_move: f64,
    /// Seconds over which the move is spread evenly in log terms (default 0: a jump at `at_s`;
    /// at most the run's length).
    #[serde(default)]
    pub ramp_s: u64,
    /// Notional the shock's trader sends, settle-asset units (default `"0"`: no flow; ≥ 0).
    #[serde(default)]
    pub notional: Dec,
    /// `sell` (default) or `buy`.
    #[serde(default)]
    pub side: FlowSide,
    /// Time over which the notional is sent, seconds (default 600; > 0 when there is flow).
    #[serde(default = "default_duration")]
    pub duration_s: u64,
    /// Time between slices of the flow, milliseconds (default 1000; > 0).
    #[serde(default = "default_slice")]
    pub slice_ms: u64,
    /// Venues the flow is split across, evenly (default: every venue listing the asset).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Venues the flow is split across in proportion to these weights, e.g. `{ binance = 0.47,
    /// bybit = 0.21 }` (default: none, an even split; each > 0; not with `venues`). A sell
    /// program lands where the market trades, not evenly: an even split over five venues sends
    /// a venue with a fiftieth of the volume as much flow as the largest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub venue_weights: BTreeMap<String, f64>,
}

fn default_duration() -> u64 {
    600
}
fn default_slice() -> u64 {
    1_000
}

impl Shock {
    pub(crate) fn validate(&self, path: &str, run_duration_s: u64, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        if self.at_s >= run_duration_s {
            v.err(
                f("at_s"),
                format!("{} s is not before the end of the run ({run_duration_s} s)", self.at_s),
            );
        }
        if !(self.fair_value_move.is_finite() && self.fair_value_move > -1.0) {
            v.err(f("fair_value_move"), format!("must be a fraction > -1, got {}", self.fair_value_move));
        }
        if self.ramp_s > run_duration_s {
            v.err(f("ramp_s"), format!("{} s is longer than the run ({run_duration_s} s)", self.ramp_s));
        }
        v.non_negative_dec(&f("notional"), self.notional);
        // A total sold over `duration_s` in slices, not one position: the cash range suffices.
        v.fits_cash(&f("notional"), self.notional);
        if self.notional.is_positive() {
            v.nonzero(&f("duration_s"), self.duration_s);
        }
        v.nonzero(&f("slice_ms"), self.slice_ms);
        if !self.venues.is_empty() && !self.venue_weights.is_empty() {
            v.err(f("venue_weights"), "give either `venues` (an even split) or `venue_weights`, not both");
        }
        for (name, &w) in &self.venue_weights {
            v.positive_f64(&f(&format!("venue_weights.{name}")), w);
        }
    }

    /// The venues the flow goes to with their weights: `venue_weights`, else `venues` at 1
    /// each; empty means every venue listing the asset, evenly.
    #[must_use]
    pub fn split(&self) -> Vec<(&str, f64)> {
        if self.venue_weights.is_empty() {
            self.venues.iter().map(|v| (v.as_str(), 1.0)).collect()
        } else {
            self.venue_weights.iter().map(|(v, &w)| (v.as_str(), w)).collect()
        }
    }
}
