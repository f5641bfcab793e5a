//! The run loop and the entry point.
//!
//! A [`Simulation`] pops events in (time, sequence) order and hands each to its agent or to the
//! world. The queue holds only what is active: one wake-up per maker, noise and value trader,
//! arbitrageur and hedger, the shocks' slices, the herds' copy times, collateral in flight
//! between venues (one arrival per transfer), the price step and the metrics sample. Passive leveraged positions are never in it: they wait in the engines'
//! liquidation indexes and stop books, and in the population's trailing-stop index.
//!
//! Each **price step** (`run.price_step_ms`) advances every asset's fair value, then for every
//! market computes the index and the mark under its venue's rule and calls `set_mark_price`,
//! which fires stops and runs the liquidation pass; funding is sampled and settled on the
//! venue's schedule; every engine event goes to the recorder. Every **metrics sample** takes a
//! row per market and, if asked, checks every venue's invariants by a full scan.
//!
//! [`run`] runs the scenario and, unless told not to, the same scenario and seed once more with
//! forced liquidations disabled at every venue, to fill in the cascade amplification. The same
//! scenario and seed always give an identical [`Recording`].

use cascade_engine::ledger::AccountId;
use cascade_engine::num::Cash;
use rust_decimal::Decimal;

use crate::agents::Agents;
use crate::agents::hedger::REACTION;
use crate::error::SimError;
use crate::metrics::Recording;
use crate::rng::Streams;
use crate::scenario::{Portfolio, Scenario};
use crate::scheduler::{Scheduler, SimTime};
use crate::world::{NoticeKind, Owner, TaggedAccount, TransferId, World};

/// Something due at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Advance fair values, compute and set every mark.
    PriceStep,
    /// Take the metrics sample.
    Sample,
    /// Shock `i`'s news hits.
    ShockHit(u32),
    /// Shock `i` sends a slice of flow.
    ShockSlice(u32),
    /// Maker `i` requotes.
    Maker(u32),
    /// Noise trader `i` trades.
    Noise(u32),
    /// Value trader `i` looks.
    Value(u32),
    /// Arbitrageur `i` looks.
    Arb(u32),
    /// Hedger `i` sells the spot its cut hedge no longer covers.
    HedgerReact(u32),
    /// Hedger `i` re-hedges.
    HedgerRebalance(u32),
    /// Herd `i`'s leader opens or closes.
    Lead {
        /// Herd.
        herd: u32,
        /// Open (else close).
        open: bool,
    },
    /// Follower `i` copies the leader.
    Copy {
        /// Follower.
        follower: u32,
        /// Open (else close).
        open: bool,
    },
    /// Collateral in flight between venues arrives (`World::arrive`).
    Arrive(TransferId),
    /// `[policy.stops]` re-scales the population's static stops.
    PolicyStops,
}

/// How often to check the venues' invariants (a full scan of every account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvariantChecks {
    /// Never (fastest).
    Never,
    /// At every metrics sample.
    AtSamples,
    /// After every event (tests of small runs).
    EveryEvent,
}

/// Which of a run's simulations is going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The run itself.
    Main,
    /// The same scenario and seed without forced liquidations.
    Counterfactual,
}

/// Where a run is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Which simulation.
    pub phase: Phase,
    /// Simulated time reached.
    pub sim_time: SimTime,
    /// Simulated length of the run.
    pub duration: SimTime,
    /// Events processed so far in this phase.
    pub events: u64,
}

/// Options of [`run`].
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// Forced liquidations at every venue (default on). Off runs the counterfactual alone.
    pub liquidations: bool,
    /// Also run the scenario without forced liquidations and fill in the cascade amplification
    /// (default on; ignored when `liquidations` is off).
    pub counterfactual: bool,
    /// Invariant checks (default: at samples in debug builds, never in release).
    pub invariants: InvariantChecks,
    /// Called at every metrics sample and at the end of each phase.
    /// Both simulations may call it at once from different threads (hence `Sync`).
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        Self {
            liquidations: true,
            counterfactual: true,
            invariants: if cfg!(debug_assertions) {
                InvariantChecks::AtSamples
            } else {
                InvariantChecks::Never
            },
            progress: None,
        }
    }
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("liquidations", &self.liquidations)
            .field("counterfactual", &self.counterfactual)
            .field("invariants", &self.invariants)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Runs `scenario` with master seed `seed` (overriding `run.seed`) and returns what it recorded.
