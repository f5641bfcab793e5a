//! The leveraged trader population: accounts drawn from the scenario's distributions, opened at
//! time zero at their entry prices, then left to the engine.
//!
//! **Drawing.** Accounts are split over the `[[population.markets]]` by weight (exact counts,
//! largest remainder), each market drawing from its own stream. A trader draws its side (the
//! market's long share), margin mode (isolated share), leverage (the bucket mix, capped at the
//! tier's maximum), behaviour (the shares of `[population.behaviour]`) and notional (the
//! heavy-tailed size distribution). Its entry price is a point of a look-back path of the
//! asset, drawn uniformly in time, that ends at the time-zero index: a synthetic random walk, or
//! for an asset whose fair value follows a price file (`[[assets]] path`), the file's own
//! prices over the `lookback_s` before the run start, sampled each minute (linearly
//! interpolated between closes, as the fair value is).
//!
//! **Survivors only.** A position whose liquidation price, stop or take-profit the look-back
//! path crossed after its entry would not exist any more at time zero. For a price file the
//! crossing counts the bars' wicks too: every bar closing after the entry (and by time zero)
//! adds its low and high, since a stop just under the lowest close but above a bar's low was
//! taken by that wick (on 10 Oct 2025's week BTC's lowest 15-minute close was 116,001.3 and the
//! lowest low 115,845.0; until 5 Dec 2026 only closes counted, and 14-18% of each venue's BTC
//! static stops sat in 115,750-116,000, just under that close). Such a draw takes another entry
//! time: up to 64 random tries, then uniformly among the times that survive (a
//! scan of the path, kept per market, side, behaviour and liquidation distance), so the entry is
//! uniform in time given survival; only if no time survives does it enter at the time-zero
//! price. (Until 4 Dec 2026 every draft whose 64 tries failed entered at the time-zero price:
//! on 10 Oct 2025's path half of the 25x-100x longs, which put their liquidation prices at a few
//! points just below the price.) This is what
//! makes high-leverage entries recent and leaves the population's liquidation prices spread
//! below (longs) and above (shorts) the current price rather than already crossed.
//!
//! **Opening.** Each account deposits the initial margin its leverage needs at its entry price
//! (plus the fee, plus a buy-the-dip reserve), then gets its position at exactly its entry
//! price against the market's seeding account (`world/seed.rs`).
//!
//! **Baskets** (`[population.baskets]`, optional): a `share` of the cross-margin accounts (not
//! momentum) also hold 1..=`legs` other population markets of their venue (drawn by weight, no
//! market twice, from a stream of their own per population market), each `size` × the first
//! position's notional, on the opposite side with probability `hedge`, entered at the same
//! look-back time at that asset's path price and held; the set must survive the look-back
//! (each leg's worst price since entry, independently) or it re-draws its entry time (64 random
//! tries, then the time-zero prices: a basket's survival depends on its legs, so there is no
//! per-kind scan to draw from), and the account deposits every leg's margin. One cross pool: a
//! crash in one leg's market liquidates the account and the waterfall closes the others too
//! (10 Oct 2025's contagion).
//!
//! **Behaviours**, all but one carried by the engine itself, so passive accounts never enter the
//! event queue (ARCHITECTURE.md): *hold* (until liquidated or the end); *static stop* (a
//! reduce-only stop-market order at `stop_distance` from entry, triggered by the last price for
//! [`STOP_ON_LAST`] of them and by the mark for the rest); *take-profit* (a
//! reduce-only limit at `take_profit_distance`); *buy the dip* (longs rest a limit buy of
//! `dip_add` × their size at `dip_trigger` below entry and, if liquidated, re-enter once with a
//! limit buy `dip_trigger` below the liquidation mark; shorts of this group hold); *adaptive
//! stop* (a trailing stop `trail_distance` × a volatility factor behind the best mark seen:
//! the factor is the market's realized volatility over the asset's, within [1, 3]; the stop
//! never moves against the trader, even when a volatility spike widens the trail). Trailing
//! stops need moving as the price runs in the trader's favour; instead of waking every such
//! trader on a timer, each waits in a per-market ordered index at the price where its stop
//! next moves (half the trail beyond the last best), and only the marks that cross it wake it.
//! *Momentum* traders start flat with the margin of their size at their trigger and rest a
//! stop-market entry on the mark `momentum_trigger` (× a draw in [0.5, 1.5]) beyond the
//! time-zero price (shorts below, longs above), then hold what it opens; with
//! `momentum_window_s` they chase the break of a trailing window instead, either way
//! (`chasers.rs`), with a market order sized at the break's mark or, if higher, the best
//! opposite price (where the venue checks its margin).

use std::collections::{BTreeMap, BTreeSet};

use cascade_engine::book::{Side, Trigger};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::{OrderKind, OrderRequest};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::chasers::{Chasers, Trigger as ChaseTrigger};
use super::sampling;
use crate::error::SimError;
use crate::rng::{StreamKind, Streams};
use crate::scenario::{Behaviour, Scenario, StopsPolicy, Track, applies};
use crate::scheduler::SimTime;
use crate::world::asset::SECONDS_PER_YEAR;
use crate::world::{Market, Owner, World};

/// Share of static stop-losses triggered by the last traded price rather than the mark (venues'
/// order forms default to the last price; such stops fire on wicks the mark smooths out).
pub const STOP_ON_LAST: f64 = 0.5;
/// Tries at drawing a surviving entry before entering at the time-zero price.
const ENTRY_TRIES: usize = 64;
/// Most points of a look-back path (one a minute for two weeks).
const MAX_PATH_POINTS: u64 = 20_160;

/// What a trader does after entering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behave {
    /// Nothing: held until liquidated or the end of the run.
    Hold,
    /// A fixed stop-loss in the engine.
    StaticStop,
    /// A volatility-scaled trailing stop.
    AdaptiveStop,
    /// A reduce-only take-profit limit.
    TakeProfit,
    /// Adds on a dip (longs), re-enters once after a liquidation.
    BuyTheDip,
    /// Starts flat; a stop-market entry opens the position on a break, then it holds.
    Momentum,
    /// Starts flat; enters against a window's break (buys a fall, sells a rise), then holds.
    Fade,
}

impl Behave {
    /// Enters later, on a break (momentum or fade): no position at time zero.
    fn starts_flat(self) -> bool {
        matches!(self, Behave::Momentum | Behave::Fade)
    }
}

/// Index of the window momentum traders' and the fade traders' chasers.
const MOMENTUM: usize = 0;
const FADE: usize = 1;

const BEHAVES: [Behave; 7] = [
    Behave::Hold,
    Behave::StaticStop,
    Behave::AdaptiveStop,
    Behave::TakeProfit,
    Behave::BuyTheDip,
    Behave::Momentum,
    Behave::Fade,
];

/// One leveraged trader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trader {
    /// World market index.
    pub market: u32,
    /// Its venue account.
    pub account: AccountId,
    /// Long or short.
    pub long: bool,
    /// Chosen leverage.
    pub leverage: u16,
    /// Behaviour.
    pub behave: Behave,
    /// Size opened at time zero (zero if the venue refused it); for a momentum trader, the size
    /// its entry stop opens.
    pub qty: Qty,
    /// Entry price (a momentum trader's: its stop's trigger).
    pub entry: Price,
    /// Whether a buy-the-dip trader has re-entered after a liquidation.
    pub reentered: bool,
    /// Trigger of a trailing or static stop, once set (price units; 0 before).
    pub stop: i64,
    /// A static stop triggers on the last price (else on the mark).
    pub on_last: bool,
    /// A window momentum trader that has not entered yet (its `qty` and `entry` are then the
    /// time-zero sizing its margin was deposited for).
    pub waiting: bool,
}

/// An extra position of a basket account (`[population.baskets]`), as opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasketLeg {
    /// The account's trader (index into [`Population::traders`]).
    pub trader: u32,
    /// World market index.
    pub market: u32,
    /// Long or short.
    pub long: bool,
    /// Size opened at time zero.
    pub qty: Qty,
    /// Entry price.
    pub entry: Price,
}

