//! The sweep's tables as files: Parquet metadata naming the sweep, `run_id`/`seed`/
//! `scenario_hash` columns, and UTC timestamps when the scenario has a start time.

use std::fs::File;
use std::path::Path;

use arrow_schema::{DataType, TimeUnit};
use cascade_sweep::table::utc_text;
use cascade_sweep::{SweepOptions, SweepSpec, run_sweep};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

#[test]
fn utc_text_counts_days_from_1970() {
    // 2025-10-10T20:00:00Z is 1 760 126 400 000 ms (hand count in cascade-sim's run.rs tests).
    assert_eq!(utc_text(1_760_126_400_000), "2025-10-10T20:00:00.000Z");
    assert_eq!(utc_text(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(utc_text(-1), "1969-12-31T23:59:59.999Z");
    // 2024-02-29 is day 19782: 19782 × 86 400 000 + 1 500.
    assert_eq!(utc_text(1_709_164_800_000 + 1_500), "2024-02-29T00:00:01.500Z");
}

#[test]
fn tables_carry_ids_hashes_metadata_and_utc_times() {
    let src = r#"
name = "utc"
seeds = [3]
counterfactual = false
[set]
"run.duration_s" = 120
"run.start_utc" = "2025-10-10T20:00:00Z"
"population.accounts" = 300
"shocks[0].at_s" = 60
"shocks[0].duration_s" = 30
"#;
    let spec = SweepSpec::from_str_in(src, "utc.toml", Path::new("."), "utc").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = SweepOptions::new(tmp.path());
    opts.keep_runs = true;
    run_sweep(&spec, &opts).unwrap();
    for table in ["runs", "aggregate"] {
        let f = File::open(tmp.path().join(format!("{table}.parquet"))).unwrap();
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
                ("cascade.sweep".to_string(), "utc".to_string()),
                ("cascade.scenario_sha256".into(), spec.scenario_hash()),
                ("cascade.spec_sha256".into(), spec.hash()),
                ("cascade.program_version".into(), env!("CARGO_PKG_VERSION").into()),
            ]
        );
        let schema = b.schema().clone();
        assert!(schema.field_with_name("scenario_hash").is_ok(), "{table}");
        if table == "runs" {
            assert!(schema.field_with_name("run_id").is_ok() && schema.field_with_name("seed").is_ok());
            assert_eq!(
                schema.field_with_name("first_liquidation_utc").unwrap().data_type(),
                &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            );
        }
    }
    // In the CSV the UTC time is the start plus the first liquidation's offset.
    let csv = std::fs::read_to_string(tmp.path().join("runs.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
    let ms: i64 = col("first_liquidation_ms").parse().expect("the shock liquidates someone");
    assert_eq!(col("first_liquidation_utc"), utc_text(1_760_126_400_000 + ms));
    assert!(col("first_liquidation_utc").starts_with("2025-10-10T20:0"));
    // The kept run's own tables carry the same run id, seed and scenario hash as its row, and
    // UTC times: the first liquidation's row is at the same instant.
    let liq = std::fs::read_to_string(tmp.path().join("runs/0/liquidations.csv")).unwrap();
    let mut lines = liq.lines();
    assert!(lines.next().unwrap().starts_with("run_id,seed,scenario_hash,time_ms,time_utc,"), "{liq}");
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &first[..5],
        [
            col("run_id"),
            col("seed"),
            col("scenario_hash"),
            col("first_liquidation_ms"),
            col("first_liquidation_utc")
        ]
    );
}
