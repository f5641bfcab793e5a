//! Why a pricing computation was refused: one error type for index, mark and funding.
//!
//! Every variant names the field or input at fault, so a caller (the simulator, a scenario
//! validator) can say exactly what to fix. Pricing never panics on input; it returns these.

use crate::num::Overflow;

/// A pricing input or parameter was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// A parameter of a rule is out of range.
    #[error("{field}: {reason}")]
    InvalidParameter {
        /// The parameter.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A price input that must be strictly positive was not.
    #[error("{field} must be > 0 (got {value})")]
    NotPositive {
        /// The input.
        field: &'static str,
        /// Its raw value.
        value: i64,
    },
    /// One constituent of an index was invalid.
    #[error("sources[{index}].{field}: {reason}")]
    InvalidSource {
        /// Position of the source in the slice given.
        index: usize,
        /// The field of that source.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Too few usable sources remained after the stale and outlier rules.
    #[error("index needs at least {required} fresh sources, {usable} usable")]
    TooFewSources {
        /// Sources left after exclusions.
        usable: usize,
        /// Minimum the rule asks for.
        required: usize,
    },
    /// Time went backwards between two observations of the same state.
    #[error("{field}: time went backwards ({now_ms} ms < {last_ms} ms)")]
    TimeWentBackwards {
        /// The time input.
        field: &'static str,
        /// The previous time seen.
        last_ms: i64,
        /// The time given now.
        now_ms: i64,
    },
    /// No input was available to compute a value (e.g. a mark with no price at all).
    #[error("no input available for {0}")]
    NoInput(&'static str),
    /// The book could not be used (e.g. an impact notional on an inverse contract).
    #[error("book: {0}")]
    Book(&'static str),
    /// A figure did not fit its type.
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
}

/// Maps [`Overflow`] to [`PricingError::Overflow`] naming where it happened.
pub(crate) fn overflow(field: &'static str) -> impl Fn(Overflow) -> PricingError {
    move |_| PricingError::Overflow(field)
}

/// Checks a price input is strictly positive.
pub(crate) fn positive(field: &'static str, value: i64) -> Result<(), PricingError> {
    if value > 0 { Ok(()) } else { Err(PricingError::NotPositive { field, value }) }
}

/// Builds [`PricingError::InvalidParameter`].
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> PricingError {
    PricingError::InvalidParameter { field, reason: reason.into() }
}
