//! Safeguards a venue can switch on: circuit breakers (trading halts), price bands, liquidation
//! pacing, ADL variants and an external backstop of the insurance fund.
//!
//! Plain configuration values and pure functions over them; the venue (`venue/safeguards.rs`
//! and the liquidation waterfall) applies them. All default to off, so a venue without
//! safeguards behaves exactly as its rule set says. Nothing here moves money or reads a clock.

use crate::num::{Cash, Overflow, Price, RATE_ONE, Rate, Round};

/// Which markets a triggered halt stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HaltScope {
    /// Only the market whose mark moved.
    #[default]
    Market,
    /// Every perpetual market of the venue.
    Venue,
}

/// A circuit breaker: a market whose mark moves by at least `move_rate` within `window_ms`
/// halts for `halt_ms`; then, for `reopen_ms`, it trades only within `reopen_band` of the mark
/// it halted at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HaltRule {
    /// Move of the mark, as a fraction of the lowest (rise) or highest (fall) mark of the
    /// window, that triggers the halt.
    pub move_rate: Rate,
    /// Look-back window of marks, milliseconds of the venue clock.
    pub window_ms: u64,
    /// Length of the halt, milliseconds.
    pub halt_ms: u64,
    /// The market alone, or the whole venue.
    pub scope: HaltScope,
    /// Whether the liquidation pass keeps running during the halt (its own orders still reach
    /// the book; nobody else's do). `false`: liquidations wait for the reopening.
    pub liquidations: bool,
    /// Whether resting orders are cancelled when the halt starts.
    pub cancel_resting: bool,
    /// After the halt, orders may trade no further than this fraction from the mark the market
    /// halted at (zero: no reopening band).
    pub reopen_band: Rate,
    /// How long the reopening band lasts, milliseconds.
    pub reopen_ms: u64,
}

/// A price band around the mark (limit-up/limit-down): an order may not execute further than
/// `band` from the mark. A limit order beyond it is refused ([`crate::venue::VenueError::OutsideBand`]);
/// a market order is capped at its edge, as the venue's own market band caps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandRule {
    /// Fraction of the mark.
    pub band: Rate,
}

/// Liquidation pacing: how much the liquidation engine may close per market and interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Largest notional (settle asset, valued at the mark) liquidated per market and interval
    /// (dYdX's per-block limit, §6.3); `None`: no cap.
    pub max_notional: Option<Cash>,
    /// Length of an interval, milliseconds of the venue clock (intervals start at multiples of
    /// it).
    pub interval_ms: u64,
    /// Least time between two liquidation steps of the same account on the same market
    /// (milliseconds; 0: none).
    pub cooldown_ms: u64,
}

/// How a bankrupt remainder that reaches ADL is shared among the opposite positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdlRule {
    /// The venue's own ranking (its rule set).
    #[default]
    Venue,
    /// Every profitable opposite position is closed in proportion to its size; what they
    /// cannot cover goes on in the venue's ranking.
    ProRata,
    /// No position is closed against the bankrupt one: the backstop takes it over at the
    /// bankruptcy price and every profitable opposite position pays the backstop's loss at the
    /// mark, in proportion to its unrealized PnL (at most that PnL).
    Haircut,
}

/// An external backstop of the insurance fund: capital from outside the venue that refills the
/// fund before ADL when the fund is below `when_below`. It enters through the ledger as a
/// deposit into the fund, so conservation counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalBackstop {
    /// Capital available over the whole run, settle asset.
    pub capital: Cash,
    /// The fund balance below which it steps in; it refills the fund up to this figure.
    pub when_below: Cash,
}

/// Every safeguard of one venue (all off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Safeguards {
    /// Circuit breaker.
    pub halt: Option<HaltRule>,
    /// Price band for traders' orders.
    pub band: Option<BandRule>,
    /// Price band for liquidation orders (and the backstop's offload): they are clipped to it
    /// rather than refused, and what they cannot close goes down the waterfall.
    pub liquidation_band: Option<Rate>,
    /// Liquidation pacing.
    pub pacing: Option<Pacing>,
    /// ADL variant.
    pub adl: AdlRule,
    /// ADL runs only while the insurance fund holds less than this; at or above it the fund
    /// takes the whole bankrupt remainder over. `None`: the rule set decides.
    pub adl_fund_threshold: Option<Cash>,
    /// External backstop of the fund.
    pub backstop: Option<ExternalBackstop>,
}