/// An extra position drawn before it is opened.
#[derive(Debug, Clone, Copy)]
struct Leg {
    market: usize,
    long: bool,
    leverage: u16,
    notional: f64,
    entry: f64,
    /// Distance to its liquidation price as a fraction of entry (as a single position's).
    liq: f64,
}

/// Traders drawn before they are opened.
#[derive(Debug, Clone, Copy)]
struct Draft {
    market: usize,
    long: bool,
    isolated: bool,
    leverage: u16,
    behave: Behave,
    notional: f64,
    entry: f64,
    on_last: bool,
}

/// A synthetic price path ending at the time-zero price, with the extremes of every suffix.
#[derive(Debug, Clone)]
struct LookBack {
    prices: Vec<f64>,
    suffix_min: Vec<f64>,
    suffix_max: Vec<f64>,
}

impl LookBack {
    /// The real path `track` over the `lookback_s` seconds before time zero: `n + 1` points
    /// (`n = lookback_s / 60`, within [1, 20 160]) evenly spaced in time, the last at time zero.
    /// The extremes since a point also take in the range of every bar of the track that closes
    /// after it and by time zero (a bar's wick stopped out whoever it reached, wherever in the bar
    /// it came; a bar still open at time zero is left out).
    fn from_track(track: &Track, lookback_s: u64) -> Self {
        let n = (lookback_s / 60).clamp(1, MAX_PATH_POINTS);
        let span_us = i128::from(lookback_s.max(1)) * 1_000_000;
        let times: Vec<i64> = (0..=n)
            .map(|k| i64::try_from(-span_us + span_us * i128::from(k) / i128::from(n)).unwrap_or(i64::MIN))
            .collect();
        let mut path = Self::with_extremes(times.iter().map(|&t| track.at(t)).collect());
        let ranges = track.ranges();
        let mut next = ranges.partition_point(|r| r.0 <= 0);
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for (k, &t) in times.iter().enumerate().rev() {
            while next > 0 && ranges[next - 1].0 > t {
                next -= 1;
                lo = lo.min(ranges[next].1);
                hi = hi.max(ranges[next].2);
            }
            path.suffix_min[k] = path.suffix_min[k].min(lo);
            path.suffix_max[k] = path.suffix_max[k].max(hi);
        }
        path
    }

    /// Annualised realised volatility of the path's log returns, its points `lookback_s / n`
    /// seconds apart.
    fn realized_volatility(&self, lookback_s: u64) -> f64 {
        let n = self.prices.len().saturating_sub(1).max(1);
        let dt = lookback_s.max(1) as f64 / n as f64;
        let sq: f64 = self.prices.windows(2).map(|w| (w[1] / w[0]).ln().powi(2)).sum();
        (sq / n as f64 * SECONDS_PER_YEAR / dt).sqrt()
    }

    /// The same path scaled to end at `p0` (a `lookback_path` gives the shape, the scenario the
    /// level).
    fn ending_at(self, p0: f64) -> Self {
        let last = self.prices[self.prices.len() - 1];
        let k = if last > 0.0 && p0 > 0.0 { p0 / last } else { 1.0 };
        let scale = |v: Vec<f64>| v.into_iter().map(|p| p * k).collect();
        Self {
            prices: scale(self.prices),
            suffix_min: scale(self.suffix_min),
            suffix_max: scale(self.suffix_max),
        }
    }

    fn with_extremes(prices: Vec<f64>) -> Self {
        let n = prices.len() - 1;
        let mut suffix_min = prices.clone();
        let mut suffix_max = prices.clone();
        for i in (0..n).rev() {
            suffix_min[i] = suffix_min[i].min(suffix_min[i + 1]);
            suffix_max[i] = suffix_max[i].max(suffix_max[i + 1]);
        }
        Self { prices, suffix_min, suffix_max }
    }

    /// A random walk of `lookback_s` at `vol` whose total return is `ret`, ending at `p0`: the
    /// increments are drawn, then shifted equally so their sum is exactly `ln(1 + ret)`.
    fn new(p0: f64, vol: f64, lookback_s: u64, ret: f64, rng: &mut ChaCha8Rng) -> Self {
        let n = (lookback_s / 60).clamp(1, MAX_PATH_POINTS) as usize;
        let dt = lookback_s.max(1) as f64 / n as f64;
        let sd = vol * (dt / SECONDS_PER_YEAR).sqrt();
        let mut inc: Vec<f64> = (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                sd * z
            })
            .collect();
        let target = (1.0 + ret).ln();
        let shift = (target - inc.iter().sum::<f64>()) / n as f64;
        for x in &mut inc {
            *x += shift;
        }
        let mut prices = Vec::with_capacity(n + 1);
        let mut p = p0 / (1.0 + ret);
        prices.push(p);
        for x in &inc {
            p *= x.exp();
            prices.push(p);
        }
        prices[n] = p0;
        Self::with_extremes(prices)
    }
}

/// The population and the trailing-stop index.
#[derive(Debug, Clone)]
pub struct Population {
    /// Every trader, in draw order.
    pub traders: Vec<Trader>,
    params: Behaviour,
    /// Per market: longs' trailing stops, keyed by the mark at which they next move up.
    trail_long: Vec<BTreeSet<(i64, u32)>>,
    /// Per market: shorts' trailing stops, keyed by minus the mark at which they move down.
    trail_short: Vec<BTreeSet<(i64, u32)>>,
    /// Per market: the asset's scenario volatility (the adaptive stops' calm level).
    calm_vol: Vec<f64>,
    /// `[policy.stops]`: static stops scaled by realized volatility, if set.
    stops: Option<StopsPolicy>,
    /// Per market: the static-stop traders the stop policy moves (empty where it does not apply).
    static_stops: Vec<Vec<u32>>,
    /// Per market: the stop factor last applied (1 at time zero: realized volatility is 0).
    stop_factor: Vec<f64>,
    /// Stops the stop policy moved.
    moved: u64,
    /// `[population.baskets]`: every extra position opened, by trader (empty without the table).
    pub basket_legs: Vec<BasketLeg>,
    /// Whether the scenario has `[population.baskets]`.
    baskets: bool,
    /// `momentum_window_s`: the window momentum traders' index and the fade traders' (each
    /// set if it has traders): apart, so a momentum seller that finds no bid does not hold up
    /// a fade buyer behind it.
    chasers: [Option<Chasers>; 2],
    /// Scratch list of the window traders that gave up at one mark.
    gave_up: Vec<u32>,
    /// Window momentum and fade traders so far: (entered short, entered long, gave up unfilled).
    chased: [(u64, u64, u64); 2],
}

/// A static stop's distance under `[policy.stops]`: `base × clamp(realized / reference, 1,
/// max_factor)`, kept below 0.9 (90 % of the entry).
#[must_use]
pub fn scaled_stop_distance(base: f64, realized: f64, reference: f64, max_factor: f64) -> f64 {
    let factor = if reference > 0.0 { (realized / reference).clamp(1.0, max_factor.max(1.0)) } else { 1.0 };
    (base * factor).min(0.9)
}

/// Survival of a draft's entry at path point `i` (see the module doc).
fn survives(d: &Draft, path: &LookBack, i: usize, liq_dist: f64, b: &Behaviour) -> bool {
    let (lo, hi) = (path.suffix_min[i], path.suffix_max[i]);
    let e = path.prices[i];
    // A tenth of the distance to the liquidation price is kept as slack for the approximation.
    let liq = liq_dist * 0.9;
    if d.long {
        let mut floor = e * (1.0 - liq);
        match d.behave {
            Behave::StaticStop => floor = floor.max(e * (1.0 - b.stop_distance)),
            Behave::AdaptiveStop => floor = floor.max(hi * (1.0 - b.trail_distance)),
            _ => {}
        }
        let cap = if d.behave == Behave::TakeProfit { e * (1.0 + b.take_profit_distance) } else { f64::MAX };
        lo > floor && hi < cap
    } else {
        let mut ceil = e * (1.0 + liq);
        match d.behave {
            Behave::StaticStop => ceil = ceil.min(e * (1.0 + b.stop_distance)),
            Behave::AdaptiveStop => ceil = ceil.min(lo * (1.0 + b.trail_distance)),
            _ => {}
        }
        let floor = if d.behave == Behave::TakeProfit { e * (1.0 - b.take_profit_distance) } else { 0.0 };
        hi < ceil && lo > floor
    }
}

