"""Exports: formula-safe CSV with BOM, XLSX without formulas, sheet names, size limit."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from kam_analysis import export
from kam_analysis.analysis import analyze, migration
from kam_analysis.export import (
    EXPORT_COLUMNS,
    ExportTooLarge,
    csv_bytes,
    sanitize_sheet_name,
    workbook_bytes,
    write_table,
)
from kam_analysis.export_sheets import column_label
from tests.analysis_fixtures import PORTFOLIO, store

HOSTILE = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rCR", "=HYPERLINK(\"http://x\")",
           "plain", "Grüße, \"quoted\""]


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": HOSTILE, "value": [-5.5, 1, 2, 3, 4, 5, 6, 7, -8],
                         "rank": pd.array([1, 2, None, 4, 5, 6, 7, 8, 9], dtype="Int64")})


def test_csv_has_bom_and_neutralises_formulas() -> None:
    data = csv_bytes(_hostile_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    back = back.rename(columns={"Customer ID": "customer_id", "Value": "value"})  # English
    assert list(back["customer_id"][:7]) == ["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTab",
                                             "'\rCR", "'=HYPERLINK(\"http://x\")"]
    assert back["customer_id"][7] == "plain" and back["customer_id"][8] == "Grüße, \"quoted\""
    # Negative numbers stay numbers (no quote prefix).
    assert back["value"][0] == -5.5 and back["value"][8] == -8
    text = data.decode("utf-8-sig")
    assert "\r\n-5.5," not in text and "'-5.5" not in text
    assert ",-5.5," in text or text.split("\r\n")[1].endswith(",-5.5,1")


def _sheet_xml(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.startswith("xl/worksheets/")}


def test_workbook_sheets_formats_and_no_formulas(db) -> None:
    rows = [(("=cmd()" if cid == "A1" else cid), *rest) for cid, *rest in PORTFOLIO]
    store(db, rows)
    res = analyze(db, "t")
    data = workbook_bytes(res, migration(db, "t"))
    for xml in _sheet_xml(data).values():
        assert "<f>" not in xml and "<f " not in xml
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Key accounts", "All customers", "ABC-XYZ matrix",
                             "Concentration", "Parameters", "Migration"]
    ws = wb["All customers"]
    header = [c.value for c in ws[1]]
    assert header == [column_label(c) for c in EXPORT_COLUMNS]  # English labels since #11
    # The typed flag columns of the engine stay out: the export keeps the text flags.
    flag_columns = {"non_positive", "short_history", "lost", "at_risk"}
    assert "Flags" in header and not (flag_columns | {column_label(c) for c in flag_columns}
                                      ) & set(header)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None
    ids = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert "=cmd()" in ids  # stored as plain text, not as a formula
    value_col = header.index("Value") + 1
    share_col = header.index("Share") + 1
    values = [ws.cell(row=i, column=value_col).value for i in range(2, ws.max_row + 1)]
    assert -3 in values  # negative numbers are numbers
    assert "%" in ws.cell(row=2, column=share_col).number_format
    assert "#,##0.00" in ws.cell(row=2, column=value_col).number_format
    key = wb["Key accounts"]
    assert key.max_row == 1 + int(res.customers["key_account"].sum())
    conc = {r[0].value: r[1].value for r in wb["Concentration"].iter_rows(min_row=2)}
    assert conc["HHI"] == pytest.approx(res.concentration.hhi)
    assert conc["HHI band"] == "highly concentrated"
    params = {r[0].value: r[1].value for r in wb["Parameters"].iter_rows(min_row=2)}
    assert params["Measure"] == "Revenue" and params["A up to (share of the value)"] == 0.8


def test_sheet_names_are_sanitised() -> None:
    used: set[str] = set()
    assert sanitize_sheet_name("a:b\\c/d?e*f[g]h", used) == "a_b_c_d_e_f_g_h"
    long = sanitize_sheet_name("x" * 40, used)
    assert len(long) == 31
    again = sanitize_sheet_name("x" * 40, used)
    assert again != long and len(again) <= 31
    assert sanitize_sheet_name("", used) == "Sheet"


def test_too_large_for_xlsx(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(export, "MAX_XLSX_ROWS", 5)
    with pytest.raises(ExportTooLarge, match="CSV"):
        write_table(pd.DataFrame({"a": range(5)}), tmp_path / "x.xlsx")
    write_table(pd.DataFrame({"a": range(4)}), tmp_path / "ok.xlsx")
    write_table(pd.DataFrame({"a": range(50)}), tmp_path / "ok.csv")
    assert ExportTooLarge.__mro__[1] is ValueError


def test_write_table_by_extension(tmp_path) -> None:
    df = _hostile_frame()
    write_table(df, tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    write_table(df, tmp_path / "o.xlsx")
    data = (tmp_path / "o.xlsx").read_bytes()
    assert not any(re.search(r"<f[ >]", x) for x in _sheet_xml(data).values())
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert ws.cell(row=2, column=1).value == "=1+2"
    assert ws.cell(row=4, column=3).value is None  # <NA> rank -> empty cell
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_table(df, tmp_path / "o.txt")


def test_workbook_of_empty_selection(db) -> None:
    from kam_analysis.analysis import AnalysisParams, Filters

    store(db, PORTFOLIO)
    res = analyze(db, "t", AnalysisParams(filters=Filters(regions=("Nowhere",))))
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res)))
    assert wb["All customers"].max_row == 1
    assert csv_bytes(res.customers).startswith(b"\xef\xbb\xbfCustomer ID,")
