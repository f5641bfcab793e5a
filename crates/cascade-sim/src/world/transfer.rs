//! Collateral transfers between venues, and the world's money accounting across venues.
//!
//! A transfer withdraws the settle asset from an account at one venue now (through the engine's
//! checked [`Venue::withdraw`](cascade_engine::venue::Venue::withdraw): never more than the
//! account's free margin) and deposits it at another venue when it arrives. In between the
//! money is **in flight**: in neither venue's ledger, usable by nobody, and counted here.
//!
//! Each venue's engine checks its own conservation (Σ holdings = deposits − withdrawals). Across
//! venues the world checks, exactly, in integers:
//!
//! * Σ over venues of (settle deposits − withdrawals) + in flight = money put into the world
//!   from outside (agents' funding, insurance funds and backstop capital at build);
//! * in flight = Σ sent − Σ arrived = Σ of the transfers not yet arrived;
//! * per venue, the transfers out and in it counted match the log.

use cascade_engine::ledger::AccountId;
use cascade_engine::num::Cash;

use super::{SETTLE, World, refused};
use crate::error::SimError;
use crate::scheduler::SimTime;

/// Identity of a transfer: its index in [`Transfers::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferId(pub u32);

/// One transfer of settle asset between venues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Venue withdrawn from.
    pub from_venue: usize,
    /// Account withdrawn from.
    pub from: AccountId,
    /// Venue credited on arrival.
    pub to_venue: usize,
    /// Account credited on arrival.
    pub to: AccountId,
    /// Amount, settle-asset units.
    pub amount: Cash,
    /// When it left `from_venue`.
    pub sent_at: SimTime,
    /// When it reached `to_venue` (`None` while in flight).
    pub arrived_at: Option<SimTime>,
}

/// Per-venue counts of transfers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferTally {
    /// Transfers that left the venue.
    pub out_count: u64,
    /// Σ of what left, raw settle-asset units.
    pub out_amount: i128,
    /// Transfers that arrived at the venue.
    pub in_count: u64,
    /// Σ of what arrived, raw settle-asset units.
    pub in_amount: i128,
}

/// Every transfer of the run and the world's money accounting.
#[derive(Debug, Clone, Default)]
pub struct Transfers {
    /// Every transfer, by id.
    pub log: Vec<Transfer>,
    /// Per venue, in scenario order.
    pub tally: Vec<TransferTally>,
    /// Σ of the transfers not yet arrived, raw settle-asset units.
    pub in_flight: i128,
    /// Money of the settle asset put into the world from outside, raw units.
    pub external: i128,
    /// Ids of the transfers in flight, oldest first.
    pending: Vec<TransferId>,
    /// `[policy.transfers]`: the network's delay, capacity and outages, if set.
    pub rules: Option<TransferRules>,
}

/// `[policy.transfers]` in simulator units: which transfers it governs, the delay that replaces
/// theirs, the capacity of each venue's inbound channel and the outage windows.
#[derive(Debug, Clone, Default)]
pub struct TransferRules {
    /// Per venue: transfers leaving or reaching it are governed.
    pub governed: Vec<bool>,
    /// Delay replacing every governed transfer's own.
    pub delay: Option<SimTime>,
    /// Most that can arrive at a venue per `interval`, raw settle-asset units.
    pub capacity: Option<Cash>,
    /// The capacity's interval.
    pub interval: SimTime,
    /// Windows `[start, end)` when nothing starts or completes.
    pub outages: Vec<(SimTime, SimTime)>,
    /// Per venue: when its inbound channel is free again.
    pub(crate) free_at: Vec<SimTime>,
}

impl TransferRules {
    /// Whether a transfer from venue `from` to venue `to` is governed.
    #[must_use]
    pub fn governs(&self, from: usize, to: usize) -> bool {
        self.governed.get(from).copied().unwrap_or(false) || self.governed.get(to).copied().unwrap_or(false)
    }

