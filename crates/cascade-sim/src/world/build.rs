//! Builds a world from a scenario: one engine per `[[venues]]` entry under its named rule set,
//! every instrument with its margin tiers (the scenario's override or the rule set's table),
//! the insurance funds, one asset state per `[[assets]]`, and a recorder market per instrument.
//!
//! Every decimal of the scenario becomes an engine integer here, exactly (a value that does not
//! fit its precision is a scenario error naming the field), never through a float.

use cascade_engine::margin::tiers::{Leverage, RiskTiers, TierBasis, TierSpec};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, RATE_DECIMALS, Rate};
use cascade_engine::policy::{MarkSmoother, MarkSmoothing};
use cascade_engine::pricing::VenueKind;
use cascade_engine::risk::rules::RuleSet;
use cascade_engine::venue::{Venue, VenueConfig};

use super::{AssetState, Market, SETTLE, VenueSlot, World};
use crate::error::SimError;
use crate::metrics::Recorder;
use crate::rng::{StreamKind, Streams};
use crate::scenario::{Dec, MarkSmoothing as SmoothingCfg, PricesPolicy, Scenario, Tier, Track, applies};
use crate::scheduler::SimTime;

/// `d` as an engine integer with `places` decimals, or a scenario error at `field`.
pub fn scaled(field: &str, d: Dec, places: u32) -> Result<i64, SimError> {
    d.to_scaled(places)
        .ok_or_else(|| SimError::scenario(field, format!("{d} does not fit {places} decimal places exactly")))
}

/// `d` as settle-asset cash.
pub fn cash(field: &str, d: Dec) -> Result<Cash, SimError> {
    scaled(field, d, CASH_DECIMALS).map(Cash)
}

/// `d` as a rate.
pub fn rate(field: &str, d: Dec) -> Result<Rate, SimError> {
    scaled(field, d, RATE_DECIMALS).map(Rate)
}

fn tiers(path: &str, tiers: &[Tier]) -> Result<RiskTiers, SimError> {
    let mut specs = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let f = |name: &str| format!("{path}[{i}].{name}");
        let lev = Leverage::from_int(i64::from(t.max_leverage))
            .map_err(|_| SimError::scenario(f("max_leverage"), "too large"))?;
        specs.push(TierSpec {
            floor: cash(&f("floor"), t.floor)?.0,
            mmr: rate(&f("mmr"), t.mmr)?,
            imr: t.imr.map(|x| rate(&f("imr"), x)).transpose()?,
            max_leverage: Some(lev),
            maintenance_amount: t
                .maintenance_amount
                .map(|x| cash(&f("maintenance_amount"), x))
                .transpose()?,
        });
    }
    RiskTiers::new(TierBasis::Notional, &specs).map_err(|e| SimError::scenario(path, e.to_string()))
}

/// The engine's mark smoother for `[policy.prices]`: one sample a second, the window in seconds.
/// The look-back track of asset `i` (`lookback_path`), if it has one.
fn lookback_track(
    i: usize,
    a: &crate::scenario::Asset,
    start_ms: Option<u64>,
) -> Result<Option<Track>, SimError> {
    if a.lookback_path.is_none() {
        return Ok(None);
    }
    let (Some(path), Some(start)) = (&a.lookback_price_path, start_ms) else {
        return Err(SimError::scenario(
            format!("assets[{i}].lookback_path"),
            "the look-back file was not loaded, or run.start_utc is missing (read the scenario with \
             cascade_io::read_scenario)",
        ));
    };
    Ok(Some(Track::new(path, start)))
}

fn smoother(p: &PricesPolicy) -> Result<MarkSmoother, SimError> {
    let w = p.mark_window_s.max(1);
    let rule = match p.mark_smoothing {
        SmoothingCfg::Median => MarkSmoothing::Median {
            window: usize::try_from(w).unwrap_or(usize::MAX),
            sample_interval_ms: 1_000,
        },
        SmoothingCfg::Ema => MarkSmoothing::Ema {
            tau_ms: i64::try_from(w.saturating_mul(1_000)).unwrap_or(i64::MAX),
            sample_interval_ms: 1_000,
        },
    };
    MarkSmoother::new(rule).map_err(|e| SimError::scenario("policy.prices", e.to_string()))
}

