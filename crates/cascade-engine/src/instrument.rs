//! Contract specifications: linear (USDT-margined) and inverse (coin-margined) perpetuals, and
//! spot pairs.
//!
//! An [`Instrument`] turns a price and a quantity into money. For a linear contract the value of
//! `qty` at `price` is `price × qty × contract_size`, an exact integer once the precisions are
//! fixed (checked at construction, so no rounding ever happens there). For an inverse contract
//! the value in coin is `qty × contract_size / price`, which needs a division; callers name the
//! rounding. A spot pair is valued as a linear contract of size 1 (price in the quote asset ×
//! quantity in base units) and also converts its quantity into base-asset cash units exactly
//! ([`Instrument::base_amount`]), since a spot fill moves the base coin itself. Everything is
//! validated when the instrument is built, so later code can trust it.

use rust_decimal::Decimal;

use crate::num::{CASH_DECIMALS, Cash, Overflow, Price, Qty, Rate, Round, div_i128};

/// Index of a collateral asset within a venue (e.g. 0 = USDT, 1 = BTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AssetId(pub u16);

/// Index of an instrument within a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct InstrumentId(pub u16);

/// How a contract settles profit and loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    /// Quantity in base units (× contract size), margined and settled in the quote asset (USDT).
    Linear,
    /// Quantity in contracts worth `contract_size` quote units each, settled in the base coin.
    Inverse,
    /// A spot pair: quantity in units of `base`, priced in the settle (quote) asset, contract
    /// size 1. Fills exchange the assets themselves: no position, no open interest.
    Spot {
        /// The asset bought and sold.
        base: AssetId,
    },
}

/// Trading fees as rates of traded value. A negative maker rate is a rebate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSchedule {
    /// Rate paid by the resting side (negative: rebate received).
    pub maker: Rate,
    /// Rate paid by the aggressing side.
    pub taker: Rate,
}

/// What a caller specifies; [`Instrument::new`] validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentSpec {
    /// Venue symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Linear, inverse or spot.
    pub kind: ContractKind,
    /// The asset margin and PnL are settled in (for a spot pair: the quote asset, in which
    /// prices, values and fees are paid).
    pub settle_asset: AssetId,
    /// Decimal places of one price unit (a mark price may be finer than the tick).
    pub price_decimals: u32,
    /// Decimal places of one quantity unit.
    pub qty_decimals: u32,
    /// Tick size in price units.
    pub tick: Price,
    /// Lot (step) size in quantity units.
    pub lot: Qty,
    /// Smallest order quantity, in quantity units.
    pub min_qty: Qty,
    /// Smallest order value in the settle asset (Binance's `MIN_NOTIONAL`); zero for none.
    pub min_notional: Cash,
    /// Linear: base units per quantity unit of 1 (e.g. `1`, or `0.01` BTC for an OKX contract).
    /// Inverse: quote currency per contract (e.g. `100` USD for Binance BTCUSD).
    pub contract_size: Decimal,
    /// Quantity units per contract of a size-based tier table (OKX counts its tiers in
    /// contracts of `ctVal` coins: 1,000 DOGE, 0.01 BTC). `None`: one quantity unit is one
    /// contract, as when quantities are the venue's own contracts.
    pub tier_contract: Option<Qty>,
    /// Maker and taker fees.
    pub fees: FeeSchedule,
}

impl InstrumentSpec {
    /// A linear perpetual with the common defaults: tick and lot of one unit, minimum quantity
    /// one lot, no minimum notional, contract size 1, fees 0.02% maker / 0.05% taker (Binance's
    /// base tier). Override fields with struct-update syntax.
    #[must_use]
    pub fn linear(symbol: &str, settle_asset: AssetId, price_decimals: u32, qty_decimals: u32) -> Self {
        Self {
            symbol: symbol.to_string(),
            kind: ContractKind::Linear,
            settle_asset,
            price_decimals,
            qty_decimals,
            tick: Price(1),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::ZERO,
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::from_bps(2), taker: Rate::from_bps(5) },
        }
    }
}

