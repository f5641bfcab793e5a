//! Market makers: ladders of limit orders around a fair value, sized and spread by realized
//! volatility and inventory, that thin and widen under stress, are pulled past a volatility
//! threshold or after an auto-deleveraging, and come back as volatility decays.
//!
//! Every `requote_ms` a maker cancels its quotes and quotes again:
//!
//! * **Fair value**: the spot index moved by the maker's estimate of the perpetual's basis, an
//!   exponential average (time constant [`BASIS_TAU_S`]) of where the last trade printed
//!   relative to the index, trusted at [`TAPE_TRUST`]. So sustained one-sided flow (a
//!   liquidation sweep) drags the quotes with it, and the basis fades back to zero once the tape
//!   agrees with the index again. This is the channel by which forced selling moves the price.
//! * **Volatility**: realized volatility of the book's mid (the index when a side is empty)
//!   over `vol_window_s`, annualised, each return winsorized at [`CLIP_SIGMAS`] per-sample
//!   deviations of the pull level.
//!   Between `calm_volatility` and `pull_volatility` the stress `s` rises from 0 to 1: the
//!   half-spread and level spacing widen (× `1 + 4s` and × `1 + 2s`) and the size thins
//!   (× `1 − 0.8s`). At `pull_volatility` (scaled per maker by a draw in [0.75, 1.5], so makers
//!   do not all leave at once) the maker pulls every quote, except one order per side at each
//!   of its `pulled_bands_bps` from fair value if it has them (makers in a crash leave the
//!   touch but keep wide resting orders). With `withdraw_half_life_s` it withdraws instead:
//!   its confidence halves every half-life while volatility stays there, and it quotes at full
//!   stress scaled by it until that is under the smallest size.
//! * **Return**: after a pull, or `return_half_life_s` after an ADL when `pull_on_adl`, the
//!   maker's confidence restarts at zero and recovers toward one with that half-life; sizes are
//!   scaled by it, so liquidity comes back gradually as volatility decays.
//! * **Inventory**: quotes lean against the position (`inventory_skew` half-spreads at
//!   `max_inventory`), and past `max_inventory` the maker quotes only the side that reduces it.
//! * **Hedge** (`hedge_half_life_s`): a perpetual maker closes the gap between its position and
//!   an opposite spot holding outside the simulated venues, `1 − 2^(−dt/half_life)` of it per
//!   requote, trading on the asset's spot market (so the hedge pushes the index, the channel by
//!   which makers pass absorbed liquidations on to every venue's mark); its inventory is then
//!   the net of the two. Without it a maker that absorbed a sweep stops bidding until someone
//!   lifts its asks, which in a falling market is never.
//!
//! Sizes get a ±25 % jitter from the maker's own stream so the book is not a flat wall.
//!
//! A **spot maker** (a `[[makers]]` entry naming an `[[assets.spot]]` book) does the same on the
//! spot book with two differences: its anchor is the asset's exogenous fair value (not the index,
//! which the spot books themselves make), moved by the tape's basis as above; and its inventory
//! is the value of its base holding (wallet and resting sells) above or below what it started
//! with. So the fair value anchors the spot price while simulated flow moves it.

use cascade_engine::book::Side;
use cascade_engine::ledger::AccountId;
use cascade_engine::venue::OrderRequest;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::error::SimError;
use crate::scenario::Maker as MakerCfg;
use crate::scheduler::SimTime;
use crate::world::asset::SECONDS_PER_YEAR;
use crate::world::{BookRef, Market, World};

/// Time constant of the maker's basis estimate, seconds.
pub const BASIS_TAU_S: f64 = 5.0;
/// How much of the tape's basis the maker believes (the rest it expects to revert).
pub const TAPE_TRUST: f64 = 0.8;
/// Largest basis a maker will quote, as a fraction of the index.
const MAX_BASIS: f64 = 0.2;
/// A single return counts at most this many per-sample standard deviations at the pull
/// volatility: one jump of the index (news) widens the quotes, only sustained turbulence pulls
/// them (a robust, winsorized estimator, as makers' are).
pub const CLIP_SIGMAS: f64 = 3.0;
/// Below this size factor a maker quotes nothing.
const MIN_SIZE_FACTOR: f64 = 0.02;

