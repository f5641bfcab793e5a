//! One JSON line into stream events, exactly, with errors that name the column and field.

use std::str::FromStr;

use cascade_watch::{AggTrade, ForceOrder, MarkPrice, Side, StreamEvent};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Why a line (or one element of an array line) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Column in the line, 1-based, when known.
    pub column: Option<usize>,
    /// The field at fault (`o.ap`, `p`…), when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The line is valid JSON but another kind of event (e.g. `depthUpdate`).
    pub unsupported: bool,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(c) = self.column {
            write!(f, "column {c}: ")?;
        }
        if let Some(x) = &self.field {
            write!(f, "field `{x}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The fields of the three events (and of the combined-stream wrapper), borrowed from the line.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    e: Option<&'a str>,
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(borrow)]
    s: Option<&'a str>,
    #[serde(borrow)]
    p: Option<&'a str>,
    #[serde(borrow)]
    q: Option<&'a str>,
    a: Option<u64>,
    f: Option<u64>,
    l: Option<u64>,
    #[serde(rename = "T")]
    t: Option<u64>,
    m: Option<bool>,
    #[serde(borrow)]
    i: Option<&'a str>,
    #[serde(rename = "P", borrow)]
    settle: Option<&'a str>,
    #[serde(borrow)]
    r: Option<&'a str>,
    #[serde(borrow)]
    o: Option<RawOrder<'a>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The order object of a `forceOrder`.
#[derive(Deserialize)]
struct RawOrder<'a> {
    #[serde(borrow)]
    s: Option<&'a str>,
    #[serde(rename = "S", borrow)]
    side: Option<&'a str>,
    #[serde(borrow)]
    o: Option<&'a str>,
    #[serde(borrow)]
    f: Option<&'a str>,
    #[serde(borrow)]
    q: Option<&'a str>,
    #[serde(borrow)]
    p: Option<&'a str>,
    #[serde(borrow)]
    ap: Option<&'a str>,
    #[serde(rename = "X", borrow)]
    status: Option<&'a str>,
    #[serde(borrow)]
    l: Option<&'a str>,
    #[serde(borrow)]
    z: Option<&'a str>,
    #[serde(rename = "T")]
    t: Option<u64>,
}

/// Where a key first appears in the line (1-based column of its opening quote).
fn column_of(line: &[u8], key: &str) -> Option<usize> {
    let short = key.rsplit('.').next().unwrap_or(key);
    let pat = format!("\"{short}\"");
    line.windows(pat.len()).position(|w| w == pat.as_bytes()).map(|i| i + 1)
}

struct Ctx<'l> {
    line: &'l [u8],
    /// Offset of the object being read within the line (for columns inside arrays/wrappers).
    base: usize,
}

impl Ctx<'_> {
    fn err(&self, field: &str, message: String) -> LineError {
        let column = column_of(&self.line[self.base..], field).map(|c| c + self.base);
        LineError { column, field: Some(field.to_string()), message, unsupported: false }
    }

    fn need<T>(&self, v: Option<T>, field: &str) -> Result<T, LineError> {
        v.ok_or_else(|| LineError {
            column: None,
            field: Some(field.to_string()),
            message: "missing".into(),
            unsupported: false,
        })
    }

    /// An exact decimal; `positive`: must be > 0, else ≥ 0 unless `signed`.
    fn dec(&self, v: Option<&str>, field: &str, rule: Rule) -> Result<Decimal, LineError> {
        let s = self.need(v, field)?;
        let d = Decimal::from_str(s).map_err(|_| self.err(field, format!("not a decimal number: `{s}`")))?;
        match rule {
            Rule::Positive if d <= Decimal::ZERO => Err(self.err(field, format!("must be > 0 (got {s})"))),
            Rule::NonNegative if d < Decimal::ZERO => Err(self.err(field, format!("must be ≥ 0 (got {s})"))),
            _ => Ok(d),
        }
    }

    fn opt_dec(&self, v: Option<&str>, field: &str, rule: Rule) -> Result<Option<Decimal>, LineError> {
        v.map(|s| self.dec(Some(s), field, rule)).transpose()
    }

    fn symbol(&self, v: Option<&str>, field: &str) -> Result<String, LineError> {
        let s = self.need(v, field)?;
        if s.is_empty() {
            return Err(self.err(field, "empty symbol".into()));
        }
        Ok(s.to_string())
    }
}

