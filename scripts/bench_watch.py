#!/usr/bin/env python3
"""End-to-end throughput of `cascade watch` from a file: writes a synthetic Binance stream
(four symbols; per symbol and second one markPriceUpdate, 240 aggTrades, 9 forceOrders: 1,000
events per second of stream time), times `cascade watch --json --every 3600 FILE > /dev/null`
and prints events per second. The file is deleted afterwards.

Usage: scripts/bench_watch.py [--binary target/release/cascade] [--seconds 2000] [--runs 3]
"""
import argparse
import os
import random
import subprocess
import tempfile
import time

T0 = 1_760_126_400_000
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]


def generate(path, seconds):
    rnd = random.Random(7)
    price = [1_000_000, 40_000, 2_000, 25]  # tenths
    ids = [0] * 4
    n = 0
    fmt = lambda v: f"{v // 10}.{v % 10}"
    with open(path, "w") as f:
        for s in range(seconds):
            t = T0 + s * 1000
            for k, sym in enumerate(SYMBOLS):
                price[k] = max(10, price[k] + rnd.randint(-1, 1))
                p = fmt(price[k])
                out = [f'{{"e":"markPriceUpdate","E":{t},"s":"{sym}","p":"{p}","i":"{p}","P":"{p}","r":"0.00010000","T":{T0 + 28_800_000}}}']
                for j in range(240):
                    ids[k] += 1
                    tt = t + j * 4
                    out.append(
                        f'{{"e":"aggTrade","E":{tt},"s":"{sym}","a":{ids[k]},"p":"{p}","q":"{rnd.randint(0, 4)}.{rnd.randint(1, 999):03}",'
                        f'"f":{ids[k] * 3},"l":{ids[k] * 3 + 2},"T":{tt},"m":{"true" if rnd.random() < 0.5 else "false"}}}'
                    )
                for j in range(9):
                    tt = t + 100 * j + 7
                    side = "BUY" if rnd.random() < 1 / 3 else "SELL"
                    out.append(
                        f'{{"e":"forceOrder","E":{tt},"o":{{"s":"{sym}","S":"{side}","o":"LIMIT","f":"IOC","q":"0.{j + 1:03}",'
                        f'"p":"{fmt(price[k] - 5)}","ap":"{p}","X":"FILLED","l":"0.{j + 1:03}","z":"0.{j + 1:03}","T":{tt}}}}}'
                    )
                f.write("\n".join(out) + "\n")
                n += len(out)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/cascade")
    ap.add_argument("--seconds", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "events.jsonl")
        n = generate(path, a.seconds)
        size = os.path.getsize(path)
        print(f"{n} events, {size / 1e6:.0f} MB")
        best = None
        for _ in range(a.runs):
            start = time.perf_counter()
            subprocess.run([a.binary, "watch", "--json", "--every", "3600", path], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - start
            best = dt if best is None else min(best, dt)
            print(f"  {dt:.3f} s: {n / dt / 1e6:.2f} M events/s")
        print(f"best: {n / best / 1e6:.2f} M events/s ({size / best / 1e6:.0f} MB/s)")


if __name__ == "__main__":
    main()
