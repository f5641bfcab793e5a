"""Type stubs of ``cascade._native``, the compiled half of the package (pyo3).

Use the functions of :mod:`cascade` instead: these take and return JSON text and Arrow streams.
"""

from typing import Any

__version__: str

class CascadeError(ValueError):
    """A refusal or failure, with the message the ``cascade`` command prints. From
    ``cascade.calc``, ``field`` is the JSON path of the field at fault (``""`` for a syntax
    error)."""

    field: str

class ArrowStream:
    """One table, exported once through the Arrow PyCapsule interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

#: (summary JSON, scenario text, seed, [series, liquidations, adl] streams, manifest JSON or None)
Handover = tuple[str, str, int, list[ArrowStream], str | None]

def dict_to_toml(value: dict[str, Any]) -> str: ...
def override_text(key: str, value: Any) -> str: ...
def parse_set(arg: str) -> tuple[str, str]: ...
def run(
    *,
    path: str | None = None,
    text: str | None = None,
    origin: str | None = None,
    seed: int | None = None,
    overrides: list[tuple[str, str]] = ...,
    counterfactual: bool = True,
    out: str | None = None,
) -> Handover: ...
def load_run(dir: str) -> Handover: ...
def sweep_spec(*, path: str | None = None, text: str | None = None, origin: str | None = None) -> str: ...
def sweep(
    spec_json: str,
    out: str,
    *,
    shard: tuple[int, int] | None = None,
    threads: int | None = None,
    keep_runs: bool = False,
) -> str: ...
def sweep_merge(shard_dirs: list[str], out: str) -> str: ...
def calc(text: str) -> str: ...
