//! Funding payments: at each settlement every open position pays or receives
//! `size × mark value × rate`, longs paying shorts when the rate is positive (venue-mechanics
//! §1.2, §2.2, §3.2, §4.2 and BMX-1; Hyperliquid §5.2 and dYdX §6.2 value positions at the oracle
//! price instead: use [`Venue::settle_funding_at`]).
//!
//! Money moves only through the ledger, in the venue's favour: each payer's amount is rounded
//! up and each receiver's down. Payers are collected first, into the fee pool, with
//! [`Ledger::settle`](crate::ledger::Ledger::settle) so that a payer who cannot pay is covered by
//! the insurance fund and then bad debt, like any other loss (an isolated position pays from its
//! isolated margin, a cross one from the wallet, as in trade settlement). Receivers are then
//! paid from the fee pool, and the rounding residual (`paid − received ≥ 0`) stays there.
//! Positions, open interest and the clearing account are untouched, so every venue invariant
//! holds after a settlement. This module never computes a rate: see `pricing::funding`.

use crate::instrument::InstrumentId;
use crate::ledger::Party;
use crate::num::{Cash, Price, Qty, Rate, Round};
use crate::position::MarginMode;

use super::{Venue, VenueError, VenueEvent, invalid, overflow};

/// What one funding settlement moved, in the instrument's settle asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingSummary {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The rate applied (positive: longs pay shorts).
    pub rate: Rate,
    /// The price positions were valued at (the mark, or the oracle for [`Venue::settle_funding_at`]).
    pub price: Price,
    /// Σ charged to payers (each rounded up), including any part the insurance fund or bad debt
    /// covered.
    pub paid: Cash,
    /// Σ credited to receivers (each rounded down).
    pub received: Cash,
    /// `paid − received`, left in the fee pool.
    pub residual: Cash,
    /// Part of `paid` the payers could not cover: taken from the insurance fund or recorded as
    /// bad debt.
    pub shortfall: Cash,
    /// Positions that paid.
    pub payers: u32,
    /// Positions that received.
    pub receivers: u32,
}

/// One open position's share of a settlement.
struct Leg {
    party: Party,
    pays: bool,
    amount: Cash,
}

impl Venue {
    /// Settles funding on `instrument` at `rate`, valuing every open position at the venue's
    /// mark price, and appends a [`VenueEvent::Funding`] to `events`.
    ///
    /// # Errors
    /// [`VenueError::UnknownInstrument`]; [`VenueError::InvalidOrder`] (`mark_price`) if no mark
    /// price is set; otherwise as [`Venue::settle_funding_at`].
    pub fn settle_funding(
        &mut self,
        instrument: InstrumentId,
        rate: Rate,
        events: &mut Vec<VenueEvent>,
    ) -> Result<FundingSummary, VenueError> {
        let mark = self
            .mark_price(instrument)?
            .ok_or_else(|| invalid("mark_price", "not set: funding needs a mark price to value positions"))?;
        self.settle_funding_at(instrument, rate, mark, events)
    }

