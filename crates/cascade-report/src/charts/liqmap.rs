//! The liquidation map chart: notional liquidated per price band, stacked by leverage band;
//! longs sit below the reference price (a vertical rule), shorts above it.

use super::{Bars, Color, Figure, Stack, VLine, f};
use crate::liqmap::{LEVERAGE_BANDS, LiqMap, group_thousands};

/// Colours of the leverage bands, low leverage (pale) to high (dark).
pub const LEVERAGE_COLORS: [Color; 6] = [
    Color(198, 219, 239),
    Color(158, 202, 225),
    Color(107, 174, 214),
    Color(49, 130, 189),
    Color(8, 81, 156),
    Color(8, 48, 107),
];

/// The map's figure.
#[must_use]
pub fn figure(map: &LiqMap) -> Figure {
    let mut fig = Figure::new(
        &format!("liqmap-{}", map.coin),
        format!(
            "{} liquidation map: longs below, shorts above {}",
            map.coin,
            group_thousands(map.reference_price)
        ),
        "price (quote currency)",
        format!("notional liquidated per {} band (quote currency)", group_thousands(map.band)),
    );
    let mut edges: Vec<f64> = map.bands.iter().map(|b| f(b.low)).collect();
    if let Some(last) = map.bands.last() {
        edges.push(f(last.high));
    }
    let stacks = LEVERAGE_BANDS
        .iter()
        .enumerate()
        .map(|(k, (_, name))| Stack {
            name: format!("leverage {name}"),
            color: LEVERAGE_COLORS[k],
            values: map.bands.iter().map(|b| f(b.long[k].saturating_add(b.short[k]))).collect(),
        })
        .collect();
    fig.bars = Some(Bars { edges, stacks });
    fig.vlines.push(VLine {
        name: format!("reference price {}", group_thousands(map.reference_price)),
        color: Color(204, 37, 41),
        x: f(map.reference_price),
    });
    fig.noted_if_empty("no position liquidates in this window")
}
