//! Exogenous shocks: news that moves the fair value, and a seller (or buyer) that works a
//! notional into the perpetual markets.
//!
//! At `at_s` the asset's fair value (and so its spot index) jumps by `fair_value_move`, or with
//! `ramp_s > 0` starts moving by it evenly (in log terms) over `ramp_s` seconds. From the
//! same instant, one account per market of the listed venues sends a market order every
//! `slice_ms` for `duration_s`: the notional is split over the markets evenly, or by their
//! venue's `venue_weights`, and evenly over the slices.
//! A slice is sized at the market's current reference price (mid, else mark, else index) and is
//! capped by the venue's price band like any market order: what the book cannot take within the
//! band is not sent again (the flow is a schedule, not a target).

use cascade_engine::book::Side;
use cascade_engine::ledger::AccountId;

use crate::error::SimError;
use crate::scenario::{FlowSide, Shock as ShockCfg};
use crate::scheduler::SimTime;
use crate::world::{Market, Owner, World};

/// One shock's flow.
#[derive(Debug, Clone)]
pub struct Shock {
    /// World asset index.
    pub asset: usize,
    /// Fair-value move at the hit.
    pub fair_value_move: f64,
    /// Seconds over which the move is spread (0: a jump).
    ramp_s: u64,
    /// (market, account) the flow trades through.
    pub legs: Vec<(usize, AccountId)>,
    side: Side,
    /// Notional per slice of each leg (as `legs`), settle-asset units.
    pub slice_notional: Vec<f64>,
    /// Slices still to send.
    slices_left: u64,
    /// Time between slices.
    pub slice: SimTime,
    /// When the news hits.
    pub at: SimTime,
}

impl Shock {
    /// The flow of `cfg`, with one funded account per market it trades.
    ///
    /// # Errors
    /// An unknown asset, or an engine failure while funding.
    pub fn new(cfg: &ShockCfg, index: usize, world: &mut World) -> Result<Self, SimError> {
        let asset = world
            .assets
            .iter()
            .position(|a| a.name == cfg.asset)
            .ok_or_else(|| SimError::scenario(format!("shocks[{index}].asset"), "unknown asset"))?;
        let split = cfg.split();
        // (market, weight) of every market of the asset the flow reaches.
        let markets: Vec<(usize, f64)> = (0..world.markets.len())
            .filter(|&m| world.markets[m].asset == asset)
            .filter_map(|m| {
                let venue = &world.venues[world.markets[m].venue].name;
                if split.is_empty() {
                    return Some((m, 1.0));
                }
                split.iter().find(|(v, _)| *v == venue.as_str()).map(|&(_, w)| (m, w))
            })
            .collect();
        let notional = cfg.notional.to_f64();
        let slices = if notional > 0.0 {
            (cfg.duration_s.saturating_mul(1_000) / cfg.slice_ms.max(1)).max(1)
        } else {
            0
        };
        let total_weight: f64 = markets.iter().map(|&(_, w)| w).sum();
        let mut legs = Vec::with_capacity(markets.len());
        let mut slice_notional = Vec::with_capacity(markets.len());
        for &(m, w) in &markets {
            let share = notional * w / total_weight;
            let v = world.markets[m].venue;
            let a = world.open_account(v, Owner::Nobody)?;
            // Funded at 1x for its whole flow, plus room for fees and adverse prices.
            world.deposit(v, a, Market::cash(share * 1.5 + 1_000.0))?;
            legs.push((m, a));
            slice_notional.push(if slices > 0 { share / slices as f64 } else { 0.0 });
        }
        Ok(Self {
            asset,
            fair_value_move: cfg.fair_value_move,
            ramp_s: cfg.ramp_s,
            legs,
            side: match cfg.side {
                FlowSide::Sell => Side::Sell,
                FlowSide::Buy => Side::Buy,
            },
            slice_notional,
            slices_left: slices,
            slice: SimTime::from_millis(cfg.slice_ms.max(1)),
            at: SimTime::from_secs(cfg.at_s),
        })
    }

    /// The news hits: the fair value jumps, or starts its ramp.
    pub fn hit(&self, world: &mut World) {
        let asset = &mut world.assets[self.asset];
        if self.ramp_s == 0 {
            asset.jump(self.fair_value_move);
        } else {
            asset.ramp(self.fair_value_move, self.at.as_micros() as f64 / 1e6, self.ramp_s as f64);
        }
    }

    /// Sends one slice on every market; returns whether more slices remain.
    ///
    /// # Errors
    /// An engine failure.
    pub fn send_slice(&mut self, world: &mut World) -> Result<bool, SimError> {
        if self.slices_left == 0 {
            return Ok(false);
        }
        self.slices_left -= 1;
        for (&(m, account), &slice) in self.legs.iter().zip(&self.slice_notional) {
            let mk = &world.markets[m];
            let Some(price) = mk.reference(world.book(m)) else { continue };
            let qty = mk.qty_for_value(Market::cash(slice), price);
            if qty.is_positive() && qty >= mk.instrument.spec().min_qty {
                world.market_order(m, account, self.side, qty, false)?;
            }
        }
        Ok(self.slices_left > 0)
    }
}
