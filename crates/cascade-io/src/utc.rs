//! UTC instants as text: the `time_utc` columns of a run's tables and the sweep's tables.

use chrono::DateTime;

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, always three decimals, so the
/// text sorts as the time does). Outside chrono's range (±262,000 years) the milliseconds are
/// printed as a number with a `ms` suffix instead.
#[must_use]
pub fn utc_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map_or_else(|| format!("{ms} ms"), |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}
