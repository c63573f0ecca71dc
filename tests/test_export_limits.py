"""Exports stream to disk with bounded memory and stop at the server's limits
(issue 14, finding 2), and a CSV cell is neutralised whatever whitespace or control
characters come before a formula character (finding 10)."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis import export
from kam_analysis.db import Database
from kam_analysis.export import ExportLimits, csv_bytes, write_csv, write_table

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize("text", ["\n=cmd|' /C calc'!A0", "\r\n+1", " =1+1", "\x00@SUM(A1)",
                                  "\u00a0-2+3", "\t\t=x", "\x0b=1"])
def test_csv_neutralises_formulas_after_whitespace_or_control(text: str) -> None:
    data = csv_bytes(pd.DataFrame({"name": [text]})).decode("utf-8-sig")
    assert pd.read_csv(io.StringIO(data), keep_default_na=False)["name"][0] == "'" + text


@pytest.mark.parametrize("text", ["plain", "a=b", "", "1-2", " text"])
def test_csv_leaves_harmless_text(text: str) -> None:
    data = csv_bytes(pd.DataFrame({"name": [text]})).decode("utf-8-sig")
    assert pd.read_csv(io.StringIO(data), keep_default_na=False)["name"][0] == text


def test_write_csv_in_chunks_equals_csv_bytes(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"id": [f"C{i}" for i in range(50)], "value": range(50),
                          "name": ["=evil" if i % 3 else "ok" for i in range(50)]})
    whole = csv_bytes(frame)
    monkeypatch.setattr(export, "CSV_CHUNK_ROWS", 7)
    write_csv(frame, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_bytes() == whole == csv_bytes(frame)
    write_csv(frame.iloc[:0], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == csv_bytes(frame.iloc[:0])


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(rows)],
        "customer_name": [f"Customer number {i} of the long tail" for i in range(rows)],
        "region": [f"Region {i % 17}" for i in range(rows)],
        "value": [i * 1.25 for i in range(rows)],
        "share": [1 / rows] * rows,
        "rank": list(range(1, rows + 1)),
    })


def _peak_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_xlsx_is_written_row_by_row_with_bounded_memory(tmp_path: Path) -> None:
    """An in-memory workbook keeps every cell until it is closed (peak grows with the
    rows); constant_memory keeps one row: 4x the rows may not cost more than a little."""
    small, large = _frame(2_000), _frame(8_000)
    peak_small = _peak_mb(lambda: write_table(small, tmp_path / "s.xlsx"))
    peak_large = _peak_mb(lambda: write_table(large, tmp_path / "l.xlsx"))
    frame_mb = large.memory_usage(deep=True).sum() / 2**20
    assert peak_large < peak_small + frame_mb + 2, (peak_small, peak_large, frame_mb)
    sheet = openpyxl.load_workbook(tmp_path / "l.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 8_001 and rows[1][0] == "C0000000" and rows[-1][5] == 8_000


def test_limits_from_the_environment() -> None:
    assert ExportLimits.from_env({}) == ExportLimits()
    assert ExportLimits().xlsx_rows < export.MAX_XLSX_ROWS
    limits = ExportLimits.from_env({"KAM_EXPORT_XLSX_ROWS": "1_000",
                                    "KAM_EXPORT_CSV_ROWS": "5000"})
    assert limits == ExportLimits(xlsx_rows=1000, csv_rows=5000)
    for bad in ("", "-3", "0", "many"):
        assert ExportLimits.from_env({"KAM_EXPORT_XLSX_ROWS": bad}) == ExportLimits()


def _key_accounts_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.usefixtures("navigation_mode")
def test_page_offers_csv_above_the_servers_xlsx_limit(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAM_EXPORT_XLSX_ROWS", "100")  # the demo has 300 customers
    at = _key_accounts_page()
    assert [b.label for b in at.get("download_button")] == ["Key accounts (CSV)",
                                                             "All customers (CSV)"]
    assert any("up to 100 customers" in i.value for i in at.info)


@pytest.mark.usefixtures("navigation_mode")
def test_page_refuses_above_the_servers_csv_limit(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAM_EXPORT_XLSX_ROWS", "100")
    monkeypatch.setenv("KAM_EXPORT_CSV_ROWS", "200")
    at = _key_accounts_page()
    assert [b.label for b in at.get("download_button")] == ["Key accounts (CSV)"]
    assert any("300 rows are more than this server exports" in i.value for i in at.info)