impl World {
    /// The world of `scenario` at time zero, with forced liquidations on or off at every venue.
    /// Agents are added afterwards (see `agents`).
    ///
    /// # Errors
    /// [`SimError::Scenario`] naming the field the engine cannot represent or refuses.
    pub fn build(scenario: &Scenario, seed: u64, liquidations: bool) -> Result<Self, SimError> {
        let streams = Streams::new(seed);
        let interval = SimTime::from_millis(scenario.run.metrics_interval_ms.max(1));
        let mut recorder = Recorder::new(interval);
        let mut assets = Vec::with_capacity(scenario.assets.len());
        let start_ms = scenario.run.start_unix_ms();
        for (i, a) in scenario.assets.iter().enumerate() {
            let rng = streams.stream(StreamKind::FairValue, i as u64);
            let (depth, half_life) = (a.spot_depth_1pct().to_f64(), a.spot_recovery_half_life_s() as f64);
            if a.path.is_some() {
                let (Some(path), Some(start)) = (&a.price_path, start_ms) else {
                    return Err(SimError::scenario(
                        format!("assets[{i}].path"),
                        "the price file was not loaded, or run.start_utc is missing (read the scenario with \
                         cascade_io::read_scenario)",
                    ));
                };
                if path.price_at_point(start).is_none() {
                    return Err(SimError::scenario(
                        "run.start_utc",
                        "not a close time of the asset's price path",
                    ));
                }
                let mut st =
                    AssetState::on_track(a.name.clone(), Track::new(path, start), depth, half_life, rng);
                st.lookback = lookback_track(i, a, start_ms)?;
                st.pinned = a.index_from_path();
                st.perp_flow_share = a.perp_flow_to_spot.unwrap_or(0.0);
                st.perp_flow_lag_s = a.perp_flow_lag_s.unwrap_or(0) as f64;
                assets.push(st);
                continue;
            }
            let price = a.start_price(start_ms).map_or(f64::NAN, |p| p.to_f64());
            if !(price.is_finite() && price > 0.0) {
                return Err(SimError::scenario(format!("assets[{i}].index_price"), "must be > 0"));
            }
            let mut st = AssetState::new(a.name.clone(), price, a.volatility(), depth, half_life, rng);
            st.perp_flow_share = a.perp_flow_to_spot.unwrap_or(0.0);
            st.perp_flow_lag_s = a.perp_flow_lag_s.unwrap_or(0) as f64;
            st.lookback = lookback_track(i, a, start_ms)?;
            assets.push(st);
        }
        let start_ms_of_day = scenario.run.start_ms_of_day();
        let mut venues = Vec::with_capacity(scenario.venues.len());
        let mut markets = Vec::new();
        for (vi, v) in scenario.venues.iter().enumerate() {
            let p = format!("venues[{vi}]");
            let margin_venue = v.rule_set().map_err(|e| SimError::scenario(format!("{p}.rules"), e))?;
            let kind: VenueKind = margin_venue;
            let config = VenueConfig {
                market_band: rate(&format!("{p}.market_band"), v.market_band)?,
                rules: RuleSet::of(margin_venue),
                enforce_initial_margin: true,
                liquidations,
                safeguards: super::policy::safeguards(&scenario.policy, &v.name, margin_venue)?,
                ..VenueConfig::default()
            };
            let mut engine = Venue::new(config);
            let capital = cash(&format!("{p}.backstop_capital"), v.backstop_capital)?;
            if capital.is_positive() {
                engine
                    .set_backstop_capital(SETTLE, capital)
                    .map_err(|e| SimError::scenario(format!("{p}.backstop_capital"), e.to_string()))?;
            }
            let fund = super::policy::insurance_fund(
                &scenario.policy,
                &v.name,
                v.insurance_fund,
                &format!("{p}.insurance_fund"),
            )?;
            if fund.is_positive() {
                engine
                    .seed_insurance_fund(SETTLE, fund)
                    .map_err(|e| SimError::scenario(format!("{p}.insurance_fund"), e.to_string()))?;
            }
            let mut slot_markets = Vec::with_capacity(v.instruments.len());
            for (ii, ins) in v.instruments.iter().enumerate() {
                let ip = format!("{p}.instruments[{ii}]");
                let spec = ins
                    .engine_spec(SETTLE)
                    .map_err(|(field, reason)| SimError::scenario(format!("{ip}.{field}"), reason))?;
                let id = if ins.tiers.is_empty() {
                    engine.add_instrument(spec)
                } else {
                    let t = tiers(&format!("{ip}.tiers"), &ins.tiers)?;
                    engine.add_instrument_with_tiers(spec, t)
                }
                .map_err(|e| SimError::scenario(ip.clone(), e.to_string()))?;
                if ins.tier_contract.is_some() && engine.tiers(id).is_ok_and(|t| t.basis() != TierBasis::Size)
                {
                    return Err(SimError::scenario(
                        format!("{ip}.tier_contract"),
                        format!(
                            "the tiers of {} at `{}` count notional, not contracts: tier_contract would do nothing",
                            ins.symbol, v.name
                        ),
                    ));
                }
                let asset = scenario.assets.iter().position(|a| a.name == ins.asset).ok_or_else(|| {
                    SimError::scenario(format!("{ip}.asset"), format!("unknown asset `{}`", ins.asset))
                })?;
                let instrument =
                    engine.instrument(id).map_err(|e| SimError::scenario(ip.clone(), e.to_string()))?.clone();
                let key = recorder.add_market(&v.name, &ins.symbol);
                let mut market = Market::new(vi, id, asset, instrument, kind, key, start_ms_of_day)
                    .map_err(|e| SimError::scenario(format!("{p}.rules"), e.to_string()))?;
                if let Some(pp) = scenario.policy.prices.as_ref().filter(|pp| applies(&pp.venues, &v.name)) {
                    market.smoother = Some(smoother(pp)?);
                }
                let a = &scenario.assets[asset];
                if let (true, Some(path), Some(start)) = (a.index_from_path(), &a.price_path, start_ms) {
                    let decimals = market.instrument.spec().price_decimals;
                    let r = super::replay::ReplayIndex::new(path, start, decimals).map_err(|e| {
                        SimError::scenario(format!("assets[{asset}].path"), format!("`{}`, {e}", path.source))
                    })?;
                    market.replay = Some(r);
                }
                slot_markets.push(markets.len());
                markets.push(market);
            }
            venues.push(VenueSlot {
                name: v.name.clone(),
                kind,
                engine,
                markets: slot_markets,
                owners: Vec::new(),
                band: super::policy::order_band(&scenario.policy, &v.name, v.market_band.to_f64()),
            });
        }
        // Spot books, after every venue's perpetuals (so a venue's instrument ids past its
        // perpetuals are its spot books).
        let mut spots = Vec::new();
        for (i, a) in scenario.assets.iter().enumerate() {
            for (j, book) in a.spot.iter().enumerate() {
                let p = format!("assets[{i}].spot[{j}]");
                let vi = venues.iter().position(|v: &VenueSlot| v.name == book.venue).ok_or_else(|| {
                    SimError::scenario(format!("{p}.venue"), format!("unknown venue `{}`", book.venue))
                })?;
                let spec = book
                    .engine_spec(super::base_asset(i), SETTLE)
                    .map_err(|(field, reason)| SimError::scenario(format!("{p}.{field}"), reason))?;
                let engine = &mut venues[vi].engine;
                let id =
                    engine.add_instrument(spec).map_err(|e| SimError::scenario(p.clone(), e.to_string()))?;
                let instrument =
                    engine.instrument(id).map_err(|e| SimError::scenario(p.clone(), e.to_string()))?.clone();
                let key = crate::metrics::MarketKey(u32::MAX);
                let market = Market::new(vi, id, i, instrument, venues[vi].kind, key, start_ms_of_day)
                    .map_err(|e| SimError::scenario(p.clone(), e.to_string()))?;
                assets[i].books.push(spots.len());
                spots.push(super::SpotBook { market, weight: u64::from(book.weight) });
            }
        }
        let mut world = World {
            venues,
            markets,
            spots,
            assets,
            now: SimTime::ZERO,
            recorder,
            notices: Vec::new(),
            counters: super::Counters::default(),
            events: Vec::new(),
            scratch: super::record::Scratch::default(),
            mids: Vec::new(),
            seeders: Vec::new(),
            traded: Vec::new(),
            running: false,
            transfers: super::Transfers::default(),
            policy: super::PolicyState::default(),
            collateral: Vec::new(),
        };
        world.install_collateral(scenario)?;
        world.install_followers(scenario);
        // Insurance funds and backstop capital came from outside; so will every deposit after.
        world.transfers.external = world.settle_net_deposits();
        world.transfers.tally = vec![super::TransferTally::default(); world.venues.len()];
        Ok(world)
    }

