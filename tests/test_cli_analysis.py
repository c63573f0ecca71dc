"""CLI: classify and concentration sub-commands."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from kam_analysis.cli import main
from kam_analysis.db import open_database
from kam_analysis.export import EXPORT_COLUMNS
from kam_analysis.export_sheets import column_label
from tests.analysis_fixtures import PORTFOLIO, store


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "cli.duckdb"
    db = open_database(path)
    store(db, PORTFOLIO, "Sales 2024")
    yield str(path)
    db.close()


def test_classify_key_accounts_csv(dbfile, tmp_path, capsys) -> None:
    out = tmp_path / "key.csv"
    assert main(["classify", "--db", dbfile, "--dataset", "Sales 2024", "--out", str(out),
                 "--from", "2024-01-01", "--to", "2024-12-31", "--codes"]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": str})
    for col in ("customer_id", "customer_name", "value", "share", "cumulative_share", "rank",
                "abc", "xyz", "abc_xyz", "cov", "periods", "active_periods", "first_purchase",
                "last_purchase", "days_since_last", "key_account", "key_reasons",
                "account_types", "flags"):
        assert col in df.columns
    assert list(df["customer_id"]) == ["A1", "B2", "C3"]
    assert list(df["abc"]) == ["A", "A", "A"]
    assert "3 customers" in capsys.readouterr().out


def test_classify_all_xlsx_with_options(dbfile, tmp_path) -> None:
    out = tmp_path / "all.xlsx"
    assert main(["classify", "--db", dbfile, "--dataset", "Sales 2024", "--out", str(out),
                 "--all", "--abc", "0.5,0.9", "--xyz-metric", "frequency", "--xyz", "0.5,0.2",
                 "--period", "quarter", "--measure", "margin"]) == 0
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header == [column_label(c) for c in EXPORT_COLUMNS]
    assert ws.max_row == 1 + 7
    ids = [ws.cell(row=i, column=1).value for i in range(2, 9)]
    assert ids[0] == "B2"  # margin: B2 10 is the largest


def test_concentration_json(dbfile, capsys) -> None:
    assert main(["concentration", "--db", dbfile, "--dataset", "Sales 2024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("customers", "total", "hhi", "hhi_band", "gini", "cr1", "cr3", "cr5", "cr10",
                "n50", "n80", "top20_share", "key_share", "flags"):
        assert key in data
    assert data["customers"] == 5 and data["hhi"] == pytest.approx(3350)
    assert data["gini"] == pytest.approx(0.42)
    assert data["flags"] == ["major_customer", "critical_dependency"]


def test_concentration_text(dbfile, capsys) -> None:
    assert main(["concentration", "--db", dbfile, "--dataset", "Sales 2024"]) == 0
    out = capsys.readouterr().out
    assert "hhi_band" in out and "highly concentrated" in out


@pytest.mark.parametrize("args", [
    ["--dataset", "nope"],
    ["--dataset", "Sales 2024", "--from", "2024-13-01"],
    ["--dataset", "Sales 2024", "--abc", "0.8"],
    ["--dataset", "Sales 2024", "--abc", "0.9,0.8"],
    ["--dataset", "Sales 2024", "--abc", "0.8,0.95", "--abc-method", "computed"],
    ["--dataset", "Sales 2024", "--measure", "quantity"],
    ["--dataset", "Sales 2024", "--from", "2025-01-01", "--to", "2024-01-01"],
])
def test_bad_arguments_give_one_line_and_exit_1(dbfile, tmp_path, capsys, args) -> None:
    for command in (["concentration"], ["classify", "--out", str(tmp_path / "x.csv")]):
        assert main([*command, "--db", dbfile, *args]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1


def test_bad_output_extension(dbfile, tmp_path, capsys) -> None:
    assert main(["classify", "--db", dbfile, "--dataset", "Sales 2024",
                 "--out", str(tmp_path / "x.txt")]) == 1
    assert ".csv or .xlsx" in capsys.readouterr().err
