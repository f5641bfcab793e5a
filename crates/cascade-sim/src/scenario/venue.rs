//! `[[venues]]`: exchanges, their rule sets, insurance funds and listed instruments.
//!
//! Each venue is one engine instance run under a named rule set (how it margins, liquidates and
//! deleverages; `../shared/reference/venue-mechanics.md` §1–7). Instruments carry the contract
//! spec exactly as the engine wants it, plus an optional override of the rule set's margin tiers.

use cascade_engine::instrument::{
    AssetId, ContractKind, FeeSchedule, Instrument as EngineInstrument, InstrumentSpec,
};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_DECIMALS, Rate};
use serde::{Deserialize, Serialize};

use super::validate::Validator;
use super::values::{Dec, MAX_LEVERAGE};

/// The venue rule sets the engine models (venue-mechanics.md §0.1): the engine's own list.
pub use cascade_engine::margin::tables::Venue as RuleSet;

/// `[[venues]]`: one exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// Unique label, used by agents and in outputs (required), e.g. `binance` or `binance-2`.
    pub name: String,
    /// Rule set: one of `binance`, `bybit`, `okx`, `bitmex`, `hyperliquid`, `dydx`, `drift`
    /// (required). Read it with [`Venue::rule_set`].
    pub rules: String,
    /// Collateral and settlement asset of the venue's perpetuals (default `USDT`).
    #[serde(default = "default_settle")]
    pub settle_asset: String,
    /// Insurance fund at time zero, settle-asset units (default `"0"`; ≥ 0).
    #[serde(default)]
    pub insurance_fund: Dec,
    /// Capital of the venue's liquidator vault, settle-asset units (default `"0"`; ≥ 0): the
    /// Hyperliquid HLP vault that takes accounts over below 2/3 of maintenance while this
    /// capital carries them (the engine's `Venue::set_backstop_capital`). Only the
    /// `hyperliquid` rule set has a vault; elsewhere a non-zero value is an error.
    #[serde(default)]
    pub backstop_capital: Dec,
    /// Market-order price band: a market order fills no further than this fraction from the
    /// mark (from the best opposite quote on a spot book, which has no mark), as Binance's
    /// `marketTakeBound` (default `"0.05"`; in [0, 1); 0 disables it).
    #[serde(default = "default_band")]
    pub market_band: Dec,
    /// Instruments listed (at least one).
    #[serde(default)]
    pub instruments: Vec<Instrument>,
    /// `[[venues.collateral]]`: assets counted as cross margin besides the settle asset
    /// (default: none), see `collateral.rs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collateral: Vec<super::collateral::VenueCollateral>,
}

fn default_settle() -> String {
    "USDT".into()
}

fn default_band() -> Dec {
    Dec(rust_decimal::Decimal::new(5, 2))
}

impl Venue {
    /// The rule set, if its name is known (always, once the scenario validated).
    ///
    /// # Errors
    /// The name is not one of [`RuleSet::ALL`].
    pub fn rule_set(&self) -> Result<RuleSet, String> {
        self.rules.parse::<RuleSet>().map_err(|e| e.to_string())
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        if self.name.trim().is_empty() {
            v.err(format!("{path}.name"), "must not be empty");
        }
        if let Err(e) = self.rule_set() {
            v.err(format!("{path}.rules"), e);
        }
        if self.settle_asset.trim().is_empty() {
            v.err(format!("{path}.settle_asset"), "must not be empty");
        }
        v.non_negative_dec(&format!("{path}.insurance_fund"), self.insurance_fund);
        v.fits_cash(&format!("{path}.insurance_fund"), self.insurance_fund);
        v.non_negative_dec(&format!("{path}.backstop_capital"), self.backstop_capital);
        v.fits_cash(&format!("{path}.backstop_capital"), self.backstop_capital);
        if !self.backstop_capital.get().is_zero() && self.rule_set().is_ok_and(|r| r != RuleSet::Hyperliquid)
        {
            v.err(
                format!("{path}.backstop_capital"),
                format!("only the hyperliquid rule set has a liquidator vault (rules = `{}`)", self.rules),
            );
        }
        if self.market_band.is_negative() || self.market_band.get() >= rust_decimal::Decimal::ONE {
            v.err(format!("{path}.market_band"), format!("must be in [0, 1), got {}", self.market_band));
        }
        if self.instruments.is_empty() {
            v.err(format!("{path}.instruments"), "a venue needs at least one instrument");
        }
        for (i, ins) in self.instruments.iter().enumerate() {
            let p = format!("{path}.instruments[{i}]");
            if self.instruments[..i].iter().any(|o| o.symbol == ins.symbol) {
                v.err(format!("{p}.symbol"), format!("`{}` is listed twice on this venue", ins.symbol));
            }
            ins.validate(&p, v);
        }
        for (i, c) in self.collateral.iter().enumerate() {
            let p = format!("{path}.collateral[{i}]");
            if self.collateral[..i].iter().any(|o| o.asset == c.asset) {
                v.err(format!("{p}.asset"), format!("`{}` is listed twice on this venue", c.asset));
            }
            c.validate(&p, v);
        }
    }
}

