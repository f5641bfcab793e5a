//! Entry points: a run directory (or an in-memory recording) to its report, several runs to a
//! comparison, liquidation maps to their page; each writes the HTML page and every chart as PNG
//! and SVG beside it, atomically, and returns the paths.

use std::io::Write;
use std::path::{Path, PathBuf};

use askama::Template;
use cascade_sim::metrics::Recording;
use indicatif::{ProgressBar, ProgressStyle};

use crate::charts::{self, Figure, draw};
use crate::error::ReportError;
use crate::html::{Block, Page};
use crate::liqmap::{LiqMap, summary_text};
use crate::tables;
use crate::view::{RunContext, RunView};

/// Options of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// Output directory; by default `RUN_DIR/report` for one run, `RUN_A/compare` for several.
    pub out_dir: Option<PathBuf>,
    /// Show a progress bar on standard error (drawn only when it is a terminal).
    pub progress: bool,
    /// Skip the PNG files (SVG and HTML only): faster, for tests and previews.
    pub skip_png: bool,
}

/// One chart's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFiles {
    /// The chart's id (file stem).
    pub id: String,
    /// Its title.
    pub title: String,
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file (`None` with [`ReportOptions::skip_png`]).
    pub png: Option<PathBuf>,
}

/// What a render wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// The HTML page.
    pub html: PathBuf,
    /// The charts, in page order.
    pub charts: Vec<ChartFiles>,
}

/// The scenario a run directory holds (`scenario.toml`), as shown in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioText {
    /// The file's text.
    pub toml: String,
    /// Why it does not validate, if it does not (the report still shows it).
    pub problem: Option<String>,
    /// What the scenario says about the run's time and currencies (empty when it does not
    /// validate).
    pub context: RunContext,
}

/// Reads `dir/scenario.toml` if present.
///
/// # Errors
/// [`ReportError::Io`] if it exists but cannot be read.
pub fn read_scenario_text(dir: &Path) -> Result<Option<ScenarioText>, ReportError> {
    let path = dir.join("scenario.toml");
    if !path.exists() {
        return Ok(None);
    }
    let toml = std::fs::read_to_string(&path).map_err(|source| cascade_io::IoError::File {
        path: path.clone(),
        action: "reading the scenario",
        source,
    })?;
    // The text is validated, not re-run: files it names (an asset's `path`, relative to where
    // the scenario was run from) need not be reachable from the run directory.
    let (problem, context) =
        match cascade_sim::scenario::Scenario::from_toml(&toml, &path.display().to_string()) {
            Ok(sc) => (None, RunContext::from_scenario(&sc)),
            Err(e) => (Some(e.to_string()), RunContext::default()),
        };
    Ok(Some(ScenarioText { toml, problem, context }))
}

/// The figures of one run's report, in page order: price per market, liquidations by side and
/// by venue, open interest, insurance fund with ADL per venue, depth, spread, funding. `ctx`
/// (from the run's scenario, or the default) gives UTC axes, currencies and funding intervals.
#[must_use]
pub fn run_figures(rec: &Recording, ctx: &RunContext) -> Vec<Figure> {
    let v = RunView::with_context(rec, ctx.clone());
    let mut out = charts::price::figures(&v);
    out.extend(charts::liquidations::figures(&v));
    out.push(charts::open_interest::figure(&v));
    out.extend(charts::insurance::figures(&v));
    out.extend(charts::depth::figures(&v));
    out.push(charts::funding::figure(&v));
    out
}

fn progress(opts: &ReportOptions, len: usize, what: &str) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    cascade_io::write_atomic(path, |p, w| {
        w.write_all(bytes).map_err(|source| cascade_io::IoError::File {
            path: p.to_path_buf(),
            action: "writing",
            source,
        })
    })?;
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| cascade_io::IoError::File {
        path: dir.to_path_buf(),
        action: "creating the output directory",
        source,
    })?;
    Ok(())
}

