//! `cascade compare` end to end on a cut-down default scenario (`tests/data/compare-small.toml`):
//! an empty policy file is the baseline, so every paired difference is exactly 0; the outputs
//! it promises are written; `compare.json` is byte-identical on 1 and 2 threads; bad inputs are
//! refused with the file, key, line and column named (exit 2, no panic).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn cascade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).args(args).output().expect("run cascade")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn compare(policies: &[String], seeds: &str, out: &Path, extra: &[&str]) -> Output {
    let scenario = data("compare-small.toml");
    let mut args = vec!["compare".to_string(), scenario.display().to_string()];
    for p in policies {
        args.push("--policy".into());
        args.push(p.clone());
    }
    args.extend(["--seeds".into(), seeds.into(), "--out".into(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| (*s).to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    cascade(&refs)
}

fn refused(o: &Output) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    e
}

#[test]
fn an_empty_policy_differs_from_the_baseline_by_exactly_zero_on_any_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.toml");
    std::fs::write(&empty, "# no lever: the scenario as it is\n").unwrap();
    let policy = format!("same={}", empty.display());
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    let o1 = compare(std::slice::from_ref(&policy), "1..3", &one, &["--threads", "1"]);
    assert!(o1.status.success(), "{}", stderr(&o1));
    let o2 = compare(&[policy], "1..3", &two, &["--threads", "2", "--no-report"]);
    assert!(o2.status.success(), "{}", stderr(&o2));

    for f in [
        "compare.json",
        "compare.csv",
        "compare.parquet",
        "compare-summary.csv",
        "compare-summary.parquet",
        "compare.html",
        "policy-liquidated_usd.svg",
        "policy-liquidated_usd.png",
        "policy-recovery_min-worst.svg",
        "policy-diff-liquidated_usd.svg",
    ] {
        let len = std::fs::metadata(one.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    // Same inputs, 1 or 2 threads: the same bytes.
    for f in
        ["compare.json", "compare.csv", "compare.parquet", "compare-summary.csv", "compare-summary.parquet"]
    {
        assert!(std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(), "{f} differs");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["seeds"], serde_json::json!([1, 2, 3]));
    let figures: Vec<&str> =
        json["figures"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    for name in [
        "liquidated_usd",
        "liquidated_long_usd",
        "liquidated_short_usd",
        "drop_pct:worst",
        "drop_pct:binance/BTCUSDT",
        "drop_pct:hyperliquid/BTC",
        "recovery_min:worst",
        "bad_debt_usd",
        "insurance_fund_drawdown_usd",
        "adl_count",
        "adl_notional_usd",
        "halts",
    ] {
        assert!(figures.contains(&name), "no figure {name}: {figures:?}");
    }
    let policies = json["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0]["name"], "baseline");
    assert_eq!(policies[1]["name"], "same");
    // The scenario does liquidate (the zero differences below are not zeros of nothing).
    let liq = &policies[0]["figures"][0];
    assert_eq!(liq["figure"], "liquidated_usd");
    assert!(liq["values"].as_array().unwrap().iter().all(|v| v.as_f64().unwrap() > 0.0), "{liq}");
    for (b, s) in
        policies[0]["figures"].as_array().unwrap().iter().zip(policies[1]["figures"].as_array().unwrap())
    {
        assert_eq!(b["values"], s["values"], "{}", s["figure"]);
        assert!(b.get("vs_baseline").is_none());
        let d = &s["vs_baseline"];
        let n = d["n"].as_u64().unwrap();
        assert_eq!(n, s["summary"]["n"].as_u64().unwrap(), "{}", s["figure"]);
        if n > 0 {
            for k in ["mean", "median", "ci_lo", "ci_hi"] {
                assert_eq!(d[k].as_f64(), Some(0.0), "{} {k}: {d}", s["figure"]);
            }
        }
    }
    // The page shows the table, the policies and the strip charts (interactive; each also as SVG).
    let html = std::fs::read_to_string(one.join("compare.html")).unwrap();
    assert!(html.contains("Δ mean vs baseline") && html.contains("same = "), "page");
    assert!(html.contains("class=\"uplot-slot\"") && html.contains("id=\"cascade-charts\""), "no chart");

    // Each policy's whole scenario is written; replaying one seed with `cascade run` gives the
    // figure the comparison computed in memory.
    let same = one.join("scenarios/same.toml");
    assert!(std::fs::read_to_string(&same).unwrap().contains("[policy]"));
    let run_dir = tmp.path().join("replay");
    let args = [
        "run",
        same.to_str().unwrap(),
        "--seed",
        "2",
        "--no-counterfactual",
        "--out",
        run_dir.to_str().unwrap(),
    ];
    let r = cascade(&args);
    assert!(r.status.success(), "{}", stderr(&r));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap()).unwrap();
    let long: f64 = summary["totals"]["liquidated_long_notional"].as_str().unwrap().parse().unwrap();
    let in_memory = policies[1]["figures"][1]["values"][1].as_f64().unwrap();
    assert_eq!(policies[1]["figures"][1]["figure"], "liquidated_long_usd");
    assert!((long - in_memory).abs() <= 1e-9 * long.abs(), "{long} vs {in_memory}");

    // The terminal table lists every figure and the differences.
    let table = String::from_utf8_lossy(&o1.stdout);
    assert!(table.contains("Δ mean vs baseline"), "{table}");
    assert!(table.contains("liquidated_usd (USD)"), "{table}");
    assert!(table.contains("[0, 0]"), "{table}");
    assert!(table.contains("3 seeds = 6 runs"), "{table}");
}

#[test]
fn a_policy_file_with_two_unknown_keys_names_the_file_both_keys_and_where() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "# two keys no lever has\nnot_a_lever = 1\n\n[also_not_a_lever]\nx = 2\n").unwrap();
    let o = compare(&[format!("typo={}", bad.display())], "1", &tmp.path().join("out"), &[]);
    let e = refused(&o);
    let b = bad.display();
    assert!(e.contains(&format!("{b}: 2 problem(s) in the policy file")), "{e}");
    assert!(e.contains(&format!("{b}:2:1: `not_a_lever`: unknown field `not_a_lever`")), "{e}");
    assert!(e.contains(&format!("{b}:4:2: `also_not_a_lever`: unknown field `also_not_a_lever`")), "{e}");
    assert!(e.contains("policy `typo`"), "{e}");
}

#[test]
fn bad_seeds_missing_files_and_bad_policy_arguments_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let empty = tmp.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let ok_policy = format!("p={}", empty.display());

    let e = refused(&compare(std::slice::from_ref(&ok_policy), "1-50", &out, &[]));
    assert!(e.contains("--seeds `1-50`") && e.contains("expected e.g. 1..50"), "{e}");
    let e = refused(&compare(std::slice::from_ref(&ok_policy), "9..3", &out, &[]));
    assert!(e.contains("the range 9..3 is empty"), "{e}");

    let missing = tmp.path().join("nowhere.toml");
    let e = refused(&compare(&[format!("gone={}", missing.display())], "1..2", &out, &[]));
    assert!(e.contains(&format!("policy `gone`: {}: reading the policy file", missing.display())), "{e}");

    let e = refused(&cascade(&["compare", "no-such-scenario.toml", "--seeds", "1"]));
    assert!(e.contains("no-such-scenario.toml: reading the scenario"), "{e}");

    let e = refused(&compare(&[empty.display().to_string()], "1", &out, &[]));
    assert!(e.contains("expected NAME=FILE.toml"), "{e}");
    let e = refused(&compare(&[format!("baseline={}", empty.display())], "1", &out, &[]));
    assert!(e.contains("`baseline` is the scenario as it is"), "{e}");
    let e = refused(&compare(&[ok_policy.clone(), ok_policy], "1", &out, &[]));
    assert!(e.contains("the name `p` is used twice"), "{e}");
    assert!(!out.join("compare.json").exists(), "nothing is written for a refused comparison");
}

