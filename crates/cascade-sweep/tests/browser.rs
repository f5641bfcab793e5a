//! The sweep report (`report.html`) in headless Chromium, with the run report's harness
//! (`cascade-report/tests/chromium`): every fan chart is an interactive uPlot chart over the
//! swept parameter's value (a numeric x axis, not time), a drag zooms into a span of values, a
//! hover reads the median and band at a grid value, a legend click hides a series, and no
//! request leaves the page. Without Chromium the test prints `SKIP` and passes.

#[path = "../../cascade-report/tests/chromium/mod.rs"]
mod chromium;

use std::path::Path;

use cascade_sweep::figures::{FigureDef, Kind, Value};
use cascade_sweep::journal::RunRow;
use cascade_sweep::{SweepSpec, aggregate};
use chromium::{chromium, chromium_run, page_requests, selftest_result, with_selftest};

/// A grid over the insurance fund, three values × four seeds, no run made: the rows are
/// written by hand (liquidated notional 1,000 × (point + 1) × seed, so at every grid value the
/// runs differ and the band has a width).
fn grid_sweep() -> (SweepSpec, Vec<FigureDef>, Vec<RunRow>) {
    let src = r#"
name = "fund"
seeds = [1, 2, 3, 4]
counterfactual = false
[[parameters]]
path = "venues[0].insurance_fund"
values = [1e6, 5e6, 9e6]
"#;
    let spec = SweepSpec::from_str_in(src, "fund.toml", Path::new("."), "fund").unwrap();
    let d = |n: &str, kind| FigureDef { name: n.into(), kind };
    let defs = vec![
        d("liquidated_notional", Kind::Money),
        d("bad_debt", Kind::Money),
        d("insurance_fund_drawdown", Kind::Money),
        d("peak_to_trough_pct", Kind::Ratio),
        d("cascade_amplification", Kind::Ratio),
    ];
    let mut rows = Vec::new();
    for point in 0..3u64 {
        for seed in 1..=4u64 {
            let k = (point + 1) * seed;
            rows.push(RunRow {
                run_id: point * 4 + seed - 1,
                point,
                seed,
                scenario_hash: format!("h{point}"),
                figures: vec![
                    Some(Value::Money((1_000 * k as i64).into())),
                    Some(Value::Money((10 * k as i64).into())),
                    Some(Value::Money((100 * k as i64).into())),
                    Some(Value::Ratio(5.0 + k as f64)),
                    Some(Value::Ratio(1.0 + 0.1 * k as f64)),
                ],
            });
        }
    }
    (spec, defs, rows)
}

#[test]
fn the_sweep_report_is_interactive_and_offline_in_chromium() {
    let Some(chromium) = chromium() else {
        println!("SKIP: /usr/bin/chromium not found (run scripts/install-chromium.sh); browser test not run");
        return;
    };
    let (spec, defs, rows) = grid_sweep();
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    cascade_sweep::report::write_report(&spec, &defs, &rows, &aggregate(&rows, &defs), &html).unwrap();
    // The built-in default scenario settles in USDT (binance) and USDC (hyperliquid): money
    // figures in USD, the page saying they were counted 1:1.
    assert_eq!(cascade_sweep::report::money_unit(&spec), "USD");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("liquidated notional (USD)"), "no unit on the money axis");
    assert!(page.contains("USD: USDC and USDT counted 1:1"), "the page does not say how USD was made");
    assert!(!page.contains("(settle asset)"), "a unit left unnamed");
    let test_page = tmp.path().join("selftest.html");
    with_selftest(&html, &test_page);
    let (dom, seen) = chromium_run(&chromium, &test_page, (1400, 1000), "--dump-dom", tmp.path());
    let r = selftest_result(&dom);
    let errors = r["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "the page's charts break the rules: {errors:#?}");
    assert_eq!(r["count"], 5, "one interactive fan chart per main figure: {r}");
    for c in r["charts"].as_array().unwrap() {
        assert!(c["coloured"].as_u64().unwrap() >= 300, "chart {} draws nothing: {c}", c["id"]);
        assert_eq!(c["time"], false, "chart {}: the parameter axis is not a time axis", c["id"]);
    }
    // The x axis spans the grid, 1M to 9M, padded 4% of the span each side (0.32M).
    let z = &r["zoom"];
    let (f0, f1) = (z["full"][0].as_f64().unwrap(), z["full"][1].as_f64().unwrap());
    assert!((f0 - 0.68e6).abs() < 1.0 && (f1 - 9.32e6).abs() < 1.0, "{z}");
    let (z0, z1) = (z["zoomed"][0].as_f64().unwrap(), z["zoomed"][1].as_f64().unwrap());
    assert!(z1 - z0 < 0.3 * (f1 - f0) && z0 > f0 && z1 < f1, "the drag did not zoom: {z}");
    assert_eq!((z["reset"][0].as_f64(), z["reset"][1].as_f64()), (Some(f0), Some(f1)), "no reset: {z}");
    // Hover in the middle: the 5M grid value. Its four runs liquidated 2,000 × seed = 2K, 4K,
    // 6K, 8K: median 5K; p5 (h = 0.15) 2.3K; p95 (h = 2.85) 7.7K.
    let values: Vec<&str> =
        r["hover"]["values"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(values.first(), Some(&"5M"), "{values:?}");
    for want in ["5000", "2300", "7700"] {
        assert!(values.contains(&want), "hover at 5M lacks {want}: {values:?}");
    }
    assert_eq!(r["toggle"]["shown_after_click"], false, "a legend click did not hide the series");
    let page = page_requests(&seen);
    assert!(page.is_empty(), "the sweep report made network requests: {page:?} (all seen: {seen:?})");
}

/// Without a browser: the page inlines uPlot and the chart builder byte for byte, its CSP
/// allows exactly those two scripts by hash, and the charts' data sit in the page.
#[test]
fn the_sweep_page_allows_exactly_its_scripts() {
    use cascade_report::interactive::{APP_JS, UPLOT_JS, script_hash};
    let (spec, defs, rows) = grid_sweep();
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    cascade_sweep::report::write_report(&spec, &defs, &rows, &aggregate(&rows, &defs), &html).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    let csp = format!("script-src {} {}\"", script_hash(UPLOT_JS), script_hash(APP_JS));
    assert!(page.contains(&csp), "the CSP does not list exactly the two scripts");
    assert!(
        page.contains(&format!("<script>{UPLOT_JS}</script>"))
            && page.contains(&format!("<script>{APP_JS}</script>"))
    );
    assert_eq!(page.matches("<script>").count(), 2, "a script the CSP does not allow");
    assert_eq!(page.matches("class=\"uplot-slot\"").count(), 5, "one interactive chart per main figure");
    assert!(!page.contains("<svg"), "a fan chart left static");
}
