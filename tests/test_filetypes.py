"""File-type detection and safe XLSX reading; every sample is built here."""

from __future__ import annotations

import contextlib
import struct
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from kam_analysis import filetypes
from kam_analysis.filetypes import (
    UnsupportedFile,
    detect_format,
    list_sheets,
    read_sheet,
    upload_limit_bytes,
)

# ---------------------------------------------------------------------------
# sample builders
# ---------------------------------------------------------------------------


def _sales_workbook(path: Path) -> Path:
    """Empty first sheet, a preamble, dates, numbers, text ids, several sheets."""
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"  # left empty on purpose
    ws = wb.create_sheet("Sales")
    ws["A1"] = "Sales report 2024"
    ws["A2"] = "exported by ERP"
    ws.append([])
    ws.append(["customer_id", "date", "timestamp", "revenue", "qty", "paid", "name"])
    ws.append(["00017", date(2024, 1, 5), datetime(2024, 1, 5, 13, 30), 1234.5, 7, True, "Ölf"])
    ws.append(["00018", date(2024, 2, 29), datetime(2024, 2, 29, 8, 0), -10.25, 3, False, "Зав"])
    ws["B5"].number_format = "dd.mm.yyyy"
    ws["B6"].number_format = "dd.mm.yyyy"
    ws["D5"].number_format = "#,##0.00 €"
    other = wb.create_sheet("Notes")
    other["B2"] = "note"
    wb.save(path)
    return path


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
    'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet_xml(body: str, before: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{before}<worksheet xmlns="{SHEET_NS}">'
        f"{body}</worksheet>"
    )


