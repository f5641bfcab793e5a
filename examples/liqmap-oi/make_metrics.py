"""Writes the SYNTHETIC open-interest file of this example (no real metrics file is available
here): Binance's metrics layout, one row every 5 minutes from 2025-10-08 00:00 to 2025-10-10
23:55 UTC, open interest rising slowly with a deterministic wobble and falling hard during the
real crash of 10 October 21:00-21:35 UTC. Prices come from the real 5-minute bars beside it.
Run: python3 make_metrics.py > BTCUSDT-metrics-synthetic-2025-10-08_10.csv"""
import math
from datetime import datetime, timedelta, timezone

start = datetime(2025, 10, 8, tzinfo=timezone.utc)
crash_a = datetime(2025, 10, 10, 21, 0, tzinfo=timezone.utc)
crash_b = datetime(2025, 10, 10, 21, 35, tzinfo=timezone.utc)
print("create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
      "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio")
oi = 90000.0
for k in range(3 * 288):
    t = start + timedelta(minutes=5 * k)
    if k > 0:
        if crash_a <= t <= crash_b:
            oi -= 1800.0
        else:
            oi += 6.0 + 40.0 * math.sin(k / 17.0) + 25.0 * math.cos(k / 5.3)
    taker = 1.0 + 0.35 * math.sin(k / 11.0)
    print(f"{t:%Y-%m-%d %H:%M:%S},BTCUSDT,{oi:.3f},{oi * 120000:.2f},1.80000000,1.70000000,"
          f"1.90000000,{taker:.8f}")
