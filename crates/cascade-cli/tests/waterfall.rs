//! `cascade waterfall` end to end: the built binary on the examples of `examples/waterfall/`
//! (figures computed by hand from venue-mechanics §1.3–1.5, §2.4, §5.3–5.4, §7.3 and written out
//! in `examples/waterfall/EXPECTED.md`) and on bad inputs (exit code 2, the field named).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/waterfall").join(name)
}

fn run_stdin(input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["waterfall", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cascade");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait for cascade")
}

fn run_value(input: &Value) -> Value {
    let out = run_stdin(&input.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn run_file(name: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .arg("waterfall")
        .arg(example(name))
        .output()
        .expect("run cascade");
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn read_example(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(example(name)).expect("example")).expect("example JSON")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

fn account<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no account {id} in {v}"))
}

fn events(v: &Value) -> &Vec<Value> {
    v["events"].as_array().expect("events")
}

/// (type, account, counterparty or via, qty, price) of each event, for compact comparisons.
fn summary(v: &Value) -> Vec<(String, String, String, String, String)> {
    events(v)
        .iter()
        .map(|e| {
            let other = e["counterparty"].as_str().or(e["via"].as_str()).unwrap_or("").to_string();
            let get = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (get("type"), get("account"), other, get("qty"), get("price"))
        })
        .collect()
}

fn row(t: &str, a: &str, o: &str, q: &str, p: &str) -> (String, String, String, String, String) {
    (t.into(), a.into(), o.into(), q.into(), p.into())
}

/// (a) Binance §1.3: one large IOC sized to restore margin, its 0.5% liquidation fee charged on
/// the amount liquidated and capped at what the trader has left, to the fund; then step 3: the
/// still-deficient rest is closed at the bankruptcy price and taken over by the fund.
/// Long 10 @ 1,000, W 200, MMR 1%, mark 985 (equity 50 < MM 98.5), bid 984:
/// - q: least 0.001-multiple with 50 − 0.5% × 985q > 1% × 985 × (10 − q) ⇔ 4.925q > 48.5 ⇔
///   q > 9.8477 → **9.848**, sold at 984: realized −157.568 → W 42.432; fee 0.5% × 9.848 × 984
///   = 48.45216, capped at **42.432** → W 0; fund 1,042.432.
/// - Rest 0.152 with W 0: equity −2.28 < MM → taken over at BP = 1,000 − 0/0.152 = **1,000**,
///   no fee. The fund's backstop then offloads 5%: ⌈0.152 × 5%⌉ = 0.008 sold at 984,
///   realized −0.128 paid by the fund → **1,042.304**; inventory 0.144.
#[test]
fn binance_liquidation_fee_goes_to_the_fund_capped_at_what_is_left() {
    let v = run_file("binance-liquidation-fee.json");
    let ev = events(&v);
    assert_eq!(
        summary(&v),
        vec![
            row("liquidation", "trader", "book", "9.848", "984"),
            row("takeover", "trader", "backstop", "0.152", "1000"),
        ]
    );
    assert_eq!(s(&ev[0], "fee"), "42.432");
    assert_eq!(s(&ev[0], "bankruptcy_price"), "980");
    assert_eq!(s(&ev[1], "fee"), "0");
    assert_eq!(s(account(&v, "trader"), "wallet"), "0");
    assert!(account(&v, "trader")["positions"].as_array().unwrap().is_empty());
    assert_eq!(s(&v, "insurance_fund"), "1042.304");
    assert_eq!(s(&v, "bad_debt"), "0");
    assert_eq!(s(&v, "fee_pool"), "0");
    // The maker bought 9.848 from the trader and 0.008 from the backstop at 984.
    assert_eq!(account(&v, "maker")["positions"][0]["size"], "9.856");
    assert_eq!(account(&v, "maker")["positions"][0]["entry_price"], "984");
    assert_eq!(account(&v, "seeder")["positions"][0]["side"], "short");
    let inv = &v["backstop"]["inventory"][0];
    assert_eq!((s(inv, "size"), s(inv, "entry_price")), ("0.144", "1000"));
}

/// (a') Binance §1.3 step 3, read literally: "if still deficient, position closed at BP and
/// taken over by the insurance fund" — no second book order and no second fee.
#[test]
fn binance_step_3_remainder_taken_over_at_bankruptcy_price() {
    let v = run_file("binance-liquidation-fee.json");
    let ev = events(&v);
    assert_eq!(s(&ev[1], "type"), "takeover");
    assert_eq!(s(&ev[1], "via"), "backstop");
    assert_eq!(s(&ev[1], "qty"), "0.152");
    assert_eq!(s(&ev[1], "price"), "1000");
    assert_eq!(s(&ev[1], "fee"), "0");
    assert_eq!(s(account(&v, "trader"), "wallet"), "0");
}

/// (b) Bybit §2.4: fund empty → ADL at the bankruptcy price of the liquidated order (19,600),
/// best-ranked short first (PnL% × effective leverage: S2 0.2547 before S1 0.1113).
#[test]
fn bybit_adl_order_and_bankruptcy_price() {
    let v = run_file("bybit-adl-bankruptcy-price.json");
    assert_eq!(
        summary(&v),
        vec![
            row("adl", "L", "S2", "1", "19600"),
            row("adl", "L", "S1", "0.5", "19600"),
            row("liquidation", "L", "adl", "1.5", "19600"),
        ]
    );
    let ev = events(&v);
    assert_eq!(s(&ev[0], "amount"), "400");
    assert_eq!(s(&ev[1], "amount"), "700");
    assert_eq!(s(&ev[2], "bankruptcy_price"), "19600");
    assert_eq!(s(account(&v, "L"), "wallet"), "0");
    assert_eq!(s(account(&v, "S2"), "wallet"), "1400");
    assert_eq!(s(account(&v, "S1"), "wallet"), "10700");
    assert_eq!(account(&v, "S1")["positions"][0]["size"], "0.5");
    assert_eq!(account(&v, "H")["positions"][0]["size"], "0.5");
    assert_eq!(s(&v, "bad_debt"), "0");
    assert_eq!(s(&v, "insurance_fund"), "0");
    // Longs and shorts net out: the seeder ends flat and is not reported.
    assert!(v["accounts"].as_array().unwrap().iter().all(|a| a["id"] != "seeder"));
}

/// (b, with fees) Bybit §2.4 [R]: "maker fee to ADL'd trader, taker fee to the liquidated
/// order"; and Bybit counts the taker fee to close in the bankruptcy price (§2.3, BYB-4). L (W 600,
/// long 1.5 @ 20,000): 600 + 1.5(BP − 20,000) = 0.055% × 1.5 × BP ⇔ BP = 29,400 / 1.499175 =
/// 19,610.786… → 19,610.8 on the 0.1 tick (a long's BP rounds up). S2 (W 1,000, short 1 @
/// 20,000): +389.2 − 0.02% × 19,610.8 (3.92216) = **1,385.27784**; S1 (W 10,000, short 0.5 @
/// 21,000): +694.6 − 1.96108 = **10,692.63892**.
#[test]
fn bybit_adl_charges_the_maker_fee_to_the_deleveraged_trader() {
    let mut input = read_example("bybit-adl-bankruptcy-price.json");
    input["instrument"]["maker_fee"] = "0.0002".into();
    input["instrument"]["taker_fee"] = "0.00055".into();
    let v = run_value(&input);
    assert_eq!(s(&events(&v)[0], "price"), "19610.8");
    assert_eq!(s(account(&v, "S2"), "wallet"), "1385.27784");
    assert_eq!(s(account(&v, "S1"), "wallet"), "10692.63892");
}

/// (g) OKX §3.4 [R]: ADL executes "at mark price at time of matching normally; at
/// bankruptcy price if the fund is nearly depleted". The fund here is 0: ADL at L's bankruptcy
/// price, which at OKX counts the 0.2% liquidation fee (§3.3: MM + fee in the margin ratio):
/// 600 + 1.5(BP − 20,000) = 0.2% × 1.5 × BP ⇔ BP = 29,400 / 1.497 = 19,639.279… → **19,639.3**.
/// S2 +360.7 → 1,360.7; S1 +0.5 × 1,360.7 = 680.35 → 10,680.35; L 1.5 × −360.7 = −541.05 → 58.95 (ADL charges
/// no fee at OKX, so the fee-to-close margin stays with L).
#[test]
fn okx_adl_at_bankruptcy_price_when_the_fund_is_depleted() {
    let v = run_file("okx-adl-fund-depleted.json");
    assert_eq!(
        summary(&v),
        vec![
            row("adl", "L", "S2", "1", "19639.3"),
            row("adl", "L", "S1", "0.5", "19639.3"),
            row("liquidation", "L", "adl", "1.5", "19639.3"),
        ]
    );
    assert_eq!(s(account(&v, "L"), "wallet"), "58.95");
    assert_eq!(s(account(&v, "S2"), "wallet"), "1360.7");
    assert_eq!(s(account(&v, "S1"), "wallet"), "10680.35");
}

/// (b') Hyperliquid §5.4: an account whose value turns negative is deleveraged at the
/// previous mark (92), not at the current mark (89) nor its bankruptcy price (90).
#[test]
fn hyperliquid_adl_at_the_previous_mark() {
    let v = run_file("hyperliquid-adl-previous-mark.json");
    assert_eq!(
        summary(&v),
        vec![
            row("adl", "L", "S1", "6", "92"),
            row("adl", "L", "S2", "4", "92"),
            row("liquidation", "L", "adl", "10", "92"),
        ]
    );
    let ev = events(&v);
    assert!(ev.iter().all(|e| e["step"] == 2 && e["mark"] == "89"));
    assert_eq!(s(&ev[0], "amount"), "48");
    assert_eq!(s(&ev[1], "amount"), "12");
    assert_eq!(s(&ev[2], "bankruptcy_price"), "90");
    // Closed above its bankruptcy price, the bankrupt account keeps 100 − 10 × 8 = 20.
    assert_eq!(s(account(&v, "L"), "wallet"), "20");
    assert_eq!(s(account(&v, "S1"), "wallet"), "148");
    assert_eq!(s(account(&v, "S2"), "wallet"), "1012");
    assert_eq!(s(&v, "bad_debt"), "0");
}

/// (c) Drift §7.3 / DRIFT-11: loss 100 after the insurance fund, longs 7 base and shorts 4
/// base → 100 / 11 = 9.0909… per base unit, charged to every position.
#[test]
fn drift_socialises_the_loss_over_every_position_by_base() {
    let v = run_file("drift-socialised-loss.json");
    assert_eq!(
        summary(&v),
        vec![
            row("takeover", "B", "liquidator", "3", "151.5"),
            row("socialized_loss", "L1", "", "", ""),
            row("socialized_loss", "L2", "", "", ""),
            row("socialized_loss", "S1", "", "", ""),
        ]
    );
    let ev = events(&v);
    assert_eq!(s(&ev[0], "fee"), "0");
    // base × 100/11, truncated to the engine's 1e-8.
    assert_eq!(s(&ev[1], "amount"), "36.36363636");
    assert_eq!(s(&ev[2], "amount"), "27.27272727");
    assert_eq!(s(&ev[3], "amount"), "36.36363636");
    assert_eq!(s(account(&v, "L1"), "wallet"), "963.63636364");
    assert_eq!(s(account(&v, "L2"), "wallet"), "972.72727273");
    assert_eq!(s(account(&v, "S1"), "wallet"), "9963.63636364");
    assert_eq!(s(account(&v, "B"), "wallet"), "0");
    // The fund paid its 40 first; 1e-8 of truncation dust stays as bad debt.
    assert_eq!(s(&v, "insurance_fund"), "0");
    assert_eq!(s(&v, "bad_debt"), "0.00000001");
    let inv = &v["backstop"]["inventory"][0];
    assert_eq!((s(inv, "side"), s(inv, "size"), s(inv, "entry_price")), ("short", "3", "151.5"));
    assert_eq!(s(inv, "unrealized_pnl"), "4.5");
}

/// (d) 10 Oct style, no takeover cap: A (equity −50) and B (−40) are bankrupt; no partial close
/// can restore either (A: −50 − 0.425q > 8.5 − 0.85q needs q > 137.6 > 10), so each goes whole
/// to the fund. The fund's 60 carries A's 10 (loss (90 − 85) × 10 = 50 at the mark) and then
/// (60 − 50) / (89 − 85) = 2.5 of B's; it is dry and ADL closes B's other 7.5 against the 1x
/// short hedger at B's bankruptcy price 89 (+7.5 × 11 = 82.5).
#[test]
fn fund_runs_dry_and_adl_hits_the_1x_hedger() {
    let v = run_file("binance-fund-dry-adl-hedger.json");
    assert_eq!(
        summary(&v),
        vec![
            row("takeover", "A", "backstop", "10", "90"),
            row("takeover", "B", "backstop", "2.5", "89"),
            row("adl", "B", "hedger", "7.5", "89"),
            row("liquidation", "B", "adl", "7.5", "89"),
        ]
    );
    let ev = events(&v);
    assert_eq!(s(&ev[2], "amount"), "82.5");
    assert_eq!(s(account(&v, "A"), "wallet"), "0");
    assert_eq!(s(account(&v, "B"), "wallet"), "0");
    let h = account(&v, "hedger");
    assert_eq!(s(h, "wallet"), "2082.5");
    assert_eq!(
        (h["positions"][0]["side"].as_str(), h["positions"][0]["size"].as_str()),
        (Some("short"), Some("12.5"))
    );
    assert_eq!(s(&v, "insurance_fund"), "60");
    assert_eq!(s(&v, "bad_debt"), "0");
    let inv = &v["backstop"]["inventory"][0];
    assert_eq!((s(inv, "size"), s(inv, "entry_price"), s(inv, "unrealized_pnl")), ("12.5", "89.8", "-60"));
}

/// (d') The same with Binance's default cap (§1.4: the fund holds at most 100% of its balance
/// in net notional): 60 / 8.5 per lot → 7 lots = 0.7 of A's 10 taken over, A's other 9.3 to ADL
/// at 90 (+93); B's 10 finds the fund full (0.7 × 85 = 59.5 of 60: no lot fits) → ADL at 89 (+110).
#[test]
fn binance_takeover_cap_sends_the_excess_to_adl() {
    let v = run_file("binance-fund-cap-adl-hedger.json");
    assert_eq!(
        summary(&v),
        vec![
            row("takeover", "A", "backstop", "0.7", "90"),
            row("adl", "A", "hedger", "9.3", "90"),
            row("liquidation", "A", "adl", "9.3", "90"),
            row("adl", "B", "hedger", "10", "89"),
            row("liquidation", "B", "adl", "10", "89"),
        ]
    );
    let h = account(&v, "hedger");
    assert_eq!(s(h, "wallet"), "2203");
    assert_eq!(h["positions"][0]["size"], "0.7");
    assert_eq!(s(&v, "insurance_fund"), "60");
    let inv = &v["backstop"]["inventory"][0];
    assert_eq!((s(inv, "size"), s(inv, "unrealized_pnl")), ("0.7", "-3.5"));
}

/// Hyperliquid §5.3: below 2/3 of maintenance with equity still ≥ 0 the liquidator vault takes
/// the whole account over (positions at the bankruptcy price, margin with them), its own
/// capital carrying it.
#[test]
fn hyperliquid_vault_takes_the_account_over() {
    let v = run_file("hyperliquid-vault-takeover.json");
    assert_eq!(summary(&v), vec![row("takeover", "L", "vault", "10", "90")]);
    assert_eq!(s(account(&v, "L"), "wallet"), "0");
    let b = &v["backstop"];
    assert_eq!((s(b, "capital"), s(b, "wallet")), ("1000", "1000"));
    let inv = &b["inventory"][0];
    assert_eq!((s(inv, "side"), s(inv, "size"), s(inv, "entry_price")), ("long", "10", "90"));
    // The account's 20 of equity went with it: +20 at the mark for the vault.
    assert_eq!(s(inv, "unrealized_pnl"), "20");
    assert_eq!(s(&v, "bad_debt"), "0");
}

/// Collateral pays first: the backstop buys the trader's BTC at its price less the haircut,
/// 0.001 × 50,000 × 95% = 47.5 paid from the fund (→ 952.5), before the book liquidation.
/// Then reduce-first: 7.5 − 0.5% × 96q > 1% × 96 × (10 − q) ⇔ 0.48q > 2.1 ⇔ q > 4.375 →
/// **4.376** sold at 95.5 (BP 100 − 47.5/10 = 95.25): realized −19.692 → W 27.808, fee
/// 0.5% × 4.376 × 95.5 = 2.08954 → W 25.71846, fund 954.58954. Still deficient (equity 3.22246 <
/// MM 5.39904): the rest 5.624 is taken over at BP = 100 − 25.71846/5.624 = 95.42701… → 95.43
/// (a long's BP rounds up), leaving W 0.01678. The backstop then sells ⌈5.624 × 5%⌉ = 0.282 at
/// 95.5, +0.01974 swept into the fund → **954.60928**.
#[test]
fn collateral_is_converted_before_the_position_is_liquidated() {
    let v = run_file("binance-collateral-first.json");
    assert_eq!(
        summary(&v),
        vec![
            row("collateral_sale", "trader", "backstop", "0.001", ""),
            row("liquidation", "trader", "book", "4.376", "95.5"),
            row("takeover", "trader", "backstop", "5.624", "95.43"),
        ]
    );
    let ev = events(&v);
    assert_eq!((s(&ev[0], "asset"), s(&ev[0], "amount")), ("BTC", "47.5"));
    assert_eq!(s(&ev[1], "bankruptcy_price"), "95.25");
    assert_eq!(s(&ev[1], "fee"), "2.08954");
    assert_eq!(s(&ev[2], "fee"), "0");
    assert_eq!(s(account(&v, "trader"), "wallet"), "0.01678");
    assert_eq!(account(&v, "trader")["collateral"][0]["amount"], "0");
    assert_eq!(s(&v, "insurance_fund"), "954.60928");
    assert_eq!(v["backstop"]["collateral"][0]["amount"], "0.001");
}

#[test]
fn isolated_margin_is_set_and_reported() {
    let input = serde_json::json!({
        "rules": "binance", "settle_asset": "USDT", "insurance_fund": "0",
        "instrument": {"symbol": "ETHUSDT", "kind": "linear", "tick": "0.01", "lot": "0.001",
                       "tiers": [{"floor": "0", "mmr": "0.01", "max_leverage": "50"}]},
        "accounts": [
            {"id": "iso", "mode": "isolated", "wallet": "5", "margin": "100", "leverage": 10,
             "positions": [{"side": "long", "size": "10", "entry_price": "100"}]},
            {"id": "short", "mode": "cross", "wallet": "1000",
             "positions": [{"side": "short", "size": "10", "entry_price": "100"}]}],
        "marks": ["99"]
    });
    let v = run_value(&input);
    assert!(events(&v).is_empty());
    let a = account(&v, "iso");
    assert_eq!((s(a, "mode"), s(a, "wallet"), s(a, "margin")), ("isolated", "5", "100"));
    assert_eq!(a["positions"][0]["size"], "10");
}

#[test]
fn output_is_deterministic() {
    for name in [
        "binance-liquidation-fee.json",
        "bybit-adl-bankruptcy-price.json",
        "hyperliquid-adl-previous-mark.json",
        "drift-socialised-loss.json",
        "binance-fund-dry-adl-hedger.json",
        "binance-fund-cap-adl-hedger.json",
        "hyperliquid-vault-takeover.json",
        "binance-collateral-first.json",
    ] {
        let text = std::fs::read_to_string(example(name)).expect("example");
        let a = run_stdin(&text);
        let b = run_stdin(&text);
        assert!(a.status.success(), "{name}");
        assert_eq!(a.stdout, b.stdout, "{name}");
    }
}

/// Each bad input: exit code 2, nothing on stdout, the field named on stderr.
#[test]
fn bad_inputs_exit_2_and_name_the_field() {
    let base = read_example("bybit-adl-bankruptcy-price.json");
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("unknown key", |v| v["accounts"][0]["colour"] = "red".into(), "colour"),
        ("unknown top-level key", |v| v["venue"] = "bybit".into(), "venue"),
        ("wrong type", |v| v["accounts"][1]["wallet"] = 10000.into(), "accounts[1].wallet"),
        (
            "negative price",
            |v| v["accounts"][2]["positions"][0]["entry_price"] = "-21000".into(),
            "accounts[2].positions[0].entry_price",
        ),
        ("negative mark", |v| v["marks"][0] = "-1".into(), "marks[0]"),
        ("unknown rules", |v| v["rules"] = "ftx".into(), "rules"),
        ("leverage 0", |v| v["accounts"][0]["leverage"] = 0.into(), "accounts[0].leverage"),
        ("missing field", |v| drop(v["accounts"][3].as_object_mut().unwrap().remove("wallet")), "wallet"),
        (
            "missing instrument field",
            |v| drop(v["instrument"].as_object_mut().unwrap().remove("tick")),
            "tick",
        ),
        (
            "bad side",
            |v| v["accounts"][0]["positions"][0]["side"] = "up".into(),
            "accounts[0].positions[0].side",
        ),
        ("not a decimal", |v| v["insurance_fund"] = "lots".into(), "insurance_fund"),
        ("fee pool", |v| v["fee_pool"] = "10".into(), "fee_pool"),
        ("isolated without margin", |v| v["accounts"][0]["mode"] = "isolated".into(), "accounts[0].margin"),
        (
            "off-tick price",
            |v| v["accounts"][0]["positions"][0]["entry_price"] = "20000.05".into(),
            "accounts[0].positions[0].entry_price",
        ),
        (
            "unknown book account",
            |v| {
                v["book"] =
                    serde_json::json!([{"account": "nobody", "side": "buy", "price": "1", "size": "1"}])
            },
            "book[0].account",
        ),
        ("tier above one", |v| v["instrument"]["tiers"][0]["mmr"] = "1.5".into(), "instrument.tiers[0].mmr"),
    ];
    for (what, edit, field) in cases {
        let mut v = base.clone();
        edit(&mut v);
        let out = run_stdin(&v.to_string());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: stderr {err}");
        assert!(out.stdout.is_empty(), "{what}");
        assert!(err.contains(field), "{what}: `{field}` not named in {err}");
    }
}

#[test]
fn duplicate_keys_and_trailing_text_are_refused() {
    let text = std::fs::read_to_string(example("bybit-adl-bankruptcy-price.json")).expect("example");
    let dup = text.replacen(
        "\"insurance_fund\": \"0\",",
        "\"insurance_fund\": \"0\", \"insurance_fund\": \"5\",",
        1,
    );
    let out = run_stdin(&dup);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate field `insurance_fund`"));
    let out = run_stdin(&format!("{text} {{}}"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_file_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["waterfall", "/nonexistent/waterfall.json"])
        .output()
        .expect("run cascade");
    assert_eq!(out.status.code(), Some(2));
}
