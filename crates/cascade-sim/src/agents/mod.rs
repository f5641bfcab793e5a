//! The agents of a run, one behaviour per module, each parameterised by its scenario section:
//!
//! * [`population`]: the leveraged traders (passive; carried by the engine's stops, orders
//!   and liquidation index), with static and trailing stops, take-profits and dip buying;
//! * [`maker`]: market makers quoting volatility- and inventory-aware ladders;
//! * [`noise`] and [`value`]: background flow and trading toward fair value;
//! * [`arbitrageur`]: cross-venue and perpetual-versus-spot arbitrage;
//! * [`hedger`]: spot long, perpetual short, selling spot when ADL breaks the hedge;
//! * [`herd`]: copy-trading followers of a lead trader;
//! * [`shock`]: exogenous news and flow;
//! * [`sampling`]: the draws they share.
//!
//! [`Agents::build`] creates them all (funding their accounts) in scenario order, each kind and
//! index drawing from its own random stream (`rng.rs`), so adding an agent leaves every other
//! agent's draws unchanged.

pub mod arbitrageur;
pub mod chasers;
pub mod hedger;
pub mod herd;
pub mod maker;
pub mod noise;
pub mod population;
pub mod sampling;
pub mod shock;
pub mod value;

use crate::error::SimError;
use crate::rng::{StreamKind, Streams};
use crate::scenario::{Noise, Scenario};
use crate::world::{Owner, World};

pub use arbitrageur::Arbitrageur;
pub use hedger::Hedger;
pub use herd::{Follower, Herd};
pub use maker::Maker;
pub use noise::NoiseTrader;
pub use population::Population;
pub use shock::Shock;
pub use value::ValueTrader;

/// Every agent of a run.
#[derive(Debug)]
pub struct Agents {
    /// The leveraged trader population.
    pub population: Population,
    /// Market makers.
    pub makers: Vec<Maker>,
    /// Noise traders.
    pub noise: Vec<NoiseTrader>,
    /// Value traders.
    pub value: Vec<ValueTrader>,
    /// The `[noise]` section both read.
    pub noise_cfg: Noise,
    /// Arbitrageurs.
    pub arbs: Vec<Arbitrageur>,
    /// Hedgers.
    pub hedgers: Vec<Hedger>,
    /// Herd leaders.
    pub herds: Vec<Herd>,
    /// Herd followers.
    pub followers: Vec<Follower>,
    /// Shocks.
    pub shocks: Vec<Shock>,
}

/// The markets `refs` name, or every market when it is empty.
fn markets_of(
    world: &World,
    refs: &[crate::scenario::MarketRef],
    path: &str,
) -> Result<Vec<usize>, SimError> {
    if refs.is_empty() {
        return Ok((0..world.markets.len()).collect());
    }
    refs.iter()
        .enumerate()
        .map(|(i, r)| {
            world
                .find_market(&r.venue, &r.symbol)
                .ok_or_else(|| SimError::scenario(format!("{path}[{i}]"), format!("no market {r}")))
        })
        .collect()
}

/// Spot maker `id` of `[[makers]]` entry `k` on spot book `s`: an account at the book's venue
/// holding half its capital in the settle asset and half in the base asset, bought at the
/// asset's `index_price`.
fn spot_maker(
    cfg: &crate::scenario::Maker,
    k: usize,
    s: usize,
    id: u32,
    streams: &Streams,
    world: &mut World,
) -> Result<Maker, SimError> {
    let (v, asset) = (world.spots[s].market.venue, world.spots[s].market.asset);
    let capital = crate::world::build::cash(&format!("makers[{k}].capital"), cfg.capital)?;
    let a = world.open_account(v, Owner::Maker(id))?;
    let quote = crate::world::Market::cash_f64(capital) / 2.0;
    world.deposit(v, a, crate::world::Market::cash(quote))?;
    let base = crate::world::base_asset(asset);
    let start = crate::world::Market::cash(quote / world.assets[asset].fair);
    world.deposit_asset(v, a, base, start)?;
    let rng = streams.stream(StreamKind::Maker, u64::from(id));
    let inventory = maker::SpotInventory { asset, venue: v, base, start };
    Ok(Maker::spot(cfg, s, a, inventory, rng))
}

