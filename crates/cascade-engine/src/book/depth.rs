//! Read-only market-data queries: best prices, mid, spread, levels from the best outward, depth
//! in a price band, and the cost of sweeping a quantity or a notional.
//!
//! Everything here reads the incrementally kept level aggregates, so a query costs O(log P)
//! (P = pages of the ladder) plus the levels it walks, never the number of orders. Sums are exact: quantities in `i64`
//! (bounded by the side total), price × quantity in `i128`.

use crate::num::{Price, Qty, RATE_ONE, Rate, Round, mul_div};

use super::Book;
use super::arena::NIL;
use super::level::LadderIter;
use super::order::{OrderView, Side};

/// One price level as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelInfo {
    /// The level's price.
    pub price: Price,
    /// Total resting quantity at this price.
    pub qty: Qty,
    /// Number of resting orders at this price.
    pub orders: u32,
}

/// Levels of one side from the best outward (see [`Book::level_infos`]).
pub struct Levels<'a> {
    inner: LadderIter<'a>,
}

impl Iterator for Levels<'_> {
    type Item = LevelInfo;

    #[inline]
    fn next(&mut self) -> Option<LevelInfo> {
        let (price, li) = self.inner.next()?;
        let l = self.inner.ladder().level(li);
        Some(LevelInfo { price, qty: l.total(), orders: l.count })
    }
}

/// The cost of taking liquidity: what a sweep of the opposite side would fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sweep {
    /// Quantity filled.
    pub qty: Qty,
    /// The worst (last) price reached.
    pub worst: Price,
    /// Σ price × qty over the fills, in raw price units × quantity units; divide by `qty` for
    /// the exact volume-weighted average price.
    pub notional: i128,
}

impl Book {
    /// Highest resting bid.
    #[must_use]
    pub fn best_bid(&self) -> Option<Price> {
        self.ladders[Side::Buy.idx()].best().map(|(p, _)| p)
    }

    /// Lowest resting ask.
    #[must_use]
    pub fn best_ask(&self) -> Option<Price> {
        self.ladders[Side::Sell.idx()].best().map(|(p, _)| p)
    }

    /// Best price of one side.
    #[must_use]
    pub fn best(&self, side: Side) -> Option<Price> {
        self.ladders[side.idx()].best().map(|(p, _)| p)
    }

    /// Mid price `(bid + ask) / 2`, rounded down to a price unit; `None` unless both sides rest.
    #[must_use]
    pub fn mid(&self) -> Option<Price> {
        let (b, a) = (self.best_bid()?, self.best_ask()?);
        // Both positive, so the halves cannot overflow; floor of the exact mid.
        Some(Price(b.0 / 2 + a.0 / 2 + (b.0 % 2 + a.0 % 2) / 2))
    }

    /// `ask − bid`; `None` unless both sides rest. Positive whenever the book is at rest.
    #[must_use]
    pub fn spread(&self) -> Option<Price> {
        Some(Price(self.best_ask()?.0 - self.best_bid()?.0))
    }

