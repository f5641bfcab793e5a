//! What a run records: a time series per venue and instrument, one row per liquidation and per
//! ADL event, and a run summary; plus the [`Recorder`] that accumulates them as the run goes.
//!
//! Plain data, no I/O: cascade-io writes these rows to CSV, Parquet and JSON (and reads the CSV
//! and JSON back).
//!
//! # Numbers
//! The engine counts in integers (ticks, lots, 1e-8 cash units). Rows hold those values as exact
//! [`Decimal`]s, converted once when recorded (`Decimal::new(raw, decimals)`: no rounding), so
//! the rows, the CSV files and the JSON summary carry exactly what the engine held. Only the
//! Parquet writer turns them into `f64` (the type analysis tools want); nothing in the simulator
//! computes with `f64` money. Ratios that are statistics by nature (percent drops, amplification)
//! are `f64`.
//!
//! # Units
//! Times are milliseconds since the start of the run. Prices are in the instrument's quote
//! currency (USD/USDT/USDC). Quantities are the instrument's quantity unit (base coin for linear
//! contracts, contracts for inverse ones). Notional and money columns are in the venue's settle
//! asset. Interval columns (volume, trades, liquidations, ADL) count what happened since the
//! previous row of the same market, up to and including the row's time; state columns (prices,
//! depth, open interest, insurance fund, bad debt, funding) are the value at the row's time.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

use crate::scheduler::SimTime;

mod exact;
pub use exact::Exact;

/// Side of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionSide {
    /// Long.
    Long,
    /// Short.
    Short,
}

impl PositionSide {
    /// `long` or `short`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PositionSide::Long => "long",
            PositionSide::Short => "short",
        }
    }
}

/// Margin mode of a liquidated position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarginMode {
    /// The position shared the account's wallet.
    Cross,
    /// The position had its own margin.
    Isolated,
}

impl MarginMode {
    /// `cross` or `isolated`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MarginMode::Cross => "cross",
            MarginMode::Isolated => "isolated",
        }
    }
}

/// How a liquidation closed a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiquidationKind {
    /// The position went to the book as a liquidation order and nothing was left of it.
    Full,
    /// Part of the position went to the book and the account still held the rest after the
    /// liquidation pass (tiered partial liquidation).
    Partial,
    /// The position was taken over by a backstop (liquidity vault, insurance fund, liquidator).
    Backstop,
    /// The position was closed against profitable opposite positions (auto-deleveraging).
    Adl,
}

impl LiquidationKind {
    /// `full`, `partial`, `backstop` or `adl`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            LiquidationKind::Full => "full",
            LiquidationKind::Partial => "partial",
            LiquidationKind::Backstop => "backstop",
            LiquidationKind::Adl => "adl",
        }
    }
}

/// One row of the time series: one market (venue × instrument) at one sampling time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRow {
    /// Sampling time, milliseconds since the start of the run.
    pub time_ms: u64,
    /// Venue name, as in the scenario.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// Last traded price (empty before the first trade).
    pub last: Option<Decimal>,
    /// Mark price (empty until the venue has one).
    pub mark: Option<Decimal>,
    /// Spot index of the underlying.
    pub index: Option<Decimal>,
    /// Best bid (empty when the bid side is empty).
    pub best_bid: Option<Decimal>,
    /// Best ask (empty when the ask side is empty).
    pub best_ask: Option<Decimal>,
    /// Notional of resting bids within 1 % below the mid (mark when one side is empty),
    /// settle asset.
    pub bid_depth_1pct: Decimal,
    /// Notional of resting asks within 1 % above the mid, settle asset.
    pub ask_depth_1pct: Decimal,
    /// Notional of resting bids within 5 % below the mid, settle asset.
    pub bid_depth_5pct: Decimal,
    /// Notional of resting asks within 5 % above the mid, settle asset.
    pub ask_depth_5pct: Decimal,
    /// Quantity traded in the interval, including liquidation fills.
    pub volume: Decimal,
    /// Value traded in the interval, settle asset.
    pub volume_notional: Decimal,
    /// Trades in the interval.
    pub trades: u64,
    /// Long positions liquidated in the interval (events, partial ones each counted).
    pub liq_long_count: u64,
    /// Notional of long liquidations in the interval, settle asset.
    pub liq_long_notional: Decimal,
    /// Short positions liquidated in the interval.
    pub liq_short_count: u64,
    /// Notional of short liquidations in the interval, settle asset.
    pub liq_short_notional: Decimal,
    /// Open interest (Σ long sizes = Σ short sizes), quantity units.
    pub open_interest: Decimal,
    /// Open interest valued at the mark price, settle asset.
    pub open_interest_notional: Decimal,
    /// The venue's insurance fund (the whole venue's, repeated on each of its instruments'
    /// rows), settle asset.
    pub insurance_fund: Decimal,
    /// ADL reductions in the interval (one per deleveraged position).
    pub adl_count: u64,
    /// Notional closed by ADL in the interval, at the bankruptcy price, settle asset.
    pub adl_notional: Decimal,
    /// Losses nobody paid since the start, the venue's total, settle asset.
    pub bad_debt: Decimal,
    /// Current funding rate per funding interval, as a fraction (empty before the first).
    pub funding_rate: Option<Decimal>,
    /// The backstop's (insurance fund's or liquidator vault's) position in this instrument,
    /// signed, quantity units: what it took over and has not sold yet.
    pub backstop_position: Decimal,
    /// The backstop's PnL on the positions it took over, realized plus unrealized at the marks,
    /// the whole venue's (repeated on each of its instruments' rows), settle asset.
    pub backstop_pnl: Decimal,
}

