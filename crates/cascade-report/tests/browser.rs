//! The report as a person sees it: headless Chromium (Debian's `chromium`, installed by
//! `scripts/install-chromium.sh`) opens the page from disk and takes a screenshot; every chart's
//! place on the page ([`cascade_report::html::chart_rect`]) must hold a drawn chart (coloured
//! series and dark text/axes, not a blank box), and the page must make no network request.
//!
//! The network check routes Chromium through a proxy on 127.0.0.1 that this test runs (nothing
//! leaves the machine: it answers 403 to everything) and records each request line. Chromium's
//! own background services (component updater, clock check, accounts) still call out despite
//! the flags; those hosts are listed in `CHROMIUM_OWN` and ignored, everything else fails the
//! test. A control page with one external `<img>` proves the proxy sees a page's requests.
//! Without Chromium the test prints `SKIP` and passes.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cascade_report::html::{HEADER_H, chart_rect};
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

/// Screenshots `page` at 1400 × `height` through the recording proxy; returns the image and the
/// request lines seen.
fn screenshot(chromium: &Path, page: &Path, height: u32, work: &Path) -> (image::RgbImage, Vec<String>) {
    let proxy = Proxy::start();
    let shot = work.join("shot.png");
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
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{}", proxy.port))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size=1400,{height}"))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let seen = proxy.finish();
    assert!(shot.exists(), "no screenshot; chromium said: {}", String::from_utf8_lossy(&out.stderr));
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

fn assert_charts_drawn(img: &image::RgbImage, ids: &[String]) {
    for (i, id) in ids.iter().enumerate() {
        let rect = chart_rect(i);
        let (colour, dark) = ink(img, rect);
        assert!(colour >= 400, "chart {id} at {rect:?}: only {colour} coloured pixels: not drawn?");
        assert!(dark >= 1_500, "chart {id} at {rect:?}: only {dark} dark pixels: no text or axes?");
    }
    // The heading's text rendered (the embedded font loaded).
    let (_, dark) = ink(img, (0, 0, 1400, HEADER_H));
    assert!(dark >= 500, "page heading has {dark} dark pixels");
}

#[test]
fn the_report_renders_in_chromium_without_network() {
    let Some(chromium) = chromium() else {
        println!("SKIP: /usr/bin/chromium not found (run scripts/install-chromium.sh); browser test not run");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    cascade_io::write_run(&run, &common::recording(300)).unwrap();
    let files = render_run(&run, &ReportOptions { skip_png: true, ..ReportOptions::default() }).unwrap();
    let ids: Vec<String> = files.charts.iter().map(|c| c.id.clone()).collect();
    let (_, bottom_y, _, h) = chart_rect(ids.len() - 1);
    assert!(bottom_y + h <= 3000, "the charts fit in a 1400 × 3000 screenshot");
    let (img, seen) = screenshot(&chromium, &files.html, 3000, tmp.path());
    assert_charts_drawn(&img, &ids);
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the report made network requests: {page:?} (all seen: {seen:?})");

    // The liquidation map page too.
    let positions = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/liqmap/positions.csv");
    let maps = cascade_report::liqmap::build_from_file(&positions, &Default::default()).unwrap();
    let out = tmp.path().join("liqmap");
    let lm = render_liqmaps(&maps, 5, &out, &ReportOptions { skip_png: true, ..ReportOptions::default() })
        .unwrap();
    let ids: Vec<String> = lm.charts.iter().map(|c| c.id.clone()).collect();
    let (img, seen) = screenshot(&chromium, &lm.html, 1200, tmp.path());
    assert_charts_drawn(&img, &ids);
    // And the check tells a chart from no chart: the slot after the last holds text only.
    let (colour, _) = ink(&img, chart_rect(ids.len()));
    assert!(colour < 400, "an empty slot looks drawn ({colour} coloured pixels): the check is blind");
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
