//! Keeping each market's ADL lists ([`AdlMembers`]) in step with the ledger, and ranking from
//! them.
//!
//! The lists hold every open position of every account but the backstop, as the liquidation
//! index (with its untriggered sets) does, and are written where the index is: at every
//! re-index of an account, on a venue whose rankings read them ([`Venue::adl_lists_usable`]).
//! Everything that changes an account either re-indexes it at once or marks it dirty, and a
//! ranking flushes the dirty accounts first, so when a ranking reads the lists each record
//! equals its position in the ledger. Two cases read the ledger instead and stop keeping them:
//! margin added to an open isolated position (which re-indexes nothing, see
//! `Venue::margin_added_unindexed`), and Binance's ranking, which needs each position's
//! maintenance margin (a tier lookup the lists do not keep).

use smallvec::SmallVec;

use crate::instrument::{AssetId, InstrumentId};
use crate::ledger::AccountId;
use crate::num::{Cash, Price, Round};
use crate::position::{MarginMode, Position};
use crate::risk::adl::AdlCandidate;
use crate::risk::adl_members::{AdlMembers, Leg, Member, MemberKind, NO_SLOT, POOL_LEGS, Pool};
use crate::risk::rules::AdlRanking;

use super::{Venue, VenueError, overflow};

impl Venue {
    /// Whether rankings read the lists (see the module note).
    pub(super) fn adl_lists_usable(&self) -> bool {
        !self.margin_added_unindexed
            && matches!(self.config.rules.adl_ranking, AdlRanking::Hyperliquid | AdlRanking::PnlTimesLeverage)
    }

    /// Brings `acct`'s records in the ADL lists in line with its ledger record: a record per
    /// open position (none for the backstop), none for a flat one, and its pool record if it
    /// has one. Called as the account is re-indexed, before flat positions are pruned.
    pub(super) fn list_for_adl(&mut self, acct: AccountId) -> Result<(), VenueError> {
        let backstop = self.backstop == Some(acct);
        let pool = if backstop { None } else { self.list_pool(acct)? };
        let n = self.ledger.account(acct)?.positions().len();
        for k in 0..n {
            let (p, member) = {
                let a = self.ledger.account(acct)?;
                let p = a.positions()[k];
                let member =
                    if backstop || p.size.is_zero() { None } else { Some(self.member_of(acct, &p, pool)?) };
                (p, member)
            };
            let slot = match (p.adl_slot, member) {
                (NO_SLOT, None) => continue,
                (NO_SLOT, Some(m)) => self.markets[usize::from(p.instrument.0)].adl.push(m),
                (s, Some(m)) if AdlMembers::same_side(s, &m) => {
                    self.markets[usize::from(p.instrument.0)].adl.set(s, m);
                    continue;
                }
                (s, m) => {
                    self.unlist_adl(p.instrument, s)?;
                    match m {
                        Some(m) => self.markets[usize::from(p.instrument.0)].adl.push(m),
                        None => NO_SLOT,
                    }
                }
            };
            self.ledger.account_mut(acct)?.positions_mut()[k].adl_slot = slot;
        }
        Ok(())
    }

    /// Writes `acct`'s pool record — the cross positions of one settle asset, if there are two
    /// to [`POOL_LEGS`] of them and the wallet holds nothing else — reusing the index its
    /// records name, or frees that index when the account no longer has such a pool. Returns
    /// the pool's settle asset and index. Only the pool of the account's first cross
    /// position's settle asset is recorded; positions of another pool are read from the ledger.
    fn list_pool(&mut self, acct: AccountId) -> Result<Option<(AssetId, u32)>, VenueError> {
        let a = self.ledger.account(acct)?;
        let old = a.positions().iter().find_map(|p| {
            match self.markets[usize::from(p.instrument.0)].adl.get(p.adl_slot) {
                Some(Member { kind: MemberKind::Pool(i), .. }) if p.adl_slot != NO_SLOT => Some(*i),
                _ => None,
            }
        });
        let settle = |p: &Position| self.markets[usize::from(p.instrument.0)].instrument.settle_asset();
        let cross = |p: &&Position| p.mode == MarginMode::Cross && !p.size.is_zero();
        let record = a.positions().iter().find(cross).and_then(|first| {
            let asset = settle(first);
            let legs: SmallVec<[Leg; POOL_LEGS]> = a
                .positions()
                .iter()
                .filter(cross)
                .filter(|q| settle(q) == asset)
                .map(|q| Leg { instrument: q.instrument, size: q.size, cost: q.cost })
                .collect();
            let other_collateral = a.balances().iter().any(|&(x, c)| x != asset && c.is_positive());
            (legs.len() >= 2 && legs.len() <= POOL_LEGS && !other_collateral)
                .then(|| (asset, Pool { wallet: a.balance(asset), legs }))
        });
        Ok(match (record, old) {
            (Some((asset, pool)), Some(i)) => {
                self.adl_pools.set(i, pool);
                Some((asset, i))
            }
            (Some((asset, pool)), None) => Some((asset, self.adl_pools.insert(pool))),
            (None, Some(i)) => {
                self.adl_pools.release(i);
                None
            }
            (None, None) => None,
        })
    }

    /// Removes the record at `slot` of market `ins`, re-pointing the record moved into it.
    fn unlist_adl(&mut self, ins: InstrumentId, slot: u32) -> Result<(), VenueError> {
        if let Some(moved) = self.markets[usize::from(ins.0)].adl.remove(slot) {
            let mode = self.ledger.account(moved)?.position(ins).map_or(MarginMode::Cross, |p| p.mode);
            self.ledger.account_mut(moved)?.position_mut(ins, mode).adl_slot = slot;
        }
        Ok(())
    }

