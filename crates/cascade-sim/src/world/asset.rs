//! One underlying asset: its exogenous fair value and its spot index.
//!
//! The fair value is what the asset is "worth" to people who do not trade perpetuals: a
//! geometric random walk at the scenario's volatility, moved in jumps by news shocks. The spot
//! index is the fair value pushed by the spot flow the simulation itself sends (hedgers selling
//! the spot a broken hedge left them with, basis arbitrageurs' spot legs), a push that fades as
//! the spot market's other participants absorb it:
//!
//! `spot = fair × exp(pressure)`, `pressure ← pressure × 2^(−dt / half_life) + flow / depth`,
//! where a flow of `spot_depth_1pct` moves the index by 1 % at the time-zero price. The depth
//! is held in coins (`spot_depth_1pct` ÷ the time-zero price), so its dollar value moves with the
//! price: flows whose dollar size grows with the price (a short squeeze's liquidations, a hedge
//! bought back) cannot push the index without bound, as a fixed dollar depth let them (the XRP
//! index of one 5%-scale run went from 2.7 to ×22,000 of its fair value in six seconds).
//!
//! With a price path (`[[assets]] path = ...`, see [`Track`]) the fair value is instead the
//! file's price at the current time, times the product of the shocks' jumps so far (a shock
//! moves the level of the path, which then keeps its own shape). Spot flow pushes the index off
//! it exactly as above.
//!
//! With `index = "path"` (a replay) the asset is **pinned** to its path: the spot index is the
//! file's price and nothing pushes it (spot flow is counted in `spot_flow` but moves nothing;
//! shocks on such an asset are refused by the scenario). The markets then take their index from
//! the exact [`ReplayIndex`](super::replay::ReplayIndex), not from this float.
//!
//! A shock with a ramp (`ramp_s > 0`) moves the fair value gradually instead: its log-move is
//! spread evenly over the ramp, so news can drift the price over minutes (the evening of 10 Oct)
//! while the rest of the market reacts, instead of repricing everything in one step.
//!
//! Floats are right here: this is an exogenous driver, not money. Every price handed to an
//! engine is converted to exact price units by the market (see `market.rs`). Must never touch a
//! venue.

use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::scenario::Track;
use crate::scheduler::SimTime;

/// Seconds in a (365-day) year: annualised volatilities are per this many seconds.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// The fair value and spot index of one asset.
#[derive(Debug)]
pub struct AssetState {
    /// Name, as in the scenario.
    pub name: String,
    /// Exogenous fair value, USD.
    pub fair: f64,
    /// Log-deviation of the spot index from the fair value caused by simulated spot flow.
    pub pressure: f64,
    /// Annualised volatility of the fair value.
    volatility: f64,
    /// Coins that move the spot index by 1 % (`spot_depth_1pct` at the time-zero price).
    depth_coins: f64,
    /// Half-life of the pressure, seconds.
    recovery_half_life_s: f64,
    /// The fair value's own random stream.
    rng: ChaCha8Rng,
    /// Net spot flow (USD, sells negative) since the start, for reports.
    pub spot_flow: f64,
    /// The real price path the fair value follows, if the scenario gives one.
    track: Option<Track>,
    /// A real price path for the population's look-back only (`lookback_path`).
    pub(crate) lookback: Option<Track>,
    /// Product of the shocks' jumps (1 + change) so far: the path's level.
    level: f64,
    /// The asset's spot books (indices into `World::spots`); when any, they make the index and
    /// the pressure model is unused.
    pub books: Vec<usize>,
    /// Share of the perpetuals' net taker flow that pushes the index (`perp_flow_to_spot`).
    pub perp_flow_share: f64,
    /// Time constant, seconds, over which that share reaches the index (`perp_flow_lag_s`;
    /// 0: at once).
    pub perp_flow_lag_s: f64,
    /// Perpetual flow on its way to the index (log-pressure units), while it lags.
    pending: f64,
    /// Gradual news moves under way or done: (start, end, total log-move), times in seconds.
    ramps: Vec<(f64, f64, f64)>,
    /// `[[assets]] follows`: the asset whose spot index this fair value tracks, and the ratio.
    pub follows: Option<(usize, f64)>,
    /// The index is the price path itself (`index = "path"`): no spot or perpetual flow
    /// pushes it.
    pub pinned: bool,
}

