//! Tiered margin tables ("brackets", "risk limits", "position tiers", "margin tiers").
//!
//! A [`RiskTiers`] is a validated list of tiers, each starting at a floor of notional value (in
//! the settle asset) or of position size (contracts), with a maintenance-margin rate (MMR), an
//! initial-margin rate (IMR) / maximum leverage, and a maintenance amount (Binance's "cum",
//! Bybit's "MM deduction", Hyperliquid's "deduction"):
//!
//! `MM = notional × MMR(tier) − maintenance_amount(tier)`, never below zero (§1.1, §2.1, §5.1).
//!
//! When a table does not state maintenance amounts they are derived with Binance's formula
//! `cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}` (§1.1), which makes MM continuous in the
//! notional. Venues that apply the tier's rate to the whole position (BitMEX risk limits, OKX
//! position tiers) state a maintenance amount of zero instead.
//!
//! This module never panics on input: construction validates, and lookups on a validated table
//! cannot fail except by arithmetic overflow, which is returned.

use std::fmt;
use std::str::FromStr;

use crate::instrument::Instrument;
use crate::num::{
    CASH_DECIMALS, Cash, Overflow, ParseError, Price, Qty, RATE_DECIMALS, RATE_ONE, Rate, Round, div_i128,
    format_scaled, parse_scaled, pow10,
};

/// Decimal places of a size floor and of [`Exposure::size`]: sizes are counted in 10^-8
/// contracts (or base units), whatever the instrument's quantity precision.
pub const SIZE_DECIMALS: u32 = 8;

/// Leverage as a ratio in parts per 10^[`RATE_DECIMALS`]: `Leverage(125 × RATE_ONE)` is 125x.
/// Fractional leverages exist (OKX 66.66x, Bybit 57.14x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Leverage(pub i64);

impl Leverage {
    /// A whole-number leverage (`Leverage::from_int(20)` is 20x).
    ///
    /// # Errors
    /// [`Overflow`] beyond about 9.2e10x.
    pub fn from_int(n: i64) -> Result<Self, Overflow> {
        n.checked_mul(RATE_ONE).map(Self).ok_or(Overflow)
    }

    /// Parses a decimal leverage (`"66.66"`).
    ///
    /// # Errors
    /// See [`parse_scaled`].
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        parse_scaled(s, RATE_DECIMALS).map(Self)
    }

    /// The initial-margin rate `1 / leverage`, rounded up (the venue's favour).
    ///
    /// # Errors
    /// [`Overflow`] if the leverage is not positive.
    pub fn to_imr(self) -> Result<Rate, Overflow> {
        if self.0 <= 0 {
            return Err(Overflow);
        }
        div_i128(i128::from(RATE_ONE) * i128::from(RATE_ONE), i128::from(self.0), Round::Ceil).map(Rate)
    }

    /// The largest leverage `1 / imr`, rounded down (the venue's favour).
    ///
    /// # Errors
    /// [`Overflow`] if the rate is not positive.
    pub fn from_imr(imr: Rate) -> Result<Self, Overflow> {
        if imr.0 <= 0 {
            return Err(Overflow);
        }
        div_i128(i128::from(RATE_ONE) * i128::from(RATE_ONE), i128::from(imr.0), Round::Floor).map(Self)
    }
}

impl FromStr for Leverage {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}

impl fmt::Display for Leverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, RATE_DECIMALS))
    }
}

/// What a table's floors measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierBasis {
    /// Position value in the settle asset (Binance, Bybit, BitMEX, Hyperliquid): floors are
    /// [`Cash`] raw units.
    Notional,
    /// Position size in contracts (OKX position tiers): floors are 10^-[`SIZE_DECIMALS`]
    /// contracts.
    Size,
}