/// One forced liquidation (one row per liquidation order or backstop takeover).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationRow {
    /// Time, milliseconds since the start of the run.
    pub time_ms: u64,
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// The liquidated account (the venue's account number).
    pub account: u32,
    /// Side of the liquidated position.
    pub side: PositionSide,
    /// Margin mode of the position.
    pub margin_mode: MarginMode,
    /// How it was closed: `full` (the whole position went to the book), `partial` (part went to
    /// the book, the account kept the rest), `backstop` (taken over by the insurance fund, vault
    /// or liquidator) or `adl` (closed against profitable opposite positions; `adl.csv` lists
    /// them, with their rank in the ADL queue).
    pub kind: LiquidationKind,
    /// Quantity closed, quantity units (positive).
    pub qty: Decimal,
    /// Average price the quantity was closed at: of the liquidation's own fills for a book
    /// liquidation, of the ADL reductions for an ADL one, the bankruptcy price for a backstop
    /// takeover (Drift's liquidator in fact pays the oracle less its fee).
    pub price: Decimal,
    /// Value closed, settle asset (positive).
    pub notional: Decimal,
    /// Mark price that triggered the liquidation.
    pub mark_price: Decimal,
    /// Bankruptcy price of the position (where its margin is exhausted), when known.
    pub bankruptcy_price: Option<Decimal>,
    /// Liquidation fee paid to the insurance fund, settle asset (≥ 0).
    pub fee: Decimal,
    /// Net change of the insurance fund from this liquidation's fills (fee in, shortfall out),
    /// settle asset. Takeovers and ADL move the fund off the book and are not attributed per
    /// row (0 here); the series' `insurance_fund` is the exact balance.
    pub insurance_fund_change: Decimal,
    /// Loss left unpaid after the insurance fund, settle asset (≥ 0). Not attributed per row
    /// yet (0); the series' `bad_debt` is the exact venue total.
    pub bad_debt: Decimal,
}

/// One auto-deleveraging reduction of a profitable counterparty's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdlRow {
    /// Time, milliseconds since the start of the run.
    pub time_ms: u64,
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// The deleveraged account.
    pub account: u32,
    /// Side of the deleveraged position.
    pub side: PositionSide,
    /// Quantity taken from it, quantity units (positive).
    pub qty: Decimal,
    /// Price it was closed at (the bankrupt position's bankruptcy price).
    pub price: Decimal,
    /// Value closed, settle asset (positive).
    pub notional: Decimal,
    /// PnL the deleveraged account realized on the reduction, settle asset.
    pub realized_pnl: Decimal,
    /// Its place in the ADL queue (0 = first in line), when the venue ranks.
    pub rank: Option<u32>,
    /// Its effective leverage when ranked: position notional ÷ the equity backing it (empty
    /// when that equity was not positive).
    pub leverage: Option<Decimal>,
    /// The bankrupt account whose position was matched against it, when known.
    pub liquidated_account: Option<u32>,
}

/// State of one market at a sampling time, as the simulator reads it from the venue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarketSnapshot {
    /// Last traded price.
    pub last: Option<Decimal>,
    /// Mark price.
    pub mark: Option<Decimal>,
    /// Spot index.
    pub index: Option<Decimal>,
    /// Best bid.
    pub best_bid: Option<Decimal>,
    /// Best ask.
    pub best_ask: Option<Decimal>,
    /// Bids within 1 %, settle-asset notional.
    pub bid_depth_1pct: Decimal,
    /// Asks within 1 %.
    pub ask_depth_1pct: Decimal,
    /// Bids within 5 %.
    pub bid_depth_5pct: Decimal,
    /// Asks within 5 %.
    pub ask_depth_5pct: Decimal,
    /// Open interest, quantity units.
    pub open_interest: Decimal,
    /// Open interest at the mark, settle asset.
    pub open_interest_notional: Decimal,
    /// The venue's insurance fund, settle asset.
    pub insurance_fund: Decimal,
    /// The venue's cumulative bad debt, settle asset.
    pub bad_debt: Decimal,
    /// Current funding rate.
    pub funding_rate: Option<Decimal>,
    /// The backstop's (insurance fund's or vault's) position in this instrument, signed,
    /// quantity units.
    pub backstop_position: Decimal,
    /// The backstop's PnL on what it took over, realized plus unrealized at the marks, the
    /// venue's total, settle asset.
    pub backstop_pnl: Decimal,
}

/// The largest single liquidation of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LargestLiquidation {
    /// Time, milliseconds.
    pub time_ms: u64,
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// Side of the position.
    pub side: PositionSide,
    /// Notional, settle asset.
    pub notional: Decimal,
}

/// Run-wide totals. Notional sums add settle assets of different venues (USDT, USDC, USD) as
/// if equal, as published liquidation totals do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Notional of long liquidations.
    pub liquidated_long_notional: Decimal,
    /// Notional of short liquidations.
    pub liquidated_short_notional: Decimal,
    /// Long share of liquidated notional, in [0, 1] (empty with no liquidation).
    pub long_share: Option<f64>,
    /// Liquidation events.
    pub liquidations: u64,
    /// Distinct accounts liquidated at least once (per venue: an account is a venue account).
    pub accounts_liquidated: u64,
    /// The largest single liquidation.
    pub largest_liquidation: Option<LargestLiquidation>,
    /// ADL reductions.
    pub adl_count: u64,
    /// Notional closed by ADL.
    pub adl_notional: Decimal,
    /// Bad debt at the end, summed over venues.
    pub bad_debt: Decimal,
    /// Notional of exogenous flow the shocks sent (the scenario's `[[shocks]].notional`).
    pub exogenous_notional: Decimal,
    /// Liquidated notional ÷ exogenous notional (empty without flow).
    pub liquidated_per_exogenous: Option<f64>,
    /// Σ of the venues' insurance-fund drawdowns (start − lowest sample).
    pub insurance_fund_drawdown: Decimal,
    /// Peak-to-trough drop of the run, percent: the largest peak-to-trough drop of the sampled
    /// mark price over all markets.
    pub peak_to_trough_pct: f64,
    /// The same figure for the same scenario and seed with forced liquidations disabled at
    /// every venue (empty when the counterfactual was not run).
    pub counterfactual_peak_to_trough_pct: Option<f64>,
    /// Cascade amplification: `peak_to_trough_pct ÷ counterfactual_peak_to_trough_pct` (empty
    /// when the counterfactual was not run or did not drop at all).
    pub cascade_amplification: Option<f64>,
}

