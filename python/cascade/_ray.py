"""``cascade.sweep(..., backend="ray")``: a sweep's shards as Ray tasks, merged by the driver.

Each task runs the Rust sweep for shard ``i/n`` (the same deterministic 1/n of the runs that
``cascade sweep --shard i/n`` runs) into a temporary directory on its worker and returns that
directory's files; the driver lays them out under ``OUT/shards/KEY/i-of-n`` (KEY: a hash of the spec) and merges them into
``OUT`` exactly as ``cascade sweep merge`` does. No shared file system is needed: the sweep spec
travels with the task (the base scenario's text is inside it); only price files a scenario
names by path must exist at that path on the workers. A shard already laid out under ``OUT``
(from an earlier call that stopped part way) is not run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import tempfile
from typing import Any

from . import _native


def _shard_task(spec_json: str, i: int, n: int, threads: int, keep_runs: bool) -> dict[str, bytes]:
    """Runs shard ``i`` of ``n`` on a Ray worker; returns its directory's files by relative path."""
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix=f"cascade-shard-{i}-of-{n}-") as d:
        _native.sweep(spec_json, d, shard=(i, n), threads=threads, keep_runs=keep_runs)
        for root, _dirs, names in os.walk(d):
            for name in names:
                p = os.path.join(root, name)
                with open(p, "rb") as f:
                    files[os.path.relpath(p, d)] = f.read()
    return files


def _lay_out(dest: pathlib.Path, files: dict[str, bytes]) -> None:
    """Writes a shard's files into ``dest`` through a temporary sibling renamed into place, so
    ``dest`` exists only complete."""
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, data in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    tmp.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)


def sweep(
    spec_json: str,
    out: pathlib.Path,
    *,
    threads: int | None,
    ray_address: str | None,
    num_shards: int | None,
    keep_runs: bool,
) -> None:
    """Runs the sweep's shards as Ray tasks and merges them into ``out``."""
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise _native.CascadeError(
            'backend="ray" needs Ray: pip install "ray[default]" (or plain "ray")'
        ) from e
    spec: dict[str, Any] = json.loads(spec_json)
    runs = len(spec["points"]) * len(spec["seeds"])
    threads = 1 if threads is None else int(threads)
    if threads < 1:
        raise _native.CascadeError(f"threads: {threads} (need at least 1)")
    started = False
    if not ray.is_initialized():
        ray.init(address=ray_address, log_to_driver=False)
        started = True
    elif ray_address is not None:
        raise _native.CascadeError("ray_address: Ray is already initialised (call ray.shutdown() first)")
    try:
        if num_shards is None:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            num_shards = max(1, cpus // threads)
        n = max(1, min(int(num_shards), max(runs, 1)))
        # Keyed by the spec: shards of another sweep in the same directory are never reused.
        key = hashlib.sha256(spec_json.encode()).hexdigest()[:16]
        shards = out / "shards" / key
        shards.mkdir(parents=True, exist_ok=True)
        dirs = [shards / f"{i}-of-{n}" for i in range(1, n + 1)]
        task = ray.remote(num_cpus=threads, max_retries=2)(_shard_task)
        pending = {
            task.remote(spec_json, i, n, threads, keep_runs): d
            for i, d in enumerate(dirs, start=1)
            if not d.is_dir()
        }
        # Lay each shard out as it finishes: a driver stopped part way keeps the finished ones.
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                dest = pending.pop(ref)
                try:
                    files = ray.get(ref)
                except ray.exceptions.RayTaskError as e:
                    cause = getattr(e, "cause", None)
                    if isinstance(cause, _native.CascadeError):
                        raise _native.CascadeError(f"shard {dest.name}: {cause}") from None
                    raise
                _lay_out(dest, files)
        _native.sweep_merge([os.fspath(d) for d in dirs], os.fspath(out))
    finally:
        if started:
            ray.shutdown()
