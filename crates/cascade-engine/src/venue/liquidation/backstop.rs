//! The backstop: who absorbs a bankrupt position before ADL, and how it sells what it took.
//!
//! On the centralised venues the backstop is the insurance fund: a venue account takes the
//! position over at the bankruptcy price, its losses are paid from the fund and its gains swept
//! into it. The fund takes over only while it can cover the loss the position shows at the
//! mark (and, at OKX, while it stays above a share of its recent peak); the rest goes to ADL.
//! On Hyperliquid the backstop is the liquidator vault (HLP) with its own capital: it takes a
//! whole account over, positions and margin, while its capital carries the extra maintenance.
//! Either way the inventory is sold back to the book at a pace ([`Offload`]), not dumped at
//! every mark step, and without trading fees (the venue does not charge itself).

use crate::book::{OrderId, Side};
use crate::instrument::{AssetId, InstrumentId};
use crate::ledger::{AccountId, FundId, Party};
use crate::num::{Cash, Price, Qty, RATE_ONE, Round};
use crate::position::MarginMode;
use crate::risk::rules::{AdlPrice, AdlTrigger, Offload};
use crate::safeguards::AdlRule;

use super::super::margin::MarginState;
use super::super::{OrderRequest, Venue, VenueError, VenueEvent, overflow};
use super::LiquidationKind;

/// What the backstop holds and has earned, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackstopState {
    /// The backstop's account.
    pub account: AccountId,
    /// Capital deposited into it (a vault's; zero for an insurance-fund backstop).
    pub capital: Cash,
    /// PnL it has realized on the positions it took over and sold (before sweeps to the fund).
    pub realized_pnl: Cash,
    /// Open inventory: (instrument, signed size, unrealized PnL at the mark).
    pub inventory: Vec<(InstrumentId, Qty, Cash)>,
}

impl Venue {
    /// The venue's backstop account, opened on first use.
    pub(super) fn backstop_account(&mut self) -> Result<AccountId, VenueError> {
        if let Some(b) = self.backstop {
            return Ok(b);
        }
        let b = self.ledger.open_account()?;
        self.backstop = Some(b);
        Ok(b)
    }

    /// Deposits `amount` of `asset` as the backstop's own capital: Hyperliquid's liquidator
    /// vault (HLP), which takes accounts over only while this capital carries them.
    ///
    /// # Errors
    /// A non-positive amount or overflow.
    pub fn set_backstop_capital(&mut self, asset: AssetId, amount: Cash) -> Result<(), VenueError> {
        let b = self.backstop_account()?;
        self.ledger.deposit(b, asset, amount)?;
        self.backstop_capital =
            self.backstop_capital.checked_add(amount).map_err(overflow("backstop capital"))?;
        Ok(())
    }

    /// The backstop's capital, realized PnL and inventory, once it exists.
    ///
    /// # Errors
    /// Overflow while valuing the inventory.
    pub fn backstop_state(&self) -> Result<Option<BackstopState>, VenueError> {
        let Some(b) = self.backstop else { return Ok(None) };
        let mut inventory = Vec::new();
        for p in self.ledger.account(b)?.positions().iter().filter(|p| !p.size.is_zero()) {
            let m = &self.markets[usize::from(p.instrument.0)];
            let upnl = match self.reference_mark(p.instrument) {
                Some(mark) => p.unrealized_pnl(&m.instrument, mark).map_err(overflow("backstop upnl"))?,
                None => Cash::ZERO,
            };
            inventory.push((p.instrument, p.size, upnl));
        }
        Ok(Some(BackstopState {
            account: b,
            capital: self.backstop_capital,
            realized_pnl: self.backstop_pnl,
            inventory,
        }))
    }

    /// Whether the backstop is the insurance fund (its gains are swept into the fund and its
    /// losses paid from it) rather than a vault or liquidator with its own capital.
    fn backstop_is_fund(&self) -> bool {
        matches!(self.config.rules.adl_trigger, AdlTrigger::Fund { .. } | AdlTrigger::NegativeCollateral)
    }

    /// Records every fund's balance at the venue clock, keeping the window's maxima (a
    /// monotone deque: O(1) amortised per sample), for [`AdlTrigger::Fund`]'s floor.
    pub(super) fn sample_fund_peaks(&mut self) -> Result<(), VenueError> {
        let AdlTrigger::Fund { floor, window_ms } = self.config.rules.adl_trigger else { return Ok(()) };
        if floor.0 <= 0 {
            return Ok(());
        }
        let now = self.now_ms;
        for fund in self.markets.iter().map(|m| m.fund).collect::<std::collections::BTreeSet<_>>() {
            let bal = self.ledger.fund(fund)?.balance;
            let q = self.fund_peaks.entry(fund).or_default();
            while q.back().is_some_and(|&(_, b)| b <= bal) {
                q.pop_back();
            }
            q.push_back((now, bal));
            while q.front().is_some_and(|&(t, _)| t.saturating_add(window_ms) < now) {
                q.pop_front();
            }
        }
        Ok(())
    }

