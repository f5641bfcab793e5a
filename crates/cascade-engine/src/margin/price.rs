//! Equity, margin requirements, margin ratio, liquidation price and bankruptcy price.
//!
//! Pure functions over plain values, for linear and inverse contracts, isolated and cross
//! margin (one-way mode). They never mutate, never panic on input, and never use floats: every
//! figure is exact integer or rational arithmetic in `i128`, rounded only where a result is
//! returned, in the direction documented on each function.
//!
//! # The model (venue-mechanics §0, §1.3, §2.3, §3.3, §5.3)
//!
//! A position of signed size `q` (long > 0) entered at `EP` is worth `V(P)` at price `P`:
//! `V = P·u` for a linear contract and `V = u/P` for an inverse one, where `u` is the value of
//! `|q|` at one price unit (linear) or its face value (inverse). Its unrealized PnL is
//! `side × (V(P) − V(EP))` (linear) or `side × (V(EP) − V(P))` (inverse, in coin).
//!
//! The **collateral** `B` of a position is what backs it apart from its own PnL:
//! * isolated: the position's isolated margin (Binance's isolated wallet balance);
//! * cross: the wallet balance plus the other positions' unrealized PnL minus their
//!   maintenance margin, all held at their mark prices (Binance's `WB − TMM1 + UPNL1`, §1.3).
//!
//! The position is **liquidatable** at price `P` when `B + PnL(P) ≤ MM(P)`, with
//! `MM = max(0, N × MMR − cum)` (Binance: margin ratio `MM / margin balance ≥ 100%`; Bybit and
//! BitMEX: the mark price *reaches* the liquidation price). [`MaintenanceBasis`] says whether the
//! venue evaluates `MM` at the price itself with the tier of that notional (Binance,
//! Hyperliquid, OKX, dYdX, Drift) or fixes it at the entry value (Bybit and BitMEX calculators:
//! `LP = EP ∓ (IM − MM)/size`, §2.3).
//!
//! # Rounding of prices
//!
//! Prices are integers of the instrument's price unit, so a threshold is a set of price units:
//! * the **liquidation price** of a long is the *highest* price at which it is liquidatable
//!   (it is liquidated when the mark falls to or below it); of a short, the *lowest*. This is
//!   the exact rational solution rounded away from the entry price, and it reproduces the
//!   liquidation predicate exactly: `mark ≤ LP ⇔ liquidatable` for a long.
//! * the **bankruptcy price** of a long is the *lowest* price at which its equity is ≥ 0
//!   (rounded up, toward the entry); of a short, the *highest* (rounded down). Closing there
//!   never leaves the venue with a deficit from rounding.
//!
//! Hyperliquid's isolated formula `liq = price − side × margin_available / size / (1 − l × side)`
//! with `l = 1/(2·maxLev)` and `margin_available = margin − l × size × price` (§5.3) is this
//! same solve with `MMR = l` and no maintenance amount (§9 HL-1..4); Binance's one-way formula
//! `LP = (WB − TMM1 + UPNL1 + cum − side·|q|·EP) / (|q|·MMR − side·|q|)` (§1.3) is it with
//! `B = WB − TMM1 + UPNL1`.
//!
//! # Fee to close (Bybit §2.3, OKX §3.3)
//!
//! Some venues reserve the fee of closing the position inside its requirements: Bybit's UTA
//! adds the estimated fee to close to IM/MM, and its inverse bankruptcy price
//! `BP = 1.00075 × Qty / (Qty/EP + Balance)` embeds the 0.075% taker fee (§9 BYB-4); OKX's
//! margin ratio has maintenance *plus* the liquidation fee in its denominator. The `_with_fee`
//! functions take that rate `f` (0 ≤ f < 1) and solve
//! `B + PnL(P) ≤ max(0, MM(P)) + f × V(P)` for the liquidation price and
//! `B + PnL(P) − f × V(P) = 0` for the bankruptcy price: the fee is valued at the price solved
//! for, which at the bankruptcy price is exactly the venues' formula. A zero fee gives the plain
//! functions' results exactly.
//!
//! With tiered tables the liquidation price is solved tier by tier and the tier whose notional
//! range contains the solution is kept (Binance's "recompute with the bracket of the LP
//! notional", §1.3). `None` means the position is never liquidatable (bankrupt) at a positive
//! price — venues show "--".

use crate::instrument::{ContractKind, Instrument};
use crate::num::{Cash, Overflow, Price, Qty, RATE_ONE, Rate, Round, div_i128};

use super::tiers::{Exposure, Leverage, LeverageError, RiskTiers, TierBasis};

/// Which value the maintenance margin of a position is computed on when solving for the
/// liquidation price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceBasis {
    /// At the price itself, with the tier of the notional there (Binance §1.3, Hyperliquid
    /// §5.3, OKX §3.3, dYdX §6.1, Drift §7.1).
    Mark,
    /// Fixed at the entry value (Bybit §2.3 `LP = EP − (IM − MM)/size`; BitMEX).
    Entry,
}

/// How a venue states its margin ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginRatioKind {
    /// `MM / equity`; liquidation at ≥ 100% (Binance §1.3, Bybit UTA "MM rate" §2.3).
    MaintenanceOverEquity,
    /// `equity / MM`; liquidation at ≤ 100% (OKX §3.3, without its fee term).
    EquityOverMaintenance,
}

/// Why a margin figure could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarginError {
    /// A price or quantity that must be strictly positive was not.
    #[error("{field} must be > 0 (got {value})")]
    NotPositive {
        /// The field.
        field: &'static str,
        /// Its raw value.
        value: i64,
    },
    /// The position is flat: it has no liquidation or bankruptcy price.
    #[error("qty must not be zero")]
    FlatPosition,
    /// A leverage was refused.
    #[error(transparent)]
    Leverage(#[from] LeverageError),
    /// A position index out of range.
    #[error("no position at index {0}")]
    NoSuchPosition(usize),
    /// A fee-to-close rate outside `[0, 1)`.
    #[error("close_fee must be >= 0 and < 1 (got {0})")]
    CloseFee(Rate),
    /// Arithmetic overflow.
    #[error("arithmetic overflow")]
    Overflow,
}

