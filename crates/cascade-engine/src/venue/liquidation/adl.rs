//! Auto-deleveraging: closing a bankrupt position against opposite positions in the venue's
//! ranking order, at the venue's ADL price.
//!
//! Every open opposite position is reachable — a 1x long, a cross long backed by a large
//! wallet, the short leg of a hedge — not only those with a liquidation price: candidates come
//! from the liquidation index plus the instrument's set of open positions that have no
//! liquidation price (both refreshed just before), and are ranked once per pass and side (venues refresh their rankings periodically). Profitable positions rank
//! first; dYdX walks every offsetting account from a pseudo-random start, profitable or not,
//! and skips one the fill would leave with negative collateral (§6.4).

use crate::book::{OrderId, Side};
use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::ledger::Party;
use crate::num::{Cash, Price, Qty, Round};
use crate::position::MarginMode;
use crate::risk::adl::{AdlCandidate, RankedCandidates, rank};
use crate::risk::rules::AdlRanking;
use crate::safeguards::{AdlRule, pro_rata};

use super::super::{Venue, VenueError, VenueEvent, overflow};
use super::AdlQueue;

impl Venue {
    /// Closes up to `qty` of the bankrupt position against opposite positions in the venue's
    /// ranking order, at `price`. Returns the quantity closed.
    pub(super) fn auto_deleverage(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        qty: Qty,
        price: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        let rules = self.config.rules;
        if rules.adl_ranking == AdlRanking::None {
            return Ok(Qty::ZERO);
        }
        let Some(mark) = self.reference_mark(ins) else { return Ok(Qty::ZERO) };
        let pro = if self.config.safeguards.adl == AdlRule::ProRata {
            self.pro_rata_deleverage(acct, ins, bankrupt_long, qty, price, mark, events)?
        } else {
            Qty::ZERO
        };
        let qty_ranked = Qty(qty.0 - pro.0);
        // One ranking per instrument and side for the whole pass: a cross account's liquidation
        // deleverages each of its markets in turn, and rebuilding the ranking at every switch
        // re-read every opposite position of the market each time.
        let found =
            self.adl_queues.iter().position(|q| q.instrument == ins && q.bankrupt_long == bankrupt_long);
        let cached = found.is_some();
        let qi = match found {
            Some(i) => i,
            None => {
                self.flush_dirty()?;
                let candidates = self.ranked_adl_candidates(acct, ins, bankrupt_long, mark)?;
                self.adl_queues.push(AdlQueue { instrument: ins, bankrupt_long, candidates, cursor: 0 });
                self.adl_queues.len() - 1
            }
        };
        let mut left = qty_ranked;
        let mut refreshed = !cached;
        let bankrupt_side = if bankrupt_long { Side::Sell } else { Side::Buy };
        while left.is_positive() {
            let Some(q) = self.adl_queues.get_mut(qi) else { break };
            let rank = u32::try_from(q.cursor).unwrap_or(u32::MAX);
            let Some(c) = q.candidates.get(q.cursor) else {
                // The pass's ranking is used up; positions opened since it was made (a maker
                // whose quotes the liquidations took) are ranked once more before giving up.
                if refreshed {
                    break;
                }
                refreshed = true;
                self.flush_dirty()?;
                let candidates = self.ranked_adl_candidates(acct, ins, bankrupt_long, mark)?;
                self.adl_queues[qi] = AdlQueue { instrument: ins, bankrupt_long, candidates, cursor: 0 };
                continue;
            };
            let pos = self.ledger.account(c.account)?.position(ins).map_or(Qty::ZERO, |p| p.size);
            // Still holding the opposite side (it may have been closed since it was ranked).
            let size = if c.account != acct && !pos.is_zero() && pos.is_positive() != bankrupt_long {
                pos.abs()
            } else {
                Qty::ZERO
            };
            let mut take = size.min(left);
            if rules.adl_ranking == AdlRanking::DydxOffset
                && take.is_positive()
                && !self.stays_solvent(c.account, ins, bankrupt_long, take, price, mark)?
            {
                take = Qty::ZERO;
            }
            if (take.is_zero() || size == take)
                && let Some(q) = self.adl_queues.get_mut(qi)
            {
                q.cursor += 1;
            }
            if take.is_zero() {
                continue;
            }
            self.adl_fill(ins, acct, &c, bankrupt_side, price, take, rank, events)?;
            left = Qty(left.0 - take.0);
        }
        Ok(Qty(qty.0 - left.0))
    }

