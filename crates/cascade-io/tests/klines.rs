//! Binance kline files: the reader on hand-written rows, the scenario checks of `[[assets]] path`,
//! and the shipped example scenario replaying 10 October 2025 (fair value on the file's closes,
//! entries from its look-back, determinism).
//!
//! Every expected number is written out by hand from the rows quoted in the test.

use std::fs;
use std::path::{Path, PathBuf};

use cascade_io::{IoError, read_kline_path, read_klines, read_scenario};
use cascade_sim::scenario::Dec;
use cascade_sim::scheduler::SimTime;
use cascade_sim::{RunOptions, Simulation, run};
use rust_decimal::Decimal;

const HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,\
                      taker_buy_quote_volume,ignore";

/// Five 1-minute bars from 2025-10-10 20:00 UTC (Unix ms 1760126400000), hand-written.
const ROWS: [&str; 5] = [
    "1760126400000,100.0,101.0,99.0,100.5,10.000,1760126459999,1000.0,5,5.0,500.0,0",
    "1760126460000,100.5,102.0,100.0,101.5,10.000,1760126519999,1000.0,5,5.0,500.0,0",
    "1760126520000,101.5,101.5,98.0,99.0,10.000,1760126579999,1000.0,5,5.0,500.0,0",
    "1760126580000,99.0,99.5,97.0,98.0,10.000,1760126639999,1000.0,5,5.0,500.0,0",
    "1760126640000,98.0,100.0,98.0,99.5,10.000,1760126699999,1000.0,5,5.0,500.0,0",
];

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn csv(header: bool, rows: &[&str]) -> String {
    let mut s = String::new();
    if header {
        s.push_str(HEADER);
        s.push('\n');
    }
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// The 6-column layout (`timestamp,open,high,low,close,volume`): bars last the step between the
/// first two rows (here 5 minutes = 300 000 ms), so the first bar opened at 1760126400000 closes
/// at 1760126699999 and its close 100.5 sits at 1760126700000 in the path; a gap or a single
/// row is refused, naming the row and field.
#[test]
fn the_six_column_layout_takes_its_bar_length_from_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = "timestamp,open,high,low,close,volume\n\
                1760126400000,100.0,101.0,99.0,100.5,10.0\n\
                1760126700000,100.5,102.0,100.0,101.5,10.0\n\
                1760127000000,101.5,101.5,98.0,99.0,10.0\n";
    let bars = read_klines(&write(dir.path(), "short.csv", text)).unwrap();
    assert_eq!(bars.len(), 3);
    assert_eq!(bars[0].close_time, 1_760_126_699_999);
    assert_eq!(bars[2].close_time, 1_760_127_299_999);
    let path = read_kline_path(&dir.path().join("short.csv")).unwrap();
    let pts = path.points();
    assert_eq!((pts[0].time_ms, pts[0].price), (1_760_126_400_000, Dec(d("100.0"))));
    assert_eq!((pts[1].time_ms, pts[1].price), (1_760_126_700_000, Dec(d("100.5"))));
    assert_eq!((pts[3].time_ms, pts[3].price), (1_760_127_300_000, Dec(d("99.0"))));

    let gap = "timestamp,open,high,low,close,volume\n\
               1760126400000,100.0,101.0,99.0,100.5,10.0\n\
               1760126700000,100.5,102.0,100.0,101.5,10.0\n\
               1760127300000,101.5,101.5,98.0,99.0,10.0\n";
    let err = read_klines(&write(dir.path(), "gap.csv", gap)).unwrap_err().to_string();
    assert!(err.contains("row 3") && err.contains("timestamp") && err.contains("no gap"), "{err}");
    let one = "timestamp,open,high,low,close,volume\n1760126400000,100.0,101.0,99.0,100.5,10.0\n";
    let err = read_klines(&write(dir.path(), "one.csv", one)).unwrap_err().to_string();
    assert!(err.contains("at least two bars"), "{err}");
    // Twelve fields under the short header are refused like any wrong record length.
    let long = format!("timestamp,open,high,low,close,volume\n{}\n", ROWS[0]);
    let err = read_klines(&write(dir.path(), "long.csv", &long)).unwrap_err().to_string();
    assert!(err.contains("12 fields where a kline has 6"), "{err}");
}

