//! `[[assets]]`: the underlying assets, their spot index and, optionally, the spot books that
//! make it (`[[assets.spot]]`).

use cascade_engine::instrument::{AssetId, FeeSchedule, Instrument as EngineInstrument, InstrumentSpec};
use cascade_engine::num::{Price, Qty, RATE_DECIMALS, Rate};
use serde::{Deserialize, Serialize};

use super::price_path::PricePath;
use super::validate::Validator;
use super::values::Dec;

/// Annualised volatility of the fair-value random walk when `annual_volatility` is left out.
pub const DEFAULT_ANNUAL_VOLATILITY: f64 = 0.6;

/// `[[assets]]`: an underlying with a spot index (the price perpetuals' index and mark follow).
///
/// Without `[[assets.spot]]` entries the index is the exogenous fair value pushed by simulated
/// spot flow (`spot = fair × exp(pressure)`, see `spot_depth_1pct`). With them, the index is made
/// by those books: each venue combines their mids under its own index rule, and the pressure
/// model and its two keys do not exist (setting either is an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Ticker, e.g. `BTC` (required; unique). Instruments name it in their `asset` field.
    pub name: String,
    /// Spot index at time zero, in USD (> 0), e.g. `"116970.1"`. Required without `path`; with
    /// `path` it is the file's close at `run.start_utc` and may be left out; if given it must
    /// equal that close exactly.
    #[serde(default)]
    pub index_price: Option<Dec>,
    /// Annualised volatility of the exogenous fair-value random walk, as a fraction (default
    /// 0.6, i.e. 60 %/year; ≥ 0). Shocks come on top. Not allowed with `path` (the file gives
    /// the fair value).
    #[serde(default)]
    pub annual_volatility: Option<f64>,
    /// Binance USD-M kline CSV the fair value follows instead of a random walk (default: none),
    /// relative to the scenario file's directory or absolute. Needs `run.start_utc`, which must
    /// be a bar's close time in the file (a whole minute for 1-minute bars); the file must cover
    /// the whole run, and for a population trading the asset also `population.entry.lookback_s`
    /// before the start. The fair value is linearly interpolated between the closes (a close is
    /// placed at its bar's `close_time` + 1 ms; the first bar's `open` at its `open_time`). A
    /// shock scales the rest of the path (−5 % leaves it 5 % lower) and spot flow pushes the
    /// index off it, as without a file. The adaptive stops' calm volatility is then the
    /// realised volatility of the population's look-back in the file.
    #[serde(default)]
    pub path: Option<String>,
    /// Where the spot index comes from: `"model"` (default: the fair value pushed by simulated
    /// spot flow, or the asset's spot books) or `"path"` (the index **is** the `path` file,
    /// exactly: at each close time every market's index equals that close in the market's
    /// price units, linearly interpolated between closes, rounded down to a price unit). With
    /// `"path"` nothing the simulation does moves the index: the spot flow of hedgers and basis
    /// arbitrageurs is counted but pushes nothing, so `spot_depth_1pct`,
    /// `spot_recovery_half_life_s`, `perp_flow_to_spot`, `perp_flow_lag_s`, `[[assets.spot]]`
    /// books and `[[shocks]]` on the asset are refused (they could not act). Requires `path`.
    /// `cascade replay` sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexSource>,
    /// Kline CSV whose prices before `run.start_utc` give the population's entry prices (its
    /// look-back) while the fair value stays the model's own walk and shocks (default: none).
    /// Same file formats and relative-path rule as `path`; it must cover
    /// `population.entry.lookback_s` before the start (the start need not be a bar's close).
    /// The look-back is scaled so that it ends at the time-zero price: the file gives the shape
    /// of the week before (where traders entered relative to the price now), the scenario the
    /// level. With `path` too, the entries come from this file and `path` need only cover the
    /// run (a replay of one evening keeps the week before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_path: Option<String>,
    /// Spot notional, in USD at the time-zero price, that moves the spot index by 1 % (default
    /// `"100000000"`; > 0): how hard the spot sales of hedgers and basis arbitrageurs push the
    /// index, and so the marks. It is held in coins, so at half the price half the dollars move
    /// the index 1 %.
    /// Only without `[[assets.spot]]` books (with them it is an error: the books' depth decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_depth_1pct: Option<Dec>,
    /// Half-life, seconds, of the spot index's return to the fair value after flow pushed it
    /// away (default 300; > 0): the spot market's other participants absorbing the flow. Only
    /// without `[[assets.spot]]` books (with them it is an error: the spot makers decide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_recovery_half_life_s: Option<u64>,
    /// Share of the perpetuals' net taker flow (all venues) that reaches the spot index through
    /// the pressure model, as if spot traders followed it (default 0; in [0, 1]). On 10 Oct 2025
    /// price discovery ran on the perpetuals and spot followed; with 0, only the simulated basis
    /// arbitrageurs and hedgers carry perpetual selling to spot. An assumption, to be fitted.
    /// Only without `[[assets.spot]]` books (with them it is an error: their own traders decide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perp_flow_to_spot: Option<f64>,
    /// Time constant, seconds, over which that share of perpetual flow reaches the index
    /// (default 0: at once; ≥ 0): cross-venue arbitrage takes time, so a liquidation sweep
    /// cannot drag the index, and through it the next mark, within the same instant. Requires
    /// `perp_flow_to_spot`; not with `[[assets.spot]]` books.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perp_flow_lag_s: Option<u64>,
    /// Name of another asset whose spot index this asset's fair value tracks, at the ratio
    /// `index_price ÷ that asset's index_price` (default: none, the asset's own walk). For a
    /// liquid-staking token used as collateral, whose external reference is its redemption value
    /// (wBETH follows ETH, BNSOL follows SOL). Needs `index_price`; not with `path`,
    /// `lookback_path` or `annual_volatility`; the followed asset may not follow another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
    /// Spot books whose trades and quotes make the index (default: none, the pressure model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spot: Vec<SpotBook>,
    /// The price path read from `path` (not a scenario key: cascade-io's `read_scenario`
    /// loads it).
    #[serde(skip)]
    pub price_path: Option<PricePath>,
    /// The price path read from `lookback_path` (not a scenario key: cascade-io's
    /// `read_scenario` loads it).
    #[serde(skip)]
    pub lookback_price_path: Option<PricePath>,
}