    /// Pro-rata ADL: closes `qty` (whole lots) against every profitable opposite position in
    /// proportion to its size ([`pro_rata`]: largest remainders take the leftover lots), at
    /// `price`. Returns what it closed: at most what the profitable positions hold.
    #[allow(clippy::too_many_arguments)]
    fn pro_rata_deleverage(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        qty: Qty,
        price: Price,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        self.flush_dirty()?;
        let lot = self.markets[usize::from(ins.0)].instrument.spec().lot.0.max(1);
        let mut winners: Vec<AdlCandidate> = self
            .adl_candidates(acct, ins, bankrupt_long, mark)?
            .into_iter()
            .filter(|c| c.upnl.is_positive())
            .collect();
        winners.sort_by_key(|c| c.account);
        let mut lots = Vec::with_capacity(winners.len());
        for c in &winners {
            let size = self.ledger.account(c.account)?.position(ins).map_or(0, |p| p.size.0.abs());
            lots.push(size / lot);
        }
        let shares = pro_rata(qty.0 / lot, &lots);
        let bankrupt_side = if bankrupt_long { Side::Sell } else { Side::Buy };
        let mut closed = 0_i64;
        for (rank, (c, n)) in winners.iter().zip(shares).enumerate() {
            if n <= 0 {
                continue;
            }
            let take = Qty(n * lot);
            let rank = u32::try_from(rank).unwrap_or(u32::MAX);
            self.adl_fill(ins, acct, c, bankrupt_side, price, take, rank, events)?;
            closed += take.0;
        }
        Ok(Qty(closed))
    }

    /// One ADL fill: `take` of counterparty `c`'s position closed against the bankrupt `acct` at
    /// `price`, with the venue's ADL fees, recorded as [`VenueEvent::Adl`]; the counterparty's
    /// orders on the instrument are then cancelled (Binance §1.5).
    #[allow(clippy::too_many_arguments)]
    fn adl_fill(
        &mut self,
        ins: InstrumentId,
        acct: AccountId,
        c: &AdlCandidate,
        bankrupt_side: Side,
        price: Price,
        take: Qty,
        rank: u32,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let trade =
            self.settle_trade(ins, OrderId(u64::MAX), c.account, acct, bankrupt_side, price, take, false)?;
        if self.config.rules.adl_fees {
            self.charge_adl_fees(ins, c.account, acct, trade.value)?;
        }
        events.push(VenueEvent::Adl {
            instrument: ins,
            liquidated: acct,
            counterparty: c.account,
            qty: take,
            price,
            counterparty_realized: trade.maker_realized,
            rank,
            counterparty_notional: c.notional.abs(),
            counterparty_equity: c.equity,
        });
        self.cancel_all(c.account, ins, events)
    }