    /// Settles funding on `instrument` at `rate`, valuing positions at `price` (the oracle price
    /// on Hyperliquid §5.2 and dYdX §6.2), and appends a [`VenueEvent::Funding`] to `events`.
    ///
    /// Every amount is computed before any money moves, so an error leaves the venue unchanged.
    ///
    /// # Errors
    /// [`VenueError::UnknownInstrument`]; [`VenueError::InvalidOrder`] (`price`) if `price` is not
    /// positive, (`instrument`) on a spot market; [`VenueError::Overflow`] if a payment does not fit; [`VenueError::Ledger`] from
    /// a transfer (not expected once the amounts are computed).
    pub fn settle_funding_at(
        &mut self,
        instrument: InstrumentId,
        rate: Rate,
        price: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<FundingSummary, VenueError> {
        if !price.is_positive() {
            return Err(invalid("price", format!("must be > 0 (got {})", price.0)));
        }
        self.refuse_spot(instrument, "instrument")?;
        let ins = &self.market(instrument)?.instrument;
        let asset = ins.settle_asset();
        let abs_rate = rate.abs();
        let mut legs: Vec<Leg> = Vec::new();
        if !rate.is_zero() {
            for (id, account) in self.ledger.accounts() {
                let Some(pos) = account.position(instrument) else { continue };
                if pos.size.is_zero() {
                    continue;
                }
                // Longs pay when the rate is positive, shorts when it is negative.
                let pays = pos.size.signum() == rate.0.signum();
                let round = if pays { Round::Ceil } else { Round::Floor };
                let amount = ins
                    .value(price, Qty(pos.size.0), round)
                    .and_then(|v| v.mul_rate(abs_rate, round))
                    .map_err(overflow("funding payment"))?;
                let party = if pos.mode == MarginMode::Isolated {
                    Party::Isolated(id, instrument)
                } else {
                    Party::Wallet(id)
                };
                legs.push(Leg { party, pays, amount });
            }
        }
        let total = |pays: bool| -> Result<Cash, VenueError> {
            legs.iter()
                .filter(|l| l.pays == pays)
                .try_fold(Cash::ZERO, |acc, l| acc.checked_add(l.amount))
                .map_err(overflow("funding total"))
        };
        let (paid, received) = (total(true)?, total(false)?);
        if paid < received {
            return Err(VenueError::Invariant(format!(
                "funding on instrument {}: receivers {received} exceed payers {paid}",
                instrument.0
            )));
        }
        let mut summary = FundingSummary {
            instrument,
            rate,
            price,
            paid,
            received,
            residual: paid.checked_sub(received).map_err(overflow("funding residual"))?,
            shortfall: Cash::ZERO,
            payers: 0,
            receivers: 0,
        };
        // Collect first, so the fee pool holds what the receivers are owed.
        for leg in legs.iter().filter(|l| l.pays) {
            summary.payers = summary.payers.saturating_add(1);
            if leg.amount.is_positive() {
                let s = self.ledger.settle(leg.party, Party::FeePool, asset, leg.amount)?;
                summary.shortfall = summary
                    .shortfall
                    .checked_add(s.by_insurance)
                    .and_then(|x| x.checked_add(s.bad_debt))
                    .map_err(overflow("funding shortfall"))?;
            }
        }
        for leg in legs.iter().filter(|l| !l.pays) {
            summary.receivers = summary.receivers.saturating_add(1);
            if leg.amount.is_positive() {
                self.ledger.transfer(Party::FeePool, leg.party, asset, leg.amount)?;
            }
        }
        // Balances moved: the accounts' liquidation triggers are refreshed before the next pass.
        for leg in &legs {
            if let Party::Wallet(a) | Party::Isolated(a, _) = leg.party {
                self.mark_dirty(a);
            }
        }
        events.push(VenueEvent::Funding(summary));
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Side;
    use crate::instrument::{AssetId, FeeSchedule, InstrumentSpec};
    use crate::ledger::AccountId;
    use crate::venue::{OrderRequest, VenueConfig};

    const USDT: AssetId = AssetId(0);
    /// Margin managed by hand and no forced liquidations: these tests are about funding alone.
    fn raw() -> VenueConfig {
        VenueConfig { enforce_initial_margin: false, liquidations: false, ..VenueConfig::default() }
    }

    fn usdt(s: &str) -> Cash {
        s.parse().unwrap()
    }

    fn spec() -> InstrumentSpec {
        let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
        InstrumentSpec { fees, ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3) }
    }

    /// A long of `qty` for `long` against a short for `short`, at 100,000.0.
    fn venue_with(long: AccountId, short: AccountId, qty: i64, v: &mut Venue, ins: InstrumentId) {
        let mut ev = Vec::new();
        v.place(short, ins, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(qty)), &mut ev).unwrap();
        v.place(long, ins, OrderRequest::limit(Side::Buy, Price(1_000_000), Qty(qty)), &mut ev).unwrap();
    }

