"""cascade.run and cascade.load_run on the (reduced) default scenario."""

from __future__ import annotations

import json
import math
import pathlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import cascade
from conftest import SMALL

MARKETS = 2  # binance BTCUSDT and hyperliquid BTC in the default scenario


def test_summary_has_the_keys_of_summary_json(small_run: cascade.Run) -> None:
    s = small_run.summary
    assert set(s) >= {"scenario", "seed", "duration_ms", "series_rows", "totals", "venues", "instruments", "policy"}
    assert s["scenario"] == "default"
    assert s["seed"] == 7 == small_run.seed
    # run.duration_s = 600 overridden: 600,000 ms simulated.
    assert s["duration_ms"] == 600_000
    assert [v["venue"] for v in s["venues"]] == ["binance", "hyperliquid"]
    assert [(m["venue"], m["instrument"]) for m in s["instruments"]] == [("binance", "BTCUSDT"), ("hyperliquid", "BTC")]
    for key in ("liquidations", "adl_count", "liquidated_long_notional", "bad_debt", "peak_to_trough_pct"):
        assert key in s["totals"], key


def test_tables_are_pyarrow_and_agree_with_the_summary(small_run: cascade.Run) -> None:
    r = small_run
    assert list(r.tables) == ["series", "liquidations", "adl"]
    for t in r.tables.values():
        assert isinstance(t, pa.Table)
    # A metrics row every 10 s over 600 s, at the end of each interval (10 s, 20 s, …, 600 s):
    # 60 sampling times × 2 markets = 120 rows.
    assert r.series.num_rows == 60 * MARKETS == r.summary["series_rows"]
    times = r.series.column("time_ms").to_pylist()
    assert sorted(set(times)) == list(range(10_000, 600_001, 10_000))
    # One row per liquidation and per ADL reduction.
    assert r.liquidations.num_rows == r.totals["liquidations"]
    assert r.adl.num_rows == r.totals["adl_count"]
    # The interval liquidation counts of the series add up to the liquidation rows.
    liq_events = pc.sum(r.series.column("liq_long_count")).as_py() + pc.sum(r.series.column("liq_short_count")).as_py()
    assert liq_events == r.liquidations.num_rows
    # The 5% shock at 120 s with 2,000 accounts (2% of them at ≥100x) liquidates someone.
    assert r.liquidations.num_rows > 0
    # Liquidated notional per venue and side: the table's sums are the summary's exact decimals
    # (to float rounding).
    liq = r.liquidations
    for v in r.summary["venues"]:
        for side in ("long", "short"):
            rows = liq.filter(pc.and_(pc.equal(liq.column("venue"), v["venue"]), pc.equal(liq.column("side"), side)))
            total = pc.sum(rows.column("notional")).as_py() or 0.0
            assert math.isclose(total, float(v[f"liquidated_{side}_notional"]), rel_tol=1e-9, abs_tol=1e-6)
    # The shock (a −5% move at 120 s) triggers the first liquidation: none before it.
    assert pc.min(liq.column("time_ms")).as_py() >= 120_000
    # Each venue's fund in the last series row is its start plus its change.
    last = r.series.filter(pc.equal(r.series.column("time_ms"), 600_000)).to_pylist()
    for v, row in zip(r.summary["venues"], last):
        assert row["venue"] == v["venue"]
        start, change = float(v["insurance_fund_start"]), float(v["insurance_fund_change"])
        assert math.isclose(row["insurance_fund"], start + change, rel_tol=1e-12, abs_tol=1e-6)


def test_same_seed_same_results_other_seed_other_results(small_run: cascade.Run) -> None:
    again = cascade.run(seed=7, overrides=SMALL)
    assert again.equals(small_run)
    assert again.summary == small_run.summary
    other = cascade.run(seed=8, overrides=SMALL)
    assert other.summary["seed"] == 8
    assert not other.series.equals(small_run.series)


def test_overrides_change_what_they_name(small_run: cascade.Run) -> None:
    # Insurance fund of binance 5,000,000 → 50,000,000 ("5e7" read as `--set` reads it), and a
    # metrics row every 5 s instead of 10 s.
    r = cascade.run(seed=7, overrides={**SMALL, "venues[0].insurance_fund": "5e7", "run.metrics_interval_ms": 5000})
    assert float(r.summary["venues"][0]["insurance_fund_start"]) == 50_000_000
    assert float(small_run.summary["venues"][0]["insurance_fund_start"]) == 5_000_000
    # Nothing is liquidated before the shock at 120 s, so the first row (5 s) shows the fund as set.
    first = r.series.filter(pc.equal(r.series.column("venue"), "binance")).slice(0, 1).to_pylist()[0]
    assert (first["time_ms"], first["insurance_fund"]) == (5_000, 50_000_000.0)
    # Twice the sampling rate: 600 s / 5 s = 120 sampling times × 2 markets.
    assert r.series.num_rows == 240
    assert r.summary["series_rows"] == r.series.num_rows
    # The override is in the scenario text the run keeps.
    assert 'insurance_fund = "5e7"' in r.scenario_toml


def test_overrides_as_list_equal_overrides_as_dict(small_run: cascade.Run) -> None:
    r = cascade.run(seed=7, overrides=[f"{k}={v}" for k, v in SMALL.items()])
    assert r.equals(small_run)


