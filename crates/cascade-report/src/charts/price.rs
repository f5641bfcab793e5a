//! Price paths per market: last traded, mark and index, with liquidation bursts marked.
//!
//! A *burst* is a sampling interval in which one side's liquidated notional on the market is at
//! least [`BURST_SHARE`] of everything liquidated on that market over the run (both sides): a
//! wave of a few percent of the total is marked however large the single biggest interval was.
//! The marker sits at the interval's mark price (last price when there is no mark), red circles
//! for long liquidations, green triangles for short ones; the legend states the threshold.

use super::{Color, Figure, LONG, Line, MAX_LINE_POINTS, Markers, SHORT, Shape, decimate, f, short_amount};
use crate::view::{Market, RunView};

/// Share of the market's liquidated notional over the run that makes an interval a burst.
pub const BURST_SHARE: f64 = 0.01;

/// One price figure per market.
#[must_use]
pub fn figures(v: &RunView<'_>) -> Vec<Figure> {
    v.markets.iter().map(|m| figure(v, m)).collect()
}

fn figure(v: &RunView<'_>, m: &Market) -> Figure {
    let unit = v.settle(m);
    let mut fig = Figure::over_time(
        &format!("price-{}-{}", m.venue, m.instrument),
        format!("{}: last, mark, index ({})", m.label(), v.run_label()),
        &v.axis,
        format!("price ({unit})"),
    );
    fig.y_from_zero = false;
    let series = |name: &str, color: Color, get: fn(&cascade_sim::metrics::SeriesRow) -> Option<f64>| Line {
        name: name.into(),
        color,
        points: decimate(
            &v.rows(m).filter_map(|r| get(r).map(|y| (v.axis.x(r.time_ms), y))).collect::<Vec<_>>(),
            MAX_LINE_POINTS,
        ),
    };
    fig.lines.push(series("index", Color(150, 150, 150), |r| r.index.map(f)));
    fig.lines.push(series("mark", Color(230, 159, 0), |r| r.mark.map(f)));
    fig.lines.push(series("last", Color(0, 114, 178), |r| r.last.map(f)));
    fig.lines.retain(|l| !l.points.is_empty());
    let total: f64 = v.rows(m).map(|r| f(r.liq_long_notional) + f(r.liq_short_notional)).sum();
    let threshold = total * BURST_SHARE;
    let mut long = Vec::new();
    let mut short = Vec::new();
    if total > 0.0 {
        for r in v.rows(m) {
            let Some(p) = r.mark.or(r.last) else { continue };
            let x = v.axis.x(r.time_ms);
            if f(r.liq_long_notional) >= threshold && r.liq_long_count > 0 {
                long.push((x, f(p)));
            }
            if f(r.liq_short_notional) >= threshold && r.liq_short_count > 0 {
                short.push((x, f(p)));
            }
        }
    }
    let name = |side: &str| {
        format!(
            "{side} liquidations ≥ {} {unit} in an interval ({:.0}% of the market's total)",
            short_amount(threshold),
            BURST_SHARE * 100.0
        )
    };
    if !long.is_empty() {
        fig.markers.push(Markers { name: name("long"), color: LONG, shape: Shape::Circle, points: long });
    }
    if !short.is_empty() {
        fig.markers.push(Markers {
            name: name("short"),
            color: SHORT,
            shape: Shape::Triangle,
            points: short,
        });
    }
    fig.noted_if_empty("no price recorded")
}
