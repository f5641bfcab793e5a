//! The world: venues (one exact engine each, under a named rule set), their markets, the
//! underlying assets with their spot indices, and the recorder every engine event goes to.
//!
//! Agents act on the world only through the wrappers here (`place`, `cancel_all`, `deposit`,
//! …): each call hands the engine a reused event buffer and then absorbs what came back, so
//! every trade, liquidation and ADL is recorded in the order it happened, and agents that must
//! react (a maker auto-deleveraged, a hedger whose short was closed, a dip buyer liquidated) are
//! left a [`Notice`]. An order an engine refuses for an ordinary reason (margin, band, empty
//! book, reduce-only with nothing to reduce) is `Ok(None)`: the agent simply does not trade; any
//! other refusal is a [`SimError`].
//!
//! Built for many venues and assets: markets are a flat list indexed by `usize`, accounts are
//! dense per venue, and nothing iterates a hash map. Collateral moves between venues with a
//! delay (`transfer.rs`): [`World::send`] withdraws from one venue now, the event queue brings
//! [`World::arrive`] later, and the money in flight meanwhile is counted, so the world's
//! conservation across venues is checked exactly with every venue's own.

pub mod asset;
pub mod build;
pub mod collateral;
pub mod market;
pub mod policy;
pub mod portfolio;
mod record;
pub mod replay;
mod seed;
mod snapshot;
pub mod spot;
mod transfer;

pub use policy::{PolicyReport, PolicyState};
pub use portfolio::{TaggedAccount, TaggedLeg};
pub use snapshot::PositionSnapshot;

use cascade_engine::book::Book;
use cascade_engine::instrument::AssetId;
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tiers::{Exposure, Leverage, TierBasis};
use cascade_engine::num::{Cash, Price, Qty, RATE_ONE, Rate};
use cascade_engine::position::MarginMode;
use cascade_engine::pricing::VenueKind;
use cascade_engine::venue::{OrderRequest, Placed, Venue, VenueError, VenueEvent};

pub use asset::AssetState;
pub use collateral::{CollateralState, CollateralSummary};
pub use market::Market;
pub use spot::{BookRef, SpotBook, base_asset};
pub use transfer::{Transfer, TransferId, TransferRules, TransferTally, Transfers};

use crate::error::SimError;
use crate::metrics::{MarketSnapshot, Recorder};
use crate::scheduler::SimTime;

/// Every venue settles in one asset, held under this id in its ledger.
pub const SETTLE: AssetId = AssetId(0);

/// Who holds a venue account, so engine events reach the agent they concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owner {
    /// Nobody the simulator tracks (the venue's backstop, seeders).
    #[default]
    Nobody,
    /// Leveraged trader `i` of the population.
    Trader(u32),
    /// Market maker `i`.
    Maker(u32),
    /// Hedger `i`.
    Hedger(u32),
    /// Copy-trading follower `i` (across all herds).
    Follower(u32),
    /// Account `i` of a portfolio put into the world (`portfolio.rs`).
    Portfolio(u32),
}

/// Something an agent must hear about, left by the absorbing of engine events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// The agent.
    pub owner: Owner,
    /// The market.
    pub market: usize,
    /// What happened.
    pub what: NoticeKind,
}

/// What happened to an agent's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A position was auto-deleveraged by this quantity.
    Adl(Qty),
    /// A position was (partly) liquidated at this mark.
    Liquidated(Price),
}

/// One exchange in the world.
#[derive(Debug)]
pub struct VenueSlot {
    /// Name, as in the scenario.
    pub name: String,
    /// Pricing rules (index, mark, funding).
    pub kind: VenueKind,
    /// The engine.
    pub engine: Venue,
    /// Its markets (indices into [`World::markets`]).
    pub markets: Vec<usize>,
    /// Owner of each account, by account id.
    pub owners: Vec<Owner>,
    /// The venue's market-order price band, as a fraction (agents' price protection), narrowed
    /// by a `[policy.bands]` band on orders.
    pub band: f64,
}

/// Counters of a run, for progress and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Engine calls made (orders, cancels, marks, funding).
    pub engine_calls: u64,
    /// Engine events absorbed.
    pub venue_events: u64,
}