/// One tier as a caller specifies it; [`RiskTiers::new`] validates and completes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierSpec {
    /// Where the tier starts (inclusive), in the table's [`TierBasis`] units. The first is 0.
    pub floor: i64,
    /// Maintenance-margin rate.
    pub mmr: Rate,
    /// Initial-margin rate; derived as `1 / max_leverage` (rounded up) when absent.
    pub imr: Option<Rate>,
    /// Maximum leverage; derived as `1 / imr` (rounded down) when absent.
    pub max_leverage: Option<Leverage>,
    /// Maintenance amount; derived with Binance's formula when absent on a notional table,
    /// zero when absent on a size table.
    pub maintenance_amount: Option<Cash>,
}

impl TierSpec {
    /// A tier from its floor, MMR and maximum leverage, other fields derived.
    #[must_use]
    pub const fn new(floor: i64, mmr: Rate, max_leverage: Leverage) -> Self {
        Self { floor, mmr, imr: None, max_leverage: Some(max_leverage), maintenance_amount: None }
    }

    /// The same tier with an explicit initial-margin rate.
    #[must_use]
    pub const fn with_imr(mut self, imr: Rate) -> Self {
        self.imr = Some(imr);
        self
    }

    /// The same tier with an explicit maintenance amount.
    #[must_use]
    pub const fn with_maintenance_amount(mut self, amount: Cash) -> Self {
        self.maintenance_amount = Some(amount);
        self
    }
}

/// A validated tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Inclusive floor in the table's basis units.
    pub floor: i64,
    /// Maintenance-margin rate.
    pub mmr: Rate,
    /// Initial-margin rate at maximum leverage.
    pub imr: Rate,
    /// Maximum leverage.
    pub max_leverage: Leverage,
    /// Maintenance amount subtracted from `notional × mmr`.
    pub maintenance_amount: Cash,
}

/// Why a table was refused. Each variant names the field and, where there is one, the tier
/// index (0-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TierError {
    /// No tiers at all.
    #[error("tiers: a table needs at least one tier")]
    Empty,
    /// The first tier must start at zero.
    #[error("tier 0: floor must be 0 (got {floor})")]
    FirstFloorNotZero {
        /// The floor given.
        floor: i64,
    },
    /// Floors must increase strictly.
    #[error("tier {index}: floor {floor} must be above the previous tier's floor {previous}")]
    FloorOutOfOrder {
        /// Tier index.
        index: usize,
        /// This tier's floor.
        floor: i64,
        /// The previous tier's floor.
        previous: i64,
    },
    /// A rate or leverage that must be strictly positive was not.
    #[error("tier {index}: {field} must be > 0 (got {value})")]
    NotPositive {
        /// Tier index.
        index: usize,
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A rate above 100%.
    #[error("tier {index}: {field} must be at most 1 (got {value})")]
    AboveOne {
        /// Tier index.
        index: usize,
        /// The field.
        field: &'static str,
        /// Its value.
        value: Rate,
    },
    /// The maintenance rate must be below the initial rate, or a position could be opened
    /// already liquidatable.
    #[error("tier {index}: mmr {mmr} must be below imr {imr}")]
    MmrNotBelowImr {
        /// Tier index.
        index: usize,
        /// The maintenance rate.
        mmr: Rate,
        /// The initial rate.
        imr: Rate,
    },
    /// Rates must not fall (nor maximum leverage rise) from one tier to the next.
    #[error("tier {index}: {field} must not be more lenient than the previous tier's")]
    NotMonotone {
        /// Tier index.
        index: usize,
        /// The field.
        field: &'static str,
    },
    /// Neither `imr` nor `max_leverage` was given.
    #[error("tier {index}: imr or max_leverage is required")]
    MissingImr {
        /// Tier index.
        index: usize,
    },
    /// A negative maintenance amount.
    #[error("tier {index}: maintenance_amount must be >= 0 (got {value})")]
    NegativeMaintenanceAmount {
        /// Tier index.
        index: usize,
        /// Its value.
        value: Cash,
    },
    /// Deriving a field overflowed.
    #[error("tier {index}: {field} overflows")]
    Overflow {
        /// Tier index.
        index: usize,
        /// The field.
        field: &'static str,
    },
}

