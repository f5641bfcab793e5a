//! `cascade data inspect` end to end: the built binary on a shipped sample (text, JSON and
//! `--csv`), and on bad input (exit code 2, the message naming file, row and column).

use std::path::PathBuf;
use std::process::{Command, Output};

fn sample(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples").join(rel)
}

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

/// The hand-written liquidationSnapshot sample: 3 orders from 1709598391022 to 1709598402117
/// (2024-03-05 00:26:31.022 to 00:26:42.117 UTC), two SELL (longs liquidated).
#[test]
fn inspect_prints_format_rows_and_figures() {
    let f = sample("binance/BTCUSD_PERP-liquidationSnapshot-2024-03-05.csv");
    let out = cascade(&["data", "inspect", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("binance-liquidations"), "{text}");
    assert!(text.contains("2024-03-05 00:26:31.022 UTC (1709598391022)"), "{text}");
    assert!(text.contains("2024-03-05 00:26:42.117 UTC (1709598402117)"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("longs liquidated (SELL orders)") && l.trim_end().ends_with(" 2")),
        "{text}"
    );

    let out = cascade(&["data", "inspect", f.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 3);
    assert_eq!(v["first_ms"], 1_709_598_391_022_i64);
    assert_eq!(v["format"], "binance-liquidations");

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("liq.csv");
    let out = cascade(&["data", "inspect", f.to_str().unwrap(), "--csv", csv.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 4);
}

#[test]
fn bad_input_exits_2_naming_the_place() {
    let out = cascade(&["data", "inspect", "x.csv", "--format", "binance-aggtrade"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format `binance-aggtrade`"));

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("BTCUSDT-fundingRate-2025-10.csv");
    std::fs::write(&p, "calc_time,funding_interval_hours,last_funding_rate\n1759276800000,8,0.0001\n1759305600000,8,O.0001\n")
        .unwrap();
    let out = cascade(&["data", "inspect", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2 (line 3), field `last_funding_rate`: `O.0001` is not a decimal number"),
        "{err}"
    );
}
