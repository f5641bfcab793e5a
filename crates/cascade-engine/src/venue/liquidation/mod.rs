//! The liquidation waterfall: after each mark update, find the accounts the mark has pushed
//! below maintenance (through the liquidation index, never a scan), most underwater first, and
//! run the venue's rule set on each:
//!
//! 1. convert the account's non-settle collateral into the settle asset, so it pays first
//!    (`collateral.rs`);
//! 2. cancel its orders, then close part or all of the position (`sizing.rs`) in the book, by a
//!    liquidator, or through the backstop;
//! 3. what the book cannot take goes to the backstop — the insurance fund while it can cover
//!    the loss, or Hyperliquid's liquidator vault with its own capital (`backstop.rs`) — and
//!    what the backstop may not absorb goes to ADL in the venue's ranking order (`adl.rs`);
//! 4. the backstop sells its inventory back at the venue's pace, and Drift socialises a
//!    market's unpaid loss over that market's positions (`drift.rs`).
//!
//! Invariants kept: money is conserved (every step is a ledger transfer or a settled trade);
//! after the pass no account indexed on this instrument is left liquidatable at the mark,
//! except where the venue deliberately waits (a Hyperliquid book order that did not fill, a
//! dYdX account that is still solvent, at most one step per block where the venue says so).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use crate::book::{Side, TimeInForce};
use crate::instrument::InstrumentId;
use crate::ledger::AccountId;
use crate::margin::price as mp;
use crate::num::{Cash, Price, Qty, RATE_ONE, Rate, Round};
use crate::position::MarginMode;
use crate::risk::adl::RankedCandidates;
use crate::risk::index::{Crossed, IdHasher, underwater_rank};
use crate::risk::rules::{Execution, PartialRule};

use super::margin::MarginState;
use super::waiting::AsideCache;
use super::{OrderKind, OrderRequest, Venue, VenueError, VenueEvent, overflow};

mod adl;
mod backstop;
mod collateral;
mod drift;
mod sizing;

pub use backstop::BackstopState;

/// How (part of) a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationKind {
    /// Sold (bought) into the order book by the liquidated account's own order.
    Book,
    /// Taken over at the bankruptcy price by the insurance fund's backstop account.
    Backstop,
    /// Taken over with the account's margin by a liquidator vault (Hyperliquid's HLP).
    Vault,
    /// Bought (sold) by a liquidator at the oracle less its fee (Drift).
    Liquidator,
    /// Closed against opposite positions (ADL).
    Adl,
    /// Taken by the backstop (fund or vault) because neither its room nor ADL could absorb it:
    /// the path whose loss ends as bad debt.
    Residual,
}

impl LiquidationKind {
    /// Lower-case name: `book`, `backstop`, `vault`, `liquidator`, `adl` or `residual`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Book => "book",
            Self::Backstop => "backstop",
            Self::Vault => "vault",
            Self::Liquidator => "liquidator",
            Self::Adl => "adl",
            Self::Residual => "residual",
        }
    }
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
    /// Price it was closed at (the average fill price for a book step).
    pub price: Price,
    /// The position's bankruptcy price at the time.
    pub bankruptcy_price: Price,
    /// Liquidation (clearance) or insurance-fund fee the account paid to the fund in this step.
    pub fee: Cash,
    /// How it was closed.
    pub kind: LiquidationKind,
}

/// The ranked ADL candidates of one instrument side, consumed in order during a pass.
#[derive(Debug, Clone)]
pub(super) struct AdlQueue {
    pub(super) instrument: InstrumentId,
    pub(super) bankrupt_long: bool,
    pub(super) candidates: RankedCandidates,
    pub(super) cursor: usize,
}

/// Candidates whose records are read ahead together ([`Venue::warm_accounts`]; ADL list
/// members too): enough for the reads to overlap, few enough that they are still cached when
/// they are worked on.
pub(in crate::venue) const WARM_CHUNK: usize = 32;

/// Safety bound on liquidation steps per account and pass (each step closes something).
const MAX_STEPS: usize = 64;
/// Safety bound on rounds of a pass (each round liquidates someone or socialises a loss).
const MAX_ROUNDS: usize = 64;

/// Accounts stepped in this pass (venues that liquidate an account at most once per block). Only
/// asked whether it holds an account, never iterated, so its order cannot reach an output.
pub(super) type Stepped = HashSet<AccountId, BuildHasherDefault<IdHasher>>;

