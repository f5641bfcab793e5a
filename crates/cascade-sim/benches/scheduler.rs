//! Scheduler throughput: pop one event and schedule its successor, as the simulator does.
//!
//! Pending events: `periodic` streams that wake on fixed steps (100 ms, 1 s, 60 s, a quarter of
//! them each, like price steps, requotes and samples) plus 1,000 irregular wake-ups with random
//! waits (noise traders). Each popped event reschedules itself: a periodic one through
//! `schedule_step` (its lane) or, for the heap-only comparison, through `schedule_in` (the
//! heap, as before lanes); an irregular one always through `schedule_in`. 200,000 pops per
//! iteration; the order is the same in both modes, only the structure differs.
//!
//! Run: `cargo bench -p cascade-sim --bench scheduler -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use cascade_sim::scheduler::{Scheduler, SimTime};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const POPS: u64 = 200_000;
const IRREGULAR: u32 = 1_000;
const STEPS_US: [u64; 4] = [100_000, 1_000_000, 60_000_000, 100_000];

/// xorshift64*: deterministic waits for the irregular events.
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
}

/// Event payload: below `periodic` a periodic stream (its step is `STEPS_US[i % 4]`), above it
/// an irregular waiter.
fn queue(periodic: u32, lanes: bool) -> Scheduler<u32> {
    let mut q = Scheduler::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..periodic {
        let step = SimTime(STEPS_US[i as usize % 4]);
        if lanes {
            q.schedule_step(step, i);
        } else {
            q.schedule_in(step, i);
        }
    }
    for i in 0..IRREGULAR {
        q.schedule_in(SimTime(rng.next() % 20_000_000), periodic + i);
    }
    q
}

fn drive(mut q: Scheduler<u32>, periodic: u32, lanes: bool) -> u64 {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut sum = 0u64;
    for _ in 0..POPS {
        let Some(d) = q.pop() else { break };
        sum = sum.wrapping_add(d.id.0);
        if d.event < periodic {
            let step = SimTime(STEPS_US[d.event as usize % 4]);
            if lanes {
                q.schedule_step(step, d.event);
            } else {
                q.schedule_in(step, d.event);
            }
        } else {
            // Mean wait 10 s: 1,000 waiters wake ~100 times a second.
            q.schedule_in(SimTime(rng.next() % 20_000_000), d.event);
        }
    }
    sum
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.throughput(Throughput::Elements(POPS));
    for periodic in [4_u32, 1_000, 10_000] {
        for (name, lanes) in [("heap_only", false), ("lanes", true)] {
            g.bench_with_input(BenchmarkId::new(name, periodic), &periodic, |b, &p| {
                b.iter_batched(|| queue(p, lanes), |q| black_box(drive(q, p, lanes)), BatchSize::LargeInput);
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