#[test]
fn rows_read_the_same_with_and_without_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let with = read_klines(&write(dir.path(), "a.csv", &csv(true, &ROWS))).unwrap();
    let without = read_klines(&write(dir.path(), "b.csv", &csv(false, &ROWS))).unwrap();
    assert_eq!(with, without);
    // A byte-order mark before the header is no bar either.
    let bom = read_klines(&write(dir.path(), "bom.csv", &format!("\u{feff}{}", csv(true, &ROWS)))).unwrap();
    assert_eq!(bom, with);
    assert_eq!(with.len(), 5);
    assert_eq!(with[2].open_time, 1_760_126_520_000);
    assert_eq!((with[2].high, with[2].low, with[2].close), (d("101.5"), d("98.0"), d("99.0")));
    assert_eq!(with[4].close_time, 1_760_126_699_999);

    // The path: the first open at 20:00:00, then each close at its close_time + 1 ms.
    let path = read_kline_path(&write(dir.path(), "c.csv", &csv(true, &ROWS))).unwrap();
    let pts: Vec<(u64, Decimal)> = path.points().iter().map(|p| (p.time_ms, p.price.get())).collect();
    assert_eq!(
        pts,
        [
            (1_760_126_400_000, d("100.0")),
            (1_760_126_460_000, d("100.5")),
            (1_760_126_520_000, d("101.5")),
            (1_760_126_580_000, d("99.0")),
            (1_760_126_640_000, d("98.0")),
            (1_760_126_700_000, d("99.5")),
        ]
    );
    // Each bar's range, at the same close instants: its low and high from the rows above (the
    // look-back sees the 97.0 of the fourth bar, which no close reached).
    let ranges: Vec<(u64, Decimal, Decimal)> =
        path.ranges().iter().map(|r| (r.close_ms, r.low.get(), r.high.get())).collect();
    assert_eq!(
        ranges,
        [
            (1_760_126_460_000, d("99.0"), d("101.0")),
            (1_760_126_520_000, d("100.0"), d("102.0")),
            (1_760_126_580_000, d("98.0"), d("101.5")),
            (1_760_126_640_000, d("97.0"), d("99.5")),
            (1_760_126_700_000, d("98.0"), d("100.0")),
        ]
    );
}

fn cell_error(e: &IoError) -> (u64, u64, String) {
    match e {
        IoError::Cell { row, line, field, .. } => (*row, *line, field.clone()),
        other => panic!("expected a cell error, got {other}"),
    }
}

#[test]
fn a_bad_number_names_the_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = ROWS;
    rows[1] = "1760126460000,100.5,102.0,100.0,1O1.5,10.000,1760126519999,1000.0,5,5.0,500.0,0";
    // With the header, data row 2 is line 3; without, line 2.
    let e = read_klines(&write(dir.path(), "bad.csv", &csv(true, &rows))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 3, "close".to_string()));
    let msg = e.to_string();
    assert!(
        msg.contains("bad.csv") && msg.contains("row 2") && msg.contains("`close`") && msg.contains("1O1.5"),
        "{msg}"
    );
    let e = read_klines(&write(dir.path(), "bad2.csv", &csv(false, &rows))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 2, "close".to_string()));

    rows[1] = "1760126460000,100.5,102.0,100.0,101.5,10.000,17601265x9999,1000.0,5,5.0,500.0,0";
    let e = read_klines(&write(dir.path(), "bad3.csv", &csv(true, &rows))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 3, "close_time".to_string()));

    // A record with 11 fields.
    let short = "1760126460000,100.5,102.0,100.0,101.5,10.000,1760126519999,1000.0,5,5.0,500.0";
    let e = read_klines(&write(dir.path(), "short.csv", &csv(true, &[ROWS[0], short]))).unwrap_err();
    assert_eq!(cell_error(&e).0, 2);
    assert!(e.to_string().contains("11 fields"), "{e}");

    // A zero price.
    let zero = "1760126460000,100.5,102.0,100.0,0,10.000,1760126519999,1000.0,5,5.0,500.0,0";
    let e = read_klines(&write(dir.path(), "zero.csv", &csv(false, &[ROWS[0], zero]))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 2, "close".to_string()));
}

