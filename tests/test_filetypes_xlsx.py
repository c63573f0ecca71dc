"""Reading XLSX sheets: sheet order and choice, values, streaming, scanning once."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.importing import (
    UnsupportedFile,
    list_sheets,
    read_sheet,
    workbook,
    xlsx_read,
    xlsx_scan,
)
from tests.filetypes_samples import (
    PDF,
    SHEET_NS,
    WORKBOOK,
    WORKBOOK_RELS,
    _raw_xlsx,
    _sales_workbook,
    _sheet_xml,
    forbid_reader,
)

# ---------------------------------------------------------------------------
# list_sheets / read_sheet
# ---------------------------------------------------------------------------

reader_forbidden = pytest.fixture(forbid_reader)


def test_list_sheets_in_workbook_order(tmp_path: Path) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    assert list_sheets(path) == ("Cover", "Sales", "Notes")


def test_read_first_non_empty_sheet_with_types_and_row_numbers(tmp_path: Path) -> None:
    rows = read_sheet(_sales_workbook(tmp_path / "s.xlsx"))
    # index + 1 == Excel row number: the header is on row 4 after the preamble
    assert rows[0] == ["Sales report 2024"]
    assert rows[2] == []
    assert rows[3] == ["customer_id", "date", "timestamp", "revenue", "qty", "paid", "name"]
    assert rows[4] == [
        "00017", date(2024, 1, 5), datetime(2024, 1, 5, 13, 30), 1234.5, 7, True, "Ölf"
    ]
    assert rows[5] == [
        "00018", date(2024, 2, 29), datetime(2024, 2, 29, 8, 0), -10.25, 3, False, "Зав"
    ]
    assert isinstance(rows[4][4], int)
    assert type(rows[4][1]) is date


def test_read_named_sheet_keeps_leading_empty_columns(tmp_path: Path) -> None:
    rows = read_sheet(_sales_workbook(tmp_path / "s.xlsx"), "Notes")
    assert rows == [[], [None, "note"]]


def test_max_rows_limits_rows(tmp_path: Path) -> None:
    rows = read_sheet(_sales_workbook(tmp_path / "s.xlsx"), "Sales", max_rows=2)
    assert rows == [["Sales report 2024"], ["exported by ERP"]]


def test_unknown_sheet_lists_available_sheets(tmp_path: Path) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    with pytest.raises(UnsupportedFile, match=r"no sheet 'Umsatz'.*'Cover', 'Sales', 'Notes'"):
        read_sheet(path, "Umsatz")
    with pytest.raises(ValueError, match="no sheet"):  # UnsupportedFile is a ValueError
        read_sheet(path, "Umsatz")


def test_read_sheet_refuses_non_xlsx_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match="PDF"):
        read_sheet(path)
    csv = tmp_path / "b.xlsx"
    csv.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(UnsupportedFile, match="CSV file, not an Excel workbook"):
        list_sheets(csv)


def test_xlsxwriter_workbook_with_emoji_and_long_headers(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Données 😀")
    long_header = "Umsatz " + "x" * 300
    ws.write_row(0, 0, ["😀 Kunde", long_header])
    ws.write_row(1, 0, ["A-1", 99.5])
    ws.write_datetime(2, 1, datetime(2025, 3, 1), wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    assert list_sheets(path) == ("Données 😀",)
    assert read_sheet(path) == [["😀 Kunde", long_header], ["A-1", 99.5], [None, date(2025, 3, 1)]]


def test_workbook_without_values_reads_empty(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    openpyxl.Workbook().save(path)
    assert read_sheet(path) == []



# ---------------------------------------------------------------------------
# property: what a writer puts in comes back out
# ---------------------------------------------------------------------------


_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters="\u2028\u2029"
    ),
    max_size=40,
).filter(lambda s: s == s.strip() or s.strip())  # leading/trailing spaces are fine too
_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2099, 12, 31)),
)


def _expected(value: object) -> object:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_CELL, max_size=6), min_size=1, max_size=8))
def test_values_written_by_xlsxwriter_read_back_unchanged(
    tmp_path: Path, rows: list[list[object]]
) -> None:
    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("P")
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                ws.write_datetime(r, c, value, date_format)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif value is not None:
                ws.write_number(r, c, value)
    wb.close()
    expected = []
    for row in rows:
        converted = [_expected(v) for v in row]
        while converted and converted[-1] is None:
            converted.pop()
        expected.append(converted)
    while expected and expected[-1] == []:
        expected.pop()
    got = read_sheet(path)
    # writers store 15-17 significant digits, so floats compare to 1e-14 relative
    assert len(got) == len(expected)
    for got_row, want_row in zip(got, expected, strict=True):
        assert [type(v) for v in got_row] == [type(v) for v in want_row]
        for got_value, want_value in zip(got_row, want_row, strict=True):
            if isinstance(want_value, float):
                assert got_value == pytest.approx(want_value, rel=1e-14)
            else:
                assert got_value == want_value


def test_duplicate_sheet_names_are_refused(tmp_path: Path) -> None:
    workbook = WORKBOOK.replace(
        "</sheets>", '<sheet name="DATA" sheetId="2" r:id="rId1"/></sheets>'
    )
    sheet = _sheet_xml('<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>')
    path = _raw_xlsx(tmp_path / "dup.xlsx", sheet, {"xl/workbook.xml": workbook})
    with pytest.raises(UnsupportedFile, match="two sheets are named 'DATA'"):
        list_sheets(path)


def test_odd_relationship_targets_are_resolved_and_scanned(
    tmp_path: Path, reader_forbidden: None
) -> None:
    # target written as "xl/worksheets/..." (no leading slash): some readers take it
    # literally, others relative to xl/; every existing spelling must be scanned
    rels = WORKBOOK_RELS.replace('Target="worksheets/sheet1.xml"', 'Target="xl/Worksheets/S.xml"')
    far = _sheet_xml(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="999999"><c r="ZZ999999"><v>1</v></c></row></sheetData>'
    )
    path = _raw_xlsx(
        tmp_path / "odd.xlsx",
        _sheet_xml("<sheetData/>"),
        {"xl/_rels/workbook.xml.rels": rels, "xl/worksheets/s.xml": far},
    )
    info = workbook.sheet_infos(path)[0]
    assert info.parts == ("xl/worksheets/s.xml",)
    with pytest.raises(UnsupportedFile, match="has 999,999 rows x 702 columns"):
        read_sheet(path)


def test_a_checked_file_is_scanned_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    assert read_sheet(path, max_rows=1) == [["Sales report 2024"]]

    def no_rescan(*args: object, **kwargs: object) -> None:
        raise AssertionError("scanned again")

    monkeypatch.setattr(xlsx_read, "_check_and_choose", no_rescan)
    assert len(read_sheet(path)) == 6
    _sales_workbook(path)  # rewritten: new mtime (and inode) -> checked again
    import os

    os.utime(path, ns=(1, 1))
    with pytest.raises(AssertionError, match="scanned again"):
        read_sheet(path)


def test_iter_sheet_rows_raises_when_called(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match="PDF"):
        xlsx_read.iter_sheet_rows(path)  # no next() needed
    rows = xlsx_read.iter_sheet_rows(_sales_workbook(tmp_path / "s.xlsx"), "Notes")
    assert list(rows) == [[], [None, "note"]]



def test_reader_errors_become_clear_refusals(tmp_path: Path) -> None:
    # a shared-string index beyond the table: passes the scan, fails in the reader
    sheet = _sheet_xml('<sheetData><row r="1"><c r="A1" t="s"><v>5</v></c></row></sheetData>')
    sst = f'<sst xmlns="{SHEET_NS}" count="1" uniqueCount="1"><si><t>a</t></si></sst>'
    path = _raw_xlsx(tmp_path / "bad.xlsx", sheet, {"xl/sharedStrings.xml": sst})
    with pytest.raises(UnsupportedFile, match=r"^bad\.xlsx: an XLSX file that could not be read"):
        read_sheet(path)


def test_default_sheet_prefers_visible_sheets(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    wb = openpyxl.Workbook()
    helper = wb.active
    helper.title = "Lists"
    helper["A1"] = "lookup"
    helper.sheet_state = "hidden"
    data = wb.create_sheet("Data")
    data["A1"] = "customer"
    wb.save(path)
    assert list_sheets(path) == ("Lists", "Data")
    assert [s.hidden for s in workbook.sheet_infos(path)] == [True, False]
    assert read_sheet(path) == [["customer"]]
    assert read_sheet(path, "Lists") == [["lookup"]]


def test_rows_are_streamed_and_the_fallback_layout_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    notes = tmp_path / "n.xlsx"
    wb = openpyxl.Workbook()
    wb.active["C3"] = "x"
    wb.active["E5"] = 2.5
    wb.save(notes)
    expected_sales = read_sheet(path, "Sales")
    expected_notes = read_sheet(notes)
    assert expected_notes == [[], [], [None, None, "x"], [], [None, None, None, None, 2.5]]

    def not_streamed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole sheet was materialised")

    with monkeypatch.context() as patch:  # normal files stream
        patch.setattr(xlsx_read, "_converted_rows", not_streamed)
        assert read_sheet(path, "Sales") == expected_sales
        assert read_sheet(notes) == expected_notes
    # if the reader's row layout ever changes, the documented layout is used instead
    monkeypatch.setattr(xlsx_read, "_islice", lambda rows, n: iter(()))
    monkeypatch.setattr(xlsx_read, "_streamed_rows", not_streamed)
    assert read_sheet(path, "Sales") == expected_sales
    assert read_sheet(notes) == expected_notes
    assert read_sheet(notes, max_rows=3) == [[], [], [None, None, "x"]]



def test_prefixed_cell_tags_are_measured(tmp_path: Path, reader_forbidden: None) -> None:
    body = (
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="2"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    )
    sheet = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{SHEET_NS}">'
        f"<x:sheetData>{body}</x:sheetData></x:worksheet>"
    )
    path = _raw_xlsx(tmp_path / "pfx.xlsx", sheet)
    with pytest.raises(UnsupportedFile, match="has 1,048,576 rows x 16,384 columns"):
        read_sheet(path)


def test_conditional_formatting_extensions_keep_the_fast_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel writes <x14:conditionalFormattings> etc.; they must not force the slow replay
    body = '<row r="1"><c r="A1"><v>1</v></c></row>'
    ext = (
        '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        "<x14:conditionalFormattings><x14:conditionalFormatting><x14:cfRule/>"
        "</x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
    )
    path = _raw_xlsx(tmp_path / "cf.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>{ext}"))

    def no_replay(*args: object, **kwargs: object) -> None:
        raise AssertionError("exact replay used")

    monkeypatch.setattr(xlsx_scan, "_scan_sheet_exact", no_replay)
    assert read_sheet(path) == [[1]]


def _col_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_ROW_SPEC = st.tuples(
    st.booleans(),  # row element carries r=
    st.integers(min_value=0, max_value=3),  # gap of skipped rows before it
    st.lists(  # cells: (carries r=, column gap before it)
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=40)), max_size=5
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_ROW_SPEC, min_size=1, max_size=6), spaced=st.booleans())
def test_scanned_extent_covers_what_the_reader_allocates(
    tmp_path: Path, rows: list[tuple[bool, int, list[tuple[bool, int]]]], spaced: bool
) -> None:
    import python_calamine

    parts = []
    row_index = -1
    for row_has_ref, row_gap, cells in rows:
        row_index += 1 + row_gap
        row_attr = f' r="{row_index + 1}"' if row_has_ref else ""
        col_index = -1
        cell_xml = []
        for cell_has_ref, col_gap in cells:
            col_index += 1 + col_gap
            ref = f"{_col_letters(col_index)}{row_index + 1}"
            attr = (f' r = "{ref}"' if spaced else f' r="{ref}"') if cell_has_ref else ""
            cell_xml.append(f"<c{attr}><v>1</v></c>")
        parts.append(f"<row{row_attr}>{''.join(cell_xml)}</row>")
    path = _raw_xlsx(
        tmp_path / "g.xlsx", _sheet_xml(f"<sheetData>{''.join(parts)}</sheetData>")
    )
    with zipfile.ZipFile(path) as zf:
        assert zf.fp is not None
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        extent = xlsx_scan._scan_sheet(zf.fp, info, "g.xlsx", 10**9)
    data = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data")
    if data.end is not None:
        end_row, end_col = data.end
        assert extent.last_row >= end_row + 1
        assert extent.last_col >= end_col + 1
