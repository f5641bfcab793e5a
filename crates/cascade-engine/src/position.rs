//! A position in one instrument and the pure arithmetic of a fill against it.
//!
//! A position keeps its size and its *cost*: the settle-asset value paid to open it (for an
//! inverse contract, its coin value at entry). The average entry price is derived from the cost,
//! never stored, so repeated fills accumulate no rounding. When a fill reduces a position, the
//! share of cost it removes and the fill value it consumes are split with explicit rounding, so
//! that `Σ pnl_sign × signed cost` over all positions plus the clearing account stays exactly zero
//! (see `ledger`). This module only computes; the venue moves the money.

use crate::instrument::{Instrument, InstrumentId};
use crate::num::{Cash, Overflow, Price, Qty, Round};

/// How a position is margined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarginMode {
    /// Shares the account's wallet with every other cross position.
    #[default]
    Cross,
    /// Has its own collateral; a loss is bounded by it.
    Isolated,
}

/// An open (or just-closed) position.
///
/// Equality compares what the position is, not where the venue lists it for ADL rankings
/// (`adl_slot`, which moves when another account's record leaves the list).
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Which instrument.
    pub instrument: InstrumentId,
    /// Cross or isolated.
    pub mode: MarginMode,
    /// Signed size in quantity units: long > 0, short < 0.
    pub size: Qty,
    /// Settle-asset value paid to open the current size (always ≥ 0).
    pub cost: Cash,
    /// Collateral held by an isolated position (zero when cross).
    pub isolated_margin: Cash,
    /// PnL realized over the life of this position slot, before fees.
    pub realized_pnl: Cash,
    /// Chosen leverage (0: the tier's maximum).
    pub leverage: u16,
    /// The venue's liquidation-index key: `+price` for a long, `-price` for a short, 0 when not
    /// indexed. Kept here so the entry can be removed in O(log n).
    pub trigger: i64,
    /// Side (+1 long, −1 short) under which the venue lists this open position as having no
    /// liquidation price (so not in the liquidation index, yet an ADL candidate); ±2 when its
    /// trigger, provably far from the mark, is deferred in the index (unsolved, counted as
    /// parked); 0 otherwise.
    pub untriggered: i8,
    /// The venue's slot for this position in its market's ADL lists
    /// ([`crate::risk::adl_members`]), or [`crate::risk::adl_members::NO_SLOT`].
    pub adl_slot: u32,
}

impl PartialEq for Position {
    fn eq(&self, o: &Self) -> bool {
        // Destructured, so that a field added later must be placed here or the build fails.
        let Position {
            instrument,
            mode,
            size,
            cost,
            isolated_margin,
            realized_pnl,
            leverage,
            trigger,
            untriggered,
            adl_slot: _,
        } = *self;
        instrument == o.instrument
            && mode == o.mode
            && size == o.size
            && cost == o.cost
            && isolated_margin == o.isolated_margin
            && realized_pnl == o.realized_pnl
            && leverage == o.leverage
            && trigger == o.trigger
            && untriggered == o.untriggered
    }
}

impl Eq for Position {}

impl Position {
    /// A flat position in `instrument`.
    #[must_use]
    pub fn flat(instrument: InstrumentId, mode: MarginMode) -> Self {
        Self {
            instrument,
            mode,
            size: Qty::ZERO,
            cost: Cash::ZERO,
            isolated_margin: Cash::ZERO,
            realized_pnl: Cash::ZERO,
            leverage: 0,
            trigger: 0,
            untriggered: 0,
            adl_slot: crate::risk::adl_members::NO_SLOT,
        }
    }

    /// The cost signed like the size and by the contract's PnL direction: the quantity whose sum
    /// over all positions of an instrument, plus its clearing balance, is always zero.
    #[must_use]
    pub fn clearing_claim(&self, pnl_sign: i64) -> i128 {
        i128::from(self.size.signum() * pnl_sign) * i128::from(self.cost.0)
    }

    /// Average entry price, rounded down (for display and margin formulas).
    ///
    /// # Errors
    /// [`Overflow`] if it does not fit.
    pub fn entry_price(&self, instrument: &Instrument) -> Result<Option<Price>, Overflow> {
        if self.size.is_zero() {
            return Ok(None);
        }
        instrument.price_for_value(self.cost, self.size, Round::Floor).map(Some)
    }

    /// Unrealized PnL at `mark`, before fees (inverse: rounded against the trader).
    ///
    /// # Errors
    /// [`Overflow`] if it does not fit.
    pub fn unrealized_pnl(&self, instrument: &Instrument, mark: Price) -> Result<Cash, Overflow> {
        if self.size.is_zero() {
            return Ok(Cash::ZERO);
        }
        let dir = self.size.signum() * instrument.pnl_sign();
        // Round the mark value so that the PnL is rounded down.
        let round = if dir > 0 { Round::Floor } else { Round::Ceil };
        let v = instrument.value(mark, self.size, round)?;
        let diff = v.checked_sub(self.cost)?;
        if dir > 0 { Ok(diff) } else { diff.checked_neg() }
    }
}

/// What a fill did to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillEffect {
    /// PnL realized by the reducing part of the fill (positive: the trader gains).
    pub realized: Cash,
    /// Quantity that closed existing exposure.
    pub closed: Qty,
}

