"""File-type detection and safe XLSX reading; every sample is built here."""

from __future__ import annotations

import struct
import zipfile
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
