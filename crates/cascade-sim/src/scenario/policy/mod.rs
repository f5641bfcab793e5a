//! `[policy]`: the safeguards a scenario can switch on to test what they would have changed.
//!
//! One sub-table per family of levers, each in its own file (`[policy.halts]`,
//! `[policy.leverage]`, …). Every sub-table can name the venues it applies to (`venues = [...]`,
//! default: all). A key the simulator would not act on is an error, never silently accepted;
//! an empty `[policy]` table is allowed and is the baseline.

use serde::{Deserialize, Serialize};

use super::validate::Validator;

/// `[policy]`: market-wide rules (none by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {}

impl Policy {
    pub(crate) fn validate(&self, _v: &mut Validator) {}
}
