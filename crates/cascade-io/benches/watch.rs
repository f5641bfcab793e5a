//! `cascade watch`'s pipeline over a file: read JSON lines, parse them exactly, update the
//! indicators and emit the per-second snapshots — events per second, as the command does with
//! `--json` minus writing the output.
//!
//! The file: 600,000 events over 10 minutes of stream time, four symbols; each symbol each
//! second has one mark-price update, 240 aggregate trades and 9 liquidations
//! (1,000 events per second of stream time), prices following a deterministic walk.
//!
//! `cargo bench -p cascade-io --bench watch`

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Write as _};

use cascade_io::stream::{Polled, StreamReader};
use cascade_watch::{WatchConfig, Watcher};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SECONDS: u64 = 600;
const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];
const T0: u64 = 1_760_126_400_000;

/// Writes the file; returns the number of events.
fn generate(path: &std::path::Path) -> u64 {
    let mut w = std::io::BufWriter::new(File::create(path).unwrap());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut price = [1_000_000i64, 40_000, 2_000, 25]; // in tenths of a quote unit
    let mut id = [0u64; 4];
    let mut n = 0;
    let mut line = String::new();
    for s in 0..SECONDS {
        for (k, sym) in SYMBOLS.iter().enumerate() {
            let t = T0 + s * 1000;
            price[k] = (price[k] + (rnd() % 2001) as i64 / 1000 - 1).max(10);
            let p = |v: i64| format!("{}.{}", v / 10, v % 10);
            line.clear();
            let _ = write!(
                line,
                r#"{{"e":"markPriceUpdate","E":{t},"s":"{sym}","p":"{}","i":"{}","P":"{}","r":"0.00010000","T":{}}}"#,
                p(price[k]),
                p(price[k]),
                p(price[k]),
                T0 + 8 * 3_600_000
            );
            writeln!(w, "{line}").unwrap();
            n += 1;
            for j in 0..240u64 {
                id[k] += 1;
                let tt = t + j * 4;
                let _ = writeln!(
                    w,
                    r#"{{"e":"aggTrade","E":{tt},"s":"{sym}","a":{},"p":"{}","q":"{}.{:03}","f":{},"l":{},"T":{tt},"m":{}}}"#,
                    id[k],
                    p(price[k]),
                    rnd() % 5,
                    rnd() % 999 + 1,
                    id[k] * 3,
                    id[k] * 3 + 2,
                    rnd() % 2 == 0
                );
                n += 1;
            }
            for j in 0..9u64 {
                let tt = t + 100 * j + 7;
                let side = if rnd() % 3 == 0 { "BUY" } else { "SELL" };
                let _ = writeln!(
                    w,
                    r#"{{"e":"forceOrder","E":{tt},"o":{{"s":"{sym}","S":"{side}","o":"LIMIT","f":"IOC","q":"0.{:03}","p":"{}","ap":"{}","X":"FILLED","l":"0.{:03}","z":"0.{:03}","T":{tt}}}}}"#,
                    j + 1,
                    p(price[k] - 5),
                    p(price[k]),
                    j + 1,
                    j + 1
                );
                n += 1;
            }
        }
    }
    w.flush().unwrap();
    n
}

fn watch_file(path: &std::path::Path) -> (u64, u64) {
    let mut reader = StreamReader::new(BufReader::with_capacity(1 << 20, File::open(path).unwrap()));
    let mut watcher = Watcher::new(WatchConfig::default()).unwrap();
    let mut out = Vec::new();
    let mut snapshots = 0;
    loop {
        match reader.poll().unwrap() {
            Polled::Event(e) => {
                watcher.push(e, &mut out);
                snapshots += out.len() as u64;
                out.clear();
            }
            Polled::Skipped { .. } => panic!("the generated file has no bad line"),
            Polled::End => break,
        }
    }
    watcher.finish(&mut out);
    (watcher.counts().events, snapshots + out.len() as u64)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let n = generate(&path);
    let (events, outputs) = watch_file(&path);
    assert_eq!(events, n);
    assert!(outputs >= SECONDS * SYMBOLS.len() as u64);
    let mut g = c.benchmark_group("watch");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("file_600k_events", |b| b.iter(|| watch_file(&path)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
