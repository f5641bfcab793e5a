//! One simulation of a scenario with the portfolio inside it: the accounts are inserted before
//! any agent (`Simulation::with_portfolio`), the owner's planned transfers are sent at their
//! times along their routes (and, for a solve, one rescue transfer or deposit), and at every
//! sample the accounts' equity and maintenance and each leg's size, mark and place in the ADL
//! queue are read from the engines. After the run the recording's liquidation and ADL rows of
//! the portfolio's accounts are gathered per leg.
//!
//! Money stays exact (`Decimal` from the engine's integers); the ADL percentile and the chart
//! series are floats (statistics).

use cascade_engine::ledger::AccountId;
use cascade_engine::num::{CASH_DECIMALS, Cash};
use cascade_sim::SimError;
use cascade_sim::Simulation;
use cascade_sim::scenario::{AccountMode, Portfolio, Scenario};
use cascade_sim::scheduler::SimTime;
use cascade_sim::world::{SETTLE, TaggedAccount, World};
use rust_decimal::Decimal;
use serde::Serialize;

/// An extra transfer the solver tries: `amount` into account `to`, sent at `at` along the route
/// from account `from` (its delay), or deposited from outside at once when `from` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescue {
    /// Source account (portfolio index), or `None` for fresh money at time `at`.
    pub from: Option<usize>,
    /// Destination account (portfolio index).
    pub to: usize,
    /// Settle-asset amount.
    pub amount: Cash,
    /// When it is sent.
    pub at: SimTime,
    /// Route delay.
    pub delay: SimTime,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Master seed.
    pub seed: u64,
    /// The book.
    pub portfolio: &'a Portfolio,
    /// Extra settle asset per account at time zero (index = portfolio account).
    pub extra: Vec<Cash>,
    /// Extra isolated margin per account and leg at time zero (`[account][leg]`, missing
    /// entries: none): deposited into the wallet, then moved into that position's isolated
    /// margin once it is open (the isolated-account solve).
    pub leg_extra: Vec<Vec<Cash>>,
    /// An extra transfer (solver).
    pub rescue: Option<Rescue>,
    /// Time between two samples of the accounts.
    pub sample: SimTime,
}

/// One leg's liquidation or ADL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegEvent {
    /// Seconds from the start.
    pub time_s: f64,
    /// `full`, `partial`, `backstop` or `adl` for a liquidation of this leg; `adl_cut` when the
    /// leg was the profitable side cut by ADL.
    pub kind: String,
    /// Quantity closed.
    pub qty: Decimal,
    /// Price it closed at.
    pub price: Decimal,
    /// Mark at that moment.
    pub mark: Option<Decimal>,
    /// Bankruptcy price the engine used (liquidations only).
    pub bankruptcy_price: Option<Decimal>,
    /// ADL rank (0 = first) when cut by ADL.
    pub rank: Option<u32>,
}

/// A sample of one leg.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LegSample {
    /// Seconds from the start.
    pub time_s: f64,
    /// Signed size.
    pub size: f64,
    /// Mark price.
    pub mark: Option<f64>,
    /// Place in the ADL queue, percent: 100 = first to be cut, 0 = last; `None` when flat or
    /// the venue has no fixed ranking.
    pub adl_queue_pct: Option<f64>,
}

/// One leg over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegRun {
    /// Instrument symbol.
    pub symbol: String,
    /// `long` or `short`.
    pub side: &'static str,
    /// Size opened.
    pub size: Decimal,
    /// Entry price.
    pub entry_price: Decimal,
    /// Size at the end (signed).
    pub size_end: Decimal,
    /// Liquidations and ADL, in time order.
    pub events: Vec<LegEvent>,
    /// Samples.
    pub samples: Vec<LegSample>,
}

/// A sample of one account.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AccountSample {
    /// Seconds from the start.
    pub time_s: f64,
    /// Equity (wallet + collateral + unrealized PnL).
    pub equity: f64,
    /// Maintenance margin.
    pub maintenance: f64,
}

