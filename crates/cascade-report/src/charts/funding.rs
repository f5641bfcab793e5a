//! Funding rate per market, in percent per funding interval.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette};
use crate::view::RunView;

/// The funding figure.
#[must_use]
pub fn figure(v: &RunView<'_>) -> Figure {
    let mut fig = Figure::new(
        "funding",
        format!("Funding rate ({})", v.run_label()),
        &v.axis.label(),
        "funding rate per funding interval (%)".into(),
    );
    fig.y_from_zero = false;
    for (k, m) in v.markets.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            v.rows(m).filter_map(|r| r.funding_rate.map(|x| (v.axis.x(r.time_ms), f(x) * 100.0))).collect();
        if !pts.is_empty() {
            fig.lines.push(Line {
                name: m.label(),
                color: palette(k),
                points: decimate(&pts, MAX_LINE_POINTS),
            });
        }
    }
    fig.noted_if_empty("no funding rate recorded")
}
