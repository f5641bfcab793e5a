//! Margin mathematics: tiered margin tables, venue tables, equity, maintenance and initial
//! margin, margin ratio, liquidation price and bankruptcy price.
//!
//! Everything here is a pure function over plain values: no state is mutated, nothing is read
//! or written, no clock or randomness is consulted. The `venue` façade (elsewhere) owns state
//! and calls these functions. Every figure is exact integer or rational arithmetic in `i128`
//! with the rounding direction named at each division; floats never appear. Formulas and
//! tables cite `shared/reference/venue-mechanics.md` (§ numbers below refer to it).
//!
//! * [`tiers`]: a validated tiered table ([`RiskTiers`]): maintenance rate, initial rate / max
//!   leverage and maintenance amount ("cum") per notional or size floor.
//! * [`tables`]: the venues' published tables ([`Venue`], [`default_tiers`]).
//! * [`price`]: per-position and per-account figures, liquidation and bankruptcy prices for
//!   linear and inverse contracts, isolated and cross (one-way mode).
//! * [`dydx`], [`drift`]: the two on-chain venues' own margin rules where they differ from a
//!   plain table (open-interest-scaled IMF, bankruptcy quote; size premium).

pub mod drift;
pub mod dydx;
pub mod price;
pub mod tables;
pub mod tiers;

pub use price::{
    CrossAccount, MaintenanceBasis, MarginError, MarginRatioKind, Position, bankruptcy_price,
    bankruptcy_price_with_fee, is_liquidatable, is_liquidatable_with_fee, liquidation_price,
    liquidation_price_hinted, liquidation_price_hinted_with_fee, liquidation_price_with_fee, margin_ratio,
};
pub use tables::{Venue, VenueError, default_tiers};
pub use tiers::{
    Exposure, Leverage, LeverageError, RiskTiers, Tier, TierBasis, TierError, TierSpec, maintenance_amount,
};
