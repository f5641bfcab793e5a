//! `cascade calc` end to end: the built binary on good inputs (expected JSON) and bad inputs
//! (exit code 2 and a message naming the field).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// `cascade calc -` started with every stream piped.
fn spawn_calc_stdin() -> Child {
    Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["calc", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cascade")
}

fn cascade_calc_stdin(input: &str) -> Output {
    let mut child = spawn_calc_stdin();
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait for cascade")
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/calc").join(name)
}

fn cascade_calc_file(name: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .arg("calc")
        .arg(example(name))
        .output()
        .expect("run cascade");
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn field<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*k],
    })
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    field(v, path).as_str().unwrap_or_else(|| panic!("{path:?} is not a string in {v}"))
}

#[test]
fn bybit_example_reproduces_byb_1_and_byb_6() {
    let v = cascade_calc_file("byb-1-isolated.json");
    assert_eq!(s(&v, &["maintenance_basis"]), "entry");
    // BYB-1: IM 400, MM 100, LP 19,700; BP 19,600. BYB-6 short: LP 8,160.
    assert_eq!(s(&v, &["positions", "0", "initial_margin"]), "400");
    assert_eq!(s(&v, &["positions", "0", "maintenance_margin"]), "100");
    assert_eq!(s(&v, &["positions", "0", "liquidation_price"]), "19700");
    assert_eq!(s(&v, &["positions", "0", "bankruptcy_price"]), "19600");
    assert_eq!(s(&v, &["positions", "1", "liquidation_price"]), "8160");
    assert_eq!(s(&v, &["account", "equity"]), "600");
}

#[test]
fn binance_examples_reproduce_bin_3_and_bin_4() {
    let v = cascade_calc_file("bin-3-isolated.json");
    assert_eq!(s(&v, &["positions", "0", "liquidation_price"]), "1114.78496");
    let v = cascade_calc_file("bin-4-isolated-brackets.json");
    assert_eq!(s(&v, &["positions", "0", "liquidation_price"]), "18778.72593");
    // The bracket table gives bracket 4 (2.5%, 16,300) at this notional.
    assert_eq!(s(&v, &["positions", "0", "mmr"]), "0.025");
    assert_eq!(s(&v, &["positions", "0", "maintenance_amount"]), "16300");
}

#[test]
fn hyperliquid_example_reproduces_hl_2() {
    let v = cascade_calc_file("hl-2-isolated.json");
    assert_eq!(s(&v, &["positions", "0", "liquidation_price"]), "31708.038");
    assert_eq!(s(&v, &["positions", "0", "mmr"]), "0.01");
}

#[test]
fn cross_example_from_stdin_gives_the_whole_document() {
    let input = std::fs::read_to_string(example("cross-binance.json")).expect("example");
    let out = cascade_calc_stdin(&input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let expected: Value = serde_json::from_str(
        r#"{
      "venue": "binance", "mode": "cross", "maintenance_basis": "mark",
      "positions": [
        {"symbol": "ETHUSDT", "side": "long", "contract": "linear", "size": "20",
         "entry_price": "4000", "mark_price": "3900", "notional": "78000",
         "unrealized_pnl": "-2000", "margin": null, "mmr": "0.005", "maintenance_amount": "0",
         "maintenance_margin": "390", "initial_margin": null,
         "liquidation_price": "3528.89447236", "bankruptcy_price": "3500"},
        {"symbol": "BTCUSDT", "side": "short", "contract": "linear", "size": "0.5",
         "entry_price": "110000", "mark_price": "110000", "notional": "55000",
         "unrealized_pnl": "0", "margin": null, "mmr": "0.005", "maintenance_amount": "50",
         "maintenance_margin": "225", "initial_margin": "550",
         "liquidation_price": "124696.517413", "bankruptcy_price": "126000"}
      ],
      "account": {"wallet_balance": "10000", "equity": "8000", "maintenance_margin": "615",
                  "initial_margin": null, "margin_ratio": "0.076875",
                  "margin_ratio_kind": "maintenance/equity", "liquidatable": false}
    }"#,
    )
    .expect("expected JSON");
    assert_eq!(v, expected);
}

