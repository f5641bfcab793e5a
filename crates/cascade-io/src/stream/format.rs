//! Stream events written back as Binance's JSON, one line each, with exact decimal strings and
//! a fixed key order (so the same events give the same bytes).

use std::fmt::Write as _;

use cascade_watch::{Side, StreamEvent};

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    // serde_json's escaping of a &str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// Appends `e` as one JSON object, without a newline: `forceOrder` and `aggTrade` with every
/// field Binance sends, `markPriceUpdate` with the optional fields it has.
pub fn format_event(e: &StreamEvent, out: &mut String) {
    // Writing into a String cannot fail.
    let _ = write_event(e, out);
}

fn write_event(e: &StreamEvent, out: &mut String) -> std::fmt::Result {
    match e {
        StreamEvent::ForceOrder(f) => {
            write!(out, r#"{{"e":"forceOrder","E":{},"o":{{"s":"#, f.event_time)?;
            string(out, &f.symbol);
            let side = match f.side {
                Side::Buy => "BUY",
                Side::Sell => "SELL",
            };
            write!(out, r#","S":"{side}","o":"#)?;
            string(out, &f.order_type);
            out.push_str(r#","f":"#);
            string(out, &f.time_in_force);
            write!(out, r#","q":"{}","p":"{}","ap":"{}","X":"#, f.qty, f.price, f.avg_price)?;
            string(out, &f.status);
            write!(out, r#","l":"{}","z":"{}","T":{}}}}}"#, f.last_filled_qty, f.filled_qty, f.trade_time)
        }
        StreamEvent::AggTrade(a) => {
            write!(out, r#"{{"e":"aggTrade","E":{},"s":"#, a.event_time)?;
            string(out, &a.symbol);
            write!(
                out,
                r#","a":{},"p":"{}","q":"{}","f":{},"l":{},"T":{},"m":{}}}"#,
                a.id, a.price, a.qty, a.first_trade_id, a.last_trade_id, a.trade_time, a.buyer_is_maker
            )
        }
        StreamEvent::MarkPrice(m) => {
            write!(out, r#"{{"e":"markPriceUpdate","E":{},"s":"#, m.event_time)?;
            string(out, &m.symbol);
            write!(out, r#","p":"{}""#, m.mark)?;
            if let Some(i) = m.index {
                write!(out, r#","i":"{i}""#)?;
            }
            if let Some(p) = m.settle_estimate {
                write!(out, r#","P":"{p}""#)?;
            }
            if let Some(r) = m.funding_rate {
                write!(out, r#","r":"{r}""#)?;
            }
            if let Some(t) = m.next_funding_time {
                write!(out, r#","T":{t}"#)?;
            }
            out.push('}');
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::parse_line;

    /// Each of the three documented examples survives format → parse → format unchanged.
    #[test]
    fn documented_examples_round_trip_byte_for_byte() {
        for line in [
            r#"{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}"#,
            r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true}"#,
            r#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#,
        ] {
            let mut ev = Vec::new();
            parse_line(line.as_bytes(), &mut |r| ev.push(r.unwrap()));
            let mut out = String::new();
            format_event(&ev[0], &mut out);
            assert_eq!(out, line);
        }
    }
}
