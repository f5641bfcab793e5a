//! The estimated map as text: the levels CSV and the JSON document (both carrying the word
//! ESTIMATE and the assumptions, so no copy of the numbers travels without them), and the
//! summary the command prints. Pure: building strings, no file is written here.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::estimate::{OiMap, cumulative};
use super::{group_thousands, usd};
use cascade_sim::metrics::PositionSide;

/// The headline written first in every output.
pub const HEADLINE: &str =
    "ESTIMATE: liquidation levels inferred from open interest and prices, not actual positions";

/// The live levels as CSV: `#` lines with the headline and assumptions (read with
/// `comment='#'`), then one row per level.
///
/// # Errors
/// Only if the CSV writer fails on memory.
pub fn levels_csv(map: &OiMap) -> Result<String, csv::Error> {
    let mut out = format!("# {HEADLINE} ({})\n", map.coin);
    for a in &map.assumptions {
        out.push_str(&format!("# {a}\n"));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "source",
        "venue",
        "symbol",
        "side",
        "leverage",
        "entry_time_utc",
        "entry_price",
        "liquidation_price",
        "size",
        "notional_at_liquidation",
    ])?;
    for e in &map.sources {
        for l in &e.levels {
            w.write_record([
                e.label.clone(),
                e.venue.name().to_string(),
                e.symbol.clone(),
                l.side.as_str().to_string(),
                l.leverage.normalize().to_string(),
                cascade_io::utc_text(l.entry_time_ms),
                l.entry_price.normalize().to_string(),
                l.liquidation_price.normalize().to_string(),
                l.size.normalize().to_string(),
                l.notional().normalize().to_string(),
            ])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    out.push_str(&String::from_utf8_lossy(&bytes));
    Ok(out)
}

fn pairs(v: &[(Decimal, Decimal)]) -> Value {
    Value::Array(
        v.iter().map(|(p, x)| json!([p.normalize().to_string(), x.normalize().to_string()])).collect(),
    )
}

/// The map as one JSON document: `estimate: true`, the headline, assumptions, grid, and per
/// source its figures, live levels, cumulative curves and the non-zero heat cells.
#[must_use]
pub fn json(map: &OiMap) -> Value {
    let (start, end) = map.span();
    let sources: Vec<Value> = map
        .sources
        .iter()
        .map(|e| {
            let (longs, shorts) = cumulative(e, &map.grid);
            let mut heat = Vec::new();
            for (c, (l, s)) in e.heat_long.iter().zip(&e.heat_short).enumerate() {
                for (k, (a, b)) in l.iter().zip(s).enumerate() {
                    if !a.is_zero() || !b.is_zero() {
                        heat.push(json!({
                            "column": c,
                            "band": k,
                            "long": a.normalize().to_string(),
                            "short": b.normalize().to_string(),
                        }));
                    }
                }
            }
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut v {
                o.insert("cumulative_long".into(), pairs(&longs));
                o.insert("cumulative_short".into(), pairs(&shorts));
                o.insert("heat".into(), Value::Array(heat));
            }
            v
        })
        .collect();
    json!({
        "estimate": true,
        "headline": HEADLINE,
        "coin": map.coin,
        "start_utc": cascade_io::utc_text(start),
        "end_utc": cascade_io::utc_text(end),
        "last_price": map.last_price().normalize().to_string(),
        "assumptions": map.assumptions,
        "grid": {
            "column_edges_utc": map.grid.times.iter().map(|t| cascade_io::utc_text(*t)).collect::<Vec<_>>(),
            "low": map.grid.low.normalize().to_string(),
            "band": map.grid.band.normalize().to_string(),
            "bands": map.grid.bands,
            "columns_show": "the state at each column's end",
        },
        "sources": sources,
    })
}

/// Live liquidation notional per band at the end, all sources: `(band low, long, short)` for
/// bands holding any, ascending.
#[must_use]
pub fn final_bands(map: &OiMap) -> Vec<(Decimal, Decimal, Decimal)> {
    let g = &map.grid;
    let mut long = vec![Decimal::ZERO; g.bands];
    let mut short = vec![Decimal::ZERO; g.bands];
    for e in &map.sources {
        for l in &e.levels {
            if let Some(k) = g.band_of(l.liquidation_price) {
                match l.side {
                    PositionSide::Long => long[k] += l.notional(),
                    PositionSide::Short => short[k] += l.notional(),
                }
            }
        }
    }
    (0..g.bands)
        .filter(|&k| !long[k].is_zero() || !short[k].is_zero())
        .map(|k| (g.low + g.band * Decimal::from(k as u64), long[k], short[k]))
        .collect()
}

/// The map in words: headline, per source what was read and done, the largest clusters, the
/// cumulative amounts within 1, 5 and 10 % of the last price. One fact per line.
#[must_use]
pub fn summary_text(map: &OiMap, top: usize) -> String {
    let (start, end) = map.span();
    let mut out = vec![format!(
        "{} — {HEADLINE}\n{}: {} to {}, last price {}, bands of {}",
        map.coin,
        map.coin,
        cascade_io::utc_text(start),
        cascade_io::utc_text(end),
        group_thousands(map.last_price()),
        group_thousands(map.grid.band)
    )];
    for e in &map.sources {
        let live_long: Decimal =
            e.levels.iter().filter(|l| l.side == PositionSide::Long).map(|l| l.notional()).sum();
        let live_short: Decimal =
            e.levels.iter().filter(|l| l.side == PositionSide::Short).map(|l| l.notional()).sum();
        out.push(format!(
            "  {}: {} steps, opened {} and closed {} (base units; {} closed beyond the map), liquidated {} of longs and {} of shorts; live {} of longs, {} of shorts",
            e.label,
            e.steps,
            e.opened.round_dp(4).normalize(),
            e.closed.round_dp(4).normalize(),
            e.closed_unmapped.round_dp(4).normalize(),
            usd(e.liquidated_long),
            usd(e.liquidated_short),
            usd(live_long),
            usd(live_short)
        ));
        if e.rows_outside > 0 || e.rows_without_ratio > 0 {
            out.push(format!(
                "    {} open-interest rows outside the price file's span (not used), {} without the split ratio (split half and half)",
                e.rows_outside, e.rows_without_ratio
            ));
        }
    }
    let bands = final_bands(map);
    let mut clusters: Vec<(PositionSide, Decimal, Decimal)> = bands
        .iter()
        .flat_map(|(low, l, s)| [(PositionSide::Long, *low, *l), (PositionSide::Short, *low, *s)])
        .filter(|c| !c.2.is_zero())
        .collect();
    clusters.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
    for (side, low, v) in clusters.iter().take(top) {
        out.push(format!(
            "  {} of {}s liquidate between {} and {} (estimated)",
            usd(*v),
            side.as_str(),
            group_thousands(*low),
            group_thousands(*low + map.grid.band)
        ));
    }
    let m = map.last_price();
    for pct in [1u32, 5, 10] {
        let d = m * Decimal::from(pct) / Decimal::ONE_HUNDRED;
        let l: Decimal = bands.iter().filter(|b| b.0 >= m - d && b.0 + map.grid.band <= m).map(|b| b.1).sum();
        let s: Decimal = bands.iter().filter(|b| b.0 >= m && b.0 + map.grid.band <= m + d).map(|b| b.2).sum();
        out.push(format!(
            "  within {pct}%: {} of longs below, {} of shorts above (estimated)",
            usd(l),
            usd(s)
        ));
    }
    out.join("\n")
}