impl TierError {
    /// The field the error is about.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Self::Empty => "tiers",
            Self::FirstFloorNotZero { .. } | Self::FloorOutOfOrder { .. } => "floor",
            Self::NotPositive { field, .. }
            | Self::AboveOne { field, .. }
            | Self::NotMonotone { field, .. }
            | Self::Overflow { field, .. } => field,
            Self::MmrNotBelowImr { .. } => "mmr",
            Self::MissingImr { .. } => "imr",
            Self::NegativeMaintenanceAmount { .. } => "maintenance_amount",
        }
    }

    /// The tier index the error is about, if any.
    #[must_use]
    pub fn index(&self) -> Option<usize> {
        match self {
            Self::Empty => None,
            Self::FirstFloorNotZero { .. } => Some(0),
            Self::FloorOutOfOrder { index, .. }
            | Self::NotPositive { index, .. }
            | Self::AboveOne { index, .. }
            | Self::MmrNotBelowImr { index, .. }
            | Self::NotMonotone { index, .. }
            | Self::MissingImr { index }
            | Self::NegativeMaintenanceAmount { index, .. }
            | Self::Overflow { index, .. } => Some(*index),
        }
    }
}

/// Binance's maintenance amount for a tier (§1.1, verified by §9 BIN-1 and BIN-8):
/// `cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}`, rounded down to a cash unit (a smaller
/// deduction: the venue's favour).
///
/// # Errors
/// [`Overflow`] if the result does not fit.
pub fn maintenance_amount(
    floor: Cash,
    mmr: Rate,
    previous_mmr: Rate,
    previous_amount: Cash,
) -> Result<Cash, Overflow> {
    let step = mmr.checked_sub(previous_mmr)?;
    floor.mul_rate(step, Round::Floor)?.checked_add(previous_amount)
}

/// What a position looks like to a tier table: its notional value and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exposure {
    /// Absolute position value in the settle asset.
    pub notional: Cash,
    /// Absolute size in 10^-[`SIZE_DECIMALS`] contracts (used by [`TierBasis::Size`] tables).
    pub size: i64,
}

impl Exposure {
    /// The exposure of `qty` of `instrument` valued at `price` (inverse values rounded up: the
    /// venue's favour when the notional sets a margin requirement).
    ///
    /// # Errors
    /// [`Overflow`] if a figure does not fit (or `price <= 0` on an inverse contract).
    pub fn of(instrument: &Instrument, qty: Qty, price: Price) -> Result<Self, Overflow> {
        Ok(Self { notional: instrument.value(price, qty, Round::Ceil)?, size: size_amount(instrument, qty)? })
    }

    /// An exposure known only by its notional (for notional-based tables).
    #[must_use]
    pub const fn notional(notional: Cash) -> Self {
        Self { notional, size: 0 }
    }
}

/// `|qty|` in 10^-[`SIZE_DECIMALS`] contracts (rounded up if the instrument is finer).
///
/// # Errors
/// [`Overflow`] if it does not fit.
pub fn size_amount(instrument: &Instrument, qty: Qty) -> Result<i64, Overflow> {
    let qd = instrument.spec().qty_decimals;
    let q = i128::from(qty.0.unsigned_abs());
    if let Some(c) = instrument.spec().tier_contract {
        // |qty| / contract, both in quantity units, at SIZE_DECIMALS places.
        let scaled = q.checked_mul(i128::from(pow10(SIZE_DECIMALS)?)).ok_or(Overflow)?;
        return div_i128(scaled, i128::from(c.0.max(1)), Round::Ceil);
    }
    if qd <= SIZE_DECIMALS {
        i64::try_from(q * i128::from(pow10(SIZE_DECIMALS - qd)?)).map_err(|_| Overflow)
    } else {
        div_i128(q, i128::from(pow10(qd - SIZE_DECIMALS)?), Round::Ceil)
    }
}

