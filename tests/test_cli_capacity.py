"""CLI: --capacity, and the figures concentration --json adds (issue 12)."""

from __future__ import annotations

import json

import pytest

from kam_analysis.analysis import AnalysisParams, analyze
from kam_analysis.cli import main
from kam_analysis.db import open_database
from tests.analysis_fixtures import PORTFOLIO, d, store
from tests.test_key_capacity import VALUES


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "cli.duckdb"
    db = open_database(path)
    store(db, PORTFOLIO, "Sales 2024")
    store(db, [(cid, d("2024-03-01"), v) for cid, v in VALUES.items()], "Ten")
    yield str(path)
    db.close()


def _json(capsys, *args: str) -> dict:
    assert main(["concentration", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_concentration_json_names_every_customer_count(dbfile, capsys) -> None:
    # 50, 20, 20, 5, 5 positive; F6 nets to 0, G7 to -3 (tests/analysis_fixtures.py)
    data = _json(capsys, "--db", dbfile, "--dataset", "Sales 2024")
    assert data["customers"] == 5                  # customers with a positive value
    assert data["customers_all"] == 7              # customers with sales in the window
    assert data["non_positive"] == 2
    assert data["total"] == pytest.approx(100)     # total of positive customers
    assert data["net_total"] == pytest.approx(97)  # net total over all customers
    assert (data["key_accounts"], data["key_wanted"]) == (3, 3)
    assert data["capacity"] == 50 and data["capacity_note"] is None
    assert "abc_limits" not in data


def test_capacity_option(dbfile, capsys) -> None:
    data = _json(capsys, "--db", dbfile, "--dataset", "Ten", "--capacity", "1")
    assert (data["key_accounts"], data["key_wanted"], data["capacity"]) == (2, 4, 1)
    assert data["capacity_note"]["first_half"] == 4
    assert main(["concentration", "--db", dbfile, "--dataset", "Ten", "--capacity", "1"]) == 0
    out = capsys.readouterr().out
    assert "selected 4 customers, more than the capacity of 1" in out
    unlimited = _json(capsys, "--db", dbfile, "--dataset", "Ten", "--capacity", "0")
    assert unlimited["key_accounts"] == 4 and unlimited["capacity_note"] is None


def test_classify_capacity(dbfile, tmp_path, capsys) -> None:
    out = tmp_path / "key.csv"
    assert main(["classify", "--db", dbfile, "--dataset", "Ten", "--out", str(out),
                 "--capacity", "3"]) == 0
    text = capsys.readouterr().out
    assert "3 customers written" in text and "capacity of 3" in text


@pytest.mark.parametrize("bad", ["-1", "x", "2.5"])
def test_bad_capacity_exits_2(dbfile, capsys, bad) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["concentration", "--db", dbfile, "--dataset", "Ten", "--capacity", bad])
    assert exc.value.code == 2


def test_computed_limits_in_json_and_text(dbfile, capsys) -> None:
    data = _json(capsys, "--db", dbfile, "--dataset", "Sales 2024", "--abc-method", "computed")
    res = analyze(open_database(dbfile), "Sales 2024", AnalysisParams(abc_method="computed"))
    points = res.computed_limits
    assert data["abc_limits"] == {
        "a_effort": points["A"]["effort"], "a_yield": points["A"]["yield"],
        "b_effort": points["C"]["effort"], "b_yield": points["C"]["yield"]}
    assert main(["concentration", "--db", dbfile, "--dataset", "Sales 2024",
                 "--abc-method", "computed"]) == 0
    assert "Computed ABC limits: A up to" in capsys.readouterr().out
