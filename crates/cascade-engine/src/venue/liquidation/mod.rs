//! The liquidation pass: after each mark update, find the accounts the mark has pushed below
//! maintenance (through the liquidation index, never a scan), and run the venue's rule set on
//! each — cancel orders, close part or all of the position in the book or by takeover, charge
//! the liquidation fee to the insurance fund, hand what the book and the fund cannot take to
//! ADL, and socialise what is still unpaid where the venue does (Drift).
//!
//! Invariants kept: money is conserved (every step is a ledger transfer or a settled trade);
//! after the pass no account indexed on this instrument is left liquidatable at the mark
//! (it is closed step by step until it is not, or flat); ADL only closes profitable opposite
//! positions, at the venue's ADL price.

use crate::book::{OrderId, Side, TimeInForce};
use crate::instrument::InstrumentId;
use crate::ledger::{AccountId, Party};
use crate::margin::price as mp;
use crate::num::{Cash, Price, Qty, RATE_ONE, Round};
use crate::position::MarginMode;
use crate::risk::adl::AdlCandidate;
use crate::risk::rules::{AdlPrice, AdlRanking, Execution};

use super::{OrderKind, OrderRequest, Venue, VenueError, VenueEvent, overflow};

mod adl;
mod sizing;

/// How (part of) a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationKind {
    /// Sold (bought) into the order book by the liquidated account's own order.
    Book,
    /// Taken over by the venue's backstop (insurance fund / liquidator vault).
    Takeover,
    /// Closed against profitable opposite positions (ADL).
    Adl,
}

/// One liquidation step, as recorded for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationReport {
    /// Instrument.
    pub instrument: InstrumentId,
    /// The liquidated account.
    pub account: AccountId,
    /// `true` for a long position.
    pub long: bool,
    /// Quantity closed in this step.
    pub qty: Qty,
    /// Value closed (at the mark).
    pub notional: Cash,
    /// Mark price that triggered it.
    pub mark: Price,
    /// The position's bankruptcy price at the time.
    pub bankruptcy_price: Price,
    /// How it was closed.
    pub kind: LiquidationKind,
}

/// The ranked ADL candidates of one instrument side, consumed in order during a pass.
#[derive(Debug, Clone)]
pub(super) struct AdlQueue {
    pub(super) instrument: InstrumentId,
    pub(super) bankrupt_long: bool,
    pub(super) candidates: Vec<AdlCandidate>,
    pub(super) cursor: usize,
}

/// Safety bound on liquidation steps per account and pass (each step closes something).
const MAX_STEPS: usize = 64;
/// Safety bound on rounds of a pass (each round liquidates someone or socialises a loss).
const MAX_ROUNDS: usize = 64;

impl Venue {
    /// Runs the liquidation pass for `ins` at its current mark.
    pub(super) fn liquidation_pass(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let idx = usize::from(ins.0);
        let Some(mark) = self.markets[idx].mark else { return Ok(()) };
        self.flush_dirty()?;
        // Multi-position cross accounts whose band this mark left get fresh triggers first.
        let mut moved = Vec::new();
        self.markets[idx].index.band_exits(mark, &mut moved);
        moved.sort_unstable();
        moved.dedup();
        for a in moved {
            self.reindex(a)?;
        }
        // Rounds: liquidations, ADL and socialised losses change other accounts, which may
        // cross their triggers in turn. Stop when a round changes nothing.
        let mut candidates = Vec::new();
        for _ in 0..MAX_ROUNDS {
            self.flush_dirty()?;
            candidates.clear();
            self.markets[idx].index.crossed(mark, &mut candidates);
            let mut acted = false;
            for &acct in &candidates {
                acted |= self.liquidate(acct, ins, events)?;
            }
            self.unwind_backstop(ins, events)?;
            let socialised = self.socialise_bad_debt(ins)?;
            self.sweep_backstop(ins)?;
            if !acted && !socialised {
                break;
            }
        }
        self.adl_queue = None;
        Ok(())
    }

