//! `[policy.prices]`: the mark price's smoothing. The venue's own mark rule runs as before;
//! its output is then smoothed by a rolling median or a time EMA over `mark_window_s`, so a
//! spike of the book or of the last price moves the mark less.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::scope::{Known, check_venues};

/// The longest smoothing window, seconds (one hour).
pub const MAX_MARK_WINDOW_S: u64 = 3_600;

/// How the mark is smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkSmoothing {
    /// Median of the rule's marks of the last `mark_window_s` seconds (one sample a second).
    Median,
    /// Time EMA of the rule's marks with time constant `mark_window_s`.
    Ema,
}

/// `[policy.prices]`: mark smoothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricesPolicy {
    /// Venues it applies at, by `name` (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// `median` or `ema` (required).
    pub mark_smoothing: MarkSmoothing,
    /// Window (median) or time constant (EMA) of the smoothing, seconds (default 60; > 0, at
    /// most 3,600).
    #[serde(default = "default_window")]
    pub mark_window_s: u64,
}

fn default_window() -> u64 {
    60
}

impl PricesPolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        v.nonzero(&format!("{path}.mark_window_s"), self.mark_window_s);
        v.at_most(&format!("{path}.mark_window_s"), self.mark_window_s, MAX_MARK_WINDOW_S);
    }
}