/// One account over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRun {
    /// Portfolio name.
    pub name: String,
    /// Venue name.
    pub venue: String,
    /// Equity at the first sample (after the first marks).
    pub equity_start: Decimal,
    /// Equity at the end.
    pub equity_end: Decimal,
    /// Net settle asset that arrived (+) or left (−) by transfers.
    pub transfers_net: Decimal,
    /// `equity_end − equity_start − transfers_net` (negative: a loss).
    pub pnl: Decimal,
    /// First liquidation of any leg, seconds.
    pub first_liquidation_s: Option<f64>,
    /// First ADL cut of any leg, seconds.
    pub first_adl_s: Option<f64>,
    /// Legs.
    pub legs: Vec<LegRun>,
    /// Samples.
    pub samples: Vec<AccountSample>,
}

/// A transfer of the run (planned or rescue).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferRun {
    /// Source account name (`outside` for fresh money).
    pub from: String,
    /// Destination account name.
    pub to: String,
    /// Amount asked.
    pub requested: Decimal,
    /// Amount that left (the venue lets only free margin leave; 0 during an outage).
    pub sent: Decimal,
    /// When sent, seconds.
    pub sent_s: f64,
    /// When it arrived, seconds (`None`: still in flight at the end).
    pub arrived_s: Option<f64>,
    /// The destination was liquidated before the money arrived.
    pub too_late: bool,
}

/// An off-exchange holding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldingRun {
    /// Asset.
    pub asset: String,
    /// Units.
    pub amount: Decimal,
    /// Whether the scenario models the asset (else valued at 1 throughout).
    pub modelled: bool,
    /// Value at the start, settle asset.
    pub value_start: f64,
    /// Value at the end.
    pub value_end: f64,
}

/// Everything one run says about the portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Accounts, in portfolio order.
    pub accounts: Vec<AccountRun>,
    /// Transfers, in the order sent.
    pub transfers: Vec<TransferRun>,
    /// Off-exchange holdings.
    pub holdings: Vec<HoldingRun>,
}

impl Outcome {
    /// Whether account `i` was liquidated (any leg, any kind).
    #[must_use]
    pub fn liquidated(&self, i: usize) -> bool {
        self.accounts[i].first_liquidation_s.is_some()
    }
}

fn dec(c: Cash) -> Decimal {
    Decimal::new(c.0, CASH_DECIMALS)
}

fn secs(t: SimTime) -> f64 {
    t.as_micros() as f64 / 1e6
}

/// Equity and maintenance of a tagged account (cross: its pool; isolated: wallet plus each
/// position's margin and PnL).
fn account_margin(w: &World, t: &TaggedAccount, isolated: bool) -> (Cash, Cash) {
    let e = &w.venues[t.venue].engine;
    if !isolated {
        return e
            .pool_margin(t.account, SETTLE)
            .map_or((Cash::ZERO, Cash::ZERO), |s| (s.equity, s.maintenance));
    }
    let wallet = w.wallet(t.venue, t.account);
    let (mut eq, mut mm) = (wallet.0, 0i64);
    for leg in &t.legs {
        if let Ok(s) = e.position_margin(t.account, w.markets[leg.market].id) {
            eq = eq.saturating_add(s.equity.0);
            mm = mm.saturating_add(s.maintenance.0);
        }
    }
    (Cash(eq), Cash(mm))
}

/// The asset's spot value now (1 for an asset the scenario does not model).
fn holding_price(w: &World, asset: &str) -> Option<f64> {
    w.assets.iter().find(|a| a.name == asset).map(cascade_sim::world::AssetState::spot)
}