/// `[lo, hi]`: the prices within `band` of `mark`, rounded inward onto the tick grid.
///
/// # Errors
/// Overflow.
pub fn band_edges(mark: Price, band: Rate, tick: i64) -> Result<(Price, Price), Overflow> {
    let hi = mark.mul_div(RATE_ONE + band.0, RATE_ONE, Round::Floor)?;
    let lo = mark.mul_div(RATE_ONE - band.0.min(RATE_ONE), RATE_ONE, Round::Ceil)?;
    let hi = hi.0 - hi.0.rem_euclid(tick);
    let lo = lo.0 + (tick - lo.0.rem_euclid(tick)) % tick;
    Ok((Price(lo.max(tick)), Price(hi.max(tick))))
}

/// Whether `mark` has moved by at least `move_rate` from any mark in `window` (rise from the
/// lowest, fall from the highest).
#[must_use]
pub fn moved(window: impl Iterator<Item = Price>, mark: Price, move_rate: Rate) -> bool {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for p in window {
        lo = lo.min(p.0);
        hi = hi.max(p.0);
    }
    if lo > hi {
        return false;
    }
    let (m, r, one) = (i128::from(mark.0), i128::from(move_rate.0), i128::from(RATE_ONE));
    // Rise: (mark − lo) / lo ≥ r; fall: (hi − mark) / hi ≥ r; compared without division.
    (m - i128::from(lo)) * one >= r * i128::from(lo) || (i128::from(hi) - m) * one >= r * i128::from(hi)
}

/// Splits `total` lots among holders of `sizes` lots in proportion (largest remainders get the
/// leftover lots, ties to the earlier holder), never more than a holder has. `total` must not
/// exceed the sum of `sizes`.
#[must_use]
pub fn pro_rata(total: i64, sizes: &[i64]) -> Vec<i64> {
    let sum: i128 = sizes.iter().map(|&s| i128::from(s)).sum();
    if sum <= 0 || total <= 0 {
        return vec![0; sizes.len()];
    }
    let total = i128::from(total).min(sum);
    let mut out: Vec<i64> = Vec::with_capacity(sizes.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(sizes.len());
    let mut given: i128 = 0;
    for (i, &s) in sizes.iter().enumerate() {
        let num = total * i128::from(s);
        let q = num / sum;
        given += q;
        out.push(i64::try_from(q).unwrap_or(i64::MAX));
        rems.push((num % sum, i));
    }
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = total - given;
    for (_, i) in rems {
        if left <= 0 {
            break;
        }
        if out[i] < sizes[i] {
            out[i] += 1;
            left -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 lots over holders of 5, 3 and 2: exact shares 5, 3, 2. 7 lots: 3.5, 2.1, 1.4 → 3, 2,
    /// 1 and the leftover lot to the largest remainder (0.5, holder 0): 4, 2, 1.
    #[test]
    fn pro_rata_splits_by_size_with_largest_remainders() {
        assert_eq!(pro_rata(10, &[5, 3, 2]), [5, 3, 2]);
        assert_eq!(pro_rata(7, &[5, 3, 2]), [4, 2, 1]);
        assert_eq!(pro_rata(0, &[5, 3]), [0, 0]);
    }

    /// Mark 100.0 (1000 at one decimal), 5% band, tick 0.5 (5): 95.0 and 105.0; with a 2.5% band
    /// 97.5 and 102.5; a 2.4% band → 97.6 / 102.4, rounded inward to 98.0 / 102.0.
    #[test]
    fn band_edges_round_inward() {
        assert_eq!(band_edges(Price(1000), Rate::from_bps(500), 5).unwrap(), (Price(950), Price(1050)));
        assert_eq!(band_edges(Price(1000), Rate::from_bps(250), 5).unwrap(), (Price(975), Price(1025)));
        assert_eq!(band_edges(Price(1000), Rate::from_bps(240), 5).unwrap(), (Price(980), Price(1020)));
    }

    /// Window marks 100, 104, 102; a 5% rule: 95.0 is 8.65% below 104 → moved; 98.9 is 4.9%
    /// below 104 → not; 105 is 5% above 100 → moved.
    #[test]
    fn moves_are_measured_from_the_window_extremes() {
        let w = [Price(1000), Price(1040), Price(1020)];
        let r = Rate::from_bps(500);
        assert!(moved(w.iter().copied(), Price(950), r));
        assert!(!moved(w.iter().copied(), Price(989), r));
        assert!(moved(w.iter().copied(), Price(1050), r));
        assert!(!moved(std::iter::empty(), Price(1), r));
    }
}