/// Renders each figure to files in `out`, then the page built by `page` from the inline SVGs.
fn write_all(
    out: &Path,
    figures: &[Figure],
    opts: &ReportOptions,
    html_name: &str,
    what: &str,
    page: impl FnOnce(Page) -> Page,
) -> Result<ReportFiles, ReportError> {
    create_dir(out)?;
    let pb = progress(opts, figures.len() + 1, what);
    let mut svgs = Vec::with_capacity(figures.len());
    let mut files = Vec::with_capacity(figures.len());
    for fig in figures {
        pb.set_message(fig.id.clone());
        let svg = draw::svg(fig)?;
        let svg_path = out.join(format!("{}.svg", fig.id));
        write_bytes(&svg_path, svg.as_bytes())?;
        let png_path = if opts.skip_png {
            None
        } else {
            let p = out.join(format!("{}.png", fig.id));
            write_bytes(&p, &draw::png(fig)?)?;
            Some(p)
        };
        files.push(ChartFiles { id: fig.id.clone(), title: fig.title.clone(), svg: svg_path, png: png_path });
        // The page inlines the same SVG document where the chart is not interactive.
        svgs.push(svg);
        pb.inc(1);
    }
    pb.set_message("page");
    let html_path = out.join(html_name);
    let base = Page::with_figures(String::new(), String::new(), figures, svgs).map_err(|e| {
        ReportError::Chart { chart: "page".into(), message: format!("chart data as JSON: {e}") }
    })?;
    let html =
        page(base).render().map_err(|source| ReportError::Template { path: html_path.clone(), source })?;
    write_bytes(&html_path, html.as_bytes())?;
    pb.inc(1);
    pb.finish_and_clear();
    Ok(ReportFiles { html: html_path, charts: files })
}

/// Renders the report of a recording held in memory into `out_dir` (`report.html` plus each
/// chart's PNG and SVG): for the simulator to call right after a run.
///
/// # Errors
/// [`ReportError`] naming the chart or file that failed.
pub fn render_recording(
    rec: &Recording,
    scenario: Option<&ScenarioText>,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    render_recording_with(rec, &ReplayTables::default(), scenario, out_dir, opts)
}

/// The tables a replay adds to a run directory (`cascade replay`), empty for an ordinary run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayTables {
    /// `real_path`: the file's closes beside each market's simulated index and mark.
    pub real_path: Vec<cascade_io::replay::RealPathRow>,
    /// `liquidation_compare`: real vs simulated liquidations per minute and side.
    pub compare: Vec<cascade_io::replay::LiquidationCompareRow>,
}

impl ReplayTables {
    /// Reads `dir/real_path.csv` and `dir/liquidation_compare.csv` where present.
    ///
    /// # Errors
    /// [`ReportError::Io`] naming the file, row and column of a bad cell.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        let mut t = Self::default();
        let p = dir.join("real_path.csv");
        if p.exists() {
            t.real_path = cascade_io::read_csv(&p)?;
        }
        let p = dir.join("liquidation_compare.csv");
        if p.exists() {
            t.compare = cascade_io::read_csv(&p)?;
        }
        Ok(t)
    }
}

/// [`render_recording`] with a replay's tables: the real-path overlay and the real vs
/// simulated liquidation chart come first when the tables are there.
///
/// # Errors
/// As [`render_recording`].
pub fn render_recording_with(
    rec: &Recording,
    replay: &ReplayTables,
    scenario: Option<&ScenarioText>,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    let ctx = scenario.map(|sc| sc.context.clone()).unwrap_or_default();
    let mut figures = Vec::new();
    if !replay.real_path.is_empty() || !replay.compare.is_empty() {
        let v = RunView::with_context(rec, ctx.clone());
        figures.extend(charts::replay::overlays(&v, &replay.real_path));
        figures.extend(charts::replay::liquidations(&v, &replay.compare));
    }
    figures.extend(run_figures(rec, &ctx));
    let s = &rec.summary;
    let title = format!("Cascade run: {} (seed {})", s.scenario, s.seed);
    let subtitle = format!(
        "{} simulated, {} markets on {} venues, {} liquidations, {} ADL reductions",
        tables::duration(s.duration_ms),
        s.instruments.len(),
        s.venues.len(),
        s.totals.liquidations,
        s.totals.adl_count
    );
    let axis = RunView::with_context(rec, ctx.clone()).axis;
    write_all(out_dir, &figures, opts, "report.html", "report", |mut page| {
        page.title = title;
        page.subtitle = subtitle;
        page.tables = tables::summary_tables(s, &axis, &ctx);
        page.notes.extend(tables::summary_notes(s, &ctx));
        match scenario {
            Some(sc) => {
                if let Some(p) = &sc.problem {
                    page.notes.push(format!("scenario.toml does not validate: {p}"));
                }
                page.blocks.push(Block::folded("Scenario (scenario.toml)", sc.toml.clone()));
            }
            None => page.notes.push("The run directory holds no scenario.toml: parameters not shown.".into()),
        }
        page
    })
}

