//! `[[herds]]`: copy-trading herds. A lead trader opens a position at `leader_entry_s` and
//! closes it at `leader_exit_s`; followers copy each move after a random lag, at their own
//! leverage, so a herd piles into the same side at nearly the same price and liquidation level.

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{LeverageBucket, SizeDist, validate_leverage_mix};

/// The leader's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PositionSide {
    /// Long.
    #[default]
    Long,
    /// Short.
    Short,
}

/// `[[herds]]`: one leader and its followers on one instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Herd {
    /// Venue `name` (required).
    pub venue: String,
    /// Instrument `symbol` on that venue (required).
    pub symbol: String,
    /// Number of followers (default 100; > 0).
    #[serde(default = "default_followers")]
    pub followers: u32,
    /// The leader's side (default `long`).
    #[serde(default)]
    pub side: PositionSide,
    /// When the leader opens, seconds from the start (default 0).
    #[serde(default)]
    pub leader_entry_s: u64,
    /// When the leader closes, seconds from the start (default: never; after `leader_entry_s`).
    #[serde(default)]
    pub leader_exit_s: Option<u64>,
    /// Followers' leverage mix (default 10x 0.5, 20x 0.3, 50x 0.2); weights are relative.
    #[serde(default = "default_leverage")]
    pub leverage: Vec<LeverageBucket>,
    /// Followers' position notional (`[herds.size]`; default lognormal, median 2,000, sigma 1.5).
    #[serde(default)]
    pub size: SizeDist,
    /// Mean lag between the leader's move and a follower's copy, milliseconds (default 2000).
    #[serde(default = "default_lag")]
    pub lag_ms: u64,
    /// Followers' lags are spread uniformly over `lag_ms ± lag_jitter_ms` (default 1000; ≤ lag_ms).
    #[serde(default = "default_jitter")]
    pub lag_jitter_ms: u64,
    /// Share of followers in isolated margin, in [0, 1] (default 0.5).
    #[serde(default = "half")]
    pub isolated_share: f64,
}

fn default_followers() -> u32 {
    100
}
fn default_leverage() -> Vec<LeverageBucket> {
    vec![LeverageBucket::new(10, 10, 0.5), LeverageBucket::new(20, 20, 0.3), LeverageBucket::new(50, 50, 0.2)]
}
fn default_lag() -> u64 {
    2_000
}
fn default_jitter() -> u64 {
    1_000
}
fn half() -> f64 {
    0.5
}

impl Herd {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        v.nonzero(&f("followers"), u64::from(self.followers));
        v.at_most(&f("followers"), u64::from(self.followers), super::validate::MAX_FOLLOWERS);
        if let Some(exit) = self.leader_exit_s
            && exit <= self.leader_entry_s
        {
            v.err(
                f("leader_exit_s"),
                format!("must be after leader_entry_s ({}), got {exit}", self.leader_entry_s),
            );
        }
        validate_leverage_mix(&f("leverage"), &self.leverage, v);
        self.size.validate(&f("size"), v);
        if self.lag_jitter_ms > self.lag_ms {
            v.err(
                f("lag_jitter_ms"),
                format!("must not exceed lag_ms ({}), got {}", self.lag_ms, self.lag_jitter_ms),
            );
        }
        v.probability(&f("isolated_share"), self.isolated_share);
    }
}