def _raw_xlsx(path: Path, sheet: str, extra: dict[str, str] | None = None) -> Path:
    """A minimal hand-written XLSX: one sheet named Data with the given XML."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }
    members.update(extra or {})
    return _zip(path, members)


def _cfb(path: Path, names: list[str]) -> Path:
    """A minimal OLE compound file whose directory lists the given stream names."""
    sector = 512
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)  # minor, major, byte order
    struct.pack_into("<HH", header, 30, 9, 6)  # sector shift 512, mini sector shift 64
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory starts in sector 1
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)  # no mini FAT
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)  # no DIFAT sectors
    difat = [0] + [0xFFFFFFFF] * 108  # FAT lives in sector 0
    struct.pack_into("<109I", header, 76, *difat)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [0xFFFFFFFF] * (sector // 4 - 2)
    entries = bytearray()
    for index, entry_name in enumerate(["Root Entry", *names]):
        raw = entry_name.encode("utf-16-le") + b"\x00\x00"
        entry = bytearray(128)
        entry[: len(raw)] = raw
        struct.pack_into("<H", entry, 64, len(raw))
        entry[66] = 5 if index == 0 else 2
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<I", entry, 116, 0xFFFFFFFE)
        entries += entry
    entries += bytes(sector - len(entries) % sector) if len(entries) % sector else b""
    assert len(entries) == sector, "test helper supports up to 3 names"
    path.write_bytes(bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + bytes(entries))
    return path


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


# ---------------------------------------------------------------------------
# detect_format
# ---------------------------------------------------------------------------


def test_detects_real_xlsx_csv_and_parquet(tmp_path: Path) -> None:
    xlsx = _sales_workbook(tmp_path / "upload.bin")
    assert detect_format(xlsx) == "xlsx"

    csv = tmp_path / "sales.xlsx"  # name lies; content decides
    csv.write_text("customer;date;revenue\n00017;05.01.2024;1 234,50\n", encoding="cp1251")
    assert detect_format(csv) == "csv"

    parquet = tmp_path / "sales.csv"
    pq.write_table(pa.table({"customer": ["00017"], "revenue": [1.5]}), parquet)
    assert detect_format(parquet) == "parquet"


def test_utf16_text_with_bom_is_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("Kunde\tUmsatz\nMüller\t12,50\n".encode("utf-16"))  # BOM + NUL bytes
    assert detect_format(path) == "csv"


def test_only_delimiters_and_long_emoji_headers_are_text(tmp_path: Path) -> None:
    delims = tmp_path / "d.csv"
    delims.write_text(";;;;\n;;;;\n", encoding="utf-8")
    assert detect_format(delims) == "csv"
    header = tmp_path / "h.csv"
    header.write_text(("😀" + "x" * 300) + ",b\n1,2\n", encoding="utf-8")
    assert detect_format(header) == "csv"


@pytest.mark.parametrize("name", ["report.csv", "report.xlsx"])
def test_pdf_is_refused_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "upload.tmp"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match=rf"^{name.replace('.', '[.]')}: a PDF document"):
        detect_format(path, filename=name)


def test_message_uses_path_name_without_filename(tmp_path: Path) -> None:
    path = tmp_path / "scan.csv"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match=r"^scan\.csv: a PDF document\. Export"):
        detect_format(path)


def test_encrypted_workbook_is_refused_as_password_protected(tmp_path: Path) -> None:
    path = _cfb(tmp_path / "x.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    with pytest.raises(UnsupportedFile, match="password-protected") as info:
        detect_format(path, filename="Budget.xlsx")
    assert str(info.value).startswith("Budget.xlsx: ")
    assert "Remove the password in Excel" in str(info.value)


def test_legacy_xls_is_refused_with_save_as_advice(tmp_path: Path) -> None:
    path = _cfb(tmp_path / "old.xls", ["Workbook", "\x05SummaryInformation"])
    with pytest.raises(UnsupportedFile, match=r"old Excel \.xls format.*save it as \.xlsx or CSV"):
        detect_format(path)


def test_xlsb_is_refused(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "b.xlsx",
        {"[Content_Types].xml": "<Types/>", "xl/workbook.bin": b"\x83\x01\x00"},
    )
    with pytest.raises(UnsupportedFile, match=r"Excel binary workbook \(\.xlsb\).*\.xlsx or CSV"):
        detect_format(path)


def test_docx_ods_and_plain_zip_are_refused_by_kind(tmp_path: Path) -> None:
    docx = _zip(
        tmp_path / "a.xlsx",
        {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"},
    )
    with pytest.raises(UnsupportedFile, match=r"Word document"):
        detect_format(docx)
    ods = _zip(
        tmp_path / "b.xlsx",
        {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
    )
    with pytest.raises(UnsupportedFile, match=r"OpenDocument spreadsheet \(\.ods\)"):
        detect_format(ods)
    plain = _zip(tmp_path / "c.csv", {"sales.csv": "a,b\n1,2\n"})
    with pytest.raises(UnsupportedFile, match=r"zip archive.*Extract it"):
        detect_format(plain)


def test_images_gzip_empty_and_garbage_are_refused(tmp_path: Path) -> None:
    cases = {
        "png": (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        "jpg": (b"\xff\xd8\xff\xe0" + bytes(100), "JPEG image"),
        "gif": (b"GIF89a" + bytes(100), "GIF image"),
        "gz": (b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
        "empty": (b"", "empty"),
        "garbage": (bytes(range(256)) * 64, "binary data"),
    }
    for key, (content, expected) in cases.items():
        path = tmp_path / f"{key}.csv"
        path.write_bytes(content)
        with pytest.raises(UnsupportedFile, match=expected):
            detect_format(path)


def test_truncated_zip_is_refused_as_damaged(tmp_path: Path) -> None:
    full = _sales_workbook(tmp_path / "full.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(UnsupportedFile, match="damaged or incomplete"):
        detect_format(cut)


# ---------------------------------------------------------------------------
# list_sheets / read_sheet
# ---------------------------------------------------------------------------


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
# upload limit
# ---------------------------------------------------------------------------


def test_upload_limit_from_streamlit_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[server]\nmaxUploadSize = 50\n", encoding="utf-8")
    assert upload_limit_bytes(config) == 50 * 1024 * 1024
    config.write_text("[browser]\ngatherUsageStats = false\n", encoding="utf-8")
    assert upload_limit_bytes(config) == 200 * 1024 * 1024
    assert upload_limit_bytes(tmp_path / "missing.toml") == 200 * 1024 * 1024
    assert upload_limit_bytes() == filetypes.MAX_UPLOAD_MB * 1024 * 1024


def test_real_encrypted_workbook_is_refused(tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _sales_workbook(tmp_path / "plain.xlsx")
    encrypted = tmp_path / "secret.xlsx"
    with plain.open("rb") as src, encrypted.open("wb") as dst:
        OOXMLFile(src).encrypt("s3cret", dst)
    with pytest.raises(UnsupportedFile, match=r"^secret\.xlsx: a password-protected"):
        detect_format(encrypted)
    with pytest.raises(UnsupportedFile, match="password-protected"):
        read_sheet(encrypted)


# ---------------------------------------------------------------------------
# hostile XLSX: refused quickly, with little memory, before the reader parses
# ---------------------------------------------------------------------------

MB = 1024 * 1024


@pytest.fixture
def reader_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if the XLSX reader is reached: refusals must happen before parsing."""
    import python_calamine

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader was called on a file that must be refused")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", forbidden)
    monkeypatch.setattr(python_calamine, "load_workbook", forbidden)


