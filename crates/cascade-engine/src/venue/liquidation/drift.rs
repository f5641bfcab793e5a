//! Drift v2's liquidation (§7.3): a liquidator takes just enough base at the oracle less its
//! fee to cover the margin shortage plus a buffer, the account pays an insurance-fund fee, and
//! a bankrupt account's loss is paid by the insurance fund, then the market's fee pool, then
//! by every open position *of that market* in proportion to its base (Drift books it through
//! the cumulative funding rate; here each position's margin pays its share at once, isolated
//! positions included).

use crate::instrument::InstrumentId;
use crate::ledger::{AccountId, Party};
use crate::num::{Cash, Price, Qty, RATE_ONE, Rate, Round};
use crate::position::{MarginMode, Position};

use super::super::{MarginState, Venue, VenueError, VenueEvent, overflow};
use super::LiquidationKind;

/// Drift's insurance-fund fee rate (§7.3): `min(max_if_fee, 0.95 × max(0, MR + buffer −
/// liquidator_fee − shortage / notional))`, all as rates of the position's notional.
#[must_use]
pub fn insurance_fee_rate(
    mr: Rate,
    buffer: Rate,
    liquidator_fee: Rate,
    max_if_fee: Rate,
    shortage: Cash,
    notional: Cash,
) -> Rate {
    let one = i128::from(RATE_ONE);
    let shortage_rate = if notional.is_positive() {
        i128::from(shortage.0.max(0)) * one / i128::from(notional.0)
    } else {
        one
    };
    let room =
        (i128::from(mr.0) + i128::from(buffer.0) - i128::from(liquidator_fee.0) - shortage_rate).max(0);
    let fee = room * 95 / 100;
    Rate(i64::try_from(fee.min(i128::from(max_if_fee.0))).unwrap_or(max_if_fee.0))
}

/// Drift's base to liquidate (§7.3): `shortage / (price × (MR + buffer − liquidator_fee) −
/// price × if_fee)`, here per lot: the lots whose closing frees at least the shortage, rounded
/// up. `None` when closing frees nothing (`MR + buffer ≤ fees`): the whole position goes.
#[must_use]
pub fn shortage_lots(
    shortage: Cash,
    lot_value: Cash,
    mr: Rate,
    buffer: Rate,
    liquidator_fee: Rate,
    if_fee: Rate,
) -> Option<i64> {
    let rate = i128::from(mr.0) + i128::from(buffer.0) - i128::from(liquidator_fee.0) - i128::from(if_fee.0);
    let freed = i128::from(lot_value.0) * rate;
    if freed <= 0 {
        return None;
    }
    let need = i128::from(shortage.0.max(0)) * i128::from(RATE_ONE);
    i64::try_from((need + freed - 1) / freed).ok()
}

impl Venue {
    /// The position's maintenance rate and the account's shortage to maintenance + buffer.
    fn shortage(
        &self,
        pos: &Position,
        state: &MarginState,
        mark: Price,
    ) -> Result<(Rate, Cash, Cash), VenueError> {
        let m = &self.markets[usize::from(pos.instrument.0)];
        let notional =
            m.instrument.value(mark, pos.size.abs(), Round::Floor).map_err(overflow("notional"))?;
        let e = crate::margin::tiers::Exposure::of(&m.instrument, pos.size, mark)
            .map_err(overflow("exposure"))?;
        let mm = m.tiers.maintenance_margin(&e).map_err(overflow("maintenance"))?;
        let mr = Rate(
            crate::num::div_i128(
                i128::from(mm.0) * i128::from(RATE_ONE),
                i128::from(notional.0.max(1)),
                Round::Ceil,
            )
            .map_err(overflow("maintenance rate"))?,
        );
        let buffer = notional
            .mul_rate(self.config.rules.liquidation_buffer, Round::Ceil)
            .map_err(overflow("buffer"))?;
        let shortage = state
            .maintenance
            .checked_add(buffer)
            .and_then(|t| t.checked_sub(state.equity))
            .map_err(overflow("shortage"))?;
        Ok((mr, shortage, notional))
    }