impl AssetState {
    /// An asset at `price` with its fair-value stream.
    #[must_use]
    pub fn new(
        name: String,
        price: f64,
        volatility: f64,
        depth_1pct: f64,
        recovery_half_life_s: f64,
        rng: ChaCha8Rng,
    ) -> Self {
        Self {
            name,
            fair: price,
            pressure: 0.0,
            volatility,
            depth_coins: depth_1pct.max(1.0) / price.max(f64::MIN_POSITIVE),
            recovery_half_life_s: recovery_half_life_s.max(1e-3),
            rng,
            spot_flow: 0.0,
            track: None,
            lookback: None,
            level: 1.0,
            books: Vec::new(),
            ramps: Vec::new(),
            perp_flow_share: 0.0,
            perp_flow_lag_s: 0.0,
            pending: 0.0,
            follows: None,
            pinned: false,
        }
    }

    /// An asset whose fair value follows `track` (time zero of the run at the track's zero),
    /// starting at the track's price at time zero.
    #[must_use]
    pub fn on_track(
        name: String,
        track: Track,
        depth_1pct: f64,
        recovery_half_life_s: f64,
        rng: ChaCha8Rng,
    ) -> Self {
        let mut a = Self::new(name, track.at(0), 0.0, depth_1pct, recovery_half_life_s, rng);
        a.track = Some(track);
        a
    }

    /// The real price path of the population's look-back only (`lookback_path`), if any.
    #[must_use]
    pub fn lookback(&self) -> Option<&Track> {
        self.lookback.as_ref()
    }

    /// The real price path, if the fair value follows one.
    #[must_use]
    pub fn track(&self) -> Option<&Track> {
        self.track.as_ref()
    }

    /// The spot index, USD.
    #[must_use]
    pub fn spot(&self) -> f64 {
        self.fair * self.pressure.exp()
    }

    /// Advances the fair value by `dt_s` seconds, to `now`, and lets the spot pressure fade for
    /// as long: along the price path if there is one (its price at `now` times the shocks'
    /// level), else by `dt_s` of the random walk (drift-free in price: `exp(σ√dt·z − σ²dt/2)`).
    pub fn advance(&mut self, dt_s: f64, now: SimTime) {
        if dt_s <= 0.0 {
            return;
        }
        let now_s = now.as_micros() as f64 / 1e6;
        if let Some(t) = &self.track {
            let us = i64::try_from(now.as_micros()).unwrap_or(i64::MAX);
            self.fair = t.at(us) * self.level * self.ramp_log(now_s).exp();
        } else {
            self.fair *= (self.ramp_log(now_s) - self.ramp_log(now_s - dt_s)).exp();
            if self.volatility > 0.0 {
                let var = self.volatility * self.volatility * dt_s / SECONDS_PER_YEAR;
                let z: f64 = StandardNormal.sample(&mut self.rng);
                self.fair *= (var.sqrt() * z - 0.5 * var).exp();
            }
        }
        self.pressure *= (-dt_s * std::f64::consts::LN_2 / self.recovery_half_life_s).exp();
        if self.pending != 0.0 {
            // Exponential delivery: splitting dt into steps delivers the same in total.
            let moved = self.pending * (1.0 - (-dt_s / self.perp_flow_lag_s.max(1e-3)).exp());
            self.pressure += moved;
            self.pending -= moved;
        }
    }

    /// A news jump: the fair value moves by the fraction `change` (e.g. −0.05).
    pub fn jump(&mut self, change: f64) {
        let factor = (1.0 + change).max(1e-9);
        self.fair *= factor;
        self.level *= factor;
    }

    /// Gradual news: from `start_s` the fair value moves by the fraction `change` in total,
    /// evenly in log terms over `ramp_s` seconds, on top of its own walk or path.
    pub fn ramp(&mut self, change: f64, start_s: f64, ramp_s: f64) {
        let log_move = (1.0 + change).max(1e-9).ln();
        self.ramps.push((start_s, start_s + ramp_s.max(1e-3), log_move));
    }

    /// Sum of the ramps' log-moves done by `t_s`.
    fn ramp_log(&self, t_s: f64) -> f64 {
        self.ramps.iter().map(|&(a, b, m)| m * ((t_s - a) / (b - a)).clamp(0.0, 1.0)).sum()
    }

    /// A perpetual trade whose taker bought (`usd > 0`) or sold: its `perp_flow_share` reaches
    /// spot as if traded there (not counted in `spot_flow`, which is the simulated spot flow).
    /// With a lag (`perp_flow_lag_s`), the push arrives over time instead of at once: cross-venue
    /// arbitrage takes time, so forced perpetual selling cannot drag the index, and the index
    /// the next mark, within the same instant.
    pub fn perp_trade(&mut self, usd: f64) {
        if usd.is_finite() && self.perp_flow_share > 0.0 && !self.pinned {
            let push = self.perp_flow_share * self.impact(usd);
            if self.perp_flow_lag_s > 0.0 {
                self.pending += push;
            } else {
                self.pressure += push;
            }
        }
    }

