//! `[policy]`: market-wide rules a scenario can switch on to test what they change.
//!
//! NOT YET APPLIED: the simulator does not act on these levers yet (they arrive with the policy
//! lab). A lever that would do nothing is refused with a named error rather than silently
//! accepted; an empty `[policy]` table is allowed.

use serde::{Deserialize, Serialize};

use super::validate::Validator;

/// `[policy]` (not yet applied: setting any lever is an error until the policy lab lands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Halt a venue's trading when its mark price moves more than this fraction within
    /// `circuit_breaker_window_s` (default: none). Not applied yet: setting it is an error.
    pub circuit_breaker_move: Option<f64>,
    /// Window of the circuit breaker, seconds (default 300 when the breaker is set). Not applied yet: setting it is an error.
    pub circuit_breaker_window_s: Option<u64>,
    /// Length of a halt, seconds (default 300 when the breaker is set). Not applied yet: setting it is an error.
    pub circuit_breaker_halt_s: Option<u64>,
    /// Cap on any account's leverage at every venue, overriding looser tiers (default: none).
    /// Not applied yet: setting it is an error.
    pub leverage_cap: Option<u32>,
}

impl Policy {
    pub(crate) fn validate(&self, v: &mut Validator) {
        if let Some(m) = self.circuit_breaker_move
            && !(m.is_finite() && m > 0.0 && m < 1.0)
        {
            v.err("policy.circuit_breaker_move", format!("must be a fraction in (0, 1), got {m}"));
        }
        for (field, x) in [
            ("policy.circuit_breaker_window_s", self.circuit_breaker_window_s),
            ("policy.circuit_breaker_halt_s", self.circuit_breaker_halt_s),
        ] {
            if let Some(x) = x {
                v.nonzero(field, x);
            }
        }
        if self.leverage_cap == Some(0) {
            v.err("policy.leverage_cap", "leverage must be at least 1 (got 0)");
        }
        // Nothing silently ignored: a lever the simulator does not apply yet is refused.
        let set = [
            ("policy.circuit_breaker_move", self.circuit_breaker_move.is_some()),
            ("policy.circuit_breaker_window_s", self.circuit_breaker_window_s.is_some()),
            ("policy.circuit_breaker_halt_s", self.circuit_breaker_halt_s.is_some()),
            ("policy.leverage_cap", self.leverage_cap.is_some()),
        ];
        for (field, on) in set {
            if on {
                v.err(field, "not applied by the simulator yet (the policy lab is not built); remove it");
            }
        }
    }
}
