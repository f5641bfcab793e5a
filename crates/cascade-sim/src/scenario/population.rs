//! `[population]`: the leveraged traders, drawn from distributions.
//!
//! These accounts are passive until the mark crosses one of their prices (stop, take-profit,
//! dip, liquidation): they are not agents in the event queue (ARCHITECTURE.md, "scheduler").

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{LeverageBucket, MarketRef, SizeDist, validate_leverage_mix};

/// `[population]`: how many leveraged traders, where, and how they are drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    /// Number of leveraged trader accounts (default 1000; 0 for none; at most 20,000,000).
    pub accounts: u32,
    /// Where they trade and in what proportion (default: every listed instrument, equally).
    pub markets: Vec<PopulationMarket>,
    /// Share of accounts that are long, in [0, 1] (default 0.6).
    pub long_share: f64,
    /// Share of accounts in isolated margin, the rest cross, in [0, 1] (default 0.5).
    pub isolated_share: f64,
    /// Leverage mix as weighted buckets (default: 1–5x 0.70, 6–10x 0.15, 20x 0.08, 50x 0.05,
    /// 100x 0.02). Weights are relative (drawn with probability weight / Σ weight).
    pub leverage: Vec<LeverageBucket>,
    /// Where entry prices come from (`[population.entry]`).
    pub entry: Entry,
    /// Position notional distribution, settle-asset units (`[population.size]`; default
    /// lognormal, median 2,000, sigma 1.5, within [10, 5,000,000]).
    pub size: SizeDist,
    /// Behaviours and their parameters (`[population.behaviour]`).
    pub behaviour: Behaviour,
    /// `[[population.collateral]]`: who holds part of their margin in a collateral asset
    /// (default: nobody), see `collateral.rs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collateral: Vec<super::collateral::PopulationCollateral>,
    /// `[population.baskets]`: cross-margin accounts that hold several markets of their venue
    /// (default: none, every account holds one market).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baskets: Option<Baskets>,
}

impl Default for Population {
    fn default() -> Self {
        Self {
            accounts: 1_000,
            markets: Vec::new(),
            long_share: 0.6,
            isolated_share: 0.5,
            leverage: vec![
                LeverageBucket::new(1, 5, 0.70),
                LeverageBucket::new(6, 10, 0.15),
                LeverageBucket::new(20, 20, 0.08),
                LeverageBucket::new(50, 50, 0.05),
                LeverageBucket::new(100, 100, 0.02),
            ],
            entry: Entry::default(),
            size: SizeDist::default(),
            behaviour: Behaviour::default(),
            collateral: Vec::new(),
            baskets: None,
        }
    }
}

/// `[population.baskets]`: cross-margin accounts that hold several markets of their venue at
/// once (10 Oct 2025: a crash in thin altcoins drained cross accounts that also held BTC and
/// ETH, and their liquidation closed every position, hedges included). Drawn from their own
/// random streams, so every other draw is unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Baskets {
    /// Share of the population's cross-margin accounts (not isolated, not momentum) that hold
    /// more than one market, a probability in [0, 1] (default 0.2).
    pub share: f64,
    /// Most extra positions of such an account, 1..=8 (default 2): each draws 1..=`legs`
    /// uniformly, from the other population markets of its venue by their weights, no market
    /// twice (as many as there are).
    pub legs: u32,
    /// An extra position's notional as a fraction of the account's first position's, in
    /// (0, 10] (default 0.5).
    pub size: f64,
    /// Probability that an extra position takes the side opposite to the first (a hedge), in
    /// [0, 1] (default 0.3).
    pub hedge: f64,
}

impl Default for Baskets {
    fn default() -> Self {
        Self { share: 0.2, legs: 2, size: 0.5, hedge: 0.3 }
    }
}

/// The most extra positions `[population.baskets] legs` allows.
pub const MAX_BASKET_LEGS: u32 = 8;

impl Baskets {
    fn validate(&self, v: &mut Validator) {
        let p = "population.baskets";
        v.probability(&format!("{p}.share"), self.share);
        if !(1..=MAX_BASKET_LEGS).contains(&self.legs) {
            v.err(format!("{p}.legs"), format!("must be 1..={MAX_BASKET_LEGS}, got {}", self.legs));
        }
        if !(self.size.is_finite() && self.size > 0.0 && self.size <= 10.0) {
            v.err(format!("{p}.size"), format!("must be a fraction in (0, 10], got {}", self.size));
        }
        v.probability(&format!("{p}.hedge"), self.hedge);
    }
}

/// `[[population.markets]]`: a market the population trades and its share of accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationMarket {
    /// Venue `name`.
    pub venue: String,
    /// Instrument `symbol` on that venue.
    pub symbol: String,
    /// Relative share of the accounts (≥ 0): each market gets `weight / Σ weight` of them, so
    /// the weights need not sum to 1 (their sum must be > 0).
    pub weight: f64,
    /// Share of longs here, overriding `population.long_share` (default: no override).
    #[serde(default)]
    pub long_share: Option<f64>,
}