/// Deterministic: the same scenario and seed give an identical recording.
///
/// # Errors
/// [`SimError::Scenario`] if the scenario is invalid or the engine cannot represent it; other
/// variants if an engine refuses something it must accept or an invariant check fails (bugs).
pub fn run(scenario: &Scenario, seed: u64, opts: &RunOptions<'_>) -> Result<Recording, SimError> {
    if let Some(p) = scenario.validate().into_iter().next() {
        return Err(SimError::Scenario { field: p.path, reason: p.message });
    }
    let simulate = |liquidations: bool, phase: Phase| -> Result<Recording, SimError> {
        let mut sim = Simulation::new(scenario, seed, liquidations)?;
        sim.run_to_end(opts, phase)?;
        Ok(sim.finish())
    };
    if !(opts.counterfactual && opts.liquidations) {
        return simulate(opts.liquidations, Phase::Main);
    }
    // The two simulations share nothing, so they run side by side (rayon: inside a busy pool,
    // e.g. a calibration's seeds, the second one simply runs after the first on the same
    // thread, so memory does not double there). Each is deterministic on its own.
    let (main, cf) = rayon::join(|| simulate(true, Phase::Main), || simulate(false, Phase::Counterfactual));
    let mut rec = main?;
    rec.summary.set_counterfactual(&cf?.summary);
    Ok(rec)
}

/// One simulation of a scenario: the world, its agents and the event queue.
#[derive(Debug)]
pub struct Simulation {
    /// Venues, markets, assets and the recorder.
    pub world: World,
    /// Every agent.
    pub agents: Agents,
    queue: Scheduler<Event>,
    end: SimTime,
    step: SimTime,
    /// Events processed.
    pub events: u64,
    name: String,
    seed: u64,
    exogenous: Decimal,
    start_utc: Option<String>,
    /// `run.scale` (1 = the real market's size).
    scale: f64,
}

impl Simulation {
    /// Builds the world and its agents at time zero (positions of the population and hedgers
    /// open) and schedules the first events.
    ///
    /// # Errors
    /// As [`run`].
    pub fn new(scenario: &Scenario, seed: u64, liquidations: bool) -> Result<Self, SimError> {
        Self::with_portfolio(scenario, seed, liquidations, &Portfolio::default(), &[]).map(|(s, _)| s)
    }

    /// As [`Simulation::new`], with `portfolio`'s accounts put into the venues before any agent
    /// (account `i` given `extra[i]` on top of its wallet; see `World::insert_portfolio`). The
    /// agents' random draws do not depend on the portfolio (one stream per agent), so the same
    /// seed meets the same market with and without it, up to what the portfolio itself does.
    /// Returns the simulation and the portfolio's accounts, in portfolio order.
    ///
    /// # Errors
    /// As [`run`], and [`SimError::Scenario`] naming a portfolio field that does not fit.
    pub fn with_portfolio(
        scenario: &Scenario,
        seed: u64,
        liquidations: bool,
        portfolio: &Portfolio,
        extra: &[Cash],
    ) -> Result<(Self, Vec<TaggedAccount>), SimError> {
        // `run.scale` < 1: the same market, every amount shrunk together (scenario/scale.rs).
        let scaled;
        let scenario = if scenario.run.scale == 1.0 {
            scenario
        } else {
            scaled = scenario.at_run_scale();
            if let Some(p) = scaled.validate().into_iter().next() {
                let reason = format!("at run.scale = {}: {}", scenario.run.scale, p.message);
                return Err(SimError::Scenario { field: p.path, reason });
            }
            &scaled
        };
        let streams = Streams::new(seed);
        let mut world = World::build(scenario, seed, liquidations)?;
        let tagged = world.insert_portfolio(portfolio, extra)?;
        let mut agents = Agents::build(scenario, &streams, &mut world)?;
        world.install_policy(&scenario.policy)?;
        world.start_run()?;
        let mut queue = Scheduler::new();
        let z = SimTime::ZERO;
        // Makers quote first, so the first marks and liquidation passes meet a book.
        for i in 0..agents.makers.len() {
            queue.schedule_in(z, Event::Maker(i as u32));
        }
        queue.schedule_in(z, Event::PriceStep);
        queue.schedule_in(world.recorder.next_sample_at(), Event::Sample);
        for (i, n) in agents.noise.iter_mut().enumerate() {
            queue.schedule_in(n.next_delay(&agents.noise_cfg), Event::Noise(i as u32));
        }
        for (i, v) in agents.value.iter_mut().enumerate() {
            queue.schedule_in(v.first_delay(&agents.noise_cfg), Event::Value(i as u32));
        }
        for (i, a) in agents.arbs.iter().enumerate() {
            queue.schedule_in(a.latency, Event::Arb(i as u32));
        }
        for (i, h) in agents.hedgers.iter().enumerate() {
            queue.schedule_in(h.rebalance, Event::HedgerRebalance(i as u32));
        }
        for (i, s) in agents.shocks.iter().enumerate() {
            queue.schedule_in(s.at, Event::ShockHit(i as u32));
        }
        for (i, h) in agents.herds.iter().enumerate() {
            queue.schedule_in(h.entry, Event::Lead { herd: i as u32, open: true });
            if let Some(exit) = h.exit {
                queue.schedule_in(exit, Event::Lead { herd: i as u32, open: false });
            }
        }
        if let Some(every) = agents.population.stops_interval() {
            queue.schedule_in(every, Event::PolicyStops);
        }
        let exogenous = scenario.shocks.iter().map(|s| s.notional.get()).sum();
        let sim = Self {
            world,
            agents,
            queue,
            end: SimTime::from_secs(scenario.run.duration_s),
            step: SimTime::from_millis(scenario.run.price_step_ms.max(1)),
            events: 0,
            name: if scenario.run.name.is_empty() { "scenario".into() } else { scenario.run.name.clone() },
            seed,
            exogenous,
            start_utc: scenario.run.start_unix_ms().and(scenario.run.start_utc.clone()),
            scale: scenario.run.scale,
        };
        Ok((sim, tagged))
    }