    /// The spot book listed by `venue` with `symbol`, if any.
    #[must_use]
    pub fn find_spot(&self, venue: &str, symbol: &str) -> Option<usize> {
        self.spots.iter().position(|s| self.venues[s.market.venue].name == venue && s.market.symbol == symbol)
    }

    /// Markets listed by `venue` with `symbol`, if any.
    #[must_use]
    pub fn find_market(&self, venue: &str, symbol: &str) -> Option<usize> {
        self.markets.iter().position(|m| self.venues[m.venue].name == venue && m.symbol == symbol)
    }

    /// Market `m`'s index now from the real path of a replayed asset (`index = "path"`),
    /// exact in its price units; `None` for a market whose index the simulation makes.
    #[must_use]
    pub fn replay_index(&self, m: usize) -> Option<Price> {
        let us = i64::try_from(self.now.as_micros()).unwrap_or(i64::MAX);
        self.markets[m].replay.as_ref().map(|r| r.at(us))
    }

    /// The spot index market `m` follows now, quote currency: the asset's pressure-model spot
    /// price, or for an asset with spot books the market's own index as last computed from
    /// them (the fair value before the first price step).
    #[must_use]
    pub fn spot_of(&self, m: usize) -> f64 {
        let mk = &self.markets[m];
        let asset = &self.assets[mk.asset];
        if asset.books.is_empty() {
            return asset.spot();
        }
        mk.index.map_or(asset.fair, |p| mk.to_f64(p))
    }
}
