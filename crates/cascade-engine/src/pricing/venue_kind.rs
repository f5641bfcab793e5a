//! The venues whose pricing rules Cascade reproduces, selectable by name: the same list as the
//! margin tables and liquidation rule sets (`margin::tables::Venue`), so one name picks a
//! coherent set of defaults for the index ([`super::index::IndexRule`]), the mark price
//! ([`super::mark::MarkRule`]) and funding ([`super::funding::FundingRule`]).

use super::error::{PricingError, invalid};

pub use crate::margin::tables::Venue as VenueKind;

impl From<crate::margin::tables::VenueError> for PricingError {
    fn from(e: crate::margin::tables::VenueError) -> Self {
        invalid("venue", e.to_string())
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
        let e: PricingError = "ftx".parse::<VenueKind>().unwrap_err().into();
        assert!(matches!(e, PricingError::InvalidParameter { field: "venue", .. }));
    }
}
