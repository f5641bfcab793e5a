//! The venue façade: one exchange's instruments, books, accounts and ledger behind one
//! event-in / events-out API.
//!
//! The venue validates an order against its instrument (tick, lot, minimum quantity and notional,
//! reduce-only, price protection), hands it to the book, and turns every fill into position
//! updates, realized PnL and fees moved through the [`Ledger`]. Money moves only there, so the
//! invariants ([`Venue::check_invariants`]) hold after every call: conservation of money, long
//! open interest = short open interest, and clearing + open-position claims = 0.
//!
//! Margin (`margin.rs`), the liquidation pass (`liquidation.rs`), funding payments
//! (`funding.rs`) and spot settlement (`spot.rs`: fills that exchange assets, with orders
//! backed by held funds) are further `impl Venue` blocks in this folder, as are the safeguards
//! of `crate::policy` (`policy.rs`: the leverage cap at order entry, the dynamic-margin
//! multiplier that swaps a market's tiers and re-indexes its triggers) and of
//! `crate::safeguards` (`safeguards.rs`: circuit-breaker halts, price bands, liquidation
//! pacing).

mod adl_lists;
mod deferred;
pub mod funding;
mod liquidation;
mod margin;
mod order_markets;
mod policy;
mod safeguards;
mod spot;
mod waiting;

use std::collections::{BTreeMap, BTreeSet};

pub use liquidation::{BackstopState, LiquidationKind, LiquidationReport};
pub use margin::{CollateralRule, CollateralSource, MarginState};

use crate::book::{
    AccountId, Book, BookError, BookEvent, ExpireReason, Fate, NewOrder, OrderId, Side, StopBook, StopEntry,
    StopId, StopOrder, Stp, TimeInForce, Trigger,
};
use crate::instrument::{AssetId, Instrument, InstrumentId, InstrumentSpec};
use crate::ledger::{FundId, Ledger, LedgerError, Party, Settlement};
use crate::margin::tables::default_tiers;
use crate::margin::tiers::RiskTiers;
use crate::num::{Cash, Overflow, Price, Qty, RATE_ONE, Rate, Round};
use crate::position::{MarginMode, apply_fill};
use crate::risk::index::LiquidationIndex;
use crate::risk::rules::{AdlTrigger, RuleSet};
use crate::safeguards::Safeguards;

/// Venue-wide settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueConfig {
    /// Price protection for market orders: a market order fills no further than this fraction
    /// from the mark (the best opposite quote on a book without a mark), as venues cap market
    /// orders (Binance's `marketTakeBound`, Bybit's and OKX's price limits). Zero disables it.
    pub market_band: Rate,
    /// The venue's liquidation rules (see `risk::rules`).
    pub rules: RuleSet,
    /// Refuse orders that would open exposure the account cannot back at initial margin, and
    /// lock initial margin into isolated positions as they grow. Off: callers manage margin
    /// themselves (a raw matching engine).
    pub enforce_initial_margin: bool,
    /// Run the liquidation pass on mark updates. Off: nobody is forced out (the counterfactual
    /// behind the cascade-amplification figure).
    pub liquidations: bool,
    /// One insurance fund per instrument (BitMEX §4.3, Bybit isolated pools §2.4) instead of
    /// one shared fund per settle asset.
    pub fund_per_instrument: bool,
    /// Margin mode of new positions.
    pub default_mode: MarginMode,
    /// Check every invariant by a full scan after every settled trade and every liquidation
    /// step (tests: conservation after every event, not only after every call).
    pub audit: bool,
    /// Circuit breaker, price bands, liquidation pacing, ADL variant and external backstop
    /// (`crate::safeguards`; all off by default).
    pub safeguards: Safeguards,
}

impl Default for VenueConfig {
    fn default() -> Self {
        Self {
            market_band: Rate::from_bps(500),
            rules: RuleSet::of(crate::margin::tables::Venue::Binance),
            enforce_initial_margin: true,
            liquidations: true,
            fund_per_instrument: false,
            default_mode: MarginMode::Cross,
            audit: false,
            safeguards: Safeguards::default(),
        }
    }
}

/// What kind of order a trader sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// A limit order at a price.
    Limit(Price),
    /// A market order, capped by the venue's price band.
    Market,
    /// A stop-market order: becomes a market order when `source` reaches `trigger`.
    StopMarket {
        /// Trigger price.
        trigger: Price,
        /// Last or mark price.
        source: Trigger,
    },
    /// A stop-limit order: becomes a limit order at `price` when `source` reaches `trigger`.
    StopLimit {
        /// Trigger price.
        trigger: Price,
        /// Which price triggers it.
        source: Trigger,
        /// The limit price once triggered.
        price: Price,
    },
}

/// An order as a trader sends it to the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRequest {
    /// Buy or sell.
    pub side: Side,
    /// Limit, market or stop.
    pub kind: OrderKind,
    /// Quantity in the instrument's quantity units.
    pub qty: Qty,
    /// Time in force (market orders are always immediate: GTC and post-only become IOC).
    pub tif: TimeInForce,
    /// Only reduce the current position, never open or flip it.
    pub reduce_only: bool,
    /// Self-trade prevention.
    pub stp: Stp,
}

impl OrderRequest {
    /// A GTC limit order.
    #[must_use]
    pub fn limit(side: Side, price: Price, qty: Qty) -> Self {
        Self {
            side,
            kind: OrderKind::Limit(price),
            qty,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            stp: Stp::None,
        }
    }

    /// A market order.
    #[must_use]
    pub fn market(side: Side, qty: Qty) -> Self {
        Self { side, kind: OrderKind::Market, qty, tif: TimeInForce::Ioc, reduce_only: false, stp: Stp::None }
    }
}

/// A trade as the venue settled it: both sides' fees and realized PnL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Price (the maker's).
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Settle-asset value of the trade.
    pub value: Cash,
    /// The aggressor's side.
    pub taker_side: Side,
    /// The aggressor.
    pub taker: AccountId,
    /// The resting side's owner.
    pub maker: AccountId,
    /// The resting order.
    pub maker_order: OrderId,
    /// Fee paid by the taker.
    pub taker_fee: Cash,
    /// Fee paid by the maker (negative: rebate).
    pub maker_fee: Cash,
    /// PnL realized by the taker (before fees).
    pub taker_realized: Cash,
    /// PnL realized by the maker (before fees).
    pub maker_realized: Cash,
    /// Losses on this trade nobody could pay, covered by the fund or left as bad debt.
    pub shortfall: Cash,
}

/// Why an order left the book without filling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// Cancelled by its owner.
    Requested,
    /// Remainder of an immediate order, or a post-only/FOK/STP expiry, as the book said.
    Expired(ExpireReason),
    /// A reduce-only order with nothing left to reduce.
    ReduceOnly,
    /// Cleared from the book when its market halted (a circuit breaker that cancels resting
    /// orders).
    Halted,
}

/// Something that happened at the venue, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueEvent {
    /// A settled trade.
    Trade(Trade),
    /// An order (or its remainder) left the book without trading.
    Cancelled {
        /// Instrument.
        instrument: InstrumentId,
        /// Order.
        order: OrderId,
        /// Owner.
        account: AccountId,
        /// Quantity removed.
        remaining: Qty,
        /// Why.
        reason: CancelReason,
    },
    /// A position (or part of it) was liquidated.
    Liquidation(LiquidationReport),
    /// A profitable opposite position was auto-deleveraged against a bankrupt one.
    Adl {
        /// Instrument.
        instrument: InstrumentId,
        /// The bankrupt account whose position was closed.
        liquidated: AccountId,
        /// The deleveraged counterparty.
        counterparty: AccountId,
        /// Quantity closed.
        qty: Qty,
        /// Price it was closed at.
        price: Price,
        /// PnL the counterparty realized.
        counterparty_realized: Cash,
        /// The counterparty's place in the venue's ADL queue for this pass (0 = first in line;
        /// dYdX's queue is its walk order from the pseudo-random start).
        rank: u32,
        /// The counterparty position's notional at the mark when it was ranked.
        counterparty_notional: Cash,
        /// Equity backing it then (cross: the whole pool), so notional ÷ equity is its
        /// effective leverage.
        counterparty_equity: Cash,
    },
    /// A stop order fired and was sent to the book.
    StopTriggered {
        /// Instrument.
        instrument: InstrumentId,
        /// The stop.
        stop: StopId,
        /// Owner.
        account: AccountId,
    },
    /// Funding was settled on an instrument (see [`funding`]).
    Funding(funding::FundingSummary),
    /// A share of a market's unpaid loss charged to an open position (Drift §7.3).
    SocializedLoss {
        /// Instrument whose loss it is.
        instrument: InstrumentId,
        /// The account charged.
        account: AccountId,
        /// Amount charged, settle asset.
        amount: Cash,
    },
    /// A liquidated account's collateral converted into the settle asset.
    CollateralSale {
        /// The liquidated account.
        account: AccountId,
        /// Collateral asset sold.
        asset: AssetId,
        /// Units sold (`Cash` precision of the asset).
        units: Cash,
        /// Settle asset received.
        proceeds: Cash,
        /// The venue's spot book it was sold into, or `None` when the backstop bought it.
        book: Option<InstrumentId>,
    },
    /// The external backstop deposited `amount` into the insurance fund backing `instrument`
    /// (money from outside the venue, counted in the ledger's deposits).
    FundBackstop {
        /// The instrument whose bankrupt position called for it.
        instrument: InstrumentId,
        /// Amount deposited, settle asset.
        amount: Cash,
    },
    /// A circuit breaker halted the market until `until_ms` (venue clock).
    Halted {
        /// Instrument.
        instrument: InstrumentId,
        /// End of the halt, milliseconds of the venue clock.
        until_ms: u64,
    },
    /// Collateral a liquidated account still held after leaving bad debt, taken by the backstop
    /// to sell; its proceeds repay that bad debt before they reach the fund.
    CollateralSeized {
        /// The liquidated account.
        account: AccountId,
        /// Collateral asset taken.
        asset: AssetId,
        /// Units taken.
        units: Cash,
        /// Their value at the venue's collateral price less haircut, settle asset.
        value: Cash,
    },
}

