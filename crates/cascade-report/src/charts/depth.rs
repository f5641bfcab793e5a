//! Book depth within 1 % and within 5 % of the mid (bids + asks), one chart each, and the
//! bid-ask spread, per market.
//!
//! Depth is drawn as a percentage of the market's depth at its first sample (given in the
//! legend), so a thin alt book and the BTC book, in different currencies, share an axis and a
//! book that empties reads the same on both.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette, short_amount};
use crate::view::RunView;

/// The two depth figures and the spread figure.
#[must_use]
pub fn figures(v: &RunView<'_>) -> Vec<Figure> {
    let mut out: Vec<Figure> = [("1%", "depth", 1u8), ("5%", "depth-5pct", 5)]
        .into_iter()
        .map(|(band, id, which)| {
            let mut fig = Figure::over_time(
                id,
                format!("Depth within {band} of mid, bids + asks, % of the start ({})", v.run_label()),
                &v.axis,
                format!("depth within {band}, % of the start"),
            );
            for (k, m) in v.markets.iter().enumerate() {
                let depth = |r: &cascade_sim::metrics::SeriesRow| {
                    if which == 1 {
                        f(r.bid_depth_1pct) + f(r.ask_depth_1pct)
                    } else {
                        f(r.bid_depth_5pct) + f(r.ask_depth_5pct)
                    }
                };
                let Some(start) = v.rows(m).map(depth).find(|d| *d > 0.0) else { continue };
                let pts: Vec<(f64, f64)> =
                    v.rows(m).map(|r| (v.axis.x(r.time_ms), depth(r) / start * 100.0)).collect();
                fig.lines.push(Line {
                    name: format!("{} ({} {} at start)", m.label(), short_amount(start), v.settle(m)),
                    color: palette(k),
                    points: decimate(&pts, MAX_LINE_POINTS),
                });
            }
            fig.noted_if_empty("no depth recorded")
        })
        .collect();
    let mut spread = Figure::over_time(
        "spread",
        format!("Bid-ask spread ({})", v.run_label()),
        &v.axis,
        "spread (basis points of mid)".into(),
    );
    for (k, m) in v.markets.iter().enumerate() {
        let bps: Vec<(f64, f64)> = v
            .rows(m)
            .filter_map(|r| {
                let (b, a) = (f(r.best_bid?), f(r.best_ask?));
                let mid = (a + b) / 2.0;
                (mid > 0.0).then(|| (v.axis.x(r.time_ms), (a - b) / mid * 1e4))
            })
            .collect();
        spread.lines.push(Line {
            name: m.label(),
            color: palette(k),
            points: decimate(&bps, MAX_LINE_POINTS),
        });
    }
    out.push(spread.noted_if_empty("no two-sided book recorded"));
    out
}
