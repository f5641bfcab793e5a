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
        "<script",
        "<link",
        "<img",
    ] {
        assert!(!html.contains(bad), "the page contains `{bad}`");
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
            "insurance-fund",
            "depth",
            "spread",
            "funding"
        ]
    );
    let html = fs::read_to_string(&files.html).unwrap();
    no_external_reference(&html);
    assert!(html.contains("synthetic-crash (seed 7)"));
    assert!(html.contains("Scenario (scenario.toml)") && html.contains("[run]"), "the scenario is shown");
    assert_eq!(html.matches("<svg").count(), ids.len(), "every chart is inline");
    for c in &files.charts {
        let svg = fs::read_to_string(&c.svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{}", c.id);
        assert!(svg.contains("time since start") || svg.contains("price"), "{}: axis labelled", c.id);
        let png = fs::read(c.png.as_ref().unwrap()).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), cascade_report::charts::CHART_SIZE);
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
    assert!(html.contains("A: synthetic-crash seed 7"));
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
        e.contains("series.csv: row 90 (line 91)") && e.contains("fields where the header has 28"),
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
