"""Full scan of the XLSX parts the reader will load: no DTD anywhere, every part
within the byte budget, and the real cell extent of a sheet measured from the cell
and row references themselves (the ``<dimension>`` element is only a claim)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from itertools import chain as _chain
from typing import BinaryIO

from kam_analysis.i18n import N_, t
from kam_analysis.importing import xlsx_zip as _zip
from kam_analysis.importing.errors import UnsupportedFile, _refuse
from kam_analysis.importing.xlsx_guard import (
    _DTD,
    _check_extent,
    _check_shared_strings_head,
    _col_number,
    _dtd_refusal,
)
from kam_analysis.importing.xlsx_zip import _HEAD_BYTES, _OVERLAP, _member_chunks

# ---- shared by both scanners -------------------------------------------------
_VALUE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)[\s>]")


# ---- fast scanner: every cell and row carries a plain r="A1"-style reference ----
# A c/row start tag WITHOUT a well-formed r attribute (missing, prefixed, spaced,
# lower-case, entity-encoded...). Any such tag sends the sheet to the exact scanner.
_ATTRS_WITHOUT_REF = (
    rb"(?:\s+(?!r=(?:\"[A-Z]*\d+\"|'[A-Z]*\d+')[\s/>])[^\s=>/<]+\s*=\s*"
    rb"(?:\"[^<\"]*\"|'[^<']*'))*\s*/?>"
)


_UNREF_CELL = re.compile(rb"<c" + _ATTRS_WITHOUT_REF)


_UNREF_ROW = re.compile(rb"<row" + _ATTRS_WITHOUT_REF)


# The fast patterns start with the literal ' r=' (an attribute named exactly r; a
# plain "r=" would also match error="..." or operator="..."). Another whitespace
# character before r sends the sheet to the exact scanner.
# Neither pattern needs the closing quote, and 4+ letters or 8+ digits are beyond
# Excel's grid whatever follows: a very long value straddling two chunks is still
# seen (the windows overlap by 64 bytes) and refused.
_REF_ROWS = re.compile(rb" r=[\"'][A-Z]*(\d+)")


_REF_COLS = {
    3: re.compile(rb" r=[\"']([A-Z]{3,})"),
    2: re.compile(rb" r=[\"']([A-Z]{2})\d"),
    1: re.compile(rb" r=[\"']([A-Z])\d"),
}


# Markup the fast patterns do not read: a namespace-prefixed cell or row tag, or a tab
# or newline before r= (both written with a literal first, which regex searches fast;
# text such as "x:c " merely costs the slower exact replay).
_UNUSUAL_MARKUP = re.compile(rb":(?:c|row)[\s/>]")


_ODD_SPACE_BEFORE_R = re.compile(rb"r=(?<=[\t\n\r]r=)")


# ---- exact scanner: replays the reader's cell placement tag by tag ---------------
# "<" cannot occur inside a tag (not even in attribute values), so no pattern may run
# past one: an unclosed "<c " then stops at the next tag instead of scanning to the
# end of the chunk, which would make a run of "<c <c <c ..." quadratic.
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])((?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*)>"
)


# Attribute names start after whitespace (or at the start): otherwise every position
# inside a long run of name characters would be tried again (quadratic).
_ATTR = re.compile(rb"(?<![^\s])([^\s=]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


_MAX_TAG_BYTES = 64 * 1024


_CELL_REF = re.compile(rb"([A-Z]{1,3})(\d{1,7})")


_ROW_REF = re.compile(rb"\d{1,7}")


@dataclass
class _Extent:
    last_row: int = 0
    last_col: int = 0
    has_values: bool = False


def _manipulated(name: str, part: str, what: str) -> UnsupportedFile:
    return _refuse(
        name,
        N_("a manipulated XLSX file (sheet {part}: {detail})"),
        N_("open it in Excel and save it again"),
        part=part,
        detail=t(what),
    )


def _check_chunk_common(window: bytes, extent: _Extent, name: str, part: str) -> None:
    if _DTD.search(window):
        raise _dtd_refusal(name, part)
    if not extent.has_values and _VALUE_TAG.search(window):
        extent.has_values = True


def _scan_sheet(fh: BinaryIO, info: zipfile.ZipInfo, name: str, budget: int) -> _Extent:
    """Stream the whole sheet part: no DTD, real cell extent within the limits.

    The reader (calamine) allocates 32 bytes for every cell of the bounding box
    of the cells it finds, so the box is measured here, from the cell and row
    references themselves (the ``<dimension>`` element is only a claim). Sheets
    whose cells all carry plain references (what Excel and the usual libraries
    write) take a fast regex path; anything else is replayed tag by tag.
    """
    extent = _scan_sheet_fast(fh, info, name, budget)
    if extent is None:
        extent = _scan_sheet_exact(fh, info, name, budget)
    return extent


def _scan_sheet_fast(
    fh: BinaryIO, info: zipfile.ZipInfo, name: str, budget: int
) -> _Extent | None:
    extent = _Extent()
    tail = b""
    for chunk in _member_chunks(fh, info, name, limit=budget):
        window = tail + chunk
        tail = chunk[-_OVERLAP:]
        _check_chunk_common(window, extent, name, info.filename)
        if (
            _UNREF_CELL.search(window)
            or _UNREF_ROW.search(window)
            or _UNUSUAL_MARKUP.search(window)
            or _ODD_SPACE_BEFORE_R.search(window)
        ):
            return None  # unusual markup: replay it exactly
        digits = set(_REF_ROWS.findall(window))
        if digits:
            longest = max(map(len, digits))
            top = max(d for d in digits if len(d) == longest) if longest <= 7 else b"9" * 8
            extent.last_row = max(extent.last_row, int(top))
        for pattern in _REF_COLS.values():
            letters = set(pattern.findall(window)) if pattern.search(window) else set()
            if letters:  # the widest letter group present holds the largest column
                extent.last_col = max(extent.last_col, *map(_col_number, letters))
                break
        _check_extent(
            extent.last_row, extent.last_col, extent.last_row, extent.last_col,
            name, info.filename,
        )
    return extent


def _scan_sheet_exact(fh: BinaryIO, info: zipfile.ZipInfo, name: str, budget: int) -> _Extent:
    extent = _Extent()
    row_index = -1  # 0-based index of the current row, as the reader counts
    col_index = 0  # next column for a cell without a reference
    pending = b""
    for chunk in _chain(_member_chunks(fh, info, name, limit=budget), (None,)):
        buffer = pending + (chunk or b"")
        cut = buffer.rfind(b"<") if chunk is not None else len(buffer)
        if cut <= 0:
            cut = len(buffer) if len(buffer) > _zip._CHUNK else 0
        work, pending = buffer[:cut], buffer[cut:]
        if len(pending) > 4 * _zip._CHUNK:
            raise _manipulated(name, info.filename, N_("a tag of several megabytes"))
        _check_chunk_common(work + pending[:_OVERLAP], extent, name, info.filename)
        for match in _TAG.finditer(work):
            ref: bytes | None = None
            if len(match.group(2)) > _MAX_TAG_BYTES:
                raise _manipulated(name, info.filename, N_("a tag of more than 64 KB"))
            for attr in _ATTR.finditer(match.group(2)):
                if attr.group(1) == b"r":
                    value = attr.group(2) if attr.group(2) is not None else attr.group(3)
                    ref = value or b""
            if match.group(1) == b"row":
                if ref is None:
                    row_index += 1
                elif _ROW_REF.fullmatch(ref):
                    row_index = int(ref) - 1
                else:
                    raise _manipulated(name, info.filename, N_("an invalid row number"))
                col_index = 0
                extent.last_row = max(extent.last_row, row_index + 1)
                continue
            if ref is None:
                row, col = max(row_index, 0), col_index
            else:
                cell = _CELL_REF.fullmatch(ref)
                if cell is None:
                    raise _manipulated(name, info.filename, N_("an invalid cell reference"))
                row, col = int(cell.group(2)) - 1, _col_number(cell.group(1)) - 1
            col_index = col + 1
            extent.last_row = max(extent.last_row, row + 1)
            extent.last_col = max(extent.last_col, col + 1)
        _check_extent(
            extent.last_row, extent.last_col, extent.last_row, extent.last_col,
            name, info.filename,
        )
    return extent


def _scan_plain(fh: BinaryIO, info: zipfile.ZipInfo, name: str, budget: int) -> None:
    """Stream a non-sheet part (shared strings, styles): within budget, no DTD."""
    tail = b""
    head = b""
    shared_strings = info.filename.lower() == "xl/sharedstrings.xml"
    for chunk in _member_chunks(fh, info, name, limit=budget):
        if _DTD.search(tail + chunk):
            raise _dtd_refusal(name, info.filename)
        if shared_strings and len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
            _check_shared_strings_head(head, info, name)
        tail = chunk[-_OVERLAP:]


# Parts the reader loads when it opens a workbook (matched case-insensitively).
_READER_PARTS = frozenset(
    {
        "[content_types].xml",
        "_rels/.rels",
        "xl/_rels/workbook.xml.rels",
        "xl/workbook.xml",
        "xl/styles.xml",
        "xl/sharedstrings.xml",
        "xl/theme/theme1.xml",
    }
)