#[test]
fn json_numbers_are_read_exactly() {
    // 0.1 + 0.2 style values as JSON numbers: exact, not through f64.
    let out = cascade_calc_stdin(
        r#"{"venue": "okx", "mode": "isolated", "positions": [
            {"symbol": "ETHUSDT", "side": "short", "size": 5000, "entry_price": 3000.1, "mark_price": 3000.1,
             "margin": 0.30000000000000004}]}"#,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("positions[0].margin") && err.contains("decimal places"), "{err}");
    let out = cascade_calc_stdin(
        r#"{"venue": "okx", "mode": "isolated", "positions": [
            {"symbol": "ETHUSDT", "side": "short", "size": 5000, "entry_price": 3000.1, "mark_price": 3000.1,
             "leverage": 100}]}"#,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // OKX-3: 5,000 contracts are in tier 2 (MMR 0.5%, 100x); OKX's ratio is equity / MM.
    assert_eq!(s(&v, &["positions", "0", "mmr"]), "0.005");
    assert_eq!(s(&v, &["positions", "0", "margin"]), "150005");
    assert_eq!(s(&v, &["account", "margin_ratio_kind"]), "equity/maintenance");
    assert_eq!(s(&v, &["account", "margin_ratio"]), "2");
}

/// Each bad input: exit code 2 (never a panic's 101), nothing on stdout, and a message on
/// stderr that names the field.
#[test]
fn bad_inputs_exit_2_and_name_the_field() {
    let pos = r#"{"symbol": "BTCUSDT", "side": "long", "size": "1", "entry_price": "20000", "mark_price": "20000", "leverage": "10"}"#;
    let doc = |venue: &str, mode: &str, p: &str| {
        format!(r#"{{"venue": "{venue}", "mode": "{mode}", "wallet_balance": "1000", "positions": [{p}]}}"#)
    };
    let cases: Vec<(String, &str)> = vec![
        (doc("ftx", "cross", pos), "venue"),
        (doc("binance", "portfolio", pos), "mode"),
        (doc("binance", "cross", &pos.replace("\"long\"", "\"up\"")), "positions[0].side"),
        (doc("binance", "cross", &pos.replace(r#""size": "1", "#, "")), "positions[0].size"),
        (doc("binance", "cross", &pos.replace(r#""size": "1""#, r#""size": "-1""#)), "positions[0].size"),
        (doc("binance", "cross", &pos.replace(r#""size": "1""#, r#""size": "abc""#)), "positions[0].size"),
        (doc("binance", "cross", &pos.replace(r#""size": "1""#, r#""size": true"#)), "positions[0].size"),
        (
            doc("binance", "cross", &pos.replace(r#""entry_price": "20000""#, r#""entry_price": "-5""#)),
            "positions[0].entry_price",
        ),
        (
            doc("binance", "cross", &pos.replace(r#""entry_price": "20000""#, r#""entry_price": 0"#)),
            "positions[0].entry_price",
        ),
        (
            doc("binance", "cross", &pos.replace(r#""leverage": "10""#, r#""leverage": "0""#)),
            "positions[0].leverage",
        ),
        (
            doc("binance", "cross", &pos.replace(r#""leverage": "10""#, r#""leverage": "200""#)),
            "positions[0].leverage",
        ),
        (doc("binance", "cross", &pos.replace("leverage", "levrage")), "positions[0].levrage"),
        (doc("binance", "cross", &pos.replace("BTCUSDT", "BTCUSD_PERP")), "positions[0].symbol"),
        (
            doc("binance", "cross", &pos.replace(r#""leverage": "10""#, r#""mmr": "1.5""#)),
            "positions[0].mmr",
        ),
        (
            doc("binance", "cross", &pos.replace(r#""leverage": "10""#, r#""maintenance_amount": "5""#)),
            "positions[0].maintenance_amount",
        ),
        (
            doc("binance", "cross", &pos.replace(r#""leverage": "10""#, r#""margin": "100""#)),
            "positions[0].margin",
        ),
        (doc("binance", "isolated", &pos.replace(r#", "leverage": "10""#, "")), "positions[0].margin"),
        (
            r#"{"venue": "binance", "mode": "cross", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1", "entry_price": "20000", "mark_price": "20000"}]}"#
                .to_string(),
            "wallet_balance",
        ),
        (r#"{"venue": "binance", "mode": "cross", "wallet_balance": "1", "positions": []}"#.to_string(), "positions"),
        (r#"{"venue": "binance", "mode": "cross", "wallet_balance": "-1", "positions": []}"#.to_string(), "wallet_balance"),
        (r#"{"venue": "binance", "mode": "cross""#.to_string(), "line 1 column"),
        ("{\n  \"venue\": \"binance\",\n  \"mode\" \"cross\"\n}".to_string(), "line 3 column"),
        ("[1, 2]".to_string(), "input"),
    ];
    for (input, field) in cases {
        let out = cascade_calc_stdin(&input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "input {input}\nstderr {err}");
        assert!(out.stdout.is_empty(), "input {input}");
        assert!(err.contains(field), "input {input}\nwanted `{field}` in: {err}");
    }
}

#[test]
fn taker_fee_enters_the_bankruptcy_price_byb_4() {
    // BYB-4 (§9.2): inverse long 100,000 BTCUSD contracts of 1 USD @ 7,890.08 at 50x, the
    // position margin holding IM + the fee to close at the bankruptcy price:
    //   Qty/EP = 12.674142720986… XBT, IM = Qty/EP/50 → 0.25348286, fee to close at
    //   EP·50/51 = 0.00075 × 100,000/7,735.372549 = 0.00969572: margin 0.26317858 XBT.
    //   BP = 1.00075 × 100,000 / (12.674142720986 + 0.26317858) = 7,735.372545… → 7735.3726
    //   (rounded up to the 10^-4 price unit; Bybit quotes 7,735.50 on its 0.5 tick).
    //   Without the fee: 100,000 / (12.674142720986 + 0.26317858) = 7,729.57536… → 7729.5754.
    //   Fee to close at the mark: 0.00075 × 12.67414273 (value rounded up) = 0.0095056…
    //   → 0.00950561 (up).
    let v = cascade_calc_file("byb-4-inverse-fee.json");
    assert_eq!(s(&v, &["positions", "0", "contract"]), "inverse");
    assert_eq!(s(&v, &["positions", "0", "bankruptcy_price"]), "7735.3726");
    assert_eq!(s(&v, &["positions", "0", "fee_to_close"]), "0.00950561");
    let input = std::fs::read_to_string(example("byb-4-inverse-fee.json")).expect("example");
    let out = cascade_calc_stdin(&input.replace(r#", "taker_fee": "0.00075""#, ""));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(s(&v, &["positions", "0", "bankruptcy_price"]), "7729.5754");
    assert!(field(&v, &["positions", "0", "fee_to_close"]).is_null());
}

#[test]
fn bad_taker_fees_exit_2_and_name_the_field() {
    let doc = |fee: &str| {
        format!(
            r#"{{"venue": "bybit", "mode": "isolated", "positions": [{{"symbol": "BTCUSDT",
                "side": "long", "size": "1", "entry_price": "20000", "mark_price": "20000", "leverage": "10",
                "taker_fee": {fee}}}]}}"#
        )
    };
    for (fee, wanted) in [
        (r#""1""#, "must be >= 0 and < 1"),
        (r#""-0.0005""#, "must be >= 0 and < 1"),
        (r#""1.5""#, "must be >= 0 and < 1"),
        (r#""fee""#, "is not a decimal number"),
        ("true", "expected a number"),
        (r#""0.000000001""#, "decimal places"),
        // 30 decimal places: once rounded to 0 before the precision check (issue 16 #9).
        (r#""0.000000000000000000000000000001""#, "decimal places"),
        ("0.000000000000000000000000000001", "decimal places"),
    ] {
        let input = doc(fee);
        let out = cascade_calc_stdin(&input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "input {input}\nstderr {err}");
        assert!(out.stdout.is_empty(), "input {input}");
        assert!(err.contains("positions[0].taker_fee") && err.contains(wanted), "input {input}\n{err}");
    }
    // A good fee on a linear position: Bybit BTCUSDT long 1 @ 20,000 at 10x (IM 2,000), fee
    // 0.06%: BP solves 2,000 + (P − 20,000) = 0.0006·P ⇔ P = 18,000/0.9994 = 18,010.8064…,
    // rounded up to the 10^-8 price unit of a 0-decimal size: 18,010.80648390.
    let out = cascade_calc_stdin(&doc(r#""0.0006""#));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(s(&v, &["positions", "0", "bankruptcy_price"]), "18010.8064839");
}

#[test]
fn missing_file_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["calc", "/nonexistent/calc.json"])
        .output()
        .expect("run cascade");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/calc.json"));
}

/// A reader that goes away (`cascade calc … | head -1`) ends the output quietly: exit 0, no
/// panic. The pipe's read end is closed before the input is even sent, so the write must fail.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let mut child = spawn_calc_stdin();
    drop(child.stdout.take());
    let input = std::fs::read_to_string(example("cross-binance.json")).expect("example");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait for cascade");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
