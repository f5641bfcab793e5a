//! A small sweep end to end through the library: tables independent of the thread count,
//! shards merged into exactly the unsharded tables, a torn journal line resumed, and sweep
//! directories of another spec or shard refused.

use std::fs;
use std::path::{Path, PathBuf};

use cascade_sweep::{SweepOptions, SweepSpec, merge, run_sweep};

fn tiny() -> SweepSpec {
    SweepSpec::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml")).unwrap()
}

fn opts(dir: &Path, threads: usize, shard: Option<(u32, u32)>) -> SweepOptions {
    let mut o = SweepOptions::new(dir);
    o.threads = threads;
    o.shard = shard;
    o
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

const TABLES: [&str; 4] = ["runs.parquet", "runs.csv", "aggregate.parquet", "aggregate.csv"];

#[test]
fn threads_shards_and_resuming_give_the_same_tables() {
    let spec = tiny();
    assert_eq!(spec.run_count(), 6);
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let o = run_sweep(&spec, &opts(&one, 1, None)).unwrap();
    assert_eq!((o.planned, o.resumed, o.ran), (6, 0, 6));
    let two = tmp.path().join("two");
    run_sweep(&spec, &opts(&two, 2, None)).unwrap();
    for t in TABLES {
        assert_eq!(bytes(&one, t), bytes(&two, t), "{t} differs between 1 and 2 threads");
    }

    // The runs table: one row per run in run-id order, ids and seeds as planned, the swept
    // parameter's value, the scenario hash of what ran (one per point).
    let csv = String::from_utf8(bytes(&one, "runs.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "run_id,point,seed,scenario_hash,population.leverage[4].weight,liquidated_long_notional,"
    ));
    assert_eq!(lines.len(), 7);
    let cells: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    let ids: Vec<(&str, &str, &str, &str)> = cells.iter().map(|c| (c[0], c[1], c[2], c[4])).collect();
    assert_eq!(
        ids,
        [
            ("0", "0", "11", "0.02"),
            ("1", "0", "12", "0.02"),
            ("2", "0", "13", "0.02"),
            ("3", "1", "11", "0.2"),
            ("4", "1", "12", "0.2"),
            ("5", "1", "13", "0.2")
        ]
    );
    assert_eq!(cells[0][3], cells[2][3]);
    assert_ne!(cells[0][3], cells[3][3]);
    assert!(bytes(&one, "sweep-report.html").starts_with(b"<!DOCTYPE html>"));

    // Shards 1/2 and 2/2, merged: the same tables.
    let s1 = tmp.path().join("s1");
    let s2 = tmp.path().join("s2");
    assert_eq!(run_sweep(&spec, &opts(&s1, 1, Some((1, 2)))).unwrap().planned, 3);
    run_sweep(&spec, &opts(&s2, 1, Some((2, 2)))).unwrap();
    let merged = tmp.path().join("merged");
    let m = merge(&[s2.clone(), s1.clone()], &merged).unwrap();
    assert_eq!(m.planned, 6);
    for t in TABLES {
        assert_eq!(bytes(&one, t), bytes(&merged, t), "{t} differs after merging shards");
    }
    // Overlapping or incomplete shard sets are refused.
    let e = merge(&[s1.clone(), s1.clone(), s2.clone()], &tmp.path().join("m2")).unwrap_err().to_string();
    assert!(e.contains("the shards overlap"), "{e}");
    let e = merge(std::slice::from_ref(&s1), &tmp.path().join("m3")).unwrap_err().to_string();
    assert!(e.contains("3 of 6 runs are missing"), "{e}");
    // A shard directory is not another shard's, nor the whole sweep's.
    let e = run_sweep(&spec, &opts(&s1, 1, Some((2, 2)))).unwrap_err().to_string();
    assert!(e.contains("holds shard 1/2 of this sweep, not shard 2/2"), "{e}");

    // Resuming: keep two whole journal lines and half of the third (a kill mid-write).
    let resumed = tmp.path().join("resumed");
    copy_dir(&one, &resumed);
    let journal = fs::read_to_string(resumed.join("journal.jsonl")).unwrap();
    let keep: Vec<&str> = journal.split_inclusive('\n').collect();
    let torn = format!("{}{}{}", keep[0], keep[1], &keep[2][..keep[2].len() / 2]);
    fs::write(resumed.join("journal.jsonl"), torn).unwrap();
    fs::remove_file(resumed.join("runs.parquet")).unwrap();
    let o = run_sweep(&spec, &opts(&resumed, 2, None)).unwrap();
    assert_eq!((o.resumed, o.ran), (2, 4));
    for t in TABLES {
        assert_eq!(bytes(&one, t), bytes(&resumed, t), "{t} differs after resuming");
    }
    assert_eq!(fs::read_to_string(resumed.join("journal.jsonl")).unwrap().lines().count(), 6);
    // Resuming a finished sweep runs nothing.
    let o = run_sweep(&spec, &opts(&resumed, 1, None)).unwrap();
    assert_eq!((o.resumed, o.ran), (6, 0));

    // Another spec in the same directory is refused.
    let mut other = spec.clone();
    other.seeds = vec![11, 12];
    let e = run_sweep(&other, &opts(&one, 1, None)).unwrap_err().to_string();
    assert!(e.contains("holds another sweep"), "{e}");
    let e = merge(&[one.clone(), s1], &tmp.path().join("m4"));
    assert!(e.is_err());
}

#[test]
fn kept_runs_are_whole_run_directories() {
    let spec = tiny();
    let tmp = tempfile::tempdir().unwrap();
    let mut o = opts(tmp.path(), 2, Some((2, 3)));
    o.keep_runs = true;
    run_sweep(&spec, &o).unwrap();
    let mut kept: Vec<String> = fs::read_dir(tmp.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, ["1", "4"]);
    let run: PathBuf = tmp.path().join("runs/4");
    cascade_io::verify_manifest(&run).unwrap();
    let scenario = fs::read_to_string(run.join("scenario.toml")).unwrap();
    assert!(scenario.contains("weight = 0.2"), "the run's scenario carries its parameter value");
    assert!(scenario.contains("duration_s = 120"));
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
