//! # cascade-report
//!
//! Turns what a run recorded into pictures a person reads: one self-contained HTML page per run
//! (or per comparison of runs) that opens offline, every chart also as PNG and SVG beside it,
//! and liquidation maps of a population of positions.
//!
//! * [`render_run`] / [`render_recording`]: one run's report (`report.html`).
//! * [`render_comparison`]: several runs overlaid (`compare.html`).
//! * [`render_policy_comparison`]: policies over the same seeds (`cascade compare`,
//!   `compare.html`): a strip chart per figure and the table of paired differences.
//! * [`liqmap`]: liquidation maps from a positions file or an in-memory population;
//!   [`render_liqmaps`] draws them (`liqmap.html`); ESTIMATED maps from open interest
//!   ([`liqmap::estimate`]) are drawn by [`render_oi_maps`] (`liqmap-estimate.html`).
//!
//! No simulation logic lives here: runs are read with `cascade_io::read_run`, liquidation
//! prices come from `cascade_engine::margin`. Library code never panics on input; every error
//! names its file, row, field or chart. Output is deterministic: the same input gives
//! byte-identical HTML and SVG (and PNG on the same platform). Nothing is fetched at run time:
//! the font is compiled in ([`font`]) and the page has no external reference.

#![warn(missing_docs)]

pub mod charts;
pub mod error;
pub mod font;
pub mod html;
pub mod interactive;
pub mod liqmap;
pub mod render;
pub mod tables;
pub mod view;

pub use error::ReportError;
pub use render::{
    ChartFiles, ReplayTables, ReportFiles, ReportOptions, ScenarioText, read_scenario_text,
    render_comparison, render_comparison_recordings, render_liqmaps, render_oi_maps,
    render_policy_comparison, render_recording, render_recording_with, render_run, run_figures,
};
