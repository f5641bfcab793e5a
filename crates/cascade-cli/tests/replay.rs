//! `cascade replay` end to end on the real 21 Nov 2025 BTC minute file (in the repo): the index
//! is the file's close at every minute, the files are byte-identical for the same inputs, real
//! vs simulated liquidations per minute add up to hand counts, and bad input is named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn nov21() -> String {
    repo("data/binance/BTCUSDT-1m-2025-11-21_0700_0829.csv").display().to_string()
}

fn tiny() -> String {
    repo("crates/cascade-cli/tests/data/replay-tiny.toml").display().to_string()
}

/// 2025-11-21 07:30:00 UTC, the tiny scenario's start, Unix ms.
const START: u64 = 1_763_710_200_000;

fn replay(out: &Path, extra: &[&str]) -> Output {
    let (s, p) = (tiny(), nov21());
    let mut args = vec!["replay", s.as_str(), "--prices", p.as_str(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    cascade(&args)
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn err(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The cells of a CSV file by header name, row by row.
fn table(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines.map(|l| head.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

#[test]
fn the_index_is_the_file_close_every_minute_and_same_inputs_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(&replay(&a, &[]));
    ok(&replay(&b, &[]));
    let rows = table(&a.join("real_path.csv"));
    // 10 minutes from 07:30: closes at 07:30 … 07:39 (the end, 07:40, takes no price step),
    // on two markets.
    assert_eq!(rows.len(), 20);
    // From the file: the 07:29 bar (open_time 1763710140000) closes at 85175.90, placed at
    // 07:30:00; the 07:34 bar (1763710440000) at 83342.70, placed at 07:35:00.
    let at = |utc: &str| rows.iter().filter(|r| r["time_utc"] == utc).collect::<Vec<_>>();
    assert_eq!(at("2025-11-21T07:30:00.000Z").len(), 2);
    assert!(at("2025-11-21T07:30:00.000Z").iter().all(|r| r["real_close"] == "85175.9"));
    assert!(at("2025-11-21T07:35:00.000Z").iter().all(|r| r["real_close"] == "83342.7"));
    for r in &rows {
        assert_eq!(r["index"], r["real_close"], "index off the file at {}", r["time_utc"]);
    }
    for f in [
        "series.csv",
        "liquidations.csv",
        "adl.csv",
        "summary.json",
        "real_path.csv",
        "real_path.parquet",
        "scenario.toml",
        "manifest.json",
    ] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    // The run directory is a complete run: readable, and its scenario says what ran.
    let scenario = std::fs::read_to_string(a.join("scenario.toml")).unwrap();
    let keys: Vec<&str> =
        scenario.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim())).collect();
    assert!(keys.contains(&"index") && !keys.contains(&"index_price"), "{scenario}");
    assert!(scenario.contains("index = \"path\""), "{scenario}");
    // The file is named from the scenario's directory: the same text from any checkout.
    assert!(
        scenario.contains("path = \"../../../../data/binance/BTCUSDT-1m-2025-11-21_0700_0829.csv\""),
        "{scenario}"
    );
}

/// forceOrder lines written by hand; minute k is [07:30 + k min, 07:31 + k min).
fn force_order(t: u64, symbol: &str, side: &str, q: &str, ap: &str) -> String {
    format!(
        r#"{{"e":"forceOrder","E":{t},"o":{{"s":"{symbol}","S":"{side}","o":"LIMIT","f":"IOC","q":"{q}","p":"1","ap":"{ap}","X":"FILLED","l":"{q}","z":"{q}","T":{t}}}}}"#
    )
}

#[test]
fn real_vs_simulated_liquidations_per_minute_add_up_to_hand_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let liq = tmp.path().join("force.jsonl");
    let lines = [
        // Before the start: outside the run.
        force_order(START - 1_000, "BTCUSDT", "SELL", "1", "85300"),
        // Minute 0, longs: 0.5 × 85,200 = 42,600 and 0.1 × 85,000 = 8,500 → 2, 51,100.
        force_order(START + 10_000, "BTCUSDT", "SELL", "0.5", "85200"),
        force_order(START + 50_000, "BTCUSDT", "SELL", "0.1", "85000"),
        // Another symbol: not compared.
        force_order(START + 60_000, "ETHUSDT", "SELL", "2", "2800"),
        // Minute 2, shorts: 0.2 × 85,100 = 17,020.
        force_order(START + 125_000, "BTCUSDT", "BUY", "0.2", "85100"),
        // Minute 5, longs: 1.5 × 83,000 = 124,500.
        force_order(START + 300_000, "BTCUSDT", "SELL", "1.5", "83000"),
        // At the end (07:40): outside the run.
        force_order(START + 600_000, "BTCUSDT", "SELL", "1", "83000"),
    ];
    std::fs::write(&liq, lines.join("\n") + "\n").unwrap();
    let out = tmp.path().join("o");
    let stderr = ok(&replay(&out, &["--liquidations", liq.to_str().unwrap(), "--report"]));
    // The report overlays the real path and draws real vs simulated liquidations.
    for chart in ["replay-btc.svg", "replay-liquidations-btc.svg"] {
        let svg = std::fs::read_to_string(out.join("report").join(chart)).unwrap();
        assert!(svg.contains("real close") || svg.contains("real long"), "{chart}");
    }
    let html = std::fs::read_to_string(out.join("report/report.html")).unwrap();
    assert!(html.contains("real vs simulated liquidations per minute"));
    assert!(stderr.contains("6 real BTC rows") && stderr.contains("2 of them outside"), "{stderr}");
    assert!(stderr.contains("ETHUSDT"), "{stderr}");
    let rows = table(&out.join("liquidation_compare.csv"));
    // 10 minutes × 2 sides.
    assert_eq!(rows.len(), 20);
    let cell = |minute: u64, side: &str, col: &str| {
        let t = (minute * 60_000).to_string();
        rows.iter().find(|r| r["time_ms"] == t && r["side"] == side).unwrap()[col].clone()
    };
    assert_eq!(
        (cell(0, "long", "real_count"), cell(0, "long", "real_notional")),
        ("2".into(), "51100".into())
    );
    assert_eq!(
        (cell(2, "short", "real_count"), cell(2, "short", "real_notional")),
        ("1".into(), "17020".into())
    );
    assert_eq!(
        (cell(5, "long", "real_count"), cell(5, "long", "real_notional")),
        ("1".into(), "124500".into())
    );
    let real_total: u64 = rows.iter().map(|r| r["real_count"].parse::<u64>().unwrap()).sum();
    assert_eq!(real_total, 4);
    // The simulated side is the Binance-rules venue's rows of liquidations.csv, minute by minute.
    let sims = table(&out.join("liquidations.csv"));
    for minute in 0..10 {
        for side in ["long", "short"] {
            let mine: Vec<_> = sims
                .iter()
                .filter(|l| l["venue"] == "binance" && l["side"] == side)
                .filter(|l| l["time_ms"].parse::<u64>().unwrap() / 60_000 == minute)
                .collect();
            assert_eq!(cell(minute, side, "sim_count"), mine.len().to_string(), "minute {minute} {side}");
        }
    }
}

#[test]
fn bad_input_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let (s, o) = (tiny(), out.to_str().unwrap().to_string());
    // A file whose name's symbol matches no asset.
    let eth = tmp.path().join("ETHUSDT-1m-2025-11-21.csv");
    std::fs::copy(nov21(), &eth).unwrap();
    let e = err(&cascade(&["replay", &s, "--prices", eth.to_str().unwrap(), "--out", &o]));
    assert!(e.contains("`ETHUSDT` matches no asset") && e.contains("BTC"), "{e}");
    // An unknown asset name.
    let arg = format!("DOGE={}", nov21());
    let e = err(&cascade(&["replay", &s, "--prices", &arg, "--out", &o]));
    assert!(e.contains("unknown asset `DOGE`"), "{e}");
    // A window the file does not cover: the tiny scenario moved to 09:00 (the file ends 08:30).
    let late = tmp.path().join("late.toml");
    let text = std::fs::read_to_string(tiny()).unwrap().replace("07:30:00Z", "09:00:00Z");
    std::fs::write(&late, text).unwrap();
    let e = err(&cascade(&["replay", late.to_str().unwrap(), "--prices", &nov21(), "--out", &o]));
    assert!(e.contains("run.start_utc") && e.contains("outside the file"), "{e}");
    // A malformed row: the third data row's close is not a number.
    let bad = tmp.path().join("BTCUSDT-1m-bad.csv");
    let text = std::fs::read_to_string(nov21()).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[4] = "85x01.3".into();
    lines[3] = cells.join(",");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let e = err(&cascade(&["replay", &s, "--prices", bad.to_str().unwrap(), "--out", &o]));
    assert!(e.contains("BTCUSDT-1m-bad.csv") && e.contains("row 3") && e.contains("close"), "{e}");
    assert!(!out.exists(), "nothing is written for a replay that never ran");
}

#[test]
fn shocks_on_the_replayed_asset_are_dropped_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let shocked = tmp.path().join("shocked.toml");
    let text = std::fs::read_to_string(tiny()).unwrap()
        + "\n[[shocks]]\nat_s = 60\nasset = \"BTC\"\nfair_value_move = -0.05\nnotional = \"1000000\"\n";
    std::fs::write(&shocked, text).unwrap();
    let out = tmp.path().join("o");
    let stderr = ok(&cascade(&[
        "replay",
        shocked.to_str().unwrap(),
        "--prices",
        &nov21(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(stderr.contains("shocks[0] on BTC dropped"), "{stderr}");
    assert!(!std::fs::read_to_string(out.join("scenario.toml")).unwrap().contains("[[shocks]]"));
}

#[test]
fn a_positions_file_is_liquidated_in_the_minute_the_path_crosses_it() {
    let tmp = tempfile::tempdir().unwrap();
    // The tiny scenario without its population: only the file's positions can be liquidated.
    let alone = tmp.path().join("alone.toml");
    let text = std::fs::read_to_string(tiny()).unwrap().replace("accounts = 300", "accounts = 0");
    std::fs::write(&alone, text).unwrap();
    // Two Binance longs of 1 BTC entered at 85,200, isolated. At 50× the margin is 1,704 and
    // Binance's isolated long liquidation price (85200 − 1704) / (1 − mmr) lies between
    // 83,831 (mmr 0.4 %) and 83,916 (mmr 0.5 %): the file's closes fall from 84,779.9 (07:33)
    // to 83,224.3 (07:34), so it is crossed in the 07:33 minute, [180 s, 240 s) into the run.
    // At 10× (margin 8,520) the price is below 77,000: never reached (the low is 83,224.3).
    let positions = tmp.path().join("positions.csv");
    std::fs::write(
        &positions,
        "venue,symbol,side,size,entry_price,leverage,liquidation_price,margin\n\
         binance,BTCUSDT,long,1,85200,50,,\n\
         binance,BTCUSDT,long,1,85200,10,,\n",
    )
    .unwrap();
    let out = tmp.path().join("o");
    let (a, p, o) = (alone.to_str().unwrap(), nov21(), out.to_str().unwrap().to_string());
    let stderr =
        ok(&cascade(&["replay", a, "--prices", &p, "--positions", positions.to_str().unwrap(), "--out", &o]));
    assert!(stderr.contains("positions: 2 accounts"), "{stderr}");
    let liq = table(&out.join("liquidations.csv"));
    assert_eq!(liq.len(), 1, "{liq:?}");
    let t: u64 = liq[0]["time_ms"].parse().unwrap();
    assert!((180_000..240_000).contains(&t), "liquidated at {t} ms");
    assert_eq!((liq[0]["side"].as_str(), liq[0]["qty"].as_str()), ("long", "1"));
    // A row the waterfall cannot work on is refused, named.
    std::fs::write(&positions, "venue,symbol,side,size,entry_price,leverage,liquidation_price,margin\nbinance,BTCUSDT,long,1,85200,,80000,\n").unwrap();
    let e = err(&cascade(&[
        "replay",
        a,
        "--prices",
        &p,
        "--positions",
        positions.to_str().unwrap(),
        "--out",
        &o,
    ]));
    assert!(e.contains("position 1") && e.contains("liquidation_price"), "{e}");
}

/// A `lookback_path` survives the replay (the population's entries still come from it), so a
/// price file that starts only at the run's start is enough; without it the same file is
/// refused, since it does not reach back over the population's 30-minute look-back.
#[test]
fn a_lookback_path_is_kept_and_the_file_need_only_cover_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    // The 21 Nov minute file from the run's start (07:30) on.
    let full = std::fs::read_to_string(nov21()).unwrap();
    let mut lines = full.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines
        .filter(|l| l.split(',').next().and_then(|t| t.parse::<u64>().ok()).is_some_and(|t| t >= START))
        .collect();
    assert_eq!(rows.len(), 60, "07:30 to 08:29");
    let short = tmp.path().join("BTCUSDT-1m-from-0730.csv");
    std::fs::write(&short, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let base = std::fs::read_to_string(tiny()).unwrap();
    let with = tmp.path().join("with-lookback.toml");
    let key = format!("annual_volatility = 0.5\nlookback_path = \"{}\"", nov21().replace('\\', "/"));
    std::fs::write(&with, base.replace("annual_volatility = 0.5", &key)).unwrap();
    let out = tmp.path().join("o");
    let replay = |s: &Path, o: &Path| {
        cascade(&[
            "replay",
            s.to_str().unwrap(),
            "--prices",
            short.to_str().unwrap(),
            "--out",
            o.to_str().unwrap(),
        ])
    };
    let stderr = ok(&replay(&with, &out));
    assert!(!stderr.contains("lookback_path dropped"), "{stderr}");
    assert!(std::fs::read_to_string(out.join("scenario.toml")).unwrap().contains("lookback_path"));
    let plain = tmp.path().join("plain.toml");
    std::fs::write(&plain, &base).unwrap();
    let stderr = err(&replay(&plain, &tmp.path().join("o2")));
    assert!(
        stderr.contains("population.entry.lookback_s") && stderr.contains("look-back starts"),
        "{stderr}"
    );
}