#[test]
fn out_of_order_duplicate_and_microsecond_times_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Row 3 (20:01) comes after row 2 (20:02).
    let e =
        read_klines(&write(dir.path(), "order.csv", &csv(true, &[ROWS[0], ROWS[2], ROWS[1]]))).unwrap_err();
    assert_eq!(cell_error(&e), (3, 4, "open_time".to_string()));
    assert!(e.to_string().contains("before the previous row's 1760126520000"), "{e}");
    // Row 2 repeats row 1's open_time.
    let e = read_klines(&write(dir.path(), "dup.csv", &csv(false, &[ROWS[0], ROWS[0]]))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 2, "open_time".to_string()));
    assert!(e.to_string().contains("duplicate"), "{e}");
    // Spot archives since 2025 use microseconds: 1760126400000000.
    let micro = "1760126400000000,100.0,101.0,99.0,100.5,10.000,1760126459999999,1000.0,5,5.0,500.0,0";
    let e = read_klines(&write(dir.path(), "micro.csv", &csv(false, &[micro]))).unwrap_err();
    assert_eq!(cell_error(&e), (1, 1, "open_time".to_string()));
    assert!(e.to_string().contains("microseconds"), "{e}");
    // A bar opening at 20:00:30, inside the 20:00 bar (which closes at 20:00:59.999).
    let inside = "1760126430000,100.5,102.0,100.0,101.5,10.000,1760126489999,1000.0,5,5.0,500.0,0";
    let e = read_klines(&write(dir.path(), "overlap.csv", &csv(false, &[ROWS[0], inside]))).unwrap_err();
    assert_eq!(cell_error(&e), (2, 2, "open_time".to_string()));
    assert!(e.to_string().contains("inside the previous bar"), "{e}");
    // A header and nothing else.
    let e = read_klines(&write(dir.path(), "empty.csv", &csv(true, &[]))).unwrap_err();
    assert!(e.to_string().contains("no kline"), "{e}");
}

/// A minimal scenario over `klines.csv` (the five hand-written bars) in `dir`; `asset` and `run`
/// are extra lines for those sections, `entry` for `[population.entry]`.
fn scenario(dir: &Path, run: &str, asset: &str, entry: &str) -> PathBuf {
    write(dir, "klines.csv", &csv(true, &ROWS));
    let duration = if run.contains("duration_s") { "" } else { "duration_s = 60" };
    let text = format!(
        r#"[run]
{duration}
{run}

[[assets]]
name = "BTC"
{asset}

[[venues]]
name = "binance"
rules = "binance"
settle_asset = "USDT"

[[venues.instruments]]
symbol = "BTCUSDT"
asset = "BTC"
tick = "0.1"
lot = "0.001"

[population]
accounts = 10

[population.entry]
{entry}
"#
    );
    write(dir, "s.toml", &text)
}

const START: &str = "start_utc = \"2025-10-10T20:03:00Z\"";
const PATH: &str = "path = \"klines.csv\"";

fn refused(p: &Path) -> String {
    read_scenario(p).expect_err("the scenario should be refused").to_string()
}

#[test]
fn a_path_scenario_reads_and_derives_its_index() {
    let dir = tempfile::tempdir().unwrap();
    // Start 20:03:00 = the close of the 20:02 bar, 99.0; the run ends at 20:04:00 (the file's
    // last close is at 20:05:00); the look-back of 180 s starts at 20:00:00, the file's first
    // point (the 20:00 bar's open).
    let s = read_scenario(&scenario(dir.path(), START, PATH, "lookback_s = 180")).unwrap();
    let start = s.run.start_unix_ms();
    assert_eq!(start, Some(1_760_126_580_000));
    assert_eq!(s.assets[0].start_price(start), Some(Dec(d("99.0"))));
    assert_eq!(s.assets[0].price_path.as_ref().unwrap().points().len(), 6);
    // An explicit index price equal to that close (written differently) is accepted.
    read_scenario(&scenario(dir.path(), START, &format!("{PATH}\nindex_price = \"99\""), "lookback_s = 180"))
        .unwrap();
    // An absolute path works too.
    let abs = format!("path = \"{}\"", dir.path().join("klines.csv").display());
    read_scenario(&scenario(dir.path(), START, &abs, "lookback_s = 180")).unwrap();
}