/// Linear (USDT-margined) or inverse (coin-margined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Quantity in base units, settled in the quote asset.
    #[default]
    Linear,
    /// Quantity in contracts worth `contract_size` quote units, settled in the base coin.
    Inverse,
}

/// `[[venues.instruments]]`: a perpetual contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Venue symbol (required; unique on the venue), e.g. `BTCUSDT`.
    pub symbol: String,
    /// Underlying asset, a `name` from `[[assets]]` (required).
    pub asset: String,
    /// `linear` (default) or `inverse`.
    #[serde(default)]
    pub kind: Kind,
    /// Tick size, price units (required; > 0), e.g. `"0.1"`.
    pub tick: Dec,
    /// Lot (quantity step), base units or contracts (required; > 0), e.g. `"0.001"`.
    pub lot: Dec,
    /// Decimal places of prices; default: those of `tick`. Finer than the tick lets a mark price
    /// sit between ticks.
    #[serde(default)]
    pub price_decimals: Option<u32>,
    /// Decimal places of quantities; default: those of `lot`.
    #[serde(default)]
    pub qty_decimals: Option<u32>,
    /// Smallest order quantity (default: one lot; a multiple of the lot).
    #[serde(default)]
    pub min_qty: Option<Dec>,
    /// Smallest order value, settle-asset units (default `"0"`: none).
    #[serde(default)]
    pub min_notional: Dec,
    /// Linear: base units per quantity unit (default `"1"`); inverse: quote units per contract.
    #[serde(default = "one")]
    pub contract_size: Dec,
    /// Base units in one contract of the venue's size-based tier table, when quantities are in
    /// base units (OKX's `ctVal`: `"1000"` for DOGE-USDT-SWAP, `"0.01"` for BTC-USDT-SWAP).
    /// Default: one quantity unit is one contract. An error on a venue whose tiers count
    /// notional (it would do nothing).
    #[serde(default)]
    pub tier_contract: Option<Dec>,
    /// Maker fee as a fraction of traded value (default `"0.0002"`; negative = rebate).
    #[serde(default = "default_maker_fee")]
    pub maker_fee: Dec,
    /// Taker fee as a fraction of traded value (default `"0.0005"`; ≥ 0).
    #[serde(default = "default_taker_fee")]
    pub taker_fee: Dec,
    /// Margin tiers replacing the rule set's built-in table for this instrument (default: none,
    /// use the rule set's table). Ordered by `floor`, the first at 0.
    #[serde(default)]
    pub tiers: Vec<Tier>,
}

fn one() -> Dec {
    Dec(rust_decimal::Decimal::ONE)
}

fn default_maker_fee() -> Dec {
    Dec(rust_decimal::Decimal::new(2, 4))
}

fn default_taker_fee() -> Dec {
    Dec(rust_decimal::Decimal::new(5, 4))
}

/// Most decimal places a price or quantity may have (the engine holds them in `i64`).
pub const MAX_DECIMALS: u32 = 12;

