//! The venues whose pricing rules Cascade reproduces, selectable by name.
//!
//! One name picks a coherent set of defaults for the index ([`super::index::IndexRule`]), the
//! mark price ([`super::mark::MarkRule`]) and funding ([`super::funding::FundingRule`]), each
//! documented against its section of venue-mechanics.md.

use std::fmt;
use std::str::FromStr;

use super::error::{PricingError, invalid};

/// A venue whose index, mark and funding rules are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VenueKind {
    /// Binance USDⓈ-M futures (§1.2).
    Binance,
    /// Bybit USDT perpetuals (§2.2).
    Bybit,
    /// OKX perpetual swaps (§3.2).
    Okx,
    /// BitMEX perpetuals (§4.2).
    Bitmex,
    /// Hyperliquid perpetuals (§5.2).
    Hyperliquid,
    /// dYdX v4 (§6.2).
    Dydx,
    /// Drift v2 (§7.2).
    Drift,
}

impl VenueKind {
    /// Every modelled venue, in a fixed order.
    pub const ALL: [Self; 7] =
        [Self::Binance, Self::Bybit, Self::Okx, Self::Bitmex, Self::Hyperliquid, Self::Dydx, Self::Drift];

    /// The lower-case name used in scenarios (`binance`, `bybit`, `okx`, `bitmex`,
    /// `hyperliquid`, `dydx`, `drift`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Binance => "binance",
            Self::Bybit => "bybit",
            Self::Okx => "okx",
            Self::Bitmex => "bitmex",
            Self::Hyperliquid => "hyperliquid",
            Self::Dydx => "dydx",
            Self::Drift => "drift",
        }
    }
}

impl FromStr for VenueKind {
    type Err = PricingError;

    /// Parses a venue name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, PricingError> {
        let t = s.trim();
        Self::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(t)).ok_or_else(|| {
            invalid(
                "venue",
                format!(
                    "unknown venue `{s}` (expected binance, bybit, okx, bitmex, hyperliquid, dydx or drift)"
                ),
            )
        })
    }
}

impl fmt::Display for VenueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for v in VenueKind::ALL {
            assert_eq!(v.name().parse::<VenueKind>(), Ok(v));
            assert_eq!(v.to_string(), v.name());
        }
        assert_eq!(" HyperLiquid ".parse::<VenueKind>(), Ok(VenueKind::Hyperliquid));
        assert!(matches!(
            "ftx".parse::<VenueKind>(),
            Err(PricingError::InvalidParameter { field: "venue", .. })
        ));
    }
}