/// Venues, markets, assets and the recorder.
#[derive(Debug)]
pub struct World {
    /// Exchanges.
    pub venues: Vec<VenueSlot>,
    /// Every market of every venue.
    pub markets: Vec<Market>,
    /// Every spot book of every asset (`[[assets.spot]]`), in scenario order.
    pub spots: Vec<SpotBook>,
    /// Underlying assets.
    pub assets: Vec<AssetState>,
    /// The current simulated time.
    pub now: SimTime,
    /// The run's recorder.
    pub recorder: Recorder,
    /// Agents to tell about what happened.
    pub notices: Vec<Notice>,
    /// Counters.
    pub counters: Counters,
    /// Collateral transfers between venues and the money accounting across venues.
    pub transfers: Transfers,
    /// The `[policy]` levers the simulator drives, and what they changed.
    pub policy: PolicyState,
    /// Multi-asset collateral accepted at the venues (`[[venues.collateral]]`).
    pub collateral: Vec<CollateralState>,
    /// Reused engine event buffer.
    events: Vec<VenueEvent>,
    /// Scratch state of event absorption.
    scratch: record::Scratch,
    /// Reused buffer of external mids for Hyperliquid-style marks.
    mids: Vec<(Price, u64)>,
    /// Each market's seeding account (see `seed.rs`), once opened.
    seeders: Vec<Option<AccountId>>,
    /// Whether market `m` has printed a trade of the run itself. Seeding prints are entry
    /// prices from before the run (a week of them), not a last price: until the first real
    /// trade the market has none, or makers would read them as a basis and marks as a print.
    traded: Vec<bool>,
    /// Whether the run has started: trades while the agents are built (seeding, and resting
    /// behaviour orders of accounts that entered at different times meeting each other) stand
    /// for the past, so they neither push the index nor count as a last price.
    running: bool,
}

/// Whether an engine refusal is an ordinary one an agent lives with.
#[must_use]
pub fn refused(e: &VenueError) -> bool {
    matches!(
        e,
        VenueError::InsufficientMargin { .. }
            | VenueError::InsufficientFunds { .. }
            | VenueError::InvalidOrder { .. }
            | VenueError::NoReferencePrice
            | VenueError::NotOwner(_)
            | VenueError::Book(_)
            | VenueError::LeverageCap { .. }
            | VenueError::Halted { .. }
            | VenueError::OutsideBand { .. }
    )
}

impl World {
    fn venue_err(&self, v: usize, e: VenueError) -> SimError {
        SimError::Venue { venue: self.venues[v].name.clone(), time: self.now, source: e }
    }

    /// The book of market `m`.
    #[must_use]
    pub fn book(&self, m: usize) -> &Book {
        let mk = &self.markets[m];
        // The id came from this venue: the lookup cannot fail.
        match self.venues[mk.venue].engine.book(mk.id) {
            Ok(b) => b,
            Err(_) => unreachable_book(),
        }
    }

    /// Marks the start of the run: from now on trades are flow (see `running`).
    ///
    /// # Errors
    /// A market whose opening price the venue refuses (a non-positive index).
    pub fn start_run(&mut self) -> Result<(), SimError> {
        self.running = true;
        (0..self.markets.len()).try_for_each(|m| self.open_at_index(m))
    }

    /// Sets market `m`'s last price to its index: the price the run opens at. A seeding fill
    /// leaves the last price at the entry it seeded, anywhere in the look-back, where stops
    /// placed while building (which fire on the last price) and margin checks before the
    /// first mark would read it.
    ///
    /// # Errors
    /// A non-positive index.
    pub(crate) fn open_at_index(&mut self, m: usize) -> Result<(), SimError> {
        let p = self.markets[m].price_near(self.spot_of(m));
        let (v, id) = (self.markets[m].venue, self.markets[m].id);
        self.venues[v].engine.set_opening_price(id, p).map_err(|e| self.venue_err(v, e))
    }

    /// Last price market `m` traded at in the run (seeding prints do not count: see `traded`).
    #[must_use]
    pub fn last(&self, m: usize) -> Option<Price> {
        if !self.traded.get(m).copied().unwrap_or(false) {
            return None;
        }
        let mk = &self.markets[m];
        self.venues[mk.venue].engine.last_price(mk.id).ok().flatten()
    }

    /// `account`'s signed position in market `m`.
    #[must_use]
    pub fn position(&self, m: usize, account: AccountId) -> Qty {
        let mk = &self.markets[m];
        self.venues[mk.venue]
            .engine
            .ledger()
            .account(account)
            .ok()
            .and_then(|a| a.position(mk.id).map(|p| p.size))
            .unwrap_or(Qty::ZERO)
    }

