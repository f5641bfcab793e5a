//! Multi-asset collateral: `[[venues.collateral]]` (what a venue accepts as margin besides its
//! settle asset, and what prices it) and `[[population.collateral]]` (which traders hold it).
//!
//! Why: on 10 Oct 2025 Binance valued USDe, wBETH and BNSOL in unified-account margin from its
//! own thin spot books; forced sales of that collateral depegged the books (USDe $0.6567 on
//! Binance, ≈ $1 elsewhere, 21:36–22:16 UTC), which cut every other holder's margin, and Binance
//! later compensated ≈ $283M (coindesk, 12 Oct 2025, "Binance to compensate users affected by
//! crash in wBETH, BNSOL and Ethena's USDe"). A collateral asset is an `[[assets]]` entry (its
//! fair value is the external reference: a peg, or another asset's index via `follows`) with an
//! `[[assets.spot]]` book on the venue, quoted by `[[makers]]` naming that book; the engine's
//! `CollateralRule` values it from the book's mid (`internal_book`) or from the fair value
//! (`external_index`), less the haircut, and a liquidation sells it into that book.
//!
//! ```toml
//! [[venues.collateral]]        # asset, haircut, source, reprice_step
//! [[population.collateral]]    # venue, asset, share, fraction
//! ```

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::Dec;

/// What values a collateral asset at a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CollateralSourceCfg {
    /// The mid of the venue's own spot book of the asset (its last trade while a side is empty):
    /// what Binance did on 10 Oct 2025.
    #[default]
    InternalBook,
    /// The asset's external reference: its fair value (a peg, or `follows` × ratio), which the
    /// venue's own book cannot move.
    ExternalIndex,
}

impl CollateralSourceCfg {
    /// `internal_book` or `external_index`, as written in a scenario.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InternalBook => "internal_book",
            Self::ExternalIndex => "external_index",
        }
    }
}

/// `[[venues.collateral]]`: an asset the venue counts as cross margin of its settle-asset pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueCollateral {
    /// An `[[assets]]` name (required) with an `[[assets.spot]]` book on this venue: the book
    /// the venue prices it from (`internal_book`) and sells a liquidated holder's units into.
    pub asset: String,
    /// Share of the value not counted, a fraction in [0, 1) (default `"0"`), e.g. `"0.05"`.
    #[serde(default)]
    pub haircut: Dec,
    /// `internal_book` (default) or `external_index`; `[policy.collateral] source` overrides it.
    #[serde(default)]
    pub source: CollateralSourceCfg,
    /// Smallest relative move of the source price that re-values the holders, a fraction in
    /// (0, 1) (default `"0.001"`, 10 bp). Each re-valuation re-indexes every holder and runs the
    /// venue's liquidation pass, so a finer step costs time; checked at every price step.
    #[serde(default = "default_reprice_step")]
    pub reprice_step: Dec,
}

fn default_reprice_step() -> Dec {
    Dec(rust_decimal::Decimal::new(1, 3))
}

impl VenueCollateral {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.asset.trim().is_empty() {
            v.err(format!("{path}.asset"), "must not be empty");
        }
        haircut(&format!("{path}.haircut"), self.haircut, v);
        let s = self.reprice_step;
        if !(s.is_positive() && s.get() < rust_decimal::Decimal::ONE) {
            v.err(format!("{path}.reprice_step"), format!("must be a fraction in (0, 1), got {s}"));
        }
    }
}

/// A haircut: a fraction in [0, 1) the engine's rate can hold exactly.
pub(crate) fn haircut(path: &str, h: Dec, v: &mut Validator) {
    if h.is_negative() || h.get() >= rust_decimal::Decimal::ONE {
        v.err(path, format!("must be a fraction in [0, 1), got {h}"));
    } else if h.to_scaled(cascade_engine::num::RATE_DECIMALS).is_none() {
        v.err(path, format!("{h} has more than {} decimal places", cascade_engine::num::RATE_DECIMALS));
    }
}

/// `[[population.collateral]]`: traders of a venue who hold part of their margin in a
/// collateral asset instead of the settle asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationCollateral {
    /// Venue `name` (required); it must list `asset` in its `[[venues.collateral]]`.
    pub venue: String,
    /// The collateral asset (required).
    pub asset: String,
    /// Share of the population's cross-margin accounts on that venue that hold it, a probability
    /// in [0, 1] (required). Isolated positions are margined in the settle asset only.
    pub share: f64,
    /// Fraction of a holder's initial margin held in the asset, in (0, 1] (required): the holder
    /// deposits `fraction × margin ÷ (price × (1 − haircut))` units at the asset's time-zero
    /// price, and that much less of the settle asset, so its margin is unchanged at the peg.
    /// The fractions of one venue's entries sum to at most 1 (a trader may hold several).
    pub fraction: f64,
}

impl PopulationCollateral {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        v.probability(&format!("{path}.share"), self.share);
        if !(self.fraction.is_finite() && self.fraction > 0.0 && self.fraction <= 1.0) {
            v.err(format!("{path}.fraction"), format!("must be a fraction in (0, 1], got {}", self.fraction));
        }
    }
}