    /// The end of the outage `t` falls in (after chained windows), if the network is down at `t`.
    #[must_use]
    pub fn down_until(&self, t: SimTime) -> Option<SimTime> {
        let mut at = t;
        let mut down = false;
        // Windows may overlap or touch: follow them until `at` is outside all.
        while let Some(&(_, end)) = self.outages.iter().find(|(s, e)| *s <= at && at < *e) {
            at = end;
            down = true;
        }
        down.then_some(at)
    }

    /// When a governed transfer of `amount` to venue `to`, due at `due`, arrives: not during an
    /// outage (then at its end), and not before the venue's inbound channel is free; it then
    /// occupies the channel for `amount / capacity × interval` (rounded up to a microsecond).
    pub fn arrival(&mut self, to: usize, amount: Cash, due: SimTime) -> SimTime {
        let mut at = self.down_until(due).unwrap_or(due);
        if let Some(c) = self.capacity.filter(|c| c.is_positive()) {
            if self.free_at.len() <= to {
                self.free_at.resize(to + 1, SimTime::ZERO);
            }
            at = at.max(self.free_at[to]);
            at = self.down_until(at).unwrap_or(at);
            let busy =
                (i128::from(amount.0.max(0)) * i128::from(self.interval.as_micros()) + i128::from(c.0) - 1)
                    / i128::from(c.0);
            self.free_at[to] =
                SimTime(at.as_micros().saturating_add(u64::try_from(busy).unwrap_or(u64::MAX)));
        }
        at
    }
}

impl Transfers {
    /// Money on its way to `account` at venue `v`.
    #[must_use]
    pub fn in_flight_to(&self, v: usize, account: AccountId) -> Cash {
        let raw: i64 = self
            .pending
            .iter()
            .map(|id| self.log[id.0 as usize])
            .filter(|t| t.to_venue == v && t.to == account)
            .map(|t| t.amount.0)
            .sum();
        Cash(raw)
    }

    /// Money on its way to venue `v`, whoever it is for.
    #[must_use]
    pub fn in_flight_to_venue(&self, v: usize) -> Cash {
        Cash(
            self.pending
                .iter()
                .map(|id| self.log[id.0 as usize])
                .filter(|t| t.to_venue == v)
                .map(|t| t.amount.0)
                .sum(),
        )
    }

    fn tally_mut(&mut self, v: usize) -> &mut TransferTally {
        if self.tally.len() <= v {
            self.tally.resize(v + 1, TransferTally::default());
        }
        &mut self.tally[v]
    }
}

impl World {
    /// Σ over venues of the settle asset's deposits − withdrawals, raw units.
    #[must_use]
    pub fn settle_net_deposits(&self) -> i128 {
        self.venues
            .iter()
            .map(|v| {
                let s = v.engine.ledger().system(SETTLE);
                s.deposits - s.withdrawals
            })
            .sum()
    }

    /// What `account` at venue `v` may withdraw of the settle asset now (its wallet, within
    /// its free margin while it holds positions).
    #[must_use]
    pub fn withdrawable(&self, v: usize, account: AccountId) -> Cash {
        self.venues[v].engine.withdrawable(account, SETTLE).unwrap_or(Cash::ZERO)
    }

    /// `account`'s free margin at venue `v`: its cross pool's equity at the marks less the
    /// initial margin of its positions (negative when short of it).
    #[must_use]
    pub fn free_margin(&self, v: usize, account: AccountId) -> Cash {
        self.venues[v]
            .engine
            .pool_margin(account, SETTLE)
            .ok()
            .and_then(|s| s.equity.checked_sub(s.initial).ok())
            .unwrap_or(Cash::ZERO)
    }

