//! `[policy.bands]`: price bands (limit-up / limit-down). An order may not execute further than
//! `band` from the mark: a trader's limit order beyond it is refused with the reason
//! `outside the price band`, a market order is capped at the band's edge (on top of the venue's
//! own `market_band`, which caps market orders around the mark: the tighter of
//! the two applies). Liquidation orders and the backstop's offload are banded only with
//! `liquidations = true`, and then clipped at the edge, never refused (what they cannot close
//! goes to the fund and ADL). The engine's `safeguards::BandRule` and `liquidation_band`.

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;
use super::open_fraction;

/// `[policy.bands]`: price band around the mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// Venues it applies to (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Width of the band, a fraction of the mark on each side (required; in (0, 1)), e.g.
    /// `"0.02"`.
    pub band: Dec,
    /// Whether traders' orders keep the band (default true).
    #[serde(default = "yes")]
    pub orders: bool,
    /// Whether liquidation orders keep it too (default false).
    #[serde(default)]
    pub liquidations: bool,
}

fn yes() -> bool {
    true
}

impl Bands {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        open_fraction(&format!("{path}.band"), self.band, v);
        if !self.orders && !self.liquidations {
            v.err(
                format!("{path}.orders"),
                "the band applies to nothing (orders and liquidations both false)",
            );
        }
    }
}