    /// Re-indexes every account that traded since its trigger was last computed. The venue does
    /// this itself before every liquidation pass; call it to read fresh triggers.
    ///
    /// # Errors
    /// Overflow while computing a liquidation price.
    pub fn refresh_index(&mut self) -> Result<(), VenueError> {
        self.flush_dirty()
    }

    /// Re-indexes every account that traded since its trigger was last computed.
    pub(super) fn flush_dirty(&mut self) -> Result<(), VenueError> {
        while let Some(a) = self.dirty.pop_first() {
            self.reindex(a)?;
        }
        Ok(())
    }

    /// Liquidates `acct`'s position in `ins` (and, for cross margin, further positions of the
    /// same pool) until its pool is above maintenance or flat. Returns whether it acted.
    fn liquidate(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<bool, VenueError> {
        if Some(acct) == self.backstop {
            return Ok(false);
        }
        if self.reference_mark(ins).is_none() {
            return Ok(false);
        }
        if !self.position_margin(acct, ins)?.liquidatable() {
            // A false alarm: the trigger is conservative (and with risk-limit tables whose
            // maintenance jumps at tier edges, the liquidatable prices need not be one
            // interval), so the account keeps its trigger and is checked again next time.
            return Ok(false);
        }
        let mode = self.ledger.account(acct)?.position(ins).map_or(MarginMode::Cross, |p| p.mode);
        // 1. Cancel the account's orders (all of them for cross margin).
        let scope: Vec<InstrumentId> = if mode == MarginMode::Isolated {
            vec![ins]
        } else {
            (0..self.markets.len() as u16).map(InstrumentId).collect()
        };
        for i in scope {
            self.cancel_all(acct, i, events)?;
        }
        self.liquidating = Some(acct);
        let result = self.liquidation_steps(acct, ins, mode, events);
        self.liquidating = None;
        result?;
        self.reindex(acct)?;
        Ok(true)
    }

    fn liquidation_steps(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        mode: MarginMode,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let rules = self.config.rules;
        let mut first = true;
        for _ in 0..MAX_STEPS {
            let target =
                if mode == MarginMode::Isolated { Some(ins) } else { self.next_cross_target(acct, ins)? };
            let Some(target) = target else { return Ok(()) };
            let state = self.position_margin(acct, target)?;
            if !state.liquidatable() {
                return Ok(());
            }
            let Some(pos) = self.ledger.account(acct)?.position(target).copied() else { return Ok(()) };
            let Some(mark) = self.reference_mark(target) else { return Ok(()) };
            let long = pos.size.is_positive();
            let bp = self.bankruptcy_price(acct, target, mark)?;
            let m = &self.markets[usize::from(target.0)];
            let notional_at_mark =
                m.instrument.value(mark, pos.size, Round::Floor).map_err(overflow("liquidation notional"))?;
            // Backstop below a share of maintenance (Hyperliquid's vault at 2/3 MM).
            let backstop_now = rules.backstop_below.is_some_and(|r| {
                state.maintenance.mul_div(r.0, RATE_ONE, Round::Floor).is_ok_and(|lim| state.equity < lim)
            });
            let qty = if backstop_now {
                pos.size.abs()
            } else {
                self.liquidation_qty(acct, &pos, notional_at_mark, first)?
            };
            first = false;
            let report = |kind, q: Qty, venue: &Venue| -> Result<VenueEvent, VenueError> {
                let n = venue.markets[usize::from(target.0)]
                    .instrument
                    .value(mark, q, Round::Floor)
                    .map_err(overflow("liquidation notional"))?;
                Ok(VenueEvent::Liquidation(LiquidationReport {
                    instrument: target,
                    account: acct,
                    long,
                    qty: q,
                    notional: n,
                    mark,
                    bankruptcy_price: bp,
                    kind,
                }))
            };
            if backstop_now || rules.execution == Execution::TakeoverAtBankruptcy {
                let taken = self.takeover_or_adl(acct, target, qty, bp, mark, events)?;
                if taken.is_zero() {
                    return Ok(());
                }
                continue;
            }
            let filled = match rules.execution {
                Execution::BookAtBankruptcy | Execution::BookMarket => {
                    let side = if long { Side::Sell } else { Side::Buy };
                    let tick = self.markets[usize::from(target.0)].instrument.spec().tick.0;
                    let kind = if rules.execution == Execution::BookMarket {
                        OrderKind::Market
                    } else {
                        // Never worse than the bankruptcy price, on the tick grid.
                        let lim = if long {
                            bp.0 + (tick - bp.0.rem_euclid(tick)) % tick
                        } else {
                            bp.0 - bp.0.rem_euclid(tick)
                        };
                        OrderKind::Limit(Price(lim.max(tick)))
                    };
                    let req = OrderRequest {
                        side,
                        kind,
                        qty,
                        tif: TimeInForce::Ioc,
                        reduce_only: true,
                        stp: crate::book::Stp::None,
                    };
                    match self.send(acct, target, req, events) {
                        Ok(super::Placed::Order { filled, .. }) => filled,
                        Ok(super::Placed::Stop(_)) => Qty::ZERO,
                        Err(VenueError::NoReferencePrice | VenueError::InvalidOrder { .. }) => Qty::ZERO,
                        Err(e) => return Err(e),
                    }
                }
                Execution::LiquidatorAtOracle { fee } => {
                    // The liquidator buys (sells) at the oracle less its fee.
                    let px = if long {
                        mark.mul_div(RATE_ONE - fee.0, RATE_ONE, Round::Floor)
                    } else {
                        mark.mul_div(RATE_ONE + fee.0, RATE_ONE, Round::Ceil)
                    }
                    .map_err(overflow("liquidator price"))?;
                    let backstop = self.backstop_account()?;
                    let taker_side = if long { Side::Sell } else { Side::Buy };
                    self.settle_trade(target, OrderId(u64::MAX), backstop, acct, taker_side, px, qty, false)?;
                    qty
                }
                Execution::TakeoverAtBankruptcy => Qty::ZERO,
            };
            if filled.is_positive() {
                let kind = if matches!(rules.execution, Execution::LiquidatorAtOracle { .. }) {
                    LiquidationKind::Takeover
                } else {
                    LiquidationKind::Book
                };
                events.push(report(kind, filled, self)?);
            }
            let rest = Qty(qty.0 - filled.0);
            if rest.is_positive() {
                let taken = self.takeover_or_adl(acct, target, rest, bp, mark, events)?;
                if taken.is_zero() && filled.is_zero() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// For a cross pool: the position to close next — the one in `ins` first, then the others
    /// of the same settle asset in instrument order.
    fn next_cross_target(
        &self,
        acct: AccountId,
        ins: InstrumentId,
    ) -> Result<Option<InstrumentId>, VenueError> {
        let asset = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let a = self.ledger.account(acct)?;
        if a.position(ins).is_some_and(|p| !p.size.is_zero() && p.mode == MarginMode::Cross) {
            return Ok(Some(ins));
        }
        Ok(a.positions()
            .iter()
            .find(|p| {
                !p.size.is_zero()
                    && p.mode == MarginMode::Cross
                    && self.markets[usize::from(p.instrument.0)].instrument.settle_asset() == asset
            })
            .map(|p| p.instrument))
    }

    /// The position's bankruptcy price: where its pool's equity is zero, other positions held
    /// at their marks (isolated: where its own margin is gone).
    fn bankruptcy_price(&self, acct: AccountId, ins: InstrumentId, mark: Price) -> Result<Price, VenueError> {
        let Some(p) = self.ledger.account(acct)?.position(ins).copied() else { return Ok(mark) };
        let m = &self.markets[usize::from(ins.0)];
        let asset = m.instrument.settle_asset();
        let collateral = if p.mode == MarginMode::Isolated {
            p.isolated_margin
        } else {
            let pool = self.pool_margin(acct, asset)?;
            let own = p.unrealized_pnl(&m.instrument, mark).map_err(overflow("upnl"))?;
            pool.equity.checked_sub(own).map_err(overflow("collateral"))?
        };
        let round = if p.size.is_positive() { Round::Ceil } else { Round::Floor };
        let entry =
            m.instrument.price_for_value(p.cost, p.size, round).map_err(overflow("entry"))?.max(Price(1));
        let view = mp::Position {
            instrument: &m.instrument,
            tiers: &m.tiers,
            qty: p.size,
            entry_price: entry,
            mark_price: mark,
        };
        let bp = mp::bankruptcy_price(&view, collateral)
            .map_err(|e| VenueError::Invariant(format!("bankruptcy price: {e}")))?;
        // None: no positive price zeroes the equity (over-collateralised long); use the mark.
        Ok(bp.unwrap_or(mark))
    }

    /// The venue's backstop account, opened on first use.
    fn backstop_account(&mut self) -> Result<AccountId, VenueError> {
        if let Some(b) = self.backstop {
            return Ok(b);
        }
        let b = self.ledger.open_account()?;
        self.backstop = Some(b);
        Ok(b)
    }

    /// Hands `qty` of the bankrupt position to the backstop at the bankruptcy price while the
    /// fund has room under its takeover cap, and the rest to ADL. Returns what was closed.
    fn takeover_or_adl(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        qty: Qty,
        bp: Price,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        let rules = self.config.rules;
        let long = self.ledger.account(acct)?.position(ins).is_some_and(|p| p.size.is_positive());
        let room = self.takeover_room(ins, qty, mark)?;
        let mut closed = Qty::ZERO;
        if room.is_positive() {
            let backstop = self.backstop_account()?;
            let side = if long { Side::Sell } else { Side::Buy };
            self.settle_trade(ins, OrderId(u64::MAX), backstop, acct, side, bp, room, false)?;
            events.push(self.liquidation_event(
                acct,
                ins,
                long,
                room,
                mark,
                bp,
                LiquidationKind::Takeover,
            )?);
            closed = room;
        }
        let rest = Qty(qty.0 - room.0);
        if rest.is_positive() {
            let price = match rules.adl_price {
                AdlPrice::Bankruptcy => bp,
                AdlPrice::Mark => mark,
                AdlPrice::PreviousMark => self.markets[usize::from(ins.0)].prev_mark.unwrap_or(mark),
            };
            let done = self.auto_deleverage(acct, ins, long, rest, price, events)?;
            if done.is_positive() {
                events.push(self.liquidation_event(acct, ins, long, done, mark, bp, LiquidationKind::Adl)?);
            }
            closed = Qty(closed.0 + done.0);
            // Nobody left to deleverage: the backstop takes the rest whatever the cap.
            let left = Qty(rest.0 - done.0);
            if left.is_positive() {
                let backstop = self.backstop_account()?;
                let side = if long { Side::Sell } else { Side::Buy };
                self.settle_trade(ins, OrderId(u64::MAX), backstop, acct, side, bp, left, false)?;
                events.push(self.liquidation_event(
                    acct,
                    ins,
                    long,
                    left,
                    mark,
                    bp,
                    LiquidationKind::Takeover,
                )?);
                closed = Qty(closed.0 + left.0);
            }
        }
        Ok(closed)
    }

    #[allow(clippy::too_many_arguments)]
    fn liquidation_event(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        mark: Price,
        bp: Price,
        kind: LiquidationKind,
    ) -> Result<VenueEvent, VenueError> {
        let notional = self.markets[usize::from(ins.0)]
            .instrument
            .value(mark, qty, Round::Floor)
            .map_err(overflow("liquidation notional"))?;
        Ok(VenueEvent::Liquidation(LiquidationReport {
            instrument: ins,
            account: acct,
            long,
            qty,
            notional,
            mark,
            bankruptcy_price: bp,
            kind,
        }))
    }

    /// How much of `qty` the backstop may take over: all of it while the fund is positive and
    /// the backstop's net notional stays within `takeover_cap × fund`; none when the fund is
    /// empty and the rules have an ADL (Drift, with no ADL, always takes over).
    fn takeover_room(&self, ins: InstrumentId, qty: Qty, mark: Price) -> Result<Qty, VenueError> {
        let rules = self.config.rules;
        if rules.adl_ranking == AdlRanking::None {
            return Ok(qty);
        }
        let m = &self.markets[usize::from(ins.0)];
        let fund = self.ledger.fund(m.fund)?.balance;
        if !fund.is_positive() {
            return Ok(Qty::ZERO);
        }
        let Some(cap) = rules.takeover_cap else { return Ok(qty) };
        let limit = fund.mul_div(cap.0, RATE_ONE, Round::Floor).map_err(overflow("takeover cap"))?;
        let held = self
            .backstop
            .and_then(|b| self.ledger.account(b).ok()?.position(ins).map(|p| p.size.abs()))
            .unwrap_or(Qty::ZERO);
        let held_value =
            m.instrument.value(mark, held, Round::Ceil).map_err(overflow("backstop notional"))?;
        let free = limit.checked_sub(held_value).map_err(overflow("takeover room"))?;
        if !free.is_positive() {
            return Ok(Qty::ZERO);
        }
        let unit =
            m.instrument.value(mark, m.instrument.spec().lot, Round::Ceil).map_err(overflow("lot value"))?;
        let lots = free.0 / unit.0.max(1);
        Ok(Qty((lots * m.instrument.spec().lot.0).min(qty.0)))
    }

    /// The backstop offers what it holds back to the book, within the market band.
    fn unwind_backstop(&mut self, ins: InstrumentId, events: &mut Vec<VenueEvent>) -> Result<(), VenueError> {
        let Some(b) = self.backstop else { return Ok(()) };
        let Some(p) = self.ledger.account(b)?.position(ins).copied() else { return Ok(()) };
        if p.size.is_zero() {
            return Ok(());
        }
        let side = if p.size.is_positive() { Side::Sell } else { Side::Buy };
        let req = OrderRequest::market(side, p.size.abs());
        let req = OrderRequest { reduce_only: true, ..req };
        match self.send(b, ins, req, events) {
            Ok(_) | Err(VenueError::NoReferencePrice | VenueError::InvalidOrder { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Drift-style socialised loss (§7.3): bad debt left on an instrument whose rules have no
    /// ADL is charged to every open position pro rata to its size, as far as each can pay.
    fn socialise_bad_debt(&mut self, ins: InstrumentId) -> Result<bool, VenueError> {
        if self.config.rules.adl_ranking != AdlRanking::None {
            return Ok(false);
        }
        let idx = usize::from(ins.0);
        let asset = self.markets[idx].instrument.settle_asset();
        let debt = self.ledger.system(asset).bad_debt;
        if !debt.is_positive() {
            return Ok(false);
        }
        let mut holders: Vec<AccountId> = self.markets[idx].index.members(true).collect();
        holders.extend(self.markets[idx].index.members(false));
        holders.sort_unstable();
        holders.dedup();
        let sizes: Vec<(AccountId, i64)> = holders
            .iter()
            .filter_map(|a| {
                let p = self.ledger.account(*a).ok()?.position(ins)?;
                Some((*a, p.size.0.unsigned_abs() as i64))
            })
            .collect();
        let total: i128 = sizes.iter().map(|(_, s)| i128::from(*s)).sum();
        if total == 0 {
            return Ok(false);
        }
        let mut charged = false;
        for (a, s) in sizes {
            let share = crate::num::div_i128(i128::from(debt.0) * i128::from(s), total, Round::Floor)
                .map_err(overflow("socialised loss"))?;
            let pay = Cash(share).min(self.ledger.account(a)?.balance(asset));
            if pay.is_positive() {
                self.ledger.transfer(Party::Wallet(a), Party::BadDebt, asset, pay)?;
                self.reindex(a)?;
                charged = true;
            }
        }
        Ok(charged)
    }

    /// Moves the backstop's realized gains into the insurance fund.
    fn sweep_backstop(&mut self, ins: InstrumentId) -> Result<(), VenueError> {
        let Some(b) = self.backstop else { return Ok(()) };
        let m = &self.markets[usize::from(ins.0)];
        let (asset, fund) = (m.instrument.settle_asset(), m.fund);
        let bal = self.ledger.account(b)?.balance(asset);
        if bal.is_positive() {
            self.ledger.transfer(Party::Wallet(b), Party::InsuranceFund(fund), asset, bal)?;
        }
        Ok(())
    }
}