    /// Withdraws `amount` from `from` at venue `from_venue` now, if its margin allows, and puts
    /// it in flight to `to` at `to_venue`. `None` when nothing left (the venue refused: more
    /// than the free margin or the wallet; or a non-positive amount).
    ///
    /// # Errors
    /// The engine refused for a reason other than margin or balance (a bug).
    pub fn send(
        &mut self,
        from_venue: usize,
        from: AccountId,
        to_venue: usize,
        to: AccountId,
        amount: Cash,
    ) -> Result<Option<TransferId>, SimError> {
        if !amount.is_positive() || to_venue >= self.venues.len() {
            return Ok(None);
        }
        self.counters.engine_calls += 1;
        match self.venues[from_venue].engine.withdraw(from, SETTLE, amount) {
            Ok(()) => {}
            Err(e) if refused(&e) || matches!(e, cascade_engine::venue::VenueError::Ledger(_)) => {
                return Ok(None);
            }
            Err(e) => return Err(self.venue_err(from_venue, e)),
        }
        let id = TransferId(u32::try_from(self.transfers.log.len()).unwrap_or(u32::MAX));
        let now = self.now;
        let t = &mut self.transfers;
        t.log.push(Transfer { from_venue, from, to_venue, to, amount, sent_at: now, arrived_at: None });
        t.pending.push(id);
        t.in_flight += i128::from(amount.0);
        let out = t.tally_mut(from_venue);
        out.out_count += 1;
        out.out_amount += i128::from(amount.0);
        Ok(Some(id))
    }

    /// Transfer `id` arrives now: its amount is credited at its destination.
    ///
    /// # Errors
    /// An unknown transfer or one that already arrived (a bug), or an engine refusal.
    pub fn arrive(&mut self, id: TransferId) -> Result<(), SimError> {
        let Some(k) = self.transfers.pending.iter().position(|&p| p == id) else {
            return Err(SimError::Invariant {
                venue: "transfers".into(),
                time: self.now,
                event: 0,
                message: format!("transfer {} arrived but is not in flight", id.0),
            });
        };
        self.transfers.pending.remove(k);
        let now = self.now;
        let t = &mut self.transfers.log[id.0 as usize];
        t.arrived_at = Some(now);
        let (v, account, amount) = (t.to_venue, t.to, t.amount);
        self.transfers.in_flight -= i128::from(amount.0);
        let tally = self.transfers.tally_mut(v);
        tally.in_count += 1;
        tally.in_amount += i128::from(amount.0);
        self.counters.engine_calls += 1;
        self.venues[v].engine.deposit(account, SETTLE, amount).map_err(|e| self.venue_err(v, e))
    }

    /// Checks the accounting across venues (module docs).
    ///
    /// # Errors
    /// [`SimError::Invariant`] naming what failed.
    pub fn check_transfers(&self, event: u64) -> Result<(), SimError> {
        let fail = |message: String| {
            Err(SimError::Invariant { venue: "transfers".into(), time: self.now, event, message })
        };
        let t = &self.transfers;
        let pending: i128 = t.pending.iter().map(|id| i128::from(t.log[id.0 as usize].amount.0)).sum();
        let (sent, arrived): (i128, i128) =
            t.tally.iter().fold((0, 0), |(s, a), x| (s + x.out_amount, a + x.in_amount));
        if pending != t.in_flight || sent - arrived != t.in_flight {
            return fail(format!(
                "in flight {} but pending transfers sum to {pending} and sent − arrived = {}",
                t.in_flight,
                sent - arrived
            ));
        }
        for (v, x) in t.tally.iter().enumerate() {
            let out = t.log.iter().filter(|l| l.from_venue == v);
            let inn = t.log.iter().filter(|l| l.to_venue == v && l.arrived_at.is_some());
            let (oc, oa) = out.fold((0_u64, 0_i128), |(c, a), l| (c + 1, a + i128::from(l.amount.0)));
            let (ic, ia) = inn.fold((0_u64, 0_i128), |(c, a), l| (c + 1, a + i128::from(l.amount.0)));
            if (oc, oa, ic, ia) != (x.out_count, x.out_amount, x.in_count, x.in_amount) {
                return fail(format!("venue {v}'s transfer counts do not match the log"));
            }
        }
        let held = self.settle_net_deposits();
        if held + t.in_flight != t.external {
            return fail(format!(
                "venues hold {held} net of deposits and withdrawals and {} is in flight, but {} was \
                 put into the world",
                t.in_flight, t.external
            ));
        }
        Ok(())
    }
}