/// A validated tiered margin table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskTiers {
    basis: TierBasis,
    tiers: Vec<Tier>,
    /// [`RiskTiers::continuous`], answered once when the table is made: the liquidation index
    /// asks it at every re-index, and the answer costs a division per tier.
    continuity: Result<bool, TierError>,
}

impl RiskTiers {
    /// Validates and completes a table.
    ///
    /// # Errors
    /// [`TierError`] naming the tier and field: no tiers, a first floor other than 0, floors
    /// not strictly increasing, a non-positive MMR, IMR or leverage (e.g. leverage 0), a rate
    /// above 1, `mmr >= imr`, a rate that falls (or a maximum leverage that rises) from one tier
    /// to the next, neither IMR nor maximum leverage given, a negative maintenance amount.
    pub fn new(basis: TierBasis, specs: &[TierSpec]) -> Result<Self, TierError> {
        if specs.is_empty() {
            return Err(TierError::Empty);
        }
        let mut tiers: Vec<Tier> = Vec::with_capacity(specs.len());
        for (index, s) in specs.iter().enumerate() {
            let positive = |field: &'static str, v: i64| {
                if v > 0 {
                    Ok(())
                } else {
                    Err(TierError::NotPositive { index, field, value: format_scaled(v, RATE_DECIMALS) })
                }
            };
            if index == 0 && s.floor != 0 {
                return Err(TierError::FirstFloorNotZero { floor: s.floor });
            }
            if let Some(prev) = tiers.last() {
                if s.floor <= prev.floor {
                    return Err(TierError::FloorOutOfOrder { index, floor: s.floor, previous: prev.floor });
                }
            }
            positive("mmr", s.mmr.0)?;
            if let Some(l) = s.max_leverage {
                positive("max_leverage", l.0)?;
            }
            if let Some(r) = s.imr {
                positive("imr", r.0)?;
            }
            let overflow = |field| TierError::Overflow { index, field };
            let (imr, max_leverage) = match (s.imr, s.max_leverage) {
                (Some(r), Some(l)) => (r, l),
                (Some(r), None) => (r, Leverage::from_imr(r).map_err(|_| overflow("imr"))?),
                (None, Some(l)) => (l.to_imr().map_err(|_| overflow("max_leverage"))?, l),
                (None, None) => return Err(TierError::MissingImr { index }),
            };
            for (field, value) in [("mmr", s.mmr), ("imr", imr)] {
                if value.0 > RATE_ONE {
                    return Err(TierError::AboveOne { index, field, value });
                }
            }
            if s.mmr >= imr {
                return Err(TierError::MmrNotBelowImr { index, mmr: s.mmr, imr });
            }
            if let Some(prev) = tiers.last() {
                if s.mmr < prev.mmr {
                    return Err(TierError::NotMonotone { index, field: "mmr" });
                }
                if imr < prev.imr {
                    return Err(TierError::NotMonotone { index, field: "imr" });
                }
                if max_leverage > prev.max_leverage {
                    return Err(TierError::NotMonotone { index, field: "max_leverage" });
                }
            }
            let maintenance_amount = match (s.maintenance_amount, tiers.last(), basis) {
                (Some(a), _, _) => a,
                (None, Some(prev), TierBasis::Notional) => {
                    maintenance_amount(Cash(s.floor), s.mmr, prev.mmr, prev.maintenance_amount)
                        .map_err(|_| overflow("maintenance_amount"))?
                }
                (None, _, _) => Cash::ZERO,
            };
            if maintenance_amount.is_negative() {
                return Err(TierError::NegativeMaintenanceAmount { index, value: maintenance_amount });
            }
            tiers.push(Tier { floor: s.floor, mmr: s.mmr, imr, max_leverage, maintenance_amount });
        }
        let continuity = continuity(&tiers);
        Ok(Self { basis, tiers, continuity })
    }

    /// A one-tier table: flat rates, optional maintenance amount (e.g. a venue calculator's
    /// figures for one position, or dYdX/Drift per-market ratios).
    ///
    /// # Errors
    /// As [`RiskTiers::new`].
    pub fn flat(mmr: Rate, imr: Rate, maintenance_amount: Cash) -> Result<Self, TierError> {
        Self::new(
            TierBasis::Notional,
            &[TierSpec {
                floor: 0,
                mmr,
                imr: Some(imr),
                max_leverage: None,
                maintenance_amount: Some(maintenance_amount),
            }],
        )
    }

    /// What the floors measure.
    #[must_use]
    pub fn basis(&self) -> TierBasis {
        self.basis
    }

    /// The tiers, lowest first.
    #[must_use]
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The amount of `exposure` this table tiers on.
    #[must_use]
    pub fn amount(&self, exposure: &Exposure) -> i64 {
        match self.basis {
            TierBasis::Notional => exposure.notional.0,
            TierBasis::Size => exposure.size,
        }
    }

    /// Whether the maintenance margin `notional × MMR − amount` is continuous at every tier
    /// floor (as Binance's maintenance amounts make it), so that it never jumps as a position
    /// crosses into the next tier. Risk-limit tables without amounts (BitMEX) are not.
    ///
    /// # Errors
    /// [`TierError::Overflow`] naming the tier whose maintenance at its floor (or the gap to
    /// the previous tier's) does not fit in `i64`: the question has no answer there, and a
    /// wrapped difference could call a jumping table continuous.
    pub fn continuous(&self) -> Result<bool, TierError> {
        self.continuity.clone()
    }

    /// Index of the tier holding `amount` (basis units; floors are inclusive). Monotone:
    /// a larger amount never maps to a lower tier.
    #[must_use]
    pub fn index_for(&self, amount: i64) -> usize {
        // The first floor is 0, so for amount >= 0 at least one floor is <= amount.
        self.tiers.partition_point(|t| t.floor <= amount).saturating_sub(1)
    }

    /// The tier that applies to `exposure`.
    #[must_use]
    pub fn tier(&self, exposure: &Exposure) -> &Tier {
        &self.tiers[self.index_for(self.amount(exposure))]
    }

    /// `notional × MMR − maintenance amount` for the tier of `exposure`, with the product
    /// rounded up (the venue's favour) and the result never below zero.
    ///
    /// # Errors
    /// [`Overflow`] if the product does not fit.
    pub fn maintenance_margin(&self, exposure: &Exposure) -> Result<Cash, Overflow> {
        let t = self.tier(exposure);
        let mm = exposure.notional.abs().mul_rate(t.mmr, Round::Ceil)?.checked_sub(t.maintenance_amount)?;
        Ok(if mm.is_negative() { Cash::ZERO } else { mm })
    }

    /// Initial margin of `exposure`: `notional / leverage` when a leverage is chosen (it must be
    /// positive and at most the tier's maximum), else `notional × IMR` at the tier's maximum
    /// leverage. Rounded up.
    ///
    /// # Errors
    /// [`LeverageError`] for a non-positive leverage or one above the tier's maximum, or on
    /// overflow.
    pub fn initial_margin(
        &self,
        exposure: &Exposure,
        leverage: Option<Leverage>,
    ) -> Result<Cash, LeverageError> {
        let t = self.tier(exposure);
        let n = exposure.notional.abs();
        match leverage {
            None => Ok(n.mul_rate(t.imr, Round::Ceil)?),
            Some(l) if l.0 <= 0 => Err(LeverageError::NotPositive(l)),
            Some(l) if l > t.max_leverage => {
                Err(LeverageError::AboveMax { leverage: l, max: t.max_leverage })
            }
            Some(l) => Ok(n.mul_div(RATE_ONE, l.0, Round::Ceil)?),
        }
    }

    /// The maximum leverage allowed at `exposure`.
    #[must_use]
    pub fn max_leverage(&self, exposure: &Exposure) -> Leverage {
        self.tier(exposure).max_leverage
    }
}