/// Runs `plan` and gathers what happened to the portfolio.
///
/// # Errors
/// [`SimError::Scenario`] naming a portfolio field that does not fit the scenario; any other
/// simulation failure.
#[allow(clippy::too_many_lines)] // One pass: build, run with samples and transfers, gather.
pub fn run(plan: &Plan<'_>) -> Result<Outcome, SimError> {
    let p = plan.portfolio;
    if let Some(problem) = plan.scenario.validate().into_iter().next() {
        return Err(SimError::Scenario { field: problem.path, reason: problem.message });
    }
    // Isolated top-ups go through the wallet into each position's isolated margin.
    let mut wallet_extra = plan.extra.clone();
    for (i, legs) in plan.leg_extra.iter().enumerate() {
        if wallet_extra.len() <= i {
            wallet_extra.resize(i + 1, Cash::ZERO);
        }
        for add in legs {
            wallet_extra[i] = Cash(wallet_extra[i].0.saturating_add(add.0));
        }
    }
    let (mut sim, tagged) = Simulation::with_portfolio(plan.scenario, plan.seed, true, p, &wallet_extra)?;
    for (i, legs) in plan.leg_extra.iter().enumerate() {
        for (j, add) in legs.iter().enumerate() {
            if let (Some(t), Some(leg)) = (tagged.get(i), tagged.get(i).and_then(|t| t.legs.get(j))) {
                sim.world.add_isolated_margin(leg.market, t.account, *add)?;
            }
        }
    }
    let end = SimTime::from_secs(plan.scenario.run.duration_s);
    let isolated: Vec<bool> = p.accounts.iter().map(|a| a.mode == AccountMode::Isolated).collect();
    // Sends, in time order: planned transfers, then the rescue.
    struct Send {
        at: SimTime,
        from: Option<usize>,
        to: usize,
        amount: Cash,
        delay: SimTime,
    }
    let mut sends: Vec<Send> = Vec::new();
    for t in &p.transfers {
        let (Some(from), Some(to), Some(route)) =
            (p.account_index(&t.from), p.account_index(&t.to), p.route(&t.from, &t.to))
        else {
            continue; // refused by `Portfolio::validate`, which `run`'s callers apply
        };
        let amount = Cash(t.amount.to_scaled(CASH_DECIMALS).unwrap_or(0));
        sends.push(Send {
            at: SimTime::from_secs(t.at_s),
            from: Some(from),
            to,
            amount,
            delay: SimTime::from_secs(route.delay_s),
        });
    }
    if let Some(r) = plan.rescue {
        sends.push(Send { at: r.at, from: r.from, to: r.to, amount: r.amount, delay: r.delay });
    }
    sends.sort_by_key(|s| s.at);
    let mut transfers: Vec<(TransferRun, Option<usize>)> = Vec::new();
    let mut acc_samples: Vec<Vec<AccountSample>> = vec![Vec::new(); tagged.len()];
    let mut leg_samples: Vec<Vec<Vec<LegSample>>> =
        tagged.iter().map(|t| vec![Vec::new(); t.legs.len()]).collect();
    let mut equity_start: Vec<Cash> = Vec::new();
    let holdings_start: Vec<Option<f64>> =
        p.holdings.iter().map(|h| holding_price(&sim.world, &h.asset)).collect();
    let step = if plan.sample.as_micros() == 0 { SimTime::from_secs(1) } else { plan.sample };
    // The first sample just after time zero: the first marks are set.
    let mut next_sample = SimTime(1);
    let mut next_send = 0usize;
    loop {
        let target = sends.get(next_send).map_or(next_sample, |s| s.at.min(next_sample)).min(end);
        sim.run_until(target)?;
        let now = sim.world.now;
        while let Some(s) = sends.get(next_send).filter(|s| s.at <= now) {
            let to = &tagged[s.to];
            let (sent, log) = match s.from {
                Some(f) => {
                    let from = &tagged[f];
                    let free = sim.world.venues[from.venue]
                        .engine
                        .withdrawable(from.account, SETTLE)
                        .unwrap_or(Cash::ZERO);
                    let amount = s.amount.min(free);
                    let before = sim.world.transfers.log.len();
                    let sent =
                        sim.transfer(from.venue, from.account, to.venue, to.account, amount, s.delay)?;
                    let log = (sim.world.transfers.log.len() > before).then_some(before);
                    (sent, log)
                }
                None => {
                    sim.world.deposit(to.venue, to.account, s.amount)?;
                    (s.amount, None)
                }
            };
            let from_name = s.from.map_or_else(|| "outside".to_string(), |f| tagged[f].name.clone());
            let arrived = if s.from.is_none() { Some(secs(now)) } else { None };
            transfers.push((
                TransferRun {
                    from: from_name,
                    to: to.name.clone(),
                    requested: dec(s.amount),
                    sent: dec(sent),
                    sent_s: secs(now),
                    arrived_s: arrived,
                    too_late: false,
                },
                log,
            ));
            next_send += 1;
        }
        if now >= next_sample || now >= end {
            // Accounts that traded since the last liquidation pass wait to be re-indexed, and
            // the ADL ranking reads the index: flush them first so every open position is ranked
            // (the venue does the same before its next pass; re-indexing only recomputes
            // triggers from the ledger, so the run itself is unchanged).
            for v in tagged.iter().map(|t| t.venue).collect::<std::collections::BTreeSet<_>>() {
                let slot = &mut sim.world.venues[v];
                slot.engine.refresh_index().map_err(|source| SimError::Venue {
                    venue: slot.name.clone(),
                    time: now,
                    source,
                })?;
            }
            let w = &sim.world;
            for (i, t) in tagged.iter().enumerate() {
                let (eq, mm) = account_margin(w, t, isolated[i]);
                if equity_start.len() <= i {
                    equity_start.push(eq);
                }
                acc_samples[i].push(AccountSample {
                    time_s: secs(now),
                    equity: eq.0 as f64 / 1e8,
                    maintenance: mm.0 as f64 / 1e8,
                });
                for (j, leg) in t.legs.iter().enumerate() {
                    let mk = &w.markets[leg.market];
                    let size = w.position(leg.market, t.account);
                    let rank = w.venues[t.venue].engine.adl_queue_rank(t.account, mk.id).ok().flatten();
                    let qd = mk.instrument.spec().qty_decimals;
                    leg_samples[i][j].push(LegSample {
                        time_s: secs(now),
                        size: size.0 as f64 / 10f64.powi(i32::try_from(qd).unwrap_or(0)),
                        mark: mk.mark.map(|m| mk.to_f64(m)),
                        adl_queue_pct: rank.map(|(r, n)| 100.0 * (n - r) as f64 / n.max(1) as f64),
                    });
                }
            }
            next_sample = if next_sample == SimTime(1) { step } else { next_sample.saturating_add(step) };
        }
        if now >= end {
            break;
        }
    }
    // Gather.
    let equity_end: Vec<Cash> =
        tagged.iter().enumerate().map(|(i, t)| account_margin(&sim.world, t, isolated[i]).0).collect();
    let sizes_end: Vec<Vec<Decimal>> = tagged
        .iter()
        .map(|t| {
            t.legs
                .iter()
                .map(|leg| {
                    let qd = sim.world.markets[leg.market].instrument.spec().qty_decimals;
                    Decimal::new(sim.world.position(leg.market, t.account).0, qd)
                })
                .collect()
        })
        .collect();
    let holdings: Vec<HoldingRun> = p
        .holdings
        .iter()
        .zip(&holdings_start)
        .map(|(h, start)| {
            let units = h.amount.to_f64();
            let end_price = holding_price(&sim.world, &h.asset);
            HoldingRun {
                asset: h.asset.clone(),
                amount: h.amount.get(),
                modelled: start.is_some(),
                value_start: units * start.unwrap_or(1.0),
                value_end: units * end_price.unwrap_or(1.0),
            }
        })
        .collect();
    let log = sim.world.transfers.log.clone();
    let specs: Vec<Vec<(u32, u32, String)>> = tagged
        .iter()
        .map(|t| {
            t.legs
                .iter()
                .map(|leg| {
                    let mk = &sim.world.markets[leg.market];
                    let s = mk.instrument.spec();
                    (s.price_decimals, s.qty_decimals, mk.symbol.clone())
                })
                .collect()
        })
        .collect();
    let venue_names: Vec<String> = tagged.iter().map(|t| sim.world.venues[t.venue].name.clone()).collect();
    let rec = sim.finish();
    let mut accounts = Vec::with_capacity(tagged.len());
    for (i, t) in tagged.iter().enumerate() {
        let mine = |venue: &str, account: u32| venue == venue_names[i] && AccountId(account) == t.account;
        let mut legs = Vec::with_capacity(t.legs.len());
        for (j, leg) in t.legs.iter().enumerate() {
            let (pd, qd, symbol) = &specs[i][j];
            let mut events: Vec<LegEvent> = rec
                .liquidations
                .iter()
                .filter(|r| mine(&r.venue, r.account) && r.instrument == *symbol)
                .map(|r| LegEvent {
                    time_s: r.time_ms as f64 / 1e3,
                    kind: format!("{:?}", r.kind).to_ascii_lowercase(),
                    qty: r.qty,
                    price: r.price,
                    mark: Some(r.mark_price),
                    bankruptcy_price: r.bankruptcy_price,
                    rank: None,
                })
                .collect();
            events.extend(
                rec.adl.iter().filter(|r| mine(&r.venue, r.account) && r.instrument == *symbol).map(|r| {
                    LegEvent {
                        time_s: r.time_ms as f64 / 1e3,
                        kind: "adl_cut".into(),
                        qty: r.qty,
                        price: r.price,
                        mark: None,
                        bankruptcy_price: None,
                        rank: r.rank,
                    }
                }),
            );
            events.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
            legs.push(LegRun {
                symbol: symbol.clone(),
                side: if leg.long { "long" } else { "short" },
                size: Decimal::new(leg.qty.0, *qd),
                entry_price: Decimal::new(leg.entry.0, *pd),
                size_end: sizes_end[i][j],
                events,
                samples: std::mem::take(&mut leg_samples[i][j]),
            });
        }
        let first = |adl: bool| {
            legs.iter()
                .flat_map(|l| l.events.iter())
                .filter(|e| (e.kind == "adl_cut") == adl)
                .map(|e| e.time_s)
                .min_by(f64::total_cmp)
        };
        let (first_liquidation_s, first_adl_s) = (first(false), first(true));
        let mut net = 0i128;
        for x in &log {
            if x.to_venue == t.venue && x.to == t.account && x.arrived_at.is_some() {
                net += i128::from(x.amount.0);
            }
            if x.from_venue == t.venue && x.from == t.account {
                net -= i128::from(x.amount.0);
            }
        }
        // Fresh money (rescue deposits) counts as arriving too.
        for (tr, l) in &transfers {
            if l.is_none() && tr.from == "outside" && tr.to == t.name {
                net += dec_raw(tr.sent);
            }
        }
        let start = equity_start.get(i).copied().unwrap_or(Cash::ZERO);
        let net_dec = Decimal::from_i128_with_scale(net, CASH_DECIMALS);
        accounts.push(AccountRun {
            name: t.name.clone(),
            venue: venue_names[i].clone(),
            equity_start: dec(start),
            equity_end: dec(equity_end[i]),
            transfers_net: net_dec,
            pnl: dec(equity_end[i]) - dec(start) - net_dec,
            first_liquidation_s,
            first_adl_s,
            legs,
            samples: std::mem::take(&mut acc_samples[i]),
        });
    }
    let transfers = transfers
        .into_iter()
        .map(|(mut tr, l)| {
            if let Some(x) = l.and_then(|k| log.get(k)) {
                tr.arrived_s = x.arrived_at.map(secs);
                let to = p.account_index(&tr.to).unwrap_or(0);
                let liq = accounts.get(to).and_then(|a| a.first_liquidation_s);
                tr.too_late = match (liq, tr.arrived_s) {
                    (Some(l), Some(a)) => l < a,
                    (Some(_), None) => true,
                    _ => false,
                };
            }
            tr
        })
        .collect();
    Ok(Outcome { accounts, transfers, holdings })
}

/// Raw settle units of an exact decimal amount (8 places).
fn dec_raw(d: Decimal) -> i128 {
    let mut x = d;
    x.rescale(CASH_DECIMALS);
    x.mantissa()
}