    /// Initial margin of a position of `qty` at `price` and `leverage` in market `m`, by the
    /// venue's tiers (a leverage above the tier's maximum falls back to the tier's own rate, as
    /// the engine does).
    #[must_use]
    pub fn initial_margin(&self, m: usize, qty: Qty, price: Price, leverage: u16) -> Cash {
        let mk = &self.markets[m];
        let Ok(tiers) = self.venues[mk.venue].engine.tiers(mk.id) else { return Cash(i64::MAX) };
        let Ok(e) = Exposure::of(&mk.instrument, qty, price) else { return Cash(i64::MAX) };
        let lev = Leverage::from_int(i64::from(leverage.max(1))).ok();
        tiers.initial_margin(&e, lev).or_else(|_| tiers.initial_margin(&e, None)).unwrap_or(Cash(i64::MAX))
    }

    /// The highest whole leverage market `m` allows a position worth `notional` at `price`,
    /// and the maintenance rate it is liquidated at: that tier's rate plus the fee to close the
    /// venue's rules reserve (OKX's 0.2% liquidation fee, Bybit's taker fee). The price turns
    /// the notional into a size for tables that count contracts (OKX); notional tables ignore
    /// it.
    #[must_use]
    pub fn tier_limits(&self, m: usize, notional: Cash, price: f64) -> (u16, f64) {
        let mk = &self.markets[m];
        let Ok(tiers) = self.venues[mk.venue].engine.tiers(mk.id) else { return (1, 0.5) };
        let exposure = match (tiers.basis(), mk.price_tick_near(price)) {
            (TierBasis::Size, Some(p)) if notional.is_positive() => {
                Exposure::of(&mk.instrument, mk.qty_for_value(notional, p), p)
                    .unwrap_or(Exposure::notional(notional))
            }
            _ => Exposure::notional(notional),
        };
        let t = tiers.tier(&exposure);
        let lev = (t.max_leverage.0 / RATE_ONE).clamp(1, i64::from(u16::MAX));
        let close = self.venues[mk.venue].engine.close_fee_rate(mk.id);
        (u16::try_from(lev).unwrap_or(1), t.mmr.to_f64() + close.to_f64())
    }

    /// The highest whole leverage `set_leverage` accepts on a flat position in market `m`.
    #[must_use]
    pub fn max_opening_leverage(&self, m: usize) -> u16 {
        self.tier_limits(m, Cash::ZERO, 0.0).0
    }

    /// Opens an account at venue `v` for `owner`.
    ///
    /// # Errors
    /// The venue is out of account ids.
    pub fn open_account(&mut self, v: usize, owner: Owner) -> Result<AccountId, SimError> {
        let a = self.venues[v].engine.open_account().map_err(|e| self.venue_err(v, e))?;
        let owners = &mut self.venues[v].owners;
        let i = a.0 as usize;
        if owners.len() <= i {
            owners.resize(i + 1, Owner::Nobody);
        }
        owners[i] = owner;
        Ok(a)
    }

    /// Deposits `amount` of the settle asset from outside the world (nothing for a
    /// non-positive amount).
    ///
    /// # Errors
    /// The engine refused (a bug).
    pub fn deposit(&mut self, v: usize, account: AccountId, amount: Cash) -> Result<(), SimError> {
        if !amount.is_positive() {
            return Ok(());
        }
        self.counters.engine_calls += 1;
        self.venues[v].engine.deposit(account, SETTLE, amount).map_err(|e| self.venue_err(v, e))?;
        self.transfers.external += i128::from(amount.0);
        Ok(())
    }

    /// Sets the margin mode and leverage of `account` in market `m` before it trades there.
    ///
    /// # Errors
    /// The engine refused (a bug: callers pass a leverage within the tier's maximum).
    pub fn configure(
        &mut self,
        m: usize,
        account: AccountId,
        isolated: bool,
        leverage: u16,
    ) -> Result<(), SimError> {
        let (v, ins) = (self.markets[m].venue, self.markets[m].id);
        let engine = &mut self.venues[v].engine;
        let r = if isolated { engine.set_margin_mode(account, ins, MarginMode::Isolated) } else { Ok(()) };
        let r = r.and_then(|()| engine.set_leverage(account, ins, leverage.max(1)));
        r.map_err(|e| self.venue_err(v, e))
    }

    /// Moves `amount` from `account`'s wallet into its isolated margin in market `m`.
    ///
    /// # Errors
    /// The engine refused (a bug).
    pub fn add_isolated_margin(
        &mut self,
        m: usize,
        account: AccountId,
        amount: Cash,
    ) -> Result<(), SimError> {
        if !amount.is_positive() {
            return Ok(());
        }
        let (v, ins) = (self.markets[m].venue, self.markets[m].id);
        self.venues[v].engine.add_isolated_margin(account, ins, amount).map_err(|e| self.venue_err(v, e))
    }

