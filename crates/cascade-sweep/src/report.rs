//! `sweep-report.html`: for each swept parameter, fan charts of the main figures against its
//! values — at each value, the p5–p95 band and the median of every run there (other
//! parameters pooled), with a dot per run for small sweeps — and the aggregate table (per
//! point: liquidated notional with VaR and ES, bad debt, P(fund exhausted), P(ADL),
//! amplification). Same page, font and chart renderer as the run and comparison reports.

use std::path::Path;

use askama::Template;
use cascade_report::charts::{Band, Color, Figure, Line, Markers, Shape, draw, palette, short_amount};
use cascade_report::html::Page;
use cascade_report::tables::Table;
use cascade_sim::fit::quantile;

use crate::aggregate::{Aggregates, column};
use crate::error::SweepError;
use crate::figures::FigureDef;
use crate::journal::RunRow;
use crate::spec::SweepSpec;

/// The figures drawn against each parameter: column, label.
const FANS: [(&str, &str); 5] = [
    ("liquidated_notional", "liquidated notional (settle asset)"),
    ("bad_debt", "bad debt (settle asset)"),
    ("insurance_fund_drawdown", "insurance-fund drawdown (settle asset)"),
    ("peak_to_trough_pct", "peak-to-trough drop (%)"),
    ("cascade_amplification", "cascade amplification (×)"),
];

/// More runs than this: no dot per run (the band and median say it).
const MAX_DOTS: usize = 400;

const DOTS: Color = Color(150, 150, 150);

/// The fan charts: one per swept parameter × main figure.
#[must_use]
pub fn fan_figures(spec: &SweepSpec, defs: &[FigureDef], rows: &[RunRow]) -> Vec<Figure> {
    let mut out = Vec::new();
    for (k, param) in spec.parameters.iter().enumerate() {
        let numeric = spec.points.iter().all(|p| p.values[k].number.is_some());
        // The parameter's distinct values in order: numbers sorted, text in first-seen order.
        let mut xs: Vec<(f64, String)> = Vec::new();
        for p in &spec.points {
            let v = &p.values[k];
            if !xs.iter().any(|(_, t)| *t == v.text) {
                xs.push((v.number.unwrap_or(0.0), v.text.clone()));
            }
        }
        if numeric {
            xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        } else {
            for (i, x) in xs.iter_mut().enumerate() {
                x.0 = i as f64;
            }
        }
        for (f, (name, label)) in FANS.iter().enumerate() {
            let mut fig = Figure::new(
                &format!("fan-{}-{name}", param.path),
                format!("{label} against {}", param.path),
                &param.path,
                (*label).to_string(),
            );
            if !numeric {
                fig.x_ticks = xs.iter().map(|(x, t)| (*x, t.clone())).collect();
            }
            let mut band = Vec::new();
            let mut median = Vec::new();
            let mut dots = Vec::new();
            for (x, text) in &xs {
                let runs: Vec<&RunRow> = rows
                    .iter()
                    .filter(|r| spec.points.get(r.point as usize).is_some_and(|p| p.values[k].text == *text))
                    .collect();
                let vals = column(&runs, defs, name);
                if vals.is_empty() {
                    continue;
                }
                band.push((*x, quantile(&vals, 0.05), quantile(&vals, 0.95)));
                median.push((*x, quantile(&vals, 0.5)));
                if rows.len() <= MAX_DOTS {
                    dots.extend(vals.iter().map(|v| (*x, *v)));
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
    let mut charts = Vec::with_capacity(figures.len());
    for f in &figures {
        charts.push((f.id.clone(), f.title.clone(), draw::svg(f)?));
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
    let mut page = Page::new(title, subtitle, charts);
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
