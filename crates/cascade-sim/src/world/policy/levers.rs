//! The scenario's `[policy]` mapped onto the world: the engine levers each venue gets (leverage
//! caps, the dynamic-margin multiplier) and the simulator's own (the transfer network's rules),
//! with the counts a run reports of what the policy changed (`summary.json` → `policy`).
//!
//! The engine knows nothing of scenarios: this module turns decimals into engine integers and
//! floats (realized volatility, a statistic) into a [`Rate`] only at the call. Mark smoothing
//! is set when a market is built (`build.rs`); the population's stop policy lives with the
//! population (`agents/population.rs`).

use cascade_engine::margin::tiers::Leverage;
use cascade_engine::num::{Cash, RATE_ONE, Rate};
use cascade_engine::policy::{CapStep, LeverageCap, MarginRamp, margin_multiplier};
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::scenario::{CapStep as CapStepCfg, LeveragePolicy, MarginPolicy, Policy, applies};
use crate::scheduler::SimTime;
use crate::world::World;
use crate::world::build::cash;

/// What the policy changed in a run, for `summary.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// Population accounts whose drawn leverage `[policy.leverage] population_max` lowered, plus
    /// the basket legs (`[population.baskets]`) it lowered.
    pub leverage_capped_accounts: u64,
    /// Orders the venues refused for a leverage cap.
    pub orders_refused_leverage_cap: u64,
    /// Changes of a market's margin multiplier (`[policy.margin]`).
    pub margin_changes: u64,
    /// Highest margin multiplier in force on any market during the run (1 without the policy).
    pub margin_multiplier_max: f64,
    /// Transfers that arrived later than their delay because of the capacity or an outage.
    pub transfers_deferred: u64,
    /// Transfers not started because the network was down.
    pub transfers_refused_outage: u64,
    /// Stop-losses the volatility-scaled stop policy moved (`[policy.stops]`).
    pub stops_moved: u64,
    /// Lines a person should read: each value the program changed, said once.
    pub warnings: Vec<String>,
}

/// Dynamic margin of one market.
#[derive(Debug, Clone)]
struct MarginState {
    market: usize,
    ramp: MarginRamp,
}

/// The world's policy state.
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// What changed, so far.
    pub report: PolicyReport,
    margin: Option<MarginPolicy>,
    margin_markets: Vec<MarginState>,
    next_margin_update: SimTime,
}

fn cap_steps(field: &str, steps: &[CapStepCfg]) -> Result<Vec<CapStep>, SimError> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(CapStep {
                above: cash(&format!("{field}[{i}].above"), s.above)?,
                max: whole(&format!("{field}[{i}].max"), s.max)?,
            })
        })
        .collect()
}

fn whole(field: &str, x: u32) -> Result<Leverage, SimError> {
    Leverage::from_int(i64::from(x)).map_err(|_| SimError::scenario(field, "too large"))
}

/// The engine cap of a market with `symbol` under `p`, if any part of it applies.
fn cap_for(p: &LeveragePolicy, symbol: &str) -> Result<Option<LeverageCap>, SimError> {
    let f = "policy.leverage";
    let max = match p.per_market.iter().position(|c| c.symbol == symbol) {
        Some(i) => Some(whole(&format!("{f}.per_market[{i}].max"), p.per_market[i].max)?),
        None => p.max.map(|m| whole(&format!("{f}.max"), m)).transpose()?,
    };
    let cap = LeverageCap {
        max,
        open_interest: cap_steps(&format!("{f}.open_interest"), &p.open_interest)?,
        position: cap_steps(&format!("{f}.position"), &p.position)?,
    };
    Ok((cap.max.is_some() || !cap.open_interest.is_empty() || !cap.position.is_empty()).then_some(cap))
}

/// A float statistic as a rate, rounded down (0 for what is not finite and positive).
fn rate_of(x: f64) -> Rate {
    let r = (x * RATE_ONE as f64).floor();
    Rate(if r.is_finite() && r > 0.0 { r.min(9.0e18) as i64 } else { 0 })
}

