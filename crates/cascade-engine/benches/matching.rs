//! Matching-engine throughput.
//!
//! 1. `mix`: exchange-core's published order mix (≈82% move, 9% GTC place, 6% cancel, 3% IOC)
//!    on a book kept stationary at ≈1,000 resting orders over ≈750 price levels. The stream
//!    is generated beforehand (deterministic xorshift, by running it once on a scratch book so
//!    ids are known) and replayed on a fresh clone of the starting book each iteration; only
//!    the replay is timed.
//! 2. `deep_sweep/N`: a book of 1,000,000 resting orders (10 per level); market orders that
//!    sweep N = 1, 10, 100 whole levels. Only the sweeps are timed (`iter_custom`); the swept
//!    levels are refilled between timed batches.
//!
//! Run: `cargo bench -p cascade-engine --bench matching -- --warm-up-time 1 --measurement-time 3`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use cascade_engine::book::{AccountId, Book, BookEvent, NewOrder, OrderId, Side, TimeInForce};
use cascade_engine::num::{Price, Qty};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// xorshift64*: small, deterministic, good enough to draw benchmark streams.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy)]
enum Op {
    Place(NewOrder),
    Move(OrderId, Price, Qty),
    Cancel(OrderId),
    Ioc(NewOrder),
}

const CENTER: i64 = 1_000_000;
/// Price range per side, in ticks away from the centre: 500 orders drawn over 820 prices
/// occupy ≈375 distinct levels per side, ≈750 in all.
const RANGE: u64 = 820;
const TARGET: usize = 1_000;
const MIX_OPS: usize = 200_000;

fn side_price(rng: &mut Rng, side: Side) -> Price {
    let off = 1 + rng.below(RANGE) as i64;
    match side {
        Side::Buy => Price(CENTER - off),
        Side::Sell => Price(CENTER + off),
    }
}

fn random_side(rng: &mut Rng) -> Side {
    if rng.below(2) == 0 { Side::Buy } else { Side::Sell }
}

fn apply(book: &mut Book, op: &Op, ev: &mut Vec<BookEvent>) {
    ev.clear();
    // Results are checked while generating; the replay is identical.
    let _ = match *op {
        Op::Place(o) | Op::Ioc(o) => book.submit(o, ev).map(|_| ()),
        Op::Move(id, p, q) => book.amend(id, Some(p), q, ev).map(|_| ()),
        Op::Cancel(id) => book.cancel(id).map(|_| ()),
    };
}

/// The starting book and the op stream, plus the realised mix in percent.
fn mix_stream() -> (Book, Vec<Op>, [f64; 4]) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut book = Book::new(Price(1), Qty(1)).unwrap();
    let mut ev = Vec::new();
    let mut live: Vec<OrderId> = Vec::new();
    let mut pos: HashMap<OrderId, usize> = HashMap::new();
    let add = |live: &mut Vec<OrderId>, pos: &mut HashMap<OrderId, usize>, id| {
        pos.insert(id, live.len());
        live.push(id);
    };
    let remove = |live: &mut Vec<OrderId>, pos: &mut HashMap<OrderId, usize>, id| {
        if let Some(i) = pos.remove(&id) {
            live.swap_remove(i);
            if i < live.len() {
                pos.insert(live[i], i);
            }
        }
    };
    for _ in 0..TARGET {
        let side = random_side(&mut rng);
        let o = NewOrder::limit(
            AccountId(rng.below(1000) as u32),
            side,
            side_price(&mut rng, side),
            Qty(1 + rng.below(10) as i64),
        );
        let id = book.submit(o, &mut ev).unwrap().resting().unwrap();
        add(&mut live, &mut pos, id);
    }
    let start = book.clone();
    let mut ops = Vec::with_capacity(MIX_OPS);
    let mut kinds = [0usize; 4];
    while ops.len() < MIX_OPS {
        let r = rng.below(100);
        let mut kind = match r {
            0..82 => 0,
            82..91 => 1,
            91..97 => 2,
            _ => 3,
        };
        // Keep the book stationary around TARGET orders.
        if kind == 1 && live.len() > TARGET + 100 {
            kind = 2;
        } else if kind == 2 && live.len() < TARGET - 100 {
            kind = 1;
        }
        let op = match kind {
            0 => {
                let id = live[rng.below(live.len() as u64) as usize];
                let v = book.order(id).unwrap();
                Op::Move(id, side_price(&mut rng, v.side), v.remaining)
            }
            1 => {
                let side = random_side(&mut rng);
                Op::Place(NewOrder::limit(
                    AccountId(rng.below(1000) as u32),
                    side,
                    side_price(&mut rng, side),
                    Qty(1 + rng.below(10) as i64),
                ))
            }
            2 => Op::Cancel(live[rng.below(live.len() as u64) as usize]),
            _ => {
                let side = random_side(&mut rng);
                let best = book.best(side.opposite()).unwrap_or(Price(CENTER));
                let limit = match side {
                    Side::Buy => Price(best.0 + 2),
                    Side::Sell => Price(best.0 - 2),
                };
                Op::Ioc(
                    NewOrder::limit(
                        AccountId(rng.below(1000) as u32),
                        side,
                        limit,
                        Qty(1 + rng.below(10) as i64),
                    )
                    .with_tif(TimeInForce::Ioc),
                )
            }
        };
        kinds[kind] += 1;
        apply(&mut book, &op, &mut ev);
        match op {
            Op::Cancel(id) => remove(&mut live, &mut pos, id),
            Op::Place(_) => {
                if let Some(BookEvent::Placed { order, .. }) = ev.last() {
                    add(&mut live, &mut pos, *order);
                }
            }
            _ => {}
        }
        for e in &ev {
            if let BookEvent::Fill { maker_order, maker_remaining, .. } = *e {
                if maker_remaining.is_zero() {
                    remove(&mut live, &mut pos, maker_order);
                }
            }
        }
        ops.push(op);
    }
    // The replay must follow the same path.
    let mut replay = start.clone();
    for op in &ops {
        apply(&mut replay, op, &mut ev);
    }
    assert_eq!(replay.len(), book.len());
    assert_eq!(replay.len(), live.len());
    let pct = kinds.map(|k| 100.0 * k as f64 / MIX_OPS as f64);
    eprintln!(
        "mix: {} ops: move {:.1}% place {:.1}% cancel {:.1}% ioc {:.1}%; resting {} -> {}, levels {} -> {}",
        MIX_OPS,
        pct[0],
        pct[1],
        pct[2],
        pct[3],
        start.len(),
        book.len(),
        start.level_count(Side::Buy) + start.level_count(Side::Sell),
        book.level_count(Side::Buy) + book.level_count(Side::Sell),
    );
    (start, ops, pct)
}