    /// Haircut instead of ADL: the backstop takes `qty` over at the bankruptcy price `bp`, and
    /// every profitable opposite position pays the backstop's loss at the mark in proportion to
    /// its unrealized PnL (never more than that PnL, nor than its margin holds), each charge a
    /// [`VenueEvent::SocializedLoss`] moved through the ledger to the backstop.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn haircut(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        bp: Price,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        self.flush_dirty()?;
        let mut winners: Vec<AdlCandidate> = self
            .adl_candidates(acct, ins, long, mark)?
            .into_iter()
            .filter(|c| c.upnl.is_positive())
            .collect();
        winners.sort_by_key(|c| c.account);
        self.backstop_takes(acct, ins, long, qty, bp, mark, super::LiquidationKind::Backstop, events)?;
        let loss = -self.takeover_pnl(ins, long, qty, bp, mark)?.0;
        let total: i128 = winners.iter().map(|c| i128::from(c.upnl.0)).sum();
        if loss <= 0 || total <= 0 {
            return Ok(());
        }
        let target = i128::from(loss).min(total);
        let backstop = self.backstop_account()?;
        let asset = self.markets[usize::from(ins.0)].instrument.settle_asset();
        for c in winners {
            let share = crate::num::div_i128(target * i128::from(c.upnl.0), total, crate::num::Round::Floor)
                .map_err(overflow("haircut"))?;
            let party = match self.ledger.account(c.account)?.position(ins) {
                Some(p) if p.mode == MarginMode::Isolated => Party::Isolated(c.account, ins),
                _ => Party::Wallet(c.account),
            };
            let pay = crate::num::Cash(share).min(self.ledger.balance(party, asset)?);
            if pay.is_positive() {
                self.ledger.transfer(party, Party::Wallet(backstop), asset, pay)?;
                events.push(VenueEvent::SocializedLoss { instrument: ins, account: c.account, amount: pay });
                self.mark_dirty(c.account);
            }
        }
        Ok(())
    }

    /// Bybit's ADL fees (§2.4): the deleveraged trader pays the maker fee (or gets the rebate),
    /// the liquidated order the taker fee — through the fund, then bad debt, if it cannot.
    fn charge_adl_fees(
        &mut self,
        ins: InstrumentId,
        counterparty: AccountId,
        bankrupt: AccountId,
        value: crate::num::Cash,
    ) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        let (asset, fund, fees) = (m.instrument.settle_asset(), m.fund, m.instrument.spec().fees);
        for (acct, rate) in [(counterparty, fees.maker), (bankrupt, fees.taker)] {
            let fee =
                self.markets[usize::from(ins.0)].instrument.fee(value, rate).map_err(overflow("adl fee"))?;
            let party = match self.ledger.account(acct)?.position(ins) {
                Some(p) if p.mode == MarginMode::Isolated && !p.size.is_zero() => Party::Isolated(acct, ins),
                _ => Party::Wallet(acct),
            };
            if fee.is_positive() {
                self.ledger.settle_from(party, Party::FeePool, asset, fee, fund)?;
            } else if fee.is_negative() {
                let rebate = crate::num::Cash(-fee.0).min(self.ledger.system(asset).fee_pool);
                if rebate.is_positive() {
                    self.ledger.transfer(Party::FeePool, party, asset, rebate)?;
                }
            }
        }
        Ok(())
    }

    /// dYdX's overlap check (§6.4): whether `acct`'s net collateral stays ≥ 0 after closing
    /// `qty` of its position at `price` instead of the mark.
    fn stays_solvent(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        qty: Qty,
        price: Price,
        mark: Price,
    ) -> Result<bool, VenueError> {
        let ins_ref = &self.markets[usize::from(ins.0)].instrument;
        let at_mark = i128::from(ins_ref.value(mark, qty, Round::Floor).map_err(overflow("adl value"))?.0);
        let at_price = i128::from(ins_ref.value(price, qty, Round::Ceil).map_err(overflow("adl value"))?.0);
        // The counterparty is on the other side: it buys back a short (sells a long) at `price`.
        let counter_long = !bankrupt_long;
        let delta = if counter_long { at_price - at_mark } else { at_mark - at_price }
            * i128::from(ins_ref.pnl_sign());
        let equity = i128::from(self.position_maintenance(acct, ins)?.equity.0);
        Ok(equity + delta >= 0)
    }

    /// Where `acct`'s position in `ins` stands in the venue's ADL queue now: `(rank, count)`,
    /// rank 0 deleveraged first, among the `count` open positions on its side, ranked as a
    /// bankruptcy on the other side would rank them at the current mark. `None` when the account
    /// holds no position there, the market has no mark, or the venue has no ranking (dYdX's
    /// walk has no fixed order). The venue ADL indicators (Binance's five lights) show this
    /// rank as a quantile; `cascade stress` records it over time.
    ///
    /// # Errors
    /// Unknown account or instrument, or overflow.
    pub fn adl_queue_rank(
        &self,
        acct: AccountId,
        ins: InstrumentId,
    ) -> Result<Option<(usize, usize)>, VenueError> {
        let rules = self.config.rules;
        if matches!(rules.adl_ranking, AdlRanking::None | AdlRanking::DydxOffset) {
            return Ok(None);
        }
        self.market(ins)?;
        let Some(p) = self.ledger.account(acct)?.position(ins).copied() else { return Ok(None) };
        if p.size.is_zero() {
            return Ok(None);
        }
        let Some(mark) = self.reference_mark(ins) else { return Ok(None) };
        // A bankrupt position on the other side: candidates are `acct`'s side. The backstop
        // never ranks; `AccountId(u32::MAX)` stands for the bankrupt one and excludes nobody.
        let mut candidates = self.adl_candidates(AccountId(u32::MAX), ins, !p.size.is_positive(), mark)?;
        rank(rules.adl_ranking, &mut candidates, adl_start(AccountId(u32::MAX), mark));
        let count = candidates.len();
        Ok(candidates.iter().position(|c| c.account == acct).map(|r| (r, count)))
    }

    /// Every position opposite a bankrupt one, to be read in the venue's ranking order (ranked
    /// as far as read: [`RankedCandidates`]). Computed once per pass and instrument side
    /// (venues refresh their ADL rankings periodically too).
    fn ranked_adl_candidates(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        mark: Price,
    ) -> Result<RankedCandidates, VenueError> {
        let candidates = if self.adl_lists_usable() {
            let listed = self.listed_adl_candidates(acct, ins, bankrupt_long, mark)?;
            if self.config.audit {
                let mut a = listed.clone();
                a.sort_unstable_by_key(|c| c.account);
                if a != self.adl_candidates(acct, ins, bankrupt_long, mark)? {
                    return Err(VenueError::Invariant(format!(
                        "the ADL lists of {ins:?} differ from the ledger's positions"
                    )));
                }
            }
            listed
        } else {
            self.adl_candidates(acct, ins, bankrupt_long, mark)?
        };
        // Ties break by account id, so the order the candidates come in does not matter.
        Ok(RankedCandidates::new(self.config.rules.adl_ranking, candidates, adl_start(acct, mark)))
    }

    /// Every position opposite a bankrupt one with the figures its ranking needs, in account
    /// order (unranked).
    fn adl_candidates(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        mark: Price,
    ) -> Result<Vec<AdlCandidate>, VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        // Opposite side: a bankrupt long is closed against shorts.
        let side = !bankrupt_long;
        let mut members: Vec<AccountId> =
            m.index.members(side).chain(m.untriggered[usize::from(!side)].iter().copied()).collect();
        members.sort_unstable();
        members.dedup();
        let mut candidates = Vec::new();
        // A chunk's records are read ahead together, so their cache misses overlap (a ranking
        // reads every opposite position of the market).
        for chunk in members.chunks(super::WARM_CHUNK) {
            let mut warm = 0_i64;
            for &c in chunk {
                if let Ok(a) = self.ledger.account(c) {
                    warm = warm.wrapping_add(a.positions().iter().map(|p| p.size.0).sum::<i64>());
                }
            }
            std::hint::black_box(warm);
            for &c in chunk {
                self.push_adl_candidate(&mut candidates, c, acct, ins, bankrupt_long, mark)?;
            }
        }
        Ok(candidates)
    }

    /// Appends `c`'s position in `ins` to `candidates` if it is opposite the bankrupt `acct`'s,
    /// with the figures its ranking needs.
    pub(in crate::venue) fn push_adl_candidate(
        &self,
        candidates: &mut Vec<AdlCandidate>,
        c: AccountId,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        mark: Price,
    ) -> Result<(), VenueError> {
        let idx = usize::from(ins.0);
        let asset = self.markets[idx].instrument.settle_asset();
        if c == acct || Some(c) == self.backstop {
            return Ok(());
        }
        let Some(p) = self.ledger.account(c)?.position(ins).copied() else { return Ok(()) };
        if p.size.is_zero() || p.size.is_positive() == bankrupt_long {
            return Ok(());
        }
        let ins_ref = &self.markets[idx].instrument;
        let upnl = p.unrealized_pnl(ins_ref, mark).map_err(overflow("upnl"))?;
        // Only Binance's ranking reads the maintenance (its margin ratio); the others need the
        // equity alone, which costs no tier lookup.
        let (equity, maintenance) = if self.config.rules.adl_ranking == AdlRanking::BinanceLeveragePnl {
            let state = self.position_maintenance(c, ins)?;
            (state.equity, state.maintenance)
        } else {
            (self.position_equity(c, ins)?, Cash::ZERO)
        };
        let wallet = if p.mode == MarginMode::Isolated {
            p.isolated_margin
        } else {
            self.ledger.account(c)?.balance(asset)
        };
        candidates.push(AdlCandidate {
            account: c,
            long: p.size.is_positive(),
            upnl,
            cost: p.cost,
            notional: ins_ref.value(mark, p.size, Round::Floor).map_err(overflow("notional"))?,
            wallet,
            equity,
            maintenance,
        });
        Ok(())
    }
}

/// dYdX's pseudo-random start of the walk: derived from the liquidated account and the mark.
fn adl_start(acct: AccountId, mark: Price) -> u32 {
    acct.0.wrapping_mul(2_654_435_761).wrapping_add(mark.0 as u32)
}
