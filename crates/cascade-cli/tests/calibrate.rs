//! `cascade calibrate` end to end on a five-minute scenario (2 evaluations × 2 seeds): the
//! outputs it promises, a resumed run that recomputes nothing and reaches the same result, and
//! bad inputs refused with the file and field named (exit 2, no panic).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

fn calibrate(targets: &Path, out: &Path, evals: &str, extra: &[&str]) -> Output {
    let scenario = data("calibrate-tiny.toml");
    let mut args = vec![
        "calibrate",
        scenario.to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
        "--seeds",
        "2",
        "--evals",
        evals,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cascade(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn writes_fitted_scenario_report_chart_and_log_and_resumes_without_recomputing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fit");
    let targets = data("calibrate-tiny-targets.toml");
    let o = calibrate(&targets, &out, "2", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in
        ["fitted.toml", "fit-report.md", "calibration-path.png", "calibration-path.svg", "evaluations.jsonl"]
    {
        let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    let report = std::fs::read_to_string(out.join("fit-report.md")).unwrap();
    for name in [
        "total_liquidated_usd",
        "long_share",
        "btc_drop_pct",
        "population.accounts",
        "makers[0].level_notional",
    ] {
        assert!(report.contains(name), "report lacks {name}:\n{report}");
    }
    assert!(report.contains("| figure | median | p10–p90 | band |"), "{report}");
    assert!(report.contains("| drops RMSE vs published, 1 markets (pp) |"), "{report}");
    assert!(report.contains("- drops: binance BTCUSDT 13.2%"), "{report}");
    let log = std::fs::read_to_string(out.join("evaluations.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3, "header + 2 evaluations:\n{log}");
    assert!(!log.contains("\"path_rmse\":[null"), "the simulated path meets the real one:\n{log}");
    // One market listed: each seed's drops RMSE is |simulated drop − 13.2|, at most 13.2 when
    // the market never fell below its first price and 86.8 when it fell to nothing.
    for line in log.lines().skip(1) {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let d = e["drops_rmse"].as_array().unwrap();
        assert_eq!(d.len(), 2, "{line}");
        for x in d {
            let x = x.as_f64().expect("a drops RMSE per seed");
            assert!((0.0..=86.8).contains(&x), "{x}");
        }
    }
    // The fitted scenario keeps the comments and runs as it is.
    let fitted = std::fs::read_to_string(out.join("fitted.toml")).unwrap();
    assert!(fitted.contains("# Must be a bar's close time in the file"), "{fitted}");
    assert!(fitted.starts_with("# Fitted by `cascade calibrate"), "{fitted}");

    // Resumed with the same budget: the two logged evaluations are replayed, nothing is rerun.
    let o2 = calibrate(&targets, &out, "2", &["--resume"]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    assert_eq!(stderr(&o2).matches("(replayed)").count(), 2, "{}", stderr(&o2));
    assert_eq!(std::fs::read_to_string(out.join("evaluations.jsonl")).unwrap(), log);
    assert_eq!(std::fs::read_to_string(out.join("fit-report.md")).unwrap(), report);

    // Resumed with a larger budget: the same log as one uninterrupted run of that budget.
    let o4 = calibrate(&targets, &out, "3", &["--resume"]);
    assert!(o4.status.success(), "{}", stderr(&o4));
    let fresh = tmp.path().join("fresh");
    let o5 = calibrate(&targets, &fresh, "3", &[]);
    assert!(o5.status.success(), "{}", stderr(&o5));
    let resumed = std::fs::read_to_string(out.join("evaluations.jsonl")).unwrap();
    assert_eq!(resumed.lines().count(), 4);
    assert_eq!(resumed, std::fs::read_to_string(fresh.join("evaluations.jsonl")).unwrap());

    // The same evaluations on one thread: the seeds' results do not depend on the thread count.
    let single = tmp.path().join("single");
    let scenario = data("calibrate-tiny.toml");
    let o6 = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .env("RAYON_NUM_THREADS", "1")
        .args(["calibrate", scenario.to_str().unwrap(), "--targets", targets.to_str().unwrap()])
        .args(["--seeds", "2", "--evals", "3", "--out", single.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o6.status.success(), "{}", stderr(&o6));
    assert_eq!(resumed, std::fs::read_to_string(single.join("evaluations.jsonl")).unwrap());

    // Without --resume an existing log is not overwritten.
    let o3 = calibrate(&targets, &out, "2", &[]);
    assert_eq!(o3.status.code(), Some(2));
    assert!(stderr(&o3).contains("pass --resume"), "{}", stderr(&o3));
}

/// `text` written as `DIR/targets.toml`.
fn targets_file(dir: &Path, text: &str) -> PathBuf {
    let targets = dir.join("targets.toml");
    std::fs::write(&targets, text).unwrap();
    targets
}

fn refused(targets_text: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let targets = targets_file(tmp.path(), targets_text);
    let o = calibrate(&targets, &tmp.path().join("out"), "2", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("targets.toml"), "the file is named: {err}");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in: {err}");
    }
}

const PARAM: &str = "[[params]]\npath = \"population.accounts\"\nlo = 100\nhi = 400\ninteger = true\n";
const TARGET: &str = "[[targets]]\nfigure = \"long_share\"\nband = [0.8, 0.92]\n";

#[test]
fn bad_targets_are_refused_naming_file_and_field() {
    refused(
        &format!("{TARGET}[[params]]\npath = \"population.alpha\"\nlo = 1\nhi = 2\n"),
        &["params[0].path", "`population` has no key `alpha`", "calibrate-tiny.toml"],
    );
    refused(
        &format!("{TARGET}[[params]]\npath = \"makers[3].level_notional\"\nlo = 1\nhi = 2\n"),
        &["params[0].path", "no [3]"],
    );
    refused(
        &format!("{TARGET}[[params]]\npath = \"population.accounts\"\nlo = 5\nhi = 5\n"),
        &["params[0]", "below hi"],
    );
    refused(
        &format!("{PARAM}[[targets]]\nfigure = \"totl\"\nband = [0, 1]\n"),
        &["targets[0].figure", "unknown figure `totl`"],
    );
    refused(&format!("{PARAM}{TARGET}weigth = 2\n"), &["targets[0]", "unknown field `weigth`"]);
    refused(&format!("{PARAM}{TARGET}[extra]\n"), &["unknown field `extra`"]);
    refused(
        &format!("{PARAM}[[targets]]\nfigure = \"long_share\"\nband = [0.9, 0.8]\n"),
        &["targets[0].band", "lo is above hi"],
    );
    refused(
        &format!("{PARAM}{TARGET}[price_path]\nfile = \"missing.csv\"\n"),
        &["price_path.file", "missing.csv"],
    );
    refused(&format!("{PARAM}{TARGET}[market]\nvenue = \"okx\"\nsymbol = \"BTCUSDT\"\n"), &["market", "okx"]);
    let drops = |markets: &str| format!("{PARAM}{TARGET}[drops]\nmarkets = [{markets}]\n");
    let btc = "{ venue = \"binance\", symbol = \"BTCUSDT\", drop_pct = 13.2 }";
    refused(
        &drops("{ venue = \"okx\", symbol = \"BTCUSDT\", drop_pct = 13.2 }"),
        &["drops.markets[0]", "no market `okx` / `BTCUSDT`", "calibrate-tiny.toml"],
    );
    refused(
        &drops("{ venue = \"binance\", symbol = \"BTCUSDT\", drop_pct = 0 }"),
        &["drops.markets[0].drop_pct", "not in (0, 100]"],
    );
    refused(&drops(&format!("{btc}, {btc}")), &["drops.markets[1]", "listed twice"]);
    refused(&drops(""), &["drops.markets", "empty"]);
    refused(
        &format!("{PARAM}{TARGET}[drops]\nprice = \"close\"\nmarkets = [{btc}]\n"),
        &["drops.price", "`close`"],
    );
    refused(&format!("{PARAM}{TARGET}[drops]\nweight = -1\nmarkets = [{btc}]\n"), &["drops.weight", "-1"]);
    refused(
        &format!("{PARAM}{TARGET}[drops]\nmarkets = [{{ venue = \"binance\" }}]\n"),
        &["drops.markets", "symbol"],
    );
}

#[test]
fn bad_factor_parameters_are_refused_naming_the_field() {
    let factor = |paths: &str, extra: &str| {
        format!("{TARGET}[[params]]\npath = \"depth\"\nfactor_of = [{paths}]\nlo = 0.5\nhi = 2\n{extra}")
    };
    refused(&factor("\"makers[3].level_notional\"", ""), &["params[0].path", "no [3]"]);
    refused(&factor("\"makers[0].venue\"", ""), &["params[0].path", "not a number"]);
    refused(&factor("", ""), &["params[0]", "at least one path"]);
    refused(&factor("\"makers[0].level_notional\"", "integer = true\n"), &["params[0].integer"]);
    refused(
        &format!("{TARGET}[[params]]\nfactor_of = [\"makers[0].level_notional\"]\nlo = 0.5\nhi = 2\n"),
        &["params[0].path", "missing"],
    );
    refused(
        &format!("{}{PARAM}", factor("\"makers[0].level_notional\", \"population.accounts\"", "")),
        &["params[1]", "`population.accounts` is already moved by another parameter"],
    );
}

#[test]
fn bad_balanced_parameters_are_refused_naming_the_field() {
    let balanced = |path: &str, extra: &str| {
        format!(
            "{TARGET}[[params]]\npath = \"{path}\"\nlo = 100\nhi = 300\nbalance = \"population.accounts\"\n{extra}"
        )
    };
    refused(&balanced("population.accounts", ""), &["params[0]", "cannot balance itself"]);
    refused(
        &format!(
            "{TARGET}[[params]]\npath = \"f\"\nfactor_of = [\"makers[0].level_notional\"]\nlo = 0.5\nhi = 2\nbalance = \"population.accounts\"\n"
        ),
        &["params[0]", "a factor cannot be balanced"],
    );
    // The balancing path counts as moved: no other parameter may move it.
    refused(
        &format!("{}{PARAM}", balanced("makers[0].level_notional", "")),
        &["params[1]", "`population.accounts` is already moved by another parameter"],
    );
}

#[test]
fn a_factor_parameter_moves_every_value_it_names_together() {
    let tmp = tempfile::tempdir().unwrap();
    let targets = targets_file(
        tmp.path(),
        &format!(
            "{TARGET}[[params]]\npath = \"size of the market\"\n\
             factor_of = [\"makers[0].level_notional\", \"population.accounts\"]\nlo = 1.5\nhi = 3\nlog = true\n"
        ),
    );
    let out = tmp.path().join("out");
    let o = calibrate(&targets, &out, "3", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = std::fs::read_to_string(out.join("fit-report.md")).unwrap();
    let row = report.lines().find(|l| l.starts_with("| `size of the market` |")).expect(&report);
    assert!(row.contains("factor, log of makers[0].level_notional, population.accounts"), "{row}");
    let f: f64 = row.trim_end_matches(" |").rsplit("| ").next().unwrap().parse().expect(row);
    // The factor starts at its lower bound 1.5 (the written scenario is factor 1, outside the
    // bounds), so the fit moves the values. calibrate-tiny.toml writes level_notional =
    // "100000" and accounts = 200: the fitted
    // scenario holds each times the fitted factor (the account count rounded).
    let fitted = std::fs::read_to_string(out.join("fitted.toml")).unwrap();
    let level = format!("level_notional = \"{}\"", cascade_sim::fit::params::format_decimal(100_000.0 * f));
    let accounts = format!("accounts = {}", (200.0 * f).round() as i64);
    assert!((1.5..=3.0).contains(&f), "{row}");
    assert!(fitted.contains(&level), "{level} in\n{fitted}");
    assert!(fitted.contains(&accounts), "{accounts} in\n{fitted}");
}

#[test]
fn set_overrides_the_scenario_before_fitting_and_the_fitted_file_keeps_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fit");
    let targets = data("calibrate-tiny-targets.toml");
    let o = calibrate(&targets, &out, "1", &["--set", "run.scale=0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fitted = std::fs::read_to_string(out.join("fitted.toml")).unwrap();
    assert!(fitted.contains("scale = 0.5"), "{fitted}");
    let bad = calibrate(&targets, &tmp.path().join("bad"), "1", &["--set", "run.scale=2"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("run.scale"), "{}", stderr(&bad));
}

#[test]
fn a_calibration_where_every_point_is_refused_fails_naming_the_values() {
    // A long share above 1 is refused by the scenario's validation at every point.
    let tmp = tempfile::tempdir().unwrap();
    let targets = targets_file(
        tmp.path(),
        &format!("{TARGET}[[params]]\npath = \"population.long_share\"\nlo = 1.1\nhi = 1.5\n"),
    );
    let out = tmp.path().join("out");
    let o = calibrate(&targets, &out, "2", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("every evaluated point was refused"), "{err}");
    assert!(err.contains("population.long_share = 1.1"), "{err}");
    assert!(err.contains("long_share"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let log = std::fs::read_to_string(out.join("evaluations.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3, "refused points are logged:\n{log}");
}

#[test]
fn unreadable_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let o = calibrate(&tmp.path().join("nope.toml"), &tmp.path().join("out"), "2", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
}

/// `--prices`: the fit runs on the replayed scenario (the asset's index is the file, as in
/// `cascade replay`), the fitted file says so, and a parameter naming a key the replay drops
/// is refused with the targets file and field named.
#[test]
fn prices_fit_on_the_replayed_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/binance/BTCUSDT-1m-2025-10-10_2000_2359.csv");
    let prices = format!("BTC={}", file.display());
    let out = tmp.path().join("fit");
    let o = calibrate(&data("calibrate-tiny-targets.toml"), &out, "1", &["--prices", &prices]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("assets[0].spot_depth_1pct dropped"), "{}", stderr(&o));
    let fitted = std::fs::read_to_string(out.join("fitted.toml")).unwrap();
    assert!(fitted.contains("index = \"path\""), "{fitted}");
    let targets = targets_file(
        tmp.path(),
        &format!("{TARGET}[[params]]\npath = \"assets[0].spot_depth_1pct\"\nlo = 1e6\nhi = 1e8\n"),
    );
    let bad = calibrate(&targets, &tmp.path().join("bad"), "1", &["--prices", &prices]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("params[0].path"), "{}", stderr(&bad));
}