impl InstrumentSpec {
    /// An inverse (coin-margined) perpetual with the same defaults as [`InstrumentSpec::linear`]
    /// and `contract_size` quote units per contract (e.g. 100 USD for Binance BTCUSD).
    #[must_use]
    pub fn inverse(
        symbol: &str,
        settle_asset: AssetId,
        price_decimals: u32,
        qty_decimals: u32,
        contract_size: Decimal,
    ) -> Self {
        Self {
            kind: ContractKind::Inverse,
            contract_size,
            ..Self::linear(symbol, settle_asset, price_decimals, qty_decimals)
        }
    }
}

impl InstrumentSpec {
    /// A spot pair `base`/`quote` with the defaults of [`InstrumentSpec::linear`] (contract size
    /// 1, tick and lot of one unit, 0.02% / 0.05% fees). `qty_decimals` must be at most 8, so a
    /// quantity converts into base-asset cash units exactly.
    #[must_use]
    pub fn spot(symbol: &str, base: AssetId, quote: AssetId, price_decimals: u32, qty_decimals: u32) -> Self {
        Self {
            kind: ContractKind::Spot { base },
            ..Self::linear(symbol, quote, price_decimals, qty_decimals)
        }
    }
}

/// Why an [`InstrumentSpec`] was refused. Each variant names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    /// A field that must be strictly positive was not.
    #[error("{field} must be > 0 (got {value})")]
    NotPositive {
        /// The field.
        field: &'static str,
        /// Its value, as given.
        value: String,
    },
    /// A field that must be a whole multiple of another was not.
    #[error("{field} ({value}) must be a multiple of {of}")]
    NotMultiple {
        /// The field.
        field: &'static str,
        /// Its value.
        value: i64,
        /// What it must be a multiple of.
        of: &'static str,
    },
    /// The precisions cannot express one unit's value exactly in cash units.
    #[error(
        "contract_size {contract_size} at price_decimals {price_decimals} and qty_decimals \
         {qty_decimals} is not a whole number of 1e-{CASH_DECIMALS} cash units"
    )]
    Inexact {
        /// The contract size.
        contract_size: Decimal,
        /// Price precision.
        price_decimals: u32,
        /// Quantity precision.
        qty_decimals: u32,
    },
    /// Fees would let the venue pay out more in rebates than it earns from the taker.
    #[error("fees: maker rebate {maker} exceeds taker fee {taker}")]
    RebateExceedsTakerFee {
        /// Maker rate.
        maker: Rate,
        /// Taker rate.
        taker: Rate,
    },
    /// The symbol is empty.
    #[error("symbol must not be empty")]
    EmptySymbol,
    /// A spot pair's field that has no meaning or no exact form for spot trading.
    #[error("spot {field}: {reason}")]
    Spot {
        /// The field (`qty_decimals`, `contract_size`, `kind` or `fees`).
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// A validated contract specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    spec: InstrumentSpec,
    /// Linear: cash units per (price unit × quantity unit). Inverse: numerator factor `K` with
    /// value = qty × K / price.
    value_factor: i128,
}

