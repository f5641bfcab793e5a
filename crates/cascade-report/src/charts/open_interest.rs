//! Open interest per market, valued at the mark price.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette};
use crate::view::RunView;

/// The open-interest figure: one line per market.
#[must_use]
pub fn figure(v: &RunView<'_>) -> Figure {
    let mut fig = Figure::new(
        "open-interest",
        format!("Open interest ({})", v.run_label()),
        &v.axis.label(),
        "open interest at mark (settle asset)".into(),
    );
    for (k, m) in v.markets.iter().enumerate() {
        let pts: Vec<(f64, f64)> =
            v.rows(m).map(|r| (v.axis.x(r.time_ms), f(r.open_interest_notional))).collect();
        fig.lines.push(Line { name: m.label(), color: palette(k), points: decimate(&pts, MAX_LINE_POINTS) });
    }
    fig.noted_if_empty("no open interest recorded")
}