    /// The list record of `acct`'s open position `p`, given the account's pool record.
    fn member_of(
        &self,
        acct: AccountId,
        p: &Position,
        pool: Option<(AssetId, u32)>,
    ) -> Result<Member, VenueError> {
        let (kind, wallet) = match p.mode {
            MarginMode::Isolated => (MemberKind::Isolated, p.isolated_margin),
            MarginMode::Cross => {
                let asset = self.markets[usize::from(p.instrument.0)].instrument.settle_asset();
                let a = self.ledger.account(acct)?;
                let wallet = a.balance(asset);
                match pool {
                    Some((x, i)) if x == asset => (MemberKind::Pool(i), wallet),
                    _ => {
                        let shares = a.positions().iter().any(|q| {
                            q.instrument != p.instrument
                                && q.mode == MarginMode::Cross
                                && !q.size.is_zero()
                                && self.markets[usize::from(q.instrument.0)].instrument.settle_asset()
                                    == asset
                        });
                        let other_collateral =
                            a.balances().iter().any(|&(x, c)| x != asset && c.is_positive());
                        (
                            if shares || other_collateral { MemberKind::Ledger } else { MemberKind::Cross },
                            wallet,
                        )
                    }
                }
            }
        };
        Ok(Member { account: acct, size: p.size, cost: p.cost, wallet, kind })
    }

    /// The equity of the pool record `i`: its wallet and every leg's PnL at its market's
    /// reference mark (a leg whose market has none counts nothing, as in the margin state).
    fn pool_equity(&self, i: u32) -> Result<Cash, VenueError> {
        let Some(pool) = self.adl_pools.get(i) else {
            return Err(VenueError::Invariant(format!("ADL pool record {i} missing")));
        };
        let mut equity = pool.wallet;
        for leg in &pool.legs {
            let Some(mark) = self.reference_mark(leg.instrument) else { continue };
            let p = Position {
                size: leg.size,
                cost: leg.cost,
                ..Position::flat(leg.instrument, MarginMode::Cross)
            };
            let instrument = &self.markets[usize::from(leg.instrument.0)].instrument;
            let upnl = p.unrealized_pnl(instrument, mark).map_err(overflow("upnl"))?;
            equity = equity.checked_add(upnl).map_err(overflow("equity"))?;
        }
        Ok(equity)
    }

    /// [`Venue::adl_candidates`] from the lists: the same candidates, in the lists' order.
    pub(super) fn listed_adl_candidates(
        &self,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        mark: Price,
    ) -> Result<Vec<AdlCandidate>, VenueError> {
        let side = self.markets[usize::from(ins.0)].adl.side(!bankrupt_long);
        let mut out = Vec::with_capacity(side.len());
        // A chunk's pool records and ledger accounts are read ahead together, so that their
        // cache misses overlap (one to main memory per member: a ranking reads every opposite
        // position of the market).
        for chunk in side.chunks(super::liquidation::WARM_CHUNK) {
            let mut warm = 0_i64;
            for r in chunk {
                match r.kind {
                    MemberKind::Pool(i) => {
                        if let Some(pool) = self.adl_pools.get(i) {
                            // Every leg: a record spans up to three cache lines.
                            let legs = pool.legs.iter().fold(0_i64, |w, l| w.wrapping_add(l.size.0));
                            warm = warm.wrapping_add(pool.wallet.0).wrapping_add(legs);
                        }
                    }
                    MemberKind::Ledger => {
                        if let Ok(a) = self.ledger.account(r.account) {
                            warm = warm.wrapping_add(a.positions().len() as i64);
                        }
                    }
                    MemberKind::Isolated | MemberKind::Cross => {}
                }
            }
            std::hint::black_box(warm);
            for r in chunk {
                self.push_listed(&mut out, r, acct, ins, bankrupt_long, mark)?;
            }
        }
        Ok(out)
    }

    /// Appends listed member `r` to `out` (unless it is `acct`, the bankrupt one), with the
    /// figures its ranking needs.
    fn push_listed(
        &self,
        out: &mut Vec<AdlCandidate>,
        r: &Member,
        acct: AccountId,
        ins: InstrumentId,
        bankrupt_long: bool,
        mark: Price,
    ) -> Result<(), VenueError> {
        let instrument = &self.markets[usize::from(ins.0)].instrument;
        if r.account == acct {
            return Ok(());
        }
        if r.kind == MemberKind::Ledger {
            return self.push_adl_candidate(out, r.account, acct, ins, bankrupt_long, mark);
        }
        let mode = if r.kind == MemberKind::Isolated { MarginMode::Isolated } else { MarginMode::Cross };
        let p = Position { size: r.size, cost: r.cost, ..Position::flat(ins, mode) };
        let upnl = p.unrealized_pnl(instrument, mark).map_err(overflow("upnl"))?;
        let equity = match r.kind {
            MemberKind::Pool(i) => self.pool_equity(i)?,
            _ => r.wallet.checked_add(upnl).map_err(overflow("equity"))?,
        };
        out.push(AdlCandidate {
            account: r.account,
            long: r.size.is_positive(),
            upnl,
            cost: r.cost,
            notional: instrument.value(mark, r.size, Round::Floor).map_err(overflow("notional"))?,
            wallet: r.wallet,
            equity,
            maintenance: Cash::ZERO,
        });
        Ok(())
    }
}