/// What happened to a placed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Sent to the book.
    Order {
        /// Its id (stale unless it rests).
        id: OrderId,
        /// Filled on arrival.
        filled: Qty,
        /// What became of the rest.
        fate: Fate,
    },
    /// Held as a stop until triggered.
    Stop(StopId),
}

/// Why the venue refused a call. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// No such instrument.
    #[error("unknown instrument {0}")]
    UnknownInstrument(u16),
    /// A field of the order is invalid.
    #[error("{field}: {reason}")]
    InvalidOrder {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The order belongs to another account.
    #[error("order {0:?} does not belong to this account")]
    NotOwner(OrderId),
    /// The market is halted by its circuit breaker: no order is accepted until `until_ms`.
    #[error("trading halted on instrument {instrument} until {until_ms} ms (circuit breaker)")]
    Halted {
        /// Instrument.
        instrument: u16,
        /// End of the halt, venue clock.
        until_ms: u64,
    },
    /// A limit order priced beyond the price band around the mark (or the reopening band
    /// after a halt).
    #[error("price {price} is outside the price band [{lo}, {hi}]")]
    OutsideBand {
        /// The order's limit, price units.
        price: i64,
        /// Lowest price allowed.
        lo: i64,
        /// Highest price allowed.
        hi: i64,
    },
    /// A market order found no reference price (empty opposite book and no mark).
    #[error("no reference price for a market order: the opposite side of the book is empty")]
    NoReferencePrice,
    /// From the book.
    #[error(transparent)]
    Book(#[from] BookError),
    /// From the ledger.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An instrument spec was refused.
    #[error(transparent)]
    Instrument(#[from] crate::instrument::InstrumentError),
    /// A spot order's worst case exceeds what the account's wallet holds of the asset it pays
    /// with (the quote for a buy, the base for a sell).
    #[error("insufficient funds in asset {asset}: {required} required, {available} available")]
    InsufficientFunds {
        /// The asset.
        asset: u16,
        /// What the order may have to pay (value and fee at its limit, or the base sold); for
        /// an amendment, what it needs beyond what it already holds.
        required: Cash,
        /// What the wallet holds.
        available: Cash,
    },
    /// The order would open exposure the account cannot back at initial margin.
    #[error("insufficient margin: {required} required, {available} available")]
    InsufficientMargin {
        /// Initial margin the new position needs.
        required: Cash,
        /// What the account has free.
        available: Cash,
    },
    /// The order would give a position more leverage than the venue's leverage cap allows
    /// (`policy::leverage`): the position's chosen leverage is above the cap binding at the
    /// market's open interest and the position's size after the order.
    #[error("leverage cap: {leverage}x is above the {reason} cap of {cap}x")]
    LeverageCap {
        /// The position's chosen leverage.
        leverage: crate::margin::tiers::Leverage,
        /// The binding cap.
        cap: crate::margin::tiers::Leverage,
        /// Which part of the cap binds.
        reason: crate::policy::CapReason,
    },
    /// A margin table was refused.
    #[error(transparent)]
    Tier(#[from] crate::margin::tiers::TierError),
    /// A figure did not fit.
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// An invariant failed: a bug in the engine, reported with what failed.
    #[error("invariant violated: {0}")]
    Invariant(String),
}

fn overflow(field: &'static str) -> impl Fn(Overflow) -> VenueError {
    move |_| VenueError::Overflow(field)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> VenueError {
    VenueError::InvalidOrder { field, reason: reason.into() }
}

/// One instrument's market: its spec, book, stops and prices.
#[derive(Debug)]
struct Market {
    instrument: Instrument,
    book: Book,
    stops: StopBook,
    last: Option<Price>,
    mark: Option<Price>,
    /// Σ of long sizes (= Σ of short sizes).
    open_interest: Qty,
    /// Resting reduce-only orders by owner, re-checked when the owner's position changes.
    reduce_only: BTreeSet<(AccountId, OrderId)>,
    /// Whether a stop was marked reduce-only at placement.
    reduce_only_stops: BTreeSet<StopId>,
    /// Margin tiers (replace them with [`Market::set_tiers`], which keeps `extremes`).
    tiers: RiskTiers,
    /// The tiers' largest maintenance rate and smallest maintenance amount, for the trigger
    /// bound (`deferred.rs`).
    extremes: deferred::TierExtremes,
    /// Who may become liquidatable at which mark.
    index: LiquidationIndex,
    /// The insurance fund that backs this instrument.
    fund: FundId,
    /// The mark before the current one (Hyperliquid's ADL price).
    prev_mark: Option<Price>,
    /// Accounts holding a long (`[0]`) or short (`[1]`) position that has no liquidation price
    /// (a 1x long, a cross long behind a large wallet, a hedge's short leg): not in the
    /// liquidation index, yet ADL candidates. With the index they list every open position, at
    /// no cost to the common case.
    untriggered: [BTreeSet<AccountId>; 2],
    /// Every open position's record for ADL rankings (`adl_lists.rs`).
    adl: crate::risk::adl_members::AdlMembers,
    /// Open-interest value under which the fund absorbs everything and ADL never fires
    /// (Binance's BTC/ETH/BNB guarantee, §1.4).
    adl_guarantee: Option<Cash>,
    /// When the backstop last sold inventory here (venue clock).
    last_offload_ms: Option<u64>,
    /// Loss this market's trades left unpaid after the insurance fund, awaiting Drift's
    /// socialisation (§7.3).
    pending_loss: Cash,
    /// Spot markets: what each resting order holds of its owner's funds (empty otherwise).
    holds: BTreeMap<OrderId, spot::SpotHold>,
    /// Leverage cap on new exposure (`policy::leverage`), if the venue set one.
    cap: Option<crate::policy::LeverageCap>,
    /// The margin table before dynamic margin scaled it (`policy::margin`), once it has.
    base_tiers: Option<RiskTiers>,
    /// The dynamic-margin multiplier in force (one: the base table).
    margin_multiplier: Rate,
    /// Circuit-breaker state.
    halt: safeguards::HaltState,
    /// Liquidation-pacing state.
    pace: safeguards::PaceState,
}

impl Market {
    /// Replaces the margin table (and what the trigger bound reads of it).
    fn set_tiers(&mut self, tiers: RiskTiers) {
        self.extremes = deferred::TierExtremes::of(&tiers);
        self.tiers = tiers;
    }
}

/// Per-(account, instrument) deadlines, hashed (a crash's liquidation pass looks one up for
/// every candidate on a venue that slices).
type Cooldowns = std::collections::HashMap<
    (AccountId, InstrumentId),
    u64,
    std::hash::BuildHasherDefault<crate::risk::index::IdHasher>,
>;

/// One exchange.
#[derive(Debug)]
pub struct Venue {
    config: VenueConfig,
    ledger: Ledger,
    markets: Vec<Market>,
    /// Reused buffer for book events, so a busy venue does not allocate per call.
    scratch: Vec<BookEvent>,
    /// How non-settle assets count as collateral, by asset.
    collateral: Vec<Option<CollateralRule>>,
    /// The venue's own account that takes over positions (insurance fund / liquidator vault).
    backstop: Option<AccountId>,
    /// Margin mode of new positions.
    default_mode: MarginMode,
    /// The account being liquidated: its fills pay the liquidation fee to the fund.
    liquidating: Option<AccountId>,
    /// ADL rankings of the current liquidation pass, one per (instrument, bankrupt side) used.
    adl_queues: Vec<liquidation::AdlQueue>,
    /// Pool records of the markets' ADL lists (`adl_lists.rs`).
    adl_pools: crate::risk::adl_members::AdlPools,
    /// The vault's pool state read in the current pass, with the settle asset and the vault's
    /// record it was read from (see `vault_maintenance`).
    vault_seen: Option<(AssetId, crate::ledger::Account, margin::MarginState)>,
    /// Accounts whose positions or balances changed since their trigger was computed.
    dirty: DirtySet,
    /// The venue clock, milliseconds, set by the caller ([`Venue::set_time`]).
    now_ms: u64,
    /// Hyperliquid cooldowns after a partial liquidation: (account, instrument) → until. Only
    /// looked up and written, never iterated, so its order cannot reach an output.
    cooldown: Cooldowns,
    /// Recent maxima of each fund's balance, for OKX's drawdown trigger.
    fund_peaks: BTreeMap<FundId, std::collections::VecDeque<(u64, Cash)>>,
    /// Capital deposited into the backstop (a vault's own money).
    backstop_capital: Cash,
    /// PnL the backstop has realized.
    backstop_pnl: Cash,
    /// Pacing cooldowns: (account, instrument) → until (venue clock).
    pace_cooldown: BTreeMap<(AccountId, InstrumentId), u64>,
    /// What is left of the external backstop's capital.
    external_left: Cash,
    /// Margin was added to an open isolated position ([`Venue::add_isolated_margin`]), which
    /// leaves its trigger as it was until the account is next re-indexed (conservative: the
    /// trigger can only be early). The liquidation pass then never skips a re-index.
    margin_added_unindexed: bool,
    /// Which markets may hold each account's orders or stops (a superset, confirmed on read).
    order_markets: order_markets::OrderMarkets,
    /// Accounts set aside while they wait on a hollow book (`waiting.rs`).
    waiting: waiting::Waiting,
}

impl Venue {
    /// An empty venue.
    #[must_use]
    pub fn new(config: VenueConfig) -> Self {
        Self {
            config,
            ledger: Ledger::new(),
            markets: Vec::new(),
            scratch: Vec::new(),
            collateral: Vec::new(),
            backstop: None,
            default_mode: config.default_mode,
            liquidating: None,
            adl_queues: Vec::new(),
            vault_seen: None,
            adl_pools: crate::risk::adl_members::AdlPools::default(),
            dirty: DirtySet::default(),
            now_ms: 0,
            cooldown: Cooldowns::default(),
            fund_peaks: BTreeMap::new(),
            backstop_capital: Cash::ZERO,
            backstop_pnl: Cash::ZERO,
            pace_cooldown: BTreeMap::new(),
            external_left: config.safeguards.backstop.map_or(Cash::ZERO, |b| b.capital),
            margin_added_unindexed: false,
            order_markets: order_markets::OrderMarkets::default(),
            waiting: waiting::Waiting::default(),
        }
    }

    /// Lists an instrument with the venue's default margin table for its symbol (the tables of
    /// `margin::tables`; where the reference records none, a flat 0.5% / 1% table).
    ///
    /// # Errors
    /// The spec is invalid, or the book refuses its tick/lot.
    pub fn add_instrument(&mut self, spec: InstrumentSpec) -> Result<InstrumentId, VenueError> {
        let tiers = match default_tiers(self.config.rules.venue, &spec.symbol) {
            Ok(t) => t,
            Err(_) => RiskTiers::flat(Rate::from_bps(50), Rate::from_bps(100), Cash::ZERO)?,
        };
        self.add_instrument_with_tiers(spec, tiers)
    }

    /// Lists an instrument with an explicit margin table.
    ///
    /// # Errors
    /// The spec is invalid, or the book refuses its tick/lot.
    pub fn add_instrument_with_tiers(
        &mut self,
        spec: InstrumentSpec,
        tiers: RiskTiers,
    ) -> Result<InstrumentId, VenueError> {
        let spec_symbol = spec.symbol.clone();
        let instrument = Instrument::new(spec)?;
        let id =
            InstrumentId(u16::try_from(self.markets.len()).map_err(|_| VenueError::Overflow("instruments"))?);
        let (tick, lot) = (instrument.spec().tick, instrument.spec().lot);
        let book = Book::new(tick, lot)?.with_max_account(u32::MAX - 1);
        let stops = StopBook::new(tick, lot)?.with_max_account(u32::MAX - 1);
        self.ledger.register_instrument(id, instrument.settle_asset());
        let fund = if self.config.fund_per_instrument {
            self.ledger.create_fund(instrument.settle_asset())?
        } else {
            self.ledger.default_fund(instrument.settle_asset())?
        };
        self.markets.push(Market {
            instrument,
            book,
            stops,
            last: None,
            mark: None,
            open_interest: Qty::ZERO,
            reduce_only: BTreeSet::new(),
            reduce_only_stops: BTreeSet::new(),
            extremes: deferred::TierExtremes::of(&tiers),
            tiers,
            index: LiquidationIndex::default(),
            fund,
            prev_mark: None,
            untriggered: [BTreeSet::new(), BTreeSet::new()],
            adl: crate::risk::adl_members::AdlMembers::default(),
            adl_guarantee: default_adl_guarantee(self.config.rules.venue, &spec_symbol),
            last_offload_ms: None,
            pending_loss: Cash::ZERO,
            holds: BTreeMap::new(),
            cap: None,
            base_tiers: None,
            margin_multiplier: Rate::ONE,
            halt: safeguards::HaltState::default(),
            pace: safeguards::PaceState::default(),
        });
        Ok(id)
    }

    /// Reserves room for `n` more accounts, so a large population does not leave up to half of
    /// the account table as growth slack.
    pub fn reserve_accounts(&mut self, n: usize) {
        self.ledger.reserve(n);
    }

    /// Opens a trader account.
    ///
    /// # Errors
    /// Too many accounts.
    pub fn open_account(&mut self) -> Result<AccountId, VenueError> {
        Ok(self.ledger.open_account()?)
    }

    /// Credits a deposit.
    ///
    /// # Errors
    /// See [`Ledger::deposit`].
    pub fn deposit(&mut self, account: AccountId, asset: AssetId, amount: Cash) -> Result<(), VenueError> {
        self.ledger.deposit(account, asset, amount)?;
        if !self.ledger.account(account)?.positions().is_empty() {
            self.reindex(account)?;
        }
        Ok(())
    }

    /// What `account` may withdraw of `asset` now: its wallet balance, and, while it holds cross
    /// positions settled in `asset`, no more than the pool's free margin (equity at the marks,
    /// unrealized PnL included, less the positions' initial margin), so a withdrawal never takes
    /// margin the positions need, and an unrealized profit can back the positions but never
    /// leave the venue. Never negative.
    ///
    /// # Errors
    /// Unknown account; overflow.
    pub fn withdrawable(&self, account: AccountId, asset: AssetId) -> Result<Cash, VenueError> {
        let wallet = self.ledger.account(account)?.balance(asset).max(Cash::ZERO);
        let s = self.pool_margin(account, asset)?;
        if !s.initial.is_positive() {
            return Ok(wallet);
        }
        let free = s.equity.checked_sub(s.initial).map_err(overflow("free margin"))?;
        Ok(wallet.min(free).max(Cash::ZERO))
    }

    /// Pays out a withdrawal of at most [`Venue::withdrawable`]: what stays covers the initial
    /// margin of the account's positions. Money leaves through the ledger (the wallet, counted
    /// in the asset's withdrawals), so conservation holds.
    ///
    /// # Errors
    /// Insufficient balance or margin; unknown account.
    pub fn withdraw(&mut self, account: AccountId, asset: AssetId, amount: Cash) -> Result<(), VenueError> {
        let s = self.pool_margin(account, asset)?;
        let free = s.equity.checked_sub(s.initial).map_err(overflow("free margin"))?;
        if s.initial.is_positive() && free < amount {
            return Err(VenueError::InsufficientMargin { required: amount, available: free.max(Cash::ZERO) });
        }
        self.ledger.withdraw(account, asset, amount)?;
        if !self.ledger.account(account)?.positions().is_empty() {
            self.reindex(account)?;
        }
        Ok(())
    }

    /// The insurance fund backing `instrument`.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn fund_of(&self, instrument: InstrumentId) -> Result<FundId, VenueError> {
        Ok(self.market(instrument)?.fund)
    }

    /// Seeds a specific insurance fund.
    ///
    /// # Errors
    /// See [`Ledger::seed_fund`].
    pub fn seed_fund(&mut self, fund: FundId, amount: Cash) -> Result<(), VenueError> {
        Ok(self.ledger.seed_fund(fund, amount)?)
    }

    /// The venue's liquidation rules.
    #[must_use]
    pub fn rules(&self) -> &RuleSet {
        &self.config.rules
    }

    /// An instrument's margin tiers.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn tiers(&self, id: InstrumentId) -> Result<&RiskTiers, VenueError> {
        Ok(&self.market(id)?.tiers)
    }

    /// Number of positions in the instrument's liquidation index.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn indexed_positions(&self, id: InstrumentId) -> Result<usize, VenueError> {
        Ok(self.market(id)?.index.len())
    }

    /// The accounts the next liquidation pass on `id` would check first, most underwater
    /// first: every position whose trigger the current mark has crossed, after re-indexing the
    /// accounts that traded (empty without a mark). The exact margin check decides who among
    /// them is liquidated; an account not listed here is not liquidatable at this mark.
    ///
    /// # Errors
    /// Unknown instrument; overflow while re-indexing.
    pub fn liquidation_candidates(&mut self, id: InstrumentId) -> Result<Vec<AccountId>, VenueError> {
        self.refresh_index()?;
        let m = self.market(id)?;
        let mut out = Vec::new();
        if let Some(mark) = m.mark {
            m.index.crossed_most_underwater_first(mark, &mut out);
        }
        Ok(out)
    }

    /// Number of positions parked in the instrument's liquidation index: their trigger is so
    /// far from the mark that they are kept unordered (see `risk::index`).
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn parked_positions(&self, id: InstrumentId) -> Result<usize, VenueError> {
        Ok(self.market(id)?.index.parked_len())
    }

    /// The venue's backstop account (insurance fund / liquidator vault), once it exists.
    #[must_use]
    pub fn backstop(&self) -> Option<AccountId> {
        self.backstop
    }

    /// Seeds the insurance fund.
    ///
    /// # Errors
    /// See [`Ledger::seed_insurance_fund`].
    pub fn seed_insurance_fund(&mut self, asset: AssetId, amount: Cash) -> Result<(), VenueError> {
        Ok(self.ledger.seed_insurance_fund(asset, amount)?)
    }

    /// The ledger (read-only: money moves only through the venue).
    #[must_use]
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn market(&self, id: InstrumentId) -> Result<&Market, VenueError> {
        self.markets.get(usize::from(id.0)).ok_or(VenueError::UnknownInstrument(id.0))
    }

    fn market_mut(&mut self, id: InstrumentId) -> Result<&mut Market, VenueError> {
        self.markets.get_mut(usize::from(id.0)).ok_or(VenueError::UnknownInstrument(id.0))
    }

    /// An instrument's spec.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn instrument(&self, id: InstrumentId) -> Result<&Instrument, VenueError> {
        Ok(&self.market(id)?.instrument)
    }

    /// An instrument's book, for depth queries.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn book(&self, id: InstrumentId) -> Result<&Book, VenueError> {
        Ok(&self.market(id)?.book)
    }

    /// Last traded price.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn last_price(&self, id: InstrumentId) -> Result<Option<Price>, VenueError> {
        Ok(self.market(id)?.last)
    }

    /// Sets the last trade price without a trade: the price a run opens at. Positions opened
    /// before the run through the book (each filled at its own entry price) leave the last of
    /// those entries as the last price, days old; stops that fire on the last price, and the
    /// margin checks made before the first mark, would read it. Fires nothing.
    ///
    /// # Errors
    /// Unknown instrument; a non-positive price.
    pub fn set_opening_price(&mut self, id: InstrumentId, price: Price) -> Result<(), VenueError> {
        if price.0 <= 0 {
            return Err(VenueError::InvalidOrder {
                field: "price",
                reason: format!("opening price must be > 0, got {price:?}"),
            });
        }
        let idx = usize::from(id.0);
        self.market(id)?;
        self.markets[idx].last = Some(price);
        Ok(())
    }

    /// Open interest (Σ long sizes).
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn open_interest(&self, id: InstrumentId) -> Result<Qty, VenueError> {
        Ok(self.market(id)?.open_interest)
    }

    /// Number of instruments.
    #[must_use]
    pub fn instrument_count(&self) -> usize {
        self.markets.len()
    }

    /// Sets an instrument's margin mode for an account; only while it holds no position there.
    ///
    /// # Errors
    /// Unknown instrument/account, a spot market, or the position is open.
    pub fn set_margin_mode(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        mode: MarginMode,
    ) -> Result<(), VenueError> {
        self.refuse_spot(instrument, "mode")?;
        let pos = self.ledger.account_mut(account)?.position_mut(instrument, mode);
        if !pos.size.is_zero() || !pos.isolated_margin.is_zero() {
            return Err(invalid("mode", "margin mode can only change while the position is flat"));
        }
        pos.mode = mode;
        Ok(())
    }

    /// Moves collateral from the wallet into an isolated position's margin.
    ///
    /// # Errors
    /// A spot market, the position is not isolated, or the wallet lacks the amount.
    pub fn add_isolated_margin(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        amount: Cash,
    ) -> Result<(), VenueError> {
        self.refuse_spot(instrument, "mode")?;
        let asset = self.market(instrument)?.instrument.settle_asset();
        let pos = self.ledger.account(account)?.position(instrument).copied();
        if !pos.is_some_and(|p| p.mode == MarginMode::Isolated) {
            return Err(invalid("mode", "the position is not isolated (call set_margin_mode first)"));
        }
        self.wake_account(account);
        self.ledger.transfer(Party::Wallet(account), Party::Isolated(account, instrument), asset, amount)?;
        self.margin_added_unindexed |= pos.is_some_and(|p| !p.size.is_zero());
        Ok(())
    }

    /// Places an order. Events (trades, cancellations, triggered stops) are appended to `events`.
    ///
    /// On a spot market the order must be backed: see [`VenueError::InsufficientFunds`]; a
    /// resting remainder holds its funds until it fills or leaves the book.
    ///
    /// # Errors
    /// [`VenueError`] naming the invalid field; nothing changes on error. On a spot market,
    /// reduce-only (`reduce_only`) and stop orders (`kind`) are refused.
    pub fn place(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        req: OrderRequest,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Placed, VenueError> {
        self.ledger.account(account)?;
        self.refuse_if_halted(instrument)?;
        let m = self.market(instrument)?;
        let spec = m.instrument.spec();
        if req.qty.0 <= 0 {
            return Err(invalid("qty", format!("must be > 0 (got {})", req.qty.0)));
        }
        if !m.instrument.on_lot(req.qty) {
            return Err(invalid("qty", format!("{} is not a multiple of the lot {}", req.qty.0, spec.lot.0)));
        }
        if req.qty < spec.min_qty {
            return Err(invalid("qty", format!("{} is below the minimum {}", req.qty.0, spec.min_qty.0)));
        }
        for (field, p) in price_fields(req.kind) {
            if p.0 <= 0 {
                return Err(invalid(field, format!("must be > 0 (got {})", p.0)));
            }
            if field != "trigger" && !m.instrument.on_tick(p) {
                return Err(invalid(field, format!("{} is not a multiple of the tick {}", p.0, spec.tick.0)));
            }
        }
        let notional_price = match req.kind {
            OrderKind::Limit(p) | OrderKind::StopLimit { price: p, .. } => Some(p),
            OrderKind::StopMarket { trigger, .. } => Some(trigger),
            OrderKind::Market => self.reference_price(instrument, req.side)?,
        };
        if let Some(p) = notional_price {
            // An order worth more than the cash range holds is refused like any invalid order
            // (a runaway price must not stop the venue).
            let v = m.instrument.value(p, req.qty, Round::Floor).map_err(|_| {
                invalid(
                    "qty",
                    format!("{} at price {} is worth more than the cash range holds", req.qty.0, p.0),
                )
            })?;
            if v < spec.min_notional && !req.reduce_only {
                return Err(invalid(
                    "qty",
                    format!("notional {v} is below the minimum {}", spec.min_notional),
                ));
            }
        }
        let spot = m.instrument.is_spot();
        if spot && req.reduce_only {
            return Err(invalid("reduce_only", "a spot market has no position to reduce"));
        }
        if spot && !matches!(req.kind, OrderKind::Limit(_) | OrderKind::Market) {
            return Err(invalid("kind", "stop orders are not supported on spot markets"));
        }
        if self.config.enforce_initial_margin && !req.reduce_only && !spot && Some(account) != self.backstop {
            let price = match notional_price.or(self.reference_mark(instrument)) {
                Some(p) => p,
                None => return Err(VenueError::NoReferencePrice),
            };
            // Without a cap there is nothing to check (the common case: no call).
            if m.cap.is_some() {
                self.check_leverage_cap(account, instrument, req.qty.0 * req.side.sign(), price)?;
            }
            self.check_initial_margin(account, instrument, req.qty.0 * req.side.sign(), price)?;
        }
        match req.kind {
            OrderKind::StopMarket { trigger, source } | OrderKind::StopLimit { trigger, source, .. } => {
                let limit = match req.kind {
                    OrderKind::StopLimit { price, .. } => Some(price),
                    _ => None,
                };
                let tif = if limit.is_some() { req.tif } else { TimeInForce::Ioc };
                let order = NewOrder { account, side: req.side, limit, qty: req.qty, tif, stp: req.stp };
                self.wake_account(account);
                self.order_markets.note(account, instrument);
                let m = &mut self.markets[usize::from(instrument.0)];
                let id = m.stops.place(StopOrder { trigger: source, trigger_price: trigger, order })?;
                if req.reduce_only {
                    m.reduce_only_stops.insert(id);
                }
                Ok(Placed::Stop(id))
            }
            OrderKind::Limit(_) | OrderKind::Market => {
                let placed = self.send(account, instrument, req, events)?;
                // No stops on the book: nothing can fire (the common case: no call).
                if !self.markets[usize::from(instrument.0)].stops.is_empty() {
                    self.fire_stops(instrument, Trigger::Last, events)?;
                }
                Ok(placed)
            }
        }
    }

    /// Cancels a resting order of `account`.
    ///
    /// # Errors
    /// Unknown order or not the account's.
    pub fn cancel(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        order: OrderId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let m = self.market_mut(instrument)?;
        let view = m.book.order(order).ok_or(BookError::UnknownOrder(order))?;
        if view.account != account {
            return Err(VenueError::NotOwner(order));
        }
        let c = m.book.cancel(order)?;
        m.reduce_only.remove(&(account, order));
        events.push(cancelled(instrument, order, account, c.remaining, CancelReason::Requested));
        self.spot_sync(instrument, order)
    }

    /// Cancels every resting order and stop of `account` on `instrument`.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn cancel_all(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let m = self
            .markets
            .get_mut(usize::from(instrument.0))
            .ok_or(VenueError::UnknownInstrument(instrument.0))?;
        self.scratch.clear();
        m.book.cancel_all(account, &mut self.scratch);
        // Spot orders whose holds go back to the wallet once the book is done.
        let (spot, mut released) = (m.instrument.is_spot(), Vec::new());
        for e in self.scratch.drain(..) {
            if let BookEvent::Cancelled { order, remaining, .. } = e {
                m.reduce_only.remove(&(account, order));
                events.push(cancelled(instrument, order, account, remaining, CancelReason::Requested));
                if spot {
                    released.push(order);
                }
            }
        }
        let mut gone = Vec::new();
        m.stops.cancel_all(account, &mut gone);
        for e in gone {
            m.reduce_only_stops.remove(&e.id);
        }
        self.order_markets.clear(account, instrument);
        for order in released {
            self.spot_sync(instrument, order)?;
        }
        Ok(())
    }

    /// Amends a resting order's price and/or quantity (a size decrease keeps queue priority).
    ///
    /// # Errors
    /// Unknown order, not the account's, or invalid new price/quantity; on a spot market,
    /// [`VenueError::InsufficientFunds`] if the wallet and the order's hold cannot back it.
    pub fn amend(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        order: OrderId,
        new_price: Option<Price>,
        new_qty: Qty,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Fate, VenueError> {
        self.refuse_if_halted(instrument)?;
        let m = self
            .markets
            .get_mut(usize::from(instrument.0))
            .ok_or(VenueError::UnknownInstrument(instrument.0))?;
        let view = m.book.order(order).ok_or(BookError::UnknownOrder(order))?;
        if view.account != account {
            return Err(VenueError::NotOwner(order));
        }
        let spot = self.is_spot(instrument);
        if spot {
            self.spot_amend_prepare(instrument, order, new_price.unwrap_or(view.price), new_qty)?;
        }
        self.scratch.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        let out = self.markets[usize::from(instrument.0)].book.amend(order, new_price, new_qty, &mut scratch);
        let result = match out {
            Ok(o) => self.apply_book_events(instrument, &scratch, events).map(|()| o.fate),
            Err(e) => Err(e.into()),
        };
        scratch.clear();
        self.scratch = scratch;
        // The amended order's hold was returned to its wallet: hold its remainder again (on a
        // refused amendment, the unchanged order's original need).
        self.spot_sync(instrument, order)?;
        let fate = result?;
        self.fire_stops(instrument, Trigger::Last, events)?;
        Ok(fate)
    }

    /// Sets the mark price (from the pricing module or a simulator) and fires mark-triggered stops.
    ///
    /// # Errors
    /// Unknown instrument, non-positive price, or a failure while executing fired stops.
    pub fn set_mark_price(
        &mut self,
        instrument: InstrumentId,
        mark: Price,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        if mark.0 <= 0 {
            return Err(invalid("mark_price", format!("must be > 0 (got {})", mark.0)));
        }
        let m = self.market_mut(instrument)?;
        m.prev_mark = m.mark;
        m.mark = Some(mark);
        // A mark leaving the zone re-draws it: deferred triggers are solved first.
        if m.index.needs_solving(mark) {
            self.solve_deferred(instrument)?;
        }
        self.markets[usize::from(instrument.0)].index.set_mark(mark);
        self.observe_halt(instrument, events)?;
        let halted = self.is_halted(usize::from(instrument.0));
        // A halted market triggers no stops; they wait for the reopening.
        if !halted {
            self.fire_stops(instrument, Trigger::Mark, events)?;
        }
        let paused = halted && !self.config.safeguards.halt.is_some_and(|h| h.liquidations);
        // Nobody holds a position on a spot market: there is nothing to liquidate.
        if self.config.liquidations && !self.is_spot(instrument) && !paused {
            self.liquidation_pass(instrument, events)?;
        }
        Ok(())
    }

    /// Advances the venue clock (milliseconds; any epoch). The engine keeps no clock of its
    /// own: Hyperliquid's liquidation cooldown, the backstop's offload pace and OKX's fund
    /// window read this one.
    ///
    /// # Errors
    /// A time before the current one.
    pub fn set_time(&mut self, now_ms: u64) -> Result<(), VenueError> {
        if now_ms < self.now_ms {
            return Err(invalid(
                "time",
                format!("{now_ms} ms is before the venue clock ({} ms)", self.now_ms),
            ));
        }
        self.now_ms = now_ms;
        Ok(())
    }

    /// The venue clock, milliseconds.
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The mark price, if set.
    ///
    /// # Errors
    /// Unknown instrument.
    pub fn mark_price(&self, instrument: InstrumentId) -> Result<Option<Price>, VenueError> {
        Ok(self.market(instrument)?.mark)
    }

    /// The price a market order is valued at (minimum notional) and, on a book without a mark,
    /// banded around: the best opposite quote, else the mark.
    fn reference_price(&self, instrument: InstrumentId, side: Side) -> Result<Option<Price>, VenueError> {
        let m = self.market(instrument)?;
        let best = match side {
            Side::Buy => m.book.best_ask(),
            Side::Sell => m.book.best_bid(),
        };
        Ok(best.or(m.mark))
    }

    /// Sends a limit or market order to the book (after reduce-only clipping) and settles fills.
    fn send(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        req: OrderRequest,
        events: &mut Vec<VenueEvent>,
    ) -> Result<Placed, VenueError> {
        let idx = usize::from(instrument.0);
        let mut qty = req.qty;
        if req.reduce_only {
            let held = self.ledger.account(account)?.position(instrument).map_or(Qty::ZERO, |p| p.size);
            if held.signum() != -req.side.sign() {
                return Err(invalid("reduce_only", "no position on the opposite side to reduce"));
            }
            qty = qty.min(held.abs());
        }
        let (limit, tif) = match req.kind {
            OrderKind::Limit(p) => (Some(p), req.tif),
            _ => {
                let tif = if req.tif == TimeInForce::Fok { TimeInForce::Fok } else { TimeInForce::Ioc };
                (self.market_limit(instrument, req.side)?, tif)
            }
        };
        let market = !matches!(req.kind, OrderKind::Limit(_));
        let limit = self.banded_limit(account, instrument, req.side, limit, market)?;
        if self.markets[idx].instrument.is_spot() {
            let (asset, need) = self.spot_need(instrument, req.side, limit, qty)?;
            self.check_spot_backing(account, asset, need)?;
        }
        let order = NewOrder { account, side: req.side, limit, qty, tif, stp: req.stp };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let submitted = self.markets[idx].book.submit(order, &mut scratch);
        let result = match submitted {
            Ok(out) => self.apply_book_events(instrument, &scratch, events).map(|()| out),
            Err(e) => Err(e.into()),
        };
        scratch.clear();
        self.scratch = scratch;
        let out = result?;
        if let Some(id) = out.resting() {
            self.wake_account(account);
            self.order_markets.note(account, instrument);
            self.spot_sync(instrument, id)?;
        }
        if let (true, Some(id)) = (req.reduce_only, out.resting()) {
            self.markets[idx].reduce_only.insert((account, id));
            self.enforce_reduce_only(instrument, account, events)?;
        }
        Ok(Placed::Order { id: out.order, filled: out.filled, fate: out.fate })
    }

    /// The worst price a market order may reach under the price band (None: no band).
    ///
    /// The band is drawn around the mark where there is one (Binance's `marketTakeBound` and
    /// Bybit's and OKX's order price limits are fractions of the mark; Hyperliquid bounds a
    /// market order off the mid, else the mark), and around the best opposite quote only on a
    /// book without a mark (spot). Around the quote, a book left one-sided far from the mark
    /// (makers pulled one side) would let a market order fill tens of percent through the mark.
    fn market_limit(&self, instrument: InstrumentId, side: Side) -> Result<Option<Price>, VenueError> {
        if self.config.market_band.0 <= 0 {
            return Ok(None);
        }
        let reference = match self.market(instrument)?.mark {
            Some(mark) => mark,
            None => self.reference_price(instrument, side)?.ok_or(VenueError::NoReferencePrice)?,
        };
        let tick = self.market(instrument)?.instrument.spec().tick.0;
        let band = self.config.market_band.0;
        let cap = match side {
            Side::Buy => reference.mul_div(RATE_ONE + band, RATE_ONE, Round::Floor),
            Side::Sell => reference.mul_div(RATE_ONE - band.min(RATE_ONE), RATE_ONE, Round::Ceil),
        }
        .map_err(overflow("market band"))?;
        // Snap to the tick grid inside the band.
        let snapped = match side {
            Side::Buy => cap.0 - cap.0.rem_euclid(tick),
            Side::Sell => cap.0 + (tick - cap.0.rem_euclid(tick)) % tick,
        };
        Ok(Some(Price(snapped.max(tick))))
    }

    /// Settles the book's events: fills move money, expiries become cancellations.
    fn apply_book_events(
        &mut self,
        instrument: InstrumentId,
        book_events: &[BookEvent],
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let spot = self.is_spot(instrument);
        for e in book_events {
            match *e {
                BookEvent::Fill {
                    maker_order,
                    maker_account,
                    taker_account,
                    taker_side,
                    price,
                    qty,
                    maker_remaining,
                    ..
                } => {
                    let settle = if spot { Self::settle_spot_fill } else { Self::settle_fill };
                    let trade = settle(
                        self,
                        instrument,
                        maker_order,
                        maker_account,
                        taker_account,
                        taker_side,
                        price,
                        qty,
                    )?;
                    // A spot maker's hold shrinks to the need of what still rests.
                    if spot {
                        self.spot_sync(instrument, maker_order)?;
                    }
                    let m = &mut self.markets[usize::from(instrument.0)];
                    m.last = Some(price);
                    events.push(VenueEvent::Trade(trade));
                    // Without resting reduce-only orders (the common case) there is nothing
                    // to forget or to shrink.
                    if m.reduce_only.is_empty() {
                        continue;
                    }
                    if maker_remaining.is_zero() {
                        m.reduce_only.remove(&(maker_account, maker_order));
                    }
                    self.enforce_reduce_only(instrument, maker_account, events)?;
                    if taker_account != maker_account {
                        self.enforce_reduce_only(instrument, taker_account, events)?;
                    }
                }
                BookEvent::MakerExpired { order, account, remaining, .. } => {
                    self.markets[usize::from(instrument.0)].reduce_only.remove(&(account, order));
                    self.spot_sync(instrument, order)?;
                    events.push(cancelled(
                        instrument,
                        order,
                        account,
                        remaining,
                        CancelReason::Expired(ExpireReason::SelfTrade),
                    ));
                }
                BookEvent::TakerExpired { order, account, remaining, reason, .. } => {
                    events.push(cancelled(
                        instrument,
                        order,
                        account,
                        remaining,
                        CancelReason::Expired(reason),
                    ));
                }
                BookEvent::Cancelled { order, account, remaining, .. } => {
                    self.spot_sync(instrument, order)?;
                    events.push(cancelled(instrument, order, account, remaining, CancelReason::Requested));
                }
                BookEvent::Placed { .. } | BookEvent::Amended { .. } => {}
            }
        }
        Ok(())
    }

    /// Applies one book fill to both accounts.
    #[allow(clippy::too_many_arguments)]
    fn settle_fill(
        &mut self,
        instrument: InstrumentId,
        maker_order: OrderId,
        maker: AccountId,
        taker: AccountId,
        taker_side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<Trade, VenueError> {
        self.settle_trade(instrument, maker_order, maker, taker, taker_side, price, qty, true)
    }

    /// Applies one trade to both accounts: positions, realized PnL through clearing, fees
    /// (`book`: the instrument's maker/taker fees, or the liquidation fee to the insurance fund
    /// when the taker is being liquidated; off-book takeovers and ADL pay no fee), isolated
    /// margin locked for new exposure, and both accounts re-indexed.
    #[allow(clippy::too_many_arguments)]
    fn settle_trade(
        &mut self,
        instrument: InstrumentId,
        maker_order: OrderId,
        maker: AccountId,
        taker: AccountId,
        taker_side: Side,
        price: Price,
        qty: Qty,
        book: bool,
    ) -> Result<Trade, VenueError> {
        let m = &self.markets[usize::from(instrument.0)];
        let ins = &m.instrument;
        let asset = ins.settle_asset();
        let fund = m.fund;
        let pnl_sign = ins.pnl_sign();
        // One value for both sides, so their cost bases and the clearing account stay balanced.
        let value = ins.value(price, qty, Round::Floor).map_err(overflow("trade value"))?;
        let liquidation = book && self.liquidating == Some(taker);
        // The backstop selling its inventory pays no fee: the venue does not charge itself (and
        // the fund must not pay for its own unwinding).
        let backstop_taker = Some(taker) == self.backstop;
        let (taker_rate, maker_rate) = match (book, liquidation) {
            (false, _) => (Rate::ZERO, Rate::ZERO),
            (true, true) => (self.config.rules.liquidation_fee, ins.spec().fees.maker),
            (true, false) if backstop_taker => (Rate::ZERO, ins.spec().fees.maker),
            (true, false) => (ins.spec().fees.taker, ins.spec().fees.maker),
        };
        // A zero rate is a zero fee (a venue without fees, ADL): no wide multiply and divide.
        let fee_at = |rate: Rate| if rate == Rate::ZERO { Ok(Cash::ZERO) } else { ins.fee(value, rate) };
        let taker_fee = fee_at(taker_rate).map_err(overflow("taker fee"))?;
        let maker_fee = fee_at(maker_rate).map_err(overflow("maker fee"))?;
        let mode = self.default_mode;
        let mut oi_delta = 0_i64;
        let mut shortfall = Cash::ZERO;
        let mut unpaid = Cash::ZERO;
        let mut realized = [Cash::ZERO; 2];
        let mut fees = [taker_fee, maker_fee];
        // Taker first, so its fee is in the pool before a maker rebate is paid from it.
        for (i, (acct, side, fee)) in
            [(taker, taker_side, taker_fee), (maker, taker_side.opposite(), maker_fee)]
                .into_iter()
                .enumerate()
        {
            let pos = self.ledger.account_mut(acct)?.position_mut(instrument, mode);
            let before = pos.size.0;
            let effect = apply_fill(pos, pnl_sign, side.sign(), qty, value).map_err(overflow("position"))?;
            let after = pos.size.0;
            oi_delta += after.max(0) - before.max(0);

            if Some(acct) == self.backstop {
                self.backstop_pnl =
                    self.backstop_pnl.checked_add(effect.realized).map_err(overflow("backstop pnl"))?;
            }
            let isolated = pos.mode == MarginMode::Isolated;
            let party = if isolated { Party::Isolated(acct, instrument) } else { Party::Wallet(acct) };
            realized[i] = effect.realized;
            if effect.realized.is_positive() {
                self.ledger.transfer(Party::Clearing, party, asset, effect.realized)?;
            } else if effect.realized.is_negative() {
                let s =
                    self.ledger.settle_from(party, Party::Clearing, asset, Cash(-effect.realized.0), fund)?;
                shortfall = add_shortfall(shortfall, s)?;
                unpaid = unpaid.checked_add(s.bad_debt).map_err(overflow("bad debt"))?;
            }
            if liquidation && i == 0 {
                // The liquidation fee goes to the insurance fund, capped at what is left.
                let fee = fee.min(self.ledger.balance(party, asset)?);
                if fee.is_positive() {
                    self.ledger.transfer(party, Party::InsuranceFund(fund), asset, fee)?;
                }
                fees[0] = fee.max(Cash::ZERO);
            } else if fee.is_positive() {
                let s = self.ledger.settle_from(party, Party::FeePool, asset, fee, fund)?;
                shortfall = add_shortfall(shortfall, s)?;
            } else if fee.is_negative() {
                // A maker rebate comes out of the fee pool, the venue's fee income so far, as far
                // as it holds: a liquidation's taker fee goes to the insurance fund, so the pool
                // can be empty when a liquidation order meets a rebated maker.
                let rebate = Cash(-fee.0).min(self.ledger.balance(Party::FeePool, asset)?.max(Cash::ZERO));
                if rebate.is_positive() {
                    self.ledger.transfer(Party::FeePool, party, asset, rebate)?;
                }
                fees[i] = Cash(-rebate.0);
            }
            // Both only act on an isolated position that grew, or on a position now flat.
            if effect.closed < qty && isolated {
                self.lock_isolated_margin(acct, instrument, price)?;
            }
            if after == 0 {
                self.release_if_flat(acct, instrument, asset)?;
            }
        }
        // Triggers are refreshed lazily, once per account, before the next liquidation pass.
        self.mark_dirty(taker);
        self.mark_dirty(maker);
        let m = &mut self.markets[usize::from(instrument.0)];
        m.open_interest = Qty(m.open_interest.0 + oi_delta);
        if self.config.rules.adl_trigger == AdlTrigger::Never {
            m.pending_loss = m.pending_loss.checked_add(unpaid).map_err(overflow("pending loss"))?;
        }
        if self.config.audit {
            self.check_invariants()?;
        }
        Ok(Trade {
            instrument,
            price,
            qty,
            value,
            taker_side,
            taker,
            maker,
            maker_order,
            taker_fee: fees[0],
            maker_fee: fees[1],
            taker_realized: realized[0],
            maker_realized: realized[1],
            shortfall,
        })
    }

    /// Returns a closed isolated position's margin to the wallet and drops flat positions.
    fn release_if_flat(
        &mut self,
        acct: AccountId,
        instrument: InstrumentId,
        asset: AssetId,
    ) -> Result<(), VenueError> {
        let Some(pos) = self.ledger.account(acct)?.position(instrument).copied() else { return Ok(()) };
        if !pos.size.is_zero() {
            return Ok(());
        }
        if pos.isolated_margin.is_positive() {
            self.ledger.transfer(
                Party::Isolated(acct, instrument),
                Party::Wallet(acct),
                asset,
                pos.isolated_margin,
            )?;
        }
        Ok(())
    }

    /// Shrinks or cancels an account's resting reduce-only orders that would now open exposure.
    fn enforce_reduce_only(
        &mut self,
        instrument: InstrumentId,
        account: AccountId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(instrument.0)];
        let orders: Vec<OrderId> = m
            .reduce_only
            .range((account, OrderId(0))..=(account, OrderId(u64::MAX)))
            .map(|(_, o)| *o)
            .collect();
        if orders.is_empty() {
            return Ok(());
        }
        let held = self.ledger.account(account)?.position(instrument).map_or(Qty::ZERO, |p| p.size);
        let lot = m.instrument.spec().lot.0;
        let m = &mut self.markets[usize::from(instrument.0)];
        for id in orders {
            let Some(view) = m.book.order(id) else {
                m.reduce_only.remove(&(account, id));
                continue;
            };
            let room = if held.signum() == -view.side.sign() { held.abs().0 / lot * lot } else { 0 };
            if room == 0 {
                let c = m.book.cancel(id)?;
                m.reduce_only.remove(&(account, id));
                events.push(cancelled(instrument, id, account, c.remaining, CancelReason::ReduceOnly));
            } else if view.remaining.0 > room {
                // A size decrease keeps priority and cannot cross: no fills come back.
                self.scratch.clear();
                m.book.amend(id, None, Qty(room), &mut self.scratch)?;
            }
        }
        Ok(())
    }

    /// Fires stops whose trigger `source` price has been reached, repeatedly, since fills from
    /// one stop can move the last price through the next.
    fn fire_stops(
        &mut self,
        instrument: InstrumentId,
        source: Trigger,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let idx = usize::from(instrument.0);
        // No stops: nothing can fire (the common case on every order).
        if self.markets[idx].stops.is_empty() || self.is_halted(idx) {
            return Ok(());
        }
        let mut fired: Vec<StopEntry> = Vec::new();
        let mut source = source;
        // Each stop fires once, so the loop ends after at most (stops + 1) rounds.
        loop {
            let m = &mut self.markets[idx];
            let price = match source {
                Trigger::Last => m.last,
                Trigger::Mark => m.mark,
            };
            let Some(price) = price else { return Ok(()) };
            fired.clear();
            m.stops.triggered(source, price, &mut fired);
            if fired.is_empty() {
                if source == Trigger::Mark {
                    // Mark-fired stops may have traded: check last-price stops once more.
                    source = Trigger::Last;
                    continue;
                }
                return Ok(());
            }
            for StopEntry { id, stop } in fired.drain(..) {
                let reduce_only = self.markets[idx].reduce_only_stops.remove(&id);
                let o = stop.order;
                events.push(VenueEvent::StopTriggered { instrument, stop: id, account: o.account });
                let kind = o.limit.map_or(OrderKind::Market, OrderKind::Limit);
                let req =
                    OrderRequest { side: o.side, kind, qty: o.qty, tif: o.tif, reduce_only, stp: o.stp };
                // A stop that can no longer be placed (nothing to reduce, empty book) expires.
                match self.send(o.account, instrument, req, events) {
                    Ok(_)
                    | Err(
                        VenueError::InvalidOrder { .. }
                        | VenueError::NoReferencePrice
                        | VenueError::OutsideBand { .. },
                    ) => {}
                    Err(e) => return Err(e),
                }
            }
            source = Trigger::Last;
        }
    }

    /// Checks every invariant by a full scan: conservation of money, long OI = short OI = the
    /// tracked open interest, clearing + open-position claims = 0 per asset, no crossed book;
    /// on spot markets (which hold no positions, so OI and claims are zero there), every
    /// resting order holds at least what its fills may cost and the holds add up.
    ///
    /// # Errors
    /// [`VenueError::Invariant`] describing the first violation.
    pub fn check_invariants(&self) -> Result<(), VenueError> {
        self.ledger.check_conservation().map_err(|e| VenueError::Invariant(e.to_string()))?;
        self.check_spot_invariants()?;
        let mut long = vec![0_i128; self.markets.len()];
        let mut short = vec![0_i128; self.markets.len()];
        let mut claims: Vec<i128> = Vec::new();
        let dirty = self.dirty.snapshot();
        for (id, a) in self.ledger.accounts() {
            for p in a.positions() {
                let i = usize::from(p.instrument.0);
                let m = &self.markets[i];
                if m.instrument.is_spot() {
                    return Err(VenueError::Invariant(format!("position on spot market {i}")));
                }
                // Every open, re-indexed position is an ADL candidate: in the liquidation index, or
                // listed as untriggered on its side.
                if m.extremes != deferred::TierExtremes::of(&m.tiers) {
                    return Err(VenueError::Invariant(format!("instrument {i}: stale tier extremes")));
                }
                if p.untriggered.abs() == 2 {
                    self.check_deferred(id, p)?;
                } else if !p.size.is_zero()
                    && p.trigger == 0
                    && dirty.binary_search(&id).is_err()
                    && Some(id) != self.backstop
                {
                    let side = usize::from(p.size.is_negative());
                    if !m.untriggered[side].contains(&id) {
                        return Err(VenueError::Invariant(format!(
                            "instrument {i}: account {}'s position is neither indexed nor listed",
                            id.0
                        )));
                    }
                }
                if p.size.0 > 0 {
                    long[i] += i128::from(p.size.0);
                } else {
                    short[i] -= i128::from(p.size.0);
                }
                if p.cost.is_negative() {
                    return Err(VenueError::Invariant(format!("negative cost basis on instrument {i}")));
                }
                let asset = usize::from(m.instrument.settle_asset().0);
                if claims.len() <= asset {
                    claims.resize(asset + 1, 0);
                }
                claims[asset] += p.clearing_claim(m.instrument.pnl_sign());
            }
        }
        for (i, m) in self.markets.iter().enumerate() {
            if long[i] != short[i] || long[i] != i128::from(m.open_interest.0) {
                return Err(VenueError::Invariant(format!(
                    "instrument {i}: long OI {} short OI {} tracked {}",
                    long[i], short[i], m.open_interest.0
                )));
            }
            if let (Some(b), Some(a)) = (m.book.best_bid(), m.book.best_ask())
                && b >= a
            {
                return Err(VenueError::Invariant(format!(
                    "instrument {i}: crossed book {} >= {}",
                    b.0, a.0
                )));
            }
        }
        for (asset, c) in claims.iter().enumerate() {
            let clearing = i128::from(self.ledger.system(AssetId(asset as u16)).clearing.0);
            if clearing + c != 0 {
                return Err(VenueError::Invariant(format!(
                    "asset {asset}: clearing {clearing} + claims {c} != 0"
                )));
            }
        }
        Ok(())
    }
}

