//! Memory per resting order: a counting global allocator measures the heap the book holds for
//! 1,000,000 resting orders, plus the book value itself, and prints bytes per order.
//!
//! Two shapes: 1,000 accounts (the common case), and 1,000,000 accounts with one order each
//! (the per-account list heads cost 4 bytes per account id).
//!
//! Run: `cargo bench -p cascade-engine --bench book_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use cascade_engine::book::{AccountId, Book, NewOrder, Side};
use cascade_engine::num::{Price, Qty};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts the bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ORDERS: i64 = 1_000_000;

fn measure(label: &str, accounts: i64, orders_per_level: i64) {
    let before = LIVE.load(Relaxed);
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
    let heap = LIVE.load(Relaxed) - before;
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
