//! Liquidation clusters: price bands where a population of positions would be liquidated, and
//! the distance from the current price to the nearest one of a given size.
//!
//! The bands come from a liquidation map (the `cascade watch --clusters` command solves a
//! positions file with the liquidation-map code); here they are plain numbers per coin. A long
//! cluster below the price and a short cluster above it are ahead of the price; a band the price
//! is inside is at distance 0; a long band above the price (or a short one below) has already
//! been passed and is ignored.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::event::Side;

/// One price band of liquidations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cluster {
    /// Positions liquidated there: `BUY` for shorts (their liquidation buys), `SELL` for longs,
    /// as a liquidation order's side.
    pub side: Side,
    /// Lower edge of the band (inclusive).
    pub low: Decimal,
    /// Upper edge (exclusive).
    pub high: Decimal,
    /// Notional liquidated in the band, quote currency.
    pub notional: Decimal,
}

/// The nearest cluster and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterDistance {
    /// The cluster.
    #[serde(flatten)]
    pub cluster: Cluster,
    /// Distance from the price to the band's near edge, percent of the price (0 inside it).
    pub distance_pct: f64,
}

/// Clusters per coin, each list sorted by price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clusters {
    by_coin: BTreeMap<String, Vec<Cluster>>,
}

impl Clusters {
    /// Groups liquidation levels `(coin, side, liquidation price, notional)` into bands of the
    /// coin's `band` width (`[k·band, (k+1)·band)`) and keeps the bands of one side holding at
    /// least `min_notional`. A coin missing from `band` or with a width ≤ 0 is skipped; see
    /// [`Clusters::coins`].
    #[must_use]
    pub fn from_levels(
        levels: impl IntoIterator<Item = (String, Side, Decimal, Decimal)>,
        band: &BTreeMap<String, Decimal>,
        min_notional: Decimal,
    ) -> Self {
        let mut sums: BTreeMap<(String, Decimal, Side), Decimal> = BTreeMap::new();
        for (coin, side, price, notional) in levels {
            let Some(w) = band.get(&coin).copied().filter(|w| *w > Decimal::ZERO) else { continue };
            let low = (price / w).floor() * w;
            let s = sums.entry((coin, low, side)).or_default();
            *s = s.saturating_add(notional);
        }
        let mut by_coin: BTreeMap<String, Vec<Cluster>> = BTreeMap::new();
        for ((coin, low, side), notional) in sums {
            if notional >= min_notional {
                let high = low + band[&coin];
                by_coin.entry(coin).or_default().push(Cluster { side, low, high, notional });
            }
        }
        Self { by_coin }
    }

    /// The coins that have at least one cluster.
    pub fn coins(&self) -> impl Iterator<Item = &str> {
        self.by_coin.keys().map(String::as_str)
    }

    /// The clusters of a coin, by price.
    #[must_use]
    pub fn of(&self, coin: &str) -> &[Cluster] {
        self.by_coin.get(coin).map_or(&[], Vec::as_slice)
    }

    /// Whether there is no cluster at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_coin.is_empty()
    }

    /// The cluster of `coin` nearest to `price` that is still ahead of it (ties: the larger
    /// notional, then the lower band).
    #[must_use]
    pub fn nearest(&self, coin: &str, price: Decimal) -> Option<ClusterDistance> {
        if price <= Decimal::ZERO {
            return None;
        }
        let mut best: Option<(Decimal, &Cluster)> = None;
        for c in self.of(coin) {
            let gap = match c.side {
                Side::Sell if c.low <= price => (price - c.high).max(Decimal::ZERO),
                Side::Buy if c.high > price => (c.low - price).max(Decimal::ZERO),
                _ => continue,
            };
            let better = match best {
                None => true,
                Some((g, b)) => gap < g || (gap == g && c.notional > b.notional),
            };
            if better {
                best = Some((gap, c));
            }
        }
        best.map(|(gap, c)| ClusterDistance {
            cluster: c.clone(),
            distance_pct: (gap / price * Decimal::ONE_HUNDRED).to_f64().unwrap_or(f64::NAN),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Longs liquidating at 95,100 and 95,400 (bands of 500: both in [95,000, 95,500)), a small
    /// long at 99,000 (below the minimum), shorts at 104,200; price 100,000.
    #[test]
    fn bands_sum_and_the_nearest_ahead_is_found() {
        let band = BTreeMap::from([("BTC".to_string(), d("500"))]);
        let levels = vec![
            ("BTC".to_string(), Side::Sell, d("95100"), d("600000")),
            ("BTC".to_string(), Side::Sell, d("95400"), d("500000")),
            ("BTC".to_string(), Side::Sell, d("99000"), d("10000")),
            ("BTC".to_string(), Side::Buy, d("104200"), d("2000000")),
            ("ETH".to_string(), Side::Buy, d("4000"), d("2000000")),
        ];
        let c = Clusters::from_levels(levels, &band, d("1000000"));
        assert_eq!(c.coins().collect::<Vec<_>>(), ["BTC"], "ETH has no band width");
        assert_eq!(c.of("BTC").len(), 2);
        assert_eq!(
            c.of("BTC")[0],
            Cluster { side: Side::Sell, low: d("95000"), high: d("95500"), notional: d("1100000") }
        );
        // Shorts' band [104,000, 104,500) is 4,000 above 100,000 = 4 %; the longs' upper edge
        // 95,500 is 4,500 below = 4.5 %.
        let n = c.nearest("BTC", d("100000")).unwrap();
        assert_eq!((n.cluster.side, n.distance_pct), (Side::Buy, 4.0));
        // At 95,600 the longs are 100 away (0.1046 %); at 95,200 the price is inside them.
        let n = c.nearest("BTC", d("95600")).unwrap();
        assert_eq!(n.cluster.side, Side::Sell);
        assert!((n.distance_pct - 100.0 / 95_600.0 * 100.0).abs() < 1e-12);
        assert_eq!(c.nearest("BTC", d("95200")).unwrap().distance_pct, 0.0);
        // Above 104,500 the shorts were passed; below 95,000 the longs were: nothing ahead.
        assert!(c.nearest("BTC", d("94000")).is_some_and(|n| n.cluster.side == Side::Buy));
        assert!(c.nearest("BTC", d("105000")).is_some_and(|n| n.cluster.side == Side::Sell));
        assert_eq!(c.nearest("SOL", d("100")), None);
    }
}
