"""CSV import: dialects, numbers, dates, ERP quirks, rejects with line numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.db import Database, import_rejects, list_datasets
from kam_analysis.importing import ImportFailed, ImportOptions, import_file, inspect_file
from tests.import_helpers import stored, write

ERP = (
    "Отчет по продажам\n"
    "Период: 01.02.2024 - 29.02.2024\n"
    "\n"
    "Код клиента;Контрагент;Дата;Сумма;Валовая прибыль\n"
    '00017;ООО Ромашка;01.02.2024;"1 234,50";100\n'
    "\n"
    "00018;ООО Лютик;13.02.2024;(500,00);-10,5\n"
    "00019;X;31.02.2024;5;1\n"
    "00020;Y;03.02.2024;12,3x;1\n"
    "00021;Z;03.02.2024;7;1;extra\n"
    "Итого;;;1 234,00;\n"
)


def test_erp_export_with_title_blank_totals_and_bad_rows(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "sales.csv", ERP)
    preview = inspect_file(path)
    assert preview.format == "csv"
    assert preview.delimiter == ";"
    assert preview.header_line == 4
    assert preview.mapping == {
        "customer_id": "Код клиента", "order_date": "Дата", "revenue": "Сумма",
        "customer_name": "Контрагент", "margin": "Валовая прибыль",
    }
    assert preview.missing_required == ()
    assert not preview.date_order_ambiguous

    result = import_file(db, path, "Sales")
    assert result.rows_imported == 2
    assert result.rows_rejected == 3
    assert result.totals_dropped == 1
    assert result.rows_read == 6
    assert result.imported_revenue_total == pytest.approx(1234.50 - 500.00)
    # readable revenue of data rows: 1234.50 - 500 + 5 (bad date) + 7 (ragged row unreadable)
    assert result.file_revenue_total == pytest.approx(1234.50 - 500.00 + 5)
    assert result.reject_lines() == [
        "line 8, column 'Дата': '31.02.2024' is not a valid date",
        "line 9, column 'Сумма': '12,3x' is not a number",
        "line 10, the row has more cells than the header "
        "(Expected Number of Columns: 5 Found: 6)",
    ]
    rows = stored(db, "Sales")
    assert rows["customer_id"].tolist() == ["00017", "00018"]
    assert rows["source_line"].isna().all()  # imported rows carry no line number
    assert rows["revenue"].tolist() == [1234.5, -500.0]
    assert rows["margin"].tolist() == [100.0, -10.5]
    assert rows["customer_name"].tolist() == ["ООО Ромашка", "ООО Лютик"]
    assert rows["order_date"].dt.date.tolist() == [date(2024, 2, 1), date(2024, 2, 13)]
    assert import_rejects(db, "Sales")["source_line"].tolist() == [8, 9, 10]
    assert result.dataset.customer_count == 2


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("-1 234,50", -1234.5),
        ("(1 234,50)", -1234.5),
        ("1.234,50", 1234.5),
        ("1\u00a0234,50", 1234.5),
        ("1\u202f234,50", 1234.5),
        ("1'234,50", 1234.5),
        ("1 234,50-", -1234.5),
        ("\u22121 234,50", -1234.5),
        ("1.234.567,89 EUR", 1234567.89),
        ("€ 1.234,50", 1234.5),
        ("1 234,50 руб.", 1234.5),
        ("-7", -7.0),
        (",5", 0.5),
    ],
)
def test_number_shapes_decimal_comma(db: Database, tmp_path: Path, cell: str,
                                     expected: float) -> None:
    text = f'Kunde;Datum;Umsatz\nA;01.02.2024;"{cell}"\nB;02.02.2024;"2,25"\n'
    import_file(db, write(tmp_path, "n.csv", text), "N")
    assert stored(db, "N")["revenue"].tolist() == [pytest.approx(expected), 2.25]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,234.50", 1234.5),
        ("$1,234.50", 1234.5),
        ("(1,234.50)", -1234.5),
        ("1 234.50", 1234.5),
        ("1'234.50", 1234.5),
        ("-0.5", -0.5),
        ("USD 12", 12.0),
    ],
)
def test_number_shapes_decimal_point(db: Database, tmp_path: Path, cell: str,
                                     expected: float) -> None:
    text = f'Customer,Date,Revenue\nA,2024-02-01,"{cell}"\nB,2024-02-02,2.25\n'
    import_file(db, write(tmp_path, "n.csv", text), "N")
    assert stored(db, "N")["revenue"].tolist() == [pytest.approx(expected), 2.25]


def test_padded_cells_of_fixed_width_exports(db: Database, tmp_path: Path) -> None:
    """SAP-style padding around ids, dates and amounts is trimmed; a cell of spaces is
    empty (an empty margin is fine, an empty revenue is a reject saying so)."""
    text = (
        "Kunde   ;Datum       ;Umsatz      ;Marge\n"
        "  00017 ;  01.02.2024;   1.234,50 ;  10,5 \n"
        "00018   ;02.02.2024  ;-7          ;      \n"
        "00019   ;03.02.2024  ;            ;1\n"
        "00020   ; 2024-02-04 ;  (2,25)    ;1\n"
    )
    result = import_file(db, write(tmp_path, "p.csv", text), "P")
    rows = stored(db, "P")
    assert rows["customer_id"].tolist() == ["00017", "00018", "00020"]
    assert rows["order_date"].dt.date.tolist() == [date(2024, 2, 1), date(2024, 2, 2),
                                                   date(2024, 2, 4)]
    assert rows["revenue"].tolist() == [1234.5, -7.0, -2.25]
    assert rows["margin"].tolist()[:1] == [10.5] and pd.isna(rows["margin"].tolist()[1])
    assert result.rows_rejected == 1
    [reason] = import_rejects(db, "P")["reason"].tolist()
    assert "empty" in reason and "Umsatz" in reason


def test_thousands_dot_without_decimals_is_decided_from_the_column(
    db: Database, tmp_path: Path
) -> None:
    text = "Kunde;Datum;Umsatz\nA;01.02.2024;1.234\nB;02.02.2024;1.234.567\nC;03.02.2024;5,5\n"
    import_file(db, write(tmp_path, "n.csv", text), "N")
    assert stored(db, "N")["revenue"].tolist() == [1234.0, 1234567.0, 5.5]


@pytest.mark.parametrize(
    ("cells", "order", "expected"),
    [
        (["2024-02-01", "2024-02-13"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["01.02.2024", "13.02.2024"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["01/02/2024", "13/02/2024"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["02/01/2024", "02/13/2024"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["01/02/2024", "03/02/2024"], "DMY", [date(2024, 2, 1), date(2024, 2, 3)]),
        (["01/02/2024", "03/02/2024"], "MDY", [date(2024, 1, 2), date(2024, 3, 2)]),
        (["20240201", "20240213"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["2024-02-01 10:15:00", "2024-02-13T23:59:59"], None,
         [date(2024, 2, 1), date(2024, 2, 13)]),
        (["01.02.2024 10:15", "13.02.2024 0:00:00"], None,
         [date(2024, 2, 1), date(2024, 2, 13)]),
        (["45323", "45335"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
        (["1.2.24", "13.2.24"], None, [date(2024, 2, 1), date(2024, 2, 13)]),
    ],
)
def test_date_shapes(db: Database, tmp_path: Path, cells: list[str], order: str | None,
                     expected: list[date]) -> None:
    text = "Customer,Date,Revenue\n" + "".join(f"C{i},{c},1\n" for i, c in enumerate(cells))
    import_file(db, write(tmp_path, "d.csv", text), "D", ImportOptions(date_order=order))
    assert stored(db, "D")["order_date"].dt.date.tolist() == expected


def test_ambiguous_dates_must_be_chosen(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Customer,Date,Revenue\nA,01/02/2024,1\nB,03/04/2024,2\n")
    assert inspect_file(path).date_order_ambiguous
    assert not inspect_file(path, ImportOptions(date_order="MDY")).date_order_ambiguous
    with pytest.raises(ImportFailed, match="DMY or MDY"):
        import_file(db, path, "D")
    assert list_datasets(db) == []


def test_customer_ids_stay_text(db: Database, tmp_path: Path) -> None:
    text = "Customer ID,Customer,Date,Revenue\n00017,A,2024-01-01,1\n0017,A2,2024-01-02,2\n"
    import_file(db, write(tmp_path, "c.csv", text), "C")
    assert stored(db, "C")["customer_id"].tolist() == ["00017", "0017"]


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters_are_sniffed(db: Database, tmp_path: Path, delimiter: str) -> None:
    rows = [["Customer", "Date", "Revenue", "Region"], ["A", "2024-01-01", "10", "North"],
            ["B", "2024-01-02", "20", "South"]]
    text = "".join(delimiter.join(r) + "\n" for r in rows)
    assert inspect_file(write(tmp_path, "x.txt", text)).delimiter == delimiter
    result = import_file(db, tmp_path / "x.txt", "X")
    assert result.rows_imported == 2
    assert stored(db, "X")["region"].tolist() == ["North", "South"]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8-sig", b""), ("cp1251", b""), ("cp1252", b""),
     ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_encodings(db: Database, tmp_path: Path, encoding: str, prefix: bytes) -> None:
    if encoding == "cp1252":
        text = ("Kunde;Kundenname;Datum;Umsatz\n"
                "K1;Müller Bäckerei GmbH;01.02.2024;1,5\nK2;Größe & Söhne;02.02.2024;2\n")
        names = ["Müller Bäckerei GmbH", "Größe & Söhne"]
    else:
        text = ("Код клиента\tКонтрагент\tДата\tВыручка\n"
                "K1\tООО Ромашка\t01.02.2024\t1,5\nK2\tИП Ёжиков\t02.02.2024\t2\n")
        names = ["ООО Ромашка", "ИП Ёжиков"]
    path = tmp_path / "e.csv"
    path.write_bytes(prefix + text.encode(encoding))
    preview = inspect_file(path)
    import_file(db, path, "E")
    rows = stored(db, "E")
    assert rows["customer_name"].tolist() == names
    assert rows["revenue"].tolist() == [1.5, 2.0]
    assert preview.headers[2] == "Datum" if encoding == "cp1252" else "Дата"


def test_missing_required_column_is_refused(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "Customer,Date,Region\nA,2024-01-01,North\n")
    assert inspect_file(path).missing_required == ("revenue",)
    with pytest.raises(ImportFailed, match="no column found for Revenue"):
        import_file(db, path, "M")
    assert list_datasets(db) == []


def test_user_mapping_overrides(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "Wer,Wann,Wieviel,Umsatz\nA,2024-01-01,3,10\n")
    mapping = {"customer_id": "Wer", "order_date": "wann", "quantity": "Wieviel"}
    result = import_file(db, path, "M", ImportOptions(mapping=mapping))
    assert result.rows_imported == 1
    row = stored(db, "M").iloc[0]
    assert (row["customer_id"], row["quantity"], row["revenue"]) == ("A", 3.0, 10.0)
    with pytest.raises(ImportFailed, match="no column 'Nope'"):
        import_file(db, path, "M", ImportOptions(mapping={"revenue": "Nope"}))
    with pytest.raises(ImportFailed, match="Unknown field"):
        import_file(db, path, "M", ImportOptions(mapping={"turnover": "Umsatz"}))


def test_empty_file_and_header_only(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="empty"):
        import_file(db, write(tmp_path, "empty.csv", ""), "X")
    with pytest.raises(ImportFailed, match="no data rows"):
        import_file(db, write(tmp_path, "h.csv", "Customer;Date;Revenue\n"), "X")
    with pytest.raises(ImportFailed, match="no data rows"):
        import_file(db, write(tmp_path, "h2.csv", "Customer;Date;Revenue\n;;\n\n"), "X")
    assert list_datasets(db) == []


def test_all_rows_bad_is_refused_naming_the_first_lines(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "Customer;Date;Revenue\nA;2024-01-01;abc\nB;2024-01-01;x\n")
    with pytest.raises(ImportFailed, match=r"line 2, column 'Revenue': 'abc' is not a number"):
        import_file(db, path, "B")
    assert list_datasets(db) == []


def test_unterminated_quote_and_ragged_rows(db: Database, tmp_path: Path) -> None:
    text = (
        "Customer;Date;Revenue;Region\n"
        "A;2024-01-01;1;North\n"
        "B;2024-01-02;2\n"                  # too few cells: region empty, still imported
        "C;2024-01-03;3;South;extra\n"     # too many cells: rejected
        "D;2024-01-04;4;West\n"
        'E;"2024-01-05;5;East\n'          # quote never closed: that line alone is rejected
        "F;2024-01-06;6;East\n"          # and the rows after it are imported (issue 14)
    )
    result = import_file(db, write(tmp_path, "r.csv", text), "R")
    rows = stored(db, "R")
    assert rows["customer_id"].tolist() == ["A", "B", "D", "F"]
    assert rows["region"].iloc[0] == "North"
    assert pd.isna(rows["region"].iloc[1])
    assert rows["source_line"].isna().all()  # imported rows carry no line number
    lines = result.reject_lines()
    assert lines[0].startswith("line 4, the row has more cells than the header")
    assert lines[1].startswith("line 6, a quote opens on this line and is never closed")
    assert result.rows_rejected == 2


def test_quoted_line_breaks_keep_physical_line_numbers(db: Database, tmp_path: Path) -> None:
    text = (
        "Customer,Product,Date,Revenue\n"
        'A,"two\nlines",2024-01-01,1\n'
        "B,x,2024-01-02,2\n"
        "C,y,2024-01-32,3\n"
    )
    result = import_file(db, write(tmp_path, "q.csv", text), "Q")
    assert stored(db, "Q")["source_line"].isna().all()  # imported rows carry no line number
    assert stored(db, "Q")["product"].tolist() == ["two\nlines", "x"]
    assert result.reject_lines() == ["line 5, column 'Date': '2024-01-32' is not a valid date"]


def test_duplicate_and_sql_like_headers(db: Database, tmp_path: Path) -> None:
    text = (
        'Customer;Date;Sum;Sum;"""; DROP TABLE transactions;--"\n'
        "A;2024-01-01;1;2;x\n"
    )
    path = write(tmp_path, "s.csv", text)
    preview = inspect_file(path)
    assert preview.headers == ("Customer", "Date", "Sum", "Sum (2)",
                               '"; DROP TABLE transactions;--')
    result = import_file(db, path, "S", ImportOptions(
        mapping={"revenue": "Sum (2)", "product": '"; DROP TABLE transactions;--'}))
    row = stored(db, "S").iloc[0]
    assert (row["revenue"], row["product"]) == (2.0, "x")
    assert result.rows_imported == 1
    bad = write(tmp_path, "s2.csv",
                'Customer;Date;"x{}\'); DROP TABLE t;--"\nA;2024-01-01;zz\n')
    expected = r"column 'x\{\}'\); DROP TABLE t;--': 'zz' is not a number"
    with pytest.raises(ImportFailed, match=expected):
        import_file(db, bad, "S2", ImportOptions(mapping={"revenue": "x{}'); DROP TABLE t;--"}))
    assert [d.name for d in list_datasets(db)] == ["S"]


