"""Executes a notebook with nbclient (every cell, in order, in a fresh kernel) and fails on the
first cell that raises. Used by scripts/python-ci.sh for examples/leverage-sweep.ipynb.

Usage: python scripts/run_notebook.py NOTEBOOK.ipynb [KERNEL]   (default kernel: python3, i.e.
the interpreter running this script). The executed copy is written beside the target directory
(target/python-ci/) for inspection; the notebook itself is left as it is.
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def main() -> int:
    path = pathlib.Path(sys.argv[1]).resolve()
    kernel = sys.argv[2] if len(sys.argv) > 2 else "python3"
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", path.parents[1] / "target"))
    out = target / "python-ci" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"{path.name}: {cells} code cells executed in {time.monotonic() - started:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
