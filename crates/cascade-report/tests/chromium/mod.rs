//! Headless Chromium for the report tests (Debian's `chromium`, installed by
//! `scripts/install-chromium.sh`): a page opened from disk with every request routed to a
//! recording proxy, and a self-test script that drives the page's uPlot charts as a reader's
//! mouse would and checks the rules every chart keeps. Shared by `cascade-report`'s
//! `tests/browser.rs` and `cascade-sweep`'s `tests/browser.rs` (included by path).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

pub fn chromium() -> Option<PathBuf> {
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
                        // Chromium opens spare sockets to its proxy ahead of need and may
                        // close them unused: a connection that sends no bytes asks for nothing
                        // (CI once saw one as an empty request line). Anything sent is kept.
                        if n > 0 {
                            let line =
                                String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string();
                            s.lock().unwrap().push(line);
                        }
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
pub fn page_requests(seen: &[String]) -> Vec<String> {
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
pub fn chromium_run(
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

/// Drives the page's charts as a reader would and checks them; writes a JSON report into
/// `<pre id="selftest">`. Steps are spaced by timers so uPlot's redraws run in between.
pub const SELFTEST: &str = r#"
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
        // A band's lower edge is drawn like its upper edge: one band, not two series.
        if (/ \(lower\)$/.test(u.series[i].label)) continue;
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
pub fn with_selftest(page: &Path, out: &Path) {
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
pub fn selftest_result(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"selftest\">").unwrap_or_else(|| {
        panic!("no self-test result in the DOM: {}", &dom[dom.len().saturating_sub(2000)..])
    });
    let rest = &dom[start + "<pre id=\"selftest\">".len()..];
    let end = rest.find("</pre>").unwrap();
    serde_json::from_str(&rest[..end].replace("&quot;", "\"")).unwrap()
}
