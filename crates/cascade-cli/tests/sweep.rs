//! `cascade sweep` and `cascade run --set` end to end: a sweep killed with SIGKILL (twice) and
//! run again finishes with the tables of an uninterrupted sweep, byte for byte; shards merged by
//! `cascade sweep merge` give them too; bad arguments are refused naming what to fix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The built-in default scenario cut to a fraction of a second per run: 24 runs.
const SWEEP: &str = r#"
name = "kill"
seeds = { count = 12, start = 1 }
[set]
"run.duration_s" = 300
"population.accounts" = 1000
"shocks[0].at_s" = 120
"shocks[0].duration_s" = 60
[[parameters]]
path = "venues[0].insurance_fund"
values = ["0", "5000000"]
"#;

fn journal_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("journal.jsonl")).map(|t| t.matches('\n').count()).unwrap_or(0)
}

/// Starts the sweep and kills it (SIGKILL) once the journal holds at least `lines` runs.
fn run_and_kill(file: &Path, out: &Path, lines: usize) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["sweep", &file.display().to_string(), "--out", &out.display().to_string(), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cascade sweep");
    let started = Instant::now();
    while journal_lines(out) < lines {
        assert!(child.try_wait().unwrap().is_none(), "the sweep finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

#[test]
fn a_killed_sweep_resumes_to_the_tables_of_an_uninterrupted_one_and_shards_merge_to_them() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("kill.toml");
    std::fs::write(&file, SWEEP).unwrap();
    let f = file.display().to_string();

    let whole = tmp.path().join("whole");
    let o = cascade(&["sweep", &f, "--out", &whole.display().to_string(), "--threads", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("24 runs done (0 resumed, 24 run now)"), "{stdout}");

    let killed = tmp.path().join("killed");
    run_and_kill(&file, &killed, 2);
    let first = journal_lines(&killed);
    run_and_kill(&file, &killed, first + 3);
    let before = journal_lines(&killed);
    assert!(before < 24, "killed before the end");
    let o = cascade(&["sweep", &f, "--out", &killed.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Between the journal count above and the kill, one more run may have been appended.
    assert!(stdout.contains("24 runs done ("), "{stdout}");
    assert_eq!(journal_lines(&killed), 24, "no run lost or counted twice");
    for t in ["runs.parquet", "runs.csv", "aggregate.parquet", "aggregate.csv"] {
        assert_eq!(bytes(&whole, t), bytes(&killed, t), "{t}: resumed ≠ uninterrupted");
    }

    // Shards, then merge.
    let mut shards: Vec<PathBuf> = Vec::new();
    for i in 1..=3 {
        let d = tmp.path().join(format!("shard{i}"));
        let o = cascade(&["sweep", &f, "--out", &d.display().to_string(), "--shard", &format!("{i}/3")]);
        assert!(o.status.success(), "{}", stderr(&o));
        shards.push(d);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["sweep".to_string(), "merge".into()];
    args.extend(shards.iter().map(|d| d.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = cascade(&refs);
    assert!(o.status.success(), "{}", stderr(&o));
    for t in ["runs.parquet", "aggregate.parquet"] {
        assert_eq!(bytes(&whole, t), bytes(&merged, t), "{t}: merged ≠ unsharded");
    }

    // Another spec in the same directory is refused, naming it.
    std::fs::write(&file, SWEEP.replace("count = 12", "count = 11")).unwrap();
    let o = cascade(&["sweep", &f, "--out", &whole.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("holds another sweep"), "{}", stderr(&o));
}

#[test]
fn run_with_set_writes_the_overridden_scenario_and_refuses_bad_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = cascade(&[
        "run",
        "--no-counterfactual",
        "--out",
        &out.display().to_string(),
        "--set",
        "run.duration_s=120",
        "--set",
        "population.accounts=300",
        "--set",
        "shocks[0].at_s=60",
        "--set",
        "shocks[0].duration_s=30",
        "--set",
        "venues[0].insurance_fund=\"50000000\"",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(text.contains("insurance_fund = \"50000000\"") && text.contains("duration_s = 120"), "{text}");
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"duration_ms\": 120000"), "{summary}");

    let o =
        cascade(&["run", "--out", &out.display().to_string(), "--set", "population.leverage[2].wieght=0.2"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("--set `population.leverage[2].wieght=0.2`") && e.contains("unknown field `wieght`"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    let o = cascade(&["sweep", "nope.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
    let o = cascade(&["sweep", "x.toml", "--shard", "3/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--shard `3/2`: expected i/n with 1 ≤ i ≤ n"), "{}", stderr(&o));
}