/// Per-market summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstrumentSummary {
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// Notional of long liquidations.
    pub liquidated_long_notional: Decimal,
    /// Notional of short liquidations.
    pub liquidated_short_notional: Decimal,
    /// Long liquidation events.
    pub liquidations_long: u64,
    /// Short liquidation events.
    pub liquidations_short: u64,
    /// Distinct accounts liquidated here.
    pub accounts_liquidated: u64,
    /// Largest single liquidation here, notional.
    pub largest_liquidation: Option<Decimal>,
    /// First traded price.
    pub open: Option<Decimal>,
    /// Highest traded price.
    pub high: Option<Decimal>,
    /// Lowest traded price.
    pub low: Option<Decimal>,
    /// Last traded price.
    pub close: Option<Decimal>,
    /// Largest peak-to-trough drop of the traded price, percent (0 with no trade).
    pub max_drop_pct: f64,
    /// Largest peak-to-trough drop of the sampled mark price, percent.
    pub max_mark_drop_pct: f64,
    /// The same drop with forced liquidations disabled (empty when not run).
    pub counterfactual_max_mark_drop_pct: Option<f64>,
    /// Value traded, settle asset.
    pub volume_notional: Decimal,
    /// Open interest at the first sample, quantity units.
    pub open_interest_start: Option<Decimal>,
    /// Open interest at the last sample.
    pub open_interest_end: Option<Decimal>,
    /// ADL reductions here.
    pub adl_count: u64,
    /// Notional closed by ADL here.
    pub adl_notional: Decimal,
    /// Time of the low of the largest mark drop, milliseconds since the start (empty with no
    /// drop).
    pub mark_low_time_ms: Option<u64>,
    /// Open interest change from the first to the last sample, percent of the first.
    pub open_interest_change_pct: Option<f64>,
    /// Time of the first liquidation here, milliseconds since the start.
    pub first_liquidation_ms: Option<u64>,
    /// Time of the first ADL reduction here.
    pub first_adl_ms: Option<u64>,
    /// Trading halts started here by a `[policy.halts]` circuit breaker.
    #[serde(default)]
    pub halts: u64,
}

/// Per-venue summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueSummary {
    /// Venue name.
    pub venue: String,
    /// Insurance fund at the first sample.
    pub insurance_fund_start: Option<Decimal>,
    /// Lowest sampled insurance fund.
    pub insurance_fund_min: Option<Decimal>,
    /// Insurance fund at the last sample.
    pub insurance_fund_end: Option<Decimal>,
    /// Drawdown: start − lowest (≥ 0).
    pub insurance_fund_drawdown: Decimal,
    /// Bad debt at the last sample.
    pub bad_debt: Decimal,
    /// Notional of long liquidations.
    pub liquidated_long_notional: Decimal,
    /// Notional of short liquidations.
    pub liquidated_short_notional: Decimal,
    /// ADL reductions.
    pub adl_count: u64,
    /// Notional closed by ADL.
    pub adl_notional: Decimal,
    /// Insurance fund at the last sample − at the first (negative: drawn down).
    pub insurance_fund_change: Decimal,
    /// Time of the venue's first liquidation, milliseconds since the start.
    pub first_liquidation_ms: Option<u64>,
    /// Time of its first ADL reduction.
    pub first_adl_ms: Option<u64>,
    /// Median effective leverage of the deleveraged positions when ranked (on 10 Oct 2025
    /// Hyperliquid's was 0.15x: ADL hit low-leverage, profitable positions).
    pub adl_median_leverage: Option<f64>,
    /// Share of ADL reductions that realized a profit for the deleveraged account.
    pub adl_profitable_share: Option<f64>,
    /// PnL the deleveraged accounts realized on their reductions, summed.
    pub adl_realized_pnl: Decimal,
    /// The backstop's PnL on what it took over at the last sample (realized + unrealized).
    pub backstop_pnl_end: Decimal,
    /// Collateral transfers that left the venue for another (arbitrageurs rebalancing).
    #[serde(default)]
    pub transfers_out: u64,
    /// Settle asset those transfers withdrew.
    #[serde(default)]
    pub transferred_out: Decimal,
    /// Collateral transfers from other venues that arrived here.
    #[serde(default)]
    pub transfers_in: u64,
    /// Settle asset those transfers credited.
    #[serde(default)]
    pub transferred_in: Decimal,
    /// Settle asset sent towards this venue and still in flight at the end of the run.
    #[serde(default)]
    pub in_flight_end: Decimal,
    /// Market halts started by a `[policy.halts]` circuit breaker (a venue-wide halt counts
    /// once per market).
    #[serde(default)]
    pub halts: u64,
    /// Settle asset a `[policy.fund]` external backstop paid into the venue's insurance fund.
    #[serde(default)]
    pub fund_backstop_paid: Decimal,
}

