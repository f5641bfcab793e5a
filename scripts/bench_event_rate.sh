#!/usr/bin/env bash
# Simulator event rate on the RMSC04-like calm day (`scenarios/bench/rmsc04.toml`: 1 venue,
# 2 makers, 100 value and 1,000 noise traders, 6.5 h, 1,737,350 scheduler events), main run
# only (`--no-counterfactual`), one core. An event is one scheduler pop: a noise or value
# trader's order, a maker's requote of its ladder, a price step (mark update and liquidation
# pass) or a metrics sample; ABIDES counts messages between agents instead.
#
# Usage: scripts/bench_event_rate.sh [REPS] BIN [BIN2 ...]
#   Runs each binary REPS times (default 3), interleaved (BIN, BIN2, BIN, BIN2, …) so that load
#   from other work hits them alike, and prints per run the events, wall and user CPU seconds
#   and M events/s by both; `uptime` before and after shows the load. Wall figures are only
#   comparable at the same load; user CPU is steadier. For a load-independent count, run
#   `valgrind --tool=callgrind BIN run scenarios/bench/rmsc04.toml --no-counterfactual
#   --set run.duration_s=2340 --out DIR` (instructions, a tenth of the day).
set -euo pipefail
REPS=3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then REPS="$1"; shift; fi
if [ $# -eq 0 ]; then
    echo "usage: $0 [REPS] BIN [BIN2 ...]" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
uptime
for _ in $(seq "$REPS"); do
    for bin in "$@"; do
        /usr/bin/time -f "%e %U" -o "$WORK/time" "$bin" run scenarios/bench/rmsc04.toml \
            --no-counterfactual --out "$WORK/out" >/dev/null 2>"$WORK/err"
        # The last progress line names the events of the run: "run: …, N events, R events/s".
        events=$(grep '^run:' "$WORK/err" | tail -1 | sed -E 's/.*, ([0-9]+) events,.*/\1/')
        read -r wall user <"$WORK/time"
        awk -v b="$bin" -v e="$events" -v w="$wall" -v u="$user" 'BEGIN {
            printf "%s: %d events, %.2f s wall (%.2f M/s), %.2f s user (%.2f M/s)\n",
                b, e, w, e / w / 1e6, u, e / u / 1e6 }'
        rm -rf "$WORK/out"
    done
done
uptime