/// Checks a fee-to-close rate: a negative one would make liquidation *less* likely the larger
/// the position, and 100% or more leaves no price at which closing pays the fee.
fn check_close_fee(close_fee: Rate) -> Result<i64, MarginError> {
    if close_fee.0 < 0 || close_fee.0 >= RATE_ONE {
        return Err(MarginError::CloseFee(close_fee));
    }
    Ok(close_fee.0)
}

impl From<Overflow> for MarginError {
    fn from(_: Overflow) -> Self {
        Self::Overflow
    }
}

/// One position, as the margin functions see it.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    /// The contract.
    pub instrument: &'a Instrument,
    /// The margin table that applies to it.
    pub tiers: &'a RiskTiers,
    /// Signed size in quantity units: long > 0.
    pub qty: Qty,
    /// Average entry price.
    pub entry_price: Price,
    /// Mark price.
    pub mark_price: Price,
}

impl Position<'_> {
    /// Checks that the position is open and its prices positive.
    ///
    /// # Errors
    /// [`MarginError::FlatPosition`] or [`MarginError::NotPositive`] naming `entry_price` or
    /// `mark_price`.
    pub fn validate(&self) -> Result<(), MarginError> {
        if self.qty.is_zero() {
            return Err(MarginError::FlatPosition);
        }
        for (field, p) in [("entry_price", self.entry_price), ("mark_price", self.mark_price)] {
            if p.0 <= 0 {
                return Err(MarginError::NotPositive { field, value: p.0 });
            }
        }
        Ok(())
    }

    /// `+1` long, `−1` short.
    #[must_use]
    pub fn side(&self) -> i64 {
        self.qty.signum()
    }

    /// `u`: the exact value of `|qty|` at one price unit (linear) or its face value in coin
    /// price units (inverse), in cash units. `value(P) = P·u` or `u/P`.
    fn unit_value(&self) -> Result<i128, MarginError> {
        Ok(mul(i128::from(self.qty.0.unsigned_abs()), self.instrument.value_factor())?)
    }

    /// Position value at `price` (inverse rounded up).
    ///
    /// # Errors
    /// [`MarginError::Overflow`], or `price <= 0` on an inverse contract.
    pub fn notional(&self, price: Price) -> Result<Cash, MarginError> {
        Ok(self.instrument.value(price, self.qty, Round::Ceil)?)
    }

    /// The tier-table view of the position at `price`.
    ///
    /// # Errors
    /// As [`Position::notional`].
    pub fn exposure(&self, price: Price) -> Result<Exposure, MarginError> {
        Ok(Exposure::of(self.instrument, self.qty, price)?)
    }

    /// Unrealized PnL at `price`, in the settle asset: exact for linear contracts, rounded
    /// down (against the trader) for inverse ones.
    ///
    /// # Errors
    /// [`MarginError::NotPositive`] for a non-positive price, or overflow.
    pub fn unrealized_pnl(&self, price: Price) -> Result<Cash, MarginError> {
        self.validate()?;
        if price.0 <= 0 {
            return Err(MarginError::NotPositive { field: "price", value: price.0 });
        }
        let u = self.unit_value()?;
        let side = i128::from(self.side());
        let (p, e) = (i128::from(price.0), i128::from(self.entry_price.0));
        let pnl = match self.instrument.kind() {
            ContractKind::Linear | ContractKind::Spot { .. } => {
                i64::try_from(mul(mul(side, u)?, p - e)?).map_err(|_| Overflow)?
            }
            ContractKind::Inverse => {
                let n = mul(mul(side, u)?, p - e)?;
                div_i128(n, mul(p, e)?, Round::Floor)?
            }
        };
        Ok(Cash(pnl))
    }

    /// The price at which the maintenance margin is assessed under `basis` outside a
    /// liquidation-price solve: the mark, or the entry.
    fn mm_price(&self, basis: MaintenanceBasis) -> Price {
        match basis {
            MaintenanceBasis::Mark => self.mark_price,
            MaintenanceBasis::Entry => self.entry_price,
        }
    }

    /// Maintenance margin: `max(0, N × MMR − cum)` with `N` at the mark (or at the entry under
    /// [`MaintenanceBasis::Entry`]), rounded up.
    ///
    /// # Errors
    /// Invalid position or overflow.
    pub fn maintenance_margin(&self, basis: MaintenanceBasis) -> Result<Cash, MarginError> {
        self.validate()?;
        let e = self.exposure(self.mm_price(basis))?;
        Ok(self.tiers.maintenance_margin(&e)?)
    }

    /// Initial margin at the chosen `leverage` (`N / leverage`), or at the tier's maximum
    /// leverage when `None` (`N × IMR`), with `N` at the mark (or entry under
    /// [`MaintenanceBasis::Entry`]), rounded up.
    ///
    /// # Errors
    /// Invalid position, a leverage that is not positive or above the tier's maximum, overflow.
    pub fn initial_margin(
        &self,
        basis: MaintenanceBasis,
        leverage: Option<Leverage>,
    ) -> Result<Cash, MarginError> {
        self.validate()?;
        let e = self.exposure(self.mm_price(basis))?;
        Ok(self.tiers.initial_margin(&e, leverage)?)
    }

    /// The pieces of the liquidation predicate: on each integer price interval
    /// `[lo, hi]` the position is liquidatable iff `P·alpha ≤ beta`. `fee` (raw rate) is the
    /// fee to close, added to every piece's rate: `max(0, MM) + f·V = max(f·V, MM + f·V)`.
    fn liquidation_pieces(
        &self,
        collateral: Cash,
        basis: MaintenanceBasis,
        fee: i64,
    ) -> Result<Vec<Piece>, MarginError> {
        self.validate()?;
        let u = self.unit_value()?;
        let mut out = Vec::new();
        // MM is clamped at zero: liquidatable whenever equity ≤ the fee to close as well.
        out.push(self.piece(u, collateral, fee, 0, 1, None)?);
        match (basis, self.tiers.basis()) {
            (MaintenanceBasis::Entry, _) => {
                let mm = self.maintenance_margin(MaintenanceBasis::Entry)?;
                out.push(self.piece(u, collateral, fee, -i128::from(mm.0), 1, None)?);
            }
            (MaintenanceBasis::Mark, TierBasis::Size) => {
                let t = self.tiers.tier(&self.exposure(self.entry_price)?);
                let cum = i128::from(t.maintenance_amount.0);
                out.push(self.piece(u, collateral, add_rate(t.mmr.0, fee)?, cum, 1, None)?);
            }
            (MaintenanceBasis::Mark, TierBasis::Notional) => {
                let tiers = self.tiers.tiers();
                for (k, t) in tiers.iter().enumerate() {
                    let next = tiers.get(k + 1).map(|n| i128::from(n.floor));
                    let Some((lo, hi)) = self.price_range(u, i128::from(t.floor), next)? else {
                        continue;
                    };
                    let cum = i128::from(t.maintenance_amount.0);
                    out.push(self.piece(u, collateral, add_rate(t.mmr.0, fee)?, cum, lo, hi)?);
                }
            }
        }
        Ok(out)
    }

    /// The integer prices `[lo, hi]` (`hi = None`: unbounded) at which the exact notional lies
    /// in `[floor, next)`; `None` if there are none.
    fn price_range(
        &self,
        u: i128,
        floor: i128,
        next: Option<i128>,
    ) -> Result<Option<(i128, Option<i128>)>, MarginError> {
        let (lo, hi) = match self.instrument.kind() {
            // V = u·P: V ≥ floor ⇔ P ≥ ⌈floor/u⌉; V < next ⇔ P ≤ ⌈next/u⌉ − 1.
            ContractKind::Linear | ContractKind::Spot { .. } => {
                (ceil_div(floor, u)?, next.map(|n| ceil_div(n, u).map(|c| c.saturating_sub(1))).transpose()?)
            }
            // V = u/P: V ≥ floor ⇔ P ≤ ⌊u/floor⌋; V < next ⇔ P ≥ ⌊u/next⌋ + 1.
            ContractKind::Inverse => (
                match next {
                    Some(n) => floor_div(u, n)?.saturating_add(1),
                    None => 1,
                },
                if floor > 0 { Some(floor_div(u, floor)?) } else { None },
            ),
        };
        let lo = lo.max(1);
        Ok(match hi {
            Some(h) if h < lo => None,
            _ => Some((lo, hi)),
        })
    }

    /// The liquidation predicate `B + PnL(P) ≤ V(P)·r − c` as `P·alpha ≤ beta` on `[lo, hi]`.
    ///
    /// With `σ = side × pnl_sign`, `g = σ·ONE − r`:
    /// * linear: `alpha = u·g`, `beta = −(B + c − σ·u·EP)·ONE`;
    /// * inverse (multiplied through by `P·EP > 0`): `alpha = (B + c)·ONE·EP − σ·u·ONE`,
    ///   `beta = −u·g·EP`.
    fn piece(
        &self,
        u: i128,
        collateral: Cash,
        r: i64,
        c: i128,
        lo: i128,
        hi: Option<i128>,
    ) -> Result<Piece, MarginError> {
        let one = i128::from(RATE_ONE);
        let sigma = i128::from(self.side() * self.instrument.pnl_sign());
        let g = sigma * one - i128::from(r);
        let b_c = i128::from(collateral.0).checked_add(c).ok_or(Overflow)?;
        let ep = i128::from(self.entry_price.0);
        let (alpha, beta) = match self.instrument.kind() {
            ContractKind::Linear | ContractKind::Spot { .. } => {
                let ve = mul(u, ep)?;
                let inner = b_c.checked_sub(mul(sigma, ve)?).ok_or(Overflow)?;
                (mul(u, g)?, mul(inner, one)?.checked_neg().ok_or(Overflow)?)
            }
            ContractKind::Inverse => {
                let a = mul(mul(b_c, one)?, ep)?.checked_sub(mul(mul(sigma, u)?, one)?).ok_or(Overflow)?;
                (a, mul(mul(u, g)?, ep)?.checked_neg().ok_or(Overflow)?)
            }
        };
        Ok(Piece { lo, hi, alpha, beta })
    }
}

