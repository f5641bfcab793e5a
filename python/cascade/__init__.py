"""Cascade from Python: liquidation-cascade simulations, sweeps and the margin calculator.

The functions call the same Rust library code as the ``cascade`` command (the GIL is released
while it works) and return plain dicts and ``pyarrow.Table``\\ s:

* :func:`run` — one simulation of a scenario (a path, TOML text, a dict, or the built-in
  default), with overrides as ``cascade run --set`` takes them; returns a :class:`Run`.
* :func:`load_run` — a run directory written by ``cascade run`` or ``run(out=...)`` read back
  (every file checked against its ``manifest.json``).
* :func:`sweep` — a Monte Carlo / grid sweep (``cascade sweep``) in threads here, or its shards
  as Ray tasks (``backend="ray"``); returns the runs table.
* :func:`calc` — the margin calculator (``cascade calc``): liquidation and bankruptcy prices,
  margins and margin ratio.

Every refusal raises :class:`CascadeError` (a ``ValueError``) with the message the command
prints, naming the file, line, column and field concerned.

Tables reach pyarrow through the Arrow C stream interface (the ``__arrow_c_stream__``
PyCapsule protocol): pyarrow adopts the Rust-built buffers without copying them.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import pyarrow as pa

from . import _native
from ._native import CascadeError

__all__ = [
    "CascadeError",
    "Run",
    "calc",
    "load_run",
    "run",
    "sweep",
    "__version__",
]

__version__: str = _native.__version__

#: What :func:`run` accepts as a scenario.
ScenarioLike = Union[str, "os.PathLike[str]", Mapping[str, Any], None]
#: What :func:`run` accepts as overrides: ``{KEY: value}`` or ``["KEY=VALUE", ...]``.
OverridesLike = Union[Mapping[str, Any], Sequence[str], None]

#: The tables of a run, in the order a run directory lists them.
TABLES = ("series", "liquidations", "adl")


class Run:
    """One simulation's results: the summary and the tables.

    Attributes:
        summary: the run summary as a dict — exactly the content of ``summary.json`` (decimal
            figures are strings holding the exact decimal, as there; floats are floats).
        tables: ``{"series": pa.Table, "liquidations": pa.Table, "adl": pa.Table}``, the same
            columns as the run directory's Parquet files (decimals as float64).
        seed: the master seed the run used.
        scenario_toml: the scenario text the run was read from, overrides applied (the run
            directory's ``scenario.toml``; empty for an old directory without one).
        out: the run directory, when the run was written to or read from one.
        manifest: the directory's ``manifest.json`` as a dict (file sizes, SHA-256, row counts),
            when there is a directory.
    """

    __slots__ = ("summary", "tables", "seed", "scenario_toml", "out", "manifest")

    def __init__(
        self,
        summary: dict[str, Any],
        tables: dict[str, pa.Table],
        seed: int,
        scenario_toml: str,
        out: pathlib.Path | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.summary = summary
        self.tables = tables
        self.seed = seed
        self.scenario_toml = scenario_toml
        self.out = out
        self.manifest = manifest

    @property
    def series(self) -> pa.Table:
        """The time series: one row per sampling time × venue × instrument."""
        return self.tables["series"]

    @property
    def liquidations(self) -> pa.Table:
        """One row per forced liquidation (liquidation order or backstop takeover)."""
        return self.tables["liquidations"]

    @property
    def adl(self) -> pa.Table:
        """One row per auto-deleveraging reduction."""
        return self.tables["adl"]

    @property
    def totals(self) -> dict[str, Any]:
        """``summary["totals"]``: run-wide liquidations, ADL, bad debt, drops, amplification."""
        return self.summary["totals"]

    def equals(self, other: Run) -> bool:
        """Whether two runs have the same summary and identical tables (schema and values)."""
        return (
            self.summary == other.summary
            and self.tables.keys() == other.tables.keys()
            and all(self.tables[k].equals(other.tables[k]) for k in self.tables)
        )

    def __repr__(self) -> str:
        rows = ", ".join(f"{k}={t.num_rows}" for k, t in self.tables.items())
        where = f", out={str(self.out)!r}" if self.out is not None else ""
        return f"<cascade.Run {self.summary.get('scenario')!r} seed={self.seed} rows({rows}){where}>"

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


def _as_run(handover: tuple[Any, ...], out: pathlib.Path | None) -> Run:
    summary_json, scenario_toml, seed, streams, manifest_json = handover
    tables = {s_name: pa.RecordBatchReader.from_stream(s).read_all() for s_name, s in zip(TABLES, streams)}
    summary = json.loads(summary_json)
    manifest = json.loads(manifest_json) if manifest_json is not None else None
    return Run(summary, tables, int(seed), scenario_toml, out, manifest)


def _looks_like_toml(s: str) -> bool:
    """A ``str`` scenario is TOML text (not a path) when it has a line break, or an ``=`` and no
    file of that name exists."""
    if "\n" in s:
        return True
    return "=" in s and not os.path.exists(s)


def _scenario_kwargs(scenario: ScenarioLike, what: str = "scenario") -> dict[str, Any]:
    if scenario is None:
        return {}
    if isinstance(scenario, os.PathLike):
        return {"path": os.fspath(scenario)}
    if isinstance(scenario, Mapping):
        return {"text": _native.dict_to_toml(dict(scenario)), "origin": f"<{what} dict>"}
    if isinstance(scenario, str):
        if _looks_like_toml(scenario):
            return {"text": scenario, "origin": f"<{what} text>"}
        return {"path": scenario}
    raise TypeError(
        f"{what}: expected a path, TOML text, a dict or None, got {type(scenario).__name__}"
    )


def _overrides(overrides: OverridesLike) -> list[tuple[str, str]]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(str(k), _native.override_text(str(k), v)) for k, v in overrides.items()]
    if isinstance(overrides, (str, bytes)):
        raise TypeError('overrides: expected a dict or a list of "KEY=VALUE" strings, got one string')
    return [_native.parse_set(str(a)) for a in overrides]


def _seed(seed: int | None) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise CascadeError(f"seed: {seed!r} is not an integer in 0..2^64")
    return seed


def _warn_policy(r: Run) -> None:
    for w in r.summary.get("policy", {}).get("warnings", []) or []:
        warnings.warn(str(w), UserWarning, stacklevel=3)


def run(
    scenario: ScenarioLike = None,
    seed: int | None = None,
    overrides: OverridesLike = None,
    counterfactual: bool = True,
    out: str | os.PathLike[str] | None = None,
) -> Run:
    """Run a scenario once, as ``cascade run`` does; return its summary and tables.

    Args:
        scenario: a scenario file (``str`` or ``pathlib.Path``), TOML text (a ``str`` with a
            line break, or with an ``=`` and no such file), a ``dict`` with the file's
            structure (``{"run": {"duration_s": 600}, "assets": [...], ...}``; decimal fields as
            strings or ``decimal.Decimal``), or ``None`` for the built-in default scenario.
            Relative price-file paths resolve from the file's directory, or from the current
            directory for text and dicts.
        seed: master seed; default the scenario's ``run.seed``. Same scenario and seed ⇒
            identical results.
        overrides: ``{"population.leverage[2].weight": 0.2, "venues[0].insurance_fund": "5e7"}``
            or ``["run.duration_s=600", ...]`` — the ``--set KEY=VALUE`` of the command line:
            keys are TOML paths, ``str`` values are read as the command line reads ``VALUE``,
            other values as their TOML literal. Validated like the file itself.
        counterfactual: also run without forced liquidations, which gives the cascade
            amplification (``cascade run --no-counterfactual`` is ``False``).
        out: also write the run directory there (tables as CSV and Parquet, ``summary.json``,
            ``scenario.toml``, ``manifest.json``), byte-identical to ``cascade run --out``.

    Returns:
        a :class:`Run`.

    Raises:
        CascadeError: an unreadable or invalid scenario or override (the message names the
            file, line, column and field), a failed run, an unwritable ``out``.

    The policy warnings of the run (``summary["policy"]["warnings"]``) are also issued as
    ``UserWarning``\\ s, as the command prints them.
    """
    kwargs = _scenario_kwargs(scenario)
    out_path = pathlib.Path(out) if out is not None else None
    handover = _native.run(
        seed=_seed(seed),
        overrides=_overrides(overrides),
        counterfactual=bool(counterfactual),
        out=os.fspath(out_path) if out_path is not None else None,
        **kwargs,
    )
    r = _as_run(handover, out_path)
    _warn_policy(r)
    return r


def load_run(dir: str | os.PathLike[str]) -> Run:
    """Read a run directory back into a :class:`Run` (``cascade run --out`` or ``run(out=...)``).

    Every file is checked against the directory's ``manifest.json`` (size and SHA-256) before
    it is trusted; the tables are read from the exact CSV files, so they equal those of the
    :func:`run` call that wrote the directory.

    Raises:
        CascadeError: a missing directory, table, summary or manifest, or a file that does not
            match the manifest (named, with what differs).
    """
    d = pathlib.Path(dir)
    return _as_run(_native.load_run(os.fspath(d)), d)


# ------------------------------------------------------------------------------------ sweeps


def _spec_json(spec: ScenarioLike) -> str:
    """The sweep spec, parsed and checked here, as JSON (self-contained: the base scenario's
    text is inside, so shards can run where the files are not)."""
    if spec is None:
        raise CascadeError("sweep: a sweep file, TOML text or dict is needed")
    kwargs = _scenario_kwargs(spec, "sweep")
    return _native.sweep_spec(**kwargs)


def sweep(
    spec: ScenarioLike,
    out: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    shard: tuple[int, int] | str | None = None,
    backend: Literal["local", "ray"] = "local",
    ray_address: str | None = None,
    num_shards: int | None = None,
    keep_runs: bool = False,
) -> pa.Table:
    """Run a sweep (``cascade sweep``) and return its runs table.

    Args:
        spec: a sweep file (path), sweep TOML text, or a dict with the file's structure
            (``{"scenario": "scenarios/default.toml", "seeds": {"count": 8, "start": 1},
            "parameters": [{"path": "...", "values": [...]}]}``). A ``scenario`` path is
            relative to the sweep file's directory, or to the current directory for text and
            dicts; without one the built-in default scenario is swept.
        out: the sweep directory (``runs.parquet``, ``aggregate.parquet``, the saved spec…).
            Re-running into the same directory resumes. Default: a temporary directory, removed
            once the table is read.
        threads: worker threads of a local sweep (default: every core); for ``backend="ray"``
            the threads of each Ray task (default 1).
        shard: ``(i, n)`` or ``"i/n"``: run only shard ``i`` of ``n`` (numbered from 1), as
            ``--shard i/n`` (local backend only).
        backend: ``"local"`` runs here with threads; ``"ray"`` runs the shards as Ray tasks
            (``ray.init()`` is called when Ray is not initialised yet: locally, or at
            ``ray_address``), each shard into its own directory, then merges them into ``out``.
        ray_address: the Ray cluster to connect to (``"auto"``, ``"ray://host:10001"``…) when
            Ray is not initialised yet.
        num_shards: shards of a Ray sweep (default: the cluster's CPUs, at most the runs).
        keep_runs: also keep every run's own directory (tables and summary) under ``out``.

    Returns:
        the runs table (``runs.parquet``): one row per run with ``run_id``, ``seed``, every
        swept parameter and every summary figure, in ``run_id`` order. The same spec gives
        the same table whatever the backend, threads or shards.

    Raises:
        CascadeError: an invalid sweep file or scenario (file, line, column, field named), an
            output directory holding another sweep, a failed run.
    """
    spec_json = _spec_json(spec)
    if backend not in ("local", "ray"):
        raise CascadeError(f'backend: {backend!r} is not "local" or "ray"')
    tmp = None
    if out is None:
        tmp = tempfile.mkdtemp(prefix="cascade-sweep-")
        out_path = pathlib.Path(tmp)
    else:
        out_path = pathlib.Path(out)
    try:
        if backend == "local":
            if num_shards is not None or ray_address is not None:
                raise CascadeError('num_shards and ray_address are for backend="ray"')
            _native.sweep(
                spec_json,
                os.fspath(out_path),
                shard=_shard(shard),
                threads=threads,
                keep_runs=bool(keep_runs),
            )
        else:
            if shard is not None:
                raise CascadeError('shard is for backend="local" (the Ray backend shards itself)')
            from . import _ray

            _ray.sweep(
                spec_json,
                out_path,
                threads=threads,
                ray_address=ray_address,
                num_shards=num_shards,
                keep_runs=bool(keep_runs),
            )
        return _read_runs(out_path)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _shard(shard: tuple[int, int] | str | None) -> tuple[int, int] | None:
    if shard is None:
        return None
    if isinstance(shard, str):
        i, sep, n = shard.partition("/")
        if not sep or not i.strip().isdigit() or not n.strip().isdigit():
            raise CascadeError(f"shard: `{shard}` is not i/n, e.g. 2/4")
        shard = (int(i), int(n))
    i, n = shard
    if not (isinstance(i, int) and isinstance(n, int)) or not 1 <= i <= n:
        raise CascadeError(f"shard: {i}/{n}: need 1 ≤ i ≤ n")
    return (i, n)


def _read_runs(out: pathlib.Path) -> pa.Table:
    import pyarrow.parquet as pq

    # Read into memory at once (the directory may be a temporary one about to go).
    return pq.read_table(out / "runs.parquet", memory_map=False)


# -------------------------------------------------------------------------------- calculator


def calc(input: str | Mapping[str, Any]) -> dict[str, Any]:
    """The margin calculator (``cascade calc``): positions in, prices and margins out.

    Args:
        input: the calculator's JSON input as text, or as a dict (numbers exact: give them as
            strings, e.g. ``"size": "0.5"``, or as ints; floats are written with ``repr``), e.g.
            ``{"venue": "binance", "mode": "isolated", "wallet_balance": "1000",
            "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1",
            "entry_price": "50000", "mark_price": "50000", "leverage": "10"}]}``.

    Returns:
        the output JSON of ``cascade calc`` as a dict (decimal figures as strings).

    Raises:
        CascadeError: malformed JSON (line and column) or an invalid field (named, e.g.
            ``positions[0].side``), with the command's message.
    """
    if isinstance(input, Mapping):
        text = json.dumps(input)
    elif isinstance(input, str):
        text = input
    else:
        raise TypeError(f"calc: expected JSON text or a dict, got {type(input).__name__}")
    return json.loads(_native.calc(text))