/// Why a leverage was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LeverageError {
    /// Zero or negative leverage.
    #[error("leverage must be > 0 (got {0})")]
    NotPositive(Leverage),
    /// More than the tier allows.
    #[error("leverage {leverage} exceeds the maximum {max} for this position size")]
    AboveMax {
        /// The leverage asked for.
        leverage: Leverage,
        /// The tier's maximum.
        max: Leverage,
    },
    /// Arithmetic overflow.
    #[error("arithmetic overflow")]
    Overflow,
}

impl From<Overflow> for LeverageError {
    fn from(_: Overflow) -> Self {
        Self::Overflow
    }
}

/// Cash units per whole unit of the settle asset, for writing floors in tables.
pub(crate) const CASH_ONE: i64 = 10_i64.pow(CASH_DECIMALS);

/// [`RiskTiers::continuous`] of `tiers`.
fn continuity(tiers: &[Tier]) -> Result<bool, TierError> {
    for (k, w) in tiers.windows(2).enumerate() {
        let index = k + 1;
        let at = |t: &Tier| {
            Cash(w[1].floor)
                .mul_rate(t.mmr, Round::Floor)
                .and_then(|m| m.checked_sub(t.maintenance_amount))
                .map_err(|_| TierError::Overflow { index, field: "maintenance_amount" })
        };
        let (below, above) = (at(&w[0])?, at(&w[1])?);
        let gap = below
            .0
            .checked_sub(above.0)
            .and_then(i64::checked_abs)
            .ok_or(TierError::Overflow { index, field: "maintenance_amount" })?;
        if gap > 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        Rate::parse(s).unwrap()
    }

    fn lev(n: i64) -> Leverage {
        Leverage::from_int(n).unwrap()
    }

    #[test]
    fn continuity_check_names_an_overflowing_gap() {
        // Tier 0 with a huge maintenance amount: at tier 1's floor F = 4.6e18 raw, tier 0's
        // MM is F × 1% − (2^63 − 1) ≈ −9.18e18 and tier 1's F × 100% = 4.6e18; their gap,
        // ≈ 1.4e19, does not fit in i64. It used to wrap (or panic in `abs`).
        let f = 4_600_000_000_000_000_000;
        let t = |floor, mmr: &str, amount| TierSpec {
            floor,
            mmr: rate(mmr),
            imr: Some(rate("1")),
            max_leverage: None,
            maintenance_amount: Some(Cash(amount)),
        };
        let tiers = RiskTiers::new(TierBasis::Notional, &[t(0, "0.01", i64::MAX), t(f, "0.99", 0)]).unwrap();
        assert_eq!(tiers.continuous(), Err(TierError::Overflow { index: 1, field: "maintenance_amount" }));
        // A Binance-style table is continuous; a BitMEX-style one jumps.
        let flat = RiskTiers::flat(rate("0.005"), rate("0.01"), Cash::ZERO).unwrap();
        assert_eq!(flat.continuous(), Ok(true));
        let jump = RiskTiers::new(TierBasis::Notional, &[t(0, "0.005", 0), t(1_000, "0.01", 0)]).unwrap();
        assert_eq!(jump.continuous(), Ok(false));
    }

    #[test]
    fn leverage_and_imr_convert_in_the_venues_favour() {
        assert_eq!(lev(125).to_imr(), Ok(rate("0.008")));
        assert_eq!(lev(3).to_imr(), Ok(Rate(33_333_334)));
        assert_eq!(Leverage::from_imr(rate("0.0175")), Ok(Leverage(5_714_285_714)));
        assert_eq!(Leverage(0).to_imr(), Err(Overflow));
        assert_eq!(Leverage::parse("66.66").unwrap().to_string(), "66.66");
    }

    #[test]
    fn bad_tables_name_tier_and_field() {
        let ok = TierSpec::new(0, rate("0.004"), lev(125));
        assert_eq!(RiskTiers::new(TierBasis::Notional, &[]), Err(TierError::Empty));
        let e = RiskTiers::new(TierBasis::Notional, &[TierSpec { floor: 5, ..ok }]).unwrap_err();
        assert_eq!((e.index(), e.field()), (Some(0), "floor"));
        let e = RiskTiers::new(TierBasis::Notional, &[ok, TierSpec { floor: 0, ..ok }]).unwrap_err();
        assert!(matches!(e, TierError::FloorOutOfOrder { index: 1, .. }));
        let e = RiskTiers::new(TierBasis::Notional, &[ok, TierSpec::new(100, rate("0.005"), Leverage(0))])
            .unwrap_err();
        assert_eq!((e.index(), e.field()), (Some(1), "max_leverage"));
        let e = RiskTiers::new(TierBasis::Notional, &[TierSpec::new(0, rate("0.01"), lev(100))]).unwrap_err();
        assert!(matches!(e, TierError::MmrNotBelowImr { index: 0, .. }));
        let e = RiskTiers::new(TierBasis::Notional, &[ok, TierSpec::new(100, rate("0.003"), lev(100))])
            .unwrap_err();
        assert_eq!((e.index(), e.field()), (Some(1), "mmr"));
        let e = RiskTiers::new(TierBasis::Notional, &[ok, TierSpec::new(100, rate("0.005"), lev(150))])
            .unwrap_err();
        assert_eq!(e.field(), "imr");
        let e = RiskTiers::new(TierBasis::Notional, &[TierSpec { imr: None, max_leverage: None, ..ok }])
            .unwrap_err();
        assert_eq!(e, TierError::MissingImr { index: 0 });
        let e = RiskTiers::new(TierBasis::Notional, &[TierSpec { mmr: Rate(0), ..ok }]).unwrap_err();
        assert_eq!(e.field(), "mmr");
    }

    #[test]
    fn lookup_uses_inclusive_floors() {
        let t = RiskTiers::new(
            TierBasis::Notional,
            &[
                TierSpec::new(0, rate("0.004"), lev(125)),
                TierSpec::new(50_000 * CASH_ONE, rate("0.005"), lev(100)),
            ],
        )
        .unwrap();
        assert_eq!(t.index_for(0), 0);
        assert_eq!(t.index_for(50_000 * CASH_ONE - 1), 0);
        assert_eq!(t.index_for(50_000 * CASH_ONE), 1);
        assert_eq!(t.index_for(-5), 0);
        // Continuous at the boundary thanks to the derived amount (50).
        let below = t.maintenance_margin(&Exposure::notional(Cash(50_000 * CASH_ONE - 1))).unwrap();
        let at = t.maintenance_margin(&Exposure::notional(Cash(50_000 * CASH_ONE))).unwrap();
        assert_eq!(at, Cash(200 * CASH_ONE));
        assert!(at.0 - below.0 <= 1);
    }

    #[test]
    fn initial_margin_checks_leverage() {
        let t = RiskTiers::flat(rate("0.005"), rate("0.01"), Cash::ZERO).unwrap();
        let e = Exposure::notional(Cash(20_000 * CASH_ONE));
        assert_eq!(t.initial_margin(&e, Some(lev(50))), Ok(Cash(400 * CASH_ONE)));
        assert_eq!(t.initial_margin(&e, None), Ok(Cash(200 * CASH_ONE)));
        assert!(matches!(t.initial_margin(&e, Some(Leverage(0))), Err(LeverageError::NotPositive(_))));
        assert!(matches!(t.initial_margin(&e, Some(lev(101))), Err(LeverageError::AboveMax { .. })));
    }
}
