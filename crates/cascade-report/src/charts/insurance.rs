//! Insurance fund per venue, one chart each: the fund's change since the start and the venue's
//! bad debt on the scale of the drawdown (a 1M fund drawn by 20K is invisible on the 0–5M axis
//! of a larger venue's fund), with the intervals that had ADL marked on it.

use super::{Color, Figure, Line, MAX_LINE_POINTS, Markers, Shape, decimate, f, palette, short_amount};
use crate::view::RunView;

/// One insurance-fund figure per venue.
#[must_use]
pub fn figures(v: &RunView<'_>) -> Vec<Figure> {
    v.venues.iter().enumerate().map(|(k, venue)| figure(v, k, venue)).collect()
}

fn figure(v: &RunView<'_>, k: usize, venue: &str) -> Figure {
    let unit = v.ctx.settle_of(venue);
    // The fund is the venue's, repeated on each of its markets' rows: one point per time.
    let mut fund: Vec<(u64, f64)> = Vec::new();
    let mut debt: Vec<(u64, f64)> = Vec::new();
    let mut adl_at: Vec<u64> = Vec::new();
    for r in v.rec.series.iter().filter(|r| r.venue == venue) {
        if fund.last().is_none_or(|p| p.0 != r.time_ms) {
            fund.push((r.time_ms, f(r.insurance_fund)));
            debt.push((r.time_ms, f(r.bad_debt)));
        }
        if r.adl_count > 0 && adl_at.last() != Some(&r.time_ms) {
            adl_at.push(r.time_ms);
        }
    }
    let start = fund.first().map_or(0.0, |p| p.1);
    let mut fig = Figure::over_time(
        &format!("insurance-fund-{venue}"),
        format!("{venue} insurance fund (start {} {unit}) and ADL ({})", short_amount(start), v.run_label()),
        &v.axis,
        format!("{unit}: fund − start, bad debt"),
    );
    let pts = |s: &[(u64, f64)], minus: f64| -> Vec<(f64, f64)> {
        decimate(&s.iter().map(|(t, y)| (v.axis.x(*t), *y - minus)).collect::<Vec<_>>(), MAX_LINE_POINTS)
    };
    let adl: Vec<(f64, f64)> = adl_at
        .iter()
        .filter_map(|t| fund.iter().find(|p| p.0 == *t).map(|(_, y)| (v.axis.x(*t), *y - start)))
        .collect();
    if !fund.is_empty() {
        fig.lines.push(Line {
            name: "insurance fund − start".into(),
            color: palette(k),
            points: pts(&fund, start),
        });
    }
    if debt.iter().any(|p| p.1 != 0.0) {
        fig.lines.push(Line {
            name: "bad debt (cumulative)".into(),
            color: Color(120, 0, 0),
            points: pts(&debt, 0.0),
        });
    }
    if !adl.is_empty() {
        fig.markers.push(Markers {
            name: "ADL in the interval".into(),
            color: Color(170, 0, 170),
            shape: Shape::Cross,
            points: adl,
        });
    }
    fig.noted_if_empty("no insurance fund recorded")
}
