//! The ESTIMATED liquidation map from open interest (`cascade liqmap --oi … --prices …`) read
//! from files: the committed samples (a metrics file written by hand from Binance's documented
//! layout, its first row the documented example; real 5-minute BTCUSDT bars of the same
//! minutes), bad rows named, files that do not overlap named, and the outputs labelled ESTIMATE.

use std::path::{Path, PathBuf};

use cascade_report::liqmap::estimate::EstimateOptions;
use cascade_report::liqmap::oi_files::{OiInput, build_from_files};
use cascade_report::{ReportOptions, render_oi_maps};
use cascade_sim::metrics::PositionSide;
use rust_decimal::Decimal;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/binance").join(name)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sample_input() -> OiInput {
    OiInput {
        metrics: sample("BTCUSDT-metrics-2025-11-02.csv"),
        prices: sample("BTCUSDT-5m-2025-11-02_0000_0015.csv"),
    }
}

/// Rows 00:05 (76,643.191 BTC), 00:10 (76,701.5), 00:15 (76,590.0); bars 00:00–00:15.
/// Step 1: +58.309 BTC opened at 00:10's open 109,988.8, split by the taker ratio 1.10: longs
/// 1.1 / 2.1 of it. Step 2: the 00:10 bar (low 109,982.7, high 110,014.6) reaches no level (the
/// 100x long liquidates near 109,988.8 × (1 − 1/100 + 0.004) ≈ 109,329); then −111.5 BTC of the
/// 76,701.5 open close: every level keeps 1 − 111.5 / 76,701.5.
#[test]
fn the_sample_gives_the_hand_computed_levels() {
    let maps = build_from_files(&[sample_input()], &EstimateOptions::default(), None, d("20")).unwrap();
    assert_eq!(maps.len(), 1);
    let m = &maps[0];
    assert!(m.estimate);
    assert_eq!(m.coin, "BTC");
    let e = &m.sources[0];
    assert_eq!(e.label, "Binance BTCUSDT");
    assert_eq!(e.steps, 2);
    assert_eq!(e.last_price, d("109998.3"));
    assert_eq!(e.opened, d("58.309"));
    assert_eq!((e.liquidated_long, e.liquidated_short), (Decimal::ZERO, Decimal::ZERO));
    // 5 leverages × 2 sides, all entered at 00:10 at 109,988.8.
    assert_eq!(e.levels.len(), 10);
    assert!(e.levels.iter().all(|l| l.entry_price == d("109988.8")));
    let keep = Decimal::ONE - d("111.5") / d("76701.5");
    let long: Decimal = e.levels.iter().filter(|l| l.side == PositionSide::Long).map(|l| l.size).sum();
    let want_long = d("58.309") * d("1.1") / d("2.1") * keep;
    assert!((long - want_long).abs() < d("0.000000001"), "{long} vs {want_long}");
    let total: Decimal = e.levels.iter().map(|l| l.size).sum();
    assert!((total - d("58.309") * keep).abs() < d("0.000000001"), "{total}");
    assert!((e.closed + e.closed_unmapped - d("111.5")).abs() < d("0.000000001"));
    // Each long below the entry, each short above, further for lower leverage.
    let mut longs: Vec<_> = e.levels.iter().filter(|l| l.side == PositionSide::Long).collect();
    longs.sort_by_key(|l| l.leverage);
    assert!(longs.windows(2).all(|w| w[0].liquidation_price < w[1].liquidation_price));
    assert!(longs.iter().all(|l| l.liquidation_price < d("109988.8")));
    // 100x long: Binance tier 1 (MMR 0.4 %), margin 1 % of 0.090918 BTC × 109,988.8:
    // (0.01 − 1) / (0.004 − 1) × 109,988.8 = 109,326.2216… (down to the price unit).
    let lp100 = longs[4].liquidation_price;
    assert!(lp100 > d("109326.2") && lp100 < d("109326.23"), "{lp100}");
}

#[test]
fn a_bad_row_is_named_by_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample("BTCUSDT-metrics-2025-11-02.csv")).unwrap();
    let bad = text.replacen("76701.5000000000000000", "seventy", 1);
    let path = dir.path().join("BTCUSDT-metrics-bad.csv");
    std::fs::write(&path, bad).unwrap();
    let input = OiInput { metrics: path, prices: sample("BTCUSDT-5m-2025-11-02_0000_0015.csv") };
    let e = build_from_files(std::slice::from_ref(&input), &EstimateOptions::default(), None, d("20"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("BTCUSDT-metrics-bad.csv") && e.contains("row 2") && e.contains("sum_open_interest"),
        "{e}"
    );
    // A row whose symbol changes.
    let path = dir.path().join("BTCUSDT-metrics-mixed.csv");
    std::fs::write(&path, text.replacen(",BTCUSDT,76590", ",ETHUSDT,76590", 1)).unwrap();
    let e =
        build_from_files(&[OiInput { metrics: path, ..input }], &EstimateOptions::default(), None, d("20"))
            .unwrap_err()
            .to_string();
    assert!(e.contains("row 3, field `symbol`") && e.contains("ETHUSDT"), "{e}");
}

