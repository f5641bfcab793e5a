//! `sweep-report.html`: for each swept parameter, fan charts of the main figures against its
//! values — at each grid value, the p5–p95 band and the median of every run there (other
//! parameters pooled); for a sampled range, whose points each have their own value, the same
//! over equal-count bins of the values (about √n bins, at most 12), drawn at each bin's median
//! value; with a dot per run (at its own value) for small sweeps — and the aggregate table (per
//! point: liquidated notional with VaR and ES, bad debt, P(fund exhausted), P(ADL),
//! amplification). Same page, font and interactive charts (uPlot: zoom, hover, toggles; the
//! parameter's value or its named values on x) as the run and comparison reports.

use std::path::Path;

use askama::Template;
use cascade_report::charts::{Band, Color, Figure, Line, Markers, Shape, draw, palette, short_amount};
use cascade_report::html::Page;
use cascade_report::interactive;
use cascade_report::tables::Table;
use cascade_report::view::RunContext;
use cascade_sim::fit::quantile;

use crate::aggregate::{Aggregates, column};
use crate::error::SweepError;
use crate::figures::FigureDef;
use crate::journal::RunRow;
use crate::spec::{ParamKind, SweepSpec};

/// The figures drawn against each parameter: column, label, unit (`None`: money, in the unit
/// the scenario's settle assets give, [`money_unit`]).
const FANS: [(&str, &str, Option<&str>); 5] = [
    ("liquidated_notional", "liquidated notional", None),
    ("bad_debt", "bad debt", None),
    ("insurance_fund_drawdown", "insurance-fund drawdown", None),
    ("peak_to_trough_pct", "peak-to-trough drop", Some("%")),
    ("cascade_amplification", "cascade amplification", Some("×")),
];

/// What the sweep's scenario says about its currencies (empty if its text does not validate;
/// files it names are not read).
fn scenario_context(spec: &SweepSpec) -> RunContext {
    cascade_sim::scenario::Scenario::from_toml(&spec.scenario_text, &spec.scenario_path.display().to_string())
        .map(|sc| RunContext::from_scenario(&sc))
        .unwrap_or_default()
}

/// The unit of the runs' money figures (sums over the scenario's venues): its one settle asset,
/// `USD` for several dollar assets counted 1:1, `settle asset` when the scenario is unreadable.
#[must_use]
pub fn money_unit(spec: &SweepSpec) -> String {
    let ctx = scenario_context(spec);
    ctx.sum_unit(ctx.settle.keys())
}

/// More runs than this: no dot per run (the band and median say it).
const MAX_DOTS: usize = 400;

const DOTS: Color = Color(150, 150, 150);

/// Most bins a sampled parameter's runs are grouped into.
const MAX_BINS: usize = 12;

/// Indices `0..n` of values sorted ascending, cut into `bins` groups of equal count (the first
/// groups one smaller when `n` does not divide): group `i` holds sorted positions
/// `i·n/bins .. (i+1)·n/bins`. Fewer groups when there are fewer values than bins.
#[must_use]
pub fn equal_count_bins(values: &[f64], bins: usize) -> Vec<Vec<usize>> {
    let n = values.len();
    let bins = bins.clamp(1, n.max(1));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    (0..bins).map(|i| order[i * n / bins..(i + 1) * n / bins].to_vec()).filter(|g| !g.is_empty()).collect()
}

/// How many bins the runs of a sampled parameter with `n` distinct values are grouped into:
/// about √n (so each bin holds about as many values as there are bins), at most 12.
#[must_use]
pub fn bin_count(n: usize) -> usize {
    ((n as f64).sqrt().round() as usize).clamp(1, MAX_BINS)
}

/// One x of a fan chart: its position, its tick label and the parameter points pooled there.
type Group = (f64, String, Vec<usize>);

