//! The venue's safeguards (`crate::policy`) applied: the leverage cap at order entry and on
//! `set_leverage`, and dynamic margin — a multiplier on the market's tiers that re-indexes every
//! liquidation trigger of the market and runs the liquidation passes, so the index stays exact
//! (every open position's trigger is computed from the table in force).

use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::margin::tiers::Leverage;
use crate::num::{Cash, Price, RATE_ONE, Rate, Round};
use crate::policy::{CapReason, LeverageCap, scaled_tiers};
use crate::position::Position;

use super::{Venue, VenueError, VenueEvent, invalid, overflow};

impl Venue {
    /// Sets (or with `None` removes) the leverage cap of `ins`.
    ///
    /// # Errors
    /// An invalid cap (`cap`), a spot market, an unknown instrument.
    pub fn set_leverage_cap(
        &mut self,
        ins: InstrumentId,
        cap: Option<LeverageCap>,
    ) -> Result<(), VenueError> {
        self.refuse_spot(ins, "cap")?;
        if let Some(c) = &cap {
            c.validate().map_err(|e| invalid("cap", e))?;
        }
        self.market_mut(ins)?.cap = cap;
        Ok(())
    }

    /// Open interest of `ins` valued at its mark (else its last price), settle asset, rounded
    /// down; zero before any price.
    ///
    /// # Errors
    /// Unknown instrument, overflow.
    pub fn open_interest_value(&self, ins: InstrumentId) -> Result<Cash, VenueError> {
        let m = self.market(ins)?;
        let Some(p) = self.reference_mark(ins) else { return Ok(Cash::ZERO) };
        m.instrument.value(p, m.open_interest, Round::Floor).map_err(overflow("open interest"))
    }

    /// The leverage cap binding on a position of `ins` worth `position` (settle asset) now, at
    /// the market's current open interest, with its reason; `None` when uncapped.
    ///
    /// # Errors
    /// Unknown instrument, overflow.
    pub fn cap_at(
        &self,
        ins: InstrumentId,
        position: Cash,
    ) -> Result<Option<(Leverage, CapReason)>, VenueError> {
        let Some(cap) = &self.market(ins)?.cap else { return Ok(None) };
        Ok(cap.cap(self.open_interest_value(ins)?, position.abs()))
    }

    /// Refuses an order that would open or grow a position whose chosen leverage is above the
    /// cap binding at the position's size after the order (valued at `price`). Reducing orders
    /// and positions that chose no leverage pass (the latter take initial margin at the cap).
    pub(super) fn check_leverage_cap(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        signed_qty: i64,
        price: Price,
    ) -> Result<(), VenueError> {
        let m = self.market(ins)?;
        if m.cap.is_none() {
            return Ok(());
        }
        let current = self.ledger.account(acct)?.position(ins).copied();
        let p = current.unwrap_or_else(|| Position::flat(ins, self.default_mode));
        let new_size = super::margin::grown_size(p.size, signed_qty)?;
        let grows =
            new_size.unsigned_abs() > p.size.0.unsigned_abs() || new_size.signum() * p.size.signum() < 0;
        if !grows || p.leverage == 0 {
            return Ok(());
        }
        let e = super::margin::order_exposure(&m.instrument, crate::num::Qty(new_size), price)?;
        let Some((cap, reason)) = self.cap_at(ins, e.notional)? else { return Ok(()) };
        let leverage = Leverage::from_int(i64::from(p.leverage)).map_err(overflow("leverage"))?;
        if leverage > cap {
            return Err(VenueError::LeverageCap { leverage, cap, reason });
        }
        Ok(())
    }

    /// The dynamic-margin multiplier in force on `ins`.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn margin_multiplier(&self, ins: InstrumentId) -> Result<Rate, VenueError> {
        Ok(self.market(ins)?.margin_multiplier)
    }

    /// Scales every rate of `ins`'s margin table by `k` (≥ 1) from the base table
    /// (`policy::margin::scaled_tiers`), re-indexes every position of the market (and, through
    /// their cross pools, their other positions) and runs the liquidation pass on every
    /// instrument, so an account the higher maintenance leaves under water is liquidated now
    /// and no trigger is stale. Returns whether anything changed (`k` equal to the multiplier
    /// in force changes nothing).
    ///
    /// # Errors
    /// `k` below one (`margin_multiplier`), a spot market, a refused table, or a failure while
    /// re-indexing or liquidating.
    pub fn set_margin_multiplier(
        &mut self,
        ins: InstrumentId,
        k: Rate,
        events: &mut Vec<VenueEvent>,
    ) -> Result<bool, VenueError> {
        self.refuse_spot(ins, "margin_multiplier")?;
        if k.0 < RATE_ONE {
            return Err(invalid("margin_multiplier", format!("must be ≥ 1 (got {k})")));
        }
        let m = self.market(ins)?;
        if m.margin_multiplier == k {
            return Ok(false);
        }
        let base = m.base_tiers.clone().unwrap_or_else(|| m.tiers.clone());
        let scaled = scaled_tiers(&base, k)?;
        let m = self.market_mut(ins)?;
        m.base_tiers = Some(base);
        m.set_tiers(scaled);
        m.margin_multiplier = k;
        // Everyone with an open position here: the index and the positions without a
        // liquidation price.
        let mut holders = Vec::new();
        m.index.accounts(&mut holders);
        for side in &m.untriggered {
            holders.extend(side.iter().copied());
        }
        holders.sort_unstable();
        holders.dedup();
        for a in holders {
            self.reindex(a)?;
        }
        if self.config.liquidations {
            for i in 0..self.markets.len() {
                let id = InstrumentId(u16::try_from(i).map_err(|_| VenueError::Overflow("instruments"))?);
                if !self.is_spot(id) {
                    self.liquidation_pass(id, events)?;
                }
            }
        }
        Ok(true)
    }
}