    /// The balance the fund must keep under [`AdlTrigger::Fund`]: `floor` × its window peak.
    fn fund_floor(&self, fund: FundId) -> Result<Cash, VenueError> {
        let AdlTrigger::Fund { floor, .. } = self.config.rules.adl_trigger else { return Ok(Cash::ZERO) };
        if floor.0 <= 0 {
            return Ok(Cash::ZERO);
        }
        let now = self.ledger.fund(fund)?.balance;
        let peak = self.fund_peaks.get(&fund).and_then(|q| q.front()).map_or(now, |&(_, b)| b.max(now));
        peak.mul_div(floor.0, RATE_ONE, Round::Ceil).map_err(overflow("fund floor"))
    }

    /// Sets the open-interest notional (settle asset, at the mark) below which `ins` is never
    /// auto-deleveraged and its fund takes every bankrupt position over, whatever it costs —
    /// Binance's guarantee for BTC/ETH/BNB (§1.4: no ADL while OI ≤ 4B USDT). `None` removes it.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn set_adl_guarantee(
        &mut self,
        ins: InstrumentId,
        threshold: Option<Cash>,
    ) -> Result<(), VenueError> {
        self.market_mut(ins)?.adl_guarantee = threshold;
        Ok(())
    }

    /// Whether `ins` is under its ADL guarantee at `mark`.
    fn guaranteed(&self, ins: InstrumentId, mark: Price) -> Result<bool, VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        let Some(limit) = m.adl_guarantee else { return Ok(false) };
        let oi = m.instrument.value(mark, m.open_interest, Round::Ceil).map_err(overflow("open interest"))?;
        Ok(oi <= limit)
    }

    /// The backstop's PnL, valued at the mark, on `qty` of a position taken over at `price`
    /// (negative: a loss the fund must carry).
    pub(super) fn takeover_pnl(
        &self,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        price: Price,
        mark: Price,
    ) -> Result<Cash, VenueError> {
        let ins_ref = &self.markets[usize::from(ins.0)].instrument;
        let at_mark = ins_ref.value(mark, qty, Round::Floor).map_err(overflow("takeover value"))?;
        let at_price = ins_ref.value(price, qty, Round::Ceil).map_err(overflow("takeover value"))?;
        let diff = i128::from(at_mark.0) - i128::from(at_price.0);
        let signed = if long { diff } else { -diff } * i128::from(ins_ref.pnl_sign());
        i64::try_from(signed).map(Cash).map_err(|_| VenueError::Overflow("takeover pnl"))
    }

    /// How much of `qty` the insurance fund may take over at `bp` (§1.4, §2.4, §3.4, §4.3):
    /// as many lots as it can cover the mark-to-market loss of, on top of the unrealized loss of
    /// what it already holds, while keeping its floor and staying within the takeover cap
    /// (`takeover_cap × fund` of net notional). Under an ADL guarantee it takes everything.
    fn takeover_room(
        &self,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        bp: Price,
        mark: Price,
    ) -> Result<Qty, VenueError> {
        if !matches!(self.config.rules.adl_trigger, AdlTrigger::Fund { .. }) || self.guaranteed(ins, mark)? {
            return Ok(qty);
        }
        let m = &self.markets[usize::from(ins.0)];
        let lot = m.instrument.spec().lot;
        let fund = self.ledger.fund(m.fund)?.balance;
        let held = self.backstop.and_then(|b| self.ledger.account(b).ok()?.position(ins).copied());
        let held_upnl = match held {
            Some(p) => p.unrealized_pnl(&m.instrument, mark).map_err(overflow("backstop upnl"))?,
            None => Cash::ZERO,
        };
        let free =
            i128::from(fund.0) + i128::from(held_upnl.0.min(0)) - i128::from(self.fund_floor(m.fund)?.0);
        if free <= 0 {
            return Ok(Qty::ZERO);
        }
        let mut lots = i128::from(qty.0 / lot.0);
        // Loss per lot at the mark.
        let per_lot = self.takeover_pnl(ins, long, lot, bp, mark)?;
        if per_lot.is_negative() {
            lots = lots.min(free / i128::from(-per_lot.0));
        }
        if let Some(cap) = self.config.rules.takeover_cap {
            let limit =
                i128::from(fund.mul_div(cap.0, RATE_ONE, Round::Floor).map_err(overflow("takeover cap"))?.0);
            let held_size = held.map_or(Qty::ZERO, |p| p.size.abs());
            let held_value =
                m.instrument.value(mark, held_size, Round::Ceil).map_err(overflow("backstop notional"))?;
            let unit = m.instrument.value(mark, lot, Round::Ceil).map_err(overflow("lot value"))?;
            lots = lots.min(((limit - i128::from(held_value.0)) / i128::from(unit.0.max(1))).max(0));
        }
        let room = i64::try_from(lots.max(0)).map_err(|_| VenueError::Overflow("takeover room"))?;
        Ok(Qty((room * lot.0).min(qty.0)))
    }

    /// Hands `qty` of the bankrupt position to the insurance fund's backstop at `bp` as far as
    /// [`Venue::takeover_room`] allows and the rest to ADL; what nobody can take, the backstop
    /// takes anyway (the loss becomes bad debt). Returns what was closed.
    pub(super) fn fund_or_adl(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        qty: Qty,
        bp: Price,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        let long = self.ledger.account(acct)?.position(ins).is_some_and(|p| p.size.is_positive());
        // An external backstop refills the fund first; a fund at or above the ADL threshold
        // takes everything over.
        self.external_backstop(ins, events)?;
        let room = if self.fund_above_adl_threshold(ins)? {
            qty
        } else {
            self.takeover_room(ins, long, qty, bp, mark)?
        };
        if room.is_positive() {
            self.backstop_takes(acct, ins, long, room, bp, mark, LiquidationKind::Backstop, events)?;
        }
        let rest = Qty(qty.0 - room.0);
        let more = if rest.is_positive() {
            self.adl_then_backstop(acct, ins, rest, bp, mark, events)?
        } else {
            Qty::ZERO
        };
        Ok(Qty(room.0 + more.0))
    }

    /// Closes `qty` against ADL at the venue's ADL price; whatever finds no counterparty is
    /// taken by the backstop at `bp` (its loss then becomes bad debt). Returns what was closed.
    pub(super) fn adl_then_backstop(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        qty: Qty,
        bp: Price,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Qty, VenueError> {
        let long = self.ledger.account(acct)?.position(ins).is_some_and(|p| p.size.is_positive());
        self.external_backstop(ins, events)?;
        if self.fund_above_adl_threshold(ins)? {
            self.backstop_takes(acct, ins, long, qty, bp, mark, LiquidationKind::Backstop, events)?;
            return Ok(qty);
        }
        // dYdX puts no fund takeover before deleveraging; with an external backstop behind the
        // fund, the fund takes over what it can cover first (the point of the backstop).
        let mut covered = Qty::ZERO;
        if self.config.safeguards.backstop.is_some()
            && self.config.rules.adl_trigger == AdlTrigger::NegativeCollateral
        {
            covered = self.fund_cover(ins, long, qty, bp, mark)?;
            if covered.is_positive() {
                self.backstop_takes(acct, ins, long, covered, bp, mark, LiquidationKind::Backstop, events)?;
            }
        }
        let qty = Qty(qty.0 - covered.0);
        if qty.is_zero() {
            return Ok(covered);
        }
        if self.config.safeguards.adl == AdlRule::Haircut
            && self.config.rules.adl_ranking != crate::risk::rules::AdlRanking::None
        {
            self.haircut(acct, ins, long, qty, bp, mark, events)?;
            return Ok(Qty(qty.0 + covered.0));
        }
        let price = match self.config.rules.adl_price {
            AdlPrice::Bankruptcy => bp,
            AdlPrice::Mark => mark,
            AdlPrice::MarkUnlessFundDepleted { depleted } => {
                let fund = self.markets[usize::from(ins.0)].fund;
                let balance = self.ledger.fund(fund)?.balance;
                let peak = self
                    .fund_peaks
                    .get(&fund)
                    .and_then(|q| q.front())
                    .map_or(balance, |&(_, b)| b.max(balance));
                let floor =
                    peak.mul_div(depleted.0, RATE_ONE, Round::Floor).map_err(overflow("fund floor"))?;
                if balance <= floor { bp } else { mark }
            }
            AdlPrice::PreviousMark => self.markets[usize::from(ins.0)].prev_mark.unwrap_or(mark),
        };
        let done = self.auto_deleverage(acct, ins, long, qty, price, events)?;
        if done.is_positive() {
            events.push(self.liquidation_event(
                acct,
                ins,
                long,
                done,
                mark,
                price,
                bp,
                Cash::ZERO,
                LiquidationKind::Adl,
            )?);
        }
        let left = Qty(qty.0 - done.0);
        if left.is_positive() {
            self.backstop_takes(acct, ins, long, left, bp, mark, LiquidationKind::Residual, events)?;
        }
        Ok(Qty(qty.0 + covered.0))
    }

    /// How much of `qty` the insurance fund can take over at `bp` while covering the loss at
    /// the mark (on top of the unrealized loss of what the backstop already holds), in lots.
    fn fund_cover(
        &self,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        bp: Price,
        mark: Price,
    ) -> Result<Qty, VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        let lot = m.instrument.spec().lot;
        let fund = self.ledger.fund(m.fund)?.balance;
        let held = self.backstop.and_then(|b| self.ledger.account(b).ok()?.position(ins).copied());
        let held_upnl = match held {
            Some(p) => p.unrealized_pnl(&m.instrument, mark).map_err(overflow("backstop upnl"))?,
            None => Cash::ZERO,
        };
        let free = i128::from(fund.0) + i128::from(held_upnl.0.min(0));
        if free <= 0 {
            return Ok(Qty::ZERO);
        }
        let per_lot = self.takeover_pnl(ins, long, lot, bp, mark)?;
        let mut lots = i128::from(qty.0 / lot.0);
        if per_lot.is_negative() {
            lots = lots.min(free / i128::from(-per_lot.0));
        }
        let room = i64::try_from(lots.max(0)).map_err(|_| VenueError::Overflow("fund cover"))?;
        Ok(Qty((room * lot.0).min(qty.0)))
    }

    /// The backstop takes `qty` of `acct`'s position at `price`, off the book and without fees.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn backstop_takes(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        long: bool,
        qty: Qty,
        price: Price,
        mark: Price,
        kind: LiquidationKind,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let backstop = self.backstop_account()?;
        let side = if long { Side::Sell } else { Side::Buy };
        let trade = self.settle_trade(ins, OrderId(u64::MAX), backstop, acct, side, price, qty, false)?;
        let bp =
            if kind == LiquidationKind::Liquidator { self.bankruptcy_price(acct, ins, mark)? } else { price };
        // Where the bankruptcy price embeds a fee to close (Bybit, OKX), the takeover charges it,
        // from what the account has left, to the fund (§2.3: the margin left at BP goes there).
        let rate = self.close_fee_rate(ins);
        let mut fee = Cash::ZERO;
        if rate.0 > 0 && kind != LiquidationKind::Liquidator {
            let m = &self.markets[usize::from(ins.0)];
            let (asset, fund) = (m.instrument.settle_asset(), m.fund);
            let party = match self.ledger.account(acct)?.position(ins) {
                Some(p) if p.mode == crate::position::MarginMode::Isolated => Party::Isolated(acct, ins),
                _ => Party::Wallet(acct),
            };
            fee = m
                .instrument
                .fee(trade.value, rate)
                .map_err(overflow("close fee"))?
                .min(self.ledger.balance(party, asset)?)
                .max(Cash::ZERO);
            if fee.is_positive() {
                self.ledger.transfer(party, Party::InsuranceFund(fund), asset, fee)?;
            }
        }
        events.push(self.liquidation_event(acct, ins, long, qty, mark, price, bp, fee, kind)?);
        Ok(())
    }

    /// Hyperliquid's liquidator vault takes `acct`'s pool over (§5.3): every cross position of
    /// the settle asset (or the isolated position) at its bankruptcy price, and the margin left.
    /// Only while the vault's own capital stays above the maintenance of everything it then
    /// holds. Returns whether it did.
    pub(super) fn vault_takeover(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        mode: MarginMode,
        theirs: MarginState,
        events: &mut Vec<VenueEvent>,
    ) -> Result<bool, VenueError> {
        let asset = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let vault = self.backstop_account()?;
        let ours = self.vault_maintenance(vault, asset)?;
        let equity = ours.equity.checked_add(theirs.equity).map_err(overflow("vault equity"))?;
        let maintenance =
            ours.maintenance.checked_add(theirs.maintenance).map_err(overflow("vault maintenance"))?;
        if equity <= maintenance {
            return Ok(false);
        }
        let targets: Vec<InstrumentId> = if mode == MarginMode::Isolated {
            vec![ins]
        } else {
            self.ledger
                .account(acct)?
                .positions()
                .iter()
                .filter(|p| {
                    !p.size.is_zero()
                        && p.mode == MarginMode::Cross
                        && self.markets[usize::from(p.instrument.0)].instrument.settle_asset() == asset
                })
                .map(|p| p.instrument)
                .collect()
        };
        for t in targets {
            let Some(p) = self.ledger.account(acct)?.position(t).copied() else { continue };
            let Some(m) = self.reference_mark(t) else { continue };
            let bp = self.bankruptcy_price(acct, t, m)?;
            self.backstop_takes(
                acct,
                t,
                p.size.is_positive(),
                p.size.abs(),
                bp,
                m,
                LiquidationKind::Vault,
                events,
            )?;
        }
        // The margin left (rounding dust, or an over-collateralised remainder) goes with it.
        if mode == MarginMode::Cross {
            let left = self.ledger.account(acct)?.balance(asset);
            if left.is_positive() {
                self.ledger.transfer(Party::Wallet(acct), Party::Wallet(vault), asset, left)?;
            }
        }
        Ok(true)
    }

    /// The vault's pool in `asset` at the current marks. Inside a pass the marks do not move, so
    /// the state depends on the vault's record alone: it is kept with a copy of the record and
    /// read again only once the record changes (a pass can ask once for each of thousands of
    /// accounts the vault refuses, and the vault holds a position in every market).
    pub(in crate::venue) fn vault_maintenance(
        &mut self,
        vault: AccountId,
        asset: AssetId,
    ) -> Result<MarginState, VenueError> {
        if let Some((a, record, state)) = &self.vault_seen
            && *a == asset
            && self.ledger.account(vault)? == record
        {
            return Ok(*state);
        }
        let state = self.pool_maintenance(vault, asset)?;
        self.vault_seen = Some((asset, self.ledger.account(vault)?.clone(), state));
        Ok(state)
    }

    /// The backstop offers part of what it holds back to the book, within the market band, at
    /// the venue's [`Offload`] pace.
    pub(super) fn unwind_backstop(
        &mut self,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let Some(b) = self.backstop else { return Ok(()) };
        let Some(p) = self.ledger.account(b)?.position(ins).copied() else { return Ok(()) };
        if p.size.is_zero() {
            return Ok(());
        }
        let m = &self.markets[usize::from(ins.0)];
        let lot = m.instrument.spec().lot.0;
        let held = p.size.abs().0;
        let due = |interval: u64| m.last_offload_ms.is_none_or(|t| self.now_ms >= t.saturating_add(interval));
        let qty = match self.config.rules.offload {
            Offload::Immediate => held,
            Offload::Paced { share, interval_ms } => {
                if !due(interval_ms) {
                    return Ok(());
                }
                let q = p.size.abs().mul_div(share.0, RATE_ONE, Round::Ceil).map_err(overflow("offload"))?.0;
                ((q + lot - 1) / lot * lot).clamp(lot.min(held), held)
            }
            Offload::NotionalCap { notional, interval_ms } => {
                if !due(interval_ms) {
                    return Ok(());
                }
                let Some(mark) = self.reference_mark(ins) else { return Ok(()) };
                let unit = m.instrument.value(mark, Qty(lot), Round::Ceil).map_err(overflow("lot value"))?;
                let lots = notional.0 / unit.0.max(1);
                (lots.saturating_mul(lot)).min(held)
            }
        };
        if qty <= 0 {
            return Ok(());
        }
        self.markets[usize::from(ins.0)].last_offload_ms = Some(self.now_ms);
        let side = if p.size.is_positive() { Side::Sell } else { Side::Buy };
        let req = OrderRequest { reduce_only: true, ..OrderRequest::market(side, Qty(qty)) };
        match self.send(b, ins, req, events) {
            Ok(_) | Err(VenueError::NoReferencePrice | VenueError::InvalidOrder { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves an insurance-fund backstop's realized gains and collateral proceeds into the fund,
    /// repaying the venue's bad debt first (a vault or a liquidator keeps its own).
    pub(super) fn sweep_backstop(&mut self, ins: InstrumentId) -> Result<(), VenueError> {
        let Some(b) = self.backstop else { return Ok(()) };
        if !self.backstop_is_fund() {
            return Ok(());
        }
        let m = &self.markets[usize::from(ins.0)];
        let (asset, fund) = (m.instrument.settle_asset(), m.fund);
        let bal = self.ledger.account(b)?.balance(asset);
        let repay = bal.min(self.ledger.system(asset).bad_debt);
        if repay.is_positive() {
            self.ledger.transfer(Party::Wallet(b), Party::BadDebt, asset, repay)?;
        }
        let rest = Cash(bal.0 - repay.0.max(0));
        if rest.is_positive() {
            self.ledger.transfer(Party::Wallet(b), Party::InsuranceFund(fund), asset, rest)?;
        }
        Ok(())
    }
}
