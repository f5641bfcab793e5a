//! The writers on small tables: exact CSV, Parquet that reads back, byte-identical repeats, and
//! failures that name the file and keep what was already written.

use std::fs;
use std::path::Path;

use arrow_array::{Array, Float64Array, StringArray, UInt32Array, UInt64Array};
use cascade_io::{Table, read_run, write_csv, write_parquet, write_run};
use cascade_sim::metrics::{
    AdlRow, LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide, Recorder, Recording,
    SeriesRow,
};
use cascade_sim::scheduler::SimTime;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A two-market, three-second run with one liquidation and one ADL, made through the Recorder.
fn recording() -> Recording {
    let mut r = Recorder::new(SimTime::from_secs(1));
    let btc = r.add_market("binance", "BTCUSDT");
    let eth = r.add_market("hyperliquid", "ETH");
    let snap = |mark: Option<&str>, fund: &str| MarketSnapshot {
        last: mark.map(d),
        mark: mark.map(d),
        index: Some(d("100000.00")),
        best_bid: mark.map(|_| d("99999.9")),
        best_ask: None,
        bid_depth_1pct: d("1234567.12345678"),
        open_interest: d("12.345"),
        open_interest_notional: d("1234500.00000000"),
        insurance_fund: d(fund),
        funding_rate: Some(d("-0.0003")),
        ..MarketSnapshot::default()
    };
    r.on_trade(btc, d("100000.0"), d("0.010"), d("1000.00000000"));
    r.sample(SimTime::from_secs(1), |k| {
        if k == btc { snap(Some("100000.0"), "5000000") } else { snap(None, "0") }
    });
    r.on_liquidation(
        btc,
        LiquidationRow {
            time_ms: 1_250,
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
    r.on_adl(
        eth,
        AdlRow {
            time_ms: 2_000,
            venue: "hyperliquid".into(),
            instrument: "ETH".into(),
            account: 4,
            side: PositionSide::Short,
            qty: d("1.5"),
            price: d("3900.1"),
            notional: d("5850.15"),
            realized_pnl: d("120.0"),
            rank: Some(0),
            leverage: Some(d("0.15")),
            liquidated_account: None,
        },
    );
    r.sample(SimTime::from_secs(3), |k| {
        if k == btc { snap(Some("98000.0"), "4999944.5") } else { snap(None, "0") }
    });
    r.finish("tables-test", 7, SimTime::from_secs(3), d("100000"))
}

/// The CSV header equals what serde would name the row's fields: the column lists cannot drift
/// from the row structs.
fn serde_header<R: serde::Serialize>(row: &R) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(row).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    text.lines().next().unwrap().to_string()
}

fn header<R: Table>() -> String {
    R::columns().iter().map(|c| c.name).collect::<Vec<_>>().join(",")
}

#[test]
fn columns_match_the_row_structs() {
    let rec = recording();
    assert_eq!(header::<SeriesRow>(), serde_header(&rec.series[0]));
    assert_eq!(header::<LiquidationRow>(), serde_header(&rec.liquidations[0]));
    assert_eq!(header::<AdlRow>(), serde_header(&rec.adl[0]));
}

#[test]
fn csv_is_exact_and_empty_means_absent() {
    let rec = recording();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("liquidations.csv");
    write_csv(&p, &rec.liquidations).unwrap();
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "time_ms,venue,instrument,account,side,margin_mode,kind,qty,price,notional,mark_price,\
         bankruptcy_price,fee,insurance_fund_change,bad_debt\n\
         1250,binance,BTCUSDT,17,long,cross,partial,0.5,98000,49000,98100,,245,-55.5,0\n"
    );
    let p = dir.path().join("adl.csv");
    write_csv(&p, &rec.adl).unwrap();
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "time_ms,venue,instrument,account,side,qty,price,notional,realized_pnl,rank,leverage,liquidated_account\n\
         2000,hyperliquid,ETH,4,short,1.5,3900.1,5850.15,120,0,0.15,\n"
    );
    let p = dir.path().join("series.csv");
    write_csv(&p, &rec.series).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 6);
    // First BTC row: one trade of 0.01 at 100,000; exact depth with 8 decimals kept.
    assert_eq!(
        lines[1],
        "1000,binance,BTCUSDT,100000,100000,100000,99999.9,,1234567.12345678,0,0,0,0.01,1000,1,0,0,0,0,\
         12.345,1234500,5000000,0,0,0,-0.0003,0,0"
    );
    // The liquidation lands in the 2 s row of BTC; the ADL in the 2 s row of ETH.
    assert!(lines[3].starts_with("2000,binance,BTCUSDT,"), "{}", lines[3]);
    assert!(lines[3].contains(",0,1,49000,0,0,"), "{}", lines[3]);
    assert!(lines[4].starts_with("2000,hyperliquid,ETH,,,"), "{}", lines[4]);
    assert!(lines[4].ends_with(",1,5850.15,0,-0.0003,0,0"), "{}", lines[4]);
}