/// Binance's ADL guarantee (§1.4, announcement of 2021-03-02): no ADL on the BTC, ETH and BNB
/// USDⓈ-M perpetuals while their open interest is at most 4B USDT.
fn default_adl_guarantee(venue: crate::margin::tables::Venue, symbol: &str) -> Option<Cash> {
    let guaranteed = matches!(symbol, "BTCUSDT" | "ETHUSDT" | "BNBUSDT");
    (venue == crate::margin::tables::Venue::Binance && guaranteed)
        .then_some(Cash(4_000_000_000 * 100_000_000))
}

/// Accounts to re-index before the next liquidation pass, taken in account order. Every fill
/// marks both of its accounts, so marking must be cheap: a bit per account says whether it is
/// already in the list, so the list holds each account once and the sort before a pass orders
/// only distinct accounts (with duplicates — a maker is in nearly every fill — sorting them was
/// 3% of a calm day). A `BTreeSet` insert per fill side cost more than the rest of the fill's
/// bookkeeping.
#[derive(Debug, Clone, Default)]
struct DirtySet {
    /// Marked accounts, each once; once `sorted`, descending, so `pop` yields the smallest.
    list: Vec<AccountId>,
    sorted: bool,
    /// Bit `a` of this bitmap: account `a` is in `list`.
    marked: Vec<u64>,
}