#[test]
fn annual_volatility_with_a_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(&scenario(
        dir.path(),
        START,
        &format!("{PATH}\nannual_volatility = 0.5"),
        "lookback_s = 180",
    ));
    assert!(
        e.contains("s.toml:") && e.contains("`assets[0].annual_volatility`: not allowed with `path`"),
        "{e}"
    );
    // So are the synthetic look-back's keys when every population asset has a path.
    let e = refused(&scenario(dir.path(), START, PATH, "lookback_s = 180\nlookback_return = -0.05"));
    assert!(e.contains("`population.entry.lookback_return`: not allowed"), "{e}");
    let e = refused(&scenario(dir.path(), START, PATH, "lookback_s = 180\nannual_volatility = 0.5"));
    assert!(e.contains("`population.entry.annual_volatility`: not allowed"), "{e}");
    // Without a path, index_price is required.
    let e = refused(&scenario(dir.path(), START, "", "lookback_s = 180"));
    assert!(e.contains("`assets[0].index_price`: required"), "{e}");
}

#[test]
fn a_missing_file_names_the_field_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = scenario(dir.path(), START, "path = \"nope/klines.csv\"", "lookback_s = 180");
    let e = read_scenario(&p).unwrap_err();
    assert!(matches!(&e, IoError::Input { field, .. } if field == "assets[0].path"), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("`assets[0].path`") && e.contains("nope/klines.csv") && e.contains("missing"), "{e}");
    // A bad row in the file is reported with the field, the file, the row and the column.
    write(dir.path(), "bad.csv", &csv(true, &[ROWS[0], "x,1,1,1,1,1,1,1,1,1,1,0"]));
    let p = scenario(dir.path(), START, "path = \"bad.csv\"", "lookback_s = 180");
    let e = refused(&p);
    assert!(
        e.contains("`assets[0].path`") && e.contains("bad.csv: row 2") && e.contains("`open_time`"),
        "{e}"
    );
}

#[test]
fn the_run_must_lie_inside_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // The file's points run from 20:00:00 to 20:05:00.
    let e = refused(&scenario(dir.path(), "start_utc = \"2025-10-10T21:00:00Z\"", PATH, "lookback_s = 180"));
    assert!(e.contains("`run.start_utc`") && e.contains("outside the file"), "{e}");
    assert!(e.contains("2025-10-10T20:00:00.000Z") && e.contains("2025-10-10T20:05:00.000Z"), "{e}");
    // 20:03:30 is inside but between two closes.
    let e = refused(&scenario(dir.path(), "start_utc = \"2025-10-10T20:03:30Z\"", PATH, "lookback_s = 180"));
    assert!(e.contains("`run.start_utc`") && e.contains("not the close time"), "{e}");
    // 20:04:00 + 120 s = 20:06:00, after the last close.
    let e = refused(&scenario(
        dir.path(),
        "start_utc = \"2025-10-10T20:04:00Z\"\nduration_s = 120",
        PATH,
        "lookback_s = 180",
    ));
    assert!(e.contains("`run.duration_s`") && e.contains("ends at 2025-10-10T20:05:00.000Z"), "{e}");
    // A look-back of 240 s from 20:03 starts at 19:59, before the file.
    let e = refused(&scenario(dir.path(), START, PATH, "lookback_s = 240"));
    assert!(
        e.contains("`population.entry.lookback_s`") && e.contains("starts at 2025-10-10T19:59:00.000Z"),
        "{e}"
    );
    // No start at all.
    let e = refused(&scenario(dir.path(), "", PATH, "lookback_s = 180"));
    assert!(e.contains("`run.start_utc`") && e.contains("required"), "{e}");
    // An index price that is not the file's close at the start (99.0).
    let e =
        refused(&scenario(dir.path(), START, &format!("{PATH}\nindex_price = \"99.1\""), "lookback_s = 180"));
    assert!(
        e.contains("`assets[0].index_price`") && e.contains("99.1 conflicts") && e.contains("99.0"),
        "{e}"
    );
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/examples/oct-10-btc-path.toml")
}