/// The surviving entry times of a kind of draft (market, side, behaviour, liquidation distance),
/// scanned once for the first draft of that kind whose random tries all failed.
#[derive(Debug, Default)]
struct Survivors(BTreeMap<(usize, bool, u8, u64), Vec<u32>>);

/// A look-back point for `d` uniform among those where it [`survives`]: [`ENTRY_TRIES`] random
/// points first (rejection sampling, the same distribution), then a draw from the scanned list
/// of every surviving point; the time-zero point (`n - 1`) only when none survives.
fn entry_index(
    d: &Draft,
    path: &LookBack,
    liq_dist: f64,
    b: &Behaviour,
    rng: &mut ChaCha8Rng,
    survivors: &mut Survivors,
) -> usize {
    let n = path.prices.len();
    for _ in 0..ENTRY_TRIES {
        let i = rng.random_range(0..n);
        if survives(d, path, i, liq_dist, b) {
            return i;
        }
    }
    let key = (d.market, d.long, d.behave as u8, liq_dist.to_bits());
    let list = survivors.0.entry(key).or_insert_with(|| {
        (0..n).filter(|&i| survives(d, path, i, liq_dist, b)).filter_map(|i| u32::try_from(i).ok()).collect()
    });
    if list.is_empty() { n - 1 } else { list[rng.random_range(0..list.len())] as usize }
}

/// Share of its initial margin a position may lose before liquidation, as [`survives`] counts it,
/// checked for a basket at look-back point `i`: the first position and every leg at the worst
/// price of its own path since `i` (longs at the suffix minimum, shorts at the maximum,
/// independently, so conservative for hedges) must lose less than 90 % of the margin above
/// maintenance of all of them, `Σ notional × liq` (a tenth kept as slack, as for one position;
/// for one position this is exactly `survives`' liquidation condition).
fn basket_survives(
    d: &Draft,
    path: &LookBack,
    liq: f64,
    legs: &[(u32, Leg)],
    paths: &[Option<LookBack>],
    world: &World,
    i: usize,
) -> bool {
    let loss = |p: &LookBack, long: bool| {
        let e = p.prices[i];
        if long { 1.0 - p.suffix_min[i] / e } else { p.suffix_max[i] / e - 1.0 }
    };
    let mut budget = d.notional * liq;
    let mut lost = d.notional * loss(path, d.long);
    for (_, leg) in legs {
        let Some(p) = paths[world.markets[leg.market].asset].as_ref() else { return false };
        budget += leg.notional * leg.liq;
        lost += leg.notional * loss(p, leg.long);
    }
    lost < 0.9 * budget
}