/// What one step of a liquidation did.
enum Step {
    /// Something was closed; look again.
    Continue,
    /// Done with this account for this pass.
    Stop,
}

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
        self.sample_fund_peaks()?;
        // The marks moved since the last pass: what was read at them is stale.
        self.vault_seen = None;
        // Rounds: liquidations, ADL and socialised losses change other accounts, which may
        // cross their triggers in turn. Stop when a round changes nothing.
        let mut candidates: Vec<Crossed> = Vec::new();
        let mut stepped = Stepped::default();
        // Set-aside accounts put back (their record or orders changed) ahead of the first
        // round's place: visited there.
        let mut visit: Vec<AccountId> = Vec::new();
        // Set-aside accounts come back where what they wait on may have moved.
        self.wake_due(ins, mark);
        for round in 0..MAX_ROUNDS {
            self.flush_dirty()?;
            if self.markets[idx].index.needs_solving(mark) {
                self.solve_deferred(ins)?;
            }
            candidates.clear();
            self.markets[idx].index.crossed_keyed(mark, &mut candidates);
            // Put back before the first round's list: in it as any other. Put back later: the
            // first round would have stepped them.
            if round == 0 {
                self.waiting.woken.clear();
            } else if !self.waiting.woken.is_empty() {
                self.take_woken(ins, mark, None, &mut visit, &mut stepped);
            }
            visit.clear();
            let mut acted = false;
            let mut aside_cache = AsideCache::default();
            let (mut i, mut warmed) = (0, 0);
            while i < candidates.len() {
                if i >= warmed {
                    warmed = (i + WARM_CHUNK).min(candidates.len());
                    self.warm_accounts(&candidates[i..warmed], &stepped);
                }
                let (long, trigger, acct, aside) = candidates[i];
                i += 1;
                // A set-aside account: the visit would change nothing while the vault refuses
                // and its order meets nothing (its own conditions were checked as the pass
                // began); after the first round it was stepped in it. At its trigger exactly,
                // past its liquidation price, it is visited as before.
                let at_trigger = mark == trigger;
                if aside && !visit.contains(&acct) {
                    if round > 0 && !at_trigger {
                        continue;
                    }
                    if !at_trigger && self.aside_still_waits(ins, long, &mut aside_cache)? {
                        continue;
                    }
                    self.wake_to_visit(acct);
                }
                let did = self.liquidate(acct, ins, &mut stepped, events)?;
                acted |= did;
                if did {
                    aside_cache = AsideCache::default();
                }
                if !self.waiting.woken.is_empty() {
                    let cursor = (round == 0).then(|| underwater_rank(long, trigger, acct));
                    self.take_woken(ins, mark, cursor, &mut visit, &mut stepped);
                }
            }
            self.unwind_backstop(ins, events)?;
            self.sell_backstop_collateral(events)?;
            let socialised = self.socialise_market_loss(ins, events)?;
            self.sweep_backstop(ins)?;
            if !acted && !socialised {
                break;
            }
        }
        // Put back after the last round: stepped in this pass, in the index for the next.
        self.waiting.woken.clear();
        self.adl_queues.clear();
        Ok(())
    }

    /// Reads what the waterfall first looks at for each candidate — its account record, the word
    /// of markets that may hold its orders, and its slot in those books' and stop books' tables
    /// of owners — before it works on them. The reads are independent, so the CPU overlaps their
    /// cache misses; inside the waterfall each would be paid alone (with millions of accounts,
    /// every record is a miss to main memory). Called on chunks of [`WARM_CHUNK`] candidates, so
    /// what it reads is still cached when the waterfall gets there (a crash's pass can cross
    /// tens of thousands of accounts). Accounts the waterfall will pass over unread (the
    /// backstop, accounts already stepped in this pass) are not read.
    fn warm_accounts(&self, ids: &[Crossed], stepped: &Stepped) {
        let per_block = self.one_step_per_block();
        let mut sum = 0i64;
        for &(_, _, a, aside) in ids {
            if aside || Some(a) == self.backstop || (per_block && stepped.contains(&a)) {
                continue;
            }
            if let Ok(acct) = self.ledger.account(a) {
                sum = sum.wrapping_add(acct.positions().iter().map(|p| p.size.0).sum::<i64>());
            }
            for i in self.order_markets.may_hold(a, self.markets.len()) {
                let m = &self.markets[usize::from(i.0)];
                sum = sum.wrapping_add(i64::from(m.book.has_orders(a)) + i64::from(m.stops.has_orders(a)));
            }
        }
        std::hint::black_box(sum);
    }

    /// Re-indexes every account that traded since its trigger was last computed. The venue does
    /// this itself before every liquidation pass; call it to read fresh triggers.
    ///
    /// # Errors
    /// Overflow while computing a liquidation price.
    pub fn refresh_index(&mut self) -> Result<(), VenueError> {
        self.wake_everyone();
        self.flush_dirty()?;
        self.solve_all_deferred()
    }

    /// Re-indexes every account that traded since its trigger was last computed.
    pub(super) fn flush_dirty(&mut self) -> Result<(), VenueError> {
        while let Some(a) = self.dirty.pop_first() {
            self.reindex(a)?;
        }
        Ok(())
    }

    /// Whether the venue liquidates at most once per account and block (a pass): Hyperliquid's
    /// slices and dYdX's per-block caps.
    fn one_step_per_block(&self) -> bool {
        matches!(self.config.rules.partial, PartialRule::Slice { .. } | PartialRule::BlockCap { .. })
    }

    /// Liquidates `acct`'s position in `ins` (and, for cross margin, further positions of the
    /// same pool) until its pool is above maintenance or flat, or the venue waits. Returns
    /// whether it acted.
    fn liquidate(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        stepped: &mut Stepped,
        events: &mut Vec<VenueEvent>,
    ) -> Result<bool, VenueError> {
        // Where the venue steps an account once per block, one already stepped in this pass is
        // passed over before anything else is read: every later round of the pass meets it
        // again, and the checks below have no side effects, so asking first changes nothing.
        let per_block = self.one_step_per_block();
        if Some(acct) == self.backstop || (per_block && stepped.contains(&acct)) {
            return Ok(false);
        }
        let Some(mark_now) = self.reference_mark(ins) else { return Ok(false) };
        let state = self.position_maintenance(acct, ins)?;
        if !state.liquidatable() {
            // A false alarm: the trigger is conservative (and with risk-limit tables whose
            // maintenance jumps at tier edges, the liquidatable prices need not be one
            // interval), so the account keeps its trigger and is checked again next time;
            // but triggers that share a pool's slack used up this one's share while another
            // position gained, so the slack is shared again at the current marks.
            if self.shares_slack(acct)? {
                self.reindex(acct)?;
            }
            return Ok(false);
        }
        // Pacing: the account waits out its cooldown, and nobody is liquidated on a market
        // whose interval cap is used up; both stay indexed and are retried on a later pass.
        if self.pace_cooling(acct, ins) {
            return Ok(false);
        }
        if self.config.safeguards.pacing.is_some()
            && let Some(mark) = self.reference_mark(ins)
        {
            let lot = self.markets[usize::from(ins.0)].instrument.spec().lot;
            if self.paced_qty(ins, lot, mark)?.is_zero() {
                return Ok(false);
            }
        }
        if per_block {
            stepped.insert(acct);
        }
        let before = self.ledger.account(acct)?.clone();
        let events_before = events.len();
        let mode = self.ledger.account(acct)?.position(ins).map_or(MarginMode::Cross, |p| p.mode);
        // 1. Cancel the account's orders (all of them for cross margin). The books are looked at
        // first, together: each look is a cache miss (an account's slot in a per-book table),
        // and independent looks overlap, where a cancel per book would pay them one by one.
        // Only the markets its word names can hold its orders (see `order_markets`); cancelling
        // on a market that holds none of them changes nothing.
        let scope: Vec<InstrumentId> = self
            .order_markets
            .may_hold(acct, self.markets.len())
            .filter(|&i| mode != MarginMode::Isolated || i == ins)
            .filter(|i| {
                let m = &self.markets[usize::from(i.0)];
                m.book.has_orders(acct) || m.stops.has_orders(acct)
            })
            .collect();
        for i in scope {
            self.cancel_all(acct, i, events)?;
        }
        let pool = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let debt_before = self.ledger.system(pool).bad_debt;
        self.liquidating = Some(acct);
        // 2. The trader's own collateral pays before the fund does.
        let mut result =
            if mode == MarginMode::Cross { self.convert_collateral(acct, ins, events) } else { Ok(()) };
        if result.is_ok() {
            // The state read above still holds if cancelling and converting left the record as
            // it was (nothing else it depends on moves inside a pass): the first step reuses it.
            let known = match self.ledger.account(acct) {
                Ok(a) if *a == before => Some(state),
                _ => None,
            };
            result = self.liquidation_steps(acct, ins, mode, known, events);
        }
        self.liquidating = None;
        result?;
        // Collateral the conversion could not sell stays with nobody who left bad debt.
        let new_debt =
            self.ledger.system(pool).bad_debt.checked_sub(debt_before).map_err(overflow("bad debt"))?;
        if mode == MarginMode::Cross && new_debt.is_positive() {
            self.seize_collateral(acct, ins, new_debt, events)?;
        }
        // Re-indexed at once. (An account that traded is also marked dirty and re-indexed again
        // at the next flush with the same result; the dirty marks are a push-only list, so
        // asking whether it is marked would cost a scan.) Not when the waterfall left it as it
        // was, e.g. a Hyperliquid account whose order met an empty book: see
        // `index_still_holds`.
        if !self.index_still_holds(acct, &before)? {
            self.reindex(acct)?;
        }
        // A waterfall that emitted nothing and left the account as it was (a Hyperliquid order
        // that met an empty book, a takeover the vault refused) changed nothing another round
        // could act on: every move of money or position is an event.
        let changed = events.len() != events_before || self.ledger.account(acct)? != &before;
        if !changed && per_block && self.sets_aside() {
            self.maybe_set_aside(acct, ins, &state, mark_now)?;
        }
        Ok(changed)
    }

    /// Whether re-indexing `acct` after its waterfall would change nothing, so it can be left
    /// alone: the account is exactly as it was before (`before`), with one open position. Such
    /// an account's trigger is a function of its own record, the collateral rules and the
    /// margin table only (not of the marks), and every change to one of those either
    /// re-indexes the account at once (deposits, withdrawals, re-valuations, new tables, its own
    /// waterfall) or marks it dirty (trades, funding, socialised losses): so its trigger is
    /// either current, or it is marked and the next flush — which comes before anything reads
    /// the index again — re-indexes it as the immediate re-index would have. The one change
    /// that does neither, margin added to an open isolated position, turns this off for the
    /// venue.
    fn index_still_holds(
        &self,
        acct: AccountId,
        before: &crate::ledger::Account,
    ) -> Result<bool, VenueError> {
        if self.margin_added_unindexed {
            return Ok(false);
        }
        let a = self.ledger.account(acct)?;
        Ok(a == before && matches!(a.positions(), [p] if !p.size.is_zero()))
    }

    /// The waterfall's steps on `acct` from its position in `ins`. `known` is the margin state
    /// of that position if the caller read it and nothing has changed since.
    fn liquidation_steps(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        mode: MarginMode,
        mut known: Option<MarginState>,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        for step in 0..MAX_STEPS {
            let target =
                if mode == MarginMode::Isolated { Some(ins) } else { self.next_cross_target(acct, ins)? };
            let Some(target) = target else { return Ok(()) };
            let from = events.len();
            let state = match known.take() {
                Some(s) if target == ins => s,
                _ => self.position_maintenance(acct, target)?,
            };
            let step = self.liquidation_step(acct, target, mode, state, step == 0, events)?;
            if self.config.audit {
                self.check_invariants()?;
            }
            if self.config.safeguards.pacing.is_some() {
                let done: Vec<(InstrumentId, Cash)> = events[from..]
                    .iter()
                    .filter_map(|e| match e {
                        VenueEvent::Liquidation(r) if r.account == acct => Some((r.instrument, r.notional)),
                        _ => None,
                    })
                    .collect();
                let closed = !done.is_empty();
                for (i, notional) in done {
                    self.pace_used(i, notional)?;
                }
                if closed && self.config.safeguards.pacing.is_some_and(|p| p.cooldown_ms > 0) {
                    self.pace_cool(acct, ins);
                    return Ok(());
                }
            }
            if let Step::Stop = step {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One step of the waterfall on `acct`'s position in `target`, whose margin state is
    /// `state` (read by the caller at the current marks).
    fn liquidation_step(
        &mut self,
        acct: AccountId,
        target: InstrumentId,
        mode: MarginMode,
        state: MarginState,
        first: bool,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Step, VenueError> {
        let rules = self.config.rules;
        if !state.liquidatable() {
            return Ok(Step::Stop);
        }
        let Some(pos) = self.ledger.account(acct)?.position(target).copied() else { return Ok(Step::Stop) };
        let Some(mark) = self.reference_mark(target) else { return Ok(Step::Stop) };
        let long = pos.size.is_positive();
        let size = pos.size.abs();
        // The bankruptcy price is solved where a path needs it, from the state as it is here
        // (no path changes the account before it asks): a market order that meets an empty book
        // needs none, and a venue waiting on an empty book meets that case at every pass.
        let bp_now = |v: &Self| v.bankruptcy_price(acct, target, mark);
        // A halted market with liquidations paused is not touched, not even through a cross
        // account liquidated on another market; pacing: nothing more on this market once its
        // interval's cap is used up.
        let paused = self.is_halted(usize::from(target.0)) && !rules_halt_liquidates(&self.config.safeguards);
        if paused || self.paced_qty(target, size, mark)?.is_zero() {
            return Ok(Step::Stop);
        }

        // Hyperliquid: below 2/3 of maintenance the vault takes the account over while its value
        // is not negative; a negative account value goes to ADL (§5.3–5.4).
        if let Some(below) = rules.backstop_below {
            let lim =
                state.maintenance.mul_div(below.0, RATE_ONE, Round::Floor).map_err(overflow("backstop"))?;
            if state.equity < lim {
                // Pacing cannot split a takeover: it waits for an interval with room for it
                // (or, larger than the cap, for a fresh interval of its own).
                if !state.equity.is_negative() && !self.takeover_fits_pace(target, size, mark)? {
                    return Ok(Step::Stop);
                }
                if !state.equity.is_negative() && self.vault_takeover(acct, target, mode, state, events)? {
                    return Ok(Step::Stop);
                }
                if state.equity.is_negative() {
                    let size = self.paced_qty(target, size, mark)?;
                    let bp = bp_now(self)?;
                    let closed = self.adl_then_backstop(acct, target, size, bp, mark, events)?;
                    return Ok(if closed.is_zero() { Step::Stop } else { Step::Continue });
                }
            }
        }

        // A Hyperliquid position in its cooldown after a partial goes whole (§5.3).
        let in_cooldown = self.cooldown.get(&(acct, target)).is_some_and(|&until| self.now_ms < until);
        let (qty, if_fee) = if in_cooldown {
            (size, Rate::ZERO)
        } else if rules.partial == PartialRule::MarginShortage {
            self.shortage_qty(&pos, &state, mark)?
        } else {
            let notional = self.markets[usize::from(target.0)]
                .instrument
                .value(mark, size, Round::Floor)
                .map_err(overflow("liquidation notional"))?;
            (self.liquidation_qty(acct, &pos, notional, first)?, Rate::ZERO)
        };
        let qty = self.paced_qty(target, qty, mark)?;
        if let PartialRule::Slice { cooldown_ms, .. } = rules.partial
            && qty < size
        {
            self.cooldown.insert((acct, target), self.now_ms.saturating_add(cooldown_ms));
        }

        // Binance (§1.3 step 3): after the one reducing IOC, a still-deficient position is closed
        // at the bankruptcy price and taken over by the fund — no second order to the book.
        if rules.partial == PartialRule::ReduceFirst && !first && !in_cooldown {
            let rest = self.paced_qty(target, size, mark)?;
            let closed = self.fund_or_adl(acct, target, rest, bp_now(self)?, mark, events)?;
            return Ok(if closed.is_zero() { Step::Stop } else { Step::Continue });
        }
        match rules.execution {
            Execution::TakeoverAtBankruptcy => {
                let closed = self.fund_or_adl(acct, target, qty, bp_now(self)?, mark, events)?;
                Ok(if closed.is_zero() { Step::Stop } else { Step::Continue })
            }
            Execution::LiquidatorAtOracle { fee } => {
                let bp = bp_now(self)?;
                self.liquidator_takes(acct, target, qty, mark, bp, fee, if_fee, events)?;
                Ok(Step::Continue)
            }
            Execution::BookAtBankruptcy | Execution::BookMarket | Execution::BookAtFillable { .. } => {
                let meets_nothing = matches!(rules.execution, Execution::BookMarket)
                    && self.closing_order_meets_nothing(target, long)?;
                let bp = if meets_nothing { None } else { Some(bp_now(self)?) };
                let kind = match (rules.execution, bp) {
                    (Execution::BookMarket, _) => OrderKind::Market,
                    (Execution::BookAtFillable { .. }, Some(bp)) => {
                        OrderKind::Limit(self.fillable_limit(acct, target, &pos, mark, bp, qty)?)
                    }
                    (_, Some(bp)) => OrderKind::Limit(on_tick_toward_mark(bp, long, self.tick(target))),
                    (_, None) => {
                        return Err(VenueError::Invariant("no bankruptcy price for a limit order".into()));
                    }
                };
                // A market order with nothing to meet within its band would expire unfilled: not
                // sent (a venue that waits on an empty or hollow book meets this at every pass
                // for every account).
                let filled = if bp.is_none() {
                    Qty::ZERO
                } else {
                    self.book_step(acct, target, long, qty, kind, mark, bp, events)?
                };
                let bp = bp.unwrap_or(mark);
                let rest = Qty(qty.0 - filled.0);
                let closed_more = match rules.execution {
                    // Binance: the bankrupt remainder goes to the fund, else ADL (§1.3).
                    Execution::BookAtBankruptcy if rest.is_positive() => {
                        self.fund_or_adl(acct, target, rest, bp, mark, events)?
                    }
                    // dYdX: deleverage only an account whose order filled nothing and whose net
                    // collateral is negative (§6.4); a solvent one waits for the next block.
                    Execution::BookAtFillable { .. } if filled.is_zero() && state.equity.is_negative() => {
                        let size = self.paced_qty(target, size, mark)?;
                        self.adl_then_backstop(acct, target, size, bp, mark, events)?
                    }
                    _ => Qty::ZERO,
                };
                if self.one_step_per_block() || (filled.is_zero() && closed_more.is_zero()) {
                    return Ok(Step::Stop);
                }
                Ok(Step::Continue)
            }
        }
    }

    /// The instrument's tick.
    fn tick(&self, ins: InstrumentId) -> i64 {
        self.markets[usize::from(ins.0)].instrument.spec().tick.0
    }

    /// Sends the liquidation order to the book and reports what filled, at what average price and
    /// fee, with the position's bankruptcy price `bp` (solved before the order; `None` only when
    /// the book holds nothing the order could meet). Returns the quantity filled.
    #[allow(clippy::too_many_arguments)]
    fn book_step(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        kind: OrderKind,
        mark: Price,
        bp: Option<Price>,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        let side = if long { Side::Sell } else { Side::Buy };
        let req = OrderRequest {
            side,
            kind,
            qty,
            tif: TimeInForce::Ioc,
            reduce_only: true,
            stp: crate::book::Stp::None,
        };
        let from = events.len();
        match self.send(acct, ins, req, events) {
            Ok(_) | Err(VenueError::NoReferencePrice | VenueError::InvalidOrder { .. }) => {}
            Err(e) => return Err(e),
        }
        let (mut filled, mut value, mut fee) = (0_i64, Cash::ZERO, Cash::ZERO);
        for e in &events[from..] {
            if let VenueEvent::Trade(t) = e
                && t.taker == acct
            {
                filled += t.qty.0;
                value = value.checked_add(t.value).map_err(overflow("liquidation value"))?;
                fee = fee.checked_add(t.taker_fee).map_err(overflow("liquidation fee"))?;
            }
        }
        let filled = Qty(filled);
        if filled.is_positive() {
            // Solved before the order unless the book had nothing to meet it.
            let bp = bp
                .ok_or_else(|| VenueError::Invariant("a liquidation order filled on an empty book".into()))?;
            let round = if long { Round::Floor } else { Round::Ceil };
            let price = self.markets[usize::from(ins.0)]
                .instrument
                .price_for_value(value, filled, round)
                .map_err(overflow("liquidation price"))?;
            events.push(self.liquidation_event(
                acct,
                ins,
                long,
                filled,
                mark,
                price,
                bp,
                fee,
                LiquidationKind::Book,
            )?);
        }
        Ok(filled)
    }

    /// dYdX's fillable price (§6.3) for closing `pos`: `ABR = clamp(BA × (1 − TNC/TMMR), 0, 1)`,
    /// `fillable = (PNNV − ABR × SMMR × PMMR) / PS` per unit — below the bankruptcy price for a
    /// long when the account is near bankruptcy. The fund pays fills between the two, so the
    /// limit never goes further than the fund can pay; on the tick grid, toward the mark.
    fn fillable_limit(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        pos: &crate::position::Position,
        mark: Price,
        bp: Price,
        qty: Qty,
    ) -> Result<Price, VenueError> {
        let Execution::BookAtFillable { bankruptcy_adjustment, spread_to_maintenance } =
            self.config.rules.execution
        else {
            return Ok(bp);
        };
        let long = pos.size.is_positive();
        let state = self.position_maintenance(acct, ins)?;
        let tmmr = i128::from(state.maintenance.0.max(1));
        let tnc = i128::from(state.equity.0);
        let one = i128::from(RATE_ONE);
        // ABR in rate units.
        let abr = (i128::from(bankruptcy_adjustment.0) * (tmmr - tnc) / tmmr).clamp(0, one);
        // The position's own maintenance per unit of price: PMMR / PNNV × mark.
        let m = &self.markets[usize::from(ins.0)];
        let e = crate::margin::tiers::Exposure::of(&m.instrument, pos.size, mark)
            .map_err(overflow("exposure"))?;
        let pmmr = i128::from(m.tiers.maintenance_margin(&e).map_err(overflow("maintenance"))?.0);
        let pnnv = i128::from(
            m.instrument.value(mark, pos.size.abs(), Round::Floor).map_err(overflow("notional"))?.0,
        );
        // Price offset = mark × ABR × SMMR × PMMR / PNNV.
        let offset =
            i128::from(mark.0) * abr / one * i128::from(spread_to_maintenance.0) / one * pmmr / pnnv.max(1);
        let offset = i64::try_from(offset).map_err(|_| VenueError::Overflow("fillable price"))?;
        let fillable = if long { Price((mark.0 - offset).max(1)) } else { Price(mark.0 + offset) };
        // The fund must be able to pay the fills between the fillable and the bankruptcy price.
        let worse = if long { fillable < bp } else { fillable > bp };
        let limit = if worse {
            let fund = self.ledger.fund(m.fund)?.balance;
            let gap_value = m
                .instrument
                .value(Price((bp.0 - fillable.0).abs().max(1)), qty, Round::Ceil)
                .map_err(overflow("fillable gap"))?;
            if gap_value <= fund || m.instrument.kind() != crate::instrument::ContractKind::Linear {
                fillable
            } else {
                // Linear: the price where (bp − p) × qty equals the fund.
                let per_unit = m
                    .instrument
                    .price_for_value(fund.max(Cash::ZERO), qty, Round::Floor)
                    .map_err(overflow("fillable gap"))?;
                if long { Price(bp.0 - per_unit.0) } else { Price(bp.0 + per_unit.0) }
            }
        } else {
            fillable
        };
        Ok(on_tick_toward_mark(limit, long, self.tick(ins)))
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
    pub(super) fn bankruptcy_price(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        mark: Price,
    ) -> Result<Price, VenueError> {
        let Some(p) = self.ledger.account(acct)?.position(ins).copied() else { return Ok(mark) };
        let m = &self.markets[usize::from(ins.0)];
        let asset = m.instrument.settle_asset();
        let collateral = if p.mode == MarginMode::Isolated {
            p.isolated_margin
        } else {
            let pool = self.pool_maintenance(acct, asset)?;
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
        // Bybit/OKX count the fee to close at the bankruptcy price (§2.3, §3.3).
        let bp = mp::bankruptcy_price_with_fee(&view, collateral, self.close_fee_rate(ins))
            .map_err(|e| VenueError::Invariant(format!("bankruptcy price: {e}")))?;
        // None: no positive price zeroes the equity (over-collateralised long); use the mark.
        Ok(bp.unwrap_or(mark))
    }

    /// A [`VenueEvent::Liquidation`] for `qty` closed at `price`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn liquidation_event(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        mark: Price,
        price: Price,
        bp: Price,
        fee: Cash,
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
            price,
            bankruptcy_price: bp,
            fee,
            kind,
        }))
    }
}

/// Whether the circuit breaker lets liquidations run during a halt.
fn rules_halt_liquidates(s: &crate::safeguards::Safeguards) -> bool {
    s.halt.is_some_and(|h| h.liquidations)
}

/// `price` on the tick grid, rounded toward the mark side a liquidation order may not pass:
/// up for a long's sell limit, down for a short's buy limit (never below one tick).
fn on_tick_toward_mark(price: Price, long: bool, tick: i64) -> Price {
    let p = if long {
        price.0 + (tick - price.0.rem_euclid(tick)) % tick
    } else {
        price.0 - price.0.rem_euclid(tick)
    };
    Price(p.max(tick))
}

#[cfg(test)]
pub(in crate::venue) mod tests;
