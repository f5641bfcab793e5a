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
    /// `2025-10-10T20:45:00Z` (default: none). Sets where the venues' UTC funding grid falls and,
    /// when an asset has a `path`, where the run lies in that price file (then required, as
    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`). The simulation never reads a clock.
    pub start_utc: Option<String>,
    /// Fraction of the real market this run simulates (default 1; in (0, 1]). Below 1 every
    /// amount of the market shrinks together — the population's account count, makers' capital,
    /// depth and inventory, arbitrageurs', hedgers' and noise flow, herd followers, shock flow,
    /// spot depth, insurance funds and backstop capital — while each account keeps its size and
    /// leverage, so liquidation prices and margin tiers are those of the full run; the summary
    /// reports its totals at full scale too (`totals_at_full_scale`). For fast inner loops
    /// (calibration, sweeps); a reference run is at scale 1.
    pub scale: f64,
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
            scale: 1.0,
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

    /// The Unix time, milliseconds UTC, that simulated time zero stands for: `start_utc` read
    /// strictly as `YYYY-MM-DDTHH:MM:SS[.fff]Z`. `None` without one or if it does not have that
    /// form (or lies before 1970).
    #[must_use]
    pub fn start_unix_ms(&self) -> Option<u64> {
        parse_utc_ms(self.start_utc.as_deref()?)
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 1.0) {
            v.err("run.scale", format!("{} is not in (0, 1]: a fraction of the real market", self.scale));
        }
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

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` as Unix milliseconds (fraction cut to milliseconds).
pub(crate) fn parse_utc_ms(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    let body = t.strip_suffix('Z')?;
    if body.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = body.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut ms = 0;
    let frac = &body[19..];
    if !frac.is_empty() {
        let digits = frac.strip_prefix('.')?;
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let three: String = digits.chars().chain("000".chars()).take(3).collect();
        ms = three.parse::<u64>().ok()?;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if y < 1970
        || !(1..=12).contains(&mo)
        || d == 0
        || d > month_days[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let days_before_year: u64 =
        (1970..y).map(|yy| if (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0 { 366 } else { 365 }).sum();
    let days_before_month: u64 = month_days[..(mo - 1) as usize].iter().sum();
    let days = days_before_year + days_before_month + d - 1;
    Some((((days * 24 + h) * 60 + mi) * 60 + s) * 1_000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_utc_becomes_unix_milliseconds() {
        let at = |t: &str| Run { start_utc: Some(t.into()), ..Run::default() }.start_unix_ms();
        // 2025-10-10 is day 20371 after 1970-01-01 (55 years with 14 leap days = 20089 days,
        // then 273 days for Jan..Sep 2025 and 9 more): 20371 × 86400000 = 1760054400000; the
        // shipped kline file's first bar opens at 20:00, 72000000 ms later.
        assert_eq!(at("2025-10-10T20:00:00Z"), Some(1_760_126_400_000));
        assert_eq!(at("1970-01-01T00:00:01.5Z"), Some(1_500));
        assert_eq!(at("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        assert_eq!(at("2025-02-29T00:00:00Z"), None);
        assert_eq!(at("2025-10-10 20:00:00Z"), None);
        assert_eq!(at("2025-10-10T20:00:00"), None);
    }
}