impl Population {
    /// Draws the population of `scenario` and opens every position at time zero.
    ///
    /// # Errors
    /// A population market the world does not list, or an engine failure.
    pub fn seed(scenario: &Scenario, streams: &Streams, world: &mut World) -> Result<Self, SimError> {
        let pop = &scenario.population;
        // (market, weight, long share)
        let mut markets: Vec<(usize, f64, f64)> = Vec::new();
        if pop.markets.is_empty() {
            let n = world.markets.len().max(1) as f64;
            markets.extend((0..world.markets.len()).map(|m| (m, 1.0 / n, pop.long_share)));
        } else {
            for (i, pm) in pop.markets.iter().enumerate() {
                let m = world.find_market(&pm.venue, &pm.symbol).ok_or_else(|| {
                    SimError::scenario(
                        format!("population.markets[{i}]"),
                        format!("no market {}", pm.market()),
                    )
                })?;
                markets.push((m, pm.weight, pm.long_share.unwrap_or(pop.long_share)));
            }
        }
        let weights: Vec<f64> = markets.iter().map(|x| x.1).collect();
        let counts = sampling::apportion(u64::from(pop.accounts), &weights);
        let b = pop.behaviour.clone();
        let shares = b.shares().map(|(_, s)| s);

        // One look-back path per asset: the asset's price file, or a walk from its own stream.
        let mut paths: Vec<Option<LookBack>> = vec![None; world.assets.len()];
        for &(m, _, _) in &markets {
            let a = world.markets[m].asset;
            if paths[a].is_none() {
                // A `lookback_path` first: with a `path` too, that file covers only the run.
                paths[a] = Some(if let Some(track) = world.assets[a].lookback() {
                    LookBack::from_track(track, pop.entry.lookback_s).ending_at(world.assets[a].spot())
                } else if let Some(track) = world.assets[a].track() {
                    LookBack::from_track(track, pop.entry.lookback_s)
                } else {
                    let mut rng = streams.stream(StreamKind::LookBack, a as u64);
                    let vol = pop.entry.annual_volatility.unwrap_or(scenario.assets[a].volatility());
                    let p0 = world.assets[a].spot();
                    let ret = pop.entry.lookback_return.unwrap_or(0.0);
                    LookBack::new(p0, vol, pop.entry.lookback_s, ret, &mut rng)
                });
            }
        }

        let population_max = scenario
            .policy
            .leverage
            .as_ref()
            .and_then(|l| l.population_max)
            .map(|x| u16::try_from(x).unwrap_or(u16::MAX));
        let mut capped: u64 = 0;
        // `[population.baskets]`: per population market, the other population markets of its
        // venue (world market, weight, opening maximum), each market listed once.
        let baskets = pop.baskets.clone();
        let mut others: Vec<Vec<(usize, f64, u16)>> = Vec::new();
        if baskets.is_some() {
            let lens: Vec<(usize, usize)> = markets
                .iter()
                .filter_map(|&(m, _, _)| {
                    let a = world.markets[m].asset;
                    paths[a].as_ref().map(|p| (a, p.prices.len()))
                })
                .collect();
            if let Some(&(a0, n0)) = lens.first()
                && let Some(&(a, n)) = lens.iter().find(|x| x.1 != n0)
            {
                return Err(SimError::scenario(
                    "population.baskets",
                    format!(
                        "the look-back paths of {} ({n0} points) and {} ({n} points) differ in length: \
                         a basket enters every leg at the same minute",
                        scenario.assets[a0].name, scenario.assets[a].name
                    ),
                ));
            }
            for &(m, _, _) in &markets {
                let v = world.markets[m].venue;
                let mut list: Vec<(usize, f64, u16)> = Vec::new();
                for &(o, w, _) in &markets {
                    if o != m && world.markets[o].venue == v && w > 0.0 && !list.iter().any(|x| x.0 == o) {
                        list.push((o, w, world.max_opening_leverage(o)));
                    }
                }
                others.push(list);
            }
        }
        let mut capped_legs: u64 = 0;
        let mut legs: Vec<(u32, Leg)> = Vec::new();
        let mut drafts: Vec<Draft> = Vec::with_capacity(pop.accounts as usize);
        let mut survivors = Survivors::default();
        // Window momentum traders: (draft index, their trigger's uniform draw).
        let mut chase_draws: Vec<(u32, f64)> = Vec::new();
        // The size distribution's decimals converted once, not at every draw (same draws).
        let sizes = sampling::SizeSampler::new(&pop.size);
        for (k, &(m, _, long_share)) in markets.iter().enumerate() {
            let mut rng = streams.stream(StreamKind::Population, k as u64);
            let mut brng = baskets.as_ref().map(|_| streams.stream(StreamKind::Basket, k as u64));
            let Some(path) = paths[world.markets[m].asset].as_ref() else { continue };
            let opening_max = world.max_opening_leverage(m);
            for _ in 0..counts[k] {
                let long = rng.random_bool(long_share);
                let isolated = rng.random_bool(pop.isolated_share);
                let drawn = sampling::leverage(&pop.leverage, &mut rng);
                let behave = BEHAVES[sampling::pick(shares.iter().copied(), &mut rng)];
                let notional = sizes.draw(&mut rng);
                let on_last = rng.random_bool(STOP_ON_LAST);
                let (tier_max, mmr) =
                    world.tier_limits(m, Market::cash(notional), path.prices[path.prices.len() - 1]);
                let mut leverage = u16::try_from(drawn).unwrap_or(u16::MAX).min(opening_max).max(1);
                if let Some(cap) = population_max
                    && leverage > cap
                {
                    leverage = cap.max(1);
                    capped += 1;
                }
                let effective = f64::from(leverage.min(tier_max).max(1));
                let liq_dist = (1.0 / effective - mmr).max(0.0005);
                let mut d = Draft {
                    market: m,
                    long,
                    isolated,
                    leverage,
                    behave,
                    notional,
                    entry: path.prices[0],
                    on_last,
                };
                let n = path.prices.len();
                if behave.starts_flat() {
                    // Flat until the break: no look-back. A level trigger is set off the time-zero
                    // price; a window trader's margin is sized at that price, its trigger later.
                    let u = rng.random_range(0.5..1.5);
                    if b.momentum_window_s.is_some() {
                        d.entry = path.prices[n - 1];
                        chase_draws.push((drafts.len() as u32, u));
                    } else {
                        let away = b.level_trigger() * u;
                        d.entry = path.prices[n - 1] * if long { 1.0 + away } else { 1.0 - away };
                    }
                    drafts.push(d);
                    continue;
                }
                let at = entry_index(&d, path, liq_dist, &b, &mut rng, &mut survivors);
                d.entry = path.prices[at];
                if let (Some(bk), Some(brng)) = (&baskets, brng.as_mut())
                    && !isolated
                    && brng.random_bool(bk.share)
                {
                    let start = legs.len();
                    let count = brng.random_range(1..=bk.legs.max(1));
                    let mut weights: Vec<f64> = others[k].iter().map(|x| x.1).collect();
                    for _ in 0..count {
                        if !weights.iter().any(|w| *w > 0.0) {
                            break;
                        }
                        let j = sampling::pick(weights.iter().copied(), brng);
                        weights[j] = 0.0;
                        let (o, _, open_max) = others[k][j];
                        let Some(lp) = paths[world.markets[o].asset].as_ref() else { continue };
                        let leg_long = if brng.random_bool(bk.hedge) { !long } else { long };
                        let mut lev = u16::try_from(drawn).unwrap_or(u16::MAX).min(open_max).max(1);
                        if let Some(cap) = population_max
                            && lev > cap
                        {
                            lev = cap.max(1);
                            capped_legs += 1;
                        }
                        let notional = bk.size * notional;
                        let (tier_max, mmr) =
                            world.tier_limits(o, Market::cash(notional), lp.prices[lp.prices.len() - 1]);
                        let eff = f64::from(lev.min(tier_max).max(1));
                        let liq = (1.0 / eff - mmr).max(0.0005);
                        let leg = Leg { market: o, long: leg_long, leverage: lev, notional, entry: 0.0, liq };
                        legs.push((drafts.len() as u32, leg));
                    }
                    if legs.len() > start {
                        let set = &legs[start..];
                        let mut at = at;
                        if !basket_survives(&d, path, liq_dist, set, &paths, world, at) {
                            // Another entry time for the whole set (from the basket stream), as a
                            // single position re-draws; else all at the time-zero prices.
                            let mut again = None;
                            for _ in 0..ENTRY_TRIES {
                                let i = brng.random_range(0..n);
                                if survives(&d, path, i, liq_dist, &b)
                                    && basket_survives(&d, path, liq_dist, set, &paths, world, i)
                                {
                                    again = Some(i);
                                    break;
                                }
                            }
                            at = again.unwrap_or(n - 1);
                            d.entry = path.prices[at];
                        }
                        for (_, leg) in &mut legs[start..] {
                            if let Some(lp) = paths[world.markets[leg.market].asset].as_ref() {
                                leg.entry = lp.prices[at];
                            }
                        }
                    }
                }
                drafts.push(d);
            }
        }

        let holdings = collateral_holdings(scenario, streams, world, &drafts);
        // Each market's seeder is paid for all its positions at once (`World::prefund_seeder`),
        // when it takes the first; a total past the cash range pays position by position.
        let mut funding: Vec<SeederFunding> = vec![SeederFunding::Pending(Cash::ZERO); world.markets.len()];
        for d in &drafts {
            let (entry, qty) = entry_and_qty(world, d);
            if d.behave.starts_flat() || !qty.is_positive() {
                continue;
            }
            let f = world.seed_funding(d.market, qty, entry);
            funding[d.market] = match funding[d.market] {
                SeederFunding::Pending(t) => {
                    t.checked_add(f).map_or(SeederFunding::PerPosition, SeederFunding::Pending)
                }
                other => other,
            };
        }
        for (_, leg) in &legs {
            let (entry, qty) = entry_and_qty_at(world, leg.market, leg.entry, leg.notional);
            if !qty.is_positive() {
                continue;
            }
            let f = world.seed_funding(leg.market, qty, entry);
            funding[leg.market] = match funding[leg.market] {
                SeederFunding::Pending(t) => {
                    t.checked_add(f).map_or(SeederFunding::PerPosition, SeederFunding::Pending)
                }
                other => other,
            };
        }
        let mut traders = Vec::with_capacity(drafts.len());
        let mut basket_legs = Vec::new();
        let mut next = 0;
        for (i, d) in drafts.iter().enumerate() {
            let held = holdings.get(i).map_or(&[][..], Vec::as_slice);
            let from = next;
            while next < legs.len() && legs[next].0 as usize == i {
                next += 1;
            }
            let index = traders.len() as u32;
            traders.push(open(world, d, &b, index, held, &legs[from..next], &mut funding, &mut basket_legs)?);
        }
        let n = world.markets.len();
        let (b_window, b_sigmas) = (b.momentum_window_s, b.momentum_sigmas);
        let mut me = Self {
            traders,
            params: b,
            trail_long: vec![BTreeSet::new(); n],
            trail_short: vec![BTreeSet::new(); n],
            // The adaptive stops' calm level: the asset's random-walk volatility, or for a price
            // file the realised volatility of its look-back.
            calm_vol: world
                .markets
                .iter()
                .map(|mk| match (world.assets[mk.asset].track(), &paths[mk.asset]) {
                    (Some(_), Some(lb)) => lb.realized_volatility(pop.entry.lookback_s),
                    _ => scenario.assets[mk.asset].volatility(),
                })
                .collect(),
            stops: None,
            static_stops: vec![Vec::new(); n],
            stop_factor: vec![1.0; n],
            moved: 0,
            basket_legs,
            baskets: baskets.is_some(),
            chasers: [None, None],
            gave_up: Vec::new(),
            chased: [(0, 0, 0); 2],
        };
        if let (Some(window), Some(sigmas)) = (b_window, b_sigmas) {
            // Trigger = sigmas × draw × the calm standard deviation of the window's return.
            let horizon = (window as f64 / SECONDS_PER_YEAR).sqrt();
            let mut per_market: [Vec<Vec<ChaseTrigger>>; 2] = [vec![Vec::new(); n], vec![Vec::new(); n]];
            for &(i, u) in &chase_draws {
                let t = &mut me.traders[i as usize];
                if t.qty.is_zero() {
                    continue;
                }
                t.waiting = true;
                let m = t.market as usize;
                let kind = if t.behave == Behave::Fade { FADE } else { MOMENTUM };
                let away = (sigmas * u * me.calm_vol[m] * horizon).min(0.99);
                per_market[kind][m].push(ChaseTrigger { away, trader: i });
            }
            for (kind, triggers) in per_market.into_iter().enumerate() {
                // Momentum's index exists with the window even if empty (its summary counts).
                if kind == MOMENTUM || triggers.iter().any(|m| !m.is_empty()) {
                    me.chasers[kind] = Some(Chasers::new(window, triggers));
                }
            }
        }
        if let Some(cap) = population_max {
            world.policy.report.leverage_capped_accounts = capped + capped_legs;
            if capped_legs > 0 {
                world.policy.report.warnings.push(format!(
                    "[policy.leverage] population_max = {cap}: the drawn leverage of {} of {} positions \
                     ({capped} accounts, {capped_legs} basket legs) was lowered to {cap}x",
                    capped + capped_legs,
                    drafts.len() + legs.len()
                ));
            } else if capped > 0 {
                world.policy.report.warnings.push(format!(
                    "[policy.leverage] population_max = {cap}: the drawn leverage of {capped} of {} accounts was \
                     lowered to {cap}x",
                    drafts.len()
                ));
            }
        }
        if let Some(sp) = &scenario.policy.stops {
            me.stops = Some(sp.clone());
            for (i, t) in me.traders.iter().enumerate() {
                let m = t.market as usize;
                if t.behave == Behave::StaticStop
                    && applies(&sp.venues, &world.venues[world.markets[m].venue].name)
                {
                    me.static_stops[m].push(i as u32);
                }
            }
        }
        for i in 0..me.traders.len() {
            me.place_behaviour(world, i)?;
        }
        Ok(me)
    }