#[test]
fn parquet_reads_back() {
    let rec = recording();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("series.parquet");
    write_parquet(&p, &rec.series).unwrap();
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&p).unwrap()).unwrap().build().unwrap();
    let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    let b = &batches[0];
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 6);
    let names: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names.join(","), header::<SeriesRow>());
    let col = |name: &str| b.column(b.schema().index_of(name).unwrap()).clone();
    let time = col("time_ms");
    let time = time.as_any().downcast_ref::<UInt64Array>().unwrap();
    assert_eq!(time.values().to_vec(), [1000, 1000, 2000, 2000, 3000, 3000]);
    let venue = col("venue");
    let venue = venue.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(venue.value(1), "hyperliquid");
    let mark = col("mark");
    let mark = mark.as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(mark.value(0), 100_000.0);
    assert!(mark.is_null(1), "absent mark is null");
    let depth = col("bid_depth_1pct");
    let depth = depth.as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(depth.value(0), 1_234_567.123_456_78);
    assert_eq!(depth.null_count(), 0);

    let p = dir.path().join("adl.parquet");
    write_parquet(&p, &rec.adl).unwrap();
    let b = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&p).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let rank = b.column(b.schema().index_of("rank").unwrap()).clone();
    assert_eq!(rank.as_any().downcast_ref::<UInt32Array>().unwrap().value(0), 0);
    assert!(b.column(b.schema().index_of("liquidated_account").unwrap()).is_null(0));
}

#[test]
fn empty_tables_are_valid_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("adl.parquet");
    write_parquet::<AdlRow>(&p, &[]).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&p).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    assert_eq!(reader.schema().fields().len(), AdlRow::columns().len());
    let c = dir.path().join("adl.csv");
    write_csv::<AdlRow>(&c, &[]).unwrap();
    assert_eq!(fs::read_to_string(&c).unwrap().lines().count(), 1);
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_same_rows_give_byte_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let written = write_run(a.path(), &recording()).unwrap();
    write_run(b.path(), &recording()).unwrap();
    let names: Vec<_> =
        written.paths.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            "series.csv",
            "series.parquet",
            "liquidations.csv",
            "liquidations.parquet",
            "adl.csv",
            "adl.parquet",
            "summary.json",
            "manifest.json"
        ]
    );
    let (fa, fb) = (read_all(a.path()), read_all(b.path()));
    assert_eq!(fa.len(), 8, "no temporary files left behind");
    assert_eq!(fa, fb);
    // The footer carries our fixed creator string and nothing time-dependent.
    let pq = fs::File::open(a.path().join("series.parquet")).unwrap();
    let meta = ParquetRecordBatchReaderBuilder::try_new(pq).unwrap().metadata().clone();
    assert_eq!(meta.file_metadata().created_by(), Some(cascade_io::write::PARQUET_CREATED_BY));
}