/// Reads the run directory `dir` and renders its report into `opts.out_dir` (default
/// `dir/report`). Shows `dir/scenario.toml` when present, and a replay's real path and
/// liquidation comparison when its tables are there.
///
/// # Errors
/// [`ReportError::Io`] naming the missing or malformed file (and row and column), or the chart
/// or output file that failed.
pub fn render_run(dir: &Path, opts: &ReportOptions) -> Result<ReportFiles, ReportError> {
    let rec = cascade_io::read_run(dir)?;
    let replay = ReplayTables::read(dir)?;
    let scenario = read_scenario_text(dir)?;
    let out = opts.out_dir.clone().unwrap_or_else(|| dir.join("report"));
    render_recording_with(&rec, &replay, scenario.as_ref(), &out, opts)
}

/// Run labels for comparisons: `A`, `B`, … `Z`, `AA`…
#[must_use]
pub fn run_letter(i: usize) -> String {
    let mut i = i;
    let mut s = String::new();
    loop {
        s.insert(0, char::from(b'A' + (i % 26) as u8));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s
}

/// Reads several run directories and renders one comparison page (`compare.html`) into
/// `opts.out_dir` (default `dirs[0]/compare`): each market's mark price, cumulative
/// liquidations, open interest, insurance funds and depth overlaid, and the summaries side by
/// side with differences from the first run.
///
/// # Errors
/// [`ReportError::NoRuns`] for an empty list; otherwise as [`render_run`].
pub fn render_comparison(dirs: &[PathBuf], opts: &ReportOptions) -> Result<ReportFiles, ReportError> {
    let first = dirs.first().ok_or(ReportError::NoRuns)?;
    let recs = dirs.iter().map(|d| cascade_io::read_run(d)).collect::<Result<Vec<_>, _>>()?;
    let labels = comparison_labels(dirs, &recs);
    let contexts = dirs
        .iter()
        .map(|d| Ok(read_scenario_text(d)?.map(|sc| sc.context).unwrap_or_default()))
        .collect::<Result<Vec<_>, ReportError>>()?;
    let out = opts.out_dir.clone().unwrap_or_else(|| first.join("compare"));
    render_with_contexts(&recs, &labels, &contexts, dirs, &out, opts)
}

/// Legend labels of compared runs: the letter, then what tells the runs apart: the run
/// directory's name when the runs share scenario and seed (`A: hedge30-s1`), the directory's
/// name with the scenario and seed otherwise.
#[must_use]
pub fn comparison_labels(dirs: &[PathBuf], recs: &[Recording]) -> Vec<String> {
    let name = |d: &PathBuf| {
        let n = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if n.is_empty() { d.display().to_string() } else { n }
    };
    let same = recs
        .windows(2)
        .all(|w| w[0].summary.scenario == w[1].summary.scenario && w[0].summary.seed == w[1].summary.seed);
    recs.iter()
        .enumerate()
        .map(|(i, r)| {
            let dir = dirs.get(i).map(name).unwrap_or_default();
            if same && recs.len() > 1 {
                format!("{}: {dir}", run_letter(i))
            } else {
                format!("{}: {dir} ({} seed {})", run_letter(i), r.summary.scenario, r.summary.seed)
            }
        })
        .collect()
}

/// Renders a comparison of recordings held in memory; `labels` name them in legends and
/// `sources` (run directories, may be empty) are listed on the page.
///
/// # Errors
/// [`ReportError::NoRuns`] for an empty list, or the chart or file that failed.
pub fn render_comparison_recordings(
    recs: &[Recording],
    labels: &[String],
    sources: &[PathBuf],
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    render_with_contexts(recs, labels, &[], sources, out_dir, opts)
}

/// [`render_comparison_recordings`] with each run's scenario context (UTC start, currencies).
fn render_with_contexts(
    recs: &[Recording],
    labels: &[String],
    contexts: &[RunContext],
    sources: &[PathBuf],
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    if recs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let runs: Vec<charts::compare::Labeled<'_>> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| charts::compare::Labeled {
            label: labels.get(i).cloned().unwrap_or_else(|| run_letter(i)),
            view: RunView::with_context(r, contexts.get(i).cloned().unwrap_or_default()),
        })
        .collect();
    let figures = charts::compare::figures(&runs);
    let short: Vec<tables::ComparedRun<'_>> =
        runs.iter().enumerate().map(|(i, r)| (run_letter(i), &r.view.rec.summary, &r.view.ctx)).collect();
    let title = format!("Cascade comparison of {} runs", recs.len());
    let subtitle = runs.iter().map(|r| r.label.clone()).collect::<Vec<_>>().join(" · ");
    write_all(out_dir, &figures, opts, "compare.html", "comparison", |mut page| {
        page.title = title;
        page.subtitle = subtitle;
        page.tables.push(tables::comparison_table(&short));
        if !sources.is_empty() {
            let text = sources
                .iter()
                .enumerate()
                .map(|(i, d)| format!("{}: {}", run_letter(i), d.display()))
                .collect::<Vec<_>>()
                .join("\n");
            page.blocks.push(Block::open("Run directories", text));
        }
        page
    })
}

