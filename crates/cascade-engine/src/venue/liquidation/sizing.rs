//! How much of a liquidatable position one step closes, under the venue's partial rule.

use crate::margin::tiers::Exposure;
use crate::num::{Cash, Price, Qty, RATE_ONE, Round};
use crate::risk::rules::PartialRule;

use super::super::{Venue, VenueError, overflow};

impl Venue {
    /// How much to close in one step under the partial rule.
    pub(super) fn liquidation_qty(
        &self,
        pos: &crate::position::Position,
        notional: Cash,
        first: bool,
    ) -> Result<Qty, VenueError> {
        let size = pos.size.abs();
        let m = &self.markets[usize::from(pos.instrument.0)];
        let lot = m.instrument.spec().lot.0;
        let portion = |num: i64, den: i64| -> Result<Qty, VenueError> {
            let q = size.mul_div(num, den, Round::Ceil).map_err(overflow("liquidation qty"))?;
            let q = (q.0 + lot - 1) / lot * lot;
            Ok(Qty(q.clamp(lot.min(size.0), size.0)))
        };
        match self.config.rules.partial {
            PartialRule::Full => Ok(size),
            // One reducing IOC first (half the position), then the rest if still needed.
            PartialRule::ReduceFirst if first => portion(1, 2),
            PartialRule::ReduceFirst => Ok(size),
            PartialRule::TierStepDown { tiers } => {
                let e = Exposure::of(
                    &m.instrument,
                    pos.size,
                    self.reference_mark(pos.instrument).unwrap_or(Price(1)),
                )
                .map_err(overflow("exposure"))?;
                let t = m.tiers.index_for(m.tiers.amount(&e));
                if t == 0 {
                    return Ok(size);
                }
                // Close down to the floor of the tier `tiers` below.
                let keep_tier = t.saturating_sub(usize::from(tiers));
                let floor = m.tiers.tiers().get(keep_tier + 1).map_or(0, |t| t.floor);
                let amount = m.tiers.amount(&e).max(1);
                // Keep the share of the position that sits below that floor.
                let keep = portion(floor.max(0), amount)?;
                Ok(Qty((size.0 - keep.0.min(size.0)).max(lot.min(size.0))))
            }
            PartialRule::Slice { fraction, above, .. } => {
                if notional > above {
                    portion(fraction.0, RATE_ONE)
                } else {
                    Ok(size)
                }
            }
            PartialRule::BlockCap { fraction } => portion(fraction.0, RATE_ONE),
            // Sized with the account's margin by `drift.rs` before this is called.
            PartialRule::MarginShortage => Ok(size),
        }
    }
}
