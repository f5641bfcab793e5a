//! The identity a run's tables carry, so that tables of many runs can be concatenated (a sweep
//! with `--keep-runs`, runs of several seeds) and every row traced to the run that made it.

use cascade_sim::metrics::RunSummary;

use crate::run_dir::{Manifest, sha256_hex};

/// Which run wrote a table: the columns `run_id`, `seed`, `scenario_hash` lead every row, a
/// `time_utc` column follows `time_ms` when the scenario has a start time, and the same facts
/// go into the Parquet file's key-value metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTag {
    /// The sweep's run number (`runs/<run_id>/`); 0 for a single `cascade run`.
    pub run_id: u64,
    /// The run's master seed.
    pub seed: u64,
    /// SHA-256 (hex) of the exact scenario text the run was made from (after `--set`
    /// overrides, as saved in the run's `scenario.toml`); empty when the writer was not given
    /// the text.
    pub scenario_sha256: String,
    /// Unix milliseconds UTC that simulated time zero stands for (`run.start_utc`), if any.
    pub start_unix_ms: Option<u64>,
}

impl RunTag {
    /// The leading identity columns, in file order.
    pub const COLUMNS: [&'static str; 3] = ["run_id", "seed", "scenario_hash"];
    /// The UTC time column written after `time_ms`.
    pub const UTC_COLUMN: &'static str = "time_utc";

    /// The tag of run `run_id` whose summary is `summary`, made from `scenario_text`.
    #[must_use]
    pub fn of_run(run_id: u64, summary: &RunSummary, scenario_text: Option<&str>) -> Self {
        Self {
            run_id,
            seed: summary.seed,
            scenario_sha256: scenario_text.map(|t| sha256_hex(t.as_bytes())).unwrap_or_default(),
            start_unix_ms: summary.start_unix_ms(),
        }
    }

    /// The tag of a run directory read back: its manifest's run id, seed and scenario hash, and
    /// the start time its summary names.
    #[must_use]
    pub fn of_dir(manifest: &Manifest, summary: &RunSummary) -> Self {
        Self {
            run_id: manifest.run_id,
            seed: manifest.seed,
            scenario_sha256: manifest.scenario_sha256.clone().unwrap_or_default(),
            start_unix_ms: summary.start_unix_ms(),
        }
    }

    /// Key-value metadata (`cascade.run_id`, `cascade.seed`, `cascade.scenario_sha256`, and
    /// `cascade.start_utc` when there is a start time), in this order.
    #[must_use]
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mut kv = vec![
            ("cascade.run_id".to_string(), self.run_id.to_string()),
            ("cascade.seed".to_string(), self.seed.to_string()),
            ("cascade.scenario_sha256".to_string(), self.scenario_sha256.clone()),
        ];
        if let Some(ms) = self.start_unix_ms {
            kv.push((
                "cascade.start_utc".to_string(),
                crate::utc::utc_text(i64::try_from(ms).unwrap_or(i64::MAX)),
            ));
        }
        kv
    }
}