/// What a run did, for people: written as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Simulated time, milliseconds.
    pub duration_ms: u64,
    /// Rows of the time series.
    pub series_rows: u64,
    /// Run-wide totals.
    pub totals: Totals,
    /// One entry per venue, in scenario order.
    pub venues: Vec<VenueSummary>,
    /// One entry per market, in scenario order.
    pub instruments: Vec<InstrumentSummary>,
    /// What the scenario's `[policy]` changed (counts of capped accounts, refused orders,
    /// margin changes, deferred transfers, moved stops) and the warnings it raised.
    #[serde(default)]
    pub policy: crate::world::PolicyReport,
    /// One entry per `[[venues.collateral]]` asset, in scenario order: its book's low and
    /// depeg against its external reference, its holders and what liquidations sold of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collateral: Vec<crate::world::CollateralSummary>,
    /// The population's make-up, when the scenario has `[population.baskets]` (written only
    /// then): cross accounts holding several markets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationSummary>,
    /// The UTC instant simulated time zero stands for (`run.start_utc`), when the scenario has
    /// one: writers then give every table a UTC time column next to its milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_utc: Option<String>,
    /// `run.scale` of the scenario (1 = the real market's size; written only when below 1).
    #[serde(default = "full_scale", skip_serializing_if = "is_full_scale")]
    pub scale: f64,
    /// With `scale` below 1: the totals as the full-size market would show them (amounts and
    /// counts ÷ scale; shares, ratios and price drops as run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals_at_full_scale: Option<Totals>,
}

/// `summary.json` → `population`: what `[population.baskets]` drew and what the window momentum
/// traders (`momentum_window_s`) did, counts as run (not scaled by `run.scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PopulationSummary {
    /// Population accounts that hold an extra position (a basket) at time zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basket_accounts: Option<u64>,
    /// Extra positions they hold (besides each account's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basket_legs: Option<u64>,
    /// Window momentum traders, if the scenario has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub momentum: Option<MomentumSummary>,
    /// Fade traders (`fade`), if the scenario has them: the same counts, their side the
    /// opposite of the break's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fade: Option<MomentumSummary>,
}

/// `summary.json` → `population.momentum` (and `population.fade`): the window traders' entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MomentumSummary {
    /// Entered short (a break below the window's high).
    pub entered_short: u64,
    /// Entered long (a break above the window's low).
    pub entered_long: u64,
    /// Gave up: the break stopped holding before their market order found anything to fill, or
    /// the venue refused the order.
    pub gave_up: u64,
    /// Still flat and waiting at the end.
    pub waiting: u64,
}

fn full_scale() -> f64 {
    1.0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_full_scale(s: &f64) -> bool {
    *s == 1.0
}

impl Totals {
    /// These totals divided back to the full-size market of a run at `scale`: liquidated and
    /// ADL notional, counts, bad debt, exogenous flow and fund drawdown ÷ `scale` (counts
    /// rounded); shares, ratios and drops unchanged.
    #[must_use]
    pub fn at_full_scale(&self, scale: f64) -> Totals {
        let k = Decimal::from_f64(1.0 / scale).unwrap_or(Decimal::ONE);
        let up = |d: Decimal| (d * k).round_dp(8);
        let count = |n: u64| (n as f64 / scale).round() as u64;
        Totals {
            liquidated_long_notional: up(self.liquidated_long_notional),
            liquidated_short_notional: up(self.liquidated_short_notional),
            liquidations: count(self.liquidations),
            accounts_liquidated: count(self.accounts_liquidated),
            adl_count: count(self.adl_count),
            adl_notional: up(self.adl_notional),
            bad_debt: up(self.bad_debt),
            exogenous_notional: up(self.exogenous_notional),
            insurance_fund_drawdown: up(self.insurance_fund_drawdown),
            ..self.clone()
        }
    }
}

impl RunSummary {
    /// Records `run.scale` and, below 1, the totals at full scale.
    pub fn set_scale(&mut self, scale: f64) {
        self.scale = scale;
        self.totals_at_full_scale = (scale < 1.0).then(|| self.totals.at_full_scale(scale));
    }

    /// [`Self::start_utc`] as Unix milliseconds.
    #[must_use]
    pub fn start_unix_ms(&self) -> Option<u64> {
        crate::scenario::parse_utc_ms(self.start_utc.as_deref()?)
    }

    /// Fills in the counterfactual figures from `cf`, the summary of the same scenario and seed
    /// run with forced liquidations disabled: per-market mark drops and the cascade
    /// amplification (this run's peak-to-trough drop ÷ the counterfactual's).
    pub fn set_counterfactual(&mut self, cf: &RunSummary) {
        for (m, c) in self.instruments.iter_mut().zip(&cf.instruments) {
            m.counterfactual_max_mark_drop_pct = Some(c.max_mark_drop_pct);
        }
        let base = cf.totals.peak_to_trough_pct;
        self.totals.counterfactual_peak_to_trough_pct = Some(base);
        self.totals.cascade_amplification = (base > 0.0).then(|| self.totals.peak_to_trough_pct / base);
        self.set_scale(self.scale);
    }
}

/// Everything a run recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The time series.
    pub series: Vec<SeriesRow>,
    /// One row per liquidation.
    pub liquidations: Vec<LiquidationRow>,
    /// One row per ADL reduction.
    pub adl: Vec<AdlRow>,
    /// The summary.
    pub summary: RunSummary,
}

/// Handle of a market registered with a [`Recorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MarketKey(pub u32);

/// Tallies that reset at every sample.
#[derive(Debug, Clone, Default)]
struct Interval {
    volume: Exact,
    volume_notional: Exact,
    trades: u64,
    liq: [(u64, Decimal); 2],
    adl_count: u64,
    adl_notional: Decimal,
}

/// Running peak-to-trough of a price. The ratio is computed only when a price makes a new low
/// since the last peak, so most trades cost two comparisons.
#[derive(Debug, Clone, Copy, Default)]
struct Drawdown {
    peak: Option<Exact>,
    trough: Option<Exact>,
    max_drop: f64,
    /// When the largest drop's low was seen.
    max_drop_at: Option<u64>,
}

impl Drawdown {
    fn see(&mut self, p: Exact, time_ms: u64) {
        let peak = *self.peak.get_or_insert(p);
        if p.cmp_value(peak).is_gt() {
            self.peak = Some(p);
            self.trough = Some(p);
        } else if self.trough.is_none_or(|t| p.cmp_value(t).is_lt()) {
            self.trough = Some(p);
            if peak.is_positive() {
                let (peak, p) = (peak.to_decimal(), p.to_decimal());
                let drop = ((peak - p) / peak).to_f64().unwrap_or(0.0);
                if drop > self.max_drop {
                    self.max_drop = drop;
                    self.max_drop_at = Some(time_ms);
                }
            }
        }
    }
}