/// Closes of hand-picked rows of `data/binance/BTCUSDT-1m-2025-10-10_2000_2359.csv`, quoted:
/// - `1760129040000,117005.30,117145.30,116956.60,116970.00,...` (20:44 bar, closes 20:45:00)
/// - `1760129100000,116970.10,117040.30,116970.10,116975.90,...` (20:45 bar, closes 20:46:00)
/// - `1760129340000,116836.70,116862.80,116800.10,116830.30,...` (20:49 bar, closes 20:50:00)
/// - `1760130840000,111903.80,112285.70,109810.90,112137.60,...` (21:14 bar, closes 21:15:00)
/// - `1760130900000,112137.60,112539.50,110979.10,110997.80,...` (21:15 bar, closes 21:16:00)
#[test]
fn the_fair_value_follows_the_files_closes() {
    let mut s = read_scenario(&example_path()).unwrap();
    // The run starts at 20:45:00 on the close of the 20:44 bar.
    assert_eq!(s.assets[0].start_price(s.run.start_unix_ms()), Some(Dec(d("116970.00"))));
    // Price steps every 30 s: between two steps the fair value stays where the last step put it,
    // so looking 10 s after a step reads the value at the step.
    s.run.price_step_ms = 30_000;
    let mut sim = Simulation::new(&s, 1, true).unwrap();
    let fair_at = |sim: &mut Simulation, secs: u64| {
        sim.run_until(SimTime::from_secs(secs + 10)).unwrap();
        sim.world.assets[0].fair
    };
    // (seconds from 20:45:00, expected fair value)
    let expected = [
        (0, 116_970.00),
        // 20:45:30, half-way from 116970.00 (20:45:00) to 116975.90 (20:46:00): 116972.95.
        (30, 116_972.95),
        (60, 116_975.90),
        (300, 116_830.30),
        (1_800, 112_137.60),
        // 21:15:30, half-way from 112137.60 to 110997.80: 111567.70.
        (1_830, 111_567.70),
        (1_860, 110_997.80),
    ];
    for (t, want) in expected {
        let got = fair_at(&mut sim, t);
        assert!((got - want).abs() < 1e-6, "fair value at +{t} s: {got}, expected {want}");
    }
}

#[test]
fn entries_come_from_the_files_look_back() {
    let s = read_scenario(&example_path()).unwrap();
    let sim = Simulation::new(&s, 1, true).unwrap();
    // The look-back runs from 20:00:00 (the 20:00 bar's open, 116605.20) to 20:45:00, over the
    // closes of the bars 20:00..20:44; the lowest of those is 116562.60, the highest 117050.00
    // (the open lies between). Every entry is one of those prices, so inside that range.
    let pop = &sim.agents.population;
    assert_eq!(pop.traders.len(), 5_000);
    let file = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/binance/BTCUSDT-1m-2025-10-10_2000_2359.csv"),
    )
    .unwrap();
    // The 46 look-back prices, read independently of the reader under test: line 2 is the
    // 20:00 bar, line 46 the 20:44 bar.
    let lines: Vec<Vec<&str>> = file.lines().skip(1).take(45).map(|l| l.split(',').collect()).collect();
    let mut allowed: Vec<f64> = vec![lines[0][1].parse().unwrap()];
    allowed.extend(lines.iter().map(|c| c[4].parse::<f64>().unwrap()));
    let m = &sim.world.markets[0];
    let mut distinct = std::collections::BTreeSet::new();
    for t in &pop.traders {
        let e = m.to_f64(t.entry);
        assert!((116_562.6 - 1e-6..=117_050.0 + 1e-6).contains(&e), "entry {e} outside the look-back");
        assert!(allowed.iter().any(|a| (a - e).abs() < 1e-6), "entry {e} is not a price of the file");
        distinct.insert(t.entry.0);
    }
    assert!(distinct.len() > 10, "entries spread over the look-back: {} distinct", distinct.len());
}

/// Every trader's entry is one of `allowed` (the scaled look-back prices), and some lie above
/// `time_zero_plus` (so they come from the file's week, not from the time-zero price alone).
fn assert_entries_from_the_look_back(sim: &Simulation, allowed: &[f64], time_zero_plus: f64) {
    let m = &sim.world.markets[0];
    let traders = &sim.agents.population.traders;
    for t in traders {
        let e = m.to_f64(t.entry);
        assert!(allowed.iter().any(|a| (a - e).abs() < 1e-9), "entry {e} is not a scaled look-back price");
    }
    let above = traders.iter().filter(|t| m.to_f64(t.entry) > time_zero_plus).count();
    assert!(above > 0, "no entry from the look-back file's week");
}