    /// Sends an order. `Ok(None)` when the venue refused it for an ordinary reason.
    ///
    /// # Errors
    /// Any other refusal (a bug).
    pub fn place(
        &mut self,
        m: usize,
        account: AccountId,
        req: OrderRequest,
    ) -> Result<Option<Placed>, SimError> {
        let (v, ins) = (self.markets[m].venue, self.markets[m].id);
        self.place_on(v, ins, account, req)
    }

    /// Sends an order to instrument `ins` of venue `v` (a perpetual or a spot book).
    fn place_on(
        &mut self,
        v: usize,
        ins: cascade_engine::instrument::InstrumentId,
        account: AccountId,
        req: OrderRequest,
    ) -> Result<Option<Placed>, SimError> {
        self.counters.engine_calls += 1;
        self.events.clear();
        let r = self.venues[v].engine.place(account, ins, req, &mut self.events);
        self.absorb(v)?;
        match r {
            Ok(p) => Ok(Some(p)),
            Err(VenueError::LeverageCap { .. }) => {
                self.policy.report.orders_refused_leverage_cap += 1;
                Ok(None)
            }
            Err(e) if refused(&e) => Ok(None),
            Err(e) => Err(self.venue_err(v, e)),
        }
    }

    /// A market order with price protection: an immediate-or-cancel limit at the venue's band
    /// around the mark (else the index), as venues protect market orders against the mark
    /// (Binance's price protection), so an agent's order never sweeps an emptied book to an
    /// absurd price. Without a band or a reference price it is a plain market order.
    ///
    /// # Errors
    /// As [`World::place`].
    pub fn market_order(
        &mut self,
        m: usize,
        account: AccountId,
        side: cascade_engine::book::Side,
        qty: Qty,
        reduce_only: bool,
    ) -> Result<Option<Placed>, SimError> {
        let mk = &self.markets[m];
        let band = self.venues[mk.venue].band;
        let reference = mk.mark.or(mk.index).map(|p| mk.to_f64(p));
        let limit = match (reference, side) {
            (Some(r), cascade_engine::book::Side::Buy) if band > 0.0 => mk.price_down(r * (1.0 + band)),
            (Some(r), cascade_engine::book::Side::Sell) if band > 0.0 => mk.price_up(r * (1.0 - band)),
            _ => None,
        };
        let req = match limit {
            Some(p) => OrderRequest {
                tif: cascade_engine::book::TimeInForce::Ioc,
                ..OrderRequest::limit(side, p, qty)
            },
            None => OrderRequest::market(side, qty),
        };
        self.place(m, account, OrderRequest { reduce_only, ..req })
    }

    /// Cancels every order and stop of `account` in market `m`.
    ///
    /// # Errors
    /// The engine refused (a bug).
    pub fn cancel_all(&mut self, m: usize, account: AccountId) -> Result<(), SimError> {
        let (v, ins) = (self.markets[m].venue, self.markets[m].id);
        self.cancel_all_on(v, ins, account)
    }

    /// Cancels every order and stop of `account` in instrument `ins` of venue `v`.
    fn cancel_all_on(
        &mut self,
        v: usize,
        ins: cascade_engine::instrument::InstrumentId,
        account: AccountId,
    ) -> Result<(), SimError> {
        self.counters.engine_calls += 1;
        self.events.clear();
        let r = self.venues[v].engine.cancel_all(account, ins, &mut self.events);
        self.absorb(v)?;
        r.map_err(|e| self.venue_err(v, e))
    }

    /// Computes market `m`'s mark from `index` (quote currency) under its venue's rule and sets
    /// it, which fires mark-triggered stops and runs the liquidation pass. Also samples the
    /// funding premium and settles funding when due.
    ///
    /// # Errors
    /// A pricing or engine failure (a bug).
    pub fn update_mark(&mut self, m: usize, index: f64) -> Result<(), SimError> {
        let index_p = self.markets[m].price_near(index);
        self.update_mark_price(m, index_p)
    }