/// The groups of parameter points a fan chart summarises at one x each: the grid's distinct
/// values (points sharing a value pooled), or, for a sampled range — where every point has
/// its own value and a band per value would be one run wide — equal-count bins of the
/// values, each drawn at its median value. Returns (x, tick label, point indices).
fn groups(spec: &SweepSpec, k: usize) -> (Vec<Group>, Option<usize>) {
    let numeric = spec.points.iter().all(|p| p.values[k].number.is_some());
    if numeric && matches!(spec.parameters[k].kind, ParamKind::Range { .. }) {
        let values: Vec<f64> = spec.points.iter().map(|p| p.values[k].number.unwrap_or(0.0)).collect();
        let bins = bin_count(values.len());
        let out = equal_count_bins(&values, bins)
            .into_iter()
            .map(|g| {
                let vals: Vec<f64> = g.iter().map(|&i| values[i]).collect();
                (quantile(&vals, 0.5), String::new(), g)
            })
            .collect::<Vec<_>>();
        let n = out.len();
        return (out, Some(n));
    }
    // The parameter's distinct values in order: numbers sorted, text in first-seen order.
    let mut xs: Vec<Group> = Vec::new();
    for (i, p) in spec.points.iter().enumerate() {
        let v = &p.values[k];
        match xs.iter_mut().find(|(_, t, _)| *t == v.text) {
            Some(x) => x.2.push(i),
            None => xs.push((v.number.unwrap_or(0.0), v.text.clone(), vec![i])),
        }
    }
    if numeric {
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    } else {
        for (i, x) in xs.iter_mut().enumerate() {
            x.0 = i as f64;
        }
    }
    (xs, None)
}

/// The fan charts: one per swept parameter × main figure.
#[must_use]
pub fn fan_figures(spec: &SweepSpec, defs: &[FigureDef], rows: &[RunRow]) -> Vec<Figure> {
    let mut out = Vec::new();
    let money = money_unit(spec);
    for (k, param) in spec.parameters.iter().enumerate() {
        let numeric = spec.points.iter().all(|p| p.values[k].number.is_some());
        let (xs, binned) = groups(spec, k);
        let mut point_group = vec![usize::MAX; spec.points.len()];
        for (g, (_, _, members)) in xs.iter().enumerate() {
            for &i in members {
                point_group[i] = g;
            }
        }
        for (f, (name, what, unit)) in FANS.iter().enumerate() {
            let label = format!("{what} ({})", unit.map_or_else(|| money.clone(), str::to_string));
            let title = match binned {
                Some(b) => format!(
                    "{label} against {} (runs in {b} equal-count bins, at each bin's median)",
                    param.path
                ),
                None => format!("{label} against {}", param.path),
            };
            let mut fig = Figure::new(&format!("fan-{}-{name}", param.path), title, &param.path, label);
            if !numeric {
                fig.x_ticks = xs.iter().map(|(x, t, _)| (*x, t.clone())).collect();
            }
            let mut band = Vec::new();
            let mut median = Vec::new();
            let mut dots = Vec::new();
            for (g, (x, _, _)) in xs.iter().enumerate() {
                let runs: Vec<&RunRow> =
                    rows.iter().filter(|r| point_group.get(r.point as usize) == Some(&g)).collect();
                let vals = column(&runs, defs, name);
                if vals.is_empty() {
                    continue;
                }
                band.push((*x, quantile(&vals, 0.05), quantile(&vals, 0.95)));
                median.push((*x, quantile(&vals, 0.5)));
                if rows.len() <= MAX_DOTS {
                    // A run's dot sits at its own parameter value (in a bin, not at the bin's x).
                    for r in &runs {
                        let px = match binned {
                            Some(_) => spec.points[r.point as usize].values[k].number.unwrap_or(*x),
                            None => *x,
                        };
                        dots.extend(column(&[*r], defs, name).into_iter().map(|v| (px, v)));
                    }
                }
            }
            let color = palette(f);
            fig.bands.push(Band { name: "p5–p95 of the runs".into(), color, points: band });
            fig.lines.push(Line { name: "median".into(), color, points: median });
            if !dots.is_empty() {
                fig.markers.push(Markers {
                    name: "one run".into(),
                    color: DOTS,
                    shape: Shape::Circle,
                    points: dots,
                });
            }
            out.push(fig.noted_if_empty("no value in any run"));
        }
    }
    out
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), short_amount)
}

fn share(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |p| format!("{:.0}%", p * 100.0))
}