impl Instrument {
    /// Validates a specification.
    ///
    /// # Errors
    /// [`InstrumentError`] naming the first field that is not valid: tick, lot, min_qty or
    /// contract_size not positive, min_qty not a multiple of lot, negative min_notional,
    /// precisions that cannot value one unit exactly, or a maker rebate larger than the taker fee.
    pub fn new(spec: InstrumentSpec) -> Result<Self, InstrumentError> {
        if spec.symbol.trim().is_empty() {
            return Err(InstrumentError::EmptySymbol);
        }
        let positive = |field, v: i64| {
            if v > 0 { Ok(()) } else { Err(InstrumentError::NotPositive { field, value: v.to_string() }) }
        };
        positive("tick", spec.tick.0)?;
        positive("lot", spec.lot.0)?;
        positive("min_qty", spec.min_qty.0)?;
        if spec.min_qty.0 % spec.lot.0 != 0 {
            return Err(InstrumentError::NotMultiple { field: "min_qty", value: spec.min_qty.0, of: "lot" });
        }
        if spec.min_notional.is_negative() {
            return Err(InstrumentError::NotPositive {
                field: "min_notional",
                value: spec.min_notional.to_string(),
            });
        }
        if spec.contract_size <= Decimal::ZERO {
            return Err(InstrumentError::NotPositive {
                field: "contract_size",
                value: spec.contract_size.to_string(),
            });
        }
        if let Some(c) = spec.tier_contract {
            positive("tier_contract", c.0)?;
        }
        if spec.fees.maker.0 < 0 && spec.fees.maker.0.saturating_neg() > spec.fees.taker.0 {
            return Err(InstrumentError::RebateExceedsTakerFee {
                maker: spec.fees.maker,
                taker: spec.fees.taker,
            });
        }
        if let ContractKind::Spot { base } = spec.kind {
            validate_spot(&spec, base)?;
        }
        let inexact = || InstrumentError::Inexact {
            contract_size: spec.contract_size,
            price_decimals: spec.price_decimals,
            qty_decimals: spec.qty_decimals,
        };
        // Exponent of ten that turns the contract-size mantissa into the value factor.
        let cs = spec.contract_size.normalize();
        let exp = i64::from(CASH_DECIMALS) - i64::from(cs.scale())
            + match spec.kind {
                ContractKind::Linear | ContractKind::Spot { .. } => -i64::from(spec.price_decimals),
                ContractKind::Inverse => i64::from(spec.price_decimals),
            }
            - i64::from(spec.qty_decimals);
        let value_factor = scale_by_pow10(cs.mantissa(), exp).ok_or_else(inexact)?;
        if value_factor <= 0 {
            return Err(inexact());
        }
        Ok(Self { spec, value_factor })
    }

    /// The validated specification.
    #[must_use]
    pub fn spec(&self) -> &InstrumentSpec {
        &self.spec
    }

    /// Linear, inverse or spot.
    #[must_use]
    pub fn kind(&self) -> ContractKind {
        self.spec.kind
    }

    /// The base asset of a spot pair; `None` for a perpetual.
    #[must_use]
    pub fn base_asset(&self) -> Option<AssetId> {
        match self.spec.kind {
            ContractKind::Spot { base } => Some(base),
            ContractKind::Linear | ContractKind::Inverse => None,
        }
    }

    /// Whether this is a spot pair.
    #[must_use]
    pub fn is_spot(&self) -> bool {
        self.base_asset().is_some()
    }

    /// `|qty|` of a spot pair as an amount of its base asset in cash units (10^-8):
    /// `|qty| × 10^(8 − qty_decimals)`, exact because construction checked `qty_decimals ≤ 8`.
    ///
    /// # Errors
    /// [`Overflow`] if the amount does not fit, or the instrument is not a spot pair.
    pub fn base_amount(&self, qty: Qty) -> Result<Cash, Overflow> {
        if !self.is_spot() {
            return Err(Overflow);
        }
        let scale = crate::num::pow10(CASH_DECIMALS - self.spec.qty_decimals)?;
        qty.0.unsigned_abs().try_into().ok().and_then(|q: i64| q.checked_mul(scale)).map(Cash).ok_or(Overflow)
    }

    /// The settle asset.
    #[must_use]
    pub fn settle_asset(&self) -> AssetId {
        self.spec.settle_asset
    }

    /// Value of `|qty|` at `price` in the settle asset: the notional for linear contracts, the
    /// coin value for inverse ones. Exact for linear; `round` applies to inverse only.
    ///
    /// # Errors
    /// [`Overflow`] if the value does not fit, or `price <= 0` for an inverse contract.
    #[inline]
    pub fn value(&self, price: Price, qty: Qty, round: Round) -> Result<Cash, Overflow> {
        let q = i128::from(qty.0.unsigned_abs());
        match self.spec.kind {
            ContractKind::Linear | ContractKind::Spot { .. } => {
                let v = i128::from(price.0) * q * self.value_factor;
                i64::try_from(v).map(Cash).map_err(|_| Overflow)
            }
            ContractKind::Inverse => {
                if price.0 <= 0 {
                    return Err(Overflow);
                }
                div_i128(q * self.value_factor, i128::from(price.0), round).map(Cash)
            }
        }
    }

