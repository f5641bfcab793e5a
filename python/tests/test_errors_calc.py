"""cascade.calc against hand-computed figures, and refusals as CascadeError naming the field."""

from __future__ import annotations

import json
import pathlib
import subprocess
from decimal import Decimal

import pytest

import cascade
from conftest import REPO, SMALL, cli_binary

BYB_1 = REPO / "examples" / "calc" / "byb-1-isolated.json"


def test_calc_bybit_isolated_example_by_hand() -> None:
    # examples/calc/byb-1-isolated.json: Bybit, isolated, BTCUSDT, maintenance rate 0.5%
    # (Bybit's first risk-limit tier) on the entry value.
    #   long 1 BTC @ 20,000 at 50x: IM = 20,000 / 50 = 400; MM = 0.5% × 20,000 = 100;
    #     LP = 20,000 − (IM − MM) / size = 20,000 − 300 = 19,700; BP = 20,000 − 400 = 19,600.
    #   short 1 BTC @ 8,000 at 40x: IM = 200; MM = 40;
    #     LP = 8,000 + (200 − 40) = 8,160; BP = 8,000 + 200 = 8,200.
    out = cascade.calc(BYB_1.read_text())
    long, short = out["positions"]
    assert (long["initial_margin"], long["maintenance_margin"]) == ("400", "100")
    assert (long["liquidation_price"], long["bankruptcy_price"]) == ("19700", "19600")
    assert (short["liquidation_price"], short["bankruptcy_price"]) == ("8160", "8200")
    # Two isolated margins of 400 and 200, no PnL at the entry marks.
    assert Decimal(long["margin"]) + Decimal(short["margin"]) == 600


def test_calc_takes_a_dict_and_matches_the_cli() -> None:
    doc = json.loads(BYB_1.read_text())
    assert cascade.calc(doc) == cascade.calc(BYB_1.read_text())
    exe = cli_binary()
    if exe is None:
        pytest.skip("no cascade binary built (cargo build -p cascade-cli)")
    cli = subprocess.run([exe, "calc", BYB_1], capture_output=True, text=True, check=True)
    assert json.loads(cli.stdout) == cascade.calc(doc)


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"venue": "bybit", "mode": "isolated", "positions": [{"symbol": "BTCUSDT", "side": "up", "size": "1", "entry_price": "20000", "leverage": "50"}]}, "positions[0].side", "long"),
        ({"venue": "bybit", "mode": "isolated", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "-1", "entry_price": "20000", "leverage": "50"}]}, "positions[0].size", ""),
        ({"venue": "nowhere", "mode": "isolated", "positions": []}, "venue", ""),
    ],
)
def test_calc_errors_name_the_field(doc: dict, field: str, words: str) -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.calc(doc)
    assert isinstance(e.value, ValueError)
    assert field in str(e.value)
    assert e.value.field == field  # type: ignore[attr-defined]
    assert words in str(e.value)


def test_calc_syntax_error_gives_line_and_column() -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.calc('{"venue": "bybit",\n "mode": }')
    assert "line 2" in str(e.value)


def test_scenario_errors_name_the_field() -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run({"run": {"seed": "x"}})
    assert "`run.seed`" in str(e.value)
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(overrides={"run.duration_s": -5})
    assert "run.duration_s" in str(e.value)


def test_override_of_an_unknown_key_is_refused_with_its_name() -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(overrides={"run.no_such_key": 1})
    msg = str(e.value)
    assert "run.no_such_key" in msg and "--set" in msg


def test_override_past_the_end_of_an_array_is_refused() -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(overrides={"population.leverage[9].weight": 0.1})
    assert "population.leverage" in str(e.value) and "[9]" in str(e.value)


def test_missing_scenario_file_names_it(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(missing)
    assert "nope.toml" in str(e.value)


def test_error_messages_are_the_cli_messages(tmp_path: pathlib.Path) -> None:
    exe = cli_binary()
    if exe is None:
        pytest.skip("no cascade binary built (cargo build -p cascade-cli)")
    bad = tmp_path / "bad.toml"
    bad.write_text('[run]\nseed = "x"\n')
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(bad)
    cli = subprocess.run([exe, "run", bad, "--out", tmp_path / "o"], capture_output=True, text=True)
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"error: {e.value}"


def test_a_dict_value_without_toml_form_is_named() -> None:
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run({"run": {"name": object()}})
    assert "`run.name`" in str(e.value)


def test_bad_seed_and_bad_argument_types() -> None:
    with pytest.raises(cascade.CascadeError):
        cascade.run(seed=-1)
    with pytest.raises(TypeError):
        cascade.run(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cascade.run(overrides="run.seed=1")


def test_out_that_is_a_file_is_refused_before_running(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(cascade.CascadeError) as e:
        cascade.run(overrides=SMALL, out=f)
    assert "not a directory" in str(e.value)