    /// Moves `amount` of collateral from `from` at venue `from_venue` (if its free margin
    /// allows: otherwise nothing moves) to `to` at venue `to_venue`, arriving `delay` later
    /// (at once for a zero delay). The money is outside both venues while in flight, counted
    /// by the world. Returns the amount sent.
    ///
    /// # Errors
    /// An engine failure other than a margin refusal.
    pub fn transfer(
        &mut self,
        from_venue: usize,
        from: AccountId,
        to_venue: usize,
        to: AccountId,
        amount: Cash,
        delay: SimTime,
    ) -> Result<Cash, SimError> {
        send(&mut self.world, &mut self.queue, (from_venue, from), (to_venue, to), amount, delay)
    }

    /// Pending events (the queue's size).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Processes events until simulated time reaches `t` (or the run ends), e.g. to take a
    /// snapshot of the positions mid-run.
    ///
    /// # Errors
    /// As [`run`].
    pub fn run_until(&mut self, t: SimTime) -> Result<(), SimError> {
        while self.world.now < t {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// Processes the next event due before the end. Returns `false` when none is left.
    ///
    /// # Errors
    /// As [`run`].
    pub fn step(&mut self) -> Result<bool, SimError> {
        let Some(due) = self.queue.pop_until(self.end) else {
            self.world.now = self.end;
            return Ok(false);
        };
        self.world.now = due.time;
        self.handle(due.event)?;
        self.dispatch_notices()?;
        self.events += 1;
        Ok(true)
    }

    /// Runs to the end with `opts`' checks and progress reports.
    ///
    /// # Errors
    /// As [`run`].
    pub fn run_to_end(&mut self, opts: &RunOptions<'_>, phase: Phase) -> Result<(), SimError> {
        loop {
            let sampled_before = self.world.recorder.next_sample_at();
            if !self.step()? {
                break;
            }
            match opts.invariants {
                InvariantChecks::EveryEvent => self.world.check_invariants(self.events)?,
                InvariantChecks::AtSamples if self.world.recorder.next_sample_at() != sampled_before => {
                    self.world.check_invariants(self.events)?;
                }
                _ => {}
            }
            if let Some(p) = opts.progress
                && self.world.recorder.next_sample_at() != sampled_before
            {
                p(&self.progress(phase));
            }
        }
        self.world.sample();
        if opts.invariants != InvariantChecks::Never {
            self.world.check_invariants(self.events)?;
        }
        if let Some(p) = opts.progress {
            p(&self.progress(phase));
        }
        Ok(())
    }

    fn progress(&self, phase: Phase) -> Progress {
        Progress { phase, sim_time: self.world.now, duration: self.end, events: self.events }
    }

    /// Ends the run: the recorded rows and the summary (without the counterfactual).
    #[must_use]
    pub fn finish(self) -> Recording {
        let collateral = self.world.collateral_summaries();
        let mut rec = self.world.recorder.finish(&self.name, self.seed, self.end, self.exogenous);
        rec.summary.policy = self.world.policy.report.clone();
        rec.summary.policy.stops_moved += self.agents.population.stops_moved();
        rec.summary.collateral = collateral;
        let pop = &self.agents.population;
        let baskets = pop.basket_counts();
        let window = |c: Option<(u64, u64, u64, u64)>| {
            c.map(|(entered_short, entered_long, gave_up, waiting)| crate::metrics::MomentumSummary {
                entered_short,
                entered_long,
                gave_up,
                waiting,
            })
        };
        let (momentum, fade) = (window(pop.chase_counts()), window(pop.fade_counts()));
        rec.summary.population =
            (baskets.is_some() || momentum.is_some()).then(|| crate::metrics::PopulationSummary {
                basket_accounts: baskets.map(|b| b.0),
                basket_legs: baskets.map(|b| b.1),
                momentum,
                fade,
            });
        rec.summary.start_utc = self.start_utc;
        rec.summary.set_scale(self.scale);
        let t = &self.world.transfers;
        for (v, slot) in self.world.venues.iter().enumerate() {
            let Some(s) = rec.summary.venues.iter_mut().find(|s| s.venue == slot.name) else { continue };
            let x = t.tally.get(v).copied().unwrap_or_default();
            s.transfers_out = x.out_count;
            s.transferred_out = cash_dec(x.out_amount);
            s.transfers_in = x.in_count;
            s.transferred_in = cash_dec(x.in_amount);
            s.in_flight_end = cash_dec(i128::from(t.in_flight_to_venue(v).0));
            if let Some(b) = slot.engine.safeguards().backstop {
                s.fund_backstop_paid =
                    cash_dec(i128::from(b.capital.0) - i128::from(slot.engine.external_backstop_left().0));
            }
        }
        rec
    }

    fn handle(&mut self, event: Event) -> Result<(), SimError> {
        let w = &mut self.world;
        let a = &mut self.agents;
        let q = &mut self.queue;
        match event {
            Event::PriceStep => {
                if w.now > SimTime::ZERO {
                    let dt = self.step.as_micros() as f64 / 1e6;
                    for asset in &mut w.assets {
                        asset.advance(dt, w.now);
                    }
                    w.follow_assets();
                }
                w.step_collateral()?;
                a.population.offer_breaks(w)?;
                for m in 0..w.markets.len() {
                    if let Some(index) = w.replay_index(m) {
                        w.update_mark_price(m, index)?;
                    } else {
                        match w.book_index(m)? {
                            Some(index) => w.update_mark_price(m, index)?,
                            None => w.update_mark(m, w.spot_of(m))?,
                        }
                    }
                    a.population.on_mark(w, m)?;
                }
                w.step_margin_policy()?;
                q.schedule_step(self.step, Event::PriceStep);
            }
            Event::Sample => {
                w.sample();
                q.schedule_step_at(w.recorder.next_sample_at(), Event::Sample).ok();
            }
            Event::ShockHit(i) => {
                let s = &mut a.shocks[i as usize];
                s.hit(w);
                if s.send_slice(w)? {
                    q.schedule_step(s.slice, Event::ShockSlice(i));
                }
            }
            Event::ShockSlice(i) => {
                let s = &mut a.shocks[i as usize];
                if s.send_slice(w)? {
                    q.schedule_step(s.slice, Event::ShockSlice(i));
                }
            }
            Event::Maker(i) => {
                let next = a.makers[i as usize].wake(w)?;
                q.schedule_step_at(next, Event::Maker(i)).ok();
            }
            Event::Noise(i) => {
                let next = a.noise[i as usize].wake(w, &a.noise_cfg)?;
                q.schedule_in(next, Event::Noise(i));
            }
            Event::Value(i) => {
                // Every `value_interval_ms`: a fixed step, so a FIFO lane (the same order).
                let next = a.value[i as usize].wake(w, &a.noise_cfg)?;
                q.schedule_step(next, Event::Value(i));
            }
            Event::Arb(i) => {
                let arb = &mut a.arbs[i as usize];
                let next = arb.wake(w)?;
                if let Some(t) = arb.rebalance(w) {
                    send(w, q, t.from, t.to, t.amount, arb.transfer_delay)?;
                }
                q.schedule_in(next, Event::Arb(i));
            }
            Event::HedgerReact(i) => a.hedgers[i as usize].react(w)?,
            Event::HedgerRebalance(i) => {
                let h = &mut a.hedgers[i as usize];
                h.rebalance(w)?;
                q.schedule_step(h.rebalance, Event::HedgerRebalance(i));
            }
            Event::Lead { herd, open } => {
                let h = &a.herds[herd as usize];
                h.lead(w, open)?;
                for f in h.followers.clone() {
                    q.schedule_in(a.followers[f as usize].lag, Event::Copy { follower: f, open });
                }
            }
            Event::Copy { follower, open } => a.followers[follower as usize].copy(w, open)?,
            Event::Arrive(id) => w.arrive(id)?,
            Event::PolicyStops => {
                a.population.step_stops(w)?;
                if let Some(every) = a.population.stops_interval() {
                    q.schedule_step(every, Event::PolicyStops);
                }
            }
        }
        Ok(())
    }

    /// Tells agents what the engines did to them, until nothing new happens.
    fn dispatch_notices(&mut self) -> Result<(), SimError> {
        // Reactions may cause further notices; a bound keeps a pathological chain finite.
        for _ in 0..64 {
            if self.world.notices.is_empty() {
                return Ok(());
            }
            let notices = std::mem::take(&mut self.world.notices);
            for n in &notices {
                match (n.owner, n.what) {
                    (Owner::Maker(i), NoticeKind::Adl(_)) => {
                        self.agents.makers[i as usize].on_adl(&mut self.world)?
                    }
                    (Owner::Hedger(i), _) => {
                        self.queue.schedule_in(REACTION, Event::HedgerReact(i));
                    }
                    (Owner::Trader(i), NoticeKind::Liquidated(mark)) => {
                        self.agents.population.on_liquidated(&mut self.world, i as usize, n.market, mark)?;
                    }
                    _ => {}
                }
            }
            // Give the buffer back, emptied, unless reactions refilled it.
            if self.world.notices.is_empty() {
                let mut buf = notices;
                buf.clear();
                self.world.notices = buf;
            }
        }
        self.world.notices.clear();
        Ok(())
    }
}

/// Withdraws `amount` from `from` (venue, account) now, if its free margin allows, and credits
/// it at `to` after `delay` (at once when zero) through the queue. Returns the amount sent.
/// Under `[policy.transfers]` a governed transfer takes the policy's delay, is not started
/// during an outage, and arrives when the network lets it (`TransferRules::arrival`).
fn send(
    w: &mut World,
    q: &mut Scheduler<Event>,
    from: (usize, AccountId),
    to: (usize, AccountId),
    amount: Cash,
    delay: SimTime,
) -> Result<Cash, SimError> {
    let governed = w.transfers.rules.as_ref().is_some_and(|r| r.governs(from.0, to.0));
    let mut delay = delay;
    if governed && let Some(r) = &w.transfers.rules {
        if r.down_until(w.now).is_some() {
            if amount.is_positive() {
                w.policy.report.transfers_refused_outage += 1;
            }
            return Ok(Cash::ZERO);
        }
        delay = r.delay.unwrap_or(delay);
    }
    let Some(id) = w.send(from.0, from.1, to.0, to.1, amount)? else { return Ok(Cash::ZERO) };
    let due = w.now.saturating_add(delay);
    let at = match w.transfers.rules.as_mut() {
        Some(r) if governed => r.arrival(to.0, amount, due),
        _ => due,
    };
    if at > due {
        w.policy.report.transfers_deferred += 1;
    }
    if at <= w.now {
        w.arrive(id)?;
    } else {
        q.schedule(at, Event::Arrive(id)).ok();
    }
    Ok(amount)
}

/// Raw settle-asset units as an exact decimal.
fn cash_dec(raw: i128) -> Decimal {
    Decimal::from_i128_with_scale(raw, cascade_engine::num::CASH_DECIMALS)
}