/// `[[assets]] index`: what makes an asset's spot index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexSource {
    /// The simulation's own index: the fair value (random walk or `path`) pushed by simulated
    /// spot flow, or the asset's spot books.
    #[default]
    Model,
    /// The real price path of `path`, exactly (a replay: `cascade replay`).
    Path,
}

/// `[[assets.spot]]`: a spot book of the asset against the venue's settle asset, listed on a
/// venue. Its mid (its last trade while a side is empty) is one source of every index of the
/// asset, combined by each venue's index rule (Binance's weighted mean with its 5 % outlier
/// guard, Hyperliquid's weighted median, …). `[[makers]]` entries naming it quote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotBook {
    /// Venue `name` the book is listed on (required).
    pub venue: String,
    /// Symbol (required; unique on the venue among perpetuals and spot books), e.g. `BTC/USDT`.
    pub symbol: String,
    /// Tick size, quote (settle-asset) units (required; > 0), e.g. `"0.01"`.
    pub tick: Dec,
    /// Lot, base-asset units (required; > 0; at most 8 decimal places), e.g. `"0.00001"`.
    pub lot: Dec,
    /// Maker fee as a fraction of traded value (default `"0.0002"`; negative = rebate, at most
    /// the taker fee).
    #[serde(default = "default_maker_fee")]
    pub maker_fee: Dec,
    /// Taker fee as a fraction of traded value (default `"0.0005"`; in [0, 1)).
    #[serde(default = "default_taker_fee")]
    pub taker_fee: Dec,
    /// Weight of the book in the index, relative to the asset's other books (default 1; > 0).
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_spot_depth() -> Dec {
    Dec(100_000_000.into())
}

fn default_spot_recovery() -> u64 {
    300
}

fn default_maker_fee() -> Dec {
    Dec(rust_decimal::Decimal::new(2, 4))
}

fn default_taker_fee() -> Dec {
    Dec(rust_decimal::Decimal::new(5, 4))
}

fn default_weight() -> u32 {
    1
}

