//! `[policy.transfers]`: the network that carries collateral between venues (arbitrageurs'
//! rebalancing): a delay that overrides every `transfer_delay_s`, a capacity (what can arrive
//! at a venue per interval: transfers queue behind each other in the order sent), and outages
//! (windows when no transfer starts, and none completes: what is due then arrives when the
//! window ends).

use serde::{Deserialize, Serialize};

use super::super::validate::{MAX_TRANSFER_DELAY_S, Validator};
use super::super::values::Dec;
use super::scope::{Known, check_venues};

/// `[policy.transfers]`: delay, capacity and outages of collateral transfers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TransfersPolicy {
    /// Venues it applies at, by `name` (default: every venue): a transfer is governed when it
    /// leaves or reaches one of them.
    #[serde(default)]
    pub venues: Vec<String>,
    /// Time a transfer takes, seconds, replacing every arbitrageur's `transfer_delay_s`
    /// (default: none, keep theirs; at most 2,592,000).
    pub delay_s: Option<u64>,
    /// Most that can arrive at one venue per `capacity_interval_s`, settle-asset units
    /// (default: none, unlimited; > 0). A transfer occupies the venue's inbound channel for
    /// `amount / capacity × capacity_interval_s`; the next one arrives no earlier than that
    /// after the previous arrival.
    pub capacity: Option<Dec>,
    /// The capacity's interval, seconds (default 3600; > 0).
    #[serde(default = "default_interval")]
    pub capacity_interval_s: u64,
    /// Windows when the network is down: `[{ start_s = 600, end_s = 1800 }]` (default: none).
    #[serde(default)]
    pub outages: Vec<Outage>,
}

/// A window `[start_s, end_s)` of simulated time, seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// Start, seconds (required; before the end of the run).
    pub start_s: u64,
    /// End, seconds (required; after `start_s`).
    pub end_s: u64,
}

fn default_interval() -> u64 {
    3_600
}

impl TransfersPolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        if let Some(d) = self.delay_s {
            v.at_most(&format!("{path}.delay_s"), d, MAX_TRANSFER_DELAY_S);
        }
        if let Some(c) = self.capacity {
            v.positive_dec(&format!("{path}.capacity"), c);
            v.fits_money(&format!("{path}.capacity"), c);
        }
        v.nonzero(&format!("{path}.capacity_interval_s"), self.capacity_interval_s);
        v.at_most(&format!("{path}.capacity_interval_s"), self.capacity_interval_s, MAX_TRANSFER_DELAY_S);
        for (i, o) in self.outages.iter().enumerate() {
            let p = format!("{path}.outages[{i}]");
            if o.end_s <= o.start_s {
                v.err(
                    format!("{p}.end_s"),
                    format!("must be after start_s ({}), got {}", o.start_s, o.end_s),
                );
            }
            if known.duration_s > 0 && o.start_s >= known.duration_s {
                v.err(
                    format!("{p}.start_s"),
                    format!("must be before the end of the run ({} s), got {}", known.duration_s, o.start_s),
                );
            }
        }
    }
}
