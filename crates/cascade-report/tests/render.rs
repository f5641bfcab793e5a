//! The whole path as a user runs it: a synthetic recording written with cascade-io to a
//! temporary run directory, read back and rendered; then the files are checked (every chart as
//! PNG and SVG, PNGs that decode to non-blank pictures, one self-contained HTML page with no
//! external reference), the output is byte-identical on a second render, and broken run
//! directories give errors naming the file and row.

mod common;

use std::fs;
use std::path::Path;

use cascade_report::{ReportOptions, render_comparison, render_run};

fn no_external_reference(html: &str) {
    for bad in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "url(//",
        "@import",
        "<script src",
        "<link",
        "<img",
    ] {
        assert!(!html.contains(bad), "the page contains `{bad}`");
    }
    // Scripts are inline only: the data block and the two hashed scripts.
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + 40.min(html.len() - i)];
        assert!(
            tag.starts_with("<script>") || tag.starts_with("<script type=\"application/json\""),
            "an unexpected script element: {tag}"
        );
    }
    assert!(html.contains("default-src 'none'"), "the page sets a CSP that forbids fetching");
}

fn write_run(dir: &Path, n: u64) {
    cascade_io::write_run(dir, &common::recording(n)).unwrap();
}

#[test]
fn a_run_directory_becomes_a_report_with_every_chart_as_png_and_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(&run, 120);
    fs::write(run.join("scenario.toml"), cascade_sim::scenario::DEFAULT_TOML).unwrap();
    let files = render_run(&run, &ReportOptions::default()).unwrap();
    assert_eq!(files.html, run.join("report").join("report.html"));
    let ids: Vec<&str> = files.charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "price-binance-btcusdt",
            "price-binance-ethusdt",
            "price-hyperliquid-btc",
            "liquidations-by-side",
            "liquidations-by-venue",
            "open-interest",
            "insurance-fund-binance",
            "insurance-fund-hyperliquid",
            "depth",
            "depth-5pct",
            "spread",
            "funding"
        ]
    );
    let html = fs::read_to_string(&files.html).unwrap();
    no_external_reference(&html);
    assert!(html.contains("synthetic-crash (seed 7)"));
    assert!(html.contains("Scenario (scenario.toml)") && html.contains("[run]"), "the scenario is shown");
    assert_eq!(
        html.matches("class=\"uplot-slot\"").count(),
        ids.len(),
        "every chart is on the page, interactive"
    );
    let summary = html.find("Run summary").unwrap();
    assert!(summary < html.find("uplot-slot").unwrap(), "the summary comes before the charts");
    assert!(
        html.contains("<details>\n<summary>Scenario (scenario.toml)"),
        "the scenario text is folded away"
    );
    for c in &files.charts {
        let svg = fs::read_to_string(&c.svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{}", c.id);
        assert!(svg.contains("time since start") || svg.contains("price"), "{}: axis labelled", c.id);
        let png = fs::read(c.png.as_ref().unwrap()).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.width(), cascade_report::charts::CHART_SIZE.0);
        assert!(
            img.height() >= cascade_report::charts::CHART_SIZE.1,
            "{}: the legend goes under the plot",
            c.id
        );
        let ink = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
        assert!(ink > 10_000, "{}: only {ink} non-white pixels", c.id);
    }
    // Same input ⇒ same bytes.
    let again = tmp.path().join("again");
    let files2 =
        render_run(&run, &ReportOptions { out_dir: Some(again.clone()), ..ReportOptions::default() })
            .unwrap();
    assert_eq!(fs::read(&files.html).unwrap(), fs::read(&files2.html).unwrap());
    for (a, b) in files.charts.iter().zip(&files2.charts) {
        assert_eq!(fs::read(&a.svg).unwrap(), fs::read(&b.svg).unwrap(), "{}", a.id);
        assert_eq!(
            fs::read(a.png.as_ref().unwrap()).unwrap(),
            fs::read(b.png.as_ref().unwrap()).unwrap(),
            "{}",
            a.id
        );
    }
}

#[test]
fn runs_compare_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run(&a, 60);
    write_run(&b, 90);
    // Both placed at the same UTC start: the shared time axis reads clock times.
    let placed = cascade_sim::scenario::DEFAULT_TOML.replacen(
        "[run]\n",
        "[run]\nstart_utc = \"2025-10-10T20:45:00Z\"\n",
        1,
    );
    fs::write(a.join("scenario.toml"), &placed).unwrap();
    fs::write(b.join("scenario.toml"), &placed).unwrap();
    let out = tmp.path().join("cmp");
    let files = render_comparison(
        &[a.clone(), b.clone()],
        &ReportOptions { out_dir: Some(out.clone()), skip_png: true, ..ReportOptions::default() },
    )
    .unwrap();
    assert_eq!(files.html, out.join("compare.html"));
    let html = fs::read_to_string(&files.html).unwrap();
    no_external_reference(&html);
    assert!(html.contains("B − A") && html.contains("B vs A (%)"), "differences from the first run");
    // The runs share scenario and seed: the legends tell them apart by directory, not by the
    // same "synthetic-crash seed 7" twice.
    assert!(html.contains("A: a") && html.contains("B: b"), "legends name the run directories");
    assert!(!html.contains("A: synthetic-crash seed 7"));
    assert!(html.contains("time (UTC, 2025-10-10)"), "the comparison's time axis is in UTC");
    assert!(files.charts.iter().any(|c| c.id == "compare-liquidations-cumulative"));
    assert!(files.charts.iter().all(|c| c.png.is_none()));
}