def _refusal_cost(
    fn: Callable[..., object], *args: object, **kwargs: object
) -> tuple[str, float, int]:
    """Run a call that must raise UnsupportedFile; return message, seconds, peak bytes."""
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(UnsupportedFile) as info:
            fn(*args, **kwargs)
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return str(info.value), elapsed, peak


def _bomb(path: Path, zeros_mb: int) -> Path:
    """An XLSX whose sheet part is ``zeros_mb`` MB of zeros, written as a stream."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = bytes(MB)
            for _ in range(zeros_mb):
                member.write(block)
    return path


def test_zip_bomb_is_refused_from_the_directory(tmp_path: Path, reader_forbidden: None) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 300)
    assert path.stat().st_size < 2 * MB
    for call in (detect_format, list_sheets, read_sheet):
        message, elapsed, peak = _refusal_cost(call, path)
        assert message.startswith("bomb.xlsx: ")
        assert "zip bomb" in message and "xl/worksheets/sheet1.xml" in message
        assert peak < 200 * MB  # stated requirement: < 200 MB growth ...
        assert elapsed < 5  # ... and < 5 s (the refusal reads only the zip directory)


def test_declared_total_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader_forbidden: None
) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    monkeypatch.setattr(filetypes, "MAX_DECLARED_UNCOMPRESSED_BYTES", 2000)
    with pytest.raises(UnsupportedFile, match=r"would unpack to .* MB, more than"):
        detect_format(path)


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make the zip directory (and local header) understate a member's size."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    central = data.find(b"PK\x01\x02" + bytes(0))
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_len]) == encoded:
            struct.pack_into("<I", data, central + 24, size)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
            path.write_bytes(bytes(data))
            return
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{member} not found")


def test_member_unpacking_beyond_its_declared_size_is_refused(
    tmp_path: Path, reader_forbidden: None
) -> None:
    cells = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 2000))
    path = _raw_xlsx(tmp_path / "lie.xlsx", _sheet_xml(f"<sheetData>{cells}</sheetData>"))
    _patch_declared_size(path, "xl/worksheets/sheet1.xml", 1000)
    message, _, peak = _refusal_cost(read_sheet, path)
    assert "unpacks to more bytes than it declares" in message
    assert peak < 50 * MB


def test_absurd_declared_dimension_is_refused(tmp_path: Path, reader_forbidden: None) -> None:
    sheet = _sheet_xml(
        '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        "</sheetData>"
    )
    path = _raw_xlsx(tmp_path / "dim.xlsx", sheet)
    for call in (detect_format, read_sheet):
        message, elapsed, peak = _refusal_cost(call, path)
        assert "declares 1,048,576 rows x 16,384 columns" in message
        assert peak < 200 * MB and elapsed < 5


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + f']><sst xmlns="{SHEET_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)


def test_billion_laughs_in_shared_strings_is_refused(
    tmp_path: Path, reader_forbidden: None
) -> None:
    sheet = _sheet_xml('<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>')
    path = _raw_xlsx(tmp_path / "lol.xlsx", sheet, {"xl/sharedStrings.xml": BILLION_LAUGHS})
    for call in (detect_format, list_sheets, read_sheet):
        message, elapsed, peak = _refusal_cost(call, path)
        assert "xl/sharedStrings.xml declares a DTD or XML entities" in message
        assert peak < 200 * MB and elapsed < 5


def test_dtd_hidden_after_a_long_prolog_is_found_by_the_full_scan(
    tmp_path: Path, reader_forbidden: None
) -> None:
    padding = "<!--" + "x" * 200_000 + "-->"
    sheet = _sheet_xml(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
        before=padding + '<!DOCTYPE worksheet [<!ENTITY e "x">]>',
    )
    path = _raw_xlsx(tmp_path / "late.xlsx", sheet)
    assert detect_format(path) == "xlsx"  # the head check alone cannot see it
    with pytest.raises(UnsupportedFile, match="declares a DTD"):
        read_sheet(path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a far-away cell: the reader would allocate 17 billion cells and abort the process
        (
            '<row r="1"><c r="A1"><v>1</v></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>',
            "has 1,048,576 rows x 16,384 columns",
        ),
        # far-away row but cells without references: placed after the row start
        (
            '<row r="900000">' + "<c><v>1</v></c>" * 100 + "</row>",
            "has 900,000 rows x 100 columns",
        ),
        # a reference written with spaces around "=" (valid XML) is still measured
        ('<row r="1"><c r = "ZZ99999"><v>1</v></c></row>', "has 99,999 rows x 702 columns"),
        # beyond Excel's grid
        ('<row r="1"><c r="XFE1"><v>1</v></c></row>', "has 1 rows x 16,385 columns"),
    ],
)
def test_real_cell_extent_is_measured_before_reading(
    tmp_path: Path, body: str, expected: str, reader_forbidden: None
) -> None:
    path = _raw_xlsx(tmp_path / "far.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>"))
    assert detect_format(path) == "xlsx"  # no dimension claim to catch it early
    message, elapsed, peak = _refusal_cost(read_sheet, path)
    assert expected in message
    assert peak < 200 * MB and elapsed < 5


@pytest.mark.parametrize(
    "ref", ['r="&#88;FD1048576"', "r='A1&amp;'", 'r="a1"', 'r="A1B2"']
)
def test_manipulated_cell_references_are_refused(
    tmp_path: Path, ref: str, reader_forbidden: None
) -> None:
    body = f'<row r="1"><c {ref}><v>1</v></c></row>'
    path = _raw_xlsx(tmp_path / "ref.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>"))
    with pytest.raises(UnsupportedFile, match="manipulated XLSX"):
        read_sheet(path)


def test_cells_without_references_are_read(tmp_path: Path) -> None:
    body = (
        "<row><c t=\"inlineStr\"><is><t>id</t></is></c><c t=\"inlineStr\"><is><t>v</t></is></c>"
        "</row><row><c t=\"inlineStr\"><is><t>00017</t></is></c><c><v>2.5</v></c></row>"
    )
    path = _raw_xlsx(tmp_path / "noref.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>"))
    assert read_sheet(path) == [["id", "v"], ["00017", 2.5]]


def test_negative_max_rows_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_rows"):
        read_sheet(_sales_workbook(tmp_path / "s.xlsx"), max_rows=-1)


def test_implausible_shared_string_count_is_refused(
    tmp_path: Path, reader_forbidden: None
) -> None:
    # calamine reserves memory for uniqueCount strings up front: 4e9 aborts the process
    sheet = _sheet_xml('<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>')
    sst = f'<sst xmlns="{SHEET_NS}" count="1" uniqueCount="4000000000"><si><t>a</t></si></sst>'
    path = _raw_xlsx(tmp_path / "sst.xlsx", sheet, {"xl/sharedStrings.xml": sst})
    for call in (detect_format, read_sheet):
        with pytest.raises(UnsupportedFile, match="announces 4000000000 strings"):
            call(path)


def test_shared_strings_are_read(tmp_path: Path) -> None:
    sheet = _sheet_xml(
        '<sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>0</v></c>'
        "</row></sheetData>"
    )
    sst = (
        f'<sst xmlns="{SHEET_NS}" count="2" uniqueCount="2">'
        "<si><t>x</t></si><si><t>00017</t></si></sst>"
    )
    path = _raw_xlsx(tmp_path / "sst.xlsx", sheet, {"xl/sharedStrings.xml": sst})
    assert read_sheet(path) == [["00017", "x"]]


# ---------------------------------------------------------------------------
# property: what a writer puts in comes back out
# ---------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

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
    info = filetypes.sheet_infos(path)[0]
    assert info.parts == ("xl/worksheets/s.xml",)
    with pytest.raises(UnsupportedFile, match="has 999,999 rows x 702 columns"):
        read_sheet(path)


def test_html_and_excel_2003_xml_exports_are_refused(tmp_path: Path) -> None:
    html = tmp_path / "report.xls"
    html.write_text("\ufeff<html><body><table><tr><td>1</td></tr></table></body></html>")
    with pytest.raises(UnsupportedFile, match=r"HTML page.*save it as \.xlsx or CSV"):
        detect_format(html)
    xml = tmp_path / "report2.xls"
    xml.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        "</Workbook>"
    )
    with pytest.raises(UnsupportedFile, match="Excel 2003 XML spreadsheet"):
        detect_format(xml)


def test_utf16_without_bom_is_text_but_nul_heavy_binary_is_not(tmp_path: Path) -> None:
    text = tmp_path / "u.csv"
    text.write_bytes("id;umsatz\n1;2,5\n".encode("utf-16-le") * 20)
    assert detect_format(text) == "csv"
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"id;x\n" + bytes(500) + b"1;2\n")
    with pytest.raises(UnsupportedFile, match="binary data"):
        detect_format(binary)


def test_truncated_parquet_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(UnsupportedFile, match="damaged or incomplete Parquet"):
        detect_format(cut)


def test_zip_with_huge_directory_is_refused_before_zipfile_parses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        for i in range(300):
            zf.writestr(f"xl/x{i}.bin", b"")
    monkeypatch.setattr(filetypes, "MAX_MEMBERS", 100)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile must not parse the directory")

    monkeypatch.setattr(filetypes.zipfile, "ZipFile", forbidden)
    with pytest.raises(UnsupportedFile, match=r"absurd number of parts \(302\)"):
        detect_format(path)


def test_error_and_operator_attributes_are_not_cell_references(tmp_path: Path) -> None:
    # attributes ending in "r" (error=, operator=) must not be read as r= references
    body = '<row r="1"><c r="A1"><v>1</v></c></row>'
    validation = (
        '<dataValidations count="1"><dataValidation type="whole" operator="greaterThanOrEqual" '
        'error="ZZZ999999 &amp; more" sqref="A1"><formula1>0</formula1></dataValidation>'
        "</dataValidations>"
    )
    path = _raw_xlsx(
        tmp_path / "dv.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>{validation}")
    )
    assert read_sheet(path) == [[1]]


@pytest.mark.parametrize("value", ["A" * 200 + "1", "A" + "1" * 200, "AB" + "9" * 9])
@pytest.mark.parametrize("split", [0, 2, 5, 8, 12, 30, 63, 64, 65, 100])
def test_long_reference_straddling_a_chunk_boundary_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: int, value: str,
    reader_forbidden: None,
) -> None:
    monkeypatch.setattr(filetypes, "_CHUNK", 4096)
    monkeypatch.setattr(filetypes, "_scan_sheet_exact", None)  # the fast scan must catch it
    prefix = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2">'
    head = _sheet_xml("<sheetData>" + prefix).split("</sheetData>")[0]
    pad = 4096 - len(head.encode()) - split
    sheet = (
        head + " " * max(pad, 0) + '<c r="' + value + '"><v>1</v></c>'
        + "</row></sheetData></worksheet>"
    )
    path = _raw_xlsx(tmp_path / "long.xlsx", sheet)
    with pytest.raises(UnsupportedFile, match="beyond what this app reads"):
        read_sheet(path)


def test_tab_before_reference_goes_to_the_exact_scan(
    tmp_path: Path, reader_forbidden: None
) -> None:
    body = '<row r="1"><c r="A1"><v>1</v></c><c\tr="XFD1048576"><v>1</v></c></row>'
    path = _raw_xlsx(tmp_path / "tab.xlsx", _sheet_xml(f"<sheetData>{body}</sheetData>"))
    with pytest.raises(UnsupportedFile, match="has 1,048,576 rows x 16,384 columns"):
        read_sheet(path)


_PLAIN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Co", "Cn"), blacklist_characters="<")
    .filter(lambda ch: ch in "\t\r\n" or not (ord(ch) < 32 or 127 <= ord(ch) < 160)),
    min_size=1,
    max_size=300,
).filter(lambda s: not s.startswith(("%PDF", "PAR1", "PK", "GIF8", "\ufeff")))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_PLAIN_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]))
def test_any_plain_text_is_detected_as_csv(tmp_path: Path, text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert detect_format(path) == "csv"


def test_text_starting_like_bzip2_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("BZh;Umsatz\n1;2\n", encoding="utf-8")
    assert detect_format(path) == "csv"
    real = tmp_path / "real.csv"
    import bz2

    real.write_bytes(bz2.compress(b"a,b\n1,2\n"))
    with pytest.raises(UnsupportedFile, match="bzip2"):
        detect_format(real)


def test_a_checked_file_is_scanned_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sales_workbook(tmp_path / "s.xlsx")
    assert read_sheet(path, max_rows=1) == [["Sales report 2024"]]

    def no_rescan(*args: object, **kwargs: object) -> None:
        raise AssertionError("scanned again")

    monkeypatch.setattr(filetypes, "_check_and_choose", no_rescan)
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
        filetypes.iter_sheet_rows(path)  # no next() needed
    rows = filetypes.iter_sheet_rows(_sales_workbook(tmp_path / "s.xlsx"), "Notes")
    assert list(rows) == [[], [None, "note"]]


@pytest.mark.parametrize("junk", ["<c ", "<row ", '<c a="', "<c r=\"A1\" "])
def test_unclosed_tags_do_not_make_the_scan_quadratic(
    tmp_path: Path, junk: str, monkeypatch: pytest.MonkeyPatch, reader_forbidden: None
) -> None:
    # 300 KB of unclosed tags, cut into 64 KB chunks so that no ">" follows them in a
    # chunk: a tag pattern that ran on to the next ">" from every start would take
    # ~10^9 steps per chunk (minutes); the scan must stay linear
    monkeypatch.setattr(filetypes, "_CHUNK", 65536)
    sheet = _sheet_xml("<sheetData><row>" + junk * (300_000 // len(junk)) + "</row></sheetData>")
    path = _raw_xlsx(tmp_path / "junk.xlsx", sheet)
    try:
        read_sheet(path)
    except UnsupportedFile:
        pass  # refusing is fine; hanging is not
    except AssertionError as exc:  # the reader may run on this one: not hostile
        assert "reader was called" in str(exc)


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("xl/worksheets/sheet1.xml", "<dimension " * 6000),
        ("xl/sharedStrings.xml", "<sst " * 12000),
        ("xl/worksheets/sheet1.xml", "<sheetData><row><c " + "a" * 200_000 + "></c></row>"),
        ("xl/worksheets/sheet1.xml", "<sheetData><row><c" + ' a="' * 50_000 + "></c></row>"),
    ],
)
def test_pathological_markup_is_handled_in_linear_time(
    tmp_path: Path, part: str, content: str
) -> None:
    members = {part: f'<?xml version="1.0"?>{content}'}
    if part != "xl/worksheets/sheet1.xml":
        members["xl/worksheets/sheet1.xml"] = _sheet_xml("<sheetData/>")
    path = _raw_xlsx(tmp_path / "p.xlsx", members.pop("xl/worksheets/sheet1.xml"), members)
    with contextlib.suppress(UnsupportedFile):  # refusing is fine; hanging is not
        read_sheet(path)


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
    assert [s.hidden for s in filetypes.sheet_infos(path)] == [True, False]
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
        patch.setattr(filetypes, "_converted_rows", not_streamed)
        assert read_sheet(path, "Sales") == expected_sales
        assert read_sheet(notes) == expected_notes
    # if the reader's row layout ever changes, the documented layout is used instead
    monkeypatch.setattr(filetypes, "_islice", lambda rows, n: iter(()))
    monkeypatch.setattr(filetypes, "_streamed_rows", not_streamed)
    assert read_sheet(path, "Sales") == expected_sales
    assert read_sheet(notes) == expected_notes
    assert read_sheet(notes, max_rows=3) == [[], [], [None, None, "x"]]


def test_parquet_with_impossible_footer_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 20 + struct.pack("<I", 10**6) + b"PAR1")
    with pytest.raises(UnsupportedFile, match="damaged or incomplete Parquet"):
        detect_format(path)


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

    monkeypatch.setattr(filetypes, "_scan_sheet_exact", no_replay)
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
        extent = filetypes._scan_sheet(zf.fp, info, "g.xlsx", 10**9)
    data = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data")
    if data.end is not None:
        end_row, end_col = data.end
        assert extent.last_row >= end_row + 1
        assert extent.last_col >= end_col + 1