impl Instrument {
    /// Decimal places of prices.
    #[must_use]
    pub fn price_decimals(&self) -> u32 {
        self.price_decimals.unwrap_or_else(|| self.tick.places())
    }

    /// Decimal places of quantities.
    #[must_use]
    pub fn qty_decimals(&self) -> u32 {
        self.qty_decimals.unwrap_or_else(|| self.lot.places())
    }

    /// The engine's contract spec, settled in `settle_asset`.
    ///
    /// # Errors
    /// `(field, reason)` for the first field the engine cannot represent or refuses.
    pub fn engine_spec(&self, settle_asset: AssetId) -> Result<InstrumentSpec, (&'static str, String)> {
        let (pd, qd) = (self.price_decimals(), self.qty_decimals());
        let scaled = |field: &'static str, d: Dec, places: u32| {
            d.to_scaled(places)
                .ok_or_else(|| (field, format!("{d} does not fit {places} decimal places exactly")))
        };
        let tick = Price(scaled("tick", self.tick, pd)?);
        let lot = Qty(scaled("lot", self.lot, qd)?);
        let min_qty = Qty(scaled("min_qty", self.min_qty.unwrap_or(self.lot), qd)?);
        let min_notional = Cash(scaled("min_notional", self.min_notional, CASH_DECIMALS)?);
        let maker = Rate(scaled("maker_fee", self.maker_fee, RATE_DECIMALS)?);
        let taker = Rate(scaled("taker_fee", self.taker_fee, RATE_DECIMALS)?);
        let tier_contract = match self.tier_contract {
            Some(c) => Some(Qty(scaled("tier_contract", c, qd)?)),
            None => None,
        };
        let spec = InstrumentSpec {
            symbol: self.symbol.clone(),
            kind: match self.kind {
                Kind::Linear => ContractKind::Linear,
                Kind::Inverse => ContractKind::Inverse,
            },
            settle_asset,
            price_decimals: pd,
            qty_decimals: qd,
            tick,
            lot,
            min_qty,
            min_notional,
            contract_size: self.contract_size.get(),
            tier_contract,
            fees: FeeSchedule { maker, taker },
        };
        EngineInstrument::new(spec.clone()).map_err(|e| {
            use cascade_engine::instrument::InstrumentError as E;
            let field: &'static str = match &e {
                E::NotPositive { field, .. } | E::NotMultiple { field, .. } | E::Spot { field, .. } => field,
                E::Inexact { .. } => "contract_size",
                E::RebateExceedsTakerFee { .. } => "maker_fee",
                E::EmptySymbol => "symbol",
            };
            (field, e.to_string())
        })?;
        Ok(spec)
    }

    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |name: &str| format!("{path}.{name}");
        v.positive_dec(&f("tick"), self.tick);
        v.positive_dec(&f("lot"), self.lot);
        for (name, explicit, implied) in [
            ("price_decimals", self.price_decimals, self.tick.places()),
            ("qty_decimals", self.qty_decimals, self.lot.places()),
        ] {
            if let Some(d) = explicit
                && d < implied
            {
                v.err(f(name), format!("{d} places cannot express a step with {implied}"));
            }
            if explicit.unwrap_or(implied) > MAX_DECIMALS {
                v.err(f(name), format!("at most {MAX_DECIMALS} decimal places"));
            }
        }
        v.non_negative_dec(&f("min_notional"), self.min_notional);
        if let Some(c) = self.tier_contract {
            v.positive_dec(&f("tier_contract"), c);
        }
        if self.taker_fee.is_negative() || self.taker_fee.get() >= rust_decimal::Decimal::ONE {
            v.err(f("taker_fee"), format!("must be in [0, 1), got {}", self.taker_fee));
        }
        if self.maker_fee.get().abs() >= rust_decimal::Decimal::ONE {
            v.err(f("maker_fee"), format!("must be in (-1, 1), got {}", self.maker_fee));
        }
        // Whatever the checks above let through, the engine has the last word.
        let basic_ok = self.tick.is_positive() && self.lot.is_positive() && !self.min_notional.is_negative();
        if basic_ok && let Err((field, reason)) = self.engine_spec(AssetId(0)) {
            v.err(f(field), reason);
        }
        validate_tiers(&f("tiers"), &self.tiers, v);
    }
}