/// A real lever: a circuit breaker whose halt outlasts the run, liquidations paused during it.
/// Until the first halt the policy run is the baseline run event for event (the breaker only
/// watches the mark; no random draw depends on it); from its halt on a market liquidates
/// nothing more. So, seed by seed, liquidated notional with the breaker ≤ without it — and
/// strictly less, because the shock (the fair value −5 % over 120 s from t = 120 s, with 20M
/// sold) moves both marks 2 % well before the cascade is over. Each market halts at most once
/// (the halt never ends), so `halts` is 1 or 2 per seed; the baseline halts 0 times.
#[test]
fn a_circuit_breaker_that_never_reopens_liquidates_less_on_every_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("halt.toml");
    std::fs::write(
        &file,
        "[halts]\nmove = \"0.02\"\nwindow_s = 120\nhalt_s = 3600\nliquidations = \"paused\"\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = compare(&[format!("halt={}", file.display())], "1..4", &out, &["--no-report"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let figure = |policy: usize, name: &str| -> Value {
        json["policies"][policy]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["figure"] == name)
            .unwrap_or_else(|| panic!("no figure {name}"))
            .clone()
    };
    let values = |f: &Value| -> Vec<f64> {
        f["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    };
    let base = values(&figure(0, "liquidated_usd"));
    let halt = figure(1, "liquidated_usd");
    for (b, h) in base.iter().zip(values(&halt)) {
        assert!(*b > 0.0, "the baseline liquidates: {base:?}");
        assert!(h < *b, "seed by seed, fewer liquidations with the breaker: {h} vs {b}");
    }
    // Every paired difference is negative, so is its mean and the whole interval.
    let d = &halt["vs_baseline"];
    assert!(d["mean"].as_f64().unwrap() < 0.0 && d["ci_hi"].as_f64().unwrap() < 0.0, "{d}");
    assert_eq!(values(&figure(0, "halts")), [0.0; 4]);
    for h in values(&figure(1, "halts")) {
        assert!(h == 1.0 || h == 2.0, "each market halts at most once, one at least: {h}");
    }
}
