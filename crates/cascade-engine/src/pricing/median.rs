//! Medians of prices: the robust statistic every venue's index and mark rule leans on.
//!
//! Venues take medians to stop one bad input from moving a price: Binance's and Bybit's mark is
//! the median of three candidates (venue-mechanics §1.2, §2.2), Binance's index falls back to the
//! median of its sources (§1.2), Hyperliquid's oracle and mark are (weighted) medians (§5.2).
//! Everything here is exact integer arithmetic; an even count takes the mean of the two middle
//! values rounded down ([`Round::Floor`]), so equal weights give the textbook median. Inputs are
//! copied, never reordered in place, and nothing here allocates for up to 16 values.

use smallvec::SmallVec;

use crate::num::{Price, Round, div_i128};

/// The middle of three prices, without sorting.
#[inline]
#[must_use]
pub fn median_of_three(a: Price, b: Price, c: Price) -> Price {
    a.min(b).max(a.max(b).min(c))
}

/// Mean of two prices rounded down, exact in `i128`.
#[inline]
pub(crate) fn mean_of_two(a: Price, b: Price) -> Price {
    // |a + b| < 2^64, so the sum and the halving are exact in i128 and the result fits in i64.
    Price(div_i128(i128::from(a.0) + i128::from(b.0), 2, Round::Floor).unwrap_or(a.0))
}

/// The median of `values`: the middle one, or the floor of the mean of the two middle ones for
/// an even count. `None` for an empty slice.
#[must_use]
pub fn median(values: &[Price]) -> Option<Price> {
    let mut v: SmallVec<[Price; 16]> = values.iter().copied().collect();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(mean_of_two(v[n / 2 - 1], v[n / 2])),
    }
}

/// The weighted median of `(price, weight)` pairs: the price at which half the total weight lies
/// on each side. When the cumulative weight reaches exactly half at one price, the result is the
/// floor of the mean of that price and the next, so equal weights give [`median`]. Zero weights
/// are ignored; `None` when the total weight is zero.
#[must_use]
pub fn weighted_median(values: &[(Price, u64)]) -> Option<Price> {
    let mut v: SmallVec<[(Price, u64); 16]> = values.iter().copied().filter(|&(_, w)| w > 0).collect();
    v.sort_unstable();
    let total: u128 = v.iter().map(|&(_, w)| u128::from(w)).sum();
    if total == 0 {
        return None;
    }
    let mut cum: u128 = 0;
    for (i, &(p, w)) in v.iter().enumerate() {
        cum += u128::from(w);
        if cum * 2 == total {
            // Exactly half at or below p: the median lies between p and the next price.
            return Some(v.get(i + 1).map_or(p, |&(q, _)| mean_of_two(p, q)));
        }
        if cum * 2 > total {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(v: &[i64]) -> Vec<Price> {
        v.iter().map(|&x| Price(x)).collect()
    }

    #[test]
    fn median_of_three_picks_the_middle_in_every_order() {
        for (a, b, c) in [(1, 2, 3), (1, 3, 2), (2, 1, 3), (2, 3, 1), (3, 1, 2), (3, 2, 1)] {
            assert_eq!(median_of_three(Price(a), Price(b), Price(c)), Price(2));
        }
        assert_eq!(median_of_three(Price(5), Price(5), Price(1)), Price(5));
    }

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&p(&[7, 1, 4])), Some(Price(4)));
        assert_eq!(median(&p(&[7, 1, 4, 2])), Some(Price(3)));
        // Mean of 2 and 5 is 3.5: rounded down.
        assert_eq!(median(&p(&[5, 2])), Some(Price(3)));
        assert_eq!(median(&p(&[-5, -2])), Some(Price(-4)));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&p(&[i64::MAX, i64::MAX])), Some(Price(i64::MAX)));
    }

    #[test]
    fn weighted_median_follows_the_weight() {
        // Hyperliquid-style weights 3, 2, 2, 1 (§5.2): total 8, half 4.
        let v = [(Price(100), 3), (Price(101), 2), (Price(90), 2), (Price(200), 1)];
        // Sorted: 90(2) 100(3) 101(2) 200(1): cumulative 2, 5 > 4 at 100.
        assert_eq!(weighted_median(&v), Some(Price(100)));
        // A heavy source wins alone.
        assert_eq!(weighted_median(&[(Price(5), 10), (Price(9), 1), (Price(1), 1)]), Some(Price(5)));
        // Exactly half: mean of the two straddling prices.
        assert_eq!(weighted_median(&[(Price(10), 1), (Price(20), 1)]), Some(Price(15)));
        assert_eq!(weighted_median(&[(Price(10), 0)]), None);
        assert_eq!(weighted_median(&[]), None);
    }

    proptest! {
        #[test]
        fn equal_weights_give_the_median(
            v in prop::collection::vec(-1_000_000i64..1_000_000, 1..30),
            w in 1u64..5,
        ) {
            let prices = p(&v);
            let weighted: Vec<(Price, u64)> = prices.iter().map(|&x| (x, w)).collect();
            prop_assert_eq!(weighted_median(&weighted), median(&prices));
        }

        #[test]
        fn median_lies_between_min_and_max(v in prop::collection::vec(any::<i64>(), 1..30)) {
            let m = median(&p(&v)).unwrap();
            prop_assert!(m.0 >= *v.iter().min().unwrap() && m.0 <= *v.iter().max().unwrap());
        }
    }
}