/// On prices `[lo, hi]`, the predicate holds iff `P·alpha ≤ beta` (or `<` when strict).
#[derive(Debug, Clone, Copy)]
struct Piece {
    lo: i128,
    hi: Option<i128>,
    alpha: i128,
    beta: i128,
}

impl Piece {
    /// The integer prices in `[lo, hi]` where the predicate holds, as `[lo, hi]`.
    fn solve(&self, strict: bool) -> Result<Option<(i128, Option<i128>)>, Overflow> {
        let (a, b) = (self.alpha, self.beta);
        let (lo, hi) = if a > 0 {
            // P ≤ b/a (or < b/a).
            let h = if strict { ceil_div(b, a)?.saturating_sub(1) } else { floor_div(b, a)? };
            (self.lo, Some(self.hi.map_or(h, |x| x.min(h))))
        } else if a < 0 {
            // P ≥ b/a (or > b/a): dividing by a negative number flips the inequality.
            let l = if strict { floor_div(b, a)?.saturating_add(1) } else { ceil_div(b, a)? };
            (self.lo.max(l), self.hi)
        } else if (strict && 0 < b) || (!strict && 0 <= b) {
            (self.lo, self.hi)
        } else {
            return Ok(None);
        };
        Ok(match hi {
            Some(h) if h < lo => None,
            _ => Some((lo, hi)),
        })
    }

