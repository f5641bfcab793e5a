//! Recognises an event seen before: the same symbol, kind, time and identifying fields.
//!
//! Keys are kept for as long as an event can still be admitted (the window's horizon), in a
//! `BTreeSet` ordered by time so the oldest are dropped first; membership is all that is ever
//! asked, so nothing depends on a hash order.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::event::StreamEvent;

/// Keys of the events of one symbol within the horizon.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dedupe {
    seen: BTreeSet<(u64, u8, u64)>,
}

/// FNV-1a over the words given: a fixed, platform-independent hash.
fn fnv(words: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn dec(d: Decimal) -> [u64; 2] {
    let n = d.normalize();
    let m = n.mantissa();
    [m as u64 ^ ((m >> 64) as u64), u64::from(n.scale())]
}

/// The key of an event: aggregate trades by their id (unique per symbol), liquidations by
/// side, prices and quantities, marks by their price, each with its time.
fn key(e: &StreamEvent) -> (u64, u8, u64) {
    match e {
        StreamEvent::AggTrade(t) => (t.trade_time, 1, t.id),
        StreamEvent::ForceOrder(f) => {
            let [a, b] = dec(f.price);
            let [c, d] = dec(f.avg_price);
            let [g, h] = dec(f.filled_qty);
            let [i, j] = dec(f.qty);
            (f.trade_time, 0, fnv(&[f.side as u64, a, b, c, d, g, h, i, j]))
        }
        StreamEvent::MarkPrice(m) => {
            let [a, b] = dec(m.mark);
            (m.event_time, 2, fnv(&[a, b]))
        }
    }
}

impl Dedupe {
    /// Records the event; `false` if it was already seen.
    pub fn insert(&mut self, e: &StreamEvent) -> bool {
        self.seen.insert(key(e))
    }

    /// Forgets events before `cut_ms`.
    pub fn forget_before(&mut self, cut_ms: u64) {
        while self.seen.first().is_some_and(|k| k.0 < cut_ms) {
            self.seen.pop_first();
        }
    }
}
