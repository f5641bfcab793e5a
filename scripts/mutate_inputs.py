#!/usr/bin/env python3
"""Mutation re-run of issue 16: hostile inputs to the release `cascade` binary, tallied.

For each input kind (`run` on scenario TOML, `calc` on JSON, `liqmap` on a positions CSV,
`report` on run directories) it derives N mutations from the valid inputs in the repository
(byte flips, truncation, lines duplicated / deleted / swapped, numbers replaced by extremes,
keys renamed; for run directories also files deleted, emptied, cut at a row boundary or
swapped in from another run) and runs the binary on each with a 30 s timeout and an 8 GiB
address-space limit. Every outcome lands in one class:

  ok           exit 0 (and, for `report`, the directory was unchanged or the change is not
               one the manifest covers)
  named        exit 2, the message names a field, line, row or file
  unnamed      exit 2, the message names none of them
  panic        exit 101 or "panicked" in stderr
  signal       killed by a signal (stack overflow, out of memory)
  timeout      still running after the timeout
  other        any other exit code
  silent       exit 0 where the mutation must be refused: `report` on a directory whose
               verified files changed; `run`/`calc`/`liqmap` with a number replaced by a value
               no field can hold (1e30, 2^64, a 38-digit number, NaN, inf)

Usage: scripts/mutate_inputs.py [--bin target/release/cascade] [--per-kind 1000]
       [--kinds run,calc,liqmap,report] [--jobs 2] [--seed 16] [--json results.json]
Python 3 standard library only. Deterministic for a given seed.
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 30
ADDRESS_SPACE = 8 << 30

# Values a number is replaced by; the first five fit no field of any input (silent if accepted).
IMPOSSIBLE = ["1e30", "18446744073709551616", "9" * 38, "NaN", "inf"]
EXTREMES = IMPOSSIBLE + ["0", "-1", "65535", "4294967295", "-0.0", "0." + "0" * 29 + "1", "1.5", '""', ""]

NUMBER = re.compile(rb"-?(?<![A-Za-z0-9_])\d[\d._eE]*")
KEY = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?=\s*=|\":)")


def mutate_text(data: bytes, rng: random.Random):
    """One to three edits; returns the bytes and the edits made (impossible numbers marked)."""
    edits = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "truncate", "dup", "del", "swap", "number", "number", "number", "key", "key"])
        lines = data.split(b"\n")
        if kind == "flip" and data:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ rng.randint(1, 255)]) + data[i + 1:]
        elif kind == "truncate":
            data = data[: rng.randint(0, len(data))]
        elif kind == "dup":
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
            data = b"\n".join(lines)
        elif kind == "del":
            del lines[rng.randrange(len(lines))]
            data = b"\n".join(lines)
        elif kind == "swap":
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            data = b"\n".join(lines)
        elif kind == "number":
            found = list(NUMBER.finditer(data))
            if found:
                m = rng.choice(found)
                value = rng.choice(EXTREMES)
                data = data[: m.start()] + value.encode() + data[m.end():]
                kind = f"number={value}"
        elif kind == "key":
            found = list(KEY.finditer(data))
            if not found:  # CSV: a header cell (first line that is not a comment)
                header = next((i for i, l in enumerate(lines) if not l.startswith(b"#")), None)
                if header is not None:
                    cells = lines[header].split(b",")
                    c = rng.randrange(len(cells))
                    cells[c] += b"x"
                    lines[header] = b",".join(cells)
                    data = b"\n".join(lines)
            else:
                m = rng.choice(found)
                data = data[: m.end()] + b"x" + data[m.end():]
        edits.append(kind)
    return data, edits


def in_a_value(data: bytes, token: str) -> bool:
    """Whether `token` is still in the text as (part of) a value: not on a comment line, not
    after a `#` on its line, not in a name or description, not cut away by a later edit."""
    for line in data.decode("utf-8", "replace").splitlines():
        if token not in line or line.lstrip().startswith("#"):
            continue
        if "#" in line and line.index("#") < line.index(token):
            continue
        key = re.split(r"\s*[=:]", line.strip().strip('{"'), maxsplit=1)[0].strip('" ')
        if key in ("name", "description", "symbol", "venue", "scenario"):
            continue
        return True
    return False


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.setsid()


def execute(argv, cwd):
    start = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=TIMEOUT_S, preexec_fn=limits)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), time.monotonic() - start
    except subprocess.TimeoutExpired as e:
        # The child runs in its own session; kill that group only.
        return None, "", (e.stderr or b"").decode("utf-8", "replace"), time.monotonic() - start


# What "names where" means for each command, in its error text (the input path replaced by FILE).
NAMED = {
    "run": re.compile(r"FILE:\d+|line \d+|\b[a-z_]+(\[\d+\])?\.[a-z_]+\b|\b(run|assets|venues|makers|population|policy|shocks|noise|arbitrageurs|hedgers|herds)\b"),
    "calc": re.compile(r"^error: ([a-z_]+(\[\d+\])?(\.[a-z_]+)*|input): |line \d+,? column \d+|levels deep", re.M),
    "liqmap": re.compile(r"row \d+|line \d+|column `|header|FILE: "),
    "report": re.compile(r"(series|liquidations|adl)\.(csv|parquet)|summary\.json|manifest\.json|scenario\.toml|row \d+|line \d+|FILE"),
}


def classify(kind, code, stderr, must_refuse):
    if code is None:
        return "timeout"
    if code == 101 or "panicked" in stderr:
        return "panic"
    if code < 0:
        return "signal"
    if code == 0:
        return "silent" if must_refuse else "ok"
    if code == 2:
        return "named" if NAMED[kind].search(stderr) else "unnamed"
    return "other"


def run_case(case):
    kind, idx, work, bin_path, payload = case
    tmp = Path(tempfile.mkdtemp(prefix=f"{kind}-{idx}-", dir=work))
    try:
        must_refuse = False
        edits = []
        if kind in ("run", "calc", "liqmap"):
            src, data, edits = payload
            ext = {"run": ".toml", "calc": ".json", "liqmap": ".csv"}[kind]
            f = tmp / f"input{ext}"
            f.write_bytes(data)
            argv = {
                "run": [bin_path, "run", str(f), "--no-counterfactual", "--out", str(tmp / "out")],
                "calc": [bin_path, "calc", str(f)],
                "liqmap": [bin_path, "liqmap", str(f), "--out", str(tmp / "out")],
            }[kind]
            must_refuse = any(
                e.startswith("number=") and e[7:] in IMPOSSIBLE and in_a_value(data, e[7:]) for e in edits
            )
            target = str(f)
        else:
            base, how, name, data, changed = payload
            run = tmp / "run"
            shutil.copytree(base, run)
            edits = [how, name]
            if how == "delete":
                (run / name).unlink()
            else:
                (run / name).write_bytes(data)
            must_refuse = changed
            argv = [bin_path, "report", str(run), "--no-png", "--out", str(tmp / "report")]
            target = str(run)
        code, out, err, secs = execute(argv, tmp)
        err = err.replace(target, "FILE")
        cls = classify(kind, code, err, must_refuse)
        sample = None
        if cls not in ("ok", "named"):
            keep = work / "findings" / f"{kind}-{idx}-{cls}"
            keep.mkdir(parents=True, exist_ok=True)
            if kind == "report":
                shutil.copytree(tmp / "run", keep / "run", dirs_exist_ok=True)
            else:
                shutil.copy(f, keep / f.name)
            (keep / "stderr.txt").write_text(err)
            (keep / "edits.txt").write_text(" ".join(edits) + "\n")
            sample = str(keep)
        return kind, cls, secs, edits, err.strip().splitlines()[-1:] if err.strip() else [], sample
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def text_cases(kind, sources, n, rng):
    seeds = [(s, s.read_bytes()) for s in sources]
    for i in range(n):
        src, data = rng.choice(seeds)
        mutated, edits = mutate_text(data, rng)
        yield (kind, i, (src, mutated, edits))


def report_cases(base, other, n, rng):
    """Mutations of a run directory: a file's bytes mutated, deleted, emptied, cut at a row
    boundary, or replaced by the same file of another run (another seed)."""
    manifest = json.loads((base / "manifest.json").read_text())
    verified = [f["name"] for f in manifest["files"]]
    names = verified + ["manifest.json"]
    for i in range(n):
        name = rng.choice(names)
        original = (base / name).read_bytes()
        how = rng.choice(["mutate", "mutate", "mutate", "delete", "empty", "rows", "other"])
        if how == "mutate":
            if name.endswith(".parquet"):
                data = bytearray(original)
                for _ in range(rng.randint(1, 4)):
                    k = rng.randrange(len(data))
                    data[k] ^= rng.randint(1, 255)
                data = bytes(data)
            else:
                data, edits = mutate_text(original, rng)
                how = "mutate:" + ",".join(edits)
        elif how == "empty":
            data = b""
        elif how == "rows":
            lines = original.split(b"\n")
            data = b"\n".join(lines[: rng.randint(0, max(0, len(lines) - 1))]) + b"\n"
        elif how == "other":
            data = (other / name).read_bytes() if (other / name).exists() else b""
        else:
            data = b""
        # Any change to a file the manifest lists, or to the manifest itself, must be caught;
        # a deletion always.
        changed = how == "delete" or data != original
        if changed and how != "delete" and name == "manifest.json":
            # The program version is a label, not data: a manifest equal but for it (or for
            # whitespace and key order) need not be refused.
            try:
                a, b = json.loads(original), json.loads(data)
                a.pop("program_version", None)
                if isinstance(b, dict):
                    b.pop("program_version", None)
                changed = a != b
            except ValueError:
                pass
        yield ("report", i, (base, how, name, data, changed))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "target/release/cascade"))
    ap.add_argument("--per-kind", type=int, default=1000)
    ap.add_argument("--kinds", default="run,calc,liqmap,report")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--json", default=None, help="write every outcome here")
    ap.add_argument("--work", default=None, help="working directory (findings are kept in WORK/findings)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(args.work or tempfile.mkdtemp(prefix="cascade-mutate-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    bin_path = str(Path(args.bin).resolve())
    kinds = args.kinds.split(",")

    cases = []
    if "run" in kinds:
        cases += text_cases(
            "run", [ROOT / "tests/corpus/scenario-valid.toml", ROOT / "scenarios/default.toml"], args.per_kind, rng
        )
    if "calc" in kinds:
        cases += text_cases("calc", sorted((ROOT / "examples/calc").glob("*.json")), args.per_kind, rng)
    if "liqmap" in kinds:
        cases += text_cases("liqmap", [ROOT / "examples/liqmap/positions.csv"], args.per_kind, rng)
    if "report" in kinds:
        runs = {}
        for seed in (1, 2):
            d = work / f"base-seed{seed}"
            if not (d / "manifest.json").exists():
                code, _, err, _ = execute(
                    [bin_path, "run", str(ROOT / "scenarios/default.toml"), "--no-counterfactual",
                     "--seed", str(seed), "--out", str(d)], work)
                if code != 0:
                    sys.exit(f"cannot make the base run: {err}")
            runs[seed] = d
        cases += report_cases(runs[1], runs[2], args.per_kind, rng)

    tally = {}
    outcomes = []
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, (k, i, work, bin_path, p)) for (k, i, p) in cases]
        for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            kind, cls, secs, edits, last, sample = fut.result()
            t = tally.setdefault(kind, {"cases": 0, "max_s": 0.0})
            t["cases"] += 1
            t[cls] = t.get(cls, 0) + 1
            t["max_s"] = max(t["max_s"], round(secs, 2))
            outcomes.append({"kind": kind, "class": cls, "seconds": round(secs, 3), "edits": edits, "last_error": last, "kept": sample})
            if n % 200 == 0:
                print(f"{n}/{len(cases)} after {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    classes = ["ok", "named", "unnamed", "panic", "signal", "timeout", "silent", "other"]
    uname = os.uname()
    print(f"# mutation re-run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {uname.nodename} "
          f"{uname.machine}, {os.cpu_count()} CPUs, seed {args.seed}, {time.monotonic() - started:.0f} s wall")
    print("| kind | cases | " + " | ".join(classes) + " | slowest s |")
    print("|---" * (len(classes) + 3) + "|")
    for kind in kinds:
        t = tally.get(kind, {"cases": 0, "max_s": 0})
        print(f"| {kind} | {t['cases']} | " + " | ".join(str(t.get(c, 0)) for c in classes) + f" | {t['max_s']} |")
    print(f"findings kept in {work / 'findings'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"tally": tally, "outcomes": outcomes}, indent=1))
    bad = sum(t.get(c, 0) for t in tally.values() for c in ("unnamed", "panic", "signal", "timeout", "silent", "other"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