    /// The log-push of `usd` traded at the current spot index: its coins over the depth in
    /// coins, 1 % per depth (0 when the index is not a positive number).
    fn impact(&self, usd: f64) -> f64 {
        let spot = self.spot();
        if spot.is_finite() && spot > 0.0 { 0.01 * usd / spot / self.depth_coins } else { 0.0 }
    }

    /// Spot bought (`usd > 0`) or sold (`usd < 0`) outside the perpetual venues (counted; on a
    /// pinned asset it pushes nothing).
    pub fn spot_trade(&mut self, usd: f64) {
        if usd.is_finite() {
            if !self.pinned {
                self.pressure += self.impact(usd);
            }
            self.spot_flow += usd;
        }
    }
}

impl super::World {
    /// Links every asset with `follows` to the asset it tracks, at the ratio of their
    /// `index_price`s (a liquid-staking token's redemption value: wBETH × ETH).
    pub(super) fn install_followers(&mut self, scenario: &crate::scenario::Scenario) {
        let start = scenario.run.start_unix_ms();
        for (i, a) in scenario.assets.iter().enumerate() {
            let Some(name) = &a.follows else { continue };
            let Some(j) = scenario.assets.iter().position(|o| &o.name == name) else { continue };
            let price = |k: usize| scenario.assets[k].start_price(start).map_or(f64::NAN, |p| p.to_f64());
            let ratio = price(i) / price(j);
            if ratio.is_finite() && ratio > 0.0 {
                self.assets[i].follows = Some((j, ratio));
            }
        }
    }

