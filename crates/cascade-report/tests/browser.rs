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
//!   `CHROMIUM_OWN` and ignored, everything else fails the test. A control page with one
//!   external `<img>` proves the proxy sees a page's requests.
//!
//! Without Chromium the test prints `SKIP` and passes.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cascade_report::{ReportOptions, render_liqmaps, render_run};

/// Hosts Chromium itself contacts in the background.
const CHROMIUM_OWN: [&str; 8] = [
    "clients2.google.com",
    "update.googleapis.com",
    "accounts.google.com",
    "optimizationguide-pa.googleapis.com",
    "content-autofill.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
    "redirector.gvt1.com",
    "edgedl.me.gvt1.com",
];

fn chromium() -> Option<PathBuf> {
    let p =
        std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    p.exists().then_some(p)
}

/// A loopback proxy that records request lines until stopped (at most 120 s).
struct Proxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !st.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut c, _)) => {
                        let _ = c.set_nonblocking(false);
                        let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 2048];
                        let n = c.read(&mut buf).unwrap_or(0);
                        let line =
                            String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string();
                        s.lock().unwrap().push(line);
                        let _ = c.write_all(
                            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self { port, seen, stop, thread: Some(thread) }
    }

    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Requests not made by Chromium's own services.
fn page_requests(seen: &[String]) -> Vec<String> {
    seen.iter()
        .filter(|line| {
            let target = line.split_whitespace().nth(1).unwrap_or("");
            let host = target.trim_start_matches("http://").trim_start_matches("https://");
            let host = host.split(['/', ':']).next().unwrap_or("");
            !CHROMIUM_OWN.contains(&host)
        })
        .cloned()
        .collect()
}

/// Runs headless Chromium on `page` at `width` × `height` through the recording proxy with
/// `mode` (`--screenshot=…` or `--dump-dom`); returns its standard output and the request lines
/// the proxy saw.
fn chromium_run(
    chromium: &Path,
    page: &Path,
    (width, height): (u32, u32),
    mode: &str,
    work: &Path,
) -> (String, Vec<String>) {
    let proxy = Proxy::start();
    let profile = work.join("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{}", proxy.port))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg(mode)
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let seen = proxy.finish();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), seen)
}

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

