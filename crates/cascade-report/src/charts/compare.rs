//! Several runs on the same axes: the mark price of each market, cumulative liquidated
//! notional, total open interest, total insurance fund and total depth within 1 %.
//!
//! Runs are told apart by colour (the legend gives each run's label); every run uses one time
//! axis, chosen from the longest run.

use super::{Figure, Line, MAX_LINE_POINTS, TimeAxis, decimate, f, palette};
use crate::view::RunView;

/// A run and its label in legends.
pub struct Labeled<'a> {
    /// Legend label (e.g. `A: oct-10-2025 seed 1`).
    pub label: String,
    /// The run.
    pub view: RunView<'a>,
}

/// The comparison figures.
#[must_use]
pub fn figures(runs: &[Labeled<'_>]) -> Vec<Figure> {
    let longest = runs.iter().map(|r| r.view.rec.summary.duration_ms).max().unwrap_or(0);
    // UTC when every run starts at the same instant (e.g. seeds of one placed scenario).
    let start = runs.first().and_then(|r| r.view.ctx.start_unix_ms);
    let same_start = runs.iter().all(|r| r.view.ctx.start_unix_ms == start);
    let axis = TimeAxis::for_duration(longest).at_utc(if same_start { start } else { None });
    let mut out = Vec::new();
    // Markets in order of first appearance over the runs.
    let mut markets: Vec<(String, String)> = Vec::new();
    for r in runs {
        for m in &r.view.markets {
            let key = (m.venue.clone(), m.instrument.clone());
            if !markets.contains(&key) {
                markets.push(key);
            }
        }
    }
    for (venue, instrument) in &markets {
        let unit = runs.first().map_or_else(|| "settle asset".into(), |r| r.view.ctx.settle_of(venue));
        let mut fig = Figure::over_time(
            &format!("compare-mark-{venue}-{instrument}"),
            format!("{venue} {instrument}: mark price by run"),
            &axis,
            format!("mark price ({unit})"),
        );
        fig.y_from_zero = false;
        for (k, r) in runs.iter().enumerate() {
            let Some(m) = r.view.markets.iter().find(|m| &m.venue == venue && &m.instrument == instrument)
            else {
                continue;
            };
            let pts: Vec<(f64, f64)> =
                r.view.rows(m).filter_map(|row| row.mark.map(|p| (axis.x(row.time_ms), f(p)))).collect();
            fig.lines.push(Line {
                name: r.label.clone(),
                color: palette(k),
                points: decimate(&pts, MAX_LINE_POINTS),
            });
        }
        out.push(fig.noted_if_empty("no mark price recorded"));
    }
    type Get = fn(&cascade_sim::metrics::SeriesRow) -> f64;
    let totals: [(&str, &str, &str, bool, Get); 4] = [
        (
            "compare-liquidations-cumulative",
            "Cumulative liquidated notional by run",
            "liquidated since start (settle asset)",
            true,
            |r| f(r.liq_long_notional) + f(r.liq_short_notional),
        ),
        (
            "compare-open-interest",
            "Open interest (all markets) by run",
            "open interest at mark (settle asset)",
            false,
            |r| f(r.open_interest_notional),
        ),
        (
            "compare-insurance-fund",
            "Insurance funds (all venues) by run",
            "balance (settle asset)",
            false,
            |r| f(r.insurance_fund),
        ),
        (
            "compare-depth-1pct",
            "Depth within 1% (all markets, bids + asks) by run",
            "resting notional (settle asset)",
            false,
            |r| f(r.bid_depth_1pct) + f(r.ask_depth_1pct),
        ),
    ];
    for (id, title, y, cumulative, get) in totals {
        let mut fig = Figure::over_time(id, title.into(), &axis, y.into());
        for (k, r) in runs.iter().enumerate() {
            let pts = if id == "compare-insurance-fund" {
                per_time_venue_total(&r.view, &axis)
            } else {
                per_time_total(&r.view, &axis, get)
            };
            let pts = if cumulative {
                let mut acc = 0.0;
                pts.into_iter()
                    .map(|(x, y)| {
                        acc += y;
                        (x, acc)
                    })
                    .collect()
            } else {
                pts
            };
            fig.lines.push(Line {
                name: r.label.clone(),
                color: palette(k),
                points: decimate(&pts, MAX_LINE_POINTS),
            });
        }
        out.push(fig.noted_if_empty("nothing recorded"));
    }
    out
}

/// `get` summed over all rows at each sampling time, in time order.
fn per_time_total(
    v: &RunView<'_>,
    axis: &TimeAxis,
    get: fn(&cascade_sim::metrics::SeriesRow) -> f64,
) -> Vec<(f64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    let mut rows: Vec<&cascade_sim::metrics::SeriesRow> = v.rec.series.iter().collect();
    rows.sort_by_key(|r| r.time_ms);
    for r in rows {
        match out.last_mut() {
            Some(last) if last.0 == r.time_ms => last.1 += get(r),
            _ => out.push((r.time_ms, get(r))),
        }
    }
    out.into_iter().map(|(t, y)| (axis.x(t), y)).collect()
}

/// The insurance funds summed over venues at each sampling time (each venue's fund counted once,
/// not once per market).
fn per_time_venue_total(v: &RunView<'_>, axis: &TimeAxis) -> Vec<(f64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    let mut seen: Vec<(u64, &str)> = Vec::new();
    let mut rows: Vec<&cascade_sim::metrics::SeriesRow> = v.rec.series.iter().collect();
    rows.sort_by_key(|r| r.time_ms);
    for r in rows {
        if seen.iter().any(|(t, venue)| *t == r.time_ms && *venue == r.venue) {
            continue;
        }
        seen.retain(|(t, _)| *t == r.time_ms);
        seen.push((r.time_ms, &r.venue));
        match out.last_mut() {
            Some(last) if last.0 == r.time_ms => last.1 += f(r.insurance_fund),
            _ => out.push((r.time_ms, f(r.insurance_fund))),
        }
    }
    out.into_iter().map(|(t, y)| (axis.x(t), y)).collect()
}
