//! Several runs on the same axes: the mark price of each market, cumulative liquidated
//! notional, total open interest, total insurance fund and total depth within 1 %.
//!
//! Runs are told apart by colour (the legend gives each run's label); every run uses one time
//! axis, chosen from the longest run. Amounts carry their unit: a market's price currency, and
//! for totals the settle asset they are in — dollar assets added 1:1 as USD (the axis says so),
//! a coin (BTC of inverse contracts) never added to them: its venues get charts of their own.

use super::{Figure, Line, MAX_LINE_POINTS, TimeAxis, decimate, f, palette};
use crate::view::{RunView, unit_groups};

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
        // The first run that knows the market's currency (runs without a scenario do not).
        let unit = runs
            .iter()
            .map(|r| r.view.ctx.price_unit(venue, instrument))
            .find(|u| u != "settle asset")
            .unwrap_or_else(|| "settle asset".into());
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
            "liquidated since start",
            true,
            |r| f(r.liq_long_notional) + f(r.liq_short_notional),
        ),
        (
            "compare-open-interest",
            "Open interest (all markets) by run",
            "open interest at mark",
            false,
            |r| f(r.open_interest_notional),
        ),
        ("compare-insurance-fund", "Insurance funds (all venues) by run", "balance", false, |r| {
            f(r.insurance_fund)
        }),
        (
            "compare-depth-1pct",
            "Depth within 1% (all markets, bids + asks) by run",
            "resting notional",
            false,
            |r| f(r.bid_depth_1pct) + f(r.ask_depth_1pct),
        ),
    ];
    // Amounts are added only within a group of settle assets (the dollar ones, counted 1:1, or
    // one coin): one chart per total and group, the group's venues named when there are several.
    let assets: Vec<String> =
        runs.iter().flat_map(|r| r.view.venues.iter().map(|v| r.view.ctx.settle_of(v))).collect();
    let groups = unit_groups(assets.iter().map(String::as_str));
    for (id, title, y, cumulative, get) in totals {
        for g in &groups {
            let (id, title) = if groups.len() == 1 {
                (id.to_string(), title.to_string())
            } else {
                (format!("{id}-{}", g.unit.to_lowercase()), format!("{title}: {}-settled venues", g.unit))
            };
            let mut fig = Figure::over_time(&id, title, &axis, format!("{y} ({})", g.described()));
            for (k, r) in runs.iter().enumerate() {
                let mine = |venue: &str| g.holds(&r.view.ctx.settle_of(venue));
                let pts = if id.starts_with("compare-insurance-fund") {
                    per_time_venue_total(&r.view, &axis, &mine)
                } else {
                    per_time_total(&r.view, &axis, get, &mine)
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
    }
    out
}

/// `get` summed over the rows of the venues `venue` accepts at each sampling time, in time order.
fn per_time_total(
    v: &RunView<'_>,
    axis: &TimeAxis,
    get: fn(&cascade_sim::metrics::SeriesRow) -> f64,
    venue: &dyn Fn(&str) -> bool,
) -> Vec<(f64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    let mut rows: Vec<&cascade_sim::metrics::SeriesRow> =
        v.rec.series.iter().filter(|r| venue(&r.venue)).collect();
    rows.sort_by_key(|r| r.time_ms);
    for r in rows {
        match out.last_mut() {
            Some(last) if last.0 == r.time_ms => last.1 += get(r),
            _ => out.push((r.time_ms, get(r))),
        }
    }
    out.into_iter().map(|(t, y)| (axis.x(t), y)).collect()
}

/// The insurance funds of the venues `venue` accepts summed at each sampling time (each venue's fund counted once,
/// not once per market).
fn per_time_venue_total(v: &RunView<'_>, axis: &TimeAxis, venue: &dyn Fn(&str) -> bool) -> Vec<(f64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    let mut seen: Vec<(u64, &str)> = Vec::new();
    let mut rows: Vec<&cascade_sim::metrics::SeriesRow> =
        v.rec.series.iter().filter(|r| venue(&r.venue)).collect();
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