/// Word and bit of account `a` in a bitmap.
#[inline]
fn bit_of(a: AccountId) -> (usize, u64) {
    let i = a.0 as usize;
    (i >> 6, 1_u64 << (i & 63))
}

impl DirtySet {
    /// Marks `a` (nothing if it is marked already).
    fn insert(&mut self, a: AccountId) {
        let (w, b) = bit_of(a);
        if w >= self.marked.len() {
            self.marked.resize(w + 1, 0);
        }
        if self.marked[w] & b != 0 {
            return;
        }
        self.marked[w] |= b;
        self.list.push(a);
        self.sorted = false;
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.list.sort_unstable_by(|x, y| y.cmp(x));
            self.sorted = true;
        }
    }

    /// Whether `a` is marked.
    fn contains(&self, a: AccountId) -> bool {
        let (w, b) = bit_of(a);
        self.marked.get(w).is_some_and(|x| x & b != 0)
    }

    /// Takes the smallest marked account.
    fn pop_first(&mut self) -> Option<AccountId> {
        self.sort();
        let a = self.list.pop()?;
        let (w, b) = bit_of(a);
        self.marked[w] &= !b;
        Some(a)
    }

    /// The marked accounts, ascending and unique (for the invariant check, which looks up
    /// every account: a scan of the list per account would be quadratic).
    fn snapshot(&self) -> Vec<AccountId> {
        let mut v = self.list.clone();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A [`VenueEvent::Cancelled`].
fn cancelled(
    instrument: InstrumentId,
    order: OrderId,
    account: AccountId,
    remaining: Qty,
    reason: CancelReason,
) -> VenueEvent {
    VenueEvent::Cancelled { instrument, order, account, remaining, reason }
}

fn add_shortfall(acc: Cash, s: Settlement) -> Result<Cash, VenueError> {
    acc.checked_add(s.by_insurance).and_then(|a| a.checked_add(s.bad_debt)).map_err(overflow("shortfall"))
}

fn price_fields(kind: OrderKind) -> impl Iterator<Item = (&'static str, Price)> {
    let (a, b) = match kind {
        OrderKind::Limit(p) => (Some(("price", p)), None),
        OrderKind::Market => (None, None),
        OrderKind::StopMarket { trigger, .. } => (Some(("trigger", trigger)), None),
        OrderKind::StopLimit { trigger, price, .. } => (Some(("trigger", trigger)), Some(("price", price))),
    };
    a.into_iter().chain(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDT: AssetId = AssetId(0);

    fn usdt(s: &str) -> Cash {
        s.parse().unwrap()
    }

    fn btcusdt() -> InstrumentSpec {
        InstrumentSpec { min_notional: usdt("5"), ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3) }
    }

    /// Marks taken in account order, each account once however often it was marked, and an
    /// account marked again after it was taken comes back.
    #[test]
    fn dirty_accounts_come_out_once_in_account_order() {
        let mut d = DirtySet::default();
        for a in [7, 3, 7, 200, 3, 7, 0, 64, 63] {
            d.insert(AccountId(a));
        }
        assert_eq!(d.snapshot(), [0, 3, 7, 63, 64, 200].map(AccountId));
        assert_eq!(d.pop_first(), Some(AccountId(0)));
        assert_eq!(d.pop_first(), Some(AccountId(3)));
        // 3 again (taken), 64 again (still waiting), 1 new: the order stays ascending.
        d.insert(AccountId(3));
        d.insert(AccountId(64));
        d.insert(AccountId(1));
        let rest: Vec<u32> = std::iter::from_fn(|| d.pop_first()).map(|a| a.0).collect();
        assert_eq!(rest, [1, 3, 7, 63, 64, 200]);
        assert_eq!(d.pop_first(), None);
        assert!(d.snapshot().is_empty());
    }

    /// Worked by hand: a maker quotes 99,900.0 / 100,000.0 for 1 BTC each; Alice buys 0.5 at
    /// market, Bob sells 0.5 into the bid, Alice sells 0.5 at market. Fees 0.02% maker, 0.05%
    /// taker.
    #[test]
    fn hand_computed_session() {
        let mut v = Venue::new(VenueConfig::default());
        let btc = v.add_instrument(btcusdt()).unwrap();
        let (mm, alice, bob) =
            (v.open_account().unwrap(), v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(mm, USDT, usdt("1000000")).unwrap();
        v.deposit(alice, USDT, usdt("10000")).unwrap();
        v.deposit(bob, USDT, usdt("10000")).unwrap();
        let mut ev = Vec::new();
        v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1000)), &mut ev).unwrap();
        v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(999_000), Qty(1000)), &mut ev).unwrap();
        assert!(ev.is_empty());

        // Alice buys 0.5 at 100,000.0: value 50,000; taker fee 25; maker fee 10.
        v.place(alice, btc, OrderRequest::market(Side::Buy, Qty(500)), &mut ev).unwrap();
        let VenueEvent::Trade(t) = ev[0] else { panic!("expected a trade") };
        assert_eq!((t.value, t.taker_fee, t.maker_fee), (usdt("50000"), usdt("25"), usdt("10")));

        // Bob sells 0.5 limit at the bid: value 49,950; the maker's short closes with +50 realized.
        ev.clear();
        v.place(bob, btc, OrderRequest::limit(Side::Sell, Price(999_000), Qty(500)), &mut ev).unwrap();
        let VenueEvent::Trade(t) = ev[0] else { panic!("expected a trade") };
        assert_eq!((t.maker_realized, t.taker_fee, t.maker_fee), (usdt("50"), usdt("24.975"), usdt("9.99")));

        // Alice sells 0.5 at market into the rest of the bid: realizes −50.
        ev.clear();
        v.place(alice, btc, OrderRequest::market(Side::Sell, Qty(500)), &mut ev).unwrap();
        let VenueEvent::Trade(t) = ev[0] else { panic!("expected a trade") };
        assert_eq!(t.taker_realized, usdt("-50"));

        let l = v.ledger();
        assert_eq!(l.account(alice).unwrap().balance(USDT), usdt("9900.025"));
        assert_eq!(l.account(bob).unwrap().balance(USDT), usdt("9975.025"));
        assert_eq!(l.account(mm).unwrap().balance(USDT), usdt("1000020.02"));
        assert_eq!(l.system(USDT).fee_pool, usdt("104.93"));
        assert_eq!(l.system(USDT).clearing, Cash::ZERO);
        assert_eq!(v.open_interest(btc).unwrap(), Qty(500));
        let bob_pos = *l.account(bob).unwrap().position(btc).unwrap();
        assert_eq!(
            (bob_pos.size, bob_pos.entry_price(v.instrument(btc).unwrap()).unwrap()),
            (Qty(-500), Some(Price(999_000)))
        );
        assert!(l.account(alice).unwrap().position(btc).is_none_or(|p| p.size.is_zero()));
        v.check_invariants().unwrap();
    }

    /// Worked by hand: Alice deposits 10,000, buys 0.5 BTC at 100,000.0 at 10x (taker fee 25,
    /// wallet 9,975). Mark 99,000: unrealized −500, equity 9,475, initial margin 49,500 / 10 =
    /// 4,950, free 4,525: that is all she may withdraw. Mark 101,000: unrealized +500 backs the
    /// position but cannot leave: equity 5,950 − initial 5,050 = 900. Flat: the whole wallet.
    #[test]
    fn withdrawals_never_take_the_margin_positions_need() {
        let mut v = Venue::new(VenueConfig::default());
        let btc = v.add_instrument(btcusdt()).unwrap();
        let (mm, alice) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(mm, USDT, usdt("1000000")).unwrap();
        v.deposit(alice, USDT, usdt("10000")).unwrap();
        assert_eq!(v.withdrawable(alice, USDT).unwrap(), usdt("10000"));
        v.set_leverage(alice, btc, 10).unwrap();
        let mut ev = Vec::new();
        v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1000)), &mut ev).unwrap();
        v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(990_000), Qty(1000)), &mut ev).unwrap();
        v.place(alice, btc, OrderRequest::market(Side::Buy, Qty(500)), &mut ev).unwrap();
        let wallet = |v: &Venue| v.ledger().account(alice).unwrap().balance(USDT);
        assert_eq!(wallet(&v), usdt("9975"));

        v.set_mark_price(btc, Price(990_000), &mut ev).unwrap();
        assert_eq!(v.withdrawable(alice, USDT).unwrap(), usdt("4525"));
        let r = v.withdraw(alice, USDT, usdt("4525.00000001"));
        assert!(matches!(r, Err(VenueError::InsufficientMargin { .. })), "{r:?}");
        assert_eq!(wallet(&v), usdt("9975"));
        v.withdraw(alice, USDT, usdt("4525")).unwrap();
        assert_eq!(wallet(&v), usdt("5450"));
        assert_eq!(v.withdrawable(alice, USDT).unwrap(), Cash::ZERO);
        // Conservation through the named parties: the money left as a counted withdrawal.
        let sys = v.ledger().system(USDT);
        assert_eq!((sys.deposits, sys.withdrawals), (usdt("1010000").0.into(), usdt("4525").0.into()));
        v.check_invariants().unwrap();

        v.set_mark_price(btc, Price(1_010_000), &mut ev).unwrap();
        assert_eq!(v.withdrawable(alice, USDT).unwrap(), usdt("900"));
        assert!(v.withdraw(alice, USDT, usdt("901")).is_err());
        v.withdraw(alice, USDT, usdt("900")).unwrap();
        v.check_invariants().unwrap();

        // Flat again, sold into the 99,000 bid (−500 realized, 24.75 fee): the whole wallet,
        // 9,975 − 4,525 − 900 − 500 − 24.75.
        v.place(alice, btc, OrderRequest::market(Side::Sell, Qty(500)), &mut ev).unwrap();
        assert_eq!(wallet(&v), usdt("4025.25"));
        assert_eq!(v.withdrawable(alice, USDT).unwrap(), usdt("4025.25"));
        v.check_invariants().unwrap();
    }

    #[test]
    fn bad_orders_name_the_field_and_change_nothing() {
        let mut v = Venue::new(VenueConfig::default());
        let btc = v.add_instrument(btcusdt()).unwrap();
        let a = v.open_account().unwrap();
        let mut ev = Vec::new();
        let err = |r: Result<Placed, VenueError>| match r {
            Err(VenueError::InvalidOrder { field, .. }) => field,
            other => panic!("expected an invalid-order error, got {other:?}"),
        };
        assert_eq!(
            err(v.place(a, btc, OrderRequest::limit(Side::Buy, Price(1_000_000), Qty(0)), &mut ev)),
            "qty"
        );
        assert_eq!(err(v.place(a, btc, OrderRequest::limit(Side::Buy, Price(-5), Qty(1)), &mut ev)), "price");
        // 0.001 BTC at 1,000.0 is 1 USDT, below the 5 USDT minimum notional.
        assert_eq!(
            err(v.place(a, btc, OrderRequest::limit(Side::Buy, Price(10_000), Qty(1)), &mut ev)),
            "qty"
        );
        let mut ro = OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(1));
        ro.reduce_only = true;
        assert_eq!(err(v.place(a, btc, ro, &mut ev)), "reduce_only");
        assert!(matches!(
            v.place(a, InstrumentId(7), OrderRequest::market(Side::Buy, Qty(1)), &mut ev),
            Err(VenueError::UnknownInstrument(7))
        ));
        assert!(matches!(
            v.place(a, btc, OrderRequest::market(Side::Buy, Qty(1)), &mut ev),
            Err(VenueError::NoReferencePrice)
        ));
        assert_eq!(v.book(btc).unwrap().len(), 0);
        assert!(ev.is_empty());
    }

    #[test]
    fn market_orders_stop_at_the_price_band() {
        let mut v = Venue::new(VenueConfig { market_band: Rate::from_bps(100), ..VenueConfig::default() });
        let btc = v.add_instrument(btcusdt()).unwrap();
        let (mm, t) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(mm, USDT, usdt("10000000")).unwrap();
        v.deposit(t, USDT, usdt("10000000")).unwrap();
        let mut ev = Vec::new();
        // Asks at 100,000, 100,900 (inside 1%) and 101,100 (outside).
        for p in [1_000_000, 1_009_000, 1_011_000] {
            v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(p), Qty(1000)), &mut ev).unwrap();
        }
        let placed = v.place(t, btc, OrderRequest::market(Side::Buy, Qty(3000)), &mut ev).unwrap();
        assert!(matches!(placed, Placed::Order { filled: Qty(2000), .. }));
        assert_eq!(v.book(btc).unwrap().best_ask(), Some(Price(1_011_000)));
        v.check_invariants().unwrap();
    }

    /// A stop whose trigger × size is worth more than `i64` cash units (here 10^16 price units ×
    /// 1,000 lots) is refused as an invalid order, not failed as an arithmetic error: a runaway
    /// price (a trailing stop following it) must not stop the run. Nothing changes.
    #[test]
    fn an_order_worth_more_than_the_cash_range_is_refused() {
        let mut v = Venue::new(VenueConfig::default());
        let btc = v.add_instrument(btcusdt()).unwrap();
        let t = v.open_account().unwrap();
        v.deposit(t, USDT, usdt("1000")).unwrap();
        let mut ev = Vec::new();
        let kind = OrderKind::StopMarket { trigger: Price(10_000_000_000_000_000), source: Trigger::Mark };
        let req = OrderRequest { kind, reduce_only: true, ..OrderRequest::market(Side::Sell, Qty(1000)) };
        let r = v.place(t, btc, req, &mut ev);
        assert!(matches!(&r, Err(VenueError::InvalidOrder { field: "qty", .. })), "{r:?}");
        assert!(ev.is_empty());
        v.check_invariants().unwrap();
    }

    #[test]
    fn the_band_is_drawn_around_the_mark_when_there_is_one() {
        // Band 5%, mark 100,000: a market buy fills up to 105,000. The book is one-sided far
        // above the mark (asks at 104,000 and 106,000): around the best ask the band would reach
        // 104,000 × 1.05 = 109,200 and take both levels; around the mark only the first fills.
        let mut v = Venue::new(VenueConfig { market_band: Rate::from_bps(500), ..VenueConfig::default() });
        let btc = v.add_instrument(btcusdt()).unwrap();
        let (mm, t) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(mm, USDT, usdt("10000000")).unwrap();
        v.deposit(t, USDT, usdt("10000000")).unwrap();
        let mut ev = Vec::new();
        v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
        for p in [1_040_000, 1_060_000] {
            v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(p), Qty(1000)), &mut ev).unwrap();
        }
        let placed = v.place(t, btc, OrderRequest::market(Side::Buy, Qty(2000)), &mut ev).unwrap();
        assert!(matches!(placed, Placed::Order { filled: Qty(1000), .. }));
        assert_eq!(v.book(btc).unwrap().best_ask(), Some(Price(1_060_000)));
        // A sell meets bids under the mark the same way: 95,000 is the floor, 94,000 is out.
        for p in [960_000, 940_000] {
            v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(p), Qty(1000)), &mut ev).unwrap();
        }
        let placed = v.place(t, btc, OrderRequest::market(Side::Sell, Qty(2000)), &mut ev).unwrap();
        assert!(matches!(placed, Placed::Order { filled: Qty(1000), .. }));
        assert_eq!(v.book(btc).unwrap().best_bid(), Some(Price(940_000)));
        v.check_invariants().unwrap();
    }

    #[test]
    fn stops_fire_on_last_and_mark_and_reduce_only_shrinks() {
        let mut v = Venue::new(VenueConfig::default());
        let btc = v.add_instrument(btcusdt()).unwrap();
        let (mm, t) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(mm, USDT, usdt("10000000")).unwrap();
        v.deposit(t, USDT, usdt("1000000")).unwrap();
        let mut ev = Vec::new();
        for (p, side) in [(1_000_000, Side::Sell), (990_000, Side::Buy), (980_000, Side::Buy)] {
            v.place(mm, btc, OrderRequest::limit(side, Price(p), Qty(5000)), &mut ev).unwrap();
        }
        v.place(t, btc, OrderRequest::market(Side::Buy, Qty(2000)), &mut ev).unwrap();
        // A reduce-only take-profit for more than the position is clipped to it.
        let mut tp = OrderRequest::limit(Side::Sell, Price(1_050_000), Qty(9000));
        tp.reduce_only = true;
        let Placed::Order { id: tp_id, .. } = v.place(t, btc, tp, &mut ev).unwrap() else { panic!() };
        assert_eq!(v.book(btc).unwrap().order(tp_id).unwrap().remaining, Qty(2000));
        // Stop-loss on the mark at 99,500: fires when the mark drops there, sells 1 BTC.
        let stop = OrderRequest {
            kind: OrderKind::StopMarket { trigger: Price(995_000), source: Trigger::Mark },
            reduce_only: true,
            ..OrderRequest::market(Side::Sell, Qty(1000))
        };
        v.place(t, btc, stop, &mut ev).unwrap();
        ev.clear();
        v.set_mark_price(btc, Price(996_000), &mut ev).unwrap();
        assert!(ev.is_empty());
        v.set_mark_price(btc, Price(995_000), &mut ev).unwrap();
        assert!(matches!(ev[0], VenueEvent::StopTriggered { .. }));
        assert!(ev.iter().any(|e| matches!(e, VenueEvent::Trade(tr) if tr.price == Price(990_000))));
        // The position is now 1 BTC, so the take-profit shrank to 1 BTC with its priority.
        assert_eq!(v.ledger().account(t).unwrap().position(btc).unwrap().size, Qty(1000));
        assert_eq!(v.book(btc).unwrap().order(tp_id).unwrap().remaining, Qty(1000));
        v.check_invariants().unwrap();
    }
}
