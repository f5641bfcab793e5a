//! The stress report as one offline HTML page in the house style (cascade-report's page,
//! font and chart renderer): per scenario, each account's equity against its maintenance
//! margin and each leg's place in the ADL queue over time, then the tables of the terminal
//! report.

use std::path::Path;

use askama::Template;
use cascade_report::charts::{Figure, Line, draw, palette};
use cascade_report::html::{Block, Page};

use crate::error::StressError;
use crate::report::StressReport;

/// The charts of the page.
#[must_use]
pub fn figures(report: &StressReport) -> Vec<Figure> {
    let mut out = Vec::new();
    for r in &report.scenarios {
        let Some(o) = &r.outcome else { continue };
        let mut eq = Figure::new(
            &format!("{}-equity", r.scenario),
            format!("{}: equity and maintenance margin per account", r.scenario),
            "time (s)",
            "settle asset".into(),
        );
        let mut adl = Figure::new(
            &format!("{}-adl-queue", r.scenario),
            format!("{}: place in the ADL queue per leg (100% = cut first)", r.scenario),
            "time (s)",
            "percentile".into(),
        );
        let mut k = 0;
        for a in &o.accounts {
            eq.lines.push(Line {
                name: format!("{} equity", a.name),
                color: palette(k),
                points: a.samples.iter().map(|s| (s.time_s, s.equity)).collect(),
            });
            eq.lines.push(Line {
                name: format!("{} maintenance", a.name),
                color: palette(k + 1),
                points: a.samples.iter().map(|s| (s.time_s, s.maintenance)).collect(),
            });
            k += 2;
            for l in &a.legs {
                let pts: Vec<(f64, f64)> =
                    l.samples.iter().filter_map(|s| s.adl_queue_pct.map(|q| (s.time_s, q))).collect();
                if !pts.is_empty() {
                    adl.lines.push(Line {
                        name: format!("{} {}", a.name, l.symbol),
                        color: palette(k),
                        points: pts,
                    });
                    k += 1;
                }
            }
        }
        out.push(eq.noted_if_empty("no samples"));
        out.push(adl.noted_if_empty("no position with an ADL ranking"));
    }
    out
}

/// Renders the page to `path`.
///
/// # Errors
/// A chart or the page could not be rendered or written.
pub fn write_page(report: &StressReport, path: &Path) -> Result<(), StressError> {
    let err = |message: String| StressError::Page { path: path.to_path_buf(), message };
    let mut charts = Vec::new();
    for f in figures(report) {
        let svg = draw::svg(&f).map_err(|e| err(e.to_string()))?;
        charts.push((f.id.clone(), f.title.clone(), svg));
    }
    let mut page = Page::new(
        format!("Stress test: {}", if report.name.is_empty() { &report.portfolio } else { &report.name }),
        format!("{} · seed {} · {} scenario(s)", report.portfolio, report.seed, report.scenarios.len()),
        charts,
    );
    page.blocks.push(Block::open("Per scenario, leg and account", report.table()));
    let html = page.render().map_err(|e| err(e.to_string()))?;
    cascade_io::files::write_atomic(path, |p, w| {
        std::io::Write::write_all(w, html.as_bytes()).map_err(|source| cascade_io::IoError::File {
            path: p.to_path_buf(),
            action: "writing the page",
            source,
        })
    })?;
    Ok(())
}
