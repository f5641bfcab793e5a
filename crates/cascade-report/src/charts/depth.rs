//! Book depth within 1 % and 5 % of the mid (bids + asks) and the bid-ask spread, per market.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette};
use crate::view::RunView;

/// The depth figure and the spread figure.
#[must_use]
pub fn figures(v: &RunView<'_>) -> Vec<Figure> {
    let mut depth = Figure::new(
        "depth",
        format!("Depth within 1% and 5% of mid, bids + asks ({})", v.run_label()),
        &v.axis.label(),
        "resting notional (settle asset)".into(),
    );
    let mut spread = Figure::new(
        "spread",
        format!("Bid-ask spread ({})", v.run_label()),
        &v.axis.label(),
        "spread (basis points of mid)".into(),
    );
    for (k, m) in v.markets.iter().enumerate() {
        let one: Vec<(f64, f64)> =
            v.rows(m).map(|r| (v.axis.x(r.time_ms), f(r.bid_depth_1pct) + f(r.ask_depth_1pct))).collect();
        let five: Vec<(f64, f64)> =
            v.rows(m).map(|r| (v.axis.x(r.time_ms), f(r.bid_depth_5pct) + f(r.ask_depth_5pct))).collect();
        // Two colours per market: the 1 % line in the market's colour, the 5 % one in the next.
        depth.lines.push(Line {
            name: format!("{} within 1%", m.label()),
            color: palette(2 * k),
            points: decimate(&one, MAX_LINE_POINTS),
        });
        depth.lines.push(Line {
            name: format!("{} within 5%", m.label()),
            color: palette(2 * k + 1),
            points: decimate(&five, MAX_LINE_POINTS),
        });
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
    vec![depth.noted_if_empty("no depth recorded"), spread.noted_if_empty("no two-sided book recorded")]
}