/// Drives the page's charts as a reader would and checks them; writes a JSON report into
/// `<pre id="selftest">`. Steps are spaced by timers so uPlot's redraws run in between.
const SELFTEST: &str = r#"
(function () {
  var out = { errors: [], charts: [], layout: {} };
  function fail(m) { out.errors.push(m); }
  function ev(type, el, x, y, extra) {
    var o = { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, view: window };
    for (var k in (extra || {})) o[k] = extra[k];
    el.dispatchEvent(new MouseEvent(type, o));
  }
  function finish() {
    var pre = document.createElement('pre');
    pre.id = 'selftest';
    pre.textContent = JSON.stringify(out).replace(/[<>&]/g, ' ');
    document.body.appendChild(pre);
  }
  function check() {
    var charts = window.cascadeCharts || [];
    out.count = charts.length;
    charts.forEach(function (c) {
      var u = c.u, r = { id: c.id };
      var fr = c.slot.closest('figure').getBoundingClientRect();
      r.rect = [Math.round(fr.left + scrollX), Math.round(fr.top + scrollY), Math.round(fr.width), Math.round(fr.height)];
      // Each series' extremes inside the y range.
      var ymin = u.scales.y.min, ymax = u.scales.y.max;
      for (var i = 1; i < u.series.length; i++) {
        var d = u.data[i].filter(function (v) { return v != null && isFinite(v); });
        if (!d.length) continue;
        var lo = Math.min.apply(null, d), hi = Math.max.apply(null, d);
        if (lo < ymin || hi > ymax) fail(c.id + ': series ' + u.series[i].label + ' spans ' + lo + '..' + hi + ' outside the y range ' + ymin + '..' + ymax);
      }
      // No two series share a colour.
      var colours = {};
      for (var i = 1; i < u.series.length; i++) {
        var col = String(u.series[i]._stroke || u.series[i].stroke) + '|' + String(u.series[i]._fill || '');
        if (colours[col]) fail(c.id + ': series ' + colours[col] + ' and ' + u.series[i].label + ' share the colour ' + col);
        colours[col] = u.series[i].label;
      }
      // The legend sits under the plot, not on it.
      var over = u.over.getBoundingClientRect(), leg = u.root.querySelector('.u-legend');
      if (leg && leg.getBoundingClientRect().top < over.bottom - 1) fail(c.id + ': the legend overlaps the plot');
      // Axis text size.
      u.axes.forEach(function (a, k) {
        var px = parseFloat(/([0-9.]+)px/.exec(String(a.font))[1]);
        if (px < 11) fail(c.id + ': axis ' + k + ' text is ' + px + ' px');
      });
      // Something is drawn in the plot: coloured pixels on the canvas.
      var ctx = u.ctx, w = u.ctx.canvas.width, h = u.ctx.canvas.height, px = ctx.getImageData(0, 0, w, h).data, n = 0;
      for (var p = 0; p < px.length; p += 4) {
        var mx = Math.max(px[p], px[p + 1], px[p + 2]), mn = Math.min(px[p], px[p + 1], px[p + 2]);
        if (px[p + 3] > 0 && mx - mn > 60) n++;
      }
      r.coloured = n;
      r.time = !!u.scales.x.time;
      r.ticks = (u.axes[0]._values || []).map(String);
      r.xmin = u.scales.x.min;
      out.charts.push(r);
    });
    // Text size over the whole page, and the horizontal scroll.
    var small = [];
    document.querySelectorAll('body *').forEach(function (el) {
      if (!el.childNodes.length || el.closest('details:not([open])')) return;
      var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
      if (own && parseFloat(getComputedStyle(el).fontSize) < 11) small.push(el.tagName + '.' + el.className);
    });
    out.layout.small_text = small.slice(0, 5);
    out.layout.scroll_width = document.documentElement.scrollWidth;
    out.layout.inner_width = window.innerWidth;
    var firstTable = document.querySelector('table'), firstChart = document.querySelector('figure.chart');
    out.layout.summary_first = !!(firstTable && firstChart && (firstTable.compareDocumentPosition(firstChart) & 4));
    var det = document.querySelector('details');
    out.layout.scenario_folded = !!(det && !det.open && /Scenario/.test(det.querySelector('summary').textContent));
    var u = charts.length ? charts[0].u : null;
    if (!u) { finish(); return; }
    // Zoom: drag across the middle fifth of the first chart.
    var o = u.over.getBoundingClientRect(), y = o.top + o.height / 2;
    var full = [u.scales.x.min, u.scales.x.max];
    out.zoom = { full: full };
    ev('mousedown', u.over, o.left + o.width * 0.4, y);
    // (uPlot ignores a drag's moves that report no movement, as Chrome sends stray ones.)
    ev('mousemove', u.over, o.left + o.width * 0.5, y, { movementX: 10 });
    ev('mousemove', u.over, o.left + o.width * 0.6, y, { movementX: 10 });
    ev('mouseup', document, o.left + o.width * 0.6, y);
    setTimeout(function () {
      out.zoom.zoomed = [u.scales.x.min, u.scales.x.max];
      // Hover: the legend shows the values under the cursor.
      ev('mousemove', u.over, o.left + o.width * 0.5, y, { movementX: 10 });
      setTimeout(function () {
        out.hover = { idx: u.cursor.idx, values: Array.prototype.map.call(u.root.querySelectorAll('.u-legend .u-value'), function (e) { return e.textContent; }) };
        // Toggle: a click on the second legend entry hides that series.
        var th = u.root.querySelectorAll('.u-legend .u-series')[1].querySelector('th');
        ev('click', th, 0, 0);
        out.toggle = { shown_after_click: u.series[1].show };
        // Double-click zooms back out.
        ev('dblclick', u.over, o.left + o.width * 0.5, y);
        setTimeout(function () { out.zoom.reset = [u.scales.x.min, u.scales.x.max]; finish(); }, 50);
      }, 50);
    }, 50);
  }
  setTimeout(function () { try { check(); } catch (e) { fail('selftest threw: ' + e); finish(); } }, 200);
})();
"#;

/// The page with [`SELFTEST`] appended and allowed by the page's own CSP.
fn with_selftest(page: &Path, out: &Path) {
    let html = std::fs::read_to_string(page).unwrap();
    let hash = cascade_report::interactive::script_hash(SELFTEST);
    assert!(html.contains("script-src "), "the page has no script-src in its CSP");
    let html = html.replacen("script-src ", &format!("script-src {hash} "), 1).replacen(
        "</body>",
        &format!("<script>{SELFTEST}</script>\n</body>"),
        1,
    );
    std::fs::write(out, html).unwrap();
}

/// The JSON the self-test left in the dumped DOM.
fn selftest_result(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"selftest\">").unwrap_or_else(|| {
        panic!("no self-test result in the DOM: {}", &dom[dom.len().saturating_sub(2000)..])
    });
    let rest = &dom[start + "<pre id=\"selftest\">".len()..];
    let end = rest.find("</pre>").unwrap();
    serde_json::from_str(&rest[..end].replace("&quot;", "\"")).unwrap()
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
