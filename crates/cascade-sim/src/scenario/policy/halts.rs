//! `[policy.halts]`: a circuit breaker. A market whose mark moves by at least `move` within
//! `window_s` halts for `halt_s` (or, with `scope = "venue"`, every market of its venue does):
//! orders are refused with the reason `halted`, stops are not triggered, liquidations wait
//! (`liquidations = "paused"`) or go on (`"continue"`), resting orders stay or are cancelled.
//! After the halt, prices may trade only within `reopen_band` of the mark the market halted at
//! for `reopen_s`. No call auction: the market reopens straight into continuous trading. The
//! engine's `safeguards::HaltRule`.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;
use super::{MAX_POLICY_SECONDS, open_fraction};

/// Which markets a halt stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HaltScopeCfg {
    /// The market whose mark moved.
    #[default]
    Market,
    /// Every perpetual of that venue.
    Venue,
}

/// Whether liquidations run during a halt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HaltLiquidations {
    /// They wait for the reopening (the accounts stay liquidatable and are taken then).
    #[default]
    Paused,
    /// The liquidation engine keeps running; its own orders still reach the book.
    Continue,
}

/// What happens to resting orders when a halt starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RestingOrders {
    /// They stay in the book (and trade again at the reopening).
    #[default]
    Keep,
    /// They are cancelled.
    Cancel,
}

/// `[policy.halts]`: circuit breaker / trading halt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Halts {
    /// Venues it applies to (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Move of the mark that halts, a fraction of the window's lowest (rise) or highest (fall)
    /// mark (required; in (0, 1)), e.g. `"0.05"`.
    #[serde(rename = "move")]
    pub move_: Dec,
    /// Look-back window of the move, seconds (default 300; > 0).
    #[serde(default = "five_minutes")]
    pub window_s: u64,
    /// Length of the halt, seconds (default 300; > 0).
    #[serde(default = "five_minutes")]
    pub halt_s: u64,
    /// `market` (default): the market alone; `venue`: every perpetual of the venue.
    #[serde(default)]
    pub scope: HaltScopeCfg,
    /// `paused` (default) or `continue`.
    #[serde(default)]
    pub liquidations: HaltLiquidations,
    /// `keep` (default) or `cancel`.
    #[serde(default)]
    pub resting_orders: RestingOrders,
    /// After the halt, orders trade no further than this fraction from the mark the market
    /// halted at (default `"0"`: no reopening band; else in (0, 1), with `reopen_s`).
    #[serde(default)]
    pub reopen_band: Dec,
    /// How long the reopening band lasts, seconds (default 0; > 0 exactly when `reopen_band`
    /// is set).
    #[serde(default)]
    pub reopen_s: u64,
}

fn five_minutes() -> u64 {
    300
}

impl Halts {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |k: &str| format!("{path}.{k}");
        open_fraction(&f("move"), self.move_, v);
        for (k, n) in [("window_s", self.window_s), ("halt_s", self.halt_s)] {
            v.nonzero(&f(k), n);
            v.at_most(&f(k), n, MAX_POLICY_SECONDS);
        }
        v.at_most(&f("reopen_s"), self.reopen_s, MAX_POLICY_SECONDS);
        if self.reopen_band.get().is_zero() {
            if self.reopen_s > 0 {
                v.err(f("reopen_s"), "has no effect without a reopen_band");
            }
        } else {
            open_fraction(&f("reopen_band"), self.reopen_band, v);
            if self.reopen_s == 0 {
                v.err(f("reopen_s"), "must be > 0 when reopen_band is set, got 0");
            }
        }
    }
}