#[test]
fn the_summary_is_json_with_exact_money() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), &recording()).unwrap();
    let text = fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(text.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["scenario"], "tables-test");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["totals"]["liquidated_long_notional"], "49000.00000000");
    assert_eq!(v["totals"]["liquidated_per_exogenous"], 0.49);
    // No counterfactual was run for this recording: no amplification.
    assert_eq!(v["totals"]["cascade_amplification"], serde_json::Value::Null);
    assert_eq!(v["venues"][0]["insurance_fund_drawdown"], "55.5");
    assert_eq!(v["instruments"][1]["adl_notional"], "5850.15");
}

/// Run directories are whole or absent: a second run replaces the first as a whole, a run
/// that fails part way changes nothing, leftovers of a killed run are cleaned, and an output
/// path that is a file is refused by name.
#[test]
fn a_run_directory_is_replaced_whole_or_not_at_all() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    write_run(&dir, &recording()).unwrap();
    let first = fs::read(dir.join("summary.json")).unwrap();
    let manifest = cascade_io::verify_manifest(&dir).unwrap();
    assert_eq!((manifest.seed, manifest.scenario.as_str()), (7, "tables-test"));
    assert_eq!(manifest.files.iter().find(|f| f.name == "series.csv").unwrap().rows, Some(6));

    // A killed run left a temporary directory behind: the next write removes it.
    fs::create_dir(root.path().join(".run.tmp-999999999")).unwrap();
    // A run that fails part way (its second file) leaves the complete old run in place.
    let err = cascade_io::run_dir::write_run_dir(&dir, "other", (8, 0), None, |tmp| {
        fs::write(tmp.join("series.csv"), b"half").unwrap();
        Err(cascade_io::IoError::Missing { path: tmp.join("liquidations.csv"), what: "table" })
    })
    .unwrap_err();
    assert!(err.to_string().contains("liquidations.csv"), "{err}");
    assert_eq!(fs::read(dir.join("summary.json")).unwrap(), first);
    cascade_io::verify_manifest(&dir).unwrap();
    let siblings: Vec<String> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings, ["run"], "temporary directories left behind");

    // A second run replaces the first as a whole: its seed everywhere, no file of the first.
    let mut second = recording();
    second.summary.seed = 8;
    second.liquidations.clear();
    write_run(&dir, &second).unwrap();
    let m = cascade_io::verify_manifest(&dir).unwrap();
    assert_eq!(m.seed, 8);
    assert_eq!(m.files.iter().find(|f| f.name == "liquidations.csv").unwrap().rows, Some(0));
    assert_eq!(read_run(&dir).unwrap().summary.seed, 8);

    // An output directory that is a file is refused by name.
    let file = root.path().join("plain");
    fs::write(&file, b"").unwrap();
    let err = write_run(&file, &recording()).unwrap_err().to_string();
    assert!(err.contains("plain: using it as the run directory"), "{err}");
}

/// `read_run` trusts nothing the manifest does not vouch for: a table cut at a row boundary
/// still parses, and a summary copied from another run of the same scenario is well-formed —
/// both are refused, naming the file.
#[test]
fn read_run_refuses_files_the_manifest_does_not_match() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    write_run(&a, &recording()).unwrap();
    let series = fs::read_to_string(a.join("series.csv")).unwrap();
    let cut: String = series.lines().take(3).map(|l| format!("{l}\n")).collect();
    fs::write(a.join("series.csv"), cut).unwrap();
    let err = read_run(&a).unwrap_err().to_string();
    assert!(err.contains("series.csv") && err.contains("manifest"), "{err}");

    write_run(&a, &recording()).unwrap();
    let mut other = recording();
    other.summary.seed = 9;
    write_run(&b, &other).unwrap();
    fs::copy(b.join("summary.json"), a.join("summary.json")).unwrap();
    let err = read_run(&a).unwrap_err().to_string();
    assert!(err.contains("summary.json"), "{err}");

    fs::remove_file(a.join("manifest.json")).unwrap();
    let err = read_run(&a).unwrap_err().to_string();
    assert!(err.contains("manifest.json: missing manifest"), "{err}");
}