/// Applies a fill of `qty` (> 0) on side `sign` (+1 buy, −1 sell) worth `value` to `pos`.
///
/// `value` is the settle-asset value of the whole fill, computed once so that both sides of a
/// trade use the same figure. The reducing part removes cost pro rata (floor) and takes its share
/// of `value` (floor); any remainder opens the flipped position.
///
/// # Errors
/// [`Overflow`] if a size, cost or PnL does not fit.
pub fn apply_fill(
    pos: &mut Position,
    pnl_sign: i64,
    sign: i64,
    qty: Qty,
    value: Cash,
) -> Result<FillEffect, Overflow> {
    let signed_qty = Qty(qty.0.checked_mul(sign).ok_or(Overflow)?);
    let held = pos.size.signum();
    if held == 0 || held == sign {
        pos.size = pos.size.checked_add(signed_qty)?;
        pos.cost = pos.cost.checked_add(value)?;
        return Ok(FillEffect { realized: Cash::ZERO, closed: Qty::ZERO });
    }
    let size_abs = pos.size.abs();
    let closed = qty.min(size_abs);
    let removed_cost =
        if closed == size_abs { pos.cost } else { pos.cost.mul_div(closed.0, size_abs.0, Round::Floor)? };
    let exit_value = if closed == qty { value } else { value.mul_div(closed.0, qty.0, Round::Floor)? };
    let gain = exit_value.checked_sub(removed_cost)?;
    let realized = if held * pnl_sign > 0 { gain } else { gain.checked_neg()? };
    pos.cost = pos.cost.checked_sub(removed_cost)?;
    pos.size = pos.size.checked_add(signed_qty)?;
    if closed < qty {
        // Flipped: the rest of the fill opens the other side.
        pos.cost = pos.cost.checked_add(value.checked_sub(exit_value)?)?;
    }
    pos.realized_pnl = pos.realized_pnl.checked_add(realized)?;
    Ok(FillEffect { realized, closed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(n: i64) -> Cash {
        Cash::units(n).unwrap()
    }

    #[test]
    fn equality_ignores_the_adl_slot_only() {
        let p =
            Position { size: Qty(3), cost: usd(300), ..Position::flat(InstrumentId(0), MarginMode::Cross) };
        assert_eq!(p, Position { adl_slot: 7, ..p });
        assert_ne!(p, Position { size: Qty(4), ..p });
        assert_ne!(p, Position { trigger: 1, ..p });
    }

    #[test]
    fn open_add_reduce_flip() {
        let mut p = Position::flat(InstrumentId(0), MarginMode::Cross);
        // Buy 2 at value 200, buy 1 at value 110: long 3, cost 310.
        apply_fill(&mut p, 1, 1, Qty(2), usd(200)).unwrap();
        apply_fill(&mut p, 1, 1, Qty(1), usd(110)).unwrap();
        assert_eq!((p.size, p.cost), (Qty(3), usd(310)));
        // Sell 1 at value 120: removes cost floor(310/3) and realizes 120 − 103.33333333.
        let e = apply_fill(&mut p, 1, -1, Qty(1), usd(120)).unwrap();
        assert_eq!(e.realized, Cash(1_666_666_667));
        assert_eq!(p.cost, Cash(20_666_666_667));
        // Sell 4 at value 480: closes 2 (value 240), opens short 2 at cost 240.
        let e = apply_fill(&mut p, 1, -1, Qty(4), usd(480)).unwrap();
        assert_eq!(e.closed, Qty(2));
        assert_eq!(e.realized, Cash(24_000_000_000 - 20_666_666_667));
        assert_eq!((p.size, p.cost), (Qty(-2), usd(240)));
    }

    #[test]
    fn inverse_long_gains_when_coin_value_falls() {
        let mut p = Position::flat(InstrumentId(0), MarginMode::Cross);
        // Long: entry value 0.02 BTC; exit value 0.01875 BTC (the price rose): gain 0.00125 BTC.
        apply_fill(&mut p, -1, 1, Qty(15), Cash(2_000_000)).unwrap();
        let e = apply_fill(&mut p, -1, -1, Qty(15), Cash(1_875_000)).unwrap();
        assert_eq!(e.realized, Cash(125_000));
        assert_eq!(p.size, Qty(0));
        assert_eq!(p.cost, Cash::ZERO);
    }

    proptest! {
        /// Two counterparties trading random fills: their realized PnL plus the change in their
        /// clearing claims always nets to zero exactly.
        #[test]
        fn fills_conserve_claims(fills in prop::collection::vec((1i64..50, 1i64..10_000, any::<bool>()), 1..200),
                                 pnl_sign in prop::sample::select(vec![1i64, -1])) {
            let mut a = Position::flat(InstrumentId(0), MarginMode::Cross);
            let mut b = a;
            let mut clearing: i128 = 0;
            for (q, v, a_buys) in fills {
                let s = if a_buys { 1 } else { -1 };
                let ea = apply_fill(&mut a, pnl_sign, s, Qty(q), Cash(v * q)).unwrap();
                let eb = apply_fill(&mut b, pnl_sign, -s, Qty(q), Cash(v * q)).unwrap();
                clearing -= i128::from(ea.realized.0) + i128::from(eb.realized.0);
                prop_assert_eq!(a.size.0, -b.size.0);
                prop_assert!(a.cost.0 >= 0 && b.cost.0 >= 0);
                prop_assert_eq!(clearing + a.clearing_claim(pnl_sign) + b.clearing_claim(pnl_sign), 0);
            }
        }
    }
}
