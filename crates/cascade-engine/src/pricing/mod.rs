//! Pricing: the index price, the mark price and the funding rate of a perpetual, per venue.
//!
//! What lives here, each in its own file:
//! * [`index`]: one reference price from constituent spot prices, with outlier and staleness
//!   rules (venue-mechanics §1.2, §2.2, §3.2, §5.2).
//! * [`mark`]: the mark price rules (median of three, index plus basis MA, fair price,
//!   Hyperliquid's median, oracle) and their sample state.
//! * [`funding`]: premium index, averaging, interest, clamps, caps and interval scaling.
//! * [`median`], [`ring`], [`ema`]: the robust statistics they share, in exact integers.
//! * [`venue_kind`]: the venue names that pick a coherent set of rules.
//!
//! Pure computation: no I/O, no randomness, no clock (time comes in as integer milliseconds),
//! no floats, no panics on input. Paying funding moves money and so lives in the venue
//! (`Venue::settle_funding`).

pub mod ema;
pub mod error;
pub mod funding;
pub mod index;
pub mod mark;
pub mod median;
pub mod ring;
pub mod venue_kind;

pub use error::PricingError;
pub use funding::{FundingAccumulator, FundingFormula, FundingRate, FundingRule, ImpactSize};
pub use index::{IndexPrice, IndexRule, IndexSource};
pub use mark::{MarkInput, MarkPrice, MarkPricer, MarkRule};
pub use venue_kind::VenueKind;
