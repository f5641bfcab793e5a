//! Leverage caps: the highest leverage a venue lets new exposure carry, as a static cap and as
//! steps that tighten with the market's open interest or with the position's notional (the
//! policy levers of regulators and venues after 10 Oct 2025). Pure: the venue looks up the cap
//! at order entry and refuses an order whose position's chosen leverage is above it
//! ([`VenueError::LeverageCap`](crate::venue::VenueError::LeverageCap)).

use std::fmt;

use crate::margin::tiers::Leverage;
use crate::num::Cash;

/// One step of a tightening cap: from `above` (inclusive) on, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapStep {
    /// Threshold: the market's open interest, or the position's notional, settle asset.
    pub above: Cash,
    /// The cap from the threshold on.
    pub max: Leverage,
}

/// Which part of a [`LeverageCap`] binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapReason {
    /// The static cap.
    Static,
    /// A step of the open-interest schedule.
    OpenInterest,
    /// A step of the position-size schedule.
    PositionSize,
}

impl fmt::Display for CapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Static => "static",
            Self::OpenInterest => "open-interest",
            Self::PositionSize => "position-size",
        })
    }
}

/// A market's leverage cap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeverageCap {
    /// The cap at any size and open interest (none: only the steps).
    pub max: Option<Leverage>,
    /// Steps on the market's open interest (long side at the mark), `above` increasing.
    pub open_interest: Vec<CapStep>,
    /// Steps on the position's notional after the order, `above` increasing.
    pub position: Vec<CapStep>,
}

impl LeverageCap {
    /// Checks the cap.
    ///
    /// # Errors
    /// A message naming the field: a non-positive leverage or threshold, steps out of order.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(m) = self.max
            && m.0 <= 0
        {
            return Err(format!("max: must be > 0 (got {m})"));
        }
        for (name, steps) in [("open_interest", &self.open_interest), ("position", &self.position)] {
            for (i, s) in steps.iter().enumerate() {
                if s.max.0 <= 0 || !s.above.is_positive() {
                    return Err(format!("{name}[{i}]: max and above must be > 0"));
                }
                if i > 0 && s.above <= steps[i - 1].above {
                    return Err(format!("{name}[{i}]: above must increase"));
                }
            }
        }
        Ok(())
    }

    /// The binding cap for a market with open interest `oi` and a position worth `position`
    /// (both settle asset): the lowest of the static cap and of the last step each schedule has
    /// reached, with the reason (the static cap wins a tie, then open interest). `None` when
    /// nothing caps.
    #[must_use]
    pub fn cap(&self, oi: Cash, position: Cash) -> Option<(Leverage, CapReason)> {
        let step = |steps: &[CapStep], x: Cash| {
            // Steps tighten: the lowest `max` among those reached.
            steps.iter().filter(|s| x >= s.above).map(|s| s.max).min()
        };
        let mut best: Option<(Leverage, CapReason)> = self.max.map(|m| (m, CapReason::Static));
        for (c, why) in [
            (step(&self.open_interest, oi), CapReason::OpenInterest),
            (step(&self.position, position), CapReason::PositionSize),
        ] {
            if let Some(c) = c
                && best.is_none_or(|(b, _)| c < b)
            {
                best = Some((c, why));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(n: i64) -> Leverage {
        Leverage::from_int(n).unwrap()
    }
    fn usd(n: i64) -> Cash {
        Cash::units(n).unwrap()
    }

    /// 20x static; 10x from 50M of open interest, 5x from 100M; 4x for positions of 1M or more.
    #[test]
    fn the_lowest_reached_cap_binds_with_its_reason() {
        let cap = LeverageCap {
            max: Some(x(20)),
            open_interest: vec![
                CapStep { above: usd(50_000_000), max: x(10) },
                CapStep { above: usd(100_000_000), max: x(5) },
            ],
            position: vec![CapStep { above: usd(1_000_000), max: x(4) }],
        };
        cap.validate().unwrap();
        assert_eq!(cap.cap(usd(10_000_000), usd(1_000)), Some((x(20), CapReason::Static)));
        assert_eq!(cap.cap(usd(50_000_000), usd(1_000)), Some((x(10), CapReason::OpenInterest)));
        assert_eq!(cap.cap(usd(49_999_999), usd(1_000)), Some((x(20), CapReason::Static)));
        assert_eq!(cap.cap(usd(150_000_000), usd(1_000)), Some((x(5), CapReason::OpenInterest)));
        assert_eq!(cap.cap(usd(150_000_000), usd(1_000_000)), Some((x(4), CapReason::PositionSize)));
        assert_eq!(LeverageCap::default().cap(usd(1), usd(1)), None);
        let bad = LeverageCap {
            open_interest: vec![CapStep { above: usd(5), max: x(5) }, CapStep { above: usd(5), max: x(3) }],
            ..LeverageCap::default()
        };
        assert!(bad.validate().unwrap_err().starts_with("open_interest[1]"));
    }
}