    fn holds_at(&self, p: i128, strict: bool) -> Result<bool, Overflow> {
        if p < self.lo || self.hi.is_some_and(|h| p > h) {
            return Ok(false);
        }
        let lhs = mul(p, self.alpha)?;
        Ok(if strict { lhs < self.beta } else { lhs <= self.beta })
    }
}

/// The liquidation price of `position` backed by `collateral` (isolated margin, or for cross
/// margin the rest of the account net of the other positions' maintenance margin; see the
/// module docs). A long's is the highest price at which it is liquidatable, a short's the
/// lowest; `None` when it is never liquidatable at a positive price; [`Price::MAX`] for a long
/// liquidatable at every price.
///
/// # Errors
/// Invalid position (flat, non-positive prices) or overflow.
pub fn liquidation_price(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
) -> Result<Option<Price>, MarginError> {
    liquidation_price_with_fee(position, collateral, basis, Rate::ZERO)
}

/// [`liquidation_price`] with the fee to close `close_fee × V(P)` added to the maintenance
/// margin (Bybit UTA §2.3, OKX §3.3; see the module docs). `Rate::ZERO` is
/// [`liquidation_price`].
///
/// # Errors
/// As [`liquidation_price`]; [`MarginError::CloseFee`] for a rate outside `[0, 1)`.
pub fn liquidation_price_with_fee(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
    close_fee: Rate,
) -> Result<Option<Price>, MarginError> {
    let fee = check_close_fee(close_fee)?;
    let pieces = position.liquidation_pieces(collateral, basis, fee)?;
    extreme(&pieces, position.side() > 0, false)
}

/// [`liquidation_price`] with a fast path for the common case, used on the venue's hot path
/// (every fill re-indexes both accounts). When the table is notional-based and its maintenance
/// margin is continuous across tier floors (Binance-style maintenance amounts), equity minus
/// maintenance is monotone in the price, so the liquidatable prices form one interval; if the
/// solve restricted to the tier of the notional at the mark lands strictly inside that tier's
/// price range, it is the answer. Otherwise (another tier, a table whose maintenance jumps at a
/// floor, size-based tiers) this is exactly [`liquidation_price`].
///
/// # Errors
/// As [`liquidation_price`].
pub fn liquidation_price_hinted(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
) -> Result<Option<Price>, MarginError> {
    liquidation_price_hinted_with_fee(position, collateral, basis, Rate::ZERO)
}

/// [`liquidation_price_hinted`] with a fee to close, as [`liquidation_price_with_fee`] (the fee
/// adds the same rate to every tier, so the monotone fast path still applies).
///
/// # Errors
/// As [`liquidation_price_with_fee`].
pub fn liquidation_price_hinted_with_fee(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
    close_fee: Rate,
) -> Result<Option<Price>, MarginError> {
    let fee = check_close_fee(close_fee)?;
    // A table whose continuity cannot be checked without overflow is not known to be
    // continuous: the full solve, which needs no such assumption, answers.
    if basis == MaintenanceBasis::Mark
        && position.tiers.basis() == TierBasis::Notional
        && matches!(position.tiers.continuous(), Ok(true))
    {
        position.validate()?;
        if let Some(answer) = walk_tiers(position, collateral, fee)? {
            return Ok(answer);
        }
    }
    liquidation_price_with_fee(position, collateral, basis, close_fee)
}

/// The monotone case of [`liquidation_price_hinted`]: walks the tiers from the one at the mark
/// toward liquidation (down in price for a long, up for a short) and stops at the first tier
/// with a liquidatable price. `Ok(None)`: undecided, use the full solve.
#[allow(clippy::option_option)]
fn walk_tiers(
    position: &Position<'_>,
    collateral: Cash,
    fee: i64,
) -> Result<Option<Option<Price>>, MarginError> {
    let u = position.unit_value()?;
    let tiers = position.tiers.tiers();
    let long = position.side() > 0;
    let start = position.tiers.index_for(position.tiers.amount(&position.exposure(position.mark_price)?));
    let piece_at = |j: usize| -> Result<Option<(Piece, i128, Option<i128>)>, MarginError> {
        let t = tiers[j];
        let next = tiers.get(j + 1).map(|n| i128::from(n.floor));
        let Some((lo, hi)) = position.price_range(u, i128::from(t.floor), next)? else { return Ok(None) };
        let r = add_rate(t.mmr.0, fee)?;
        let piece = position.piece(u, collateral, r, i128::from(t.maintenance_amount.0), lo, hi)?;
        Ok(Some((piece, lo, hi)))
    };
    // Which way the price moves through the tiers: for a linear contract a higher price is a
    // higher notional (a higher tier); for an inverse one, a lower tier.
    let linear = matches!(position.instrument.kind(), ContractKind::Linear | ContractKind::Spot { .. });
    let toward_liquidation_is_higher_tier = long != linear;
    let mut j = start;
    let mut first = true;
    loop {
        if let Some((piece, lo, hi)) = piece_at(j)?
            && let Some((slo, shi)) = piece.solve(false)?
        {
            // A solution reaching the edge of the starting tier on the safe side may continue
            // into the next tier: undecided.
            let open_edge = if long { hi.is_none() || shi == hi } else { slo == lo };
            if first && open_edge {
                return Ok(None);
            }
            let v = if long { shi.unwrap_or(i128::from(i64::MAX)) } else { slo };
            return Ok(Some(i64::try_from(v).ok().map(Price)));
        }
        first = false;
        let next = if toward_liquidation_is_higher_tier {
            j.checked_add(1).filter(|n| *n < tiers.len())
        } else {
            j.checked_sub(1)
        };
        match next {
            Some(n) => j = n,
            // No tier has a liquidatable price: never liquidated at a positive price.
            None => return Ok(Some(None)),
        }
    }
}

