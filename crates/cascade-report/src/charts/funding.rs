//! Funding rate per market, in percent per hour: venues pay on different intervals (Binance
//! 8 h, Hyperliquid 1 h), so each rate is divided by its venue's interval to share one axis.
//! Without the scenario (no intervals known) the rates are drawn per their own interval and the
//! axis says so.

use super::{Figure, Line, MAX_LINE_POINTS, decimate, f, palette};
use crate::view::RunView;

/// The funding figure.
#[must_use]
pub fn figure(v: &RunView<'_>) -> Figure {
    let per_hour = v.venues.iter().all(|ven| v.ctx.funding_interval_ms.contains_key(ven));
    let mut fig = Figure::over_time(
        "funding",
        if per_hour {
            format!("Funding rate per hour: each venue's rate ÷ its interval ({})", v.run_label())
        } else {
            format!("Funding rate ({})", v.run_label())
        },
        &v.axis,
        if per_hour {
            "funding rate, % per hour".into()
        } else {
            "funding rate per funding interval (%)".into()
        },
    );
    fig.y_from_zero = false;
    for (k, m) in v.markets.iter().enumerate() {
        let interval_ms = v.ctx.funding_interval_ms.get(&m.venue).copied();
        let hours = if per_hour { interval_ms.map_or(1.0, |ms| ms as f64 / 3_600_000.0) } else { 1.0 };
        let pts: Vec<(f64, f64)> = v
            .rows(m)
            .filter_map(|r| r.funding_rate.map(|x| (v.axis.x(r.time_ms), f(x) * 100.0 / hours)))
            .collect();
        if !pts.is_empty() {
            let name = match interval_ms {
                Some(ms) if per_hour => {
                    format!("{} ({} h interval)", m.label(), super::short_amount(ms as f64 / 3_600_000.0))
                }
                _ => m.label(),
            };
            fig.lines.push(Line { name, color: palette(k), points: decimate(&pts, MAX_LINE_POINTS) });
        }
    }
    fig.noted_if_empty("no funding rate recorded")
}
