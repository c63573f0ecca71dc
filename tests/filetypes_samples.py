"""Sample files for the file-type tests (every sample is built here) and the
helpers of the hostile-XLSX tests."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from kam_analysis.importing import (
    UnsupportedFile,
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
# hostile XLSX: refused quickly, with little memory, before the reader parses
# ---------------------------------------------------------------------------

MB = 1024 * 1024


def forbid_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if the XLSX reader is reached: refusals must happen before parsing
    (a test module makes it its fixture ``reader_forbidden``)."""
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
