//! Safeguards a venue can switch on (ARCHITECTURE.md "Safeguards are venue configuration"):
//! pure rules over plain values, applied by the [`Venue`](crate::venue::Venue) façade
//! (`venue/policy.rs`).
//!
//! * [`leverage`]: caps on the leverage of new exposure — static, tightening with the market's
//!   open interest or with the position's size — checked at order entry.
//! * [`margin`]: dynamic margin — a multiplier on every maintenance and initial rate of a
//!   market's tiers, from realized volatility and open interest, phased in linearly.
//! * [`smoothing`]: a rolling median or time EMA over the mark rule's output.
//!
//! No floats, no clock, no randomness: callers pass rates, amounts and milliseconds.

pub mod leverage;
pub mod margin;
pub mod smoothing;

pub use leverage::{CapReason, CapStep, LeverageCap};
pub use margin::{MarginRamp, margin_multiplier, scaled_tiers};
pub use smoothing::{MarkSmoother, MarkSmoothing};
