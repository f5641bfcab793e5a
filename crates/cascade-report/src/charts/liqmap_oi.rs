//! Charts of the ESTIMATED liquidation map from open interest: a price × time heatmap of the
//! live estimated liquidation notional with the real price over it (as the exchange-data sites
//! draw theirs), and the cumulative long / short liquidation curves outward from the last price,
//! one pair per source (venue and symbol). Longs in reds, shorts in greens; UTC time axis.

use super::{Color, Figure, Heat, HeatLayer, Line, TimeAxis, VLine, f, iso_utc, short_amount};
use crate::liqmap::estimate::{OiMap, cumulative};
use crate::liqmap::group_thousands;

/// Shades of the long family (reds), one per source.
pub const LONG_SHADES: [Color; 4] =
    [Color(204, 37, 41), Color(240, 120, 60), Color(140, 20, 40), Color(230, 90, 140)];
/// Shades of the short family (greens), one per source.
pub const SHORT_SHADES: [Color; 4] =
    [Color(0, 140, 70), Color(90, 190, 120), Color(0, 90, 60), Color(60, 160, 160)];
/// Colours of the price lines, one per source.
const PRICE_COLORS: [Color; 4] =
    [Color(20, 20, 20), Color(0, 114, 178), Color(120, 120, 120), Color(86, 60, 160)];

/// `2025-11-02 00:05–00:15 UTC`, or `2025-11-02 00:05 – 11-09 00:00 UTC` across days.
#[must_use]
pub fn span_text(start_ms: i64, end_ms: i64) -> String {
    let (a, b) = (iso_utc(start_ms), iso_utc(end_ms));
    if a[..10] == b[..10] {
        format!("{} {}–{} UTC", &a[..10], &a[11..16], &b[11..16])
    } else {
        format!("{} {} – {} {} UTC", &a[..10], &a[11..16], &b[5..10], &b[11..16])
    }
}

fn pick(shades: &[Color; 4], i: usize) -> Color {
    shades[i % shades.len()]
}

/// The heatmap: every source's live estimated liquidation notional summed per cell (each column
/// shows the state at its end), longs and shorts as two layers; the sources' price lines on top.
#[must_use]
pub fn heatmap(map: &OiMap) -> Figure {
    let (start, end) = map.span();
    let axis = TimeAxis::for_duration(u64::try_from(end - start).unwrap_or(0)).at_utc(Some(start));
    let x = |t: i64| axis.x(u64::try_from(t - start).unwrap_or(0));
    let g = &map.grid;
    let mut fig = Figure::over_time(
        &format!("liqmap-oi-heatmap-{}", map.coin),
        format!("{} liquidation heatmap, ESTIMATED from open interest: {}", map.coin, span_text(start, end)),
        &axis,
        "price (quote currency)".into(),
    );
    fig.y_from_zero = false;
    let cols = g.columns();
    let mut long = vec![vec![0.0f64; g.bands]; cols];
    let mut short = vec![vec![0.0f64; g.bands]; cols];
    for e in &map.sources {
        for c in 0..cols.min(e.heat_long.len()) {
            for k in 0..g.bands {
                long[c][k] += f(e.heat_long[c][k]);
                short[c][k] += f(e.heat_short[c][k]);
            }
        }
    }
    let cells = |m: &Vec<Vec<f64>>| {
        let mut out = Vec::new();
        for (c, col) in m.iter().enumerate() {
            for (k, v) in col.iter().enumerate() {
                if *v > 0.0 {
                    out.push((c, k, *v));
                }
            }
        }
        out
    };
    let (long_cells, short_cells) = (cells(&long), cells(&short));
    let max = long_cells.iter().chain(&short_cells).map(|c| c.2).fold(0.0, f64::max);
    let band = f(g.band);
    let low = f(g.low);
    // Rows with a cell, plus the price path, set the drawn price range (the grid is wider).
    let mut heat = Heat {
        x_edges: g.times.iter().map(|t| x(*t)).collect(),
        y_edges: (0..=g.bands).map(|k| low + band * k as f64).collect(),
        layers: vec![
            HeatLayer {
                name: format!("longs liquidated below (estimated; darkest cell ${})", short_amount(max)),
                color: super::LONG,
                cells: long_cells,
            },
            HeatLayer {
                name: format!("shorts liquidated above (estimated; darkest cell ${})", short_amount(max)),
                color: super::SHORT,
                cells: short_cells,
            },
        ],
    };
    // Trim empty rows at both ends so the picture is not mostly blank.
    let used: Vec<usize> = heat.layers.iter().flat_map(|l| l.cells.iter().map(|c| c.1)).collect();
    let mut lo_row = used.iter().copied().min().unwrap_or(0);
    let mut hi_row = used.iter().copied().max().unwrap_or(g.bands.saturating_sub(1));
    for e in &map.sources {
        for (_, p) in &e.price_line {
            if let Some(k) = g.band_of(*p) {
                lo_row = lo_row.min(k);
                hi_row = hi_row.max(k);
            }
        }
    }
    heat.y_edges = heat.y_edges[lo_row..=hi_row + 1].to_vec();
    for l in &mut heat.layers {
        for c in &mut l.cells {
            c.1 -= lo_row;
        }
    }
    fig.heat = Some(heat);
    for (i, e) in map.sources.iter().enumerate() {
        fig.lines.push(Line {
            name: format!("{} price (close)", e.label),
            color: PRICE_COLORS[i % PRICE_COLORS.len()],
            points: e.price_line.iter().map(|(t, p)| (x(*t), f(*p))).collect(),
        });
    }
    fig.noted_if_empty("no estimated position is live on the map")
}

/// The cumulative curves: for each source, the longs liquidated if the price fell from the last
/// price to x, and the shorts if it rose to x; the last price as a rule.
#[must_use]
pub fn cumulative_figure(map: &OiMap) -> Figure {
    let (start, end) = map.span();
    let mut fig = Figure::new(
        &format!("liqmap-oi-cumulative-{}", map.coin),
        format!(
            "{} cumulative liquidations from the last price, ESTIMATED: {}",
            map.coin,
            span_text(start, end)
        ),
        "price (quote currency)",
        "cumulative notional liquidated (quote currency)".into(),
    );
    for (i, e) in map.sources.iter().enumerate() {
        let (longs, shorts) = cumulative(e, &map.grid);
        fig.lines.push(Line {
            name: format!("{} longs (price falls)", e.label),
            color: pick(&LONG_SHADES, i),
            points: longs.iter().rev().map(|(p, v)| (f(*p), f(*v))).collect(),
        });
        fig.lines.push(Line {
            name: format!("{} shorts (price rises)", e.label),
            color: pick(&SHORT_SHADES, i),
            points: shorts.iter().map(|(p, v)| (f(*p), f(*v))).collect(),
        });
    }
    fig.vlines.push(VLine {
        name: format!("last price {}", group_thousands(map.last_price())),
        color: Color(60, 60, 60),
        x: f(map.last_price()),
    });
    fig.noted_if_empty("no estimated position is live on the map")
}
