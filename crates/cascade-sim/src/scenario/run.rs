//! `[run]`: seed, length and metrics interval of a run.

use serde::{Deserialize, Serialize};

use super::validate::Validator;

/// `[run]`: what every run of the scenario shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Run {
    /// Short name of the scenario, used in reports (default: empty, the CLI uses the file name).
    pub name: String,
    /// One-line description (default: empty).
    pub description: String,
    /// Master seed of every random stream (default 42). `cascade run --seed` overrides it.
    pub seed: u64,
    /// Simulated length, seconds (default 3600; > 0).
    pub duration_s: u64,
    /// Interval between two rows of the metrics time series, milliseconds (default 1000; > 0 and
    /// not longer than the run).
    pub metrics_interval_ms: u64,
    /// Interval between two updates of the spot indices and mark prices (which run the venues'
    /// stops and liquidation passes), milliseconds (default 1000, Binance's mark cadence; > 0
    /// and not longer than the run).
    pub price_step_ms: u64,
    /// Wall-clock time that simulated time zero stands for, as an RFC 3339 UTC label such as
    /// `2025-10-10T20:45:00Z` (default: none). A label for reports only: the simulation never
    /// reads a clock.
    pub start_utc: Option<String>,
}

impl Default for Run {
    fn default() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            seed: 42,
            duration_s: 3_600,
            metrics_interval_ms: 1_000,
            price_step_ms: 1_000,
            start_utc: None,
        }
    }
}

impl Run {
    /// Milliseconds since midnight UTC that simulated time zero stands for, from `start_utc`
    /// (`None` without one, or if its time of day is unreadable). Venues settle funding on a
    /// UTC grid (00/08/16 h, or every hour), so this sets where the first settlement falls.
    #[must_use]
    pub fn start_ms_of_day(&self) -> Option<u64> {
        let t = self.start_utc.as_deref()?;
        let clock = t.get(11..19)?;
        let mut parts = clock.split(':').map(|x| x.parse::<u64>().ok());
        let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
        (h < 24 && m < 60 && s < 61).then_some(((h * 60 + m) * 60 + s) * 1_000)
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        v.nonzero("run.duration_s", self.duration_s);
        v.nonzero("run.metrics_interval_ms", self.metrics_interval_ms);
        v.nonzero("run.price_step_ms", self.price_step_ms);
        if self.price_step_ms > self.duration_s.saturating_mul(1_000) && self.duration_s > 0 {
            v.err(
                "run.price_step_ms",
                format!("{} ms is longer than the run ({} s)", self.price_step_ms, self.duration_s),
            );
        }
        if self.metrics_interval_ms > self.duration_s.saturating_mul(1_000) && self.duration_s > 0 {
            v.err(
                "run.metrics_interval_ms",
                format!(
                    "{} ms is longer than the run ({} s): the series would have no row",
                    self.metrics_interval_ms, self.duration_s
                ),
            );
        }
        if let Some(t) = &self.start_utc {
            let ok = t.len() >= 20 && t.ends_with('Z') && t.as_bytes().get(10) == Some(&b'T');
            if !ok {
                v.err(
                    "run.start_utc",
                    format!("expected an RFC 3339 UTC time like 2025-10-10T20:45:00Z, got `{t}`"),
                );
            }
        }
    }
}
