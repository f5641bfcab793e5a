"""cascade.sweep: a small sweep locally, by shards, and on a local Ray instance, compared."""

from __future__ import annotations

import math
import pathlib

import pyarrow as pa
import pytest

import cascade

#: 2 insurance-fund values × 2 seeds = 4 runs of a small default scenario (5 simulated minutes,
#: shock at 60 s, 1,000 accounts, no counterfactual).
FIXED = {
    "run.duration_s": 300,
    "run.metrics_interval_ms": 10_000,
    "shocks[0].at_s": 60,
    "population.accounts": 1000,
}
SPEC = {
    "name": "fund",
    "seeds": [11, 12],
    "counterfactual": False,
    "set": FIXED,
    "parameters": [{"path": "venues[0].insurance_fund", "values": ["0", "50000000"]}],
}
PARAM = "venues[0].insurance_fund"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    out = tmp_path_factory.mktemp("sweep") / "local"
    return cascade.sweep(SPEC, out=out, threads=2)


def test_runs_table_has_one_row_per_run_in_plan_order(local: pa.Table) -> None:
    assert local.num_rows == 4
    rows = local.to_pylist()
    # Runs are points × seeds, the seed fastest: run_id = point × 2 + seed_index.
    assert [r["run_id"] for r in rows] == [0, 1, 2, 3]
    assert [r["point"] for r in rows] == [0, 0, 1, 1]
    assert [r["seed"] for r in rows] == [11, 12, 11, 12]
    assert [r[PARAM] for r in rows] == [0.0, 0.0, 50_000_000.0, 50_000_000.0]
    # The hash of the scenario each run read (overrides applied): one per point.
    assert rows[0]["scenario_hash"] == rows[1]["scenario_hash"] != rows[2]["scenario_hash"] == rows[3]["scenario_hash"]


def test_each_row_is_the_single_run_with_those_overrides(local: pa.Table) -> None:
    for row in local.to_pylist():
        fund = "0" if row[PARAM] == 0 else "50000000"
        r = cascade.run(seed=row["seed"], overrides={**FIXED, PARAM: fund}, counterfactual=False)
        t = r.totals
        assert row["liquidations"] == t["liquidations"], row["run_id"]
        assert row["adl_count"] == t["adl_count"], row["run_id"]
        assert math.isclose(row["liquidated_long_notional"], float(t["liquidated_long_notional"]), rel_tol=1e-12)
        assert math.isclose(row["bad_debt"], float(t["bad_debt"]), rel_tol=1e-12, abs_tol=1e-9)
        assert row["peak_to_trough_pct"] == pytest.approx(t["peak_to_trough_pct"], rel=1e-12)


def test_a_bigger_fund_never_means_more_adl(local: pa.Table) -> None:
    # Same seeds, same market path until the fund runs out: with 50M instead of 0 in binance's
    # fund, losses are absorbed by the fund first, so ADL can only be rarer.
    rows = {(r["point"], r["seed"]): r for r in local.to_pylist()}
    for seed in (11, 12):
        assert rows[(1, seed)]["adl_count"] <= rows[(0, seed)]["adl_count"]


def test_resuming_a_finished_sweep_changes_nothing(local: pa.Table, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "again"
    first = cascade.sweep(SPEC, out=out, threads=1)
    assert first.equals(local)  # one thread or two: the same table
    again = cascade.sweep(SPEC, out=out, threads=1)
    assert again.equals(local)


def test_shards_merged_equal_the_whole(local: pa.Table, tmp_path: pathlib.Path) -> None:
    a = cascade.sweep(SPEC, out=tmp_path / "s1", shard="1/2", threads=1)
    b = cascade.sweep(SPEC, out=tmp_path / "s2", shard=(2, 2), threads=1)
    assert sorted(a.column("run_id").to_pylist() + b.column("run_id").to_pylist()) == [0, 1, 2, 3]
    assert a.column("run_id").to_pylist() == [0, 2]  # run_id mod 2 = 0 for shard 1


def test_sweep_file_path_and_text_give_the_same_table(local: pa.Table, tmp_path: pathlib.Path) -> None:
    lines = ['name = "fund"', "seeds = [11, 12]", "counterfactual = false", "", "[set]"]
    lines += [f'"{k}" = {v}' for k, v in FIXED.items()]
    lines += ["", "[[parameters]]", f'path = "{PARAM}"', 'values = ["0", "50000000"]', ""]
    text = "\n".join(lines)
    f = tmp_path / "fund.toml"
    f.write_text(text)
    assert cascade.sweep(f, out=tmp_path / "by-path", threads=2).equals(local)
    assert cascade.sweep(text, threads=2).equals(local)


def test_bad_sweep_spec_names_the_field() -> None:
    bad = {**SPEC, "parameters": [{"path": "venues[0].insurance_fund", "values": ["0"], "samples": 3}]}
    with pytest.raises(cascade.CascadeError) as e:
        cascade.sweep(bad)
    assert "parameters[0]" in str(e.value)
    with pytest.raises(cascade.CascadeError) as e:
        cascade.sweep({**SPEC, "set": {"run.no_such_key": 1}})
    assert "run.no_such_key" in str(e.value)


def test_ray_backend_equals_the_local_sweep(local: pa.Table, tmp_path: pathlib.Path) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = tmp_path / "ray"
        t = cascade.sweep(SPEC, out=out, backend="ray", num_shards=2)
        assert t.equals(local)
        # Shards laid out as `cascade sweep --shard i/n` would leave them, then merged.
        (key,) = (out / "shards").iterdir()
        assert sorted(p.name for p in key.iterdir()) == ["1-of-2", "2-of-2"]
        # Run again: both shards are there, nothing reruns, same table.
        assert cascade.sweep(SPEC, out=out, backend="ray", num_shards=2).equals(local)
        # Another sweep into the same directory is refused (not mixed), as locally.
        with pytest.raises(cascade.CascadeError) as e:
            cascade.sweep({**SPEC, "seeds": [1]}, out=out, backend="ray", num_shards=2)
        assert "another sweep" in str(e.value)
    finally:
        ray.shutdown()
