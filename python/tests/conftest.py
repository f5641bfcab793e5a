"""Shared fixtures: a reduced default scenario (fast enough to run many times) and the CLI."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

import cascade

REPO = pathlib.Path(__file__).resolve().parents[2]

#: The default scenario made small: 10 simulated minutes with the shock at 2 minutes, 2,000
#: accounts, a metrics row every 10 s. Keys as `cascade run --set` takes them.
SMALL = {
    "run.duration_s": 600,
    "run.metrics_interval_ms": 10_000,
    "shocks[0].at_s": 120,
    "population.accounts": 2000,
}


@pytest.fixture(scope="session")
def small_run() -> cascade.Run:
    """The reduced default scenario, seed 7."""
    return cascade.run(seed=7, overrides=SMALL)


def cli_binary() -> pathlib.Path | None:
    """The `cascade` binary of this checkout, if built (CASCADE_BIN, else target/{release,debug})."""
    env = os.environ.get("CASCADE_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "cascade"
        if p.is_file():
            return p
    found = shutil.which("cascade")
    return pathlib.Path(found) if found else None
