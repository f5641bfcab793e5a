//! `[policy.adl]`: how a bankrupt remainder that reaches auto-deleveraging is shared, and when
//! ADL runs at all. `rule = "venue"` keeps each venue's ranking (venue-mechanics §1.5, §2.4,
//! §3.4, §4.3, §5.4, §6.4); `"pro_rata"` closes every profitable opposite position in
//! proportion to its size (what they cannot cover goes on in the venue's ranking); `"haircut"`
//! closes nobody: the backstop takes the position over at the bankruptcy price and every
//! profitable opposite position pays the backstop's loss at the mark in proportion to its
//! unrealized PnL (at most that PnL). With `fund_threshold`, ADL runs only while the insurance
//! fund is below it; at or above it the fund takes the whole remainder over (whatever it costs
//! the fund; its loss beyond its balance is bad debt). Drift, which has no ADL, is unchanged by
//! `rule`. The engine's `safeguards::AdlRule` and `adl_fund_threshold`.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;

/// The ADL variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AdlRuleCfg {
    /// The venue's own ranking.
    #[default]
    Venue,
    /// Every profitable opposite position in proportion to its size.
    ProRata,
    /// Winners pay the loss from their unrealized PnL, in proportion to it.
    Haircut,
}

/// `[policy.adl]`: ADL variant and fund threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adl {
    /// Venues it applies to (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// `venue` (default), `pro_rata` or `haircut`.
    #[serde(default)]
    pub rule: AdlRuleCfg,
    /// ADL only while the insurance fund holds less than this, settle-asset units (default:
    /// none, the venue's own trigger; ≥ 0).
    #[serde(default)]
    pub fund_threshold: Option<Dec>,
}

impl Adl {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if let Some(t) = self.fund_threshold {
            v.non_negative_dec(&format!("{path}.fund_threshold"), t);
            v.fits_cash(&format!("{path}.fund_threshold"), t);
        }
        if self.rule == AdlRuleCfg::Venue && self.fund_threshold.is_none() {
            v.err(path, "sets no lever: give rule = \"pro_rata\" / \"haircut\" or fund_threshold (or leave the table out)");
        }
    }
}