    /// How much of `pos` Drift's liquidator takes in one step, and the insurance-fee rate.
    pub(super) fn shortage_qty(
        &self,
        pos: &Position,
        state: &MarginState,
        mark: Price,
    ) -> Result<(Qty, Rate), VenueError> {
        let rules = self.config.rules;
        let crate::risk::rules::Execution::LiquidatorAtOracle { fee } = rules.execution else {
            return Ok((pos.size.abs(), Rate::ZERO));
        };
        let (mr, shortage, notional) = self.shortage(pos, state, mark)?;
        let if_fee =
            insurance_fee_rate(mr, rules.liquidation_buffer, fee, rules.insurance_fee, shortage, notional);
        let m = &self.markets[usize::from(pos.instrument.0)];
        let lot = m.instrument.spec().lot;
        let lot_value = m.instrument.value(mark, lot, Round::Floor).map_err(overflow("lot value"))?;
        let size = pos.size.abs();
        let qty = match shortage_lots(shortage, lot_value, mr, rules.liquidation_buffer, fee, if_fee) {
            Some(lots) => Qty(lots.saturating_mul(lot.0).clamp(lot.0.min(size.0), size.0)),
            None => size,
        };
        Ok((qty, if_fee))
    }

    /// The liquidator takes `qty` at the oracle ∓ its fee; the account pays the insurance-fund
    /// fee on the value taken (as far as its margin goes).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn liquidator_takes(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        qty: Qty,
        mark: Price,
        bp: Price,
        fee: Rate,
        if_fee: Rate,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let Some(pos) = self.ledger.account(acct)?.position(ins).copied() else { return Ok(()) };
        let long = pos.size.is_positive();
        let px = if long {
            mark.mul_div(RATE_ONE - fee.0, RATE_ONE, Round::Floor)
        } else {
            mark.mul_div(RATE_ONE + fee.0, RATE_ONE, Round::Ceil)
        }
        .map_err(overflow("liquidator price"))?;
        let backstop = self.backstop_account()?;
        let side = if long { crate::book::Side::Sell } else { crate::book::Side::Buy };
        self.settle_trade(ins, crate::book::OrderId(u64::MAX), backstop, acct, side, px, qty, false)?;
        let m = &self.markets[usize::from(ins.0)];
        let (asset, fund) = (m.instrument.settle_asset(), m.fund);
        let value = m.instrument.value(mark, qty, Round::Floor).map_err(overflow("liquidated value"))?;
        let party = match self.ledger.account(acct)?.position(ins) {
            Some(p) if p.mode == MarginMode::Isolated => Party::Isolated(acct, ins),
            _ => Party::Wallet(acct),
        };
        let charged = value
            .mul_rate(if_fee, Round::Ceil)
            .map_err(overflow("insurance fee"))?
            .min(self.ledger.balance(party, asset)?);
        if charged.is_positive() {
            self.ledger.transfer(party, Party::InsuranceFund(fund), asset, charged)?;
        }
        events.push(self.liquidation_event(
            acct,
            ins,
            long,
            qty,
            mark,
            px,
            bp,
            charged.max(Cash::ZERO),
            LiquidationKind::Liquidator,
        )?);
        Ok(())
    }

    /// Drift's bankruptcy resolution for `ins` (§7.3): the loss its trades left unpaid after
    /// the insurance fund is paid from the fee pool, then charged to every open position of
    /// the market by base, as far as each position's margin goes. Returns whether it charged.
    pub(super) fn socialise_market_loss(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<bool, VenueError> {
        let idx = usize::from(ins.0);
        let mut loss = std::mem::replace(&mut self.markets[idx].pending_loss, Cash::ZERO);
        if !loss.is_positive() {
            return Ok(false);
        }
        // Holders are read from the index: bring it up to date first.
        self.flush_dirty()?;
        let asset = self.markets[idx].instrument.settle_asset();
        let pool = self.ledger.system(asset).fee_pool.min(loss);
        if pool.is_positive() {
            self.ledger.transfer(Party::FeePool, Party::BadDebt, asset, pool)?;
            loss = Cash(loss.0 - pool.0);
        }
        let m = &self.markets[idx];
        let mut holders: Vec<AccountId> = m
            .index
            .members(true)
            .chain(m.index.members(false))
            .chain(m.untriggered[0].iter().copied())
            .chain(m.untriggered[1].iter().copied())
            .filter(|a| Some(*a) != self.backstop)
            .collect();
        holders.sort_unstable();
        holders.dedup();
        let mut sizes = Vec::with_capacity(holders.len());
        let mut total: i128 = 0;
        for a in holders {
            if let Some(p) = self.ledger.account(a)?.position(ins) {
                let s = i128::from(p.size.0.unsigned_abs() as i64);
                total += s;
                sizes.push((a, p.mode, s));
            }
        }
        if total == 0 || !loss.is_positive() {
            return Ok(pool.is_positive());
        }
        let mut charged = pool.is_positive();
        for (a, mode, s) in sizes {
            let share = crate::num::div_i128(i128::from(loss.0) * s, total, Round::Floor)
                .map_err(overflow("socialised loss"))?;
            let party = if mode == MarginMode::Isolated { Party::Isolated(a, ins) } else { Party::Wallet(a) };
            let pay = Cash(share).min(self.ledger.balance(party, asset)?);
            if pay.is_positive() {
                self.ledger.transfer(party, Party::BadDebt, asset, pay)?;
                events.push(VenueEvent::SocializedLoss { instrument: ins, account: a, amount: pay });
                self.mark_dirty(a);
                charged = true;
            }
        }
        Ok(charged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        s.parse().unwrap()
    }

    fn usd(s: &str) -> Cash {
        s.parse().unwrap()
    }

    /// venue-mechanics §9.7 DRIFT-8 (`calculate_perp_if_fee::test`): shortage $20 on 10 base at
    /// $100 (notional $1,000), MR 5%, liquidator fee 1%, max IF fee 5%, no buffer:
    /// 0.95 × (0.05 − 0.01 − 20/1,000) = 0.95 × 0.02 = 1.9%; shortage $1: 0.95 × 0.039 = 3.705%;
    /// shortage $1,000: 0; liquidator fee 10%: 0.
    #[test]
    fn drift_8_insurance_fee() {
        let (mr, max, n) = (rate("0.05"), rate("0.05"), usd("1000"));
        let f =
            |liq: &str, shortage: &str| insurance_fee_rate(mr, Rate::ZERO, rate(liq), max, usd(shortage), n);
        assert_eq!(f("0.01", "20"), rate("0.019"));
        assert_eq!(f("0.01", "1"), rate("0.03705"));
        assert_eq!(f("0.01", "1000"), Rate::ZERO);
        assert_eq!(f("0.1", "20"), Rate::ZERO);
    }

    /// §9.7 DRIFT-1/3/4: shortage $10, MR 10%, oracle $100. Lots of 0.001 base ($0.1 each):
    /// no fees → 10 / (100 × 0.1) = 1.0 base = 1,000 lots; liquidator fee 1% → 10 / 9 =
    /// 1.111… base → 1,112 lots rounded up; + IF fee 1% → 10 / 8 = 1.25 base = 1,250 lots.
    #[test]
    fn drift_1_3_4_base_to_cover_the_shortage() {
        let (shortage, lot, mr) = (usd("10"), usd("0.1"), rate("0.1"));
        assert_eq!(shortage_lots(shortage, lot, mr, Rate::ZERO, Rate::ZERO, Rate::ZERO), Some(1_000));
        assert_eq!(shortage_lots(shortage, lot, mr, Rate::ZERO, rate("0.01"), Rate::ZERO), Some(1_112));
        assert_eq!(shortage_lots(shortage, lot, mr, Rate::ZERO, rate("0.01"), rate("0.01")), Some(1_250));
        // Fees at or above MR + buffer free nothing: the whole position goes.
        assert_eq!(shortage_lots(shortage, lot, mr, Rate::ZERO, rate("0.1"), Rate::ZERO), None);
    }
}