#[test]
fn files_that_do_not_overlap_in_time_are_named() {
    let input = OiInput {
        metrics: sample("BTCUSDT-metrics-2025-11-02.csv"),
        prices: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/binance/BTCUSDT-1m-2025-10-10_2000_2359.csv"),
    };
    let e = build_from_files(&[input], &EstimateOptions::default(), None, d("20")).unwrap_err().to_string();
    assert!(e.contains("BTCUSDT-metrics-2025-11-02.csv"), "{e}");
    assert!(e.contains("BTCUSDT-1m-2025-10-10_2000_2359.csv"), "{e}");
    assert!(e.contains("do not overlap in time"), "{e}");
    assert!(e.contains("2025-11-02T00:05:00.000Z") && e.contains("2025-10-10T20:00:00.000Z"), "{e}");
}

#[test]
fn every_output_says_estimate_and_is_deterministic() {
    let maps = build_from_files(&[sample_input()], &EstimateOptions::default(), None, d("20")).unwrap();
    let render = |dir: &Path| {
        render_oi_maps(&maps, 5, dir, &ReportOptions { skip_png: true, ..ReportOptions::default() }).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = render(a.path());
    render(b.path());
    let csv = std::fs::read_to_string(a.path().join("liqmap-estimate-btc.csv")).unwrap();
    assert!(csv.starts_with("# ESTIMATE"), "{csv}");
    assert!(csv.contains("# Leverage mix of new positions: 5x 30%, 10x 30%, 25x 20%, 50x 12%, 100x 8%."));
    let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 11, "header and 10 levels");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.path().join("liqmap-estimate-btc.json")).unwrap())
            .unwrap();
    assert_eq!(json["estimate"], true);
    assert!(json["headline"].as_str().unwrap().starts_with("ESTIMATE"));
    assert_eq!(json["assumptions"].as_array().unwrap().len(), 7);
    assert_eq!(json["sources"][0]["levels"].as_array().unwrap().len(), 10);
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("ESTIMATE: liquidation levels inferred"), "page lacks the headline");
    assert!(html.contains("taker ratio"), "page lacks the assumptions");
    assert_eq!(files.charts.len(), 2);
    for name in [
        "liqmap-estimate-btc.csv",
        "liqmap-estimate-btc.json",
        "liqmap-oi-heatmap-btc.svg",
        "liqmap-oi-cumulative-btc.svg",
        "liqmap-estimate.html",
    ] {
        let same = std::fs::read(a.path().join(name)).unwrap() == std::fs::read(b.path().join(name)).unwrap();
        assert!(same, "{name} differs between two renders");
    }
}

/// The heatmap puts longs and shorts in two layers of distinct colour families, the price line
/// over them, the span in the title.
#[test]
fn the_heatmap_has_both_sides_and_the_price() {
    let maps = build_from_files(&[sample_input()], &EstimateOptions::default(), None, d("20")).unwrap();
    let fig = cascade_report::charts::liqmap_oi::heatmap(&maps[0]);
    assert_eq!(
        fig.title,
        "BTC liquidation heatmap, ESTIMATED from open interest: 2025-11-02 00:05–00:15 UTC"
    );
    let heat = fig.heat.as_ref().unwrap();
    assert_eq!(heat.layers.len(), 2);
    assert!(heat.layers.iter().all(|l| !l.cells.is_empty()));
    let (long, short) = (heat.layers[0].color, heat.layers[1].color);
    assert!(long.0 > long.1 && short.1 > short.0, "longs red, shorts green");
    assert_eq!(fig.lines.len(), 1);
    assert!(fig.time.is_some());
    let cum = cascade_report::charts::liqmap_oi::cumulative_figure(&maps[0]);
    assert_eq!(cum.lines.len(), 2);
    assert!(cum.lines[0].points.iter().all(|p| p.0 <= 109_998.3));
    assert!(cum.lines[1].points.iter().all(|p| p.0 >= 109_998.3));
}
