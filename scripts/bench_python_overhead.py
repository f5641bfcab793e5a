"""Overhead of `cascade.run` (Python) over `cascade run` (the command) for the same scenario
and seed: both simulate the full built-in default scenario (main run + counterfactual) and write
the same run directory; the Python call also hands the three tables to pyarrow.

Usage (release binary and the package installed in the running interpreter):

    cargo build --release -p cascade-cli
    pip install ./python
    python scripts/bench_python_overhead.py [--reps 5] [--seed 42] [--cli target/release/cascade] [--force]

Runs alternate (CLI, Python, CLI, Python, …) after one warm-up of each, so drift in the
machine's load hits both alike; prints each wall time, the medians and the overhead
(median Python ÷ median CLI − 1; target ≤ 5%). Refuses to measure when the 1-minute load
average is 1.0 or more (a 2-core machine shared with builds gives meaningless figures) unless
--force.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cli", type=pathlib.Path, default=REPO / "target" / "release" / "cascade")
    ap.add_argument("--force", action="store_true", help="measure even when the load average is ≥ 1.0")
    args = ap.parse_args()

    load = os.getloadavg()[0]
    if load >= 1.0 and not args.force:
        print(f"load average {load:.2f} ≥ 1.0: not measuring (use --force to measure anyway)")
        return 2
    if not args.cli.is_file():
        print(f"{args.cli}: no such binary (cargo build --release -p cascade-cli)")
        return 2
    import cascade

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="cascade-bench-"))

    def cli() -> float:
        t = time.perf_counter()
        subprocess.run(
            [args.cli, "run", "--seed", str(args.seed), "--out", tmp / "cli", "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - t

    def py() -> float:
        t = time.perf_counter()
        cascade.run(seed=args.seed, out=tmp / "py")
        return time.perf_counter() - t

    print(f"load average at start {load:.2f}; warm-up …")
    cli(), py()
    times: dict[str, list[float]] = {"cli": [], "python": []}
    for i in range(args.reps):
        times["cli"].append(cli())
        times["python"].append(py())
        print(f"rep {i + 1}: cli {times['cli'][-1]:.3f} s, python {times['python'][-1]:.3f} s")
    # Same scenario and seed ⇒ the same files (the Python call writes what the command writes).
    for name in ("summary.json", "series.parquet", "liquidations.csv"):
        if (tmp / "cli" / name).read_bytes() != (tmp / "py" / name).read_bytes():
            print(f"MISMATCH: {name} differs between the command and the Python call")
            return 1
    c, p = statistics.median(times["cli"]), statistics.median(times["python"])
    print(f"median: cli {c:.3f} s, python {p:.3f} s; overhead {100 * (p / c - 1):+.2f}% (target ≤ 5%)")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
