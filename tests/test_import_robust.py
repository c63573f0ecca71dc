"""Issue 14, import side: no row vanishes without being counted, amounts and dates
outside the accepted range are rejected with a clear reason, mixed encodings are
never garbled silently."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from kam_analysis.analysis import analyze
from kam_analysis.db import Database
from kam_analysis.importing import import_file
from tests.import_helpers import stored, write

HEADER = "Customer ID;Customer;Date;Revenue\n"


def _rows(first: int, last: int) -> str:
    return "".join(f"A{i};x;2024-01-{i:02d};{i * 10}\n" for i in range(first, last + 1))


# -- finding 7: amounts that overflow -------------------------------------------------


def test_huge_amounts_are_rejected_and_every_figure_stays_finite(db: Database,
                                                                  tmp_path: Path) -> None:
    text = HEADER + _rows(1, 3) + "B1;big;2024-01-05;1e308\nB2;big;2024-01-06;1e308\n"
    result = import_file(db, write(tmp_path, "big.csv", text), "t")
    assert result.rows_imported == 3
    assert result.rows_rejected == 2
    assert math.isfinite(result.file_revenue_total)
    assert result.file_revenue_total == 60.0
    lines = result.reject_lines()
    assert lines[0].startswith("line 5, column 'Revenue': '1e308' is outside the accepted range")
    assert "1,000,000,000,000,000" in lines[0]
    res = analyze(db, "t")
    # median_gap is NaN by definition for a customer with one purchase
    numbers = res.customers.select_dtypes("number").drop(columns="median_gap")
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    assert res.customers["value"].sum() == 60.0
    for value in dataclasses.asdict(res.concentration).values():
        if isinstance(value, float):
            assert math.isfinite(value)


def test_amount_at_the_limit_is_accepted_beyond_it_rejected(db: Database,
                                                            tmp_path: Path) -> None:
    text = HEADER + "A1;x;2024-01-01;1000000000000000\nA2;x;2024-01-02;-1000000000000001\n"
    result = import_file(db, write(tmp_path, "edge.csv", text), "t")
    assert result.rows_imported == 1
    assert result.rejects["source_line"].tolist() == [3]


# -- finding 10: years far outside the range ------------------------------------------


def test_dates_outside_the_range_say_which_range_is_accepted(db: Database,
                                                             tmp_path: Path) -> None:
    text = HEADER + _rows(1, 2) + "A3;x;0001-01-01;10\nA4;x;9999-12-31;10\n"
    result = import_file(db, write(tmp_path, "years.csv", text), "t")
    assert result.reject_lines() == [
        "line 4, column 'Date': '0001-01-01' is outside the accepted range of dates "
        "(1900-01-01 to 2199-12-31)",
        "line 5, column 'Date': '9999-12-31' is outside the accepted range of dates "
        "(1900-01-01 to 2199-12-31)",
    ]


# -- finding 1: a quote that never closes ---------------------------------------------


def test_unclosed_quote_loses_no_row(db: Database, tmp_path: Path) -> None:
    text = HEADER + _rows(1, 3) + 'A4;"x;2024-01-04;40\n' + _rows(5, 8)
    result = import_file(db, write(tmp_path, "quote.csv", text), "t")
    assert result.rows_imported == 7
    assert result.rows_rejected == 1
    assert result.rows_read == 8
    assert result.imported_revenue_total == 320.0
    [reject] = result.rejects.itertuples()
    assert reject.source_line == 5
    assert reject.raw == 'A4;"x;2024-01-04;40'
    assert "quote" in reject.reason and "never closed" in reject.reason
    assert sorted(stored(db, "t")["customer_id"]) == [f"A{i}" for i in (1, 2, 3, 5, 6, 7, 8)]
    with db.read() as cur:
        [(longest,)] = cur.execute("SELECT max(length(raw)) FROM import_rejects").fetchall()
    assert longest == len('A4;"x;2024-01-04;40')


def test_several_unclosed_quotes_each_reported(db: Database, tmp_path: Path) -> None:
    text = (HEADER + _rows(1, 2) + 'A3;"x;2024-01-03;30\n' + _rows(4, 5)
            + 'A6;x;"2024-01-06;60\n' + _rows(7, 9))
    result = import_file(db, write(tmp_path, "quotes.csv", text), "t")
    assert result.rows_imported == 7
    assert result.rejects["source_line"].tolist() == [4, 7]
    assert result.rows_read == 9


def test_repeated_header_after_broken_row_is_not_taken_for_the_header(
        db: Database, tmp_path: Path) -> None:
    # Found by tests/test_import_accounting.py: the repeated header line had the more
    # consistent rows below it, so it was taken for the header and the three records
    # above it vanished as "title lines" without being counted.
    text = (HEADER + "G0;Name 0;2024-01-01;5\nE1;Name 1;2024-01-01;0;x;y\n" + HEADER
            + "\ufeffB3;Name 3;2024-01-01;0")
    result = import_file(db, write(tmp_path, "repeat.csv", text), "t")
    assert result.preview.header_line == 1
    assert result.rows_read + result.blank_rows + result.header_rows == 4
    assert result.header_rows == 1
    assert result.rows_rejected == 1
    [reject] = result.rejects.itertuples()
    assert reject.source_line == 3
    assert reject.raw == "E1;Name 1;2024-01-01;0;x;y"
    assert result.rows_imported == 2
    assert sorted(stored(db, "t")["customer_id"]) == ["B3", "G0"]


def test_empty_line_before_an_unclosed_quote_on_the_last_line_is_counted(
        db: Database, tmp_path: Path) -> None:
    # Found by tests/test_import_accounting.py: the emptied last line had no line
    # break, so it was no line, yet it was subtracted from the empty lines.
    text = HEADER + "G0;Name 0;2024-01-01;5\n\nQ2;\"Name 2;2024-01-01;0"
    result = import_file(db, write(tmp_path, "last.csv", text), "t")
    assert (result.rows_imported, result.rows_rejected, result.blank_rows) == (1, 1, 1)
    assert result.rejects["source_line"].tolist() == [4]


# -- finding 6: mixed encodings --------------------------------------------------------


def test_mixed_utf8_and_cp1251_lines_are_each_read_right(db: Database, tmp_path: Path) -> None:
    head = "Код клиента;Контрагент;Дата;Сумма\n".encode()
    utf8 = [f"{i:03d};ООО Ёлка {i};2024-01-{i % 28 + 1:02d};{i}\n".encode() for i in range(95)]
    cp1251 = [f"{i:03d};ЗАО Берёза {i};2024-02-{i % 28 + 1:02d};{i}\n".encode("cp1251")
              for i in range(95, 100)]
    path = tmp_path / "mixed.csv"
    path.write_bytes(head + b"".join(utf8[:50] + cp1251 + utf8[50:]))
    result = import_file(db, path, "t")
    assert result.rows_imported == 100
    names = set(stored(db, "t")["customer_name"])
    assert names == {f"ООО Ёлка {i}" for i in range(95)} | {
        f"ЗАО Берёза {i}" for i in range(95, 100)}
    [warning] = [w for w in result.warnings if "encodings" in w]
    assert warning.startswith("The file mixes two encodings: 5 lines are cp1251 "
                              "(lines 52, 53, 54, 55, 56), the others UTF-8")
