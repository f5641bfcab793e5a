//! `[policy.collateral]`: what prices multi-asset collateral, and its haircut. `source =
//! "external_index"` values every `[[venues.collateral]]` asset at its external reference (its
//! fair value: the peg, or the followed asset's index × ratio) instead of the venue's own thin
//! spot book, so forced sales into that book no longer cut other holders' margin — the fix
//! Binance adopted after 10 Oct 2025 (redemption-based weights for wBETH and BNSOL, a USDe price
//! floor: coinpost.ai topic 52751; venue-mechanics §8). `haircut` replaces the venues' own.

use serde::{Deserialize, Serialize};

use super::super::collateral::{CollateralSourceCfg, haircut};
use super::super::validate::Validator;
use super::super::values::Dec;
use super::scope::{Known, check_venues};

/// `[policy.collateral]`: collateral price source and haircut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralPolicy {
    /// Venues it applies at, by `name` (default: every venue with `[[venues.collateral]]`).
    #[serde(default)]
    pub venues: Vec<String>,
    /// `internal_book` or `external_index`, replacing each collateral's `source` (default: the
    /// venue's own).
    #[serde(default)]
    pub source: Option<CollateralSourceCfg>,
    /// Haircut replacing each collateral's, a fraction in [0, 1) (default: the venue's own).
    #[serde(default)]
    pub haircut: Option<Dec>,
}

impl CollateralPolicy {
    pub(crate) fn validate(&self, path: &str, known: &Known<'_>, v: &mut Validator) {
        check_venues(path, &self.venues, &known.venues, v);
        if let Some(h) = self.haircut {
            haircut(&format!("{path}.haircut"), h, v);
        }
        if self.source.is_none() && self.haircut.is_none() {
            v.err(path, "sets no lever: give source or haircut (or leave the table out)");
        }
        // A venue named (or, with none named, every venue) must accept some collateral.
        let accepts =
            |name: &str| known.venues.iter().position(|v| *v == name).is_some_and(|i| known.collateral[i]);
        if self.venues.is_empty() {
            if !known.collateral.iter().any(|c| *c) {
                v.err(path, "cannot act: no venue of the scenario lists [[venues.collateral]]");
            }
        } else {
            for (i, name) in self.venues.iter().enumerate() {
                if known.venues.contains(&name.as_str()) && !accepts(name) {
                    v.err(
                        format!("{path}.venues[{i}]"),
                        format!("venue `{name}` lists no [[venues.collateral]]; leave it out of `venues`"),
                    );
                }
            }
        }
    }
}
