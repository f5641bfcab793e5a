#!/usr/bin/env bash
# CI of the Python package (python/, its own cargo workspace): rustfmt and clippy of its Rust
# crate, then a clean virtualenv under target/, `pip install ./python` (the wheel built by
# maturin from source), pytest (runs, run directories, calc, errors, a sweep locally and on a
# local Ray instance), and the example notebook executed by nbclient. Prints its own wall time.
# Run by .ci/run after the Rust steps; needs python3 ≥ 3.11 and the PyPI registry.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
export CARGO_TERM_COLOR=never
# One target directory with the root workspace: what clippy and the benches already built
# (same versions, same profiles) is reused where the features agree.
export CARGO_TARGET_DIR="$root/target"

echo "== python: cargo fmt --check (python/)"
(cd python && cargo fmt -- --check)
echo "== python: cargo clippy --all-targets -- -D warnings (python/)"
(cd python && cargo clippy --locked --all-targets -- -D warnings)

venv="$CARGO_TARGET_DIR/python-ci/venv"
echo "== python: clean virtualenv in $venv"
rm -rf "$venv"
python3 -m venv "$venv"
py="$venv/bin/python"
# The venv's tools (maturin as the build backend runs `maturin`) come first on PATH.
export PATH="$venv/bin:$PATH"
"$py" -m pip install --quiet --disable-pip-version-check -r python/requirements-ci.txt
echo "== python: pip install ./python (maturin build, release)"
"$py" -m pip install --disable-pip-version-check --no-build-isolation ./python


echo "== python: pytest"
# Ray's own processes stay on this machine and are stopped by the tests (ray.shutdown).
# From the repository root: python/cascade/ (sources without the compiled module) must not
# shadow the installed package, here or in the Ray workers.
RAY_USAGE_STATS_ENABLED=0 "$py" -m pytest -q python/tests

echo "== python: examples/leverage-sweep.ipynb (nbclient)"
RAY_USAGE_STATS_ENABLED=0 "$py" scripts/run_notebook.py examples/leverage-sweep.ipynb

echo "== python: done in $(( $(date +%s) - started )) s"