    /// The exact factor behind [`Instrument::value`], in `i128`: for a linear contract the cash
    /// units per (price unit × quantity unit), so `value = price × |qty| × factor`; for an
    /// inverse one the numerator, so `value = |qty| × factor / price`. For exact rational
    /// arithmetic (liquidation prices) where `value` would have to round or overflow `i64`.
    #[inline]
    #[must_use]
    pub fn value_factor(&self) -> i128 {
        self.value_factor
    }

    /// `+1` if a long position gains when its value rises (linear; spot, which holds no
    /// positions, is valued the same way), `-1` if it gains when its coin value falls (inverse:
    /// a long gains as the price rises and `qty/price` shrinks).
    #[inline]
    #[must_use]
    pub fn pnl_sign(&self) -> i64 {
        match self.spec.kind {
            ContractKind::Linear | ContractKind::Spot { .. } => 1,
            ContractKind::Inverse => -1,
        }
    }

    /// The price at which `|qty|` is worth `value` (average entry price from a cost basis).
    ///
    /// # Errors
    /// [`Overflow`] if `qty` or `value` is zero where a division by it is needed, or the price
    /// does not fit.
    pub fn price_for_value(&self, value: Cash, qty: Qty, round: Round) -> Result<Price, Overflow> {
        let q = i128::from(qty.0.unsigned_abs());
        match self.spec.kind {
            ContractKind::Linear | ContractKind::Spot { .. } => {
                div_i128(i128::from(value.0), q * self.value_factor, round)
            }
            ContractKind::Inverse => div_i128(q * self.value_factor, i128::from(value.0), round),
        }
        .map(Price)
    }

    /// Fee on a trade of `value`, at `rate`, rounded up: in the venue's favour whether it is a
    /// charge (positive) or a rebate (negative, so the rebate is rounded toward zero).
    ///
    /// # Errors
    /// [`Overflow`] if the fee does not fit.
    #[inline]
    pub fn fee(&self, value: Cash, rate: Rate) -> Result<Cash, Overflow> {
        value.mul_rate(rate, Round::Ceil)
    }

    /// Whether `price` lies on the tick grid.
    #[must_use]
    pub fn on_tick(&self, price: Price) -> bool {
        price.0 % self.spec.tick.0 == 0
    }

    /// Whether `qty` is a whole number of lots.
    #[must_use]
    pub fn on_lot(&self, qty: Qty) -> bool {
        qty.0 % self.spec.lot.0 == 0
    }
}

/// The checks only a spot pair needs: its quantity must convert into base cash units exactly,
/// it has no contract multiplier, it trades two different assets, and no fee may exceed the
/// traded value (a seller pays its fee out of the proceeds, so it can never go negative).
fn validate_spot(spec: &InstrumentSpec, base: AssetId) -> Result<(), InstrumentError> {
    let err = |field, reason| Err(InstrumentError::Spot { field, reason });
    if spec.qty_decimals > CASH_DECIMALS {
        return err("qty_decimals", "must be at most 8 (base amounts are held in 1e-8 units)");
    }
    if spec.contract_size != Decimal::ONE {
        return err("contract_size", "must be 1 for a spot pair");
    }
    if base == spec.settle_asset {
        return err("kind", "the base asset must differ from the quote (settle) asset");
    }
    if spec.fees.maker > Rate::ONE || spec.fees.taker > Rate::ONE {
        return err("fees", "a spot fee rate must be at most 100%");
    }
    Ok(())
}

