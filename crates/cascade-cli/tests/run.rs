//! `cascade run` end to end: the files it promises, byte-identical for the same scenario and
//! seed, and a clear error for a bad scenario file.

use std::path::Path;
use std::process::{Command, Output};

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

const FILES: [&str; 9] = [
    "series.csv",
    "series.parquet",
    "liquidations.csv",
    "liquidations.parquet",
    "adl.csv",
    "adl.parquet",
    "summary.json",
    "scenario.toml",
    "manifest.json",
];

fn run_into(dir: &Path, seed: &str) {
    let o = cascade(&["run", "--no-counterfactual", "--seed", seed, "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout.lines().find(|l| l.contains("peak-to-trough drop")).expect("the drop is printed");
    // The run's drop is one market's: the line names it (the default scenario's two markets).
    assert!(line.contains("(binance BTCUSDT, mark)") || line.contains("(hyperliquid BTC, mark)"), "{line}");
}

#[test]
fn same_seed_same_bytes_and_another_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    run_into(&a, "42");
    run_into(&b, "42");
    run_into(&c, "7");
    for f in FILES {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(!x.is_empty(), "{f} is empty");
        assert_eq!(x, y, "{f} differs between two runs of the same seed");
    }
    assert_ne!(std::fs::read(a.join("series.csv")).unwrap(), std::fs::read(c.join("series.csv")).unwrap());
}

#[test]
fn a_bad_scenario_names_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, "[run]\nseed = 1\nduration_s = \"long\"\n").unwrap();
    let o = cascade(&["run", path.to_str().unwrap(), "--out", tmp.path().join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml") && err.contains("duration_s") && err.contains(":3:"), "{err}");
    // Nothing was written for a scenario that never ran.
    assert!(!tmp.path().join("o").exists());
}

/// Killed at any moment while overwriting a run, `cascade run` leaves the old complete run or
/// the new complete one — `read_run` (what `cascade report` uses) verifies it against its
/// manifest — and the next run cleans the temporary leftovers. Kills land at spread-out
/// moments of the run, the last ones after it should have finished writing.
#[test]
fn a_run_killed_while_overwriting_leaves_one_complete_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_into(&dir, "1");
    let started = std::time::Instant::now();
    run_into(&tmp.path().join("timing"), "2");
    let full = started.elapsed();
    for (i, frac) in [0.2, 0.5, 0.8, 0.9, 0.95, 1.0, 1.05].iter().enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cascade"))
            .args([
                "run",
                "--no-counterfactual",
                "--seed",
                &format!("{}", 10 + i),
                "--out",
                dir.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(*frac));
        let _ = child.kill();
        let _ = child.wait();
        let rec =
            cascade_io::read_run(&dir).unwrap_or_else(|e| panic!("after a kill at {frac} of a run: {e}"));
        assert!(rec.summary.seed == 1 || (10..=16).contains(&rec.summary.seed), "seed {}", rec.summary.seed);
    }
    run_into(&dir, "3");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".run.")), "leftovers: {names:?}");
}

#[test]
fn the_kline_path_example_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("oct10");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/examples/oct-10-btc-path.toml");
    let o = cascade(&["run", scenario.to_str().unwrap(), "--seed", "1", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in FILES {
        assert!(!std::fs::read(dir.join(f)).unwrap().is_empty(), "{f} is empty");
    }
    // The first sample (1 s) shows the index near the file's close at 20:45:00, 116970.00 (one
    // second of interpolation towards 116975.90 and of spot flow at most moves it by a few
    // dollars).
    let series = std::fs::read_to_string(dir.join("series.csv")).unwrap();
    let header: Vec<&str> = series.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "index").unwrap();
    let first: f64 = series.lines().nth(1).unwrap().split(',').nth(col).unwrap().parse().unwrap();
    assert!((first - 116_970.0).abs() < 10.0, "first index {first}");
}