    /// As [`World::update_mark`], from an index already in market `m`'s price units (an index
    /// made by spot books, see `spot.rs`).
    ///
    /// # Errors
    /// As [`World::update_mark`].
    pub fn update_mark_price(&mut self, m: usize, index_p: Price) -> Result<(), SimError> {
        let now_ms = i64::try_from(self.now.as_millis()).unwrap_or(i64::MAX);
        let now_s = self.now.as_micros() as f64 / 1e6;
        let asset = self.markets[m].asset;
        let venue = self.markets[m].venue;
        // Other venues' mids of the same asset (Hyperliquid's external perp mids).
        let mut mids = std::mem::take(&mut self.mids);
        mids.clear();
        if self.venues[venue].kind == VenueKind::Hyperliquid {
            for (j, other) in self.markets.iter().enumerate() {
                if j != m && other.asset == asset && other.venue != venue {
                    let b = self.venues[other.venue].engine.book(other.id);
                    if let Some(mid) = b.ok().and_then(Book::mid) {
                        // Same quote currency, possibly different precisions.
                        let x = other.to_f64(mid);
                        mids.push((self.markets[m].price_near(x), 1));
                    }
                }
            }
        }
        let (id, last) = (self.markets[m].id, self.last(m));
        let computed = match self.venues[venue].engine.book(id) {
            Ok(book) => {
                let mk = &mut self.markets[m];
                mk.compute_mark(now_ms, index_p, book, last, &mids).and_then(|p| {
                    mk.observe_mark(p, now_s);
                    mk.observe_premium(book, now_ms).map(|()| p)
                })
            }
            Err(e) => {
                self.mids = mids;
                return Err(self.venue_err(venue, e));
            }
        };
        self.mids = mids;
        let mark = computed.map_err(|e| self.pricing_err(m, e))?;
        self.counters.engine_calls += 1;
        self.events.clear();
        // The venue's clock (liquidation cooldowns, the backstop's offload pace).
        let r = self.venues[venue]
            .engine
            .set_time(self.now.as_millis())
            .and_then(|()| self.venues[venue].engine.set_mark_price(id, mark, &mut self.events));
        self.absorb(venue)?;
        r.map_err(|e| self.venue_err(venue, e))?;
        self.settle_funding_if_due(m, now_ms)
    }

    fn pricing_err(&self, m: usize, e: cascade_engine::pricing::PricingError) -> SimError {
        let mk = &self.markets[m];
        SimError::Pricing {
            market: format!("{}:{}", self.venues[mk.venue].name, mk.symbol),
            time: self.now,
            source: e,
        }
    }

    fn settle_funding_if_due(&mut self, m: usize, now_ms: i64) -> Result<(), SimError> {
        let due = self.markets[m].funding_due(now_ms).map_err(|e| self.pricing_err(m, e))?;
        let Some(rate) = due else { return Ok(()) };
        if rate == Rate::ZERO {
            return Ok(());
        }
        let mk = &self.markets[m];
        let (v, id, oracle, index) = (mk.venue, mk.id, mk.funding_at_oracle, mk.index);
        self.counters.engine_calls += 1;
        self.events.clear();
        let engine = &mut self.venues[v].engine;
        let r = match (oracle, index) {
            (true, Some(ix)) => engine.settle_funding_at(id, rate, ix, &mut self.events).map(|_| ()),
            _ => engine.settle_funding(id, rate, &mut self.events).map(|_| ()),
        };
        self.absorb(v)?;
        r.map_err(|e| self.venue_err(v, e))
    }

    /// The state of market `m` for a metrics row.
    #[must_use]
    pub fn snapshot(&self, m: usize) -> MarketSnapshot {
        record::snapshot(&self.venues, &self.markets, m)
    }

    /// Takes the metrics samples due by now (one row per market each).
    pub fn sample(&mut self) -> bool {
        let (venues, markets) = (&self.venues, &self.markets);
        self.recorder.sample(self.now, |k| record::snapshot(venues, markets, k.0 as usize))
    }

    /// Checks every venue's invariants by a full scan, and the money accounting across venues
    /// (transfers in flight included).
    ///
    /// # Errors
    /// [`SimError::Invariant`] naming the venue and what failed.
    pub fn check_invariants(&self, event: u64) -> Result<(), SimError> {
        for v in &self.venues {
            if let Err(e) = v.engine.check_invariants() {
                return Err(SimError::Invariant {
                    venue: v.name.clone(),
                    time: self.now,
                    event,
                    message: e.to_string(),
                });
            }
        }
        self.check_transfers(event)
    }

    /// Records the engine events of the last call at venue `v` and leaves notices.
    fn absorb(&mut self, v: usize) -> Result<(), SimError> {
        let events = std::mem::take(&mut self.events);
        self.counters.venue_events += events.len() as u64;
        let r = record::absorb(self, v, &events);
        self.events = events;
        r
    }
}

/// Market ids are created with their venue; a failed lookup would be a bug in `build`.
#[cold]
fn unreachable_book() -> ! {
    unreachable!("a market's instrument id always exists at its venue")
}