/// `m × 10^exp` when it is a whole number that fits, else `None`.
fn scale_by_pow10(m: i128, exp: i64) -> Option<i128> {
    let p = 10_i128.checked_pow(u32::try_from(exp.unsigned_abs()).ok()?)?;
    if exp >= 0 { m.checked_mul(p) } else { (m % p == 0).then(|| m / p) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    pub(crate) fn btcusdt() -> InstrumentSpec {
        InstrumentSpec {
            symbol: "BTCUSDT".into(),
            kind: ContractKind::Linear,
            settle_asset: AssetId(0),
            price_decimals: 1,
            qty_decimals: 3,
            tick: Price(1),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::units(100).unwrap(),
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::from_bps(2), taker: Rate::from_bps(5) },
        }
    }

    #[test]
    fn linear_value_is_exact() {
        let i = Instrument::new(btcusdt()).unwrap();
        // 0.5 BTC at 110,000.0 USDT = 55,000 USDT.
        let v = i.value(Price(1_100_000), Qty(500), Round::Floor).unwrap();
        assert_eq!(v.to_string(), "55000");
        // Taker fee 0.05% of 55,000 = 27.5 USDT.
        assert_eq!(i.fee(v, i.spec().fees.taker).unwrap().to_string(), "27.5");
        assert_eq!(i.price_for_value(v, Qty(500), Round::Floor), Ok(Price(1_100_000)));
    }

    #[test]
    fn inverse_value_matches_binance_coin_m_example() {
        // Binance COIN-M FAQ (venue-mechanics §9 BIN-7): 100 BTCUSD contracts of 100 USD at mark
        // 25,000 are worth 0.4 BTC.
        let spec = InstrumentSpec {
            symbol: "BTCUSD_PERP".into(),
            kind: ContractKind::Inverse,
            settle_asset: AssetId(1),
            price_decimals: 1,
            qty_decimals: 0,
            tick: Price(1),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::ZERO,
            contract_size: Decimal::from(100),
            tier_contract: None,
            fees: FeeSchedule { maker: Rate::from_bps(1), taker: Rate::from_bps(5) },
        };
        let i = Instrument::new(spec).unwrap();
        let v = i.value(Price(250_000), Qty(100), Round::Floor).unwrap();
        assert_eq!(v, Cash::from_str("0.4").unwrap());
        // Maintenance margin at 0.4% of that value = 0.0016 BTC.
        assert_eq!(v.mul_rate(Rate::parse("0.004").unwrap(), Round::Ceil).unwrap().to_string(), "0.0016");
        // 1 contract at 30,000.1 does not divide evenly: floor and ceil differ by one satoshi.
        let lo = i.value(Price(300_001), Qty(1), Round::Floor).unwrap();
        let hi = i.value(Price(300_001), Qty(1), Round::Ceil).unwrap();
        assert_eq!(hi.0 - lo.0, 1);
    }

    #[test]
    fn bad_specs_name_the_field() {
        let mut s = btcusdt();
        s.tick = Price(0);
        assert!(matches!(Instrument::new(s), Err(InstrumentError::NotPositive { field: "tick", .. })));
        let mut s = btcusdt();
        s.lot = Qty(-1);
        assert!(matches!(Instrument::new(s), Err(InstrumentError::NotPositive { field: "lot", .. })));
        let mut s = btcusdt();
        s.lot = Qty(10);
        s.min_qty = Qty(15);
        assert!(matches!(Instrument::new(s), Err(InstrumentError::NotMultiple { field: "min_qty", .. })));
        let mut s = btcusdt();
        s.price_decimals = 6;
        s.qty_decimals = 4;
        assert!(matches!(Instrument::new(s), Err(InstrumentError::Inexact { .. })));
        let mut s = btcusdt();
        s.fees = FeeSchedule { maker: Rate::from_bps(-6), taker: Rate::from_bps(5) };
        assert!(matches!(Instrument::new(s), Err(InstrumentError::RebateExceedsTakerFee { .. })));
        let mut s = btcusdt();
        s.contract_size = Decimal::ZERO;
        assert!(matches!(
            Instrument::new(s),
            Err(InstrumentError::NotPositive { field: "contract_size", .. })
        ));
    }
}
