#!/usr/bin/env bash
# Sweep benchmark: 1,000 reduced runs of the built-in default scenario (seeds 1..1000, no
# parameter swept) with 1 and then 2 worker threads; prints runs/s of each and the scaling.
#
# The reduction (set in the generated sweep file, as `cascade run --set` would):
#   population.accounts 30000 → 1000, run.duration_s 3600 → 300, the -5% news shock at 120 s
#   for 60 s (default: at 1800 s for 300 s), no counterfactual run (amplification left empty).
#
# Usage: scripts/bench_sweep.sh [RUNS]   (default 1000; measure on an idle machine: uptime < 1)
# Checks that both sweeps wrote byte-identical runs.parquet (results do not depend on threads).
set -euo pipefail
RUNS="${1:-1000}"
cd "$(dirname "$0")/.."
cargo build --release --locked -p cascade-cli >&2
BIN="${CARGO_TARGET_DIR:-target}/release/cascade"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/bench.toml" <<TOML
name = "bench"
seeds = { count = $RUNS, start = 1 }
counterfactual = false
[set]
"population.accounts" = 1000
"run.duration_s" = 300
"shocks[0].at_s" = 120
"shocks[0].duration_s" = 60
TOML
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
declare -A RATE
for t in 1 2; do
    start=$(date +%s.%N)
    "$BIN" sweep "$WORK/bench.toml" --out "$WORK/t$t" --threads "$t" > /dev/null
    end=$(date +%s.%N)
    RATE[$t]=$(echo "$RUNS / ($end - $start)" | bc -l)
    printf 'threads %d: %d runs in %.1f s = %.2f runs/s\n' "$t" "$RUNS" "$(echo "$end - $start" | bc -l)" "${RATE[$t]}"
done
cmp "$WORK/t1/runs.parquet" "$WORK/t2/runs.parquet" && echo "runs.parquet identical on 1 and 2 threads"
printf 'scaling 2 vs 1 thread: %.2fx (target >= 1.8x)\n' "$(echo "${RATE[2]} / ${RATE[1]}" | bc -l)"
