//! `--clusters POSITIONS.csv`: the positions' liquidation prices, solved by the liquidation
//! map's code (the engine's margin rules per venue), grouped into bands per coin.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use cascade_report::liqmap::{self, read_positions, solve};
use cascade_sim::metrics::PositionSide;
use cascade_watch::{Clusters, Side};
use rust_decimal::Decimal;

/// Reads and solves the positions, and groups them into bands of `band` (default: a round
/// number near 0.5 % of each coin's notional-weighted mean liquidation price) holding at least
/// `min` of one side's notional.
pub fn from_positions(path: &Path, band: Option<Decimal>, min: Decimal) -> anyhow::Result<Clusters> {
    if band.is_some_and(|b| b <= Decimal::ZERO) {
        bail!("--cluster-band: must be > 0");
    }
    if min < Decimal::ZERO {
        bail!("--cluster-min: must be ≥ 0");
    }
    let positions = read_positions(path).with_context(|| format!("--clusters {}", path.display()))?;
    let mut levels = Vec::with_capacity(positions.len());
    for (i, p) in positions.iter().enumerate() {
        let row = i as u64 + 1;
        let s = solve(p, row).map_err(|e| match e {
            cascade_report::ReportError::Position { row, field, message, .. } => {
                anyhow::anyhow!("--clusters {}: row {row}, field `{field}`: {message}", path.display())
            }
            other => anyhow::Error::new(other).context(format!("--clusters {}: row {row}", path.display())),
        })?;
        if let Some(lp) = s.liquidation_price {
            let side = match s.side {
                PositionSide::Long => Side::Sell,
                PositionSide::Short => Side::Buy,
            };
            levels.push((s.coin, side, lp, s.notional));
        }
    }
    if levels.is_empty() {
        bail!("--clusters {}: no position with a liquidation price", path.display());
    }
    let mut widths: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut weighted: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for (coin, _, lp, n) in &levels {
        let w = weighted.entry(coin.clone()).or_default();
        w.0 = w.0.saturating_add(lp.saturating_mul(*n));
        w.1 = w.1.saturating_add(*n);
    }
    for (coin, (pn, n)) in weighted {
        let width = match band {
            Some(b) => b,
            None if n > Decimal::ZERO => liqmap::nice_width(pn / n * Decimal::new(5, 3)),
            None => Decimal::ONE,
        };
        widths.insert(coin, width);
    }
    let clusters = Clusters::from_levels(levels, &widths, min);
    if clusters.is_empty() {
        // The option could not act: say so rather than watch without distances.
        bail!("--clusters {}: no band holds {min} or more of one side (lower --cluster-min)", path.display());
    }
    Ok(clusters)
}