/// Whole-run tallies of a market.
#[derive(Debug, Clone)]
struct MarketState {
    venue: usize,
    instrument: String,
    interval: Interval,
    liq: [(u64, Decimal); 2],
    largest: Option<Decimal>,
    open: Option<Exact>,
    high: Option<Exact>,
    low: Option<Exact>,
    close: Option<Exact>,
    last_dd: Drawdown,
    mark_dd: Drawdown,
    volume_notional: Exact,
    oi_start: Option<Decimal>,
    oi_end: Option<Decimal>,
    adl_count: u64,
    adl_notional: Decimal,
    first_liq: Option<u64>,
    first_adl: Option<u64>,
    halts: u64,
}

#[derive(Debug, Clone, Default)]
struct VenueState {
    name: String,
    fund_start: Option<Decimal>,
    fund_min: Option<Decimal>,
    fund_end: Option<Decimal>,
    bad_debt: Decimal,
    backstop_pnl: Decimal,
    /// Effective leverage of each ADL'd position (for the median).
    adl_leverage: Vec<Decimal>,
    adl_profitable: u64,
    adl_pnl: Decimal,
}

/// Median of exact values (the lower middle for an even count), as a float for the summary.
fn median(values: &[Decimal]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).and_then(|d| d.to_f64())
}

fn side_ix(side: PositionSide) -> usize {
    match side {
        PositionSide::Long => 0,
        PositionSide::Short => 1,
    }
}

/// Accumulates the rows of a run: the simulator reports trades, liquidations and ADL as they
/// happen, and samples every market each interval.
///
/// Deterministic: markets are kept in registration order, sets are ordered, and sums are exact.
#[derive(Debug, Clone)]
pub struct Recorder {
    interval: SimTime,
    next_sample: SimTime,
    markets: Vec<MarketState>,
    venues: Vec<VenueState>,
    series: Vec<SeriesRow>,
    liquidations: Vec<LiquidationRow>,
    adl: Vec<AdlRow>,
    /// (market, account) of every liquidation, for the counts of distinct accounts at the end
    /// (sorting once is far cheaper than a set insert per liquidation).
    liquidated: Vec<(u32, u32)>,
    largest: Option<LargestLiquidation>,
}

impl Recorder {
    /// A recorder sampling every `interval` (the scenario's `run.metrics_interval_ms`); the first
    /// sample is due at `interval`, not at zero.
    ///
    /// # Panics
    /// If `interval` is zero (scenario validation refuses it).
    #[must_use]
    pub fn new(interval: SimTime) -> Self {
        assert!(interval > SimTime::ZERO, "metrics interval must be > 0");
        Self {
            interval,
            next_sample: interval,
            markets: Vec::new(),
            venues: Vec::new(),
            series: Vec::new(),
            liquidations: Vec::new(),
            adl: Vec::new(),
            liquidated: Vec::new(),
            largest: None,
        }
    }

    /// Registers a market; rows of a sample come out in registration order.
    ///
    /// # Panics
    /// Beyond 2^32 markets.
    pub fn add_market(&mut self, venue: &str, instrument: &str) -> MarketKey {
        let v = match self.venues.iter().position(|s| s.name == venue) {
            Some(i) => i,
            None => {
                self.venues.push(VenueState { name: venue.to_string(), ..VenueState::default() });
                self.venues.len() - 1
            }
        };
        let key = MarketKey(u32::try_from(self.markets.len()).expect("fewer than 2^32 markets"));
        self.markets.push(MarketState {
            venue: v,
            instrument: instrument.to_string(),
            interval: Interval::default(),
            liq: [(0, Decimal::ZERO); 2],
            largest: None,
            open: None,
            high: None,
            low: None,
            close: None,
            last_dd: Drawdown::default(),
            mark_dd: Drawdown::default(),
            volume_notional: Exact::default(),
            oi_start: None,
            oi_end: None,
            adl_count: 0,
            adl_notional: Decimal::ZERO,
            first_liq: None,
            first_adl: None,
            halts: 0,
        });
        key
    }

    fn market(&mut self, key: MarketKey) -> &mut MarketState {
        &mut self.markets[key.0 as usize]
    }

    /// When the next sample is due.
    #[must_use]
    pub fn next_sample_at(&self) -> SimTime {
        self.next_sample
    }

    /// Records a trade: `qty` in quantity units at `price`, worth `notional` in the settle asset.
    ///
    /// # Panics
    /// If `key` was not returned by [`Recorder::add_market`].
    pub fn on_trade(&mut self, key: MarketKey, price: Decimal, qty: Decimal, notional: Decimal) {
        self.on_trade_exact(
            key,
            Exact::from_decimal(price),
            Exact::from_decimal(qty),
            Exact::from_decimal(notional),
        );
    }

    /// [`Recorder::on_trade`] from the engine's integers with their decimals: the same rows,
    /// without `Decimal` arithmetic per trade (the simulator's hot path).
    ///
    /// # Panics
    /// If `key` was not returned by [`Recorder::add_market`].
    #[inline]
    pub fn on_trade_exact(&mut self, key: MarketKey, price: Exact, qty: Exact, notional: Exact) {
        let m = self.market(key);
        m.interval.volume.add(qty);
        m.interval.volume_notional.add(notional);
        m.interval.trades += 1;
        m.volume_notional.add(notional);
        m.open.get_or_insert(price);
        m.high = Some(m.high.map_or(price, |h| h.max(price)));
        m.low = Some(m.low.map_or(price, |l| l.min(price)));
        m.close = Some(price);
        m.last_dd.see(price, 0);
    }

