//! Memory per resting order: a counting global allocator measures the heap the book holds for
//! 1,000,000 resting orders, plus the book value itself, and prints bytes per order.
//!
//! Two shapes: 1,000 accounts (the common case), and 1,000,000 accounts with one order each
//! (the per-account list heads cost 4 bytes per account id).
//!
//! Run: `cargo bench -p cascade-engine --bench book_memory`

use cascade_engine::book::{AccountId, Book, NewOrder, Side};
use cascade_engine::num::{Price, Qty};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

const ORDERS: i64 = 1_000_000;

fn measure(label: &str, accounts: i64, orders_per_level: i64) {
    let before = counting_alloc::live();
    let mut book = Book::new(Price(1), Qty(1)).unwrap();
    let mut ev = Vec::new();
    let levels_per_side = ORDERS / 2 / orders_per_level;
    for i in 0..ORDERS {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let level = (i / 2) % levels_per_side;
        let price = match side {
            Side::Buy => Price(1_000_000 - 1 - level),
            Side::Sell => Price(1_000_000 + 1 + level),
        };
        let acct = AccountId((i % accounts) as u32);
        book.submit(NewOrder::limit(acct, side, price, Qty(1 + i % 7)), &mut ev).unwrap();
        ev.clear();
    }
    drop(ev);
    assert_eq!(book.len(), ORDERS as usize);
    let heap = counting_alloc::live() - before;
    let inline = std::mem::size_of::<Book>() as isize;
    println!(
        "{label}: {} orders, {} levels, {} accounts: heap {} B + inline {} B = {:.1} bytes/order",
        book.len(),
        book.level_count(Side::Buy) + book.level_count(Side::Sell),
        accounts,
        heap,
        inline,
        (heap + inline) as f64 / ORDERS as f64
    );
    drop(book);
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    measure("1k accounts, 10 orders/level", 1_000, 10);
    measure("1M accounts, 10 orders/level", 1_000_000, 10);
    measure("1k accounts, 1 order/level ", 1_000, 1);
}
