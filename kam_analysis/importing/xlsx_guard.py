"""Safety checks of an XLSX archive before any XML is parsed.

The archive is checked without decompressing it (entry count, declared sizes,
compression ratios), then the head of every XML part for DTD/entity
declarations, absurd ``<dimension>`` declarations and an implausible
shared-string count. The reader (python-calamine) allocates 32 bytes for every
cell of the bounding box of the cells present and reserves memory for every
announced shared string up front: a single far-away cell reference, or
``uniqueCount="4000000000"``, makes it request hundreds of gigabytes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from kam_analysis.formatting import fmt_count, fmt_number
from kam_analysis.i18n import N_
from kam_analysis.importing import xlsx_zip as _zip
from kam_analysis.importing.errors import UnsupportedFile, _refuse
from kam_analysis.importing.xlsx_zip import (
    _HEAD_BYTES,
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    MAX_RATIO,
    MAX_SHEET_CELLS,
    RATIO_MIN_BYTES,
    _member_chunks,
    _open_zip,
    _small_member,
)


def _classify_zip(path: Path, name: str) -> None:
    """Accept an XLSX archive (after the safety checks); refuse any other zip."""
    with _open_zip(path, name) as zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
            _check_archive(zf, infos, name)
            _check_heads(zf, infos, name)
            return
        if "xl/workbook.bin" in names:
            raise _refuse(
                name,
                N_("an Excel binary workbook (.xlsb)"),
                N_("save it as .xlsx or CSV"),
            )
        mimetype = _small_member(zf, "mimetype")
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise _refuse(
                name,
                N_("an OpenDocument spreadsheet (.ods)"),
                N_("save it as .xlsx or CSV"),
            )
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise _refuse(
                name, N_("an OpenDocument text or presentation"),
                N_("upload the data as CSV or XLSX"),
            )
        if "word/document.xml" in names:
            raise _refuse(name, N_("a Word document (.docx)"), N_("upload the data as CSV or XLSX"))
        if "ppt/presentation.xml" in names:
            raise _refuse(
                name, N_("a PowerPoint presentation (.pptx)"), N_("upload the data as CSV or XLSX")
            )
        if any(n.startswith("xl/") for n in names):
            raise _refuse(
                name,
                N_("an incomplete Excel workbook (the workbook part is missing)"),
                N_("open it in Excel and save it again as .xlsx"),
            )
        raise _refuse(
            name,
            N_("a zip archive, not a spreadsheet"),
            N_("extract it and upload the CSV or XLSX inside"),
        )


def _check_archive(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Central-directory checks: nothing is decompressed here."""
    if len(infos) > _zip.MAX_MEMBERS:
        raise _refuse(
            name,
            N_("an XLSX archive with an absurd number of parts ({n})"),
            N_("open it in Excel and save it again"),
            n=fmt_count(len(infos)),
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise _refuse(
                name,
                N_("a damaged XLSX archive (part {part} appears twice)"),
                N_("open it in Excel and save it again"),
                part=info.filename,
            )
        seen.add(info.filename)
        total += info.file_size
        if info.file_size > RATIO_MIN_BYTES and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
        ):
            raise _refuse(
                name,
                N_("an XLSX archive with an absurd compression ratio in {part} "
                "({size} MB from {packed} KB), a typical zip bomb"),
                N_("upload the data as CSV instead"),
                part=info.filename,
                size=fmt_number(info.file_size / 1024**2),
                packed=fmt_number(info.compress_size / 1024),
            )
    if total > _zip.MAX_DECLARED_UNCOMPRESSED_BYTES:
        raise _refuse(
            name,
            N_("an XLSX archive that would unpack to {size} MB, more than the {limit} MB "
            "this app reads"),
            N_("split the data or upload it as CSV"),
            size=fmt_number(total / 1024**2),
            limit=fmt_number(_zip.MAX_DECLARED_UNCOMPRESSED_BYTES / 1024**2),
        )


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^<>]*?\bref\s*=\s*[\"']([^<\"']*)[\"']")