    /// Places trader `i`'s behaviour orders after every position is open (so that no resting
    /// take-profit or dip order meets another account's seeding trade).
    fn place_behaviour(&mut self, world: &mut World, i: usize) -> Result<(), SimError> {
        let t = self.traders[i];
        if t.qty.is_zero() {
            return Ok(());
        }
        let m = t.market as usize;
        let b = &self.params;
        let entry = world.markets[m].to_f64(t.entry);
        let now = world.spot_of(m);
        let close = if t.long { Side::Sell } else { Side::Buy };
        let sign = if t.long { 1.0 } else { -1.0 };
        match t.behave {
            Behave::Hold => {}
            Behave::StaticStop => {
                let d = (b.stop_distance * self.stop_factor[m]).min(0.9);
                let trigger = world.markets[m].price_near(entry * (1.0 - sign * d));
                let source = if t.on_last { Trigger::Last } else { Trigger::Mark };
                world.place(m, t.account, stop(close, trigger, t.qty, source))?;
                self.traders[i].stop = trigger.0;
            }
            Behave::TakeProfit => {
                let x = entry * (1.0 + sign * b.take_profit_distance);
                // A target the price has already passed would have filled before the run (or
                // rest as a stale order every maker's first quote lifts): such an account holds.
                if sign * (x - now) <= 0.0 {
                    return Ok(());
                }
                let mk = &world.markets[m];
                let price = if t.long { mk.price_up(x) } else { mk.price_down(x) };
                if let Some(p) = price {
                    let req = OrderRequest { reduce_only: true, ..OrderRequest::limit(close, p, t.qty) };
                    world.place(m, t.account, req)?;
                }
            }
            Behave::AdaptiveStop => {
                let best = if t.long { entry.max(now) } else { entry.min(now) };
                self.trail(world, i, best)?;
            }
            Behave::BuyTheDip if t.long => {
                let x = entry * (1.0 - b.dip_trigger);
                if x < now {
                    self.dip_order(world, i, x)?;
                }
            }
            Behave::BuyTheDip => {}
            // A window trader waits in the chasers' index.
            Behave::Momentum if t.waiting => {}
            Behave::Fade => {}
            Behave::Momentum => {
                let open = if t.long { Side::Buy } else { Side::Sell };
                // On the mark: the seeding trades print at every entry price of the look-back,
                // and a last-price trigger would fire on them at time zero.
                let kind = OrderKind::StopMarket { trigger: t.entry, source: Trigger::Mark };
                world.place(m, t.account, OrderRequest { kind, ..OrderRequest::market(open, t.qty) })?;
            }
        }
        Ok(())
    }

    /// A dip buy of `dip_add` × the trader's size at `x` (rounded down to the tick).
    fn dip_order(&self, world: &mut World, i: usize, x: f64) -> Result<(), SimError> {
        let t = self.traders[i];
        let m = t.market as usize;
        let mk = &world.markets[m];
        let Some(price) = mk.price_down(x) else { return Ok(()) };
        let lot = mk.lot();
        let add = ((t.qty.0 as f64 * self.params.dip_add) as i64 / lot * lot).max(mk.min_order_qty(price).0);
        world.place(m, t.account, OrderRequest::limit(Side::Buy, price, Qty(add)))?;
        Ok(())
    }

    /// Sets trader `i`'s trailing stop behind `best` and indexes where it next moves.
    fn trail(&mut self, world: &mut World, i: usize, best: f64) -> Result<(), SimError> {
        let t = self.traders[i];
        let m = t.market as usize;
        let size = world.position(m, t.account);
        if size.is_zero() || size.is_positive() != t.long {
            return Ok(());
        }
        let calm = self.calm_vol[m].max(1e-6);
        let factor = (world.markets[m].realized_volatility() / calm).clamp(1.0, 3.0);
        let d = (self.params.trail_distance * factor).min(0.9);
        let mk = &world.markets[m];
        // The next move is at least a tick beyond the best price seen: near the bottom of the
        // tick grid `best × (1 ± d/2)` rounds back to `best`, and `on_mark` would move this
        // stop again and again at the same mark.
        let at = mk.price_near(best).0;
        // A trailing stop only ever moves in the trader's favour, even when a volatility spike
        // widens the trail.
        let (trigger, next) = if t.long {
            let p = mk.price_near(best * (1.0 - d)).0.max(t.stop);
            (Price(p), mk.price_near(best * (1.0 + d / 2.0)).0.max(at + mk.tick()))
        } else {
            let new = mk.price_near(best * (1.0 + d)).0;
            let p = if t.stop > 0 { new.min(t.stop) } else { new };
            (Price(p), -mk.price_near(best * (1.0 - d / 2.0)).0.min(at - mk.tick()))
        };
        self.traders[i].stop = trigger.0;
        let close = if t.long { Side::Sell } else { Side::Buy };
        world.cancel_all(m, t.account)?;
        world.place(m, t.account, stop(close, trigger, size.abs(), Trigger::Mark))?;
        let set = if t.long { &mut self.trail_long[m] } else { &mut self.trail_short[m] };
        set.insert((next, i as u32));
        Ok(())
    }

    /// After market `m`'s mark moved: moves the trailing stops it crossed.
    ///
    /// # Errors
    /// An engine failure.
    pub fn on_mark(&mut self, world: &mut World, m: usize) -> Result<(), SimError> {
        let Some(mark) = world.markets[m].mark else { return Ok(()) };
        let x = world.markets[m].to_f64(mark);
        while let Some(&(level, i)) = self.trail_long[m].first() {
            if level > mark.0 {
                break;
            }
            self.trail_long[m].pop_first();
            self.trail(world, i as usize, x)?;
        }
        while let Some(&(neg, i)) = self.trail_short[m].first() {
            if -neg < mark.0 {
                break;
            }
            self.trail_short[m].pop_first();
            self.trail(world, i as usize, x)?;
        }
        let now = i64::try_from(world.now.as_micros()).unwrap_or(i64::MAX);
        for kind in [MOMENTUM, FADE] {
            let Some(c) = self.chasers[kind].as_mut() else { continue };
            c.observe(m, now, mark.0, &mut self.gave_up);
            for &i in &self.gave_up {
                let t = &mut self.traders[i as usize];
                if t.waiting {
                    t.waiting = false;
                    self.chased[kind].2 += 1;
                }
            }
            self.gave_up.clear();
        }
        Ok(())
    }