/// The aggregate table for the page (the CSV and Parquet files have every column).
#[must_use]
pub fn aggregate_page_table(spec: &SweepSpec, agg: &Aggregates) -> Table {
    let mut header = vec!["point".to_string()];
    header.extend(spec.parameters.iter().map(|p| p.path.clone()));
    header.extend(
        [
            "runs",
            "liquidated mean",
            "liq. VaR95",
            "liq. ES95",
            "liq. VaR99",
            "liq. ES99",
            "bad debt mean",
            "bad debt ES99",
            "P(fund exhausted)",
            "P(ADL)",
            "amplification median",
        ]
        .map(String::from),
    );
    let rows = agg
        .points
        .iter()
        .map(|a| {
            let mut r = vec![a.point.to_string()];
            if let Some(p) = spec.points.get(a.point as usize) {
                r.extend(p.values.iter().map(|v| v.text.clone()));
            }
            r.extend([
                a.runs.to_string(),
                num(a.liquidated.dist.mean),
                num(a.liquidated.var95),
                num(a.liquidated.es95),
                num(a.liquidated.var99),
                num(a.liquidated.es99),
                num(a.bad_debt.dist.mean),
                num(a.bad_debt.es99),
                share(a.p_fund_exhausted),
                share(a.p_adl),
                a.amplification.median.map_or_else(|| "–".into(), |m| format!("{m:.3}")),
            ]);
            r
        })
        .collect();
    Table {
        caption: "Per parameter point (VaR = quantile of the loss, ES = mean of the losses ≥ VaR)".into(),
        header,
        rows,
    }
}

/// Writes the report page.
///
/// # Errors
/// The chart or file that failed.
pub fn write_report(
    spec: &SweepSpec,
    defs: &[FigureDef],
    rows: &[RunRow],
    agg: &Aggregates,
    path: &Path,
) -> Result<(), SweepError> {
    let figures = fan_figures(spec, defs, rows);
    // Every fan chart is interactive (numeric or named x); the SVG is kept for a figure the
    // page would draw statically.
    let mut svgs = Vec::with_capacity(figures.len());
    for f in &figures {
        svgs.push(if interactive::is_interactive(f) { String::new() } else { draw::svg(f)? });
    }
    let title = format!("Cascade sweep: {}", spec.name);
    let subtitle = format!(
        "{} runs of {} planned · {} points × {} seeds ({}…) · scenario {} · spec {}",
        rows.len(),
        spec.run_count(),
        spec.points.len(),
        spec.seeds.len(),
        spec.seeds.iter().take(3).map(u64::to_string).collect::<Vec<_>>().join(", "),
        spec.scenario_path.display(),
        &spec.hash()[..12],
    );
    let mut page = Page::with_figures(title, subtitle, &figures, svgs).map_err(|e| SweepError::Table {
        path: path.to_path_buf(),
        message: format!("chart data as JSON: {e}"),
    })?;
    page.files_beside = false;
    page.notes.extend(cascade_report::tables::usd_note(&scenario_context(spec)));
    if spec.parameters.is_empty() {
        page.notes.push("No parameter is swept: the table shows the seeds' distribution.".into());
    }
    page.tables.push(aggregate_page_table(spec, agg));
    let html =
        page.render().map_err(|e| SweepError::Table { path: path.to_path_buf(), message: e.to_string() })?;
    cascade_io::write_atomic(path, |p, w| {
        std::io::Write::write_all(w, html.as_bytes()).map_err(|source| cascade_io::IoError::File {
            path: p.to_path_buf(),
            action: "writing",
            source,
        })
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_equal_counts_of_sorted_values() {
        // Ten values out of order; sorted: 1 2 3 | 4 5 6 | 7 8 9 10 (positions i·10/3).
        let v = [10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0];
        let bins = equal_count_bins(&v, 3);
        let vals: Vec<Vec<f64>> = bins.iter().map(|g| g.iter().map(|&i| v[i]).collect()).collect();
        assert_eq!(vals, [vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], vec![7.0, 8.0, 9.0, 10.0]]);
        // Fewer values than bins: one value per bin.
        assert_eq!(equal_count_bins(&[2.0, 1.0], 5), [vec![1], vec![0]]);
        assert!(equal_count_bins(&[], 4).is_empty());
    }

    #[test]
    fn about_root_n_bins_at_most_twelve() {
        // √10 = 3.16 → 3; √50 = 7.07 → 7; √1000 = 31.6 → capped at 12.
        assert_eq!((bin_count(1), bin_count(10), bin_count(50), bin_count(1000)), (1, 3, 7, 12));
    }
}