impl PopulationMarket {
    /// The market it names.
    #[must_use]
    pub fn market(&self) -> MarketRef {
        MarketRef { venue: self.venue.clone(), symbol: self.symbol.clone() }
    }
}

/// `[population.entry]`: entry prices are spread over a look-back path of the index that ends at
/// the index price of time zero: a synthetic random walk, or for an asset with a `path` the
/// file's own prices before `run.start_utc`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Entry {
    /// Length of the look-back path, seconds (default 604800 = 7 days; > 0). Entry times are
    /// drawn uniformly over it. For an asset with a `path`, the file must reach this far back
    /// before `run.start_utc`.
    pub lookback_s: u64,
    /// Annualised volatility of the synthetic look-back path (default: the asset's
    /// `annual_volatility`). Not allowed when every asset the population trades has a `path`.
    pub annual_volatility: Option<f64>,
    /// Return of the synthetic path from its start to time zero, as a fraction (default 0; > −1). For
    /// example −0.07 starts the path 7 % above the time-zero price, so recent longs are under
    /// water before the run begins. Not allowed when every asset the population trades has a
    /// `path` (the file gives the return).
    pub lookback_return: Option<f64>,
}

impl Default for Entry {
    fn default() -> Self {
        Self { lookback_s: 7 * 86_400, annual_volatility: None, lookback_return: None }
    }
}

/// `[population.behaviour]`: what a trader does after entering. Shares sum to 1; distances are
/// fractions of the entry price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    /// Share that hold until closed by liquidation or the end (default 0.6).
    pub hold: f64,
    /// Share with a fixed stop-loss at `stop_distance` from entry (default 0.2).
    pub static_stop: f64,
    /// Share with a trailing stop `trail_distance` behind the best price seen (default 0.1).
    pub adaptive_stop: f64,
    /// Share with a take-profit at `take_profit_distance` (default 0.05).
    pub take_profit: f64,
    /// Share that add to a long when price falls `dip_trigger` below entry (default 0.05).
    pub buy_the_dip: f64,
    /// Share that start flat and enter on a break (default 0), then hold. Without
    /// `momentum_window_s`, shorts rest a sell stop-market `momentum_trigger` (× a uniform draw
    /// in [0.5, 1.5]) below the time-zero price and longs a buy stop as far above; with it, each
    /// enters either way at the first break of its trigger away from the trailing window's high
    /// (short) or low (long). Breakout sellers add to a crash and, opened near its low, are the
    /// shorts a rebound liquidates.
    pub momentum: f64,
    /// Share that start flat and fade a break (default 0; needs `momentum_window_s`), then hold:
    /// the same window and triggers as the window momentum traders, the opposite side. A fall of
    /// its trigger below the window's high makes it buy (the dip buyer who takes a stop sweep);
    /// a rise above the window's low makes it sell. Leveraged like everyone, it absorbs a sweep
    /// and is liquidated if the move goes on.
    pub fade: f64,
    /// Static stop distance, fraction of entry in (0, 1) (default 0.05).
    pub stop_distance: f64,
    /// Trailing stop distance, fraction in (0, 1) (default 0.03).
    pub trail_distance: f64,
    /// Take-profit distance, fraction > 0 (default 0.10).
    pub take_profit_distance: f64,
    /// Dip that triggers adding, fraction of entry in (0, 1) (default 0.05).
    pub dip_trigger: f64,
    /// Size added at the dip, as a fraction of the initial size, > 0 (default 0.5).
    pub dip_add: f64,
    /// Mean distance of a momentum trader's entry stop from the time-zero price, fraction in
    /// (0, 2/3) so the farthest (× 1.5) stays above zero (default 0.05). Level triggers only:
    /// refused with `momentum_window_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum_trigger: Option<f64>,
    /// Trailing window of a momentum trader's break, seconds in [1, 86 400] (optional; needs
    /// `momentum_sigmas`): it enters when the mark has moved its trigger below the window's
    /// high (a short) or above its low (a long), whichever comes first, so its side is the
    /// break's, not the market's long share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum_window_s: Option<u64>,
    /// With `momentum_window_s`: the mean trigger in standard deviations of the asset's calm
    /// returns over the window (× a uniform draw in [0.5, 1.5]); calm = the realised volatility
    /// of the population's look-back path (a price file's), else the asset's `annual_volatility`.
    /// So a thin altcoin's chasers wait for a move as many of its own deviations away as BTC's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum_sigmas: Option<f64>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            hold: 0.6,
            static_stop: 0.2,
            adaptive_stop: 0.1,
            take_profit: 0.05,
            buy_the_dip: 0.05,
            momentum: 0.0,
            fade: 0.0,
            stop_distance: 0.05,
            trail_distance: 0.03,
            take_profit_distance: 0.10,
            dip_trigger: 0.05,
            dip_add: 0.5,
            momentum_trigger: None,
            momentum_window_s: None,
            momentum_sigmas: None,
        }
    }
}

