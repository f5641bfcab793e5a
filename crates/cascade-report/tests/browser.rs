//! The report as a person sees it, in headless Chromium (Debian's `chromium`, installed by
//! `scripts/install-chromium.sh`), opened from disk with every request routed to a recording
//! proxy:
//!
//! * **Interactivity**: a copy of the page with a test script appended (its hash added to the
//!   page's CSP, so the page's own policy still governs) drives the uPlot charts with synthetic
//!   mouse events, as a reader's mouse would: a drag zooms a chart into a time span, a hover
//!   fills the legend with values, a click on a legend entry hides its series, a double-click
//!   zooms out. The script writes what it found into the DOM, which `--dump-dom` returns.
//! * **The defects of issue 14**: every series' extremes inside its chart's y range, no two
//!   series of a chart in one colour, the legend outside the plot, UTC clock times on the time
//!   axis when the scenario has `run.start_utc`, no text under 11 px, no horizontal scroll at
//!   1,400 px or at 1,000 px (a laptop), the summary before the charts and the scenario folded.
//! * **Drawn**: a screenshot at 1,400 px; every chart's box (as the page placed it) holds
//!   coloured series and dark text, not a blank box.
//! * **Offline**: no request leaves the page. Chromium's own background services (component
//!   updater, clock check, accounts) still call out despite the flags; those hosts are listed in
//!   `chromium::CHROMIUM_OWN` and ignored, everything else fails the test. A control page with one
//!   external `<img>` proves the proxy sees a page's requests.
//!
//! The policy comparison page of `cascade compare` gets the same interactivity, rules and
//! offline checks, on its categorical axis (one column per policy). The harness (proxy,
//! Chromium run, self-test script) is `chromium/mod.rs`, shared with the sweep report's test.
//!
//! Without Chromium the tests print `SKIP` and pass.

mod chromium;
mod common;

use std::path::{Path, PathBuf};

use cascade_report::{ReportOptions, render_liqmaps, render_run};
use chromium::{chromium, chromium_run, page_requests, selftest_result, with_selftest};

/// Screenshots `page` at 1400 × `height`; returns the image and the request lines seen.
fn screenshot(chromium: &Path, page: &Path, height: u32, work: &Path) -> (image::RgbImage, Vec<String>) {
    let shot = work.join("shot.png");
    let (_, seen) =
        chromium_run(chromium, page, (1400, height), &format!("--screenshot={}", shot.display()), work);
    assert!(shot.exists(), "no screenshot");
    let img = image::open(&shot).unwrap().to_rgb8();
    let _ = std::fs::remove_file(&shot);
    (img, seen)
}

/// Coloured pixels (series, bars, markers) and dark pixels (text, axes) in a rectangle.
fn ink(img: &image::RgbImage, (x, y, w, h): (u32, u32, u32, u32)) -> (usize, usize) {
    let (mut colour, mut dark) = (0, 0);
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            let [r, g, b] = img.get_pixel(xx, yy).0;
            let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
            if hi - lo > 60 {
                colour += 1;
            }
            if hi < 110 {
                dark += 1;
            }
        }
    }
    (colour, dark)
}

/// A chart's id and its box on the page: left, top, width, height in CSS pixels.
type ChartBox = (String, (u32, u32, u32, u32));

/// Every rectangle holds a drawn chart: coloured series and dark text or axes.
fn assert_charts_drawn(img: &image::RgbImage, rects: &[ChartBox]) {
    for (id, rect) in rects {
        let (colour, dark) = ink(img, *rect);
        assert!(colour >= 400, "chart {id} at {rect:?}: only {colour} coloured pixels: not drawn?");
        assert!(dark >= 1_500, "chart {id} at {rect:?}: only {dark} dark pixels: no text or axes?");
    }
    // The heading's text rendered (the embedded font loaded).
    let (_, dark) = ink(img, (0, 0, 1400, 60));
    assert!(dark >= 500, "page heading has {dark} dark pixels");
}

/// The default scenario placed on the calendar, as a run directory's `scenario.toml` (the
/// synthetic recording's venues are the default scenario's).
fn placed_scenario() -> String {
    let src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/default.toml"),
    )
    .unwrap();
    let placed = src.replacen("[run]\n", "[run]\nstart_utc = \"2025-10-10T20:45:00Z\"\n", 1);
    assert_ne!(placed, src, "no [run] table in the default scenario");
    placed
}

