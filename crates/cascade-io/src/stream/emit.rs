//! A simulated run as the stream a venue would have sent: `forceOrder` per liquidation,
//! `aggTrade` per sampling interval that traded, `markPriceUpdate` per mark sample.
//!
//! What a run records decides what can be emitted (the simulator does not record trades one
//! by one):
//! - **forceOrder**: one per liquidation row (book, partial, backstop and ADL closes alike),
//!   `S` = `SELL` for a long, `BUY` for a short; `p` the bankruptcy price (Binance's order
//!   price) or the fill price when unknown; `ap` the average fill price; `q` = `l` = `z` the
//!   quantity closed; `o` `LIMIT`, `f` `IOC`, `X` `FILLED`. Rows of one millisecond, symbol
//!   and side with the same two prices would be indistinguishable on the stream (a reader
//!   must take them for duplicates), so they become one order of their summed quantity (the
//!   notional is unchanged: same average price).
//! - **aggTrade**: one per series row with trades, standing for the interval's trades: `p` the
//!   interval's last traded price, `q` its whole volume, `f`..`l` the interval's trade numbers
//!   (counted from 1 per market), `a` counting these aggregates from 1; `m` by the tick rule
//!   (true — a sell taker — when the last price fell from the previous interval's).
//! - **markPriceUpdate**: one per series row with a mark: `p` the mark, `i` the index, `r` the
//!   funding rate when the row has them; no `P` or `T` (not recorded).
//!
//! Times: `E` (and `T`) = `start_ms` + the row's simulated milliseconds, where `start_ms` is
//! the scenario's `run.start_utc` in Unix milliseconds (0 without one). At one millisecond the
//! order is liquidations, trades, marks (a sample is taken after what happened at its time).
//! Symbols are the instruments'; when two venues list the same symbol, every symbol becomes
//! `SYMBOL_venue` so the markets stay apart. Same recording ⇒ same bytes.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use cascade_sim::metrics::{PositionSide, Recording};
use cascade_watch::{AggTrade, ForceOrder, MarkPrice, Side, StreamEvent};
use rust_decimal::Decimal;

use super::format::format_event;
use crate::IoError;
use crate::files::write_atomic;

/// The stream symbol of each (venue, instrument) of the recording.
#[must_use]
pub fn stream_symbols(rec: &Recording) -> BTreeMap<(String, String), String> {
    let markets: Vec<(String, String)> =
        rec.summary.instruments.iter().map(|m| (m.venue.clone(), m.instrument.clone())).collect();
    let clash = markets.iter().enumerate().any(|(i, a)| markets[..i].iter().any(|b| b.1 == a.1));
    markets
        .into_iter()
        .map(|(v, s)| {
            let name = if clash { format!("{s}_{v}") } else { s.clone() };
            ((v, s), name)
        })
        .collect()
}

/// The run's events in stream order (see the module documentation).
#[must_use]
pub fn recording_events(rec: &Recording, start_ms: u64) -> Vec<StreamEvent> {
    let symbols = stream_symbols(rec);
    let symbol = |v: &str, s: &str| {
        symbols.get(&(v.to_string(), s.to_string())).cloned().unwrap_or_else(|| s.to_string())
    };
    let mut keyed: Vec<(u64, u8, usize, StreamEvent)> =
        Vec::with_capacity(rec.liquidations.len() + 2 * rec.series.len());
    // Orders that a stream could not tell apart, by (time, symbol, side, price, average).
    let mut same: BTreeMap<(u64, String, Side, Decimal, Decimal), usize> = BTreeMap::new();
    for l in &rec.liquidations {
        let t = start_ms.saturating_add(l.time_ms);
        let side = match l.side {
            PositionSide::Long => Side::Sell,
            PositionSide::Short => Side::Buy,
        };
        let price = l.bankruptcy_price.unwrap_or(l.price);
        let key = (t, symbol(&l.venue, &l.instrument), side, price, l.price);
        if let Some(&i) = same.get(&key) {
            if let StreamEvent::ForceOrder(f) = &mut keyed[i].3 {
                f.qty += l.qty;
                f.last_filled_qty += l.qty;
                f.filled_qty += l.qty;
            }
            continue;
        }
        same.insert(key, keyed.len());
        let e = StreamEvent::ForceOrder(ForceOrder {
            event_time: t,
            symbol: symbol(&l.venue, &l.instrument),
            side,
            order_type: "LIMIT".into(),
            time_in_force: "IOC".into(),
            qty: l.qty,
            price,
            avg_price: l.price,
            status: "FILLED".into(),
            last_filled_qty: l.qty,
            filled_qty: l.qty,
            trade_time: t,
        });
        keyed.push((t, 0, keyed.len(), e));
    }
    // Per market: aggregates so far, trades so far, previous last price.
    let mut tape: BTreeMap<(&str, &str), (u64, u64, Option<Decimal>)> = BTreeMap::new();
    for r in &rec.series {
        let t = start_ms.saturating_add(r.time_ms);
        let sym = symbol(&r.venue, &r.instrument);
        let st = tape.entry((&r.venue, &r.instrument)).or_insert((0, 0, None));
        if let Some(last) = r.last.filter(|_| r.trades > 0 && r.volume > Decimal::ZERO) {
            st.0 += 1;
            let e = StreamEvent::AggTrade(AggTrade {
                event_time: t,
                symbol: sym.clone(),
                id: st.0,
                price: last,
                qty: r.volume,
                first_trade_id: st.1 + 1,
                last_trade_id: st.1 + r.trades,
                trade_time: t,
                buyer_is_maker: st.2.is_some_and(|p| last < p),
            });
            st.1 += r.trades;
            st.2 = Some(last);
            keyed.push((t, 1, keyed.len(), e));
        }
        if let Some(mark) = r.mark {
            let e = StreamEvent::MarkPrice(MarkPrice {
                event_time: t,
                symbol: sym,
                mark,
                index: r.index,
                settle_estimate: None,
                funding_rate: r.funding_rate,
                next_funding_time: None,
            });
            keyed.push((t, 2, keyed.len(), e));
        }
    }
    keyed.sort_by_key(|k| (k.0, k.1, k.2));
    keyed.into_iter().map(|k| k.3).collect()
}

/// Writes the run's events to `path` as JSON lines (atomically: a temporary file renamed into
/// place) and returns how many were written.
///
/// # Errors
/// [`IoError::File`] naming the path when it cannot be written.
pub fn write_stream(path: &Path, rec: &Recording, start_ms: u64) -> Result<u64, IoError> {
    let events = recording_events(rec, start_ms);
    write_atomic(path, |p, w| {
        let mut line = String::with_capacity(256);
        for e in &events {
            line.clear();
            format_event(e, &mut line);
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(|source| IoError::File {
                path: p.to_path_buf(),
                action: "writing",
                source,
            })?;
        }
        Ok(())
    })?;
    Ok(events.len() as u64)
}