def _xml_parts(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    return [i for i in infos if i.filename.endswith((".xml", ".rels")) and not i.is_dir()]


def _check_heads(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Read the first 64 KB of every XML part: no DTDs, no absurd sheet dimensions."""
    fh = zf.fp
    assert fh is not None
    for info in _xml_parts(infos):
        head = b"".join(_member_chunks(fh, info, name, limit=_HEAD_BYTES, head_only=True))
        if _DTD.search(head):
            raise _dtd_refusal(name, info.filename)
        if info.filename.startswith("xl/worksheets/"):
            match = _DIMENSION.search(head)
            if match:
                _check_dimension(match.group(1), name, info.filename)
        if info.filename.lower() == "xl/sharedstrings.xml":
            _check_shared_strings_head(head, info, name)


_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b((?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*)>")


_UNIQUE_COUNT = re.compile(rb"\buniqueCount\s*=\s*[\"']\s*([^\"']*)[\"']")


def _check_shared_strings_head(head: bytes, info: zipfile.ZipInfo, name: str) -> None:
    """The reader reserves 24 bytes per string announced by ``uniqueCount`` up front
    (4e9 announced strings abort the process), so the count must be plausible: every
    string takes at least 5 bytes (``<si/>``) of the part."""
    tag = _SST_TAG.search(head)
    if tag is None:
        return
    count = _UNIQUE_COUNT.search(tag.group(1))
    if count is None:
        return
    text = count.group(1).strip()
    plausible = info.file_size // 5 + 16
    if not text.isdigit() or len(text) > 12 or int(text) > plausible:
        raise _refuse(
            name,
            N_("a manipulated XLSX file (the shared strings part announces {count} strings "
            "but can hold at most {plausible})"),
            N_("open it in Excel and save it again"),
            count=text[:20].decode("ascii", "replace"),
            plausible=fmt_count(plausible),
        )


def _dtd_refusal(name: str, part: str) -> UnsupportedFile:
    return _refuse(
        name,
        N_("an XLSX file whose part {part} declares a DTD or XML entities "
        "(Excel never writes these; they are used for entity-expansion attacks)"),
        N_("open it in Excel and save it again, or upload the data as CSV"),
        part=part,
    )


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _check_dimension(ref: bytes, name: str, part: str) -> None:
    text = ref.decode("ascii", "replace")
    corners = text.split(":")
    parsed = [_REF.match(c) for c in corners]
    if not corners or len(corners) > 2 or not all(parsed):
        raise _refuse(
            name,
            N_("an XLSX file whose sheet {part} declares an invalid size {ref}"),
            N_("open it in Excel and save it again"),
            part=part,
            ref=repr(text[:40]),
        )
    rows = [int(m.group(2)) for m in parsed if m]
    cols = [_col_number(m.group(1)) for m in parsed if m]
    _check_extent(
        max(rows) - min(rows) + 1,
        max(cols) - min(cols) + 1,
        max(rows),
        max(cols),
        name,
        part,
        declared=True,
    )


def _check_extent(
    n_rows: int, n_cols: int, last_row: int, last_col: int, name: str, part: str,
    declared: bool = False,
) -> None:
    if (
        last_row > EXCEL_MAX_ROWS
        or last_col > EXCEL_MAX_COLS
        or n_rows * n_cols > MAX_SHEET_CELLS
    ):
        raise _refuse(
            name,
            N_("an XLSX file whose sheet {part} declares {rows} rows x {cols} columns, "
               "beyond what this app reads ({cells} cells at most)") if declared else
            N_("an XLSX file whose sheet {part} has {rows} rows x {cols} columns, "
               "beyond what this app reads ({cells} cells at most)"),
            N_("delete the empty rows and columns in Excel and save again, or upload CSV"),
            part=part,
            rows=fmt_count(n_rows),
            cols=fmt_count(n_cols),
            cells=fmt_count(MAX_SHEET_CELLS),
        )