    /// Window momentum traders (`momentum_window_s`): offers every market's queued breaks, at
    /// the start of a price step, before the marks move. A break seen at one mark is thus acted
    /// on one price step later (a trader's reaction), after the makers' requotes in between; in
    /// the instant of the mark update itself the venue's liquidation pass, which runs on it,
    /// would always reach the bids first.
    ///
    /// # Errors
    /// An engine failure.
    pub fn offer_breaks(&mut self, world: &mut World) -> Result<(), SimError> {
        for kind in [MOMENTUM, FADE] {
            if self.chasers[kind].is_none() {
                continue;
            }
            for m in 0..world.markets.len() {
                self.offer(world, m, kind)?;
            }
        }
        Ok(())
    }

    /// Offers market `m`'s queued breaks of one kind, smallest trigger first, until one finds
    /// nothing. `rise` is the break's direction (a rise above the window's low).
    fn offer(&mut self, world: &mut World, m: usize, kind: usize) -> Result<(), SimError> {
        for rise in [false, true] {
            while let Some(i) = self.chasers[kind].as_ref().and_then(|c| c.next(m, rise)) {
                // Momentum goes with the break, fade against it.
                if !self.chase(world, i as usize, rise != (kind == FADE), kind)? {
                    break;
                }
                if let Some(c) = self.chasers[kind].as_mut() {
                    c.done(m, rise);
                }
            }
        }
        Ok(())
    }

    /// A window trader's break: a market order of its time-zero notional (sized as below), a
    /// buy if `long`; it holds what fills. False when nothing filled for want of bids (asks)
    /// within the venue's band: the trader stays queued and so do those behind it. True when it
    /// holds a position, no longer waits, or the venue refused its order (margin, a leverage
    /// cap, a halt: it gives up).
    fn chase(&mut self, world: &mut World, i: usize, long: bool, kind: usize) -> Result<bool, SimError> {
        let t = self.traders[i];
        if !t.waiting {
            return Ok(true);
        }
        let m = t.market as usize;
        let Some(mark) = world.markets[m].mark else { return Ok(false) };
        let book = world.book(m);
        let Some(best) = (if long { book.best_ask() } else { book.best_bid() }) else { return Ok(false) };
        // Sized at the higher of the mark and the best opposite price: the venue checks a market
        // order's initial margin at that best price, which in a fast market can sit on the far
        // side of a lagging mark (a bid above it); sized at the mark alone, such an order needed
        // more margin than its trader deposited and was refused.
        let notional = Market::cash_f64(world.markets[m].value(t.entry, t.qty));
        let at = world.markets[m].to_f64(best.max(mark));
        let (_, qty) = entry_and_qty_at(world, m, at, notional);
        let side = if long { Side::Buy } else { Side::Sell };
        let placed = world.place(m, t.account, OrderRequest::market(side, qty))?;
        let held = world.position(m, t.account);
        if held.is_zero() {
            if placed.is_none() {
                self.traders[i].waiting = false;
                self.chased[kind].2 += 1;
                return Ok(true);
            }
            return Ok(false);
        }
        let tr = &mut self.traders[i];
        tr.waiting = false;
        tr.long = held.is_positive();
        tr.qty = held.abs();
        tr.entry = mark;
        if tr.long {
            self.chased[kind].1 += 1;
        } else {
            self.chased[kind].0 += 1;
        }
        Ok(true)
    }

    /// `momentum_window_s`: the window momentum traders' (entered short, entered long, breaks
    /// given up unfilled, traders still waiting), if set.
    #[must_use]
    pub fn chase_counts(&self) -> Option<(u64, u64, u64, u64)> {
        self.counts(MOMENTUM, Behave::Momentum)
    }

    /// The same for the fade traders (`fade`), if there are any.
    #[must_use]
    pub fn fade_counts(&self) -> Option<(u64, u64, u64, u64)> {
        self.counts(FADE, Behave::Fade)
    }

    fn counts(&self, kind: usize, behave: Behave) -> Option<(u64, u64, u64, u64)> {
        self.chasers[kind].as_ref()?;
        let waiting = self.traders.iter().filter(|t| t.waiting && t.behave == behave).count() as u64;
        let c = self.chased[kind];
        Some((c.0, c.1, c.2, waiting))
    }

    /// Trader `i` was liquidated in `market` at `mark`: a buy-the-dip long re-enters once, with a limit buy
    /// `dip_trigger` below the liquidation mark, as far as what is left of its margin allows.
    ///
    /// # Errors
    /// An engine failure.
    pub fn on_liquidated(
        &mut self,
        world: &mut World,
        i: usize,
        market: usize,
        mark: Price,
    ) -> Result<(), SimError> {
        let t = self.traders[i];
        // A basket leg's liquidation (another market, its own price units) is not the first
        // position's.
        if market != t.market as usize
            || t.behave != Behave::BuyTheDip
            || !t.long
            || t.reentered
            || t.qty.is_zero()
        {
            return Ok(());
        }
        self.traders[i].reentered = true;
        let m = t.market as usize;
        let x = world.markets[m].to_f64(mark) * (1.0 - self.params.dip_trigger);
        self.dip_order(world, i, x)
    }

    /// How often the stop policy looks at the markets' volatility, if there is one.
    #[must_use]
    pub fn stops_interval(&self) -> Option<SimTime> {
        self.stops.as_ref().map(|p| SimTime::from_secs(p.update_interval_s.max(1)))
    }

    /// Stops the stop policy moved so far.
    #[must_use]
    pub fn stops_moved(&self) -> u64 {
        self.moved
    }

    /// `[policy.stops]`: in every market it governs, the factor `clamp(realized / reference, 1,
    /// max_factor)` of the market's realized volatility of the mark; where it moved by 0.05 or
    /// more since last applied, every open static stop there is re-placed at `stop_distance ×
    /// factor` from its entry (farther in turbulence, back when calm).
    ///
    /// # Errors
    /// An engine failure.
    pub fn step_stops(&mut self, world: &mut World) -> Result<(), SimError> {
        let Some(p) = self.stops.clone() else { return Ok(()) };
        for m in 0..self.static_stops.len() {
            if self.static_stops[m].is_empty() {
                continue;
            }
            let reference = p.reference_volatility.unwrap_or(self.calm_vol[m]).max(1e-9);
            let factor =
                (world.markets[m].realized_volatility() / reference).clamp(1.0, p.max_factor.max(1.0));
            if (factor - self.stop_factor[m]).abs() < 0.05 {
                continue;
            }
            self.stop_factor[m] = factor;
            for k in 0..self.static_stops[m].len() {
                let i = self.static_stops[m][k] as usize;
                let t = self.traders[i];
                let size = world.position(m, t.account);
                if size.is_zero() || size.is_positive() != t.long {
                    continue;
                }
                let entry = world.markets[m].to_f64(t.entry);
                let sign = if t.long { 1.0 } else { -1.0 };
                let d = (self.params.stop_distance * factor).min(0.9);
                let trigger = world.markets[m].price_near(entry * (1.0 - sign * d));
                let close = if t.long { Side::Sell } else { Side::Buy };
                let source = if t.on_last { Trigger::Last } else { Trigger::Mark };
                world.cancel_all(m, t.account)?;
                world.place(m, t.account, stop(close, trigger, size.abs(), source))?;
                self.traders[i].stop = trigger.0;
                self.moved += 1;
            }
        }
        Ok(())
    }

    /// `[population.baskets]`: (accounts holding an extra position, extra positions), if the
    /// scenario has the table.
    #[must_use]
    pub fn basket_counts(&self) -> Option<(u64, u64)> {
        if !self.baskets {
            return None;
        }
        let mut accounts = 0u64;
        let mut last = None;
        for l in &self.basket_legs {
            if last != Some(l.trader) {
                accounts += 1;
                last = Some(l.trader);
            }
        }
        Some((accounts, self.basket_legs.len() as u64))
    }

    /// Accounts whose trailing stops wait in the index (for tests and reports).
    #[must_use]
    pub fn trailing(&self) -> usize {
        self.trail_long.iter().chain(&self.trail_short).map(BTreeSet::len).sum()
    }
}