def test_scenario_as_dict_text_and_path_give_the_same_run(tmp_path: pathlib.Path, small_run: cascade.Run) -> None:
    import tomllib

    text = small_run.scenario_toml  # the default scenario with SMALL applied
    as_dict = tomllib.loads(text)
    by_dict = cascade.run(as_dict, seed=7)
    by_text = cascade.run(text, seed=7)
    path = tmp_path / "small.toml"
    path.write_text(text)
    by_path = cascade.run(path, seed=7)
    by_str_path = cascade.run(str(path), seed=7)
    for r in (by_text, by_path, by_str_path):
        assert r.equals(small_run)
    # A dict is written back as TOML text of its own (no comments), so its tables' scenario_hash
    # is that text's SHA-256; every other column and the summary are the same run's.
    import hashlib

    assert by_dict.summary == small_run.summary
    own = hashlib.sha256(by_dict.scenario_toml.encode()).hexdigest()
    for name, t in by_dict.tables.items():
        assert set(t.column("scenario_hash").to_pylist()) <= {own}, name
        drop = t.column_names.index("scenario_hash")
        assert t.remove_column(drop).equals(small_run.tables[name].remove_column(drop)), name


def test_no_counterfactual_has_no_amplification(small_run: cascade.Run) -> None:
    assert small_run.totals["counterfactual_peak_to_trough_pct"] is not None
    r = cascade.run(seed=7, overrides=SMALL, counterfactual=False)
    assert r.totals["cascade_amplification"] is None
    assert r.totals["counterfactual_peak_to_trough_pct"] is None
    # The main run is the same run: same tables.
    assert r.series.equals(small_run.series)


def test_out_writes_the_run_directory_and_load_run_reads_it_back(tmp_path: pathlib.Path, small_run: cascade.Run) -> None:
    out = tmp_path / "run"
    r = cascade.run(seed=7, overrides=SMALL, out=out)
    assert r.out == out
    names = {p.name for p in out.iterdir()}
    assert names >= {"series.csv", "series.parquet", "liquidations.parquet", "adl.parquet", "summary.json", "scenario.toml", "manifest.json"}
    # summary == summary.json; the tables == the Parquet files (same schema and values).
    assert r.summary == json.loads((out / "summary.json").read_text())
    for name, t in r.tables.items():
        assert pq.read_table(out / f"{name}.parquet").equals(t), name
    assert r.manifest is not None and r.manifest["seed"] == 7
    # Every table leads with the run's identity (no start_utc in this scenario: no time_utc).
    for t in r.tables.values():
        assert t.column_names[:4] == ["run_id", "seed", "scenario_hash", "time_ms"]
        assert "time_utc" not in t.column_names
    assert set(r.series.column("seed").to_pylist()) == {7}
    assert set(r.series.column("scenario_hash").to_pylist()) == {r.manifest["scenario_sha256"]}
    back = cascade.load_run(out)
    assert back.equals(r) and back.equals(small_run)
    assert back.scenario_toml == r.scenario_toml
    assert back.manifest == r.manifest
    assert back.out == out


def test_load_run_refuses_a_changed_file(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "run"
    cascade.run(seed=7, overrides=SMALL, out=out)
    p = out / "liquidations.csv"
    lines = p.read_text().splitlines(keepends=True)
    p.write_text("".join(lines[:-1]))  # one row cut: still a valid CSV
    with pytest.raises(cascade.CascadeError) as e:
        cascade.load_run(out)
    assert "liquidations.csv" in str(e.value)
    assert "manifest" in str(e.value)


def test_run_is_picklable(small_run: cascade.Run) -> None:
    import pickle

    assert pickle.loads(pickle.dumps(small_run)).equals(small_run)


def test_the_gil_is_released_while_simulating() -> None:
    # A Python thread counts while the native call simulates the full default scenario (about
    # half a second). Were the GIL held, the thread could count only for a switch interval
    # (5 ms) around the call: a few percent of its free-running rate. Released, it keeps
    # counting at a good part of that rate.
    import sys
    import threading
    import time

    from cascade import _native

    state = {"on": False, "stop": False, "n": 0}

    def spin() -> None:
        while not state["stop"]:
            if state["on"]:
                state["n"] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        state["on"] = True
        time.sleep(0.2)  # the main thread sleeps: the GIL is free, the spinner's own rate
        state["on"] = False
        free_rate = state["n"] / 0.2
        state["n"] = 0
        state["on"] = True
        t0 = time.perf_counter()
        _native.run(seed=42)
        elapsed = time.perf_counter() - t0
        state["on"] = False
    finally:
        state["stop"] = True
        t.join()
    share = state["n"] / (free_rate * elapsed)
    assert elapsed > 20 * sys.getswitchinterval()  # long enough to tell
    assert share > 0.1, f"the spinner counted at {share:.1%} of its free rate during the call"


def test_load_run_gives_the_summary_to_the_last_digit(tmp_path: pathlib.Path) -> None:
    # The full default scenario from its file, with overrides: float figures such as the
    # amplification must come back exactly as written (serde_json's default float parser is not
    # correctly rounded, so reading the summary through Rust and writing it again changed the
    # last digit of some of these figures; load_run hands over the file's text).
    from conftest import REPO

    out = tmp_path / "run"
    r = cascade.run(
        REPO / "scenarios" / "default.toml",
        seed=7,
        overrides={"population.leverage[4].weight": 0.1, "venues[0].insurance_fund": "5e7"},
        out=out,
    )
    back = cascade.load_run(out)
    assert back.summary == r.summary == json.loads((out / "summary.json").read_text())
    assert back.totals["cascade_amplification"] == r.totals["cascade_amplification"]
    assert back.equals(r)
