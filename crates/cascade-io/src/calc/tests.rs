//! The input model's contract: paths in errors, exact numbers, duplicates and odd forms
//! refused. The figures themselves are checked against the venues' worked examples in
//! `crates/cascade-cli/tests/calc.rs`.

use super::input::{Num, nesting_depth, read};
use super::{CalcError, calc};

const POS: &str = r#"{"symbol": "BTCUSDT", "side": "long", "size": "1", "entry_price": "20000", "mark_price": "20000", "leverage": "10"}"#;

fn doc(position: &str) -> String {
    format!(
        r#"{{"venue": "binance", "mode": "cross", "wallet_balance": "1000", "positions": [{POS}, {position}]}}"#
    )
}

fn err(text: &str) -> CalcError {
    match calc(text) {
        Ok(out) => panic!("accepted: {text}\n{out:?}"),
        Err(e) => e,
    }
}

/// Brackets in strings and escaped quotes do not count: `{"a": "[[\"{", "b": [[1]]}` nests 3.
#[test]
fn nesting_depth_skips_strings() {
    assert_eq!(nesting_depth(r#"{"a": "[[\"{", "b": [[1]]}"#), 3);
    assert_eq!(nesting_depth("1"), 0);
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    assert_eq!(nesting_depth(&deep), 20_000);
    assert_eq!(err(&deep).message, "invalid JSON: nested 20000 levels deep (at most 32)");
}

/// A JSON number keeps its text: 0.1000000000000000055511151231257827 is not the f64 0.1.
#[test]
fn numbers_keep_their_decimal_text() {
    let input = read(&doc(
        r#"{"symbol": "ETHUSDT", "side": "short", "size": 0.1000000000000000055511151231257827, "entry_price": 1e3, "mark_price": 1e3}"#,
    ))
    .unwrap();
    let p = &input.positions.as_ref().unwrap()[1].0;
    assert_eq!(p.size, Some(Num("0.1000000000000000055511151231257827".into())));
    assert_eq!(p.entry_price, Some(Num("1e3".into())));
    assert_eq!(input.wallet_balance, Some(Num("1000".into())));
}

#[test]
fn a_key_given_twice_is_refused_by_name() {
    let e = err(&doc(
        r#"{"symbol": "ETHUSDT", "side": "long", "size": "1", "size": "2", "entry_price": "1", "mark_price": "1"}"#,
    ));
    assert_eq!(e.path, "positions[1].size");
    assert!(e.message.contains("duplicate field `size`"), "{e}");
    let e = err(r#"{"venue": "binance", "venue": "bybit", "mode": "cross", "positions": []}"#);
    assert_eq!(e.path, "venue");
    assert!(e.message.contains("duplicate field `venue`"), "{e}");
}

#[test]
fn wrong_types_and_unknown_fields_name_the_path() {
    let e = err(&doc(r#"{"symbol": "ETHUSDT", "side": "long", "size": "1", "entry_price": [1]}"#));
    assert_eq!(e.path, "positions[1].entry_price");
    assert!(e.message.contains("expected a number, got an array"), "{e}");
    let e = err(&doc(r#"{"symbol": 5, "side": "long", "size": "1", "entry_price": "1", "mark_price": "1"}"#));
    assert_eq!(e.path, "positions[1].symbol");
    let e = err(&doc(
        r#"{"symbol": "ETHUSDT", "side": "long", "size": "1", "entry_price": "1", "mark_price": "1", "lev": 3}"#,
    ));
    assert_eq!(e.path, "positions[1].lev");
    assert!(e.message.contains("unknown field `lev`"), "{e}");
    let e = err(&doc(r#"{"symbol": "ETHUSDT", "side": "long", "entry_price": "1", "mark_price": "1"}"#));
    assert_eq!((e.path.as_str(), e.message.as_str()), ("positions[1].size", "missing field"));
    // `null` is absent: a required field given as null is missing.
    let e = err(&doc(
        r#"{"symbol": "ETHUSDT", "side": null, "size": "1", "entry_price": "1", "mark_price": "1"}"#,
    ));
    assert_eq!((e.path.as_str(), e.message.as_str()), ("positions[1].side", "missing field"));
}

/// serde derive would read a struct from an array of its fields in order; calc does not.
#[test]
fn arrays_in_place_of_objects_are_refused() {
    let e = err(r#"["binance", "cross", "1000", []]"#);
    assert_eq!(e.path, "input");
    assert!(e.message.contains("expected an object"), "{e}");
    let e = err(&doc(r#"["ETHUSDT", "long", "1", "1"]"#));
    assert_eq!(e.path, "positions[1]");
}

#[test]
fn syntax_errors_give_line_and_column_and_trailing_text_is_refused() {
    let e = err("{\n  \"venue\": \"binance\",\n  \"mode\" \"cross\"\n}");
    assert_eq!(e.path, "");
    assert!(e.message.starts_with("invalid JSON: ") && e.message.contains("line 3 column 10"), "{e}");
    let e = err(&format!("{} x", doc(POS)));
    assert!(e.message.contains("trailing characters"), "{e}");
}

/// Binance cross, one long 1 BTC @ 20,000 twice at mark = entry, wallet 1,000: no PnL, so
/// the equity is the wallet.
#[test]
fn a_valid_document_computes() {
    let out = calc(&doc(POS)).unwrap();
    assert_eq!(out.positions.len(), 2);
    assert_eq!(out.account.equity, "1000");
    assert_eq!(out.positions[1].side, "long");
}

/// A huge value is named by its first 40 characters and its length, not echoed whole.
#[test]
fn a_huge_value_is_not_echoed_whole() {
    let digits = "1".repeat(60_000);
    let e = err(&doc(&format!(
        r#"{{"symbol": "ETHUSDT", "side": "long", "size": "{digits}", "entry_price": "1"}}"#
    )));
    assert_eq!(e.path, "positions[1].size");
    assert_eq!(e.message, format!("`{}… (60000 characters)` is not a decimal number", "1".repeat(40)));
}

/// An order's side is not a position's: `buy`/`sell` are refused by name, not read as
/// long/short (a sell may close a long).
#[test]
fn order_sides_are_refused() {
    for side in ["buy", "sell", "BUY"] {
        let e = err(&doc(&POS.replace(r#""side": "long""#, &format!(r#""side": "{side}""#))));
        assert_eq!(e.path, "positions[1].side");
        assert!(e.message.contains("is an order side") && e.message.contains("`long` or `short`"), "{e}");
    }
}

/// No silent default of the mark to the entry.
#[test]
fn a_missing_mark_price_is_refused_by_name() {
    let e = err(&doc(&POS.replace(r#", "mark_price": "20000""#, "")));
    assert_eq!(e.path, "positions[1].mark_price");
    assert!(e.message.starts_with("missing field"), "{e}");
    let e = err(&doc(&POS.replace(r#""mark_price": "20000""#, r#""mark_price": null"#)));
    assert_eq!(e.path, "positions[1].mark_price");
}

/// Several venues in one file: each account computed as its own document (the first is the
/// single-account `doc` above: wallet 1,000, equity 1,000 at mark = entry); errors carry the
/// account's index; `accounts` cannot be mixed with a single account's fields.
#[test]
fn several_venues_in_one_document() {
    let one = doc(POS);
    let two = r#"{"venue": "bybit", "mode": "isolated", "positions": [{"symbol": "BTCUSDT", "side": "short",
        "size": "2", "entry_price": "30000", "mark_price": "31000", "leverage": "10"}]}"#;
    let out = super::calc_document(&format!(r#"{{"accounts": [{one}, {two}]}}"#)).unwrap();
    let super::Document::Many { accounts } = out else { panic!("several accounts") };
    assert_eq!(accounts.len(), 2);
    assert_eq!((accounts[0].venue, accounts[1].venue), ("binance", "bybit"));
    assert_eq!(accounts[0].account.equity, "1000");
    // Bybit isolated short 2 @ 30,000 at 10x: margin 6,000; at 31,000 the PnL is −2,000.
    assert_eq!(accounts[1].positions[0].margin.as_deref(), Some("6000"));
    assert_eq!(accounts[1].positions[0].unrealized_pnl, "-2000");
    let bad = two.replace(r#""side": "short""#, r#""side": "sell""#);
    let e = super::calc_document(&format!(r#"{{"accounts": [{one}, {bad}]}}"#)).unwrap_err();
    assert_eq!(e.path, "accounts[1].positions[0].side");
    let e = super::calc_document(&format!(r#"{{"venue": "binance", "accounts": [{one}]}}"#)).unwrap_err();
    assert_eq!(e.path, "venue");
    let e = super::calc_document(r#"{"accounts": []}"#).unwrap_err();
    assert_eq!(e.path, "accounts");
    // `calc` (one account) names the other entry point.
    assert_eq!(err(&format!(r#"{{"accounts": [{one}]}}"#)).path, "accounts");
}
