//! Calibration: the simulated minute path of the reference market for the best parameters
//! (one line per seed) over the real minute closes it was fitted to, both relative to minute 0
//! in percent, against minutes since the start of the run.

use super::{Color, Figure, Line, palette};

/// The overlay figure. `real` and each simulated path are `(minute, percent change)` points;
/// `market` labels the title (e.g. `binance BTCUSDT`).
#[must_use]
pub fn path_overlay(market: &str, real: &[(f64, f64)], simulated: &[(String, Vec<(f64, f64)>)]) -> Figure {
    let mut fig = Figure::new(
        "calibration-path",
        format!("{market}: simulated vs real minute closes, best parameters"),
        "minutes since the start of the run",
        "change since minute 0 (%)".into(),
    );
    fig.y_from_zero = false;
    if !real.is_empty() {
        fig.lines.push(Line {
            name: "real (1m closes)".into(),
            color: Color(0, 0, 0),
            points: real.to_vec(),
        });
    }
    for (i, (name, points)) in simulated.iter().enumerate() {
        fig.lines.push(Line { name: name.clone(), color: palette(i), points: points.clone() });
    }
    fig.lines.retain(|l| !l.points.is_empty());
    fig.noted_if_empty("no price path")
}