/// Whether `position` backed by `collateral` is liquidatable at `price`: the exact predicate
/// `B + PnL ≤ max(0, MM)` that [`liquidation_price`] solves (no rounding of PnL or MM).
///
/// # Errors
/// Invalid position or overflow.
pub fn is_liquidatable(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
    price: Price,
) -> Result<bool, MarginError> {
    is_liquidatable_with_fee(position, collateral, basis, price, Rate::ZERO)
}

/// [`is_liquidatable`] with the fee to close in the requirement: the exact predicate
/// `B + PnL ≤ max(0, MM) + close_fee × V` that [`liquidation_price_with_fee`] solves.
///
/// # Errors
/// As [`is_liquidatable`]; [`MarginError::CloseFee`] for a rate outside `[0, 1)`.
pub fn is_liquidatable_with_fee(
    position: &Position<'_>,
    collateral: Cash,
    basis: MaintenanceBasis,
    price: Price,
    close_fee: Rate,
) -> Result<bool, MarginError> {
    let fee = check_close_fee(close_fee)?;
    if price.0 <= 0 {
        return Err(MarginError::NotPositive { field: "price", value: price.0 });
    }
    for piece in position.liquidation_pieces(collateral, basis, fee)? {
        if piece.holds_at(i128::from(price.0), false)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The bankruptcy price of `position` backed by `collateral` (isolated margin, or for cross
/// margin the wallet balance plus the other positions' unrealized PnL): the price at which its
/// equity is zero. A long's is the lowest price with equity ≥ 0 (rounded up), a short's the
/// highest (rounded down). `None` when the equity is never negative at a positive price (e.g.
/// a 1x linear long, whose bankruptcy price is 0).
///
/// # Errors
/// Invalid position or overflow.
pub fn bankruptcy_price(position: &Position<'_>, collateral: Cash) -> Result<Option<Price>, MarginError> {
    bankruptcy_price_with_fee(position, collateral, Rate::ZERO)
}

/// [`bankruptcy_price`] net of the fee to close: the price at which
/// `B + PnL(P) − close_fee × V(P) = 0`, so closing there pays the fee out of the position's
/// own margin (Bybit inverse §2.3, §9 BYB-4: `BP = (1 + f) × Qty / (Qty/EP + Balance)` for a
/// long). Same rounding as [`bankruptcy_price`]; `Rate::ZERO` is [`bankruptcy_price`].
///
/// # Errors
/// As [`bankruptcy_price`]; [`MarginError::CloseFee`] for a rate outside `[0, 1)`.
pub fn bankruptcy_price_with_fee(
    position: &Position<'_>,
    collateral: Cash,
    close_fee: Rate,
) -> Result<Option<Price>, MarginError> {
    let fee = check_close_fee(close_fee)?;
    position.validate()?;
    let u = position.unit_value()?;
    let piece = position.piece(u, collateral, fee, 0, 1, None)?;
    let long = position.side() > 0;
    // The set where equity < 0: a long's is below the bankruptcy price, a short's above.
    let Some(edge) = extreme(&[piece], long, true)? else {
        return Ok(None);
    };
    Ok(Some(if long { Price(edge.0.saturating_add(1)) } else { Price(edge.0 - 1) }))
}

/// The highest (`highest`) or lowest price satisfying any piece; `None` if none does.
fn extreme(pieces: &[Piece], highest: bool, strict: bool) -> Result<Option<Price>, MarginError> {
    let mut best: Option<i128> = None;
    for p in pieces {
        let Some((lo, hi)) = p.solve(strict)? else {
            continue;
        };
        let v = if highest { hi.unwrap_or(i128::from(i64::MAX)) } else { lo };
        best = Some(match best {
            None => v,
            Some(b) if highest => b.max(v),
            Some(b) => b.min(v),
        });
    }
    Ok(match best {
        None => None,
        Some(v) if v > i128::from(i64::MAX) => {
            if highest {
                Some(Price::MAX)
            } else {
                None
            }
        }
        Some(v) => Some(Price(i64::try_from(v).map_err(|_| Overflow)?)),
    })
}

/// A venue's margin ratio from equity and maintenance margin, rounded toward liquidation
/// (up for `MM / equity`, down for `equity / MM`). `None` when the denominator is ≤ 0: for
/// `MM / equity` the account is past bankruptcy, for `equity / MM` it holds no position.
///
/// # Errors
/// [`Overflow`] if the ratio does not fit.
pub fn margin_ratio(
    equity: Cash,
    maintenance: Cash,
    kind: MarginRatioKind,
) -> Result<Option<Rate>, Overflow> {
    let (num, den, round) = match kind {
        MarginRatioKind::MaintenanceOverEquity => (maintenance, equity, Round::Ceil),
        MarginRatioKind::EquityOverMaintenance => (equity, maintenance, Round::Floor),
    };
    if den.0 <= 0 {
        return Ok(None);
    }
    Ok(Some(Rate(num.mul_div(RATE_ONE, den.0, round)?.0)))
}

/// A cross-margin account in one settle asset (one-way mode): a wallet balance and positions
/// held at their marks.
#[derive(Debug, Clone, Copy)]
pub struct CrossAccount<'a> {
    /// Wallet balance (deposits plus realized PnL, fees and funding).
    pub wallet_balance: Cash,
    /// The open positions; all must settle in the wallet's asset.
    pub positions: &'a [Position<'a>],
}

impl CrossAccount<'_> {
    /// Equity (Binance's margin balance, Hyperliquid's account value, dYdX's TNC):
    /// `wallet balance + Σ unrealized PnL` at the marks.
    ///
    /// # Errors
    /// Invalid position or overflow.
    pub fn equity(&self) -> Result<Cash, MarginError> {
        let mut e = self.wallet_balance;
        for p in self.positions {
            e = e.checked_add(p.unrealized_pnl(p.mark_price)?)?;
        }
        Ok(e)
    }

    /// Total maintenance margin.
    ///
    /// # Errors
    /// Invalid position or overflow.
    pub fn maintenance_margin(&self, basis: MaintenanceBasis) -> Result<Cash, MarginError> {
        let mut m = Cash::ZERO;
        for p in self.positions {
            m = m.checked_add(p.maintenance_margin(basis)?)?;
        }
        Ok(m)
    }

    /// The account's margin ratio in the venue's convention.
    ///
    /// # Errors
    /// Invalid position or overflow.
    pub fn margin_ratio(
        &self,
        basis: MaintenanceBasis,
        kind: MarginRatioKind,
    ) -> Result<Option<Rate>, MarginError> {
        Ok(margin_ratio(self.equity()?, self.maintenance_margin(basis)?, kind)?)
    }

    /// Whether the account is liquidatable now: equity ≤ maintenance margin (with positions).
    ///
    /// # Errors
    /// Invalid position or overflow.
    pub fn is_liquidatable(&self, basis: MaintenanceBasis) -> Result<bool, MarginError> {
        Ok(!self.positions.is_empty() && self.equity()? <= self.maintenance_margin(basis)?)
    }

    /// The collateral backing position `index`: wallet balance plus the other positions' PnL,
    /// minus their maintenance margin when `net_of_mm`.
    /// With `fees` (one fee-to-close rate per position), the other positions' fees to close
    /// at their marks (rounded up) are netted along with their maintenance margin.
    fn collateral_for(
        &self,
        index: usize,
        basis: MaintenanceBasis,
        net_of_mm: bool,
        fees: Option<&[Rate]>,
    ) -> Result<Cash, MarginError> {
        if index >= self.positions.len() {
            return Err(MarginError::NoSuchPosition(index));
        }
        let mut b = self.wallet_balance;
        for (i, p) in self.positions.iter().enumerate() {
            if i == index {
                continue;
            }
            b = b.checked_add(p.unrealized_pnl(p.mark_price)?)?;
            if net_of_mm {
                b = b.checked_sub(p.maintenance_margin(basis)?)?;
                if let Some(f) = fees.and_then(|f| f.get(i)) {
                    check_close_fee(*f)?;
                    b = b.checked_sub(p.notional(p.mark_price)?.mul_rate(*f, Round::Ceil)?)?;
                }
            }
        }
        Ok(b)
    }

    /// Every position's own contributions to the collateral the others see: (unrealized PnL,
    /// PnL − maintenance margin − fee to close), and the wallet plus their sums. One pass, so
    /// the prices of all positions cost O(n) instead of O(n²) (issue 16 #5).
    fn contributions(&self, basis: MaintenanceBasis, fees: &[Rate]) -> Result<Contributions, MarginError> {
        let (mut gross, mut net) = (self.wallet_balance, self.wallet_balance);
        let mut each = Vec::with_capacity(self.positions.len());
        for (i, p) in self.positions.iter().enumerate() {
            let upnl = p.unrealized_pnl(p.mark_price)?;
            let mut n = upnl.checked_sub(p.maintenance_margin(basis)?)?;
            if let Some(f) = fees.get(i) {
                check_close_fee(*f)?;
                n = n.checked_sub(p.notional(p.mark_price)?.mul_rate(*f, Round::Ceil)?)?;
            }
            gross = gross.checked_add(upnl)?;
            net = net.checked_add(n)?;
            each.push((upnl, n));
        }
        Ok((each, gross, net))
    }

    /// [`CrossAccount::liquidation_price_with_fees`] and
    /// [`CrossAccount::bankruptcy_price_with_fee`] (with `fees[i]` as position `i`'s close
    /// fee) for every position at once, in O(n): each position's collateral is the account's
    /// total less its own contribution, the same integers the one-position methods add up.
    ///
    /// # Errors
    /// As the one-position methods.
    pub fn all_prices_with_fees(
        &self,
        basis: MaintenanceBasis,
        fees: &[Rate],
    ) -> Result<Vec<PricePair>, MarginError> {
        let (each, gross, net) = self.contributions(basis, fees)?;
        let mut out = Vec::with_capacity(each.len());
        for (i, (p, (upnl, n))) in self.positions.iter().zip(each).enumerate() {
            let own = fees.get(i).copied().unwrap_or(Rate::ZERO);
            let lp = liquidation_price_with_fee(p, net.checked_sub(n)?, basis, own)?;
            let bp = bankruptcy_price_with_fee(p, gross.checked_sub(upnl)?, own)?;
            out.push((lp, bp));
        }
        Ok(out)
    }

    /// Liquidation price of position `index` with every other position held at its mark
    /// (Binance §1.3 cross: `WB − TMM1 + UPNL1`), as venue calculators show it.
    ///
    /// # Errors
    /// [`MarginError::NoSuchPosition`], invalid position or overflow.
    pub fn liquidation_price(
        &self,
        index: usize,
        basis: MaintenanceBasis,
    ) -> Result<Option<Price>, MarginError> {
        let b = self.collateral_for(index, basis, true, None)?;
        liquidation_price(&self.positions[index], b, basis)
    }

    /// [`CrossAccount::liquidation_price`] with a fee to close per position (`fees[i]` for
    /// position `i`, missing entries 0): the account's requirement is `Σ MM + Σ fee × V`, so
    /// the other positions' fees at their marks are netted from the collateral and this one's
    /// enters the solve (see [`liquidation_price_with_fee`]).
    ///
    /// # Errors
    /// As [`CrossAccount::liquidation_price`]; [`MarginError::CloseFee`] for a rate outside
    /// `[0, 1)`.
    pub fn liquidation_price_with_fees(
        &self,
        index: usize,
        basis: MaintenanceBasis,
        fees: &[Rate],
    ) -> Result<Option<Price>, MarginError> {
        let b = self.collateral_for(index, basis, true, Some(fees))?;
        let own = fees.get(index).copied().unwrap_or(Rate::ZERO);
        liquidation_price_with_fee(&self.positions[index], b, basis, own)
    }

    /// Bankruptcy price of position `index` with every other position held at its mark: the
    /// price at which the account's equity is zero.
    ///
    /// # Errors
    /// [`MarginError::NoSuchPosition`], invalid position or overflow.
    pub fn bankruptcy_price(&self, index: usize) -> Result<Option<Price>, MarginError> {
        let b = self.collateral_for(index, MaintenanceBasis::Mark, false, None)?;
        bankruptcy_price(&self.positions[index], b)
    }

    /// [`CrossAccount::bankruptcy_price`] net of this position's fee to close (see
    /// [`bankruptcy_price_with_fee`]); the other positions stay open, so their fees do not enter.
    ///
    /// # Errors
    /// As [`CrossAccount::bankruptcy_price`]; [`MarginError::CloseFee`].
    pub fn bankruptcy_price_with_fee(
        &self,
        index: usize,
        close_fee: Rate,
    ) -> Result<Option<Price>, MarginError> {
        let b = self.collateral_for(index, MaintenanceBasis::Mark, false, None)?;
        bankruptcy_price_with_fee(&self.positions[index], b, close_fee)
    }
}