/// A run directory's tables lead with `run_id`, `seed` and `scenario_hash`, give `time_utc`
/// after `time_ms` when the run has a start time, and carry the same identity in the Parquet
/// footer; a sweep's kept run writes its own run id.
#[test]
fn run_tables_carry_their_identity_and_utc_times() {
    use arrow_array::TimestampMillisecondArray;
    use arrow_schema::{DataType, TimeUnit};

    let mut rec = recording();
    rec.summary.seed = 7;
    rec.summary.start_utc = Some("2025-10-10T20:00:00Z".into());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // SHA-256("abc") is FIPS 180-2's first example digest.
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    cascade_io::write_run_as(&out, &rec, Some("abc"), 12).unwrap();

    let series = fs::read_to_string(out.join("series.csv")).unwrap();
    let mut lines = series.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("run_id,seed,scenario_hash,time_ms,time_utc,venue,instrument,last,"),
        "{series}"
    );
    // 2025-10-10T20:00:00Z + 1,000 ms: the first sample.
    assert!(lines.next().unwrap().starts_with(&format!("12,7,{abc},1000,2025-10-10T20:00:01.000Z,binance,")));
    let liq = fs::read_to_string(out.join("liquidations.csv")).unwrap();
    assert!(liq.starts_with("run_id,seed,scenario_hash,time_ms,time_utc,venue,"), "{liq}");
    // The liquidation of `recording()` is at 1,250 ms.
    assert!(liq.lines().nth(1).unwrap().starts_with(&format!("12,7,{abc},1250,2025-10-10T20:00:01.250Z,")));

    let f = fs::File::open(out.join("liquidations.parquet")).unwrap();
    let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    let kv: Vec<(String, String)> = b
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .filter(|k| k.key.starts_with("cascade."))
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        kv,
        [
            ("cascade.run_id".to_string(), "12".to_string()),
            ("cascade.seed".into(), "7".into()),
            ("cascade.scenario_sha256".into(), abc.into()),
            ("cascade.start_utc".into(), "2025-10-10T20:00:00.000Z".into()),
        ]
    );
    let schema = b.schema().clone();
    let utc = schema.field_with_name("time_utc").unwrap();
    assert_eq!(utc.data_type(), &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())));
    let batch = b.build().unwrap().next().unwrap().unwrap();
    let t = batch.column(schema.index_of("time_utc").unwrap()).clone();
    // 2025-10-10T20:00:00Z is 1,760,126,400,000 ms (20,371 days × 86,400,000 + 20 h).
    assert_eq!(20_371_u64 * 86_400_000 + 20 * 3_600_000, 1_760_126_400_000);
    assert_eq!(t.as_any().downcast_ref::<TimestampMillisecondArray>().unwrap().value(0), 1_760_126_401_250);
    let id = batch.column(schema.index_of("run_id").unwrap()).clone();
    assert_eq!(id.as_any().downcast_ref::<UInt64Array>().unwrap().value(0), 12);

    // The manifest keeps the run id, and the tables read back as before.
    let m = cascade_io::verify_manifest(&out).unwrap();
    assert_eq!((m.run_id, m.seed), (12, 7));
    let back = read_run(&out).unwrap();
    assert_eq!(back.liquidations, rec.liquidations);

    // Without a start time there is no `time_utc`; the identity columns stay.
    rec.summary.start_utc = None;
    cascade_io::write_run_with(&out, &rec, None).unwrap();
    let adl = fs::read_to_string(out.join("adl.csv")).unwrap();
    assert!(adl.starts_with("run_id,seed,scenario_hash,time_ms,venue,"), "{adl}");
    assert!(adl.lines().nth(1).unwrap().starts_with("0,7,,"), "{adl}");
}

#[test]
fn utc_text_is_rfc3339_with_milliseconds() {
    use cascade_io::utc_text;
    assert_eq!(utc_text(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(utc_text(-1), "1969-12-31T23:59:59.999Z");
    // 2024-02-29 (a leap day) is day 19,782 since 1970-01-01: 19,782 × 86,400,000 + 1,500.
    assert_eq!(utc_text(19_782 * 86_400_000 + 1_500), "2024-02-29T00:00:01.500Z");
}