    /// After the assets advanced: each follower's fair value is its ratio × the followed
    /// asset's spot index.
    pub fn follow_assets(&mut self) {
        for i in 0..self.assets.len() {
            if let Some((j, ratio)) = self.assets[i].follows {
                self.assets[i].fair = self.assets[j].spot() * ratio;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn asset(vol: f64) -> AssetState {
        AssetState::new("BTC".into(), 100_000.0, vol, 1e8, 300.0, ChaCha8Rng::seed_from_u64(1))
    }

    /// Share 1, depth $100M per 1%, lag 10 s: a $100M perpetual sale moves nothing at once; after
    /// 10 s (one step, no fading: a long half-life) e^-1 of it is still on its way, so the
    /// pressure is -0.01 x (1 - e^-1) = -0.0063212; after a further 90 s, -0.01 x (1 - e^-10).
    #[test]
    fn lagged_perp_flow_reaches_the_index_over_its_time_constant() {
        let mut a = AssetState::new("BTC".into(), 100_000.0, 0.0, 1e8, 1e12, ChaCha8Rng::seed_from_u64(1));
        a.perp_flow_share = 1.0;
        a.perp_flow_lag_s = 10.0;
        a.perp_trade(-1e8);
        assert_eq!(a.pressure, 0.0);
        a.advance(10.0, SimTime::from_secs(10));
        assert!((a.pressure + 0.01 * (1.0 - (-1.0_f64).exp())).abs() < 1e-12, "{}", a.pressure);
        for s in 11..=100 {
            a.advance(1.0, SimTime::from_secs(s));
        }
        assert!((a.pressure + 0.01 * (1.0 - (-10.0_f64).exp())).abs() < 1e-9, "{}", a.pressure);
    }

    #[test]
    fn spot_flow_pushes_then_fades() {
        let mut a = asset(0.0);
        a.spot_trade(-1e8);
        assert!((a.spot() / 100_000.0 - (-0.01_f64).exp()).abs() < 1e-12);
        a.advance(300.0, SimTime::from_secs(300));
        assert!((a.pressure + 0.005).abs() < 1e-12, "half the push is left after one half-life");
        a.jump(-0.05);
        assert!((a.fair - 95_000.0).abs() < 1e-6);
    }

    #[test]
    fn on_a_track_the_fair_value_follows_it_with_shocks_and_flow_on_top() {
        use crate::scenario::{Dec, PricePath, PricePoint};
        let pt = |time_ms, p: &str| PricePoint { time_ms, price: Dec::parse(p).unwrap() };
        // Closes 100 at Unix 60 s, 110 at 120 s, 90 at 180 s; the run starts at 60 s.
        let path =
            PricePath::new("t", vec![pt(60_000, "100"), pt(120_000, "110"), pt(180_000, "90")]).unwrap();
        let mut a = AssetState::on_track(
            "BTC".into(),
            Track::new(&path, 60_000),
            1e8,
            300.0,
            ChaCha8Rng::seed_from_u64(1),
        );
        assert_eq!(a.fair, 100.0);
        a.advance(30.0, SimTime::from_secs(30));
        assert!((a.fair - 105.0).abs() < 1e-9, "half-way from 100 to 110: {}", a.fair);
        // A -10 % shock scales the path from then on: 110 × 0.9 = 99 at 60 s.
        a.jump(-0.10);
        a.advance(30.0, SimTime::from_secs(60));
        assert!((a.fair - 99.0).abs() < 1e-9, "{}", a.fair);
        // Depth $100M per 1 % at the time-zero price 100, i.e. 1,000,000 coins; $100M sold at
        // 99 is 1,010,101 coins: the index moves 1 % × 100/99 below the fair value.
        a.spot_trade(-1e8);
        assert!((a.spot() / a.fair - (-0.01_f64 * 100.0 / 99.0).exp()).abs() < 1e-12);
    }

    /// The depth is in coins: after the index has halved (a jump of the fair value), the same
    /// $100M buys twice the coins and pushes 2 %; $100M bought at twice the price pushes 0.5 %.
    /// A buyer spending in proportion to the price (a squeeze) therefore pushes a fixed amount
    /// per coin, not more as the price climbs.
    #[test]
    fn the_depth_is_in_coins() {
        let mut a = asset(0.0);
        a.jump(-0.5);
        a.spot_trade(-1e8);
        assert!((a.pressure + 0.02).abs() < 1e-12, "{}", a.pressure);
        let mut b = asset(0.0);
        b.jump(1.0);
        b.spot_trade(1e8);
        assert!((b.pressure - 0.005).abs() < 1e-12, "{}", b.pressure);
    }

    #[test]
    fn a_pinned_asset_counts_spot_flow_but_is_not_pushed() {
        let mut a = asset(0.0);
        a.pinned = true;
        a.perp_flow_share = 1.0;
        a.spot_trade(-1e8);
        a.perp_trade(-1e8);
        assert_eq!(a.pressure, 0.0);
        assert_eq!(a.spot(), 100_000.0);
        assert_eq!(a.spot_flow, -1e8);
    }

    #[test]
    fn a_share_of_perpetual_flow_pushes_the_index() {
        // Share 0.25, depth 1e8 per 1 %: $200M of taker sells push like $50M of spot sales,
        // −0.5 % in log terms; with share 0 nothing moves.
        let mut a = asset(0.0);
        a.perp_trade(-2e8);
        assert_eq!(a.pressure, 0.0);
        a.perp_flow_share = 0.25;
        a.perp_trade(-2e8);
        assert!((a.pressure + 0.005).abs() < 1e-12, "{}", a.pressure);
        assert_eq!(a.spot_flow, 0.0);
    }

    #[test]
    fn a_ramp_moves_the_fair_value_evenly_in_log_terms() {
        // -19 % over 100 s from t = 10 s: ln(0.81) = 2 ln(0.9), so half-way (t = 60 s) the fair
        // value is 100,000 × 0.9 = 90,000, and 81,000 from the end on.
        let mut a = asset(0.0);
        a.ramp(-0.19, 10.0, 100.0);
        a.advance(10.0, SimTime::from_secs(10));
        assert!((a.fair - 100_000.0).abs() < 1e-6, "{}", a.fair);
        a.advance(50.0, SimTime::from_secs(60));
        assert!((a.fair - 90_000.0).abs() < 1e-6, "{}", a.fair);
        a.advance(100.0, SimTime::from_secs(160));
        assert!((a.fair - 81_000.0).abs() < 1e-6, "{}", a.fair);
    }

    #[test]
    fn the_walk_has_the_scenario_volatility() {
        let mut a = asset(0.8);
        let mut sq = 0.0;
        let n = 20_000;
        let mut prev = a.fair;
        for _ in 0..n {
            a.advance(60.0, SimTime::ZERO);
            let r = (a.fair / prev).ln();
            sq += r * r;
            prev = a.fair;
        }
        let annual = (sq / f64::from(n) * SECONDS_PER_YEAR / 60.0).sqrt();
        assert!((annual - 0.8).abs() < 0.03, "realised {annual}");
    }
}