    /// `(price, quantity)` of each level of `side`, from the best outward.
    pub fn levels(&self, side: Side) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.level_infos(side).map(|l| (l.price, l.qty))
    }

    /// Price, quantity and order count of each level of `side`, from the best outward.
    #[must_use]
    pub fn level_infos(&self, side: Side) -> Levels<'_> {
        Levels { inner: self.ladders[side.idx()].iter() }
    }

    /// The level of `side` at exactly `price`, if any order rests there.
    #[must_use]
    pub fn level_at(&self, side: Side, price: Price) -> Option<LevelInfo> {
        let ladder = &self.ladders[side.idx()];
        let l = ladder.level(ladder.get(price)?);
        Some(LevelInfo { price, qty: l.total(), orders: l.count })
    }

    /// The orders resting at one price, in queue (time-priority) order.
    pub fn level_orders(&self, side: Side, price: Price) -> impl Iterator<Item = OrderView> + '_ {
        let ladder = &self.ladders[side.idx()];
        let mut cur = ladder.get(price).map_or(NIL, |li| ladder.level(li).head);
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let slot = cur;
            cur = self.orders.nodes[slot as usize].next;
            self.view(slot)
        })
    }

    /// Quantity resting on `side` at prices between `a` and `b` inclusive (either order).
    #[must_use]
    pub fn depth_between(&self, side: Side, a: Price, b: Price) -> Qty {
        let ladder = &self.ladders[side.idx()];
        let sum = ladder.range(a, b).map(|(_, li)| ladder.level(li).total().0).sum();
        Qty(sum)
    }

    /// Quantity resting on `side` within a fraction `rate` of the mid: bids at or above
    /// `mid·(1 − rate)` (rounded up to a price unit), asks at or below `mid·(1 + rate)`
    /// (rounded down). `None` unless both sides rest; a negative rate gives zero.
    #[must_use]
    pub fn depth_within(&self, side: Side, rate: Rate) -> Option<Qty> {
        let mid = self.mid()?;
        if rate.is_negative() {
            return Some(Qty::ZERO);
        }
        let bound = match side {
            Side::Buy => {
                let f = RATE_ONE.saturating_sub(rate.0);
                if f <= 0 { Price(1) } else { Price(mul_div(mid.0, f, RATE_ONE, Round::Ceil).unwrap_or(1)) }
            }
            Side::Sell => Price(
                mul_div(mid.0, RATE_ONE.saturating_add(rate.0), RATE_ONE, Round::Floor).unwrap_or(i64::MAX),
            ),
        };
        Some(self.depth_between(side, mid, bound))
    }

    /// What a taker on `taker_side` would pay to fill `qty` now at any price: the worst level
    /// reached and Σ price × qty (raw units, exact) for the VWAP. `None` if the opposite side
    /// holds less than `qty` or `qty` is not positive.
    #[must_use]
    pub fn impact_price(&self, taker_side: Side, qty: Qty) -> Option<(Price, i128)> {
        if !qty.is_positive() {
            return None;
        }
        let mut need = qty.0;
        let mut notional = 0i128;
        for info in self.level_infos(taker_side.opposite()) {
            let q = need.min(info.qty.0);
            notional += i128::from(info.price.0) * i128::from(q);
            need -= q;
            if need == 0 {
                return Some((info.price, notional));
            }
        }
        None
    }

    /// The smallest lot-multiple quantity a taker on `taker_side` must sweep for Σ price × qty
    /// to reach `notional` (raw price units × quantity units; for a linear contract, the
    /// impact notional). `None` if the opposite side is too thin or `notional` is not positive.
    #[must_use]
    pub fn qty_for_notional(&self, taker_side: Side, notional: i128) -> Option<Sweep> {
        if notional <= 0 {
            return None;
        }
        let lot = i128::from(self.lot.0);
        let mut qty = 0i64;
        let mut acc = 0i128;
        for info in self.level_infos(taker_side.opposite()) {
            let p = i128::from(info.price.0);
            let level_notional = p * i128::from(info.qty.0);
            if acc + level_notional < notional {
                acc += level_notional;
                qty += info.qty.0;
                continue;
            }
            // Whole lots at this price, rounded up so the target is reached.
            let short = notional - acc;
            let lots = (short + p * lot - 1) / (p * lot);
            let q = i64::try_from(lots * lot).ok()?.min(info.qty.0);
            return Some(Sweep { qty: Qty(qty + q), worst: info.price, notional: acc + p * i128::from(q) });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{AccountId, NewOrder};

    fn book() -> Book {
        let mut b = Book::new(Price(10), Qty(1)).unwrap();
        let mut ev = Vec::new();
        for (side, px, q) in [
            (Side::Buy, 990, 5),
            (Side::Buy, 980, 7),
            (Side::Buy, 990, 3),
            (Side::Buy, 900, 100),
            (Side::Sell, 1010, 4),
            (Side::Sell, 1020, 6),
            (Side::Sell, 1100, 50),
        ] {
            b.submit(NewOrder::limit(AccountId(1), side, Price(px), Qty(q)), &mut ev).unwrap();
        }
        b
    }

    #[test]
    fn best_mid_spread() {
        let b = book();
        assert_eq!(b.best_bid(), Some(Price(990)));
        assert_eq!(b.best_ask(), Some(Price(1010)));
        assert_eq!(b.mid(), Some(Price(1000)));
        assert_eq!(b.spread(), Some(Price(20)));
        let empty = Book::new(Price(1), Qty(1)).unwrap();
        assert_eq!(empty.mid(), None);
        assert_eq!(empty.spread(), None);
    }

    #[test]
    fn mid_rounds_down() {
        let mut b = Book::new(Price(1), Qty(1)).unwrap();
        let mut ev = Vec::new();
        b.submit(NewOrder::limit(AccountId(0), Side::Buy, Price(7), Qty(1)), &mut ev).unwrap();
        b.submit(NewOrder::limit(AccountId(0), Side::Sell, Price(10), Qty(1)), &mut ev).unwrap();
        assert_eq!(b.mid(), Some(Price(8)));
        let mut b2 = Book::new(Price(1), Qty(1)).unwrap();
        b2.submit(NewOrder::limit(AccountId(0), Side::Buy, Price(i64::MAX - 2), Qty(1)), &mut ev).unwrap();
        b2.submit(NewOrder::limit(AccountId(0), Side::Sell, Price(i64::MAX), Qty(1)), &mut ev).unwrap();
        assert_eq!(b2.mid(), Some(Price(i64::MAX - 1)));
    }

    #[test]
    fn levels_from_best_outward_with_counts() {
        let b = book();
        let bids: Vec<_> = b.level_infos(Side::Buy).collect();
        assert_eq!(
            bids,
            vec![
                LevelInfo { price: Price(990), qty: Qty(8), orders: 2 },
                LevelInfo { price: Price(980), qty: Qty(7), orders: 1 },
                LevelInfo { price: Price(900), qty: Qty(100), orders: 1 },
            ]
        );
        let asks: Vec<_> = b.levels(Side::Sell).collect();
        assert_eq!(asks, vec![(Price(1010), Qty(4)), (Price(1020), Qty(6)), (Price(1100), Qty(50))]);
        assert_eq!(b.level_at(Side::Buy, Price(980)).map(|l| l.qty), Some(Qty(7)));
        assert_eq!(b.level_at(Side::Buy, Price(970)), None);
    }

    #[test]
    fn depth_in_bands() {
        let b = book();
        assert_eq!(b.depth_between(Side::Buy, Price(1000), Price(980)), Qty(15));
        assert_eq!(b.depth_between(Side::Buy, Price(980), Price(1000)), Qty(15));
        assert_eq!(b.depth_between(Side::Sell, Price(0), Price(i64::MAX)), Qty(60));
        // 2% of mid 1000 = 20: bids >= 980, asks <= 1020.
        assert_eq!(b.depth_within(Side::Buy, Rate::from_bps(200)), Some(Qty(15)));
        assert_eq!(b.depth_within(Side::Sell, Rate::from_bps(200)), Some(Qty(10)));
        assert_eq!(b.depth_within(Side::Sell, Rate(-1)), Some(Qty::ZERO));
        assert_eq!(b.depth_within(Side::Buy, Rate(i64::MAX)), Some(Qty(115)));
        assert_eq!(b.depth_within(Side::Sell, Rate(i64::MAX)), Some(Qty(60)));
    }

    #[test]
    fn impact_of_a_sweep() {
        let b = book();
        // Buy 7: 4 @ 1010 + 3 @ 1020 = 4040 + 3060.
        assert_eq!(b.impact_price(Side::Buy, Qty(7)), Some((Price(1020), 7100)));
        // Sell 9: 8 @ 990 + 1 @ 980.
        assert_eq!(b.impact_price(Side::Sell, Qty(9)), Some((Price(980), 8900)));
        assert_eq!(b.impact_price(Side::Buy, Qty(61)), None);
        assert_eq!(b.impact_price(Side::Buy, Qty(0)), None);
    }

    #[test]
    fn quantity_for_an_impact_notional() {
        let b = book();
        // 5000: 4 @ 1010 = 4040, then 960 more at 1020 needs 1 lot (1020).
        assert_eq!(
            b.qty_for_notional(Side::Buy, 5000),
            Some(Sweep { qty: Qty(5), worst: Price(1020), notional: 5060 })
        );
        // Exactly one level.
        assert_eq!(
            b.qty_for_notional(Side::Buy, 4040),
            Some(Sweep { qty: Qty(4), worst: Price(1010), notional: 4040 })
        );
        assert_eq!(b.qty_for_notional(Side::Buy, 10_000_000), None);
        assert_eq!(b.qty_for_notional(Side::Sell, 0), None);
    }
}