#[test]
fn broken_run_directories_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = ReportOptions::default();
    let missing = render_run(&tmp.path().join("nope"), &opts).unwrap_err().to_string();
    assert!(missing.contains("nope: missing run directory"), "{missing}");

    let run = tmp.path().join("run");
    write_run(&run, 30);
    fs::remove_file(run.join("summary.json")).unwrap();
    let e = render_run(&run, &opts).unwrap_err().to_string();
    assert!(e.contains("summary.json: missing summary") && e.contains("did not finish"), "{e}");

    write_run(&run, 30);
    // A half-written last line.
    let series = run.join("series.csv");
    let text = fs::read_to_string(&series).unwrap();
    let cut = text.trim_end().rfind(',').unwrap();
    fs::write(&series, &text[..cut - 20]).unwrap();
    let e = render_run(&run, &opts).unwrap_err().to_string();
    assert!(
        // 28 series columns after run_id, seed and scenario_hash (no start time: no time_utc).
        e.contains("series.csv: row 90 (line 91)") && e.contains("fields where the header has 31"),
        "{e}"
    );

    write_run(&run, 30);
    let liq = run.join("liquidations.csv");
    let text = fs::read_to_string(&liq).unwrap().replacen(",long,", ",sideways,", 1);
    fs::write(&liq, text).unwrap();
    let e = render_run(&run, &opts).unwrap_err().to_string();
    assert!(
        e.contains("liquidations.csv: row 1 (line 2), field `side`: `sideways` is not one of long, short"),
        "{e}"
    );
}

/// Writes a synthetic run and its report to `$CASCADE_DEMO_DIR` for a person to look at
/// (ignored by default: `CASCADE_DEMO_DIR=/tmp/demo cargo test -p cascade-report --test render -- --ignored`).
#[test]
#[ignore = "writes a demo report for a person to look at"]
fn demo_report() {
    let Ok(dir) = std::env::var("CASCADE_DEMO_DIR") else { return };
    let run = Path::new(&dir).join("run");
    write_run(&run, 600);
    fs::write(run.join("scenario.toml"), cascade_sim::scenario::DEFAULT_TOML).unwrap();
    let files = render_run(&run, &ReportOptions::default()).unwrap();
    println!("{}", files.html.display());
}

/// A line with sharp reversals (a spike of the last price) stays inside the plot: the bitmap
/// backend's mitred joins of a thick polyline once drew needles to the image's edge (the
/// Hyperliquid "last" spike, `spread.png`). Every pixel of the line's colour must lie between
/// the plot's top and bottom rows, which the test finds from the data's own extremes.
#[test]
fn a_spiky_line_stays_inside_the_plot_in_the_png() {
    use cascade_report::charts::{Color, Figure, Line, draw};
    let magenta = Color(255, 0, 255);
    let mut fig = Figure::new("spike", "spike".into(), "x", "y".into());
    fig.y_from_zero = false;
    // Spread-like data: flat, then narrow spikes a few samples wide, many samples per pixel.
    let points: Vec<(f64, f64)> = (0..4_000)
        .map(|i| {
            let y = match i % 97 {
                0 => 100.0,
                1 => 3.0,
                2 => 70.0,
                _ => 1.0 + f64::from(i % 3),
            };
            (f64::from(i) * 0.001, y)
        })
        .collect();
    fig.lines.push(Line { name: "spiky".into(), color: magenta, points });
    let png = draw::png(&fig).unwrap();
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    let rows: Vec<u32> = img
        .enumerate_pixels()
        // Rows under the plot's image hold the legend (its swatch has the line's colour).
        .filter(|(_, y, p)| p.0 == [255, 0, 255] && *y < cascade_report::charts::CHART_SIZE.1)
        .map(|(_, y, _)| y)
        .collect();
    assert!(!rows.is_empty(), "the line is not drawn");
    let (top, bottom) = (*rows.iter().min().unwrap(), *rows.iter().max().unwrap());
    // The y range is the data's ± 6 %: 100 sits 6 % of the plot height below its top, 0 as far
    // above its bottom. The plot spans roughly rows 40–436 of 480 (caption above, x labels
    // below); a pixel outside them is a needle.
    assert!(top >= 40, "a pixel of the line at row {top}: above the plot");
    assert!(bottom <= 436, "a pixel of the line at row {bottom}: below the plot");
}
