//! Order flow through the whole venue (validation, initial-margin check, matching, fills,
//! fees, positions, ledger, liquidation-index upkeep): the per-event cost the simulator pays.
//!
//! Two market makers requote a 10-level ladder (cancel-all + 20 limits) every 50 events;
//! 1,000 noise accounts send small market orders; the mark follows the last price every 100
//! events (running the liquidation pass). Prints operations per second.
//!
//! Run: `cargo bench -p cascade-engine --bench venue_flow`

use std::time::Instant;

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentSpec};
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig};

fn main() {
    let usdt = AssetId(0);
    let mut v = Venue::new(VenueConfig::default());
    let ins = v.add_instrument(InstrumentSpec::linear("BTCUSDT", usdt, 1, 3)).expect("instrument");
    let makers: Vec<_> = (0..2)
        .map(|_| {
            let a = v.open_account().expect("account");
            v.deposit(a, usdt, Cash::units(1_000_000_000).expect("fits")).expect("deposit");
            a
        })
        .collect();
    let noise: Vec<_> = (0..1_000)
        .map(|_| {
            let a = v.open_account().expect("account");
            v.deposit(a, usdt, Cash::units(100_000).expect("fits")).expect("deposit");
            a
        })
        .collect();
    let mut ev = Vec::new();
    let mut mid: i64 = 1_000_000;
    v.set_mark_price(ins, Price(mid), &mut ev).expect("mark");
    // xorshift: deterministic and not timed separately (a few ns per draw).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let events = 1_000_000u64;
    let mut ops = 0u64;
    let t = Instant::now();
    for e in 0..events {
        if e % 50 == 0 {
            for (k, m) in makers.iter().enumerate() {
                ev.clear();
                v.cancel_all(*m, ins, &mut ev).expect("cancel");
                ops += 1;
                for l in 1..=10 {
                    let off = l * 5 + k as i64;
                    for (side, px) in [(Side::Buy, mid - off), (Side::Sell, mid + off)] {
                        ev.clear();
                        let _ = v.place(*m, ins, OrderRequest::limit(side, Price(px), Qty(200)), &mut ev);
                        ops += 1;
                    }
                }
            }
        }
        let r = rnd();
        let a = noise[(r % 1_000) as usize];
        let side = if (r >> 20) & 1 == 0 { Side::Buy } else { Side::Sell };
        ev.clear();
        let _ = v.place(a, ins, OrderRequest::market(side, Qty(1 + ((r >> 24) % 20) as i64)), &mut ev);
        ops += 1;
        if e % 100 == 0 {
            if let Some(last) = v.last_price(ins).expect("last") {
                mid = last.0;
            }
            ev.clear();
            v.set_mark_price(ins, Price(mid), &mut ev).expect("mark");
            ops += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    v.check_invariants().expect("invariants");
    println!(
        "venue flow: {ops} operations ({events} noise orders) in {secs:.3} s = {:.2} M ops/s, {:.0} ns/op",
        ops as f64 / secs / 1e6,
        secs * 1e9 / ops as f64
    );
}
