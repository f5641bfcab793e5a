//! Reading a run directory back: what `write_run` wrote reads back equal (exact decimals), and a
//! missing, truncated or edited file is reported with its name, row, line and column.

use std::fs;

use cascade_io::{read_run, write_run};
use cascade_sim::metrics::{
    LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide, Recorder, Recording,
};
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn recording() -> Recording {
    let mut r = Recorder::new(SimTime::from_secs(1));
    let btc = r.add_market("binance", "BTCUSDT");
    let eth = r.add_market("hyperliquid", "ETH");
    r.on_trade(btc, d("100000.0"), d("0.010"), d("1000.00000000"));
    r.on_liquidation(
        btc,
        LiquidationRow {
            time_ms: 250,
            venue: "binance".into(),
            instrument: "BTCUSDT".into(),
            account: 17,
            side: PositionSide::Long,
            margin_mode: MarginMode::Cross,
            kind: LiquidationKind::Partial,
            qty: d("0.500"),
            price: d("98000.0"),
            notional: d("49000.00000000"),
            mark_price: d("98100.0"),
            bankruptcy_price: None,
            fee: d("245.00000000"),
            insurance_fund_change: d("-55.5"),
            bad_debt: d("0"),
        },
    );
    for s in 1..=3 {
        r.sample(SimTime::from_secs(s), |k| MarketSnapshot {
            last: (k == btc).then(|| d("100000.1")),
            mark: Some(d("99999.99999999")),
            funding_rate: (k == eth).then(|| d("-0.0003")),
            insurance_fund: d("5000000.5"),
            ..MarketSnapshot::default()
        });
    }
    r.finish("read-test", 9, SimTime::from_secs(3), d("1000"))
}

#[test]
fn a_written_run_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording();
    write_run(dir.path(), &rec).unwrap();
    let back = read_run(dir.path()).unwrap();
    assert_eq!(back, rec);
    assert_eq!(back.series[0].mark, Some(d("99999.99999999")), "decimals stay exact");
}

#[test]
fn broken_files_are_named_with_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_run(p, &recording()).unwrap();

    fs::remove_file(p.join("adl.csv")).unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.ends_with("adl.csv: missing table (a run directory holds series.csv, liquidations.csv, adl.csv and summary.json)"), "{e}");

    write_run(p, &recording()).unwrap();
    let s = fs::read_to_string(p.join("series.csv")).unwrap();
    let bad = s.replacen("99999.99999999", "9x", 1);
    fs::write(p.join("series.csv"), bad).unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.contains("series.csv: row 1 (line 2), field `mark`: `9x` is not a decimal number"), "{e}");

    let header_cut = s.replacen("open_interest,", "", 1);
    fs::write(p.join("series.csv"), header_cut).unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.contains("series.csv: bad header: column `open_interest` is missing"), "{e}");

    fs::write(p.join("series.csv"), &s).unwrap();
    let j = fs::read_to_string(p.join("summary.json")).unwrap();
    fs::write(p.join("summary.json"), &j[..j.len() / 2]).unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.contains("summary.json: malformed JSON") && e.contains("line"), "{e}");

    fs::write(p.join("summary.json"), "").unwrap();
    fs::write(p.join("liquidations.csv"), "").unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.contains("liquidations.csv: bad header: the file is empty"), "{e}");
}

/// The manifest's row counts and scenario hash must agree with the files its hashes verify:
/// an edited manifest is named. `recording()` samples 2 markets 3 times: 6 series rows.
#[test]
fn a_manifest_that_disagrees_with_its_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_run(p, &recording()).unwrap();
    let m = fs::read_to_string(p.join("manifest.json")).unwrap();
    assert!(m.contains("\"rows\": 6"), "{m}");
    fs::write(p.join("manifest.json"), m.replacen("\"rows\": 6", "\"rows\": 7", 1)).unwrap();
    let e = read_run(p).unwrap_err().to_string();
    assert!(e.contains("manifest.json: lists 7 rows for series.csv, the file has 6"), "{e}");
}