#[derive(Clone, Copy)]
enum Rule {
    Positive,
    NonNegative,
    Signed,
}

fn json_err(e: &serde_json::Error, base: usize) -> LineError {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the column is given separately.
    let message = text.split(" at line ").next().unwrap_or(&text).to_string();
    LineError { column: Some(e.column() + base), field: None, message, unsupported: false }
}

/// Parses one line (without its newline) and hands each event or error to `sink`, in order.
/// A blank line gives nothing.
pub fn parse_line(line: &[u8], sink: &mut impl FnMut(Result<StreamEvent, LineError>)) {
    let start = line.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| line[i]) {
        None => {}
        Some(b'[') => match serde_json::from_slice::<Vec<&RawValue>>(line) {
            Ok(items) => {
                for item in items {
                    let base = item.get().as_ptr() as usize - line.as_ptr() as usize;
                    sink(object(line, base, item.get().as_bytes(), 0));
                }
            }
            Err(e) => sink(Err(json_err(&e, 0))),
        },
        Some(_) => sink(object(line, 0, line, 0)),
    }
}

/// One event object (or a combined-stream wrapper around one) at `base` in `line`.
fn object(line: &[u8], base: usize, obj: &[u8], depth: u8) -> Result<StreamEvent, LineError> {
    let raw: Raw = serde_json::from_slice(obj).map_err(|e| json_err(&e, base))?;
    let cx = Ctx { line, base };
    if let Some(data) = raw.data {
        if depth > 0 || raw.e.is_some() {
            return Err(cx.err("data", "a wrapper inside a wrapper, or a wrapper with an event type".into()));
        }
        let inner = data.get();
        if !inner.trim_start().starts_with('{') {
            return Err(cx.err("data", "expected one event object".into()));
        }
        let at = inner.as_ptr() as usize - line.as_ptr() as usize;
        return object(line, at, inner.as_bytes(), depth + 1);
    }
    let kind = raw.e.ok_or_else(|| LineError {
        column: None,
        field: Some("e".into()),
        message: "missing (no event type, and no `data` of a combined stream)".into(),
        unsupported: false,
    })?;
    match kind {
        "forceOrder" => {
            let o = cx.need(raw.o.as_ref(), "o")?;
            let side = match cx.need(o.side, "o.S")? {
                "BUY" => Side::Buy,
                "SELL" => Side::Sell,
                other => return Err(cx.err("o.S", format!("expected BUY or SELL, got `{other}`"))),
            };
            Ok(StreamEvent::ForceOrder(ForceOrder {
                event_time: cx.need(raw.event_time, "E")?,
                symbol: cx.symbol(o.s, "o.s")?,
                side,
                order_type: o.o.unwrap_or_default().to_string(),
                time_in_force: o.f.unwrap_or_default().to_string(),
                qty: cx.dec(o.q, "o.q", Rule::Positive)?,
                price: cx.dec(o.p, "o.p", Rule::NonNegative)?,
                avg_price: cx.opt_dec(o.ap, "o.ap", Rule::NonNegative)?.unwrap_or_default(),
                status: o.status.unwrap_or_default().to_string(),
                last_filled_qty: cx.opt_dec(o.l, "o.l", Rule::NonNegative)?.unwrap_or_default(),
                filled_qty: cx.opt_dec(o.z, "o.z", Rule::NonNegative)?.unwrap_or_default(),
                trade_time: cx.need(o.t, "o.T")?,
            }))
        }
        "aggTrade" => Ok(StreamEvent::AggTrade(AggTrade {
            event_time: cx.need(raw.event_time, "E")?,
            symbol: cx.symbol(raw.s, "s")?,
            id: cx.need(raw.a, "a")?,
            price: cx.dec(raw.p, "p", Rule::Positive)?,
            qty: cx.dec(raw.q, "q", Rule::Positive)?,
            first_trade_id: raw.f.unwrap_or_default(),
            last_trade_id: raw.l.unwrap_or_default(),
            trade_time: cx.need(raw.t, "T")?,
            buyer_is_maker: cx.need(raw.m, "m")?,
        })),
        "markPriceUpdate" => Ok(StreamEvent::MarkPrice(MarkPrice {
            event_time: cx.need(raw.event_time, "E")?,
            symbol: cx.symbol(raw.s, "s")?,
            mark: cx.dec(raw.p, "p", Rule::Positive)?,
            index: cx.opt_dec(raw.i, "i", Rule::NonNegative)?,
            settle_estimate: cx.opt_dec(raw.settle, "P", Rule::NonNegative)?,
            funding_rate: cx.opt_dec(raw.r, "r", Rule::Signed)?,
            next_funding_time: raw.t,
        })),
        other => Err(LineError {
            column: column_of(&line[base..], "e").map(|c| c + base),
            field: Some("e".into()),
            message: format!("event type `{other}` is not watched (forceOrder, aggTrade, markPriceUpdate)"),
            unsupported: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<StreamEvent, LineError> {
        let mut got = Vec::new();
        parse_line(line.as_bytes(), &mut |r| got.push(r));
        assert_eq!(got.len(), 1, "{line}");
        got.pop().unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// The forceOrder example of Binance's documentation (../shared/reference/data-formats.md).
    #[test]
    fn the_documented_force_order() {
        let line = r#"{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}"#;
        let StreamEvent::ForceOrder(f) = one(line).unwrap() else { panic!() };
        assert_eq!(
            (f.symbol.as_str(), f.side, f.qty, f.avg_price),
            ("BTCUSDT", Side::Sell, d("0.014"), d("9910"))
        );
        assert_eq!(
            (f.trade_time, f.status.as_str(), f.time_in_force.as_str()),
            (1_568_014_460_893, "FILLED", "IOC")
        );
        // 0.014 × 9910 = 138.74, exactly.
        assert_eq!(f.notional(), d("138.74"));
    }

    #[test]
    fn agg_trade_mark_price_wrapper_and_array() {
        let t = r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true}"#;
        let StreamEvent::AggTrade(a) = one(t).unwrap() else { panic!() };
        assert_eq!(
            (a.id, a.price, a.qty, a.trade_time, a.buyer_is_maker),
            (5_933_014, d("0.001"), d("100"), 123_456_785, true)
        );
        let m = r#"{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"-0.00038167","T":1562306400000}}"#;
        let StreamEvent::MarkPrice(k) = one(m).unwrap() else { panic!() };
        assert_eq!(
            (k.mark, k.funding_rate, k.next_funding_time),
            (d("11794.15"), Some(d("-0.00038167")), Some(1_562_306_400_000))
        );
        let arr = r#"[{"e":"markPriceUpdate","E":1,"s":"A","p":"1"},{"e":"markPriceUpdate","E":1,"s":"B","p":"x"}]"#;
        let mut got = Vec::new();
        parse_line(arr.as_bytes(), &mut |r| got.push(r));
        assert!(got[0].is_ok());
        let e = got[1].as_ref().unwrap_err();
        // The bad price's key is at column 68 of the line ("p" of the second element).
        assert_eq!((e.field.as_deref(), e.column), (Some("p"), Some(arr.rfind("\"p\"").unwrap() + 1)));
    }

    #[test]
    fn errors_name_column_and_field() {
        let e = one(r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1,5","q":"1","T":1,"m":false}"#)
            .unwrap_err();
        // `{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,` is 42 characters: "p" opens at 43.
        assert_eq!((e.field.as_deref(), e.column), (Some("p"), Some(43)));
        assert!(e.message.contains("not a decimal number: `1,5`"), "{e}");
        let e = one(r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1","q":"1","T":1}"#).unwrap_err();
        assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("m"), "missing"));
        let e = one(r#"{"e":"aggTrade","E":1,"s":"BTC"#).unwrap_err();
        assert_eq!((e.field, e.column), (None, Some(30)));
        let e = one(r#"{"e":"markPriceUpdate","E":1,"s":"X","p":"-5"}"#).unwrap_err();
        assert!(e.to_string().contains("field `p`: must be > 0 (got -5)"), "{e}");
        let e = one(r#"{"e":"depthUpdate","E":1,"s":"X"}"#).unwrap_err();
        assert!(e.unsupported && e.message.contains("`depthUpdate` is not watched"));
        let e =
            one(r#"{"e":"forceOrder","E":1,"o":{"s":"X","S":"HOLD","q":"1","p":"1","T":1}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("o.S"));
        let e = one(r#"{"E":1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("e"));
        let e = one("[1]").unwrap_err();
        assert!(e.message.contains("invalid type"), "{e}");
        let mut n = 0;
        parse_line(b"   ", &mut |_| n += 1);
        assert_eq!(n, 0);
    }
}