    /// Records a liquidation.
    ///
    /// # Panics
    /// If `key` was not returned by [`Recorder::add_market`].
    pub fn on_liquidation(&mut self, key: MarketKey, row: LiquidationRow) {
        let s = side_ix(row.side);
        let m = self.market(key);
        m.interval.liq[s].0 += 1;
        m.interval.liq[s].1 += row.notional;
        m.liq[s].0 += 1;
        m.liq[s].1 += row.notional;
        m.first_liq.get_or_insert(row.time_ms);
        m.largest = Some(m.largest.map_or(row.notional, |l| l.max(row.notional)));
        self.liquidated.push((key.0, row.account));
        // Ties keep the earliest, so the answer does not depend on anything but event order.
        if self.largest.as_ref().is_none_or(|l| row.notional > l.notional) {
            self.largest = Some(LargestLiquidation {
                time_ms: row.time_ms,
                venue: row.venue.clone(),
                instrument: row.instrument.clone(),
                side: row.side,
                notional: row.notional,
            });
        }
        self.liquidations.push(row);
    }

    /// Records the start of a trading halt of a market.
    ///
    /// # Panics
    /// If `key` was not returned by [`Recorder::add_market`].
    pub fn on_halt(&mut self, key: MarketKey) {
        self.market(key).halts += 1;
    }

    /// Records an ADL reduction.
    ///
    /// # Panics
    /// If `key` was not returned by [`Recorder::add_market`].
    pub fn on_adl(&mut self, key: MarketKey, row: AdlRow) {
        let m = self.market(key);
        m.interval.adl_count += 1;
        m.interval.adl_notional += row.notional;
        m.adl_count += 1;
        m.adl_notional += row.notional;
        m.first_adl.get_or_insert(row.time_ms);
        let venue = m.venue;
        let v = &mut self.venues[venue];
        v.adl_leverage.extend(row.leverage);
        v.adl_profitable += u64::from(row.realized_pnl > Decimal::ZERO);
        v.adl_pnl += row.realized_pnl;
        self.adl.push(row);
    }

    /// Takes the sample due at [`Recorder::next_sample_at`] if `now` has reached it: one row per
    /// market, in registration order, with `snapshot(key)` giving each market's state. Returns
    /// whether a sample was taken. Call it at every scheduled metrics tick; a run that jumps
    /// past several sampling times gets one row per market for each (state as of `now`, empty
    /// intervals after the first), so the series keeps its regular grid.
    pub fn sample(&mut self, now: SimTime, mut snapshot: impl FnMut(MarketKey) -> MarketSnapshot) -> bool {
        let mut took = false;
        while self.next_sample <= now {
            let time_ms = self.next_sample.as_millis();
            for i in 0..self.markets.len() {
                let key = MarketKey(i as u32);
                let snap = snapshot(key);
                self.push_row(i, time_ms, snap);
            }
            self.next_sample = self.next_sample.saturating_add(self.interval);
            took = true;
        }
        took
    }

    fn push_row(&mut self, i: usize, time_ms: u64, s: MarketSnapshot) {
        let m = &mut self.markets[i];
        let iv = std::mem::take(&mut m.interval);
        if let Some(mark) = s.mark {
            m.mark_dd.see(Exact::from_decimal(mark), time_ms);
        }
        m.oi_start.get_or_insert(s.open_interest);
        m.oi_end = Some(s.open_interest);
        let v = &mut self.venues[m.venue];
        v.fund_start.get_or_insert(s.insurance_fund);
        v.fund_min = Some(v.fund_min.map_or(s.insurance_fund, |f| f.min(s.insurance_fund)));
        v.fund_end = Some(s.insurance_fund);
        v.bad_debt = s.bad_debt;
        v.backstop_pnl = s.backstop_pnl;
        self.series.push(SeriesRow {
            time_ms,
            venue: v.name.clone(),
            instrument: m.instrument.clone(),
            last: s.last,
            mark: s.mark,
            index: s.index,
            best_bid: s.best_bid,
            best_ask: s.best_ask,
            bid_depth_1pct: s.bid_depth_1pct,
            ask_depth_1pct: s.ask_depth_1pct,
            bid_depth_5pct: s.bid_depth_5pct,
            ask_depth_5pct: s.ask_depth_5pct,
            volume: iv.volume.to_decimal(),
            volume_notional: iv.volume_notional.to_decimal(),
            trades: iv.trades,
            liq_long_count: iv.liq[0].0,
            liq_long_notional: iv.liq[0].1,
            liq_short_count: iv.liq[1].0,
            liq_short_notional: iv.liq[1].1,
            open_interest: s.open_interest,
            open_interest_notional: s.open_interest_notional,
            insurance_fund: s.insurance_fund,
            adl_count: iv.adl_count,
            adl_notional: iv.adl_notional,
            bad_debt: s.bad_debt,
            funding_rate: s.funding_rate,
            backstop_position: s.backstop_position,
            backstop_pnl: s.backstop_pnl,
        });
    }

    /// Distinct accounts liquidated: per market (in registration order) and over the run, an
    /// account counted once per venue.
    fn distinct_liquidated(&self) -> (Vec<u64>, u64) {
        let mut per_market = vec![0_u64; self.markets.len()];
        let mut pairs = self.liquidated.clone();
        pairs.sort_unstable();
        pairs.dedup();
        for &(m, _) in &pairs {
            per_market[m as usize] += 1;
        }
        let mut by_venue: Vec<(usize, u32)> =
            pairs.iter().map(|&(m, a)| (self.markets[m as usize].venue, a)).collect();
        by_venue.sort_unstable();
        by_venue.dedup();
        (per_market, by_venue.len() as u64)
    }