/// A reduce-only stop-market order triggered by `source`.
fn stop(side: Side, trigger: Price, qty: Qty, source: Trigger) -> OrderRequest {
    OrderRequest {
        kind: OrderKind::StopMarket { trigger, source },
        reduce_only: true,
        ..OrderRequest::market(side, qty)
    }
}

/// How a market's seeder is paid for the population's positions.
#[derive(Debug, Clone, Copy)]
enum SeederFunding {
    /// All at once, this total, when it takes the first position.
    Pending(Cash),
    /// Already paid.
    Paid,
    /// Position by position (the total does not fit the cash range).
    PerPosition,
}

/// Draft `d`'s entry price on the tick grid and its size: the notional's quantity at that
/// price, at least the market's minimum order.
fn entry_and_qty(world: &World, d: &Draft) -> (Price, Qty) {
    entry_and_qty_at(world, d.market, d.entry, d.notional)
}

/// [`entry_and_qty`] of a position of `notional` in market `m` entered at `entry`.
fn entry_and_qty_at(world: &World, m: usize, entry: f64, notional: f64) -> (Price, Qty) {
    let mk = &world.markets[m];
    let entry = mk.price_tick_near(entry).unwrap_or(Price(mk.tick()));
    let qty = Qty(mk.qty_for_value(Market::cash(notional), entry).0.max(mk.min_order_qty(entry).0));
    (entry, qty)
}

/// Opens `account`'s position in market `m` against the market's seeder, paying the seeder as
/// `funding` says. `held`: leave the market's last price at the entry (a basket's legs, see
/// [`World::seed_prefunded_held`]).
#[allow(clippy::too_many_arguments)]
fn seed_one(
    world: &mut World,
    funding: &mut [SeederFunding],
    m: usize,
    account: AccountId,
    long: bool,
    qty: Qty,
    entry: Price,
    held: bool,
) -> Result<bool, SimError> {
    match funding[m] {
        SeederFunding::PerPosition => world.fund_seeder(m, qty, entry)?,
        SeederFunding::Pending(total) if qty.is_positive() => {
            world.prefund_seeder(m, total)?;
            funding[m] = SeederFunding::Paid;
        }
        SeederFunding::Pending(_) | SeederFunding::Paid => {}
    }
    if held {
        world.seed_prefunded_held(m, account, long, qty, entry)
    } else {
        world.seed_prefunded(m, account, long, qty, entry)
    }
}

/// Per draft: the collateral entries (indices into `World::collateral`) it holds and the
/// fraction of its margin in each (`[[population.collateral]]`). Only cross-margin drafts hold
/// collateral; each entry draws `share` from its own stream, in draft order.
fn collateral_holdings(
    scenario: &Scenario,
    streams: &Streams,
    world: &World,
    drafts: &[Draft],
) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    for (e, c) in scenario.population.collateral.iter().enumerate() {
        let Some(k) = world
            .collateral
            .iter()
            .position(|x| world.venues[x.venue].name == c.venue && scenario.assets[x.asset].name == c.asset)
        else {
            continue;
        };
        let mut rng = streams.stream(StreamKind::Collateral, e as u64);
        for (i, d) in drafts.iter().enumerate() {
            if d.isolated || world.markets[d.market].venue != world.collateral[k].venue {
                continue;
            }
            if rng.random_bool(c.share) {
                if out.len() < drafts.len() {
                    out.resize(drafts.len(), Vec::new());
                }
                out[i].push((k, c.fraction));
            }
        }
    }
    out
}

