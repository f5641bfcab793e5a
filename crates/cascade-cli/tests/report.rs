//! `cascade report` and `cascade liqmap` end to end: the built binary on a run directory, on
//! several, on the sample positions file, and on bad inputs (exit code 2, a message naming the
//! file, row and field).

use std::path::PathBuf;
use std::process::{Command, Output};

use cascade_sim::metrics::{MarketSnapshot, Recorder};
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

fn write_run(dir: &std::path::Path, seed: u64) {
    let mut r = Recorder::new(SimTime::from_secs(1));
    r.add_market("binance", "BTCUSDT");
    for s in 1..=20u64 {
        let p = Decimal::from(100_000 - 10 * s as i64);
        r.sample(SimTime::from_secs(s), |_| MarketSnapshot {
            last: Some(p),
            mark: Some(p),
            index: Some(p),
            open_interest_notional: Decimal::from(1_000_000 + s),
            insurance_fund: Decimal::from(50_000),
            ..MarketSnapshot::default()
        });
    }
    cascade_io::write_run(dir, &r.finish("cli-test", seed, SimTime::from_secs(20), Decimal::ZERO)).unwrap();
}

fn sample_positions() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/liqmap/positions.csv")
}

#[test]
fn report_writes_the_page_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(&run, 1);
    let out = cascade(&["report", run.to_str().unwrap(), "--no-png"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = run.join("report").join("report.html");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), page.display().to_string());
    assert!(run.join("report").join("price-binance-btcusdt.svg").exists());

    let other = tmp.path().join("other");
    write_run(&other, 2);
    let cmp = tmp.path().join("cmp");
    let out = cascade(&[
        "report",
        run.to_str().unwrap(),
        other.to_str().unwrap(),
        "--no-png",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cmp.join("compare.html").exists());
}

#[test]
fn report_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(&run, 1);
    std::fs::remove_file(run.join("summary.json")).unwrap();
    let out = cascade(&["report", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("summary.json: missing summary"), "{err}");
}

#[test]
fn liqmap_prints_clusters_and_writes_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("lm");
    let out = cascade(&[
        "liqmap",
        sample_positions().to_str().unwrap(),
        "--price",
        "BTC=100000",
        "--price",
        "ETH=3500",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("$1.4M of longs liquidate between 96,000 and 96,500"), "{text}");
    for f in ["liqmap.html", "liqmap-btc.png", "liqmap-btc.svg", "liqmap-eth.png", "liqmap-eth.svg"] {
        assert!(out_dir.join(f).exists(), "{f}");
    }
}