impl Agents {
    /// Creates every agent of `scenario` in `world`, funds their accounts and opens the
    /// positions that exist at time zero (population, hedgers).
    ///
    /// # Errors
    /// A reference to a market the world does not list, or an engine failure.
    pub fn build(scenario: &Scenario, streams: &Streams, world: &mut World) -> Result<Self, SimError> {
        let population = Population::seed(scenario, streams, world)?;
        let mut hedgers = Vec::new();
        for (k, cfg) in scenario.hedgers.iter().enumerate() {
            for _ in 0..cfg.count {
                let id = u32::try_from(hedgers.len()).unwrap_or(u32::MAX);
                hedgers.push(Hedger::open(cfg, k, id, world)?);
            }
        }
        let mut makers = Vec::new();
        for (k, cfg) in scenario.makers.iter().enumerate() {
            if let Some(s) = world.find_spot(&cfg.venue, &cfg.symbol) {
                if cfg.hedge_half_life_s.is_some() {
                    return Err(SimError::scenario(
                        format!("makers[{k}].hedge_half_life_s"),
                        "a spot maker holds the asset itself: only perpetual makers hedge",
                    ));
                }
                for _ in 0..cfg.count {
                    let id = u32::try_from(makers.len()).unwrap_or(u32::MAX);
                    makers.push(spot_maker(cfg, k, s, id, streams, world)?);
                }
                continue;
            }
            let m = world
                .find_market(&cfg.venue, &cfg.symbol)
                .ok_or_else(|| SimError::scenario(format!("makers[{k}]"), "no such market"))?;
            let v = world.markets[m].venue;
            if cfg.hedge_half_life_s.is_some() && !world.assets[world.markets[m].asset].books.is_empty() {
                return Err(SimError::scenario(
                    format!("makers[{k}].hedge_half_life_s"),
                    "the asset's index comes from [[assets.spot]] books, where an external hedge \
                     would move nothing: quote those books with a spot maker instead",
                ));
            }
            for _ in 0..cfg.count {
                let id = u32::try_from(makers.len()).unwrap_or(u32::MAX);
                let a = world.open_account(v, Owner::Maker(id))?;
                world.deposit(
                    v,
                    a,
                    crate::world::build::cash(&format!("makers[{k}].capital"), cfg.capital)?,
                )?;
                let rng = streams.stream(StreamKind::Maker, u64::from(id));
                makers.push(Maker::new(cfg, m, a, rng));
            }
        }
        let cfg = &scenario.noise;
        let noise_markets = markets_of(world, &cfg.markets, "noise.markets")?;
        let capital = crate::world::build::cash("noise.capital", cfg.capital)?;
        let mut noise = Vec::with_capacity(cfg.traders as usize);
        let mut value = Vec::with_capacity(cfg.value_traders as usize);
        if !noise_markets.is_empty() {
            for i in 0..cfg.traders as usize {
                let m = noise_markets[i % noise_markets.len()];
                let a = world.open_account(world.markets[m].venue, Owner::Nobody)?;
                world.deposit(world.markets[m].venue, a, capital)?;
                noise.push(NoiseTrader::new(m, a, streams.stream(StreamKind::Noise, i as u64)));
            }
            for i in 0..cfg.value_traders as usize {
                let m = noise_markets[i % noise_markets.len()];
                let a = world.open_account(world.markets[m].venue, Owner::Nobody)?;
                world.deposit(world.markets[m].venue, a, capital)?;
                value.push(ValueTrader::new(m, a, streams.stream(StreamKind::Value, i as u64)));
            }
        }
        let mut arbs = Vec::new();
        for (k, cfg) in scenario.arbitrageurs.iter().enumerate() {
            for _ in 0..cfg.count {
                arbs.push(Arbitrageur::new(cfg, k, world)?);
            }
        }
        let mut herds = Vec::new();
        let mut followers = Vec::new();
        for (k, cfg) in scenario.herds.iter().enumerate() {
            herds.push(Herd::new(cfg, k, streams, world, &mut followers)?);
        }
        let mut shocks = Vec::new();
        for (k, cfg) in scenario.shocks.iter().enumerate() {
            shocks.push(Shock::new(cfg, k, world)?);
        }
        Ok(Self {
            population,
            makers,
            noise,
            value,
            noise_cfg: scenario.noise.clone(),
            arbs,
            hedgers,
            herds,
            followers,
            shocks,
        })
    }
}
