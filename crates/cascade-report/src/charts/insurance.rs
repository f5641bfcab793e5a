//! Insurance fund balance per venue, with the intervals that had ADL marked on it, and the
//! venue's bad debt when it has any.

use super::{Color, Figure, Line, MAX_LINE_POINTS, Markers, Shape, decimate, f, palette};
use crate::view::RunView;

/// The insurance-fund figure.
#[must_use]
pub fn figure(v: &RunView<'_>) -> Figure {
    let mut fig = Figure::new(
        "insurance-fund",
        format!("Insurance fund and ADL ({})", v.run_label()),
        &v.axis.label(),
        "balance (settle asset)".into(),
    );
    let mut adl = Vec::new();
    for (k, venue) in v.venues.iter().enumerate() {
        // The fund is the venue's, repeated on each of its markets' rows: one point per time.
        let mut fund: Vec<(u64, f64)> = Vec::new();
        let mut debt: Vec<(u64, f64)> = Vec::new();
        let mut adl_at: Vec<u64> = Vec::new();
        for r in v.rec.series.iter().filter(|r| &r.venue == venue) {
            if fund.last().is_none_or(|p| p.0 != r.time_ms) {
                fund.push((r.time_ms, f(r.insurance_fund)));
                debt.push((r.time_ms, f(r.bad_debt)));
            }
            if r.adl_count > 0 && adl_at.last() != Some(&r.time_ms) {
                adl_at.push(r.time_ms);
            }
        }
        let pts = |s: &[(u64, f64)]| -> Vec<(f64, f64)> {
            decimate(&s.iter().map(|(t, y)| (v.axis.x(*t), *y)).collect::<Vec<_>>(), MAX_LINE_POINTS)
        };
        for t in adl_at {
            if let Some((_, y)) = fund.iter().find(|p| p.0 == t) {
                adl.push((v.axis.x(t), *y));
            }
        }
        fig.lines.push(Line {
            name: format!("{venue} insurance fund"),
            color: palette(k),
            points: pts(&fund),
        });
        if debt.iter().any(|p| p.1 != 0.0) {
            fig.lines.push(Line {
                name: format!("{venue} bad debt"),
                color: Color(120, 0, 0),
                points: pts(&debt),
            });
        }
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