/// Each position's (unrealized PnL, PnL − maintenance − fee to close), and the wallet plus the
/// sums of each column.
type Contributions = (Vec<(Cash, Cash)>, Cash, Cash);

/// A position's (liquidation price, bankruptcy price).
pub type PricePair = (Option<Price>, Option<Price>);

/// A tier's maintenance rate plus the fee-to-close rate (both raw).
fn add_rate(mmr: i64, fee: i64) -> Result<i64, Overflow> {
    mmr.checked_add(fee).ok_or(Overflow)
}

fn mul(a: i128, b: i128) -> Result<i128, Overflow> {
    a.checked_mul(b).ok_or(Overflow)
}

/// `⌊n/d⌋` for any signs (`d ≠ 0`).
fn floor_div(n: i128, d: i128) -> Result<i128, Overflow> {
    if d == 0 {
        return Err(Overflow);
    }
    // The same quotient by a 64-bit division when both fit (several times cheaper).
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d))
        && d > 0
    {
        return Ok(i128::from(n.div_euclid(d)));
    }
    let (n, d) = if d < 0 { (n.checked_neg().ok_or(Overflow)?, -d) } else { (n, d) };
    Ok(n.div_euclid(d))
}

/// `⌈n/d⌉` for any signs (`d ≠ 0`).
fn ceil_div(n: i128, d: i128) -> Result<i128, Overflow> {
    Ok(-floor_div(n.checked_neg().ok_or(Overflow)?, d)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{AssetId, FeeSchedule, InstrumentSpec};
    use rust_decimal::Decimal;

    fn linear(pd: u32, qd: u32) -> Instrument {
        Instrument::new(InstrumentSpec {
            symbol: "X".into(),
            kind: ContractKind::Linear,
            settle_asset: AssetId(0),
            price_decimals: pd,
            qty_decimals: qd,
            tick: Price(1),
            lot: Qty(1),
            min_qty: Qty(1),
            min_notional: Cash::ZERO,
            contract_size: Decimal::ONE,
            tier_contract: None,
            fees: FeeSchedule { maker: Rate(0), taker: Rate(0) },
        })
        .unwrap()
    }

    #[test]
    fn floor_and_ceil_div_any_sign() {
        assert_eq!(floor_div(7, 2), Ok(3));
        assert_eq!(floor_div(-7, 2), Ok(-4));
        assert_eq!(floor_div(7, -2), Ok(-4));
        assert_eq!(floor_div(-7, -2), Ok(3));
        assert_eq!(ceil_div(7, 2), Ok(4));
        assert_eq!(ceil_div(-7, 2), Ok(-3));
        assert_eq!(ceil_div(7, -2), Ok(-3));
        assert_eq!(floor_div(1, 0), Err(Overflow));
    }

    #[test]
    fn flat_rates_give_the_textbook_formulas() {
        // §0: LP_long = EP·(1 − IMR + MMR) with margin = N·IMR; BP_long = EP·(1 − IMR).
        let inst = linear(2, 3);
        let tiers =
            RiskTiers::flat(Rate::parse("0.005").unwrap(), Rate::parse("0.02").unwrap(), Cash::ZERO).unwrap();
        let pos = Position {
            instrument: &inst,
            tiers: &tiers,
            qty: Qty(1_000),
            entry_price: Price(1_000_000),
            mark_price: Price(1_000_000),
        };
        let im = pos.initial_margin(MaintenanceBasis::Entry, Some(Leverage::from_int(50).unwrap())).unwrap();
        assert_eq!(im, Cash::units(200).unwrap());
        let lp = liquidation_price(&pos, im, MaintenanceBasis::Entry).unwrap();
        assert_eq!(lp, Some(Price(985_000)));
        assert_eq!(bankruptcy_price(&pos, im).unwrap(), Some(Price(980_000)));
        let short = Position { qty: Qty(-1_000), ..pos };
        assert_eq!(liquidation_price(&short, im, MaintenanceBasis::Entry).unwrap(), Some(Price(1_015_000)));
        assert_eq!(bankruptcy_price(&short, im).unwrap(), Some(Price(1_020_000)));
        // A 1x long cannot go bankrupt at a positive price.
        let full = Cash::units(10_000).unwrap();
        assert_eq!(bankruptcy_price(&pos, full).unwrap(), None);
    }

    #[test]
    fn byb_4_inverse_bankruptcy_price_embeds_the_taker_fee() {
        // §9 BYB-4: inverse long @ 7,890.08 at 50x, `BP = 1.00075 × Qty / (Qty/EP + Balance)`
        // (§2.3), quoted 7,735.50, i.e. EP·50/51 = 7,735.372549 rounded up to the 0.5 tick.
        // Bybit's position margin holds the initial margin plus the fee to close at the
        // bankruptcy price, so with Qty = 100,000 contracts of 1 USD:
        //   Qty/EP = 12.674142720986… XBT; IM = Qty/EP/50 = 0.25348286 XBT (rounded up);
        //   fee to close at EP·50/51 = 0.00075 × 100,000 / 7,735.372549 = 0.00969572 XBT;
        //   Balance = Qty/EP × (1/50 + 0.00075 × 51/50) = Qty/EP × 0.020765
        //           = 0.26317857360… → 0.26317858 XBT (to the satoshi, up).
        //   BP = 1.00075 × 100,000 / (12.674142720986 + 0.26317858) = 7,735.372545…,
        //   the lowest cent with equity ≥ fee: 7,735.38 (≈ 7,735.37; 7,735.50 on the 0.5 tick).
        // Without the fee the same balance would go bankrupt only at
        //   100,000 / (12.674142720986 + 0.26317858) = 7,729.5753… → 7,729.58.
        let inst =
            Instrument::new(InstrumentSpec::inverse("BTCUSD", AssetId(1), 2, 0, Decimal::ONE)).unwrap();
        let tiers =
            RiskTiers::flat(Rate::parse("0.005").unwrap(), Rate::parse("0.02").unwrap(), Cash::ZERO).unwrap();
        let pos = Position {
            instrument: &inst,
            tiers: &tiers,
            qty: Qty(100_000),
            entry_price: Price(789_008),
            mark_price: Price(789_008),
        };
        let balance = Cash(26_317_858);
        let taker = Rate::parse("0.00075").unwrap();
        assert_eq!(bankruptcy_price_with_fee(&pos, balance, taker).unwrap(), Some(Price(773_538)));
        assert_eq!(bankruptcy_price(&pos, balance).unwrap(), Some(Price(772_958)));
        assert_eq!(bankruptcy_price_with_fee(&pos, balance, Rate::ZERO).unwrap(), Some(Price(772_958)));
    }

    #[test]
    fn linear_bybit_prices_with_the_fee_to_close() {
        // §9 BYB-5/BYB-6 with a 0.055% taker fee to close: long 1 BTC @ 10,000 at 50x, IM 200,
        // flat MMR 0.5%. Equity at P is 200 + (P − 10,000); the fee to close 0.00055·P.
        //   BP: 200 + P − 10,000 − 0.00055·P = 0 ⇔ P = 9,800 / 0.99945 = 9,805.3929… → 9,805.40
        //       (up; 9,800 without the fee, BYB-5).
        //   LP, maintenance at the price: P − 9,800 ≤ 0.005·P + 0.00055·P
        //       ⇔ P ≤ 9,800 / 0.99445 = 9,854.6935… → 9,854.69 (down; 9,849.24 without).
        //   LP, maintenance fixed at entry (Bybit's calculator, MM 50): P − 9,800 ≤ 50 + 0.00055·P
        //       ⇔ P ≤ 9,850 / 0.99945 = 9,855.4204… → 9,855.42 (9,850 without, BYB-6).
        let inst = linear(2, 3);
        let tiers =
            RiskTiers::flat(Rate::parse("0.005").unwrap(), Rate::parse("0.02").unwrap(), Cash::ZERO).unwrap();
        let pos = Position {
            instrument: &inst,
            tiers: &tiers,
            qty: Qty(1_000),
            entry_price: Price(1_000_000),
            mark_price: Price(1_000_000),
        };
        let im = Cash::units(200).unwrap();
        let fee = Rate::parse("0.00055").unwrap();
        assert_eq!(bankruptcy_price_with_fee(&pos, im, fee).unwrap(), Some(Price(980_540)));
        let mark = liquidation_price_with_fee(&pos, im, MaintenanceBasis::Mark, fee).unwrap();
        assert_eq!(mark, Some(Price(985_469)));
        assert_eq!(liquidation_price(&pos, im, MaintenanceBasis::Mark).unwrap(), Some(Price(984_924)));
        assert_eq!(
            liquidation_price_with_fee(&pos, im, MaintenanceBasis::Entry, fee).unwrap(),
            Some(Price(985_542))
        );
        assert_eq!(
            liquidation_price_hinted_with_fee(&pos, im, MaintenanceBasis::Mark, fee).unwrap(),
            Some(Price(985_469))
        );
        // The predicate the price solves: liquidatable at it, not one cent above.
        assert!(is_liquidatable_with_fee(&pos, im, MaintenanceBasis::Mark, Price(985_469), fee).unwrap());
        assert!(!is_liquidatable_with_fee(&pos, im, MaintenanceBasis::Mark, Price(985_470), fee).unwrap());
        // A zero fee is the plain function, exactly.
        assert_eq!(
            liquidation_price_with_fee(&pos, im, MaintenanceBasis::Entry, Rate::ZERO).unwrap(),
            Some(Price(985_000))
        );
        // Rates outside [0, 1) are refused by name.
        for bad in [Rate(-1), Rate::ONE] {
            assert_eq!(bankruptcy_price_with_fee(&pos, im, bad), Err(MarginError::CloseFee(bad)));
            assert_eq!(
                liquidation_price_with_fee(&pos, im, MaintenanceBasis::Mark, bad),
                Err(MarginError::CloseFee(bad))
            );
        }
    }

    #[test]
    fn margin_ratio_conventions() {
        let (e, m) = (Cash(1_000), Cash(250));
        assert_eq!(
            margin_ratio(e, m, MarginRatioKind::MaintenanceOverEquity),
            Ok(Some(Rate::parse("0.25").unwrap()))
        );
        assert_eq!(
            margin_ratio(e, m, MarginRatioKind::EquityOverMaintenance),
            Ok(Some(Rate::parse("4").unwrap()))
        );
        assert_eq!(margin_ratio(Cash(0), m, MarginRatioKind::MaintenanceOverEquity), Ok(None));
    }
}