def test_totals_rows_are_dropped(db: Database, tmp_path: Path) -> None:
    text = (
        "Kundennummer;Kunde;Rechnungsdatum;Nettoumsatz\n"
        "100;Total Logistik GmbH;01.02.2024;10\n"
        "101;Alpha;02.02.2024;5\n"
        "Summe;;;15\n"
        ";Gesamtsumme:;;15\n"
        ";;;15\n"
        "Grand total;;;15\n"
        "101;Alpha;;5\n"                    # group subtotal: amount without a date
        "101 Ergebnis;;;5\n"                # Excel Data > Subtotal label
        "Gesamtergebnis;;01.02.2024;15\n"
    )
    result = import_file(db, write(tmp_path, "t.csv", text), "T")
    assert result.rows_imported == 2
    assert result.totals_dropped == 7
    assert result.rows_rejected == 0
    assert result.file_revenue_total == 15.0
    assert stored(db, "T")["customer_name"].tolist() == ["Total Logistik GmbH", "Alpha"]


def test_replacing_a_dataset_and_failed_import_keeps_the_old(db: Database,
                                                            tmp_path: Path) -> None:
    good = write(tmp_path, "g.csv", "Customer,Date,Revenue\nA,2024-01-01,1\n")
    import_file(db, good, "G")
    first = list_datasets(db)[0]
    bad = write(tmp_path, "b.csv", "Customer,Date,Revenue\nA,2024-01-01,x\n")
    with pytest.raises(ImportFailed):
        import_file(db, bad, "G")
    assert list_datasets(db)[0].dataset_id == first.dataset_id
    with db.read() as cur:
        assert cur.execute("SELECT count(*) FROM transactions").fetchall() == [(1,)]
    import_file(db, write(tmp_path, "g2.csv", "Customer,Date,Revenue\nB,2024-01-01,2\n"), "G")
    assert stored(db, "G")["customer_id"].tolist() == ["B"]


