//! `[[makers]]`: market makers quoting ladders whose size and spread follow realized volatility
//! and inventory; they thin, widen and finally pull quotes under stress, and return as volatility
//! decays.

use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::Dec;

/// `[[makers]]`: one or more identical makers on one instrument.
///
/// Naming an `[[assets.spot]]` book instead of a perpetual makes a spot maker: it holds half of
/// `capital` in the settle asset and half in the base asset (bought at the asset's
/// `index_price`), quotes around the asset's fair value moved by the tape's basis, and its
/// inventory is its base holding away from that starting half.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maker {
    /// Venue `name` (required).
    pub venue: String,
    /// Instrument `symbol` on that venue, or the `symbol` of an `[[assets.spot]]` book listed
    /// there (required).
    pub symbol: String,
    /// Number of makers with these parameters (default 1; > 0).
    #[serde(default = "one")]
    pub count: u32,
    /// Collateral deposited per maker, settle-asset units (default `"10000000"`; > 0).
    #[serde(default = "default_capital")]
    pub capital: Dec,
    /// Price levels quoted per side (default 10; > 0; at most 1,000).
    #[serde(default = "default_levels")]
    pub levels: u32,
    /// Half the spread of the innermost quotes, basis points of fair value (default 1.0; ≥ 0).
    #[serde(default = "default_half_spread")]
    pub half_spread_bps: f64,
    /// Distance between consecutive levels, basis points (default 2.0; > 0).
    #[serde(default = "default_spacing")]
    pub level_spacing_bps: f64,
    /// Notional quoted per level in calm markets, settle-asset units (default `"50000"`; > 0).
    #[serde(default = "default_level_notional")]
    pub level_notional: Dec,
    /// Time between requotes, milliseconds (default 1000; > 0).
    #[serde(default = "default_requote")]
    pub requote_ms: u64,
    /// Inventory at which the maker quotes one side only, settle-asset notional (default
    /// `"5000000"`; > 0): the position's value, or for a spot maker the value of its base
    /// holding above or below its starting half.
    #[serde(default = "default_max_inventory")]
    pub max_inventory: Dec,
    /// How far quotes lean against inventory at `max_inventory`, in half-spreads (default 1.0;
    /// ≥ 0).
    #[serde(default = "one_f")]
    pub inventory_skew: f64,
    /// Window of the realized-volatility estimate, seconds (default 60; > 0).
    #[serde(default = "default_vol_window")]
    pub vol_window_s: u64,
    /// Annualised realized volatility at which quotes are normal (default 0.5; > 0).
    #[serde(default = "default_calm_vol")]
    pub calm_volatility: f64,
    /// Annualised realized volatility at or above which quotes are pulled (default 3.0; above
    /// `calm_volatility`). Between the two, spread widens and size thins in proportion.
    #[serde(default = "default_pull_vol")]
    pub pull_volatility: f64,
    /// Half-life of the return to normal quoting once volatility decays, seconds (default 120; > 0).
    #[serde(default = "default_return")]
    pub return_half_life_s: u64,
    /// Half-life, seconds, over which the maker withdraws once volatility reaches
    /// `pull_volatility` (default: none, every quote is pulled at once; > 0). While volatility
    /// stays at or above the pull level its confidence halves every `withdraw_half_life_s` and it
    /// keeps quoting at the widest spread and thinnest size (× 0.2) scaled by it, until that is
    /// nothing; below the pull level it recovers with `return_half_life_s`. An ADL still pulls
    /// at once (`pull_on_adl`). Depth that fades over minutes, not in one requote: one major
    /// token's Binance 1% depth fell 98% over the 40 minutes from 20:40 UTC on 10 Oct 2025
    /// (Coinwatch, quoted in YQ's "When market makers become market breakers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdraw_half_life_s: Option<u64>,
    /// Pull all quotes for `return_half_life_s` after being auto-deleveraged (default true; a
    /// spot maker has no position and is never auto-deleveraged).
    #[serde(default = "yes")]
    pub pull_on_adl: bool,
    /// Half-life, seconds, at which a perpetual maker hedges its position on the asset's spot
    /// market outside the simulated venues (default: no hedging; > 0). The hedge's trades move
    /// the spot index like any spot flow (`spot_depth_1pct`), and the maker quotes against its
    /// net inventory (position + hedge): a maker that absorbed forced selling sells spot and
    /// keeps bidding, and buys the hedge back as it sells the position down. Not for spot
    /// makers, nor for assets whose index comes from `[[assets.spot]]` books.
    #[serde(default)]
    pub hedge_half_life_s: Option<u64>,
    /// Largest value of a hedging maker's perpetual position, settle-asset notional (default:
    /// none, the net inventory is the only bound; > 0; only with `hedge_half_life_s`). Past it
    /// the maker quotes only the side that reduces the position. A hedged position nets to zero
    /// inventory, so without a limit a hedging maker keeps absorbing forced selling until its
    /// venue margin runs out, although the hedge's gains sit on another market: once liquidated,
    /// it buys the whole hedge back into the spot index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_position: Option<Dec>,
    /// Distances from fair value, basis points, at which the maker keeps one order per side
    /// while its ladder is pulled or thinned to nothing (default none: a pulled maker quotes
    /// nothing; each in (0, 5000], increasing). Makers in a crash leave the touch but keep
    /// wide resting orders: on 10 October 2025 Kaiko saw the major BTC books' bids only at
    /// the 4% and 10% bands.
    #[serde(default)]
    pub pulled_bands_bps: Vec<f64>,
    /// Notional of each pulled-band order, as a fraction of `level_notional` (default 1.0;
    /// > 0; only with `pulled_bands_bps`).
    #[serde(default)]
    pub pulled_size: Option<f64>,
}