#[test]
fn liqmap_names_the_bad_row_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("p.csv");
    std::fs::write(
        &f,
        "# comment\nvenue,symbol,side,size,entry_price,leverage\n\
         binance,BTCUSDT,long,1,100000,10\n\
         binance,BTCUSDT,long,lots,100000,10\n",
    )
    .unwrap();
    let out = cascade(&["liqmap", f.to_str().unwrap(), "--out", tmp.path().join("o").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("p.csv: row 2 (line 4), field `size`: `lots` is not a decimal number"), "{err}");

    std::fs::write(&f, "venue,symbol,side,size,entry_price,leverage\nbinance,BTCUSDT,long,1,100000,200\n")
        .unwrap();
    let out = cascade(&["liqmap", f.to_str().unwrap(), "--out", tmp.path().join("o").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.csv: row 1 (line 2), field `leverage`: 200x exceeds the maximum leverage"),
        "{err}"
    );
}

/// Inputs that used to be accepted and quietly misread: a row with a cell missing (it shifted the
/// next value into the wrong column), a price for a coin that is not mapped, a price without a
/// coin, and a simulated second past the end of the run (the default scenario runs 3600 s).
#[test]
fn liqmap_refuses_inputs_it_would_misread() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("p.csv");
    let o = tmp.path().join("o");
    std::fs::write(
        &f,
        "venue,symbol,side,size,entry_price,leverage\nbinance,BTCUSDT,long,1,100000,10\nbinance,BTCUSDT,long,1,100000\n",
    )
    .unwrap();
    let out = cascade(&["liqmap", f.to_str().unwrap(), "--out", o.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2 (line 3)") && err.contains("5 cells where the header has 6"), "{err}");

    std::fs::write(&f, "venue,symbol,side,size,entry_price,leverage\nbinance,BTCUSDT,long,1,100000,10\n")
        .unwrap();
    for (price, expect) in
        [("DOGE=100", "no position on coin DOGE"), ("=100", "the coin is empty"), ("BTC=-5", "must be > 0")]
    {
        let out = cascade(&["liqmap", f.to_str().unwrap(), "--price", price, "--out", o.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "--price {price}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "--price {price}: {err}");
    }
    let out = cascade(&["liqmap", "--at", "100000", "--out", o.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--at 100000") && err.contains("runs 3600 s"), "{err}");
}

#[test]
fn liqmap_of_a_simulated_population() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let o = cascade(&["liqmap", "--at", "60", "--price", "BTC=100000", "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // The default scenario's population, at 60 s, with the venues' own liquidation prices.
    assert!(stderr.contains("open positions of `default` (seed 42) at 60 s"), "{stderr}");
    assert!(stdout.contains("of longs liquidate between"), "{stdout}");
    assert!(out.join("liqmap.html").is_file());
    assert!(out.join("liqmap-btc.png").is_file());
}

fn binance_sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples/binance")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `cascade liqmap --oi METRICS --prices KLINES`: the estimate printed as such and its files.
#[test]
fn liqmap_estimates_from_open_interest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("oi");
    let (oi, prices) = (
        binance_sample("BTCUSDT-metrics-2025-11-02.csv"),
        binance_sample("BTCUSDT-5m-2025-11-02_0000_0015.csv"),
    );
    let o = cascade(&["liqmap", "--oi", &oi, "--prices", &prices, "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.starts_with("BTC — ESTIMATE"), "{stdout}");
    assert!(stdout.contains("Binance BTCUSDT: 2 steps, opened 58.309"), "{stdout}");
    for f in [
        "liqmap-estimate.html",
        "liqmap-estimate-btc.csv",
        "liqmap-estimate-btc.json",
        "liqmap-oi-heatmap-btc.png",
        "liqmap-oi-heatmap-btc.svg",
        "liqmap-oi-cumulative-btc.png",
        "liqmap-oi-cumulative-btc.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // A mix, split and position size act; a bad mix is named.
    let o = cascade(&[
        "liqmap",
        "--oi",
        &oi,
        "--prices",
        &prices,
        "--leverage-mix",
        "10x=1",
        "--split",
        "top-trader",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("liqmap-estimate-btc.csv")).unwrap();
    assert!(csv.contains("Leverage mix of new positions: 10x 100%.") && csv.contains("top-trader ratio"));
    let o = cascade(&["liqmap", "--oi", &oi, "--prices", &prices, "--leverage-mix", "10x=0.5,20x=0.4"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--leverage-mix 10x=0.5,20x=0.4: the weights sum to 0.9")
    );
    let o = cascade(&["liqmap", "--oi", &oi, "--prices", &prices, "--split", "vibes"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown split `vibes`"));
}

/// Options that cannot act on an estimate are refused, not ignored.
#[test]
fn liqmap_oi_refuses_options_that_cannot_act() {
    let oi = binance_sample("BTCUSDT-metrics-2025-11-02.csv");
    let prices = binance_sample("BTCUSDT-5m-2025-11-02_0000_0015.csv");
    for extra in [["--price", "BTC=100000"], ["--at", "60"], ["--seed", "1"]] {
        let mut args = vec!["liqmap", "--oi", &oi, "--prices", &prices];
        args.extend(extra);
        let o = cascade(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?} accepted");
        assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"), "{extra:?}");
    }
    let o = cascade(&["liqmap", "--oi", &oi]);
    assert_eq!(o.status.code(), Some(2));
    let o = cascade(&["liqmap", "--leverage-mix", "10x=1"]);
    assert_eq!(o.status.code(), Some(2), "a mix without --oi");
}
