"""XLSX and Parquet import, wrong file types, and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from kam_analysis import cli
from kam_analysis.db import Database, list_datasets, open_database
from kam_analysis.importing import ImportFailed, ImportOptions, import_file, inspect_file
from tests.import_helpers import stored, write

ROOT = Path(__file__).resolve().parent.parent


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_title_rows_real_dates_serials_and_totals(db: Database,
                                                           tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Umsatzliste 2024"],
        [],
        ["Kundennummer", "Kunde", "Rechnungsdatum", "Nettoumsatz", "Menge", "Artikel"],
        ["00017", "Alpha GmbH", datetime(2024, 2, 1, 10, 30), 1234.5, 3, "Bolts"],
        [17, "Beta AG", date(2024, 2, 13), -500, 1, "Nuts"],
        ["00018", "Gamma KG", "13.02.2024", "1.234,50", 2, "Drill"],
        [None, None, None, None, None, None],
        ["00019", "Delta", "31.02.2024", 5, 1, "X"],
        ["00020", "Eps", 45323, "abc", 1, "Y"],
        ["Gesamtsumme", None, None, 2000, None, None],
    ]
    path = _xlsx(tmp_path / "sales.xlsx", {"Leer": [], "Umsatz": rows})
    preview = inspect_file(path)
    assert preview.format == "xlsx"
    assert preview.sheets == ("Leer", "Umsatz")
    assert preview.sheet == "Umsatz"
    assert preview.header_line == 3
    assert preview.mapping["customer_id"] == "Kundennummer"
    assert preview.mapping["customer_name"] == "Kunde"
    assert preview.mapping["product"] == "Artikel"
    result = import_file(db, path, "X")
    frame = stored(db, "X")
    assert frame["customer_id"].tolist() == ["00017", "17", "00018"]
    assert frame["revenue"].tolist() == [1234.5, -500.0, 1234.5]
    assert frame["quantity"].tolist() == [3.0, 1.0, 2.0]
    assert frame["order_date"].dt.date.tolist() == [date(2024, 2, 1), date(2024, 2, 13),
                                                    date(2024, 2, 13)]
    assert frame["source_line"].tolist() == [4, 5, 6]
    assert result.totals_dropped == 1
    assert result.reject_lines() == [
        "line 8, column 'Rechnungsdatum': '31.02.2024' is not a valid date",
        "line 9, column 'Nettoumsatz': 'abc' is not a number",
    ]


def test_xlsx_sheet_choice(db: Database, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "two.xlsx", {
        "A": [["Customer", "Date", "Revenue"], ["a", date(2024, 1, 1), 1]],
        "B": [["Customer", "Date", "Revenue"], ["b", date(2024, 1, 2), 2],
              ["c", date(2024, 1, 3), 3]],
    })
    assert inspect_file(path).sheet == "A"
    result = import_file(db, path, "B", ImportOptions(sheet="B"))
    assert result.rows_imported == 2
    with pytest.raises(ImportFailed, match="no sheet 'C'"):
        inspect_file(path, ImportOptions(sheet="C"))


def test_xlsx_header_only_and_missing_column(db: Database, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "h.xlsx", {"S": [["Customer", "Date", "Revenue"]]})
    with pytest.raises(ImportFailed, match="no data rows"):
        import_file(db, path, "H")
    path = _xlsx(tmp_path / "m.xlsx", {"S": [["Customer", "Date"], ["a", date(2024, 1, 1)]]})
    with pytest.raises(ImportFailed, match="no column found for Revenue"):
        import_file(db, path, "M")
    assert list_datasets(db) == []


def test_parquet_with_typed_columns(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES ('00017', DATE '2024-02-01', 10.5::DOUBLE, 2::INTEGER),"
        " ('00018', DATE '2024-02-13', -3.25::DOUBLE, 1::INTEGER),"
        " ('00019', NULL, 1.0::DOUBLE, 1::INTEGER))"
        " t(customer_id, order_date, revenue, quantity)) TO ? (FORMAT parquet)",
        [str(path)],
    )
    con.close()
    preview = inspect_file(path)
    assert preview.format == "parquet"
    assert preview.headers == ("customer_id", "order_date", "revenue", "quantity")
    result = import_file(db, path, "P")
    frame = stored(db, "P")
    assert frame["customer_id"].tolist() == ["00017", "00018"]
    assert frame["revenue"].tolist() == [10.5, -3.25]
    assert frame["order_date"].dt.date.tolist() == [date(2024, 2, 1), date(2024, 2, 13)]
    assert result.totals_dropped == 1  # an amount without a date is a subtotal row
    assert result.rows_rejected == 0


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        ("sales.xlsx", b"Customer;Date;Revenue\nA;2024-01-01;1\n", None),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
        ("old.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + bytes(600), None),
    ],
)
def test_wrong_file_types(db: Database, tmp_path: Path, name: str, content: bytes,
                          match: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if name == "sales.xlsx":
        # a CSV renamed to .xlsx is read as what it is
        assert import_file(db, path, "Renamed").rows_imported == 1
        return
    with pytest.raises(ImportFailed, match=match or name):
        import_file(db, path, "Bad")
    assert list_datasets(db) == []


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kam_analysis", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_import_prints_summary_and_rejects(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "Kunde;Datum;Umsatz\nA;01.02.2024;1,5\nB;02.02.2024;x\n")
    dbfile = tmp_path / "cli.duckdb"
    out = _run_cli("import", str(path), "--dataset", "Sales", "--db", str(dbfile))
    assert out.returncode == 0, out.stderr
    assert re.search(r"rows imported: +1\n", out.stdout)
    assert re.search(r"rows rejected: +1\n", out.stdout)
    assert "line 3, column 'Umsatz': 'x' is not a number" in out.stdout
    listed = _run_cli("datasets", "--db", str(dbfile))
    assert "Sales" in listed.stdout


def test_cli_import_failure_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "Customer,Date,Amount due\nA,01/02/2024,1\n")
    out = _run_cli("import", str(path), "--dataset", "S", "--db", str(tmp_path / "c.duckdb"))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "no column found for Revenue" in out.stderr


def test_cli_map_and_date_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "s.csv", "Customer,Date,Amount due\nA,01/02/2024,1\nB,03/04/2024,2\n")
    dbfile = tmp_path / "c.duckdb"
    args = ["import", str(path), "--dataset", "S", "--db", str(dbfile),
            "--map", "revenue=Amount due"]
    assert cli.main(args) == 1
    assert "DMY or MDY" in capsys.readouterr().err
    assert cli.main([*args, "--date-order", "MDY"]) == 0
    db = open_database(dbfile)
    try:
        frame = stored(db, "S")
        assert frame["order_date"].dt.date.tolist() == [date(2024, 1, 2), date(2024, 3, 4)]
        assert frame["revenue"].tolist() == [1.0, 2.0]
    finally:
        db.close()
    assert cli.main(["import", str(path), "--dataset", "S", "--db", str(dbfile),
                     "--map", "revenue"]) == 1
    assert "field=Header" in capsys.readouterr().err


def test_database_settings_restored_after_import(db: Database, tmp_path: Path) -> None:
    with db.read() as cur:
        before = cur.execute("SELECT current_setting('memory_limit')").fetchall()
    import_file(db, write(tmp_path, "s.csv", "Customer,Date,Revenue\nA,2024-01-01,1\n"), "S")
    with pytest.raises(ImportFailed):
        import_file(db, write(tmp_path, "b.csv", "Customer,Date,Revenue\nA,2024-01-01,x\n"),
                    "B")
    with db.read() as cur:
        after = cur.execute("SELECT current_setting('memory_limit')").fetchall()
    assert after == before
    assert pd.notna(before[0][0])


def test_xlsx_unknown_headers_below_a_title_and_user_mapping(db: Database,
                                                             tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "u.xlsx", {"S": [
        ["Monthly extract"],
        ["Wer", "Wann", "Wieviel"],
        ["a", date(2024, 1, 1), 2.5],
        ["b", date(2024, 1, 2), 1],
    ]})
    preview = inspect_file(path)
    assert preview.header_line == 2
    assert preview.headers == ("Wer", "Wann", "Wieviel")
    assert set(preview.missing_required) == {"customer_id", "order_date", "revenue"}
    mapping = {"customer_id": "Wer", "order_date": "Wann", "revenue": "Wieviel"}
    result = import_file(db, path, "U", ImportOptions(mapping=mapping))
    assert result.rows_imported == 2
    assert stored(db, "U")["revenue"].tolist() == [2.5, 1.0]


def test_interrupted_import_leaves_nothing(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "Customer,Date,Revenue\nA,2024-01-01,1\n")

    def stop(fraction: float, message: str) -> None:
        if message == "Building summaries":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(db, path, "S", progress=stop)
    assert list_datasets(db) == []
    with db.read() as cur:
        for table in ("transactions", "sales_monthly", "customers", "import_rejects"):
            assert cur.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]


def test_zip_and_garbage_renamed(db: Database, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "sales.xlsx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    with pytest.raises(ImportFailed, match=r"sales\.xlsx"):
        import_file(db, archive, "Z")
    garbage = tmp_path / "sales.csv"
    garbage.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ImportFailed, match=r"sales\.csv"):
        inspect_file(garbage)
    assert list_datasets(db) == []