    /// Ends the recording: the rows and the summary. `exogenous_notional` is the shocks' total
    /// flow, the denominator of the cascade amplification.
    #[must_use]
    pub fn finish(
        self,
        scenario: &str,
        seed: u64,
        duration: SimTime,
        exogenous_notional: Decimal,
    ) -> Recording {
        let pct = |d: Drawdown| d.max_drop * 100.0;
        let (per_market, accounts_liquidated) = self.distinct_liquidated();
        let instruments: Vec<InstrumentSummary> = self
            .markets
            .iter()
            .zip(&per_market)
            .map(|(m, &distinct)| InstrumentSummary {
                venue: self.venues[m.venue].name.clone(),
                instrument: m.instrument.clone(),
                liquidated_long_notional: m.liq[0].1,
                liquidated_short_notional: m.liq[1].1,
                liquidations_long: m.liq[0].0,
                liquidations_short: m.liq[1].0,
                accounts_liquidated: distinct,
                largest_liquidation: m.largest,
                open: m.open.map(Exact::to_decimal),
                high: m.high.map(Exact::to_decimal),
                low: m.low.map(Exact::to_decimal),
                close: m.close.map(Exact::to_decimal),
                max_drop_pct: pct(m.last_dd),
                max_mark_drop_pct: pct(m.mark_dd),
                counterfactual_max_mark_drop_pct: None,
                volume_notional: m.volume_notional.to_decimal(),
                open_interest_start: m.oi_start,
                open_interest_end: m.oi_end,
                adl_count: m.adl_count,
                adl_notional: m.adl_notional,
                mark_low_time_ms: m.mark_dd.max_drop_at,
                open_interest_change_pct: match (m.oi_start, m.oi_end) {
                    (Some(a), Some(b)) if a > Decimal::ZERO => ((b - a) / a * Decimal::ONE_HUNDRED).to_f64(),
                    _ => None,
                },
                first_liquidation_ms: m.first_liq,
                first_adl_ms: m.first_adl,
                halts: m.halts,
            })
            .collect();
        let venues: Vec<VenueSummary> = self
            .venues
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mine = || self.markets.iter().filter(move |m| m.venue == i);
                VenueSummary {
                    venue: v.name.clone(),
                    insurance_fund_start: v.fund_start,
                    insurance_fund_min: v.fund_min,
                    insurance_fund_end: v.fund_end,
                    insurance_fund_drawdown: match (v.fund_start, v.fund_min) {
                        (Some(s), Some(m)) => (s - m).max(Decimal::ZERO),
                        _ => Decimal::ZERO,
                    },
                    bad_debt: v.bad_debt,
                    liquidated_long_notional: mine().map(|m| m.liq[0].1).sum(),
                    liquidated_short_notional: mine().map(|m| m.liq[1].1).sum(),
                    adl_count: mine().map(|m| m.adl_count).sum(),
                    adl_notional: mine().map(|m| m.adl_notional).sum(),
                    insurance_fund_change: match (v.fund_start, v.fund_end) {
                        (Some(s), Some(e)) => e - s,
                        _ => Decimal::ZERO,
                    },
                    first_liquidation_ms: mine().filter_map(|m| m.first_liq).min(),
                    first_adl_ms: mine().filter_map(|m| m.first_adl).min(),
                    adl_median_leverage: median(&v.adl_leverage),
                    adl_profitable_share: {
                        let n: u64 = mine().map(|m| m.adl_count).sum();
                        (n > 0).then(|| v.adl_profitable as f64 / n as f64)
                    },
                    adl_realized_pnl: v.adl_pnl,
                    backstop_pnl_end: v.backstop_pnl,
                    // Filled in by the simulation, which holds the transfers.
                    transfers_out: 0,
                    transferred_out: Decimal::ZERO,
                    transfers_in: 0,
                    transferred_in: Decimal::ZERO,
                    in_flight_end: Decimal::ZERO,
                    halts: mine().map(|m| m.halts).sum(),
                    // Filled in by the simulation, which holds the engines.
                    fund_backstop_paid: Decimal::ZERO,
                }
            })
            .collect();
        let long: Decimal = instruments.iter().map(|m| m.liquidated_long_notional).sum();
        let short: Decimal = instruments.iter().map(|m| m.liquidated_short_notional).sum();
        let total = long + short;
        let ratio =
            |n: Decimal, d: Decimal| (d > Decimal::ZERO).then(|| (n / d).to_f64().unwrap_or(f64::NAN));
        let totals = Totals {
            liquidated_long_notional: long,
            liquidated_short_notional: short,
            long_share: ratio(long, total),
            liquidations: self.liquidations.len() as u64,
            accounts_liquidated,
            largest_liquidation: self.largest,
            adl_count: self.adl.len() as u64,
            adl_notional: self.adl.iter().map(|a| a.notional).sum(),
            bad_debt: venues.iter().map(|v| v.bad_debt).sum(),
            exogenous_notional,
            liquidated_per_exogenous: ratio(total, exogenous_notional),
            insurance_fund_drawdown: venues.iter().map(|v| v.insurance_fund_drawdown).sum(),
            peak_to_trough_pct: instruments.iter().map(|m| m.max_mark_drop_pct).fold(0.0, f64::max),
            counterfactual_peak_to_trough_pct: None,
            cascade_amplification: None,
        };
        let summary = RunSummary {
            scenario: scenario.to_string(),
            seed,
            duration_ms: duration.as_millis(),
            series_rows: self.series.len() as u64,
            totals,
            venues,
            instruments,
            policy: crate::world::PolicyReport::default(),
            collateral: Vec::new(),
            population: None,
            start_utc: None,
            scale: 1.0,
            totals_at_full_scale: None,
        };
        Recording { series: self.series, liquidations: self.liquidations, adl: self.adl, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn liq(time_ms: u64, account: u32, side: PositionSide, notional: &str) -> LiquidationRow {
        LiquidationRow {
            time_ms,
            venue: "binance".into(),
            instrument: "BTCUSDT".into(),
            account,
            side,
            margin_mode: MarginMode::Isolated,
            kind: LiquidationKind::Full,
            qty: d("0.1"),
            price: d("100000"),
            notional: d(notional),
            mark_price: d("100050"),
            bankruptcy_price: Some(d("99000")),
            fee: d("5"),
            insurance_fund_change: d("5"),
            bad_debt: Decimal::ZERO,
        }
    }

    fn snap(mark: &str, fund: &str) -> MarketSnapshot {
        MarketSnapshot {
            mark: Some(d(mark)),
            open_interest: d("12.5"),
            insurance_fund: d(fund),
            ..MarketSnapshot::default()
        }
    }

    /// Two markets on one venue, sampled every second for three seconds, with a trade, two long
    /// liquidations (one account twice) and an ADL.
    #[test]
    fn intervals_reset_and_the_summary_adds_up() {
        let mut r = Recorder::new(SimTime::from_secs(1));
        let btc = r.add_market("binance", "BTCUSDT");
        let eth = r.add_market("binance", "ETHUSDT");
        assert!(!r.sample(SimTime::from_millis(999), |_| unreachable!()));
        r.on_trade(btc, d("100000"), d("0.5"), d("50000"));
        r.on_liquidation(btc, liq(500, 7, PositionSide::Long, "10000"));
        assert!(r.sample(SimTime::from_secs(1), |k| if k == btc {
            snap("100000", "1000")
        } else {
            snap("4000", "1000")
        }));
        r.on_liquidation(btc, liq(1500, 7, PositionSide::Long, "30000"));
        r.on_trade(btc, d("90000"), d("1"), d("90000"));
        r.on_adl(
            eth,
            AdlRow {
                time_ms: 1600,
                venue: "binance".into(),
                instrument: "ETHUSDT".into(),
                account: 3,
                side: PositionSide::Short,
                qty: d("2"),
                price: d("3900"),
                notional: d("7800"),
                realized_pnl: d("200"),
                rank: Some(0),
                leverage: None,
                liquidated_account: Some(7),
            },
        );
        // One call past two sampling times gives two rows per market.
        assert!(r.sample(SimTime::from_millis(3_200), |_| snap("90000", "400")));
        let rec = r.finish("test", 42, SimTime::from_secs(3), d("20000"));
        assert_eq!(rec.series.len(), 6);
        let times: Vec<_> = rec.series.iter().map(|s| (s.time_ms, s.instrument.as_str())).collect();
        assert_eq!(
            times,
            [
                (1000, "BTCUSDT"),
                (1000, "ETHUSDT"),
                (2000, "BTCUSDT"),
                (2000, "ETHUSDT"),
                (3000, "BTCUSDT"),
                (3000, "ETHUSDT")
            ]
        );
        let first = &rec.series[0];
        assert_eq!((first.trades, first.liq_long_count, first.liq_long_notional), (1, 1, d("10000")));
        let second = &rec.series[2];
        assert_eq!((second.trades, second.volume, second.liq_long_notional), (1, d("1"), d("30000")));
        assert_eq!(rec.series[3].adl_count, 1);
        assert_eq!((rec.series[4].trades, rec.series[4].liq_long_count), (0, 0));

        let s = &rec.summary;
        assert_eq!(s.totals.liquidated_long_notional, d("40000"));
        assert_eq!(s.totals.liquidations, 2);
        assert_eq!(s.totals.accounts_liquidated, 1);
        assert_eq!(s.totals.long_share, Some(1.0));
        assert_eq!(s.totals.liquidated_per_exogenous, Some(2.0));
        assert!((s.totals.peak_to_trough_pct - 10.0).abs() < 1e-9);
        assert_eq!(s.totals.cascade_amplification, None);
        let mut with_cf = s.clone();
        let mut cf = s.clone();
        cf.totals.peak_to_trough_pct = 4.0;
        with_cf.set_counterfactual(&cf);
        assert_eq!(with_cf.totals.cascade_amplification, Some(2.5));
        // A run at scale 0.01 stands for a market 100 times larger: $40,000 of longs → $4M,
        // 2 liquidations → 200, the $600 fund drawdown → $60,000; the long share stays 1.
        let mut reduced = with_cf.clone();
        reduced.set_scale(0.01);
        let full = reduced.totals_at_full_scale.as_ref().unwrap();
        assert_eq!(full.liquidated_long_notional, d("4000000"));
        assert_eq!((full.liquidations, full.accounts_liquidated, full.adl_count), (200, 100, 100));
        assert_eq!(full.insurance_fund_drawdown, d("60000"));
        assert_eq!(full.adl_notional, d("780000"));
        assert_eq!((full.long_share, full.cascade_amplification), (Some(1.0), Some(2.5)));
        assert_eq!(reduced.totals, with_cf.totals);
        let mut whole = with_cf.clone();
        whole.set_scale(1.0);
        assert_eq!(whole.totals_at_full_scale, None);
        assert_eq!(s.totals.largest_liquidation.as_ref().unwrap().notional, d("30000"));
        assert_eq!((s.totals.adl_count, s.totals.adl_notional), (1, d("7800")));
        let b = &s.instruments[0];
        assert_eq!((b.open, b.low, b.close), (Some(d("100000")), Some(d("90000")), Some(d("90000"))));
        assert!((b.max_drop_pct - 10.0).abs() < 1e-9);
        assert!((b.max_mark_drop_pct - 10.0).abs() < 1e-9);
        assert_eq!(s.venues.len(), 1);
        assert_eq!(s.venues[0].insurance_fund_drawdown, d("600"));
        assert_eq!(s.series_rows, 6);
    }

    #[test]
    fn no_liquidations_means_no_ratios() {
        let mut r = Recorder::new(SimTime::from_millis(100));
        r.add_market("v", "X");
        r.sample(SimTime::from_millis(100), |_| MarketSnapshot::default());
        let s = r.finish("t", 1, SimTime::from_millis(100), Decimal::ZERO).summary;
        assert_eq!((s.totals.long_share, s.totals.liquidated_per_exogenous), (None, None));
        assert!(s.totals.largest_liquidation.is_none());
    }
}