/// Opens trader `index` from draft `d`. `held` lists the collateral entries (and fractions of
/// its initial margin) it deposits instead of the settle asset: `fraction × margin ÷ (price ×
/// (1 − haircut))` units at the engine's time-zero valuation, rounded up, so its margin is the
/// same as a settle-only trader's while the collateral holds its price. `funding` says how each
/// market's seeder is paid for the position. `legs`: a basket account's extra positions (cross,
/// held), whose margin and fees it deposits too and which are opened after the first at their
/// own entry prices; those opened are added to `opened_legs`.
#[allow(clippy::too_many_arguments)]
fn open(
    world: &mut World,
    d: &Draft,
    b: &Behaviour,
    index: u32,
    held: &[(usize, f64)],
    legs: &[(u32, Leg)],
    funding: &mut [SeederFunding],
    opened_legs: &mut Vec<BasketLeg>,
) -> Result<Trader, SimError> {
    let m = d.market;
    let v = world.markets[m].venue;
    let account = world.open_account(v, Owner::Trader(index))?;
    let (entry, qty) = entry_and_qty(world, d);
    let mk = &world.markets[m];
    let value = mk.value(entry, qty);
    // A momentum entry takes liquidity: twice the taker fee leaves room for slippage past the
    // trigger.
    let fees = mk.instrument.spec().fees;
    let fee = match d.behave {
        Behave::Momentum | Behave::Fade => {
            mk.instrument.fee(value, fees.taker).map(|f| Cash(f.0.saturating_mul(2)))
        }
        _ => mk.instrument.fee(value, fees.maker),
    };
    let fee = fee.unwrap_or(Cash::ZERO).max(Cash::ZERO);
    world.configure(m, account, d.isolated, d.leverage)?;
    let im = world.initial_margin(m, qty, entry, d.leverage);
    let reserve = if d.behave == Behave::BuyTheDip && d.long {
        let add = Qty((qty.0 as f64 * b.dip_add) as i64);
        let im_add = world.initial_margin(m, add, entry, d.leverage);
        // Twice the add's margin: enough for the dip order and for the re-entry's.
        Cash(im_add.0.saturating_mul(2).saturating_add(fee.0))
    } else {
        Cash::ZERO
    };
    let mut deposit = Cash(im.0.saturating_add(fee.0).saturating_add(reserve.0).saturating_add(1));
    // A basket's legs: (market, long, entry, qty), each configured cross at its leverage, their
    // initial margin and opening (maker) fee deposited with the first position's.
    let mut extra: Vec<(usize, bool, Price, Qty)> = Vec::with_capacity(legs.len());
    let mut im_all = im;
    for (_, leg) in legs {
        let (entry, qty) = entry_and_qty_at(world, leg.market, leg.entry, leg.notional);
        let mk = &world.markets[leg.market];
        let fee = mk.instrument.fee(mk.value(entry, qty), mk.instrument.spec().fees.maker);
        let fee = fee.unwrap_or(Cash::ZERO).max(Cash::ZERO);
        world.configure(leg.market, account, false, leg.leverage)?;
        let im = world.initial_margin(leg.market, qty, entry, leg.leverage);
        im_all = Cash(im_all.0.saturating_add(im.0));
        deposit = Cash(deposit.0.saturating_add(im.0).saturating_add(fee.0));
        extra.push((leg.market, leg.long, entry, qty));
    }
    for &(k, fraction) in held {
        let c = &world.collateral[k];
        let part = Market::cash_f64(im_all) * fraction;
        let unit = Market::cash_f64(c.applied) * (1.0 - c.haircut.to_f64());
        if !(part > 0.0 && unit > 0.0) {
            continue;
        }
        // Rounded up, so the engine's valuation (rounded down) still covers the part.
        let raw = (part / unit * 1e8).ceil();
        let units = Cash(if raw.is_finite() { raw.min(9.0e18) as i64 + 1 } else { 0 });
        let (ledger, value) = (c.ledger, Market::cash(part));
        let at_reference = Market::cash_f64(units) * Market::cash_f64(c.applied);
        world.deposit_asset(v, account, ledger, units)?;
        world.note_holder(k, at_reference);
        deposit = Cash(deposit.0.saturating_sub(value.0));
    }
    world.deposit(v, account, deposit)?;
    if d.isolated {
        // Fund the isolated slot for the fee, so the opening fill is paid from it.
        world.add_isolated_margin(m, account, Cash(fee.0 + 1))?;
    }
    // A momentum trader's position is opened later by its entry stop (`place_behaviour`).
    let basket = !extra.is_empty();
    let opened = d.behave.starts_flat() || seed_one(world, funding, m, account, d.long, qty, entry, basket)?;
    if basket {
        // Every leg's order is checked with the positions before it at their own entries (the
        // seeding prints leave each market's last price there), then the markets reopen at
        // their indices.
        if opened {
            for &(lm, long, lentry, lqty) in &extra {
                if seed_one(world, funding, lm, account, long, lqty, lentry, true)? {
                    opened_legs.push(BasketLeg {
                        trader: index,
                        market: lm as u32,
                        long,
                        qty: lqty,
                        entry: lentry,
                    });
                }
            }
        }
        world.open_at_index(m)?;
        for &(lm, ..) in &extra {
            world.open_at_index(lm)?;
        }
    }
    Ok(Trader {
        market: m as u32,
        account,
        long: d.long,
        leverage: d.leverage,
        behave: d.behave,
        qty: if opened { qty } else { Qty::ZERO },
        entry,
        reentered: false,
        stop: 0,
        on_last: d.on_last,
        waiting: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_look_back_path_ends_at_the_price_with_its_return() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let p = LookBack::new(100_000.0, 0.5, 7 * 86_400, 0.03, &mut rng);
        assert_eq!(p.prices.len(), 10_081);
        assert_eq!(*p.prices.last().unwrap(), 100_000.0);
        assert!((p.prices[0] - 100_000.0 / 1.03).abs() < 1e-6);
        for i in 0..p.prices.len() {
            assert!(p.suffix_min[i] <= p.prices[i] && p.prices[i] <= p.suffix_max[i]);
        }
        assert!(p.suffix_min[0] <= p.suffix_min[5_000] && p.suffix_max[0] >= p.suffix_max[5_000]);
    }

    /// A 20x long holding $1,000 in market 0 (its entry is the path's to choose).
    fn long_20x() -> Draft {
        Draft {
            market: 0,
            long: true,
            isolated: false,
            leverage: 20,
            behave: Behave::Hold,
            notional: 1_000.0,
            entry: 0.0,
            on_last: false,
        }
    }

    /// A 20x long whose liquidation price the path crossed after entry did not survive; one
    /// entered after the dip did.
    #[test]
    fn survivors_never_saw_their_exit() {
        let path = LookBack {
            prices: vec![100.0, 90.0, 95.0, 100.0],
            suffix_min: vec![90.0, 90.0, 95.0, 100.0],
            suffix_max: vec![100.0, 100.0, 100.0, 100.0],
        };
        let b = Behaviour::default();
        let long = long_20x();
        let dist = 1.0 / 20.0 - 0.004;
        assert!(!survives(&long, &path, 0, dist, &b), "entered at 100, saw 90");
        assert!(survives(&long, &path, 2, dist, &b), "entered at 95 after the dip");
        let short = Draft { long: false, ..long };
        assert!(!survives(&short, &path, 1, dist, &b), "a short from 90 saw 100");
        let tp = Draft { behave: Behave::TakeProfit, ..long };
        assert!(!survives(&tp, &path, 1, 0.5, &b), "a take-profit at 99 was hit by 100");
    }

    /// Closes flat at 100, but the bar closing at −60 s wicked to 95 (and 101), the one closing
    /// at time zero to 99.5 (and 100.5), the one before to 99; a bar closing after time zero
    /// (low 50) is the future. Look-back 180 s: points at −180, −120, −60 and 0 s. The extremes
    /// since a point take in every bar closing after it, by time zero: −180 s and −120 s see 95
    /// and 101 (the −120 s bar closes at the point itself, so not after it), −60 s sees 99.5 and
    /// 100.5, time zero only its own 100. A 20x long keeps 90% of 1/20 − 0.4%: it is liquidated
    /// at 100 × (1 − 0.0414) = 95.86, so it survives only entries from −60 s; a 4% static stop
    /// (at 96) likewise. On the closes alone both would survive everywhere.
    #[test]
    fn a_wick_between_closes_stops_out_what_it_reached() {
        use crate::scenario::{BarRange, Dec, PricePath, PricePoint};
        let d = |x: &str| Dec::parse(x).unwrap();
        let pts = [820_000, 880_000, 940_000, 1_000_000, 1_060_000]
            .map(|t| PricePoint { time_ms: t, price: d("100") })
            .to_vec();
        let bar = |t, lo, hi| BarRange { close_ms: t, low: d(lo), high: d(hi) };
        let ranges = vec![
            bar(880_000, "99", "100"),
            bar(940_000, "95", "101"),
            bar(1_000_000, "99.5", "100.5"),
            bar(1_060_000, "50", "100"),
        ];
        let file = PricePath::new("f", pts).unwrap().with_ranges(ranges).unwrap();
        let path = LookBack::from_track(&Track::new(&file, 1_000_000), 180);
        assert_eq!(path.prices, vec![100.0; 4]);
        assert_eq!(path.suffix_min, vec![95.0, 95.0, 99.5, 100.0]);
        assert_eq!(path.suffix_max, vec![101.0, 101.0, 100.5, 100.0]);
        let b = Behaviour { stop_distance: 0.04, ..Behaviour::default() };
        let long = long_20x();
        let dist = 1.0 / 20.0 - 0.004;
        let alive = |dr: &Draft| (0..4).map(|i| survives(dr, &path, i, dist, &b)).collect::<Vec<_>>();
        assert_eq!(alive(&long), vec![false, false, true, true]);
        let stop = Draft { behave: Behave::StaticStop, ..long };
        assert_eq!(alive(&stop), vec![false, false, true, true]);
        // A 20x short is liquidated at 104.14: 101 is the highest it ever saw.
        assert_eq!(alive(&Draft { long: false, ..long }), vec![true; 4]);
        // Scaled to end at 200, the extremes scale with the path.
        let scaled = path.ending_at(200.0);
        assert_eq!(scaled.suffix_min, vec![190.0, 190.0, 199.0, 200.0]);
    }

    /// A path falling evenly from 200 to 100 over 10,001 points: a 100x long (liquidation
    /// distance 1/100 − 0.4% = 0.6%, of which `survives` keeps 90%, 0.54%) survives only where
    /// 100 > p × (1 − 0.0054), p < 100.543: p_i = 200 − i/100 < 100.543 ⇔ i > 9,945.7, so 55 of
    /// the 10,001 points (9,946..=10,000). 64 uniform tries all miss with probability
    /// (1 − 55/10,001)^64 ≈ 70%; those drafts used to enter at the last point. Drawn 2,000
    /// times, every entry must survive and the last point must take about 1/55 of them (36;
    /// at most 80 here), not 70% (1,400).
    #[test]
    fn entries_are_uniform_among_the_surviving_times() {
        let prices: Vec<f64> = (0..=10_000).map(|i| 200.0 - f64::from(i) / 100.0).collect();
        let path = LookBack::with_extremes(prices);
        let b = Behaviour::default();
        let d = Draft { leverage: 100, ..long_20x() };
        let dist = 1.0 / 100.0 - 0.004;
        let valid: Vec<usize> = (0..=10_000).filter(|&i| survives(&d, &path, i, dist, &b)).collect();
        assert_eq!(valid, (9_946..=10_000).collect::<Vec<_>>(), "the hand count: 9,946..=10,000");
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut cache = Survivors::default();
        let mut hits = vec![0_u32; 10_001];
        for _ in 0..2_000 {
            let i = entry_index(&d, &path, dist, &b, &mut rng, &mut cache);
            assert!(survives(&d, &path, i, dist, &b), "entry at {i} did not survive");
            hits[i] += 1;
        }
        assert!(hits[10_000] <= 80, "{} of 2,000 at the time-zero point", hits[10_000]);
        let covered = valid.iter().filter(|&&i| hits[i] > 0).count();
        assert!(covered >= 50, "only {covered} of the 55 surviving points drawn");
    }
}
