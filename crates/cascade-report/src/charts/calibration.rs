//! Calibration: the simulated minute path of the reference market for the best parameters over
//! the real minute closes it was fitted to, both relative to minute 0 in percent, against
//! minutes since the start of the run. Up to [`MAX_SEED_LINES`] seeds get a line each; more
//! would bury the real path under a legend, so they are summarised per minute by their median
//! line and a shaded p10–p90 band (two grey lines in one colour read as one series).

use std::collections::BTreeMap;

use cascade_sim::fit::quantile;

use super::{Band, Color, Figure, Line, palette};

/// Most seeds drawn one line each.
pub const MAX_SEED_LINES: usize = 3;

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
    if simulated.len() <= MAX_SEED_LINES {
        for (i, (name, points)) in simulated.iter().enumerate() {
            fig.lines.push(Line { name: name.clone(), color: palette(i), points: points.clone() });
        }
    } else {
        let n = simulated.len();
        let p10 = per_minute_quantile(simulated, 0.1);
        let p90 = per_minute_quantile(simulated, 0.9);
        fig.bands.push(Band {
            name: format!("simulated p10–p90, {n} seeds"),
            color: palette(0),
            points: p10.iter().zip(&p90).map(|(lo, hi)| (lo.0, lo.1, hi.1)).collect(),
        });
        fig.lines.push(Line {
            name: format!("simulated median, {n} seeds"),
            color: palette(0),
            points: per_minute_quantile(simulated, 0.5),
        });
    }
    fig.lines.retain(|l| !l.points.is_empty());
    fig.noted_if_empty("no price path")
}

/// The `q`-quantile across seeds at each minute any seed has (seeds missing a minute are left
/// out of it), in minute order.
fn per_minute_quantile(simulated: &[(String, Vec<(f64, f64)>)], q: f64) -> Vec<(f64, f64)> {
    // Minutes are whole numbers in practice; key on milli-minutes so the order is exact.
    let mut at: BTreeMap<i64, (f64, Vec<f64>)> = BTreeMap::new();
    for (_, points) in simulated {
        for &(x, y) in points {
            at.entry((x * 1000.0).round() as i64).or_insert_with(|| (x, Vec::new())).1.push(y);
        }
    }
    at.into_values().map(|(x, ys)| (x, quantile(&ys, q))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(i: usize, ys: &[f64]) -> (String, Vec<(f64, f64)>) {
        (format!("seed {i}"), ys.iter().enumerate().map(|(m, y)| (m as f64, *y)).collect())
    }

    #[test]
    fn few_seeds_get_a_line_each() {
        let fig = path_overlay("m", &[(0.0, 0.0)], &[seed(1, &[0.0, -1.0]), seed(2, &[0.0, -2.0])]);
        assert_eq!(fig.lines.len(), 3);
    }

    #[test]
    fn many_seeds_are_summarised_by_median_and_p10_p90() {
        // Five seeds at minute 1: −1, −2, −3, −4, −5. Sorted −5 … −1; positions q × 4 with
        // linear interpolation: p10 at 0.4 → −5 + 0.4 = −4.6, median at 2 → −3, p90 at 3.6 →
        // −2 + 0.6 = −1.4.
        let sims: Vec<_> = (1..=5).map(|i| seed(i, &[0.0, -(i as f64)])).collect();
        let fig = path_overlay("m", &[(0.0, 0.0), (1.0, -1.0)], &sims);
        assert_eq!(fig.lines.len(), 2, "real + median");
        let median = fig.lines.iter().find(|l| l.name.starts_with("simulated median")).unwrap();
        assert!((median.points[1].1 + 3.0).abs() < 1e-12);
        let band = &fig.bands[0];
        assert!(band.name.starts_with("simulated p10–p90"));
        assert!((band.points[1].1 + 4.6).abs() < 1e-12 && (band.points[1].2 + 1.4).abs() < 1e-12);
    }
}