fn one() -> u32 {
    1
}
fn one_f() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_capital() -> Dec {
    Dec(10_000_000.into())
}
fn default_levels() -> u32 {
    10
}
fn default_half_spread() -> f64 {
    1.0
}
fn default_spacing() -> f64 {
    2.0
}
fn default_level_notional() -> Dec {
    Dec(50_000.into())
}
fn default_requote() -> u64 {
    1_000
}
fn default_max_inventory() -> Dec {
    Dec(5_000_000.into())
}
fn default_vol_window() -> u64 {
    60
}
fn default_calm_vol() -> f64 {
    0.5
}
fn default_pull_vol() -> f64 {
    3.0
}
fn default_return() -> u64 {
    120
}

impl Maker {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        v.nonzero(&f("count"), u64::from(self.count));
        v.at_most(&f("count"), u64::from(self.count), super::validate::MAX_MAKERS);
        v.positive_dec(&f("capital"), self.capital);
        v.fits_money(&f("capital"), self.capital);
        v.nonzero(&f("levels"), u64::from(self.levels));
        v.at_most(&f("levels"), u64::from(self.levels), super::validate::MAX_LEVELS);
        v.non_negative_f64(&f("half_spread_bps"), self.half_spread_bps);
        v.positive_f64(&f("level_spacing_bps"), self.level_spacing_bps);
        v.positive_dec(&f("level_notional"), self.level_notional);
        v.fits_money(&f("level_notional"), self.level_notional);
        v.nonzero(&f("requote_ms"), self.requote_ms);
        v.positive_dec(&f("max_inventory"), self.max_inventory);
        v.fits_money(&f("max_inventory"), self.max_inventory);
        v.non_negative_f64(&f("inventory_skew"), self.inventory_skew);
        v.nonzero(&f("vol_window_s"), self.vol_window_s);
        v.positive_f64(&f("calm_volatility"), self.calm_volatility);
        if !(self.pull_volatility.is_finite() && self.pull_volatility > self.calm_volatility) {
            v.err(
                f("pull_volatility"),
                format!(
                    "must be above calm_volatility ({}), got {}",
                    self.calm_volatility, self.pull_volatility
                ),
            );
        }
        v.nonzero(&f("return_half_life_s"), self.return_half_life_s);
        if let Some(h) = self.withdraw_half_life_s {
            v.nonzero(&f("withdraw_half_life_s"), h);
        }
        if let Some(h) = self.hedge_half_life_s {
            v.nonzero(&f("hedge_half_life_s"), h);
        }
        if let Some(limit) = self.max_position {
            v.positive_dec(&f("max_position"), limit);
            v.fits_money(&f("max_position"), limit);
            if self.hedge_half_life_s.is_none() {
                v.err(
                    f("max_position"),
                    "only has a meaning with hedge_half_life_s (without a hedge, max_inventory bounds the position)"
                        .to_string(),
                );
            }
        }
        let mut prev = 0.0;
        for (i, &b) in self.pulled_bands_bps.iter().enumerate() {
            if !(b.is_finite() && b > prev && b <= 5_000.0) {
                v.err(
                    format!("{path}.pulled_bands_bps[{i}]"),
                    format!("must be above {prev} (the band before, or 0) and at most 5000 bps, got {b}"),
                );
            }
            prev = b;
        }
        if let Some(size) = self.pulled_size {
            v.positive_f64(&f("pulled_size"), size);
            if self.pulled_bands_bps.is_empty() {
                v.err(f("pulled_size"), "only has a meaning with pulled_bands_bps".to_string());
            }
        }
    }
}
