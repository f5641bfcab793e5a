//! The cascade-risk level and the rule that sets it.
//!
//! Each second, per symbol, from the indicators (thresholds in [`crate::WatchConfig`]):
//!
//! 1. **Liquidations**: the notional liquidated over the last 60 s (longs + shorts) reaching
//!    the first, second or third of `liq_levels` gives elevated, high or critical.
//! 2. **Price move**: the absolute 5-minute price change reaching the first, second or third
//!    of `move_levels` gives elevated, high or critical.
//! 3. The level is the higher of the two.
//! 4. **Acceleration**: when the liquidation component is high and the last 60 s liquidated at
//!    least `accel_ratio` × the 60 s before, the level is critical (a cascade feeding itself).
//! 5. **Cluster proximity**: when the price is within `cluster_near_pct` % of a liquidation
//!    cluster, the level goes up by one, and is at least elevated (positions that will be
//!    forced out if the price gets there).
//!
//! An alert is raised when the level reaches `alert_level` (default high) or goes above the
//! level last alerted, and cleared once the level has stayed below `alert_level` for
//! `clear_after_s` seconds.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::config::WatchConfig;

/// How close a symbol looks to a liquidation cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// Nothing above the first thresholds.
    #[default]
    Calm,
    /// One indicator past its first threshold, or the price near a cluster.
    Elevated,
    /// Liquidations or a price move past the second threshold.
    High,
    /// Past the third threshold, or a high liquidation rate that is accelerating.
    Critical,
}

impl RiskLevel {
    /// `calm`, `elevated`, `high` or `critical`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Calm => "calm",
            RiskLevel::Elevated => "elevated",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        }
    }

    /// Parses `calm`, `elevated`, `high` or `critical` (any case).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [RiskLevel::Calm, RiskLevel::Elevated, RiskLevel::High, RiskLevel::Critical]
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }

    const fn from_index(i: usize) -> Self {
        match i {
            0 => RiskLevel::Calm,
            1 => RiskLevel::Elevated,
            2 => RiskLevel::High,
            _ => RiskLevel::Critical,
        }
    }

    const fn up(self) -> Self {
        Self::from_index(self as usize + 1)
    }
}

impl std::fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the level rule reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelInputs {
    /// Liquidated notional over the last 60 s.
    pub liq_last_min: Decimal,
    /// Liquidated notional over the 60 s before that.
    pub liq_prev_min: Decimal,
    /// Price change over 5 minutes, percent (none without 5 minutes of prices).
    pub change_5m_pct: Option<f64>,
    /// Distance from the price to the nearest cluster, percent (none without clusters).
    pub cluster_distance_pct: Option<f64>,
}

/// Applies the rule of the module documentation: the level and, for each step that raised it,
/// a short reason in words.
#[must_use]
pub fn assess(x: &LevelInputs, c: &WatchConfig) -> (RiskLevel, Vec<String>) {
    let mut reasons = Vec::new();
    let liq = c.liq_levels.iter().filter(|t| x.liq_last_min >= **t).count();
    if liq > 0 {
        reasons.push(format!("liquidations {}/min ≥ {}", x.liq_last_min.round_dp(0), c.liq_levels[liq - 1]));
    }
    let moved = x.change_5m_pct.map_or(0, |m| c.move_levels.iter().filter(|t| m.abs() >= **t).count());
    if moved > 0 {
        reasons.push(format!(
            "5-min move {:+.2}% (|·| ≥ {}%)",
            x.change_5m_pct.unwrap_or(0.0),
            c.move_levels[moved - 1]
        ));
    }
    let mut level = RiskLevel::from_index(liq.max(moved));
    if liq >= 2 {
        let prev = x.liq_prev_min.to_f64().unwrap_or(0.0);
        let last = x.liq_last_min.to_f64().unwrap_or(0.0);
        if last >= c.accel_ratio * prev {
            level = RiskLevel::Critical;
            reasons.push(format!(
                "liquidations accelerating ({} after {} the minute before)",
                x.liq_last_min.round_dp(0),
                x.liq_prev_min.round_dp(0)
            ));
        }
    }
    if let Some(d) = x.cluster_distance_pct.filter(|d| *d <= c.cluster_near_pct) {
        level = level.up().max(RiskLevel::Elevated);
        reasons.push(format!("liquidation cluster {d:.2}% away (≤ {}%)", c.cluster_near_pct));
    }
    (level, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(last: i64, prev: i64, change: Option<f64>, cluster: Option<f64>) -> LevelInputs {
        LevelInputs {
            liq_last_min: Decimal::from(last),
            liq_prev_min: Decimal::from(prev),
            change_5m_pct: change,
            cluster_distance_pct: cluster,
        }
    }

    /// Each step of the documented rule, with the default thresholds (250 k / 1 M / 5 M per
    /// minute; 1 / 2.5 / 5 % in 5 minutes; ×2 acceleration; clusters within 1 %).
    #[test]
    fn the_documented_rule_step_by_step() {
        let c = WatchConfig::default();
        let lv = |x: LevelInputs| assess(&x, &c).0;
        assert_eq!(lv(inputs(0, 0, None, None)), RiskLevel::Calm);
        assert_eq!(lv(inputs(249_999, 0, Some(-0.99), None)), RiskLevel::Calm);
        assert_eq!(lv(inputs(250_000, 0, None, None)), RiskLevel::Elevated);
        assert_eq!(lv(inputs(0, 0, Some(-2.5), None)), RiskLevel::High);
        assert_eq!(lv(inputs(0, 0, Some(5.1), None)), RiskLevel::Critical);
        // High liquidations, not accelerating (1.5 M after 1 M: 1.5 < 2) stay high ...
        assert_eq!(lv(inputs(1_500_000, 1_000_000, None, None)), RiskLevel::High);
        // ... and accelerating (2 M after 1 M) become critical.
        assert_eq!(lv(inputs(2_000_000, 1_000_000, None, None)), RiskLevel::Critical);
        // Elevated liquidations that accelerate do not (the step needs the high component).
        assert_eq!(lv(inputs(300_000, 0, None, None)), RiskLevel::Elevated);
        // A cluster 0.8 % away: calm becomes elevated, elevated becomes high; 1.2 % is too far.
        assert_eq!(lv(inputs(0, 0, None, Some(0.8))), RiskLevel::Elevated);
        assert_eq!(lv(inputs(300_000, 0, None, Some(0.8))), RiskLevel::High);
        assert_eq!(lv(inputs(300_000, 0, None, Some(1.2))), RiskLevel::Elevated);
        assert_eq!(lv(inputs(6_000_000, 0, None, Some(0.1))), RiskLevel::Critical);
        let (_, why) = assess(&inputs(2_000_000, 1_000_000, Some(-3.0), None), &c);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].starts_with("liquidations 2000000/min ≥ 1000000"), "{}", why[0]);
    }

    #[test]
    fn levels_parse_and_order() {
        assert_eq!(RiskLevel::parse("HIGH"), Some(RiskLevel::High));
        assert_eq!(RiskLevel::parse("severe"), None);
        assert!(RiskLevel::Critical > RiskLevel::High && RiskLevel::Elevated > RiskLevel::Calm);
    }
}