/// One market maker.
#[derive(Debug)]
pub struct Maker {
    /// World market index of a perpetual maker; spot-book index of a spot maker (see `book`).
    pub market: usize,
    /// The book quoted.
    pub book: BookRef,
    /// A spot maker's inventory reference; `None` for a perpetual maker.
    spot: Option<SpotInventory>,
    /// Its venue account.
    pub account: AccountId,
    levels: u32,
    half_spread: f64,
    spacing: f64,
    level_notional: f64,
    /// Time between requotes.
    pub requote: SimTime,
    max_inventory: f64,
    /// A hedging maker's limit on its perpetual position's value (`max_position`).
    max_position: Option<f64>,
    skew: f64,
    calm: f64,
    pull: f64,
    return_half_life_s: f64,
    /// Half-life of the withdrawal past the pull level (`None`: pull at once).
    withdraw_half_life_s: Option<f64>,
    pull_on_adl: bool,
    /// Distances (fractions of fair value) of the orders kept while pulled.
    pulled_bands: Vec<f64>,
    /// Notional of each of those orders.
    pulled_notional: f64,
    /// Hedge half-life, seconds (`None`: the maker does not hedge).
    hedge_half_life_s: Option<f64>,
    /// Base units held on the external spot market against the position (opposite sign).
    hedge_base: f64,
    rng: ChaCha8Rng,
    /// Squared log returns of the mid, a ring of the volatility window.
    ring: Vec<f64>,
    ring_pos: usize,
    ring_len: usize,
    prev_mid: Option<f64>,
    /// Largest log return one sample may contribute (see [`CLIP_SIGMAS`]).
    clip: f64,
    basis: f64,
    confidence: f64,
    pulled_until: SimTime,
    last_wake: Option<SimTime>,
    /// Whether quotes are out (for reports and tests).
    pub quoting: bool,
}

/// What a spot maker holds its inventory against.
#[derive(Debug, Clone, Copy)]
pub struct SpotInventory {
    /// World asset index.
    pub asset: usize,
    /// Venue index.
    pub venue: usize,
    /// Ledger asset of the base.
    pub base: cascade_engine::instrument::AssetId,
    /// Base held at the start, cash units (10^-8 base units).
    pub start: cascade_engine::num::Cash,
}

impl Maker {
    /// A spot maker on spot book `book` with `account` (already funded with `inventory.start`
    /// of base and its quote half), from its scenario entry.
    #[must_use]
    pub fn spot(
        cfg: &MakerCfg,
        book: usize,
        account: AccountId,
        inventory: SpotInventory,
        rng: ChaCha8Rng,
    ) -> Self {
        let mut m = Self::new(cfg, book, account, rng);
        m.book = BookRef::Spot(book);
        m.spot = Some(inventory);
        m
    }

    /// A maker on `market` with `account` (already funded), from its scenario entry.
    #[must_use]
    pub fn new(cfg: &MakerCfg, market: usize, account: AccountId, mut rng: ChaCha8Rng) -> Self {
        let requote_ms = cfg.requote_ms.max(1);
        let window = (cfg.vol_window_s.saturating_mul(1_000) / requote_ms).clamp(2, 1 << 16) as usize;
        let pull_factor = rng.random_range(0.75..1.5);
        // The window starts full of calm-level returns, so a maker's first samples do not
        // decide its volatility alone.
        let calm_var = cfg.calm_volatility.powi(2) * (requote_ms as f64 / 1e3) / SECONDS_PER_YEAR;
        Self {
            market,
            book: BookRef::Perp(market),
            spot: None,
            account,
            levels: cfg.levels,
            half_spread: cfg.half_spread_bps / 1e4,
            spacing: cfg.level_spacing_bps / 1e4,
            level_notional: cfg.level_notional.to_f64(),
            requote: SimTime::from_millis(requote_ms),
            max_inventory: cfg.max_inventory.to_f64(),
            max_position: cfg.max_position.map(|d| d.to_f64()),
            skew: cfg.inventory_skew,
            calm: cfg.calm_volatility,
            pull: cfg.calm_volatility + (cfg.pull_volatility - cfg.calm_volatility) * pull_factor,
            return_half_life_s: cfg.return_half_life_s as f64,
            withdraw_half_life_s: cfg.withdraw_half_life_s.map(|h| h as f64),
            pull_on_adl: cfg.pull_on_adl,
            pulled_bands: cfg.pulled_bands_bps.iter().map(|b| b / 1e4).collect(),
            pulled_notional: cfg.level_notional.to_f64() * cfg.pulled_size.unwrap_or(1.0),
            hedge_half_life_s: cfg.hedge_half_life_s.map(|h| h as f64),
            hedge_base: 0.0,
            rng,
            ring: vec![calm_var; window],
            ring_pos: 0,
            ring_len: window,
            prev_mid: None,
            clip: CLIP_SIGMAS * cfg.pull_volatility * (requote_ms as f64 / 1e3 / SECONDS_PER_YEAR).sqrt(),
            basis: 0.0,
            confidence: 1.0,
            pulled_until: SimTime::ZERO,
            last_wake: None,
            quoting: false,
        }
    }