/// Renders liquidation maps into `out_dir`: each map's chart (`liqmap-COIN.png` / `.svg`) and
/// one page `liqmap.html` with the charts, the clusters in words and a table of the bands.
///
/// # Errors
/// The chart or file that failed.
pub fn render_liqmaps(
    maps: &[LiqMap],
    top: usize,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    let figures: Vec<Figure> = maps.iter().map(charts::liqmap::figure).collect();
    let title = format!(
        "Liquidation map{}: {}",
        if maps.len() == 1 { "" } else { "s" },
        maps.iter().map(|m| m.coin.as_str()).collect::<Vec<_>>().join(", ")
    );
    let subtitle =
        "Notional that would be liquidated at each price: longs below the reference price, shorts above, by leverage. \
         Liquidation prices from the venues' margin rules (cascade-engine)."
            .to_string();
    write_all(out_dir, &figures, opts, "liqmap.html", "liquidation map", |mut page| {
        page.title = title;
        page.subtitle = subtitle;
        for m in maps {
            page.blocks.push(Block::open(format!("{} clusters", m.coin), summary_text(m, top)));
            page.tables.push(band_table(m));
        }
        page
    })
}

/// Renders ESTIMATED liquidation maps from open interest into `out_dir`: per coin the heatmap
/// (`liqmap-oi-heatmap-COIN`) and cumulative curves (`liqmap-oi-cumulative-COIN`) as PNG and
/// SVG, the live levels as CSV and the whole map as JSON (`liqmap-estimate-COIN.csv` / `.json`,
/// both opening with the word ESTIMATE and the assumptions), and the page `liqmap-estimate.html`.
///
/// # Errors
/// The chart or file that failed.
pub fn render_oi_maps(
    maps: &[crate::liqmap::estimate::OiMap],
    top: usize,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    use crate::liqmap::oi_output;
    create_dir(out_dir)?;
    let mut data_files = Vec::new();
    for m in maps {
        let stem = charts::file_stem(&format!("liqmap-estimate-{}", m.coin));
        let csv_text = oi_output::levels_csv(m)
            .map_err(|e| ReportError::Chart { chart: stem.clone(), message: format!("levels CSV: {e}") })?;
        let csv_path = out_dir.join(format!("{stem}.csv"));
        write_bytes(&csv_path, csv_text.as_bytes())?;
        let json_text = serde_json::to_string_pretty(&oi_output::json(m))
            .map_err(|e| ReportError::Chart { chart: stem.clone(), message: format!("JSON: {e}") })?;
        let json_path = out_dir.join(format!("{stem}.json"));
        write_bytes(&json_path, format!("{json_text}\n").as_bytes())?;
        data_files.push(csv_path);
        data_files.push(json_path);
    }
    let mut figures = Vec::new();
    for m in maps {
        figures.push(charts::liqmap_oi::heatmap(m));
        figures.push(charts::liqmap_oi::cumulative_figure(m));
    }
    let title = format!(
        "ESTIMATED liquidation map{} from open interest: {}",
        if maps.len() == 1 { "" } else { "s" },
        maps.iter().map(|m| m.coin.as_str()).collect::<Vec<_>>().join(", ")
    );
    let subtitle = maps
        .iter()
        .map(|m| {
            let (a, b) = m.span();
            format!(
                "{} {} ({})",
                m.coin,
                charts::liqmap_oi::span_text(a, b),
                m.sources.iter().map(|e| e.label.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    write_all(out_dir, &figures, opts, "liqmap-estimate.html", "estimated liquidation map", |mut page| {
        page.title = title;
        page.subtitle = subtitle;
        page.notes.push(format!("{}.", oi_output::HEADLINE));
        if let Some(m) = maps.first() {
            page.notes.extend(m.assumptions.iter().cloned());
        }
        for m in maps {
            page.blocks.push(Block::open(format!("{} (estimated)", m.coin), oi_output::summary_text(m, top)));
            page.tables.push(oi_band_table(m));
        }
        // Names only: the files sit beside the page, wherever it is moved.
        let files = data_files
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join("\n");
        page.blocks.push(Block::open("Data files beside this page (levels CSV, whole map JSON)", files));
        page
    })
}

fn oi_band_table(m: &crate::liqmap::estimate::OiMap) -> tables::Table {
    let rows = crate::liqmap::oi_output::final_bands(m)
        .into_iter()
        .rev()
        .map(|(low, l, s)| {
            vec![
                format!(
                    "{} – {}",
                    crate::liqmap::group_thousands(low),
                    crate::liqmap::group_thousands(low + m.grid.band)
                ),
                tables::money(l),
                tables::money(s),
            ]
        })
        .collect();
    tables::Table {
        caption: format!(
            "{}: ESTIMATED live liquidation notional per band at the end (quote currency), bands holding any",
            m.coin
        ),
        header: vec!["band".into(), "longs (estimated)".into(), "shorts (estimated)".into()],
        rows,
    }
}

fn band_table(m: &LiqMap) -> tables::Table {
    let mut header = vec!["band".to_string(), "longs".into(), "shorts".into(), "positions L / S".into()];
    header.extend(crate::liqmap::LEVERAGE_BANDS.iter().map(|(_, n)| (*n).to_string()));
    let rows = m
        .bands
        .iter()
        .filter(|b| b.long_positions + b.short_positions > 0)
        .map(|b| {
            let mut r = vec![
                format!(
                    "{} – {}",
                    crate::liqmap::group_thousands(b.low),
                    crate::liqmap::group_thousands(b.high)
                ),
                tables::money(b.long_total()),
                tables::money(b.short_total()),
                format!("{} / {}", b.long_positions, b.short_positions),
            ];
            r.extend(b.long.iter().zip(&b.short).map(|(l, s)| tables::money(l.saturating_add(*s))));
            r
        })
        .collect();
    tables::Table {
        caption: format!("{}: notional per band (quote currency), bands with positions only", m.coin),
        header,
        rows,
    }
}

/// Renders a policy comparison (`cascade compare`) into `out_dir`: one strip chart per figure
/// (`policy-*.png` / `.svg`: a dot per seed, a cross at the mean, one column per policy), one of
/// the paired differences to the baseline per figure (`policy-diff-*`) and the
/// page `compare.html` with the table of every figure's mean, median, p5–p95 and the paired
/// difference to the baseline with its 95 % bootstrap interval. `ctx` (the scenario's) names
/// the settle assets the figures in USD add up (the page says how).
///
/// # Errors
/// The chart or file that failed.
pub fn render_policy_comparison(
    c: &cascade_sim::compare::Comparison,
    ctx: &RunContext,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    let mut figures = charts::policies::figures(c);
    figures.extend(charts::policies::difference_figures(c));
    let title = format!("Cascade policy comparison: {}", c.scenario);
    let seeds = match (c.seeds.first(), c.seeds.last()) {
        (Some(a), Some(b)) if c.seeds.len() > 1 => format!("{} seeds ({a}–{b})", c.seeds.len()),
        (Some(a), _) => format!("seed {a}"),
        _ => "no seed".into(),
    };
    let subtitle = format!(
        "{} · {seeds}, the same for every policy · differences are policy − baseline seed by seed, with a {}% \
         {} bootstrap interval of their mean ({} resamples)",
        c.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
        c.bootstrap.level * 100.0,
        c.bootstrap.method,
        c.bootstrap.resamples,
    );
    write_all(out_dir, &figures, opts, "compare.html", "policy comparison", |mut page| {
        page.title = title;
        page.subtitle = subtitle;
        page.notes.extend(tables::usd_note(ctx));
        page.tables.push(tables::policy_table(c));
        let files = c
            .policies
            .iter()
            .map(|p| format!("{} = {}", p.name, p.file.as_deref().unwrap_or("the scenario's own [policy]")))
            .collect::<Vec<_>>()
            .join("\n");
        page.blocks.push(Block::open(format!("Policies (scenario {})", c.scenario_file), files));
        page
    })
}
