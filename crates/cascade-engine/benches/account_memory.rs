//! Memory per account holding one position, measured with a counting global allocator.
//!
//! Opens N accounts on one venue, funds each and gives each a one-lot position by trading against
//! a single market maker, then reports (bytes allocated and still live) / N. Everything an account
//! costs is counted: its ledger entry, its inline balance and position, and its per-account order
//! list head in the book. Target: at most 128 bytes per single-position account.
//!
//! Run: `cargo bench -p cascade-engine --bench account_memory`

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentSpec};
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

fn main() {
    let n: u32 = std::env::var("ACCOUNTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let usdt = AssetId(0);
    let mut v = Venue::new(VenueConfig::default());
    let btc = v.add_instrument(InstrumentSpec::linear("BTCUSDT", usdt, 1, 3)).expect("valid instrument");
    let mm = v.open_account().expect("account");
    v.deposit(mm, usdt, Cash::units(10_000_000_000).expect("fits")).expect("deposit");
    let mut ev = Vec::new();
    // The maker's single resting ask covers every account's one-lot buy.
    v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(1_000_000), Qty(i64::from(n) + 1)), &mut ev)
        .expect("quote");
    let before = counting_alloc::live();
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        let a = v.open_account().expect("account");
        v.deposit(a, usdt, Cash::units(1_000).expect("fits")).expect("deposit");
        ev.clear();
        v.place(a, btc, OrderRequest::market(Side::Buy, Qty(1)), &mut ev).expect("trade");
    }
    // Triggers are computed lazily before a liquidation pass; count them in.
    v.refresh_index().expect("index");
    let elapsed = t0.elapsed();
    let after = counting_alloc::live();
    v.check_invariants().expect("invariants");
    assert_eq!(v.open_interest(btc).expect("oi"), Qty(i64::from(n)));
    let per = (after - before) as f64 / f64::from(n);
    println!("accounts with one position: {n}");
    println!("live heap growth: {} bytes = {per:.1} bytes/account (target <= 128)", after - before);
    println!("size_of::<Account>() = {} bytes", std::mem::size_of::<cascade_engine::ledger::Account>());
    println!(
        "open+fund+trade: {:.0} ns/account ({:.2} M accounts/s)",
        elapsed.as_nanos() as f64 / f64::from(n),
        f64::from(n) / elapsed.as_secs_f64() / 1e6
    );
}