    /// Annualised realized volatility of the mid over the window.
    #[must_use]
    pub fn volatility(&self) -> f64 {
        if self.ring_len == 0 {
            return 0.0;
        }
        // Summed in ring order from slot 0: the same order every run.
        let mean = self.ring[..self.ring_len].iter().sum::<f64>() / self.ring_len as f64;
        let dt = self.requote.as_micros() as f64 / 1e6;
        (mean * SECONDS_PER_YEAR / dt).sqrt()
    }

    /// Cancels, re-estimates and quotes again. Returns when to wake next.
    ///
    /// # Errors
    /// An engine failure.
    pub fn wake(&mut self, world: &mut World) -> Result<SimTime, SimError> {
        let now = world.now;
        let dt = self.last_wake.map_or(0.0, |t| (now.as_micros().saturating_sub(t.as_micros())) as f64 / 1e6);
        self.last_wake = Some(now);
        let b = self.book;
        let index = match self.spot {
            Some(sp) => world.assets[sp.asset].fair,
            None => world.spot_of(self.market),
        };
        let book = world.book_at(b);
        let mk = world.market_at(b);
        // With one side of the book gone the mid is undefined: the index stands in for it.
        let mid = book.mid().map_or(index, |p| mk.to_f64(p));
        if let Some(prev) = self.prev_mid
            && prev > 0.0
            && mid > 0.0
        {
            let r = (mid / prev).ln().clamp(-self.clip, self.clip);
            self.ring[self.ring_pos] = r * r;
            self.ring_pos = (self.ring_pos + 1) % self.ring.len();
            self.ring_len = (self.ring_len + 1).min(self.ring.len());
        }
        self.prev_mid = Some(mid);
        let tape = world.last_at(b).map_or(index, |p| mk.to_f64(p));
        let observed = ((tape - index) / index).clamp(-MAX_BASIS, MAX_BASIS);
        let a = (-dt / BASIS_TAU_S).exp();
        self.basis = a * self.basis + (1.0 - a) * TAPE_TRUST * observed;

        // Hedging goes on while quotes are pulled: it is a trade elsewhere.
        let hedged = if self.spot.is_none() { self.hedge(world, index, dt) } else { 0.0 };
        let vol = self.volatility();
        let next = now.saturating_add(self.requote);
        let adl_hold = now < self.pulled_until;
        match self.withdraw_half_life_s {
            Some(half_life) if vol >= self.pull && !adl_hold => {
                self.confidence *= (-dt * std::f64::consts::LN_2 / half_life).exp();
            }
            _ if vol >= self.pull || adl_hold => {
                self.confidence = 0.0;
                self.withdraw(world)?;
                self.quote_pulled_bands(world, index, hedged)?;
                return Ok(next);
            }
            _ => {
                let recover = (-dt * std::f64::consts::LN_2 / self.return_half_life_s.max(1e-3)).exp();
                self.confidence = 1.0 - (1.0 - self.confidence) * recover;
            }
        }
        let stress = ((vol - self.calm) / (self.pull - self.calm)).clamp(0.0, 1.0);
        let size_factor = self.confidence * (1.0 - 0.8 * stress);
        world.cancel_all_at(b, self.account)?;
        self.quoting = false;
        if size_factor < MIN_SIZE_FACTOR {
            self.quote_pulled_bands(world, index, hedged)?;
            return Ok(next);
        }
        let half = self.half_spread * (1.0 + 4.0 * stress);
        let spacing = self.spacing * (1.0 + 2.0 * stress);
        let lean = (self.inventory(world, index, hedged) / self.max_inventory).clamp(-1.0, 1.0);
        let center = index * (1.0 + self.basis) * (1.0 - self.skew * lean * half);
        let (bids, asks) = self.sides(world, lean);
        for level in 0..self.levels {
            let offset = half + spacing * f64::from(level);
            for (side, on) in [(Side::Buy, bids), (Side::Sell, asks)] {
                let jitter = self.rng.random_range(0.75..1.25);
                if on {
                    self.quote(world, side, center, offset, self.level_notional * size_factor * jitter)?;
                }
            }
        }
        Ok(next)
    }

    /// The maker's inventory, settle-asset notional: a perpetual maker's position value (signed)
    /// plus its hedge's value `hedged`; a spot maker's base holding above its starting half.
    fn inventory(&self, world: &World, index: f64, hedged: f64) -> f64 {
        match self.spot {
            Some(sp) => {
                let held = world.holding(sp.venue, self.account, sp.base);
                Market::cash_f64(cascade_engine::num::Cash(held.0.saturating_sub(sp.start.0))) * index
            }
            None => self.position_value(world) + hedged,
        }
    }

    /// A perpetual maker's position value at the mark (or index), signed, settle-asset notional.
    fn position_value(&self, world: &World) -> f64 {
        let m = self.market;
        let position = world.position(m, self.account);
        let mk = &world.markets[m];
        let valued_at = mk.mark.or(mk.index).unwrap_or(cascade_engine::num::Price(1));
        Market::cash_f64(mk.value(valued_at, position)) * position.signum() as f64
    }

