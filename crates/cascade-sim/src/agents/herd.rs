//! Copy-trading herds: followers mirroring a lead trader's orders after a delay.
//!
//! The leader opens at `leader_entry_s` with a market order (its notional ten draws' worth of
//! the herd's size distribution: lead traders are larger than their followers) and closes at
//! `leader_exit_s`. Each follower copies every move after its own lag, drawn uniformly in
//! `lag_ms ± lag_jitter_ms`, at its own size (drawn from `[herds.size]`, so the size ratio to
//! the leader varies), leverage (the herd's mix) and margin mode. Because they pile into the
//! same side within seconds, their entries and liquidation prices cluster: a herd is a ready
//! cascade. Followers deposit their margin at time zero and are scheduled only at their two
//! copy times.

use cascade_engine::book::Side;
use cascade_engine::ledger::AccountId;
use cascade_engine::num::Qty;
use rand::RngExt;

use super::sampling;
use crate::error::SimError;
use crate::rng::{StreamKind, Streams};
use crate::scenario::{Herd as HerdCfg, PositionSide};
use crate::scheduler::SimTime;
use crate::world::{Market, Owner, World};

/// Leader's notional in draws of the followers' size distribution.
const LEADER_SIZE: f64 = 10.0;

/// One herd's leader.
#[derive(Debug, Clone)]
pub struct Herd {
    /// World market index.
    pub market: usize,
    /// The leader's account.
    pub leader: AccountId,
    leader_notional: f64,
    /// Side of the leader's position.
    pub side: Side,
    /// When the leader opens.
    pub entry: SimTime,
    /// When it closes, if ever.
    pub exit: Option<SimTime>,
    /// Its followers (indices into the followers list).
    pub followers: std::ops::Range<u32>,
}

/// One follower.
#[derive(Debug, Clone, Copy)]
pub struct Follower {
    /// World market index.
    pub market: usize,
    /// Its account.
    pub account: AccountId,
    /// Its herd's side.
    pub side: Side,
    notional: f64,
    /// Delay after each of the leader's moves.
    pub lag: SimTime,
}

impl Herd {
    /// Herd `index` of `cfg` with its followers, appended to `followers`; everyone funded.
    ///
    /// # Errors
    /// An unknown market, or an engine failure.
    pub fn new(
        cfg: &HerdCfg,
        index: usize,
        streams: &Streams,
        world: &mut World,
        followers: &mut Vec<Follower>,
    ) -> Result<Self, SimError> {
        let m = world
            .find_market(&cfg.venue, &cfg.symbol)
            .ok_or_else(|| SimError::scenario(format!("herds[{index}]"), "no such market"))?;
        let v = world.markets[m].venue;
        let mut rng = streams.stream(StreamKind::Herd, index as u64);
        let side = match cfg.side {
            PositionSide::Long => Side::Buy,
            PositionSide::Short => Side::Sell,
        };
        let max_lev = world.max_opening_leverage(m);
        let leader = world.open_account(v, Owner::Nobody)?;
        let leader_notional: f64 =
            (0..LEADER_SIZE as usize).map(|_| sampling::size(&cfg.size, &mut rng)).sum();
        world.configure(m, leader, false, 10.min(max_lev))?;
        world.deposit(v, leader, Market::cash(leader_notional / 5.0 + 100.0))?;
        let first = u32::try_from(followers.len()).unwrap_or(u32::MAX);
        for _ in 0..cfg.followers {
            let id = u32::try_from(followers.len()).unwrap_or(u32::MAX);
            let account = world.open_account(v, Owner::Follower(id))?;
            let lev = u16::try_from(sampling::leverage(&cfg.leverage, &mut rng))
                .unwrap_or(u16::MAX)
                .min(max_lev)
                .max(1);
            let isolated = rng.random_bool(cfg.isolated_share);
            let notional = sampling::size(&cfg.size, &mut rng);
            let lo = cfg.lag_ms.saturating_sub(cfg.lag_jitter_ms);
            let hi = cfg.lag_ms.saturating_add(cfg.lag_jitter_ms);
            let lag = SimTime::from_millis(rng.random_range(lo..=hi));
            world.configure(m, account, isolated, lev)?;
            // Margin at its leverage, plus a tenth for fees and slippage.
            let margin = notional / f64::from(lev) * 1.1 + 1.0;
            world.deposit(v, account, Market::cash(margin))?;
            if isolated {
                world.add_isolated_margin(m, account, Market::cash(margin))?;
            }
            followers.push(Follower { market: m, account, side, notional, lag });
        }
        let last = u32::try_from(followers.len()).unwrap_or(u32::MAX);
        Ok(Self {
            market: m,
            leader,
            leader_notional,
            side,
            entry: SimTime::from_secs(cfg.leader_entry_s),
            exit: cfg.leader_exit_s.map(SimTime::from_secs),
            followers: first..last,
        })
    }

    /// The leader opens (`open`) or closes its position at market.
    ///
    /// # Errors
    /// An engine failure.
    pub fn lead(&self, world: &mut World, open: bool) -> Result<(), SimError> {
        trade(world, self.market, self.leader, self.side, self.leader_notional, open)
    }
}

impl Follower {
    /// Copies the leader's open (`open`) or close.
    ///
    /// # Errors
    /// An engine failure.
    pub fn copy(&self, world: &mut World, open: bool) -> Result<(), SimError> {
        trade(world, self.market, self.account, self.side, self.notional, open)
    }
}

/// Opens `notional` on `side` at market, or closes whatever position is left.
fn trade(
    world: &mut World,
    m: usize,
    account: AccountId,
    side: Side,
    notional: f64,
    open: bool,
) -> Result<(), SimError> {
    let mk = &world.markets[m];
    let Some(price) = mk.reference(world.book(m)) else { return Ok(()) };
    if open {
        let qty = mk.qty_for_value(Market::cash(notional), price).max(mk.min_order_qty(price));
        world.market_order(m, account, side, qty, false)?;
    } else {
        let pos = world.position(m, account);
        if !pos.is_zero() {
            let close = if pos.is_positive() { Side::Sell } else { Side::Buy };
            world.market_order(m, account, close, Qty(pos.0.abs()), true)?;
        }
    }
    Ok(())
}