/// `lookback_path`: entries from the file's week, the level from `index_price`. The look-back
/// of 180 s before 20:03 has 180 / 60 = 3 steps, points at 20:00, 20:01, 20:02, 20:03: the
/// 20:00 open 100.0 and the closes 100.5, 101.5, 99.0 (ROWS). Scaled by 50 / 99.0 to end at the
/// index price 50: 50.505, 50.758, 51.263, 50.0, i.e. 50.5, 50.8, 51.3 and 50.0 on the 0.1 tick.
/// The fair value itself does not follow the file (it starts at 50, not 99).
#[test]
fn a_lookback_path_gives_the_entries_and_not_the_fair_value() {
    let dir = tempfile::tempdir().unwrap();
    let asset = "index_price = \"50\"\nannual_volatility = 0.0\nlookback_path = \"klines.csv\"";
    let s = read_scenario(&scenario(dir.path(), START, asset, "lookback_s = 180")).unwrap();
    let sim = Simulation::new(&s, 1, true).unwrap();
    assert!((sim.world.assets[0].spot() - 50.0).abs() < 1e-9);
    // Not all at the time-zero price (a flat synthetic walk would put every entry at 50.0).
    assert_entries_from_the_look_back(&sim, &[50.0, 50.5, 50.8, 51.3], 50.4);
    // A file that does not reach back over the look-back is refused.
    let e = refused(&scenario(dir.path(), START, asset, "lookback_s = 600"));
    assert!(e.contains("assets[0].lookback_path") && e.contains("the look-back needs"), "{e}");
    // A synthetic-walk key of the entries is refused when every asset has a look-back file.
    let e = refused(&scenario(dir.path(), START, asset, "lookback_s = 180\nlookback_return = -0.05"));
    assert!(e.contains("population.entry.lookback_return"), "{e}");
}

/// `path` and `lookback_path` together (a replay of one evening that keeps the week before):
/// the fair value follows `run.csv`, which starts only at 20:03 (its 20:03 bar opens at 66.0),
/// and the entries come from `klines.csv`'s look-back, 20:00..20:03: 100.0, 100.5, 101.5 and
/// 99.0 (ROWS), scaled by 66.0 / 99.0 = 2/3 to end at the path's 66.0: 66.667, 67.0, 67.667
/// and 66.0, i.e. 66.7, 67.0, 67.7 and 66.0 on the 0.1 tick. Without `lookback_path` the same
/// short file is refused: it does not reach back over the look-back.
#[test]
fn a_lookback_path_gives_the_entries_of_a_path_that_covers_only_the_run() {
    const RUN_ROWS: [&str; 2] = [
        "1760126580000,66.0,66.5,65.0,65.5,10.000,1760126639999,1000.0,5,5.0,500.0,0",
        "1760126640000,65.5,66.0,65.0,65.8,10.000,1760126699999,1000.0,5,5.0,500.0,0",
    ];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "run.csv", &csv(true, &RUN_ROWS));
    let asset = "path = \"run.csv\"\nlookback_path = \"klines.csv\"";
    let s = read_scenario(&scenario(dir.path(), START, asset, "lookback_s = 180")).unwrap();
    let sim = Simulation::new(&s, 1, true).unwrap();
    assert!((sim.world.assets[0].fair - 66.0).abs() < 1e-9, "fair value {}", sim.world.assets[0].fair);
    assert_entries_from_the_look_back(&sim, &[66.0, 66.7, 67.0, 67.7], 66.5);
    let e = refused(&scenario(dir.path(), START, "path = \"run.csv\"", "lookback_s = 180"));
    assert!(e.contains("population.entry.lookback_s") && e.contains("the look-back starts at"), "{e}");
}

#[test]
fn the_example_is_deterministic() {
    let s = read_scenario(&example_path()).unwrap();
    let opts = RunOptions { counterfactual: false, ..RunOptions::default() };
    let a = run(&s, 7, &opts).unwrap();
    let b = run(&s, 7, &opts).unwrap();
    assert_eq!(a, b);
    assert!(!a.series.is_empty());
}
