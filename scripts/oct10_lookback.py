#!/usr/bin/env python3
"""Cut the week before 10 Oct 2025 20:45 UTC out of Binance USD-M 5-minute klines, as 15-minute
bars, for the population look-back of scenarios/oct-10-2025.toml (`[[assets]] lookback_path`).

Usage: oct10_lookback.py DATA_DIR OUT_DIR

DATA_DIR/binance_um_5m/<SYM>USDT_5m*.csv: Binance USD-M perp 5-minute klines (REST /fapi/v1/klines,
the same bars as data.binance.vision futures/um klines), columns timestamp(ms),open,high,low,close,
volume. Each output file OUT_DIR/<SYM>USDT-15m-2025-10-03_2045-10-10_2045.csv holds the 15-minute
bars opening from 3 Oct 20:45 to 10 Oct 20:30 UTC (672 bars; each = open of its first 5-minute bar,
max high, min low, close of its last, summed volume), columns timestamp,open,high,low,close,volume.
15-minute bars keep the files small; the look-back samples a point a minute, interpolated between
closes, so the shape of the week is what matters. Python 3 standard library only.
"""
import csv, datetime, glob, os, sys
from decimal import Decimal

SYMS = ["BTC", "ETH", "SOL", "BNB", "HYPE", "XRP", "LINK", "DOGE", "ADA", "AVAX", "ENA", "DOT", "WIF", "SUI"]
T0 = int(datetime.datetime(2025, 10, 10, 20, 45, tzinfo=datetime.timezone.utc).timestamp() * 1000)
FROM = T0 - 7 * 86400 * 1000
STEP5, STEP15 = 300_000, 900_000

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for sym in SYMS:
    src = sorted(glob.glob(os.path.join(data, "binance_um_5m", f"{sym}USDT_5m*.csv")))[0]
    bars = {}
    for r in csv.DictReader(open(src)):
        t = int(r["timestamp"])
        if FROM <= t < T0:
            bars[t] = r
    rows = []
    for t in range(FROM, T0, STEP15):
        parts = [bars[t + k * STEP5] for k in range(3)]  # KeyError = a missing bar: refuse
        rows.append([
            t, parts[0]["open"], max((p["high"] for p in parts), key=Decimal),
            min((p["low"] for p in parts), key=Decimal), parts[2]["close"],
            str(sum(Decimal(p["volume"]) for p in parts)),
        ])
    name = os.path.join(out, f"{sym}USDT-15m-2025-10-03_2045-10-10_2045.csv")
    with open(name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        w.writerows(rows)
    print(f"{name}: {len(rows)} bars, {rows[0][1]} -> {rows[-1][4]}")