impl Asset {
    /// The random walk's annualised volatility (`annual_volatility` or its default).
    #[must_use]
    pub fn volatility(&self) -> f64 {
        self.annual_volatility.unwrap_or(DEFAULT_ANNUAL_VOLATILITY)
    }

    /// The spot index at time zero: `index_price`, or with a loaded path the path's price at
    /// the run start `start_ms` (Unix ms). `None` when neither is known.
    #[must_use]
    pub fn start_price(&self, start_ms: Option<u64>) -> Option<Dec> {
        self.index_price.or_else(|| self.price_path.as_ref()?.price_at_point(start_ms?))
    }

    /// Whether the spot index is the `path` file itself (`index = "path"`).
    #[must_use]
    pub fn index_from_path(&self) -> bool {
        self.index == Some(IndexSource::Path)
    }

    /// `spot_depth_1pct` or its default.
    #[must_use]
    pub fn spot_depth_1pct(&self) -> Dec {
        self.spot_depth_1pct.unwrap_or_else(default_spot_depth)
    }

    /// `spot_recovery_half_life_s` or its default.
    #[must_use]
    pub fn spot_recovery_half_life_s(&self) -> u64 {
        self.spot_recovery_half_life_s.unwrap_or_else(default_spot_recovery)
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.name.trim().is_empty() {
            v.err(format!("{path}.name"), "must not be empty");
        }
        match (self.index_price, &self.path) {
            (Some(p), _) => v.positive_dec(&format!("{path}.index_price"), p),
            (None, None) => v.err(format!("{path}.index_price"), "required (unless the asset has a `path`)"),
            (None, Some(_)) => {}
        }
        if let Some(vol) = self.annual_volatility {
            v.non_negative_f64(&format!("{path}.annual_volatility"), vol);
            v.volatility(&format!("{path}.annual_volatility"), vol);
            if self.path.is_some() {
                v.err(
                    format!("{path}.annual_volatility"),
                    "not allowed with `path`: the fair value follows the file, there is no random walk",
                );
            }
        }
        if let Some(p) = &self.path
            && p.trim().is_empty()
        {
            v.err(format!("{path}.path"), "must not be empty");
        }
        if let Some(p) = &self.lookback_path {
            if p.trim().is_empty() {
                v.err(format!("{path}.lookback_path"), "must not be empty");
            }
        }
        v.positive_dec(&format!("{path}.spot_depth_1pct"), self.spot_depth_1pct());
        v.nonzero(&format!("{path}.spot_recovery_half_life_s"), self.spot_recovery_half_life_s());
        if let Some(x) = self.perp_flow_to_spot
            && !(x.is_finite() && (0.0..=1.0).contains(&x))
        {
            v.err(format!("{path}.perp_flow_to_spot"), format!("must be in [0, 1], got {x}"));
        }
        if self.perp_flow_lag_s.is_some() && self.perp_flow_to_spot.unwrap_or(0.0) == 0.0 {
            v.err(
                format!("{path}.perp_flow_lag_s"),
                "has no effect without a positive perp_flow_to_spot: set that, or remove this",
            );
        }
        if !self.spot.is_empty() {
            let why = "has no meaning for an asset with [[assets.spot]] books (their depth and \
                       their makers move and restore the index): remove it";
            if self.spot_depth_1pct.is_some() {
                v.err(format!("{path}.spot_depth_1pct"), why);
            }
            if self.spot_recovery_half_life_s.is_some() {
                v.err(format!("{path}.spot_recovery_half_life_s"), why);
            }
            if self.perp_flow_to_spot.is_some() {
                v.err(format!("{path}.perp_flow_to_spot"), why);
            }
            if self.perp_flow_lag_s.is_some() {
                v.err(format!("{path}.perp_flow_lag_s"), why);
            }
        }
        for (i, s) in self.spot.iter().enumerate() {
            s.validate(&format!("{path}.spot[{i}]"), v);
        }
        if self.index_from_path() {
            if self.path.is_none() {
                v.err(
                    format!("{path}.index"),
                    "\"path\" needs a `path` file: the index is that file's closes",
                );
            }
            let why = "cannot act with index = \"path\": the index is the file's, nothing the simulation \
                       does moves it; remove it";
            for (key, set) in [
                ("spot_depth_1pct", self.spot_depth_1pct.is_some()),
                ("spot_recovery_half_life_s", self.spot_recovery_half_life_s.is_some()),
                ("perp_flow_to_spot", self.perp_flow_to_spot.is_some()),
                ("perp_flow_lag_s", self.perp_flow_lag_s.is_some()),
                ("spot", !self.spot.is_empty()),
            ] {
                if set {
                    v.err(format!("{path}.{key}"), why);
                }
            }
        }
        if self.follows.is_some() {
            let why = "not allowed with `follows`: the fair value tracks the followed asset";
            for (key, set) in [
                ("path", self.path.is_some()),
                ("lookback_path", self.lookback_path.is_some()),
                ("annual_volatility", self.annual_volatility.is_some()),
            ] {
                if set {
                    v.err(format!("{path}.{key}"), why);
                }
            }
            if self.index_price.is_none() {
                v.err(format!("{path}.index_price"), "required with `follows` (it sets the ratio)");
            }
        }
    }
}

