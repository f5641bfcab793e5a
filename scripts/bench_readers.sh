#!/usr/bin/env bash
# Exchange-reader throughput and memory: generates a Binance USD-M aggTrades CSV of SIZE_MB
# megabytes (default 1024) in a temporary directory (deleted on exit), reads it whole with
# `cascade data inspect --format binance-aggtrades` under /usr/bin/time -v, and prints rows/s,
# MB/s and the peak resident memory; then the same on a file 1/64 of the size, to show that
# memory does not grow with the file (the reader holds one record at a time), and that small
# file zipped (deflate, as data.binance.vision ships it; read as a stream, never unpacked).
#
# Usage: scripts/bench_readers.sh [SIZE_MB]   (measure on an idle machine: uptime < 1)
# CASCADE_BIN=path/to/cascade skips the release build.
set -euo pipefail
SIZE_MB="${1:-1024}"
cd "$(dirname "$0")/.."
if [ -z "${CASCADE_BIN:-}" ]; then
    cargo build --release --locked -p cascade-cli >&2
fi
BIN="${CASCADE_BIN:-${CARGO_TARGET_DIR:-target}/release/cascade}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Rows like the real archive's: ids counting up, prices near 104,000 with 0.1 tick, quantities
# with 3 decimals, ms times, both sides. About 75 bytes a row. (Integers through %.0f: mawk's %d
# stops at 2^31 - 1.)
gen() { # gen FILE BYTES
    awk -v target="$2" 'BEGIN {
        print "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker";
        id = 2900000000; tid = 6800000000; t = 1760131200000; bytes = 0; srand(42);
        while (bytes < target) {
            p = 104000 + int(rand() * 5000) / 10; q = (1 + int(rand() * 20000)) / 1000; n = 1 + int(rand() * 4);
            line = sprintf("%.0f,%.1f,%.3f,%.0f,%.0f,%.0f,%s", id, p, q, tid, tid + n - 1, t, (rand() < 0.5 ? "true" : "false"));
            print line; bytes += length(line) + 1; id++; tid += n; t += int(rand() * 6);
        }
    }' > "$1"
}

measure() { # measure FILE
    local f="$1" rows start end secs rss mb
    start=$(date +%s.%N)
    /usr/bin/time -v "$BIN" data inspect "$f" --format binance-aggtrades --json > "$WORK/out.json" 2> "$WORK/time.txt"
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    rows=$(grep -m1 '"rows":' "$WORK/out.json" | tr -dc '0-9')
    rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk -F': ' '{print $2}')
    mb=$(echo "$(stat -c %s "$f") / 1048576" | bc -l)
    printf '%7.1f MB, %9d rows: %7.2f s wall, %9.0f rows/s, %6.1f MB/s, peak RSS %5.1f MB\n' \
        "$mb" "$rows" "$secs" "$(echo "$rows / $secs" | bc -l)" "$(echo "$mb / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
SMALL=$(( SIZE_MB * 1024 * 1024 / 64 ))
BIG=$(( SIZE_MB * 1024 * 1024 ))
gen "$WORK/small-aggTrades.csv" "$SMALL"
measure "$WORK/small-aggTrades.csv"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED).write(sys.argv[2], "small-aggTrades.csv")' \
    "$WORK/small-aggTrades.zip" "$WORK/small-aggTrades.csv"
echo -n "zipped: " && measure "$WORK/small-aggTrades.zip"
rm -f "$WORK/small-aggTrades.csv" "$WORK/small-aggTrades.zip"
gen "$WORK/BTCUSDT-aggTrades-big.csv" "$BIG"
measure "$WORK/BTCUSDT-aggTrades-big.csv"