def test_progress_is_reported(db: Database, tmp_path: Path) -> None:
    seen: list[float] = []
    import_file(db, write(tmp_path, "p.csv", "Customer,Date,Revenue\nA,2024-01-01,1\n"), "P",
                progress=lambda f, _m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)


def test_wrong_encoding_given_rejects_only_the_bad_lines(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes("Customer;Date;Revenue\nA;2024-01-01;1\nООО Б;2024-01-02;2\n"
                     "C;2024-01-03;3\n".encode("cp1251"))
    result = import_file(db, path, "E", ImportOptions(encoding="utf-8"))
    assert stored(db, "E")["source_line"].isna().all()  # imported rows carry no line number
    assert result.reject_lines()[0].startswith("line 3, the row is not valid text")
    assert result.warnings == ()
    # detected, it imports completely
    assert import_file(db, path, "E").rows_imported == 3
    assert stored(db, "E")["customer_id"].tolist() == ["A", "ООО Б", "C"]


def test_given_delimiter(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "d.txt", "Customer|Date|Revenue|Note\nA|2024-01-01|1|x;y\n")
    result = import_file(db, path, "D", ImportOptions(delimiter="|"))
    assert result.rows_imported == 1
    with pytest.raises(ImportFailed, match="one character"):
        inspect_file(path, ImportOptions(delimiter=";;"))
    with pytest.raises(ImportFailed, match="one character"):
        inspect_file(path, ImportOptions(delimiter='"'))


def test_repeated_header_rows_and_delimiter_only_rows_are_skipped(db: Database,
                                                                  tmp_path: Path) -> None:
    text = (
        "Customer;Date;Revenue\n"
        "A;2024-01-01;1\n"
        ";;\n"
        "Customer;Date;Revenue\n"
        "B;2024-01-02;2\n"
    )
    result = import_file(db, write(tmp_path, "h.csv", text), "H")
    assert result.rows_imported == 2
    assert result.rows_rejected == 0
    assert result.warnings == ("Blank rows skipped: 1.", "Repeated header rows skipped: 1.")
    assert stored(db, "H")["source_line"].isna().all()  # imported rows carry no line number


def test_text_without_a_table(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no header row"):
        import_file(db, write(tmp_path, "notes.txt", "Just some notes\nand more\n"), "N")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=40).map(lambda b: bytes(b"a\n\r"[x % 3] for x in b)),
       chunk=st.integers(1, 8))
def test_count_lines_counts_physical_lines(tmp_path, monkeypatch, data, chunk) -> None:
    """The line count behind exact reject line numbers, across chunk boundaries."""
    from kam_analysis.importing import lines

    monkeypatch.setattr(lines, "_COUNT_CHUNK", chunk)
    path = tmp_path / "lines.csv"
    path.write_bytes(data)
    expected = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert lines._count_lines(path) == expected