impl SpotBook {
    /// The engine's spec of this book: `base` against `quote`, decimals those of tick and lot.
    ///
    /// # Errors
    /// `(field, reason)` for the first field the engine cannot represent or refuses.
    pub fn engine_spec(
        &self,
        base: AssetId,
        quote: AssetId,
    ) -> Result<InstrumentSpec, (&'static str, String)> {
        let (pd, qd) = (self.tick.places(), self.lot.places());
        let scaled = |field: &'static str, d: Dec, places: u32| {
            d.to_scaled(places)
                .ok_or_else(|| (field, format!("{d} does not fit {places} decimal places exactly")))
        };
        let tick = Price(scaled("tick", self.tick, pd)?);
        let lot = Qty(scaled("lot", self.lot, qd)?);
        let maker = Rate(scaled("maker_fee", self.maker_fee, RATE_DECIMALS)?);
        let taker = Rate(scaled("taker_fee", self.taker_fee, RATE_DECIMALS)?);
        let spec = InstrumentSpec {
            tick,
            lot,
            min_qty: lot,
            fees: FeeSchedule { maker, taker },
            ..InstrumentSpec::spot(&self.symbol, base, quote, pd, qd)
        };
        EngineInstrument::new(spec.clone()).map_err(|e| {
            use cascade_engine::instrument::InstrumentError as E;
            let field: &'static str = match &e {
                E::NotPositive { field, .. } | E::NotMultiple { field, .. } | E::Spot { field, .. } => field,
                E::Inexact { .. } => "lot",
                E::RebateExceedsTakerFee { .. } => "maker_fee",
                E::EmptySymbol => "symbol",
            };
            // The engine calls the quantity decimals `qty_decimals`; here they are the lot's.
            let field = if field == "qty_decimals" { "lot" } else { field };
            let field = match field {
                "price_decimals" => "tick",
                "fees" => "maker_fee",
                other => other,
            };
            (field, e.to_string())
        })?;
        Ok(spec)
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        if self.venue.trim().is_empty() {
            v.err(f("venue"), "must not be empty");
        }
        if self.symbol.trim().is_empty() {
            v.err(f("symbol"), "must not be empty");
        }
        v.positive_dec(&f("tick"), self.tick);
        v.positive_dec(&f("lot"), self.lot);
        if self.taker_fee.is_negative() || self.taker_fee.get() >= rust_decimal::Decimal::ONE {
            v.err(f("taker_fee"), format!("must be in [0, 1), got {}", self.taker_fee));
        }
        if self.maker_fee.get().abs() >= rust_decimal::Decimal::ONE {
            v.err(f("maker_fee"), format!("must be in (-1, 1), got {}", self.maker_fee));
        }
        if self.weight == 0 {
            v.err(f("weight"), "must be > 0, got 0");
        }
        let basic_ok = self.tick.is_positive() && self.lot.is_positive() && !self.symbol.trim().is_empty();
        if basic_ok && let Err((field, reason)) = self.engine_spec(AssetId(1), AssetId(0)) {
            v.err(f(field), reason);
        }
    }
}