#[test]
fn the_report_is_interactive_and_offline_in_chromium() {
    let Some(chromium) = chromium() else {
        println!("SKIP: /usr/bin/chromium not found (run scripts/install-chromium.sh); browser test not run");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    cascade_io::write_run(&run, &common::recording(300)).unwrap();
    std::fs::write(run.join("scenario.toml"), placed_scenario()).unwrap();
    let files = render_run(&run, &ReportOptions { skip_png: true, ..ReportOptions::default() }).unwrap();
    let test_page = tmp.path().join("selftest.html");
    with_selftest(&files.html, &test_page);

    let (dom, seen) = chromium_run(&chromium, &test_page, (1400, 1000), "--dump-dom", tmp.path());
    let r = selftest_result(&dom);
    let errors = r["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "the page's charts break the rules: {errors:#?}");
    assert_eq!(r["count"], files.charts.len(), "every chart of a run is interactive: {r}");
    let start_s = 1_760_129_100.0; // 2025-10-10T20:45:00Z
    for c in r["charts"].as_array().unwrap() {
        assert!(c["coloured"].as_u64().unwrap() >= 300, "chart {} draws nothing: {c}", c["id"]);
        assert_eq!(c["time"], true, "chart {}: not a time axis although the run has start_utc", c["id"]);
        let ticks: Vec<&str> = c["ticks"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
        assert!(!ticks.is_empty(), "chart {}: no x tick labels", c["id"]);
        for t in &ticks {
            let clock = t.len() >= 5
                && t.split(':').all(|p| p.len() == 2 && p.chars().all(|ch| ch.is_ascii_digit()))
                && (t.starts_with("20:4") || t.starts_with("20:50"));
            assert!(
                clock,
                "chart {}: x tick {t:?} is not a 24-hour UTC time after 20:45 ({ticks:?})",
                c["id"]
            );
        }
        let xmin = c["xmin"].as_f64().unwrap();
        assert!(
            (start_s..start_s + 400.0).contains(&xmin),
            "chart {}: x starts at {xmin}, not 20:45 UTC",
            c["id"]
        );
    }
    // Zoom into the middle fifth, then back out.
    let z = &r["zoom"];
    let (f0, f1) = (z["full"][0].as_f64().unwrap(), z["full"][1].as_f64().unwrap());
    let (z0, z1) = (z["zoomed"][0].as_f64().unwrap(), z["zoomed"][1].as_f64().unwrap());
    assert!(z1 - z0 < 0.3 * (f1 - f0) && z0 > f0 && z1 < f1, "the drag did not zoom: {z}");
    assert_eq!(
        (z["reset"][0].as_f64(), z["reset"][1].as_f64()),
        (Some(f0), Some(f1)),
        "double-click did not reset: {z}"
    );
    // Hover fills the legend with values; the x value reads as a UTC time.
    let values = r["hover"]["values"].as_array().unwrap();
    assert!(r["hover"]["idx"].is_u64(), "no data point under the cursor: {}", r["hover"]);
    assert!(
        values
            .first()
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.starts_with("2025-10-10 ") && v.ends_with(" UTC")),
        "{values:?}"
    );
    assert!(
        values.iter().skip(1).any(|v| v.as_str().is_some_and(|v| v != "–" && v != "--")),
        "hover shows no value: {values:?}"
    );
    assert_eq!(r["toggle"]["shown_after_click"], false, "a legend click did not hide the series");
    // Layout at 1,400 px.
    let l = &r["layout"];
    assert!(l["scroll_width"].as_u64() <= l["inner_width"].as_u64(), "horizontal scroll at 1,400 px: {l}");
    assert_eq!(l["small_text"].as_array().map(Vec::len), Some(0), "text under 11 px: {l}");
    assert_eq!(l["summary_first"], true, "the summary tables come after the charts: {l}");
    assert_eq!(l["scenario_folded"], true, "the scenario text is not folded away: {l}");
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the report made network requests: {page:?} (all seen: {seen:?})");

    // A laptop's width: still no horizontal scroll.
    let (dom, _) = chromium_run(&chromium, &test_page, (1000, 800), "--dump-dom", tmp.path());
    let l = selftest_result(&dom)["layout"].clone();
    assert!(l["scroll_width"].as_u64() <= l["inner_width"].as_u64(), "horizontal scroll at 1,000 px: {l}");

    // The screenshot: each chart's box, where the page put it, holds a drawn chart.
    let rects: Vec<ChartBox> = r["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let v: Vec<u32> =
                c["rect"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
            (c["id"].as_str().unwrap().to_string(), (v[0], v[1], v[2], v[3]))
        })
        .collect();
    let bottom = rects.iter().map(|(_, r)| r.1 + r.3).max().unwrap();
    let (img, seen) = screenshot(&chromium, &files.html, bottom + 20, tmp.path());
    assert_charts_drawn(&img, &rects);
    // And the check tells a chart from no chart: the tables above the charts have text only.
    let top = rects.iter().map(|(_, r)| r.1).min().unwrap();
    let (colour, _) = ink(&img, (0, 70, 1400, top.saturating_sub(80)));
    assert!(colour < 400, "the tables look like a chart ({colour} coloured pixels): the check is blind");
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the report made network requests: {page:?}");

    // The liquidation map page (static SVG charts) too.
    let positions = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/liqmap/positions.csv");
    let maps = cascade_report::liqmap::build_from_file(&positions, &Default::default()).unwrap();
    let out = tmp.path().join("liqmap");
    let lm = render_liqmaps(&maps, 5, &out, &ReportOptions { skip_png: true, ..ReportOptions::default() })
        .unwrap();
    let (img, seen) = screenshot(&chromium, &lm.html, 2400, tmp.path());
    let (_, dark) = ink(&img, (0, 0, 1400, 60));
    assert!(dark >= 500, "liquidation map heading has {dark} dark pixels");
    let (colour, _) = ink(&img, (0, 0, 1400, 2400));
    assert!(colour >= 400 * lm.charts.len(), "the liquidation maps look undrawn ({colour} coloured pixels)");
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the liquidation map made network requests: {page:?}");

    // Control: the proxy does see a page's own request.
    let control = tmp.path().join("control.html");
    std::fs::write(&control, "<html><body><img src=\"http://example.invalid/x.png\"></body></html>").unwrap();
    let (_, seen) = screenshot(&chromium, &control, 600, tmp.path());
    assert!(
        page_requests(&seen).iter().any(|l| l.contains("example.invalid")),
        "the network check is blind: a page's request was not seen ({seen:?})"
    );
}

/// A policy comparison by hand: three policies over three seeds, two figures (one in USD, one
/// in %), every value distinct so each dot is its own point.
fn policy_comparison() -> cascade_sim::compare::Comparison {
    use cascade_sim::compare::{Comparison, FigureDef, PolicyRuns};
    let defs = vec![
        FigureDef {
            name: "liquidated_notional".into(),
            unit: "USD".into(),
            description: "liquidated".into(),
        },
        FigureDef { name: "drop_pct:binance/BTCUSDT".into(), unit: "%".into(), description: "drop".into() },
    ];
    let policy = |name: &str, k: f64| PolicyRuns {
        name: name.into(),
        file: None,
        per_seed: (0..3)
            .map(|s| vec![Some(1e6 * (k + f64::from(s))), Some(5.0 + k + 0.5 * f64::from(s))])
            .collect(),
    };
    let policies = [policy("baseline", 10.0), policy("halts", 6.0), policy("caps", 3.0)];
    Comparison::build("default", "scenarios/default.toml", &[1, 2, 3], defs, &policies)
}

#[test]
fn the_policy_comparison_is_interactive_and_offline_in_chromium() {
    let Some(chromium) = chromium() else {
        println!("SKIP: /usr/bin/chromium not found (run scripts/install-chromium.sh); browser test not run");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("compare");
    let c = policy_comparison();
    let files = cascade_report::render_policy_comparison(
        &c,
        &Default::default(),
        &out,
        &ReportOptions { skip_png: true, ..ReportOptions::default() },
    )
    .unwrap();
    // Two strip charts and two of the differences.
    assert_eq!(files.charts.len(), 4);
    let test_page = tmp.path().join("selftest.html");
    with_selftest(&files.html, &test_page);
    let (dom, seen) = chromium_run(&chromium, &test_page, (1400, 1000), "--dump-dom", tmp.path());
    let r = selftest_result(&dom);
    let errors = r["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "the page's charts break the rules: {errors:#?}");
    assert_eq!(r["count"], 4, "every strip chart is interactive: {r}");
    for ch in r["charts"].as_array().unwrap() {
        assert!(ch["coloured"].as_u64().unwrap() >= 100, "chart {} draws nothing: {ch}", ch["id"]);
        assert_eq!(ch["time"], false, "chart {}: a policy axis is not a time axis", ch["id"]);
        let ticks: Vec<&str> = ch["ticks"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
        let want: &[&str] = if ch["id"].as_str().unwrap().starts_with("policy-diff-") {
            &["halts", "caps"]
        } else {
            &["baseline", "halts", "caps"]
        };
        assert_eq!(ticks, want, "chart {}: the x axis names the policies", ch["id"]);
    }
    // Zoom into the middle fifth (the middle policy's column), then back out.
    let z = &r["zoom"];
    let (f0, f1) = (z["full"][0].as_f64().unwrap(), z["full"][1].as_f64().unwrap());
    let (z0, z1) = (z["zoomed"][0].as_f64().unwrap(), z["zoomed"][1].as_f64().unwrap());
    // Columns at 0, 1, 2, padded half a column each side.
    assert_eq!((f0, f1), (-0.5, 2.5), "{z}");
    assert!(z1 - z0 < 0.3 * (f1 - f0) && z0 > f0 && z1 < f1, "the drag did not zoom: {z}");
    assert_eq!((z["reset"][0].as_f64(), z["reset"][1].as_f64()), (Some(f0), Some(f1)), "no reset: {z}");
    // Hover at the middle column: its seed in the middle (offset 0) is under the cursor; the
    // legend names the policy and shows the dot's value: 1e6 × (6 + 1) = 7M.
    let values: Vec<&str> =
        r["hover"]["values"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(values.first(), Some(&"halts"), "{values:?}");
    assert!(values.contains(&"7M"), "hover shows no value of the middle dot: {values:?}");
    assert_eq!(r["toggle"]["shown_after_click"], false, "a legend click did not hide the series");
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the comparison made network requests: {page:?} (all seen: {seen:?})");
}
