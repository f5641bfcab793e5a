#!/usr/bin/env bash
# Fuzz targets of issue 16 (cargo-fuzz, libFuzzer). Needs `cargo install cargo-fuzz --locked`.
#
#   scripts/fuzz.sh seed                 # (re)build the seed corpora in fuzz/corpus/TARGET
#   scripts/fuzz.sh run TARGET [SECONDS] # fuzz one target (default 960 s), log in fuzz/logs/
#   scripts/fuzz.sh all [SECONDS]        # every target in turn
#   scripts/fuzz.sh repro TARGET FILE    # run one input (a crash artifact) through a target
#
# Targets: scenario_toml calc_json liqmap_csv run_dir engine_ops.
# On stable Rust the sanitizer runtime is missing: the default is `-s none` (coverage-guided,
# debug assertions and overflow checks on, no AddressSanitizer; all the code is safe Rust).
# With RUSTC_BOOTSTRAP=1 in the environment and FUZZ_SANITIZER=address, ASan is used instead.
# Runs at nice 19; findings go to fuzz/artifacts/TARGET/ (minimise with `cargo fuzz tmin`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
TARGETS=(scenario_toml calc_json liqmap_csv run_dir engine_ops)
SAN=${FUZZ_SANITIZER:-none}

seed() {
    local root=..
    mkdir -p corpus/{scenario_toml,calc_json,liqmap_csv,run_dir,engine_ops}
    find "$root"/scenarios "$root"/tests/corpus -name '*.toml' ! -name EXPECTED.toml -exec cp {} corpus/scenario_toml/ \;
    cp "$root"/examples/calc/*.json "$root"/tests/corpus/calc-*.json corpus/calc_json/
    cp "$root"/examples/liqmap/positions.csv "$root"/tests/corpus/liqmap-*.csv corpus/liqmap_csv/
    # A real run directory, cut into the run_dir target's input format (flags byte, then the
    # files joined by "\n--8<--\n"): as written (flags 0) and with a fresh manifest (flags 1).
    local cascade=${CASCADE_BIN:-../target/release/cascade}
    if [ -x "$cascade" ]; then
        local tmp
        tmp=$(mktemp -d)
        "$cascade" run "$root"/tests/corpus/scenario-valid.toml --no-counterfactual --out "$tmp/run" >/dev/null 2>&1
        for flags in 0 1 3; do
            python3 - "$tmp/run" "$flags" > "corpus/run_dir/real-run-$flags" <<'PY'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
names = ["series.csv", "liquidations.csv", "adl.csv", "summary.json", "manifest.json"]
sys.stdout.buffer.write(bytes([int(sys.argv[2])]) + b"\n--8<--\n".join((d / n).read_bytes() for n in names))
PY
        done
        rm -rf "$tmp"
    else
        echo "no $cascade: build it (cargo build --release -p cascade-cli) for the run_dir seeds" >&2
    fi
}

run() {
    local target=$1 secs=${2:-960}
    mkdir -p logs "artifacts/$target" "corpus/$target"
    local dict=()
    [ -f "dicts/$target.dict" ] && dict=(-dict="dicts/$target.dict")
    nice -n 19 cargo fuzz run -s "$SAN" "$target" "corpus/$target" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 "${dict[@]}" \
        2>&1 | tee "logs/$target-$(date -u +%Y%m%dT%H%M%S).log"
}

case "${1:-}" in
    seed) seed ;;
    run) run "$2" "${3:-960}" ;;
    all) for t in "${TARGETS[@]}"; do run "$t" "${2:-960}"; done ;;
    repro) cargo fuzz run -s "$SAN" "$2" "$3" ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
esac