fn mix(c: &mut Criterion) {
    let (start, ops, _) = mix_stream();
    let mut ev = Vec::with_capacity(64);
    let mut g = c.benchmark_group("mix");
    g.throughput(Throughput::Elements(ops.len() as u64));
    g.bench_function("exchange_core_mix", |b| {
        b.iter_batched(
            || start.clone(),
            |mut book| {
                for op in &ops {
                    apply(&mut book, op, &mut ev);
                }
                book
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

const DEEP_LEVELS_PER_SIDE: i64 = 50_000;
const ORDERS_PER_LEVEL: i64 = 10;
const ORDER_QTY: i64 = 10;

fn place_level(book: &mut Book, side: Side, price: Price, acct: &mut u32, ev: &mut Vec<BookEvent>) {
    for _ in 0..ORDERS_PER_LEVEL {
        *acct = (*acct + 1) % 100_000;
        ev.clear();
        book.submit(NewOrder::limit(AccountId(*acct), side, price, Qty(ORDER_QTY)), ev).unwrap();
    }
}

fn deep_sweep(c: &mut Criterion) {
    let mut book = Book::new(Price(1), Qty(1)).unwrap();
    let mut ev = Vec::with_capacity(4096);
    let mut acct = 0u32;
    for i in 0..DEEP_LEVELS_PER_SIDE {
        place_level(&mut book, Side::Buy, Price(CENTER - 1 - i), &mut acct, &mut ev);
        place_level(&mut book, Side::Sell, Price(CENTER + 1 + i), &mut acct, &mut ev);
    }
    assert_eq!(book.len(), 1_000_000);
    let mut g = c.benchmark_group("deep_sweep");
    g.throughput(Throughput::Elements(1));
    for levels in [1i64, 10, 100] {
        // Sweeps per timed batch: enough to dwarf the timer, few enough to stay near the top.
        let batch = (1000 / levels).clamp(10, 256);
        g.bench_function(format!("{levels}_levels"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = batch.min((iters - done) as i64);
                    let first = book.best_ask().unwrap();
                    let t = Instant::now();
                    for _ in 0..n {
                        ev.clear();
                        let out = book
                            .submit(
                                NewOrder::market(
                                    AccountId(999_999),
                                    Side::Buy,
                                    Qty(levels * ORDERS_PER_LEVEL * ORDER_QTY),
                                ),
                                &mut ev,
                            )
                            .unwrap();
                        black_box(out);
                    }
                    total += t.elapsed();
                    // Refill what was swept (untimed), so the book stays at 1,000,000 orders.
                    for p in first.0..first.0 + n * levels {
                        place_level(&mut book, Side::Sell, Price(p), &mut acct, &mut ev);
                    }
                    done += n as u64;
                }
                total
            });
        });
    }
    g.finish();
    assert_eq!(book.len(), 1_000_000);
}

criterion_group!(benches, mix, deep_sweep);
criterion_main!(benches);
