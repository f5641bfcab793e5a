//! Why a run failed. A run fails only when the scenario cannot be built into a world, or when an
//! engine refuses something it must accept (a bug, reported with the venue and the simulated
//! time). An agent's order refused for ordinary reasons (margin, price band, empty book) is not
//! an error: the agent simply does not trade.

use cascade_engine::pricing::PricingError;
use cascade_engine::venue::VenueError;

use crate::scheduler::SimTime;

/// A failed run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The scenario is invalid or cannot be represented by the engine.
    #[error("scenario: `{field}`: {reason}")]
    Scenario {
        /// Field path, as scenario validation names it.
        field: String,
        /// Why.
        reason: String,
    },
    /// An engine refused a call it should have accepted.
    #[error("venue `{venue}` at {time}: {source}")]
    Venue {
        /// Venue name.
        venue: String,
        /// Simulated time of the call.
        time: SimTime,
        /// What the engine said.
        source: VenueError,
    },
    /// A pricing rule refused its inputs.
    #[error("pricing of `{market}` at {time}: {source}")]
    Pricing {
        /// `venue:symbol`.
        market: String,
        /// Simulated time.
        time: SimTime,
        /// What the pricing module said.
        source: PricingError,
    },
    /// A venue's invariants failed a full check (conservation, open interest, crossed book).
    #[error("invariant violated on venue `{venue}` at {time} (after event {event}): {message}")]
    Invariant {
        /// Venue name.
        venue: String,
        /// Simulated time.
        time: SimTime,
        /// Number of events processed when the check failed.
        event: u64,
        /// The engine's description.
        message: String,
    },
}

impl SimError {
    /// A scenario problem at `field`.
    pub(crate) fn scenario(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Scenario { field: field.into(), reason: reason.into() }
    }
}