impl World {
    /// Installs the venue-side policy levers of `policy` once the agents hold their time-zero
    /// positions: the leverage caps (they govern orders from time zero on; the positions the
    /// population holds at time zero were drawn under `population_max`) and the dynamic-margin
    /// state.
    ///
    /// # Errors
    /// [`SimError::Scenario`] for a value the engine cannot hold or refuses.
    pub fn install_policy(&mut self, policy: &Policy) -> Result<(), SimError> {
        if let Some(p) = &policy.leverage {
            for m in 0..self.markets.len() {
                let (v, id) = (self.markets[m].venue, self.markets[m].id);
                if !applies(&p.venues, &self.venues[v].name) {
                    continue;
                }
                let cap = cap_for(p, &self.markets[m].symbol)?;
                if cap.is_some() {
                    self.venues[v]
                        .engine
                        .set_leverage_cap(id, cap)
                        .map_err(|e| SimError::scenario("policy.leverage", e.to_string()))?;
                }
            }
        }
        if let Some(p) = &policy.margin {
            self.policy.margin = Some(p.clone());
            self.policy.margin_markets = (0..self.markets.len())
                .filter(|&m| applies(&p.venues, &self.venues[self.markets[m].venue].name))
                .map(|market| MarginState { market, ramp: MarginRamp::flat(Rate::ONE) })
                .collect();
        }
        if let Some(p) = &policy.transfers {
            self.transfers.rules = Some(crate::world::transfer::TransferRules {
                governed: self.venues.iter().map(|v| applies(&p.venues, &v.name)).collect(),
                delay: p.delay_s.map(SimTime::from_secs),
                capacity: p.capacity.map(|c| cash("policy.transfers.capacity", c)).transpose()?,
                interval: SimTime::from_secs(p.capacity_interval_s.max(1)),
                outages: p
                    .outages
                    .iter()
                    .map(|o| (SimTime::from_secs(o.start_s), SimTime::from_secs(o.end_s)))
                    .collect(),
                ..Default::default()
            });
        }
        self.policy.report.margin_multiplier_max = 1.0;
        Ok(())
    }

    /// After a price step: recomputes the margin targets when an update is due (realized
    /// volatility of each market's mark, its open interest), and sets every market's multiplier
    /// to where its ramp is now, in steps of 0.01 (each change re-indexes the market).
    ///
    /// # Errors
    /// An engine failure while re-indexing or liquidating (a bug).
    pub fn step_margin_policy(&mut self) -> Result<(), SimError> {
        let Some(p) = self.policy.margin.clone() else { return Ok(()) };
        let now = self.now;
        let now_ms = now.as_millis();
        let due = now >= self.policy.next_margin_update;
        if due {
            self.policy.next_margin_update = now.saturating_add(SimTime::from_secs(p.update_interval_s));
        }
        let reference_vol = p.reference_volatility.map(rate_of);
        let reference_oi = p
            .reference_open_interest
            .map(|d| cash("policy.margin.reference_open_interest", d))
            .transpose()?;
        let max = rate_of(p.max_multiplier);
        for k in 0..self.policy.margin_markets.len() {
            let m = self.policy.margin_markets[k].market;
            let (v, id) = (self.markets[m].venue, self.markets[m].id);
            if due {
                let vol = rate_of(self.markets[m].realized_volatility());
                let oi = self.venues[v].engine.open_interest_value(id).unwrap_or(Cash::ZERO);
                let target = margin_multiplier(vol, reference_vol, oi, reference_oi, max);
                let st = &mut self.policy.margin_markets[k];
                if target != st.ramp.to {
                    st.ramp = st.ramp.retarget(target, now_ms, p.ramp_s.saturating_mul(1_000));
                }
            }
            // Steps of 0.01, toward where the ramp started.
            let at = self.policy.margin_markets[k].ramp.at(now_ms);
            let step = RATE_ONE / 100;
            let from = self.policy.margin_markets[k].ramp.from;
            let q = if at >= from { at.0 / step * step } else { (at.0 + step - 1) / step * step };
            let k_now = Rate(q.max(RATE_ONE));
            self.counters.engine_calls += 1;
            self.events.clear();
            let r = self.venues[v].engine.set_margin_multiplier(id, k_now, &mut self.events);
            self.absorb(v)?;
            if r.map_err(|e| self.venue_err(v, e))? {
                let rep = &mut self.policy.report;
                rep.margin_changes += 1;
                rep.margin_multiplier_max = rep.margin_multiplier_max.max(k_now.to_f64());
            }
        }
        Ok(())
    }
}
