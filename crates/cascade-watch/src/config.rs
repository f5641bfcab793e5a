//! The watcher's thresholds and windows, with documented defaults and a validation that names
//! the option at fault.

use rust_decimal::Decimal;

use crate::level::RiskLevel;

/// A configuration value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {message}")]
pub struct ConfigError {
    /// The option, as the command line names it (e.g. `liq-levels`).
    pub option: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Thresholds and windows of the watcher. The defaults suit one BTC perpetual at the scale of
/// Cascade's scenarios (see [`crate::level`] for how they combine); a real venue's busiest
/// symbols want larger liquidation thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchConfig {
    /// Liquidated notional over the last 60 s (both sides, quote currency) at which the
    /// liquidation component reaches elevated, high and critical. Default 250 k, 1 M, 5 M.
    pub liq_levels: [Decimal; 3],
    /// Absolute price change over 5 minutes, percent, at which the price component reaches
    /// elevated, high and critical. Default 1, 2.5, 5.
    pub move_levels: [f64; 3],
    /// The last 60 s's liquidations at least this multiple of the 60 s before (an
    /// accelerating cascade) lift a high liquidation component to critical. Default 2.
    pub accel_ratio: f64,
    /// A liquidation cluster (of at least [`crate::Clusters`]' minimum notional) within this
    /// percentage of the price lifts the level by one (to at least elevated). Default 1.
    pub cluster_near_pct: f64,
    /// Lowest level that raises an alert. Default high.
    pub alert_level: RiskLevel,
    /// Seconds the level must stay below `alert_level` before the alert is cleared (so a
    /// level that flickers does not alert again and again). Default 60.
    pub clear_after_s: u64,
    /// Mark-price updates of a symbol further apart than this (ms) are a gap in the data,
    /// reported as a warning. Binance sends one every 1 s or 3 s. Default 10,000.
    pub gap_ms: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            liq_levels: [Decimal::from(250_000), Decimal::from(1_000_000), Decimal::from(5_000_000)],
            move_levels: [1.0, 2.5, 5.0],
            accel_ratio: 2.0,
            cluster_near_pct: 1.0,
            alert_level: RiskLevel::High,
            clear_after_s: 60,
            gap_ms: 10_000,
        }
    }
}

impl WatchConfig {
    /// Checks every value.
    ///
    /// # Errors
    /// The first option out of range: thresholds not positive or not strictly increasing, a
    /// ratio below 1, a negative or non-finite percentage, `calm` as the alert level, a zero
    /// gap.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |option: &'static str, message: String| Err(ConfigError { option, message });
        let l = self.liq_levels;
        if l[0] <= Decimal::ZERO || l[0] >= l[1] || l[1] >= l[2] {
            return bad(
                "liq-levels",
                format!("{}, {}, {}: must be > 0 and strictly increasing", l[0], l[1], l[2]),
            );
        }
        let m = self.move_levels;
        if !m.iter().all(|x| x.is_finite()) || m[0] <= 0.0 || m[0] >= m[1] || m[1] >= m[2] {
            return bad(
                "move-levels",
                format!("{}, {}, {}: must be > 0 and strictly increasing", m[0], m[1], m[2]),
            );
        }
        if !self.accel_ratio.is_finite() || self.accel_ratio < 1.0 {
            return bad("accel-ratio", format!("{}: must be a number ≥ 1", self.accel_ratio));
        }
        if !self.cluster_near_pct.is_finite() || self.cluster_near_pct < 0.0 {
            return bad("cluster-near-pct", format!("{}: must be a number ≥ 0", self.cluster_near_pct));
        }
        if self.alert_level == RiskLevel::Calm {
            return bad(
                "alert-level",
                "calm would alert all the time: use elevated, high or critical".into(),
            );
        }
        if self.gap_ms == 0 {
            return bad("gap-ms", "must be > 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_option() {
        assert_eq!(WatchConfig::default().validate(), Ok(()));
        let c = WatchConfig { move_levels: [1.0, 1.0, 5.0], ..WatchConfig::default() };
        assert_eq!(c.validate().unwrap_err().option, "move-levels");
        let c =
            WatchConfig { liq_levels: [Decimal::ZERO, Decimal::ONE, Decimal::TWO], ..WatchConfig::default() };
        assert_eq!(c.validate().unwrap_err().option, "liq-levels");
        let c = WatchConfig { alert_level: RiskLevel::Calm, ..WatchConfig::default() };
        assert_eq!(c.validate().unwrap_err().option, "alert-level");
        let c = WatchConfig { accel_ratio: f64::NAN, ..WatchConfig::default() };
        assert_eq!(c.validate().unwrap_err().option, "accel-ratio");
    }
}
