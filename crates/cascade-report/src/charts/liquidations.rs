//! Liquidated notional per time bin, stacked long/short (all markets) and stacked by venue.

use super::{Bars, Figure, LONG, MAX_BARS, SHORT, Stack, f, palette};
use crate::view::{RunView, TimeBins};

/// The two liquidation histograms: by side, by venue.
#[must_use]
pub fn figures(v: &RunView<'_>) -> Vec<Figure> {
    let bins = TimeBins::new(&v.times(), MAX_BARS);
    vec![by_side(v, bins), by_venue(v, bins)]
}

fn y_label(v: &RunView<'_>, bins: Option<TimeBins>) -> String {
    match bins {
        Some(b) => format!("liquidated per {} ({})", b.width_label(), v.total_unit()),
        None => format!("liquidated notional ({})", v.total_unit()),
    }
}

fn by_side(v: &RunView<'_>, bins: Option<TimeBins>) -> Figure {
    let mut fig = Figure::over_time(
        "liquidations-by-side",
        format!("Liquidations per interval, long / short ({})", v.run_label()),
        &v.axis,
        y_label(v, bins),
    );
    if let Some(b) = bins {
        let mut long = vec![0.0; b.count];
        let mut short = vec![0.0; b.count];
        for r in &v.rec.series {
            let i = b.bin(r.time_ms);
            long[i] += f(r.liq_long_notional);
            short[i] += f(r.liq_short_notional);
        }
        fig.bars = Some(Bars {
            edges: b.edges(&v.axis),
            stacks: vec![
                Stack { name: "long liquidations".into(), color: LONG, values: long },
                Stack { name: "short liquidations".into(), color: SHORT, values: short },
            ],
        });
    }
    fig.noted_if_empty("no liquidation in this run")
}

fn by_venue(v: &RunView<'_>, bins: Option<TimeBins>) -> Figure {
    let mut fig = Figure::over_time(
        "liquidations-by-venue",
        format!("Liquidations per interval by venue ({})", v.run_label()),
        &v.axis,
        y_label(v, bins),
    );
    if let Some(b) = bins {
        let stacks = v
            .venues
            .iter()
            .enumerate()
            .map(|(k, venue)| {
                let mut values = vec![0.0; b.count];
                for r in v.rec.series.iter().filter(|r| &r.venue == venue) {
                    values[b.bin(r.time_ms)] += f(r.liq_long_notional) + f(r.liq_short_notional);
                }
                Stack { name: format!("{venue} ({})", v.ctx.settle_of(venue)), color: palette(k), values }
            })
            .collect();
        fig.bars = Some(Bars { edges: b.edges(&v.axis), stacks });
    }
    fig.noted_if_empty("no liquidation in this run")
}