    #[test]
    fn longs_pay_shorts_when_the_rate_is_positive() {
        let mut v = Venue::new(raw());
        let btc = v.add_instrument(spec()).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("10000")).unwrap();
        v.deposit(b, USDT, usdt("10000")).unwrap();
        venue_with(a, b, 1_000, &mut v, btc);
        let mut ev = Vec::new();
        // No mark yet: refused, nothing moves.
        assert!(matches!(
            v.settle_funding(btc, Rate::from_bps(1), &mut ev),
            Err(VenueError::InvalidOrder { field: "mark_price", .. })
        ));
        v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
        // 1 BTC at 100,000 × 0.01% = 10 USDT from the long to the short.
        let s = v.settle_funding(btc, Rate::from_bps(1), &mut ev).unwrap();
        assert_eq!(
            (s.paid, s.received, s.residual, s.shortfall),
            (usdt("10"), usdt("10"), Cash::ZERO, Cash::ZERO)
        );
        assert_eq!((s.payers, s.receivers), (1, 1));
        assert_eq!(ev.last(), Some(&VenueEvent::Funding(s)));
        assert_eq!(v.ledger().account(a).unwrap().balance(USDT), usdt("9990"));
        assert_eq!(v.ledger().account(b).unwrap().balance(USDT), usdt("10010"));
        // Negative rate: shorts pay.
        v.settle_funding(btc, Rate::from_bps(-3), &mut ev).unwrap();
        assert_eq!(v.ledger().account(a).unwrap().balance(USDT), usdt("10020"));
        // Zero rate: an event, no money.
        let s = v.settle_funding(btc, Rate::ZERO, &mut ev).unwrap();
        assert_eq!((s.paid, s.payers), (Cash::ZERO, 0));
        v.check_invariants().unwrap();
    }

    #[test]
    fn rounding_favours_the_venue_and_the_residual_stays_in_the_fee_pool() {
        let mut v = Venue::new(raw());
        let btc = v.add_instrument(spec()).unwrap();
        let accts: Vec<_> = (0..4).map(|_| v.open_account().unwrap()).collect();
        for &a in &accts {
            v.deposit(a, USDT, usdt("100000")).unwrap();
        }
        // Long 0.003 by one account against two shorts of 0.001 and 0.002.
        let mut ev = Vec::new();
        v.place(accts[1], btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1)), &mut ev).unwrap();
        v.place(accts[2], btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(2)), &mut ev).unwrap();
        v.place(accts[0], btc, OrderRequest::limit(Side::Buy, Price(1_000_000), Qty(3)), &mut ev).unwrap();
        v.set_mark_price(btc, Price(1_000_001), &mut ev).unwrap();
        // Value 0.003 × 100,000.1 = 300.0003 USDT; × 0.0000001 (Rate(10)) = 0.00003000003:
        // payer ceil 3,001 units of 1e-8; receivers 0.00001000001 → 1,000 and 2,000 (floor).
        let s = v.settle_funding(btc, Rate(10), &mut ev).unwrap();
        assert_eq!((s.paid, s.received, s.residual), (Cash(3_001), Cash(3_000), Cash(1)));
        assert_eq!(v.ledger().system(USDT).fee_pool, Cash(1));
        v.check_invariants().unwrap();
    }

    #[test]
    fn a_broke_isolated_payer_is_covered_by_the_fund_then_bad_debt() {
        let mut v = Venue::new(raw());
        let btc = v.add_instrument(spec()).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("1000")).unwrap();
        v.deposit(b, USDT, usdt("1000")).unwrap();
        v.seed_insurance_fund(USDT, usdt("3")).unwrap();
        v.set_margin_mode(a, btc, MarginMode::Isolated).unwrap();
        v.add_isolated_margin(a, btc, usdt("5")).unwrap();
        venue_with(a, b, 1_000, &mut v, btc);
        let mut ev = Vec::new();
        v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
        // 10 USDT owed; the isolated margin holds 5, the fund 3: 2 of bad debt. The wallet's
        // 995 USDT is not touched.
        let s = v.settle_funding(btc, Rate::from_bps(1), &mut ev).unwrap();
        assert_eq!((s.paid, s.shortfall), (usdt("10"), usdt("5")));
        let l = v.ledger();
        assert_eq!(l.account(a).unwrap().balance(USDT), usdt("995"));
        assert_eq!(l.account(a).unwrap().position(btc).unwrap().isolated_margin, Cash::ZERO);
        assert_eq!((l.system(USDT).insurance_fund, l.system(USDT).bad_debt), (Cash::ZERO, usdt("2")));
        assert_eq!(l.account(b).unwrap().balance(USDT), usdt("1010"));
        v.check_invariants().unwrap();
    }

    #[test]
    fn isolated_receivers_are_paid_into_their_margin() {
        let mut v = Venue::new(raw());
        let btc = v.add_instrument(spec()).unwrap();
        let (a, b) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(a, USDT, usdt("1000")).unwrap();
        v.deposit(b, USDT, usdt("1000")).unwrap();
        v.set_margin_mode(b, btc, MarginMode::Isolated).unwrap();
        v.add_isolated_margin(b, btc, usdt("100")).unwrap();
        venue_with(a, b, 2_000, &mut v, btc);
        let mut ev = Vec::new();
        // Valued at an oracle price of 50,000.0: 2 BTC × 50,000 × 0.1% = 100 USDT.
        let s = v.settle_funding_at(btc, Rate::from_bps(10), Price(500_000), &mut ev).unwrap();
        assert_eq!(s.received, usdt("100"));
        assert_eq!(v.ledger().account(b).unwrap().position(btc).unwrap().isolated_margin, usdt("200"));
        assert!(matches!(
            v.settle_funding_at(btc, Rate(1), Price(0), &mut ev),
            Err(VenueError::InvalidOrder { field: "price", .. })
        ));
        assert!(matches!(
            v.settle_funding_at(InstrumentId(9), Rate(1), Price(1), &mut ev),
            Err(VenueError::UnknownInstrument(9))
        ));
        v.check_invariants().unwrap();
    }
}