    /// Which sides the maker quotes (bids, asks): past `max_inventory` (`lean` at ±1) only the
    /// side that reduces the inventory, and past `max_position` only the side that reduces the
    /// position.
    fn sides(&self, world: &World, lean: f64) -> (bool, bool) {
        let (mut bids, mut asks) = (lean < 1.0, lean > -1.0);
        if let Some(limit) = self.max_position {
            let value = self.position_value(world);
            bids &= value < limit;
            asks &= value > -limit;
        }
        (bids, asks)
    }

    /// Places one limit order on `side` at `offset` (a fraction) from `center`, worth `notional`;
    /// nothing when the price or the size does not fit the instrument.
    fn quote(
        &mut self,
        world: &mut World,
        side: Side,
        center: f64,
        offset: f64,
        notional: f64,
    ) -> Result<(), SimError> {
        let b = self.book;
        let mk = world.market_at(b);
        let price = match side {
            Side::Buy => mk.price_down(center * (1.0 - offset)),
            Side::Sell => mk.price_up(center * (1.0 + offset)),
        };
        let Some(price) = price else { return Ok(()) };
        let qty = mk.qty_for_value(Market::cash(notional), price);
        if qty < mk.min_order_qty(price) {
            return Ok(());
        }
        if world.place_at(b, self.account, OrderRequest::limit(side, price, qty))?.is_some() {
            self.quoting = true;
        }
        Ok(())
    }

    /// While pulled, keeps one order per side at each of `pulled_bands` around the fair value
    /// (index moved by the basis, without inventory lean), on the side that reduces inventory
    /// only once it is past `max_inventory`. Nothing when the maker has no pulled bands.
    fn quote_pulled_bands(&mut self, world: &mut World, index: f64, hedged: f64) -> Result<(), SimError> {
        if self.pulled_bands.is_empty() {
            return Ok(());
        }
        let lean = (self.inventory(world, index, hedged) / self.max_inventory).clamp(-1.0, 1.0);
        let center = index * (1.0 + self.basis);
        for i in 0..self.pulled_bands.len() {
            let offset = self.pulled_bands[i];
            let (bids, asks) = self.sides(world, lean);
            for (side, on) in [(Side::Buy, bids), (Side::Sell, asks)] {
                let jitter = self.rng.random_range(0.75..1.25);
                if on {
                    self.quote(world, side, center, offset, self.pulled_notional * jitter)?;
                }
            }
        }
        Ok(())
    }

    /// Moves the hedge toward minus the position (base units) by its half-life over `dt` seconds, trading the
    /// difference on the asset's spot market at `index`; returns the hedge's value at `index`
    /// (0 for a maker that does not hedge).
    fn hedge(&mut self, world: &mut World, index: f64, dt: f64) -> f64 {
        let Some(half_life) = self.hedge_half_life_s else { return 0.0 };
        let position = world.position(self.market, self.account);
        let mk = &world.markets[self.market];
        let at = mk.mark.or(mk.index).unwrap_or(cascade_engine::num::Price(1));
        let position_base =
            Market::cash_f64(mk.value(at, position)) * position.signum() as f64 / mk.to_f64(at);
        if !(position_base.is_finite() && index.is_finite() && index > 0.0) {
            return self.hedge_base * index;
        }
        let step =
            (-position_base - self.hedge_base) * (1.0 - (-dt * std::f64::consts::LN_2 / half_life).exp());
        if step != 0.0 {
            self.hedge_base += step;
            let asset = world.markets[self.market].asset;
            world.assets[asset].spot_trade(step * index);
        }
        self.hedge_base * index
    }

    /// Base units held on the external spot market against the position (for tests).
    #[must_use]
    pub fn hedge_base(&self) -> f64 {
        self.hedge_base
    }

    /// Confidence in [0, 1]: the share of normal size quoted once volatility allows.
    #[must_use]
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// Pulls every quote.
    fn withdraw(&mut self, world: &mut World) -> Result<(), SimError> {
        if self.quoting {
            world.cancel_all_at(self.book, self.account)?;
            self.quoting = false;
        }
        Ok(())
    }

    /// The maker was auto-deleveraged: pull at once and stay out for `return_half_life_s`.
    ///
    /// # Errors
    /// An engine failure.
    pub fn on_adl(&mut self, world: &mut World) -> Result<(), SimError> {
        if !self.pull_on_adl {
            return Ok(());
        }
        let hold = SimTime::from_millis((self.return_half_life_s * 1_000.0) as u64);
        self.pulled_until = world.now.saturating_add(hold);
        self.confidence = 0.0;
        self.quoting = true;
        self.withdraw(world)
    }
}