impl Behaviour {
    /// The shares, named: (hold, static_stop, adaptive_stop, take_profit, buy_the_dip,
    /// momentum, fade).
    #[must_use]
    pub fn shares(&self) -> [(&'static str, f64); 7] {
        [
            ("hold", self.hold),
            ("static_stop", self.static_stop),
            ("adaptive_stop", self.adaptive_stop),
            ("take_profit", self.take_profit),
            ("buy_the_dip", self.buy_the_dip),
            ("momentum", self.momentum),
            ("fade", self.fade),
        ]
    }

    fn validate(&self, v: &mut Validator) {
        let p = "population.behaviour";
        for (name, share) in self.shares() {
            v.probability(&format!("{p}.{name}"), share);
        }
        v.weights_sum_to_one(p, self.shares().into_iter().map(|(_, s)| s), "behaviour share");
        for (name, x) in [
            ("stop_distance", self.stop_distance),
            ("trail_distance", self.trail_distance),
            ("dip_trigger", self.dip_trigger),
        ] {
            if !(x > 0.0 && x < 1.0) {
                v.err(format!("{p}.{name}"), format!("must be a fraction in (0, 1), got {x}"));
            }
        }
        v.positive_f64(&format!("{p}.take_profit_distance"), self.take_profit_distance);
        v.positive_f64(&format!("{p}.dip_add"), self.dip_add);
        if let Some(m) = self.momentum_trigger
            && !(m > 0.0 && m < 2.0 / 3.0)
        {
            v.err(format!("{p}.momentum_trigger"), format!("must be a fraction in (0, 2/3), got {m}"));
        }
        match (self.momentum_window_s, self.momentum_sigmas) {
            (Some(w), Some(k)) => {
                if !(1..=86_400).contains(&w) {
                    v.err(
                        format!("{p}.momentum_window_s"),
                        format!("must be in [1, 86400] seconds, got {w}"),
                    );
                }
                if !(k.is_finite() && k > 0.0) {
                    v.err(format!("{p}.momentum_sigmas"), format!("must be a positive number, got {k}"));
                }
                if self.momentum_trigger.is_some() {
                    v.err(
                        format!("{p}.momentum_trigger"),
                        "sets level triggers off the time-zero price; with momentum_window_s the \
                         trigger is momentum_sigmas: remove one",
                    );
                }
            }
            (Some(_), None) => {
                v.err(format!("{p}.momentum_sigmas"), "is required with momentum_window_s (the trigger)");
            }
            (None, Some(_)) => {
                v.err(
                    format!("{p}.momentum_sigmas"),
                    "applies only with momentum_window_s (the window its deviations are measured over)",
                );
            }
            (None, None) => {
                if self.fade > 0.0 {
                    v.err(
                        format!("{p}.fade"),
                        "fade traders act on a trailing window's break: set momentum_window_s and momentum_sigmas",
                    );
                }
            }
        }
    }

    /// The level trigger's mean distance (`momentum_trigger`, default 0.05).
    #[must_use]
    pub fn level_trigger(&self) -> f64 {
        self.momentum_trigger.unwrap_or(0.05)
    }
}

impl Population {
    pub(crate) fn validate(&self, v: &mut Validator) {
        let p = "population";
        v.at_most(&format!("{p}.accounts"), u64::from(self.accounts), super::validate::MAX_ACCOUNTS);
        v.probability(&format!("{p}.long_share"), self.long_share);
        v.probability(&format!("{p}.isolated_share"), self.isolated_share);
        validate_leverage_mix(&format!("{p}.leverage"), &self.leverage, v);
        for (i, m) in self.markets.iter().enumerate() {
            v.non_negative_f64(&format!("{p}.markets[{i}].weight"), m.weight);
            if let Some(l) = m.long_share {
                v.probability(&format!("{p}.markets[{i}].long_share"), l);
            }
        }
        // Relative weights (the drawing divides by their sum, `sampling::apportion`).
        let sum: f64 = self.markets.iter().map(|m| m.weight).sum();
        let usable = sum.is_finite() && sum > 0.0;
        if !self.markets.is_empty() && !usable {
            v.err(format!("{p}.markets"), format!("the weights must have a positive sum, got {sum}"));
        }
        v.nonzero(&format!("{p}.entry.lookback_s"), self.entry.lookback_s);
        if let Some(vol) = self.entry.annual_volatility {
            v.non_negative_f64(&format!("{p}.entry.annual_volatility"), vol);
            v.volatility(&format!("{p}.entry.annual_volatility"), vol);
        }
        if let Some(r) = self.entry.lookback_return
            && !(r.is_finite() && r > -1.0)
        {
            v.err(format!("{p}.entry.lookback_return"), format!("must be a fraction > -1, got {r}"));
        }
        self.size.validate(&format!("{p}.size"), v);
        self.behaviour.validate(v);
        for (i, c) in self.collateral.iter().enumerate() {
            c.validate(&format!("{p}.collateral[{i}]"), v);
        }
        if let Some(b) = &self.baskets {
            b.validate(v);
        }
    }
}