/// `[[venues.instruments.tiers]]`: one margin tier (Binance's "bracket", Bybit's "risk limit",
/// venue-mechanics.md §1.1). The maintenance margin of a position of notional `N` in this tier is
/// `N × mmr − maintenance_amount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Position notional, settle-asset units, from which this tier applies (inclusive; the
    /// first tier's is 0; strictly increasing).
    pub floor: Dec,
    /// Maintenance-margin rate, a fraction in (0, 1), e.g. `"0.004"`; non-decreasing by tier.
    pub mmr: Dec,
    /// Highest leverage allowed in this tier (1..=200; non-increasing by tier).
    pub max_leverage: u32,
    /// Initial-margin rate (default: `1 / max_leverage`); above `mmr`, at most 1.
    #[serde(default)]
    pub imr: Option<Dec>,
    /// Maintenance amount, settle-asset units (default: derived with Binance's formula
    /// `floor × (mmr − previous mmr) + previous amount`); ≥ 0.
    #[serde(default)]
    pub maintenance_amount: Option<Dec>,
}

/// Checks a tier table: floors start at 0 and strictly increase, rates in range and ordered,
/// leverage within 1..=200 and non-increasing, mmr below the initial rate.
fn validate_tiers(path: &str, tiers: &[Tier], v: &mut Validator) {
    use rust_decimal::Decimal;
    for (i, t) in tiers.iter().enumerate() {
        let f = |name: &str| format!("{path}[{i}].{name}");
        if i == 0 && !t.floor.get().is_zero() {
            v.err(f("floor"), format!("the first tier must start at 0, got {}", t.floor));
        }
        if let Some(prev) = i.checked_sub(1).map(|j| &tiers[j]) {
            if t.floor <= prev.floor {
                v.err(
                    f("floor"),
                    format!(
                        "tiers out of order: floor {} must be above the previous tier's floor {}",
                        t.floor, prev.floor
                    ),
                );
            }
            if t.mmr < prev.mmr {
                v.err(
                    f("mmr"),
                    format!("must not be below the previous tier's mmr {}, got {}", prev.mmr, t.mmr),
                );
            }
            if t.max_leverage > prev.max_leverage {
                v.err(
                    f("max_leverage"),
                    format!(
                        "must not be above the previous tier's max_leverage {}, got {}",
                        prev.max_leverage, t.max_leverage
                    ),
                );
            }
        }
        v.non_negative_dec(&f("floor"), t.floor);
        v.fits_cash(&f("floor"), t.floor);
        if !(t.mmr.is_positive() && t.mmr.get() < Decimal::ONE) {
            v.err(f("mmr"), format!("must be a fraction in (0, 1), got {}", t.mmr));
        }
        if t.max_leverage == 0 {
            v.err(f("max_leverage"), "leverage must be at least 1 (got 0)");
        } else if t.max_leverage > MAX_LEVERAGE {
            v.err(f("max_leverage"), format!("must be at most {MAX_LEVERAGE}, got {}", t.max_leverage));
        }
        let imr = match t.imr {
            Some(imr) => {
                if !(imr.is_positive() && imr.get() <= Decimal::ONE) {
                    v.err(f("imr"), format!("must be a fraction in (0, 1], got {imr}"));
                }
                Some(imr.get())
            }
            None => (t.max_leverage > 0).then(|| Decimal::ONE / Decimal::from(t.max_leverage)),
        };
        if let Some(imr) = imr
            && t.mmr.get() >= imr
        {
            let field = if t.imr.is_some() { "imr" } else { "mmr" };
            v.err(
                f(field),
                format!(
                    "mmr {} must be below the initial-margin rate {} (1 / max_leverage unless imr is \
                     given), or a position would open already liquidatable",
                    t.mmr,
                    imr.normalize()
                ),
            );
        }
        if let Some(a) = t.maintenance_amount {
            v.non_negative_dec(&f("maintenance_amount"), a);
            v.fits_cash(&f("maintenance_amount"), a);
        }
    }
}
