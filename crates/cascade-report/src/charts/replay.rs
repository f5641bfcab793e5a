//! A replay's own charts (`cascade replay`): the real price path over the simulated marks of
//! each market of the asset, and real against simulated liquidations per minute by side.
//!
//! Both read the replay tables (`real_path`, `liquidation_compare`); a run without them has
//! none of these charts. Real figures are drawn solid, simulated ones in their venue colours
//! (marks) or dashed-looking lighter shades (liquidations), so the two are told apart in the
//! legend by name first.

use std::collections::BTreeSet;

use cascade_io::replay::{LiquidationCompareRow, RealPathRow};
use cascade_sim::metrics::PositionSide;

use super::{Color, Figure, LONG, Line, MAX_LINE_POINTS, SHORT, decimate, f, palette};
use crate::view::RunView;

/// The real close in the overlay.
const REAL: Color = Color(0, 0, 0);
/// Simulated long liquidations (the real ones are [`LONG`]).
const SIM_LONG: Color = Color(240, 140, 140);
/// Simulated short liquidations (the real ones are [`SHORT`]).
const SIM_SHORT: Color = Color(120, 200, 150);

/// One overlay per replayed asset: the file's closes and every market's simulated mark.
#[must_use]
pub fn overlays(v: &RunView<'_>, rows: &[RealPathRow]) -> Vec<Figure> {
    let assets: BTreeSet<&str> = rows.iter().map(|r| r.asset.as_str()).collect();
    assets.into_iter().map(|a| overlay(v, rows, a)).collect()
}

fn overlay(v: &RunView<'_>, rows: &[RealPathRow], asset: &str) -> Figure {
    let mine: Vec<&RealPathRow> = rows.iter().filter(|r| r.asset == asset).collect();
    let mut fig = Figure::over_time(
        &format!("replay-{}", super::file_stem(asset)),
        format!("{asset}: real close vs simulated marks ({})", v.run_label()),
        &v.axis,
        "price".into(),
    );
    fig.y_from_zero = false;
    let mut closes: Vec<(f64, f64)> = Vec::new();
    for r in &mine {
        let x = v.axis.x(r.time_ms);
        if closes.last().is_none_or(|p| p.0 != x) {
            closes.push((x, f(r.real_close)));
        }
    }
    fig.lines.push(Line { name: format!("{asset} real close (file)"), color: REAL, points: closes });
    let markets: BTreeSet<(&str, &str)> =
        mine.iter().map(|r| (r.venue.as_str(), r.instrument.as_str())).collect();
    for (k, (venue, instrument)) in markets.into_iter().enumerate() {
        let Some(m) = v.markets.iter().find(|m| m.venue == venue && m.instrument == instrument) else {
            continue;
        };
        let points: Vec<(f64, f64)> =
            v.rows(m).filter_map(|r| r.mark.map(|p| (v.axis.x(r.time_ms), f(p)))).collect();
        fig.lines.push(Line {
            name: format!("{venue} {instrument} simulated mark"),
            color: palette(k + 1),
            points: decimate(&points, MAX_LINE_POINTS),
        });
    }
    fig.noted_if_empty("no real close inside the run")
}

/// One chart per replayed asset: real and simulated liquidated notional per minute, long and
/// short.
#[must_use]
pub fn liquidations(v: &RunView<'_>, rows: &[LiquidationCompareRow]) -> Vec<Figure> {
    let assets: BTreeSet<&str> = rows.iter().map(|r| r.asset.as_str()).collect();
    assets
        .into_iter()
        .map(|a| {
            let mut fig = Figure::over_time(
                &format!("replay-liquidations-{}", super::file_stem(a)),
                format!("{a}: real vs simulated liquidations per minute ({})", v.run_label()),
                &v.axis,
                format!("liquidated per minute ({})", v.total_unit()),
            );
            let line = |name: &str, color: Color, side: PositionSide, real: bool| Line {
                name: name.into(),
                color,
                points: rows
                    .iter()
                    .filter(|r| r.asset == a && r.side == side)
                    .map(|r| (v.axis.x(r.time_ms), f(if real { r.real_notional } else { r.sim_notional })))
                    .collect(),
            };
            fig.lines.push(line("real long liquidations", LONG, PositionSide::Long, true));
            fig.lines.push(line("simulated long liquidations", SIM_LONG, PositionSide::Long, false));
            fig.lines.push(line("real short liquidations", SHORT, PositionSide::Short, true));
            fig.lines.push(line("simulated short liquidations", SIM_SHORT, PositionSide::Short, false));
            fig.noted_if_empty("no minute inside the run")
        })
        .collect()
}
