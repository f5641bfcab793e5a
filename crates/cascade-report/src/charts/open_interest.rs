//! Open interest per market in contracts (quantity), as a change from the first sample: valued
//! at the mark, a fall in open interest would mostly show the price's own move, and markets of
//! different coins would not share an axis.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette, short_amount};
use crate::view::RunView;

/// The open-interest figure: one line per market, percent change of the quantity open.
#[must_use]
pub fn figure(v: &RunView<'_>) -> Figure {
    let mut fig = Figure::over_time(
        "open-interest",
        format!("Open interest in contracts, change since the start ({})", v.run_label()),
        &v.axis,
        "contracts open, % change from the start".into(),
    );
    for (k, m) in v.markets.iter().enumerate() {
        let Some(start) = v.rows(m).map(|r| f(r.open_interest)).find(|q| *q > 0.0) else { continue };
        let pts: Vec<(f64, f64)> =
            v.rows(m).map(|r| (v.axis.x(r.time_ms), (f(r.open_interest) / start - 1.0) * 100.0)).collect();
        fig.lines.push(Line {
            name: format!("{} ({} at start)", m.label(), quantity(start)),
            color: palette(k),
            points: decimate(&pts, MAX_LINE_POINTS),
        });
    }
    fig.noted_if_empty("no open interest recorded")
}

/// A quantity of contracts for a legend: short form from 10,000 up, else up to 4 decimals.
fn quantity(q: f64) -> String {
    if q.abs() >= 1e4 {
        return short_amount(q);
    }
    let t = format!("{q:.4}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}
