"""File-type detection and safe spreadsheet reading for uploads.

Uploads are judged by their CONTENT (magic bytes, zip members), never by their
name: a PDF renamed to ``.csv`` or a password-protected workbook renamed to
``.xlsx`` is refused with a message that says what the file really is and what
the user can do about it.

XLSX files are zip archives of XML. Before any XML is parsed, the archive is
checked without decompressing it (end record and central directory: entry
count, declared sizes, compression ratios), the head of every XML part is
checked for DTD/entity declarations, absurd ``<dimension>`` declarations and an
implausible shared-string count, and the parts that are actually read are
stream-decompressed under their declared size while the sheet's real cell
extent is measured. Only then is the sheet handed to the parser
(python-calamine), which allocates 32 bytes for every cell of the bounding box
of the cells present and reserves memory for every announced shared string up
front: a single far-away cell reference, or ``uniqueCount="4000000000"``, makes
it request hundreds of gigabytes and abort the whole process.

Public API: :func:`detect_format`, :func:`list_sheets`, :func:`read_sheet`
(CONTRACTS section 4), plus :func:`iter_sheet_rows` (streaming),
:func:`sheet_infos` and :func:`upload_limit_bytes`.
"""

from __future__ import annotations

import posixpath
import re
import struct
import threading
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import chain as _chain
from itertools import islice as _islice
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from kam_analysis.i18n import t

__all__ = [
    "MAX_DECLARED_UNCOMPRESSED_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_UPLOAD_MB",
    "SheetInfo",
    "UnsupportedFile",
    "detect_format",
    "iter_sheet_rows",
    "list_sheets",
    "read_sheet",
    "sheet_infos",
    "upload_limit_bytes",
]

ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"

DEFAULT_UPLOAD_MB = 200
SNIFF_BYTES = 64 * 1024

# --- limits for XLSX archives (checked before any XML is parsed) -------------
MAX_DECLARED_UNCOMPRESSED_BYTES = 1024**3  # sum over all zip members
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # uncompressed : compressed ...
RATIO_MIN_BYTES = 10 * 1024**2  # ... only judged for members above 10 MB
MAX_SMALL_PART_BYTES = 8 * 1024**2  # workbook.xml and its rels, parsed into a tree
# Excel's own grid limits and the largest cell grid we let the reader allocate
# (the reader keeps 32 bytes per cell of the bounding box: 32 M cells ~ 1 GB).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
MAX_SHEET_CELLS = 32_000_000
_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_OVERLAP = 64

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class UnsupportedFile(ValueError):
    """The file cannot be read as CSV, XLSX or Parquet, or is unsafe to parse.

    The message names the file, says what it really is and what to do.
    """


def _mb_from_config(config: Path) -> int:
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return DEFAULT_UPLOAD_MB
    value = data.get("server", {}).get("maxUploadSize", DEFAULT_UPLOAD_MB)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return DEFAULT_UPLOAD_MB
    return value


MAX_UPLOAD_MB: int = _mb_from_config(STREAMLIT_CONFIG)
"""Upload size limit in MB: ``[server] maxUploadSize`` of .streamlit/config.toml, else 200."""


def upload_limit_bytes(config: str | Path | None = None) -> int:
    """Return the upload size limit in bytes.

    Parameters
    ----------
    config : str or Path, optional
        A Streamlit ``config.toml`` to read ``[server] maxUploadSize`` (MB) from.
        Default: the project's ``.streamlit/config.toml`` (read at import time,
        see :data:`MAX_UPLOAD_MB`). A missing file, missing key or invalid
        value means the default of 200 MB.

    Returns
    -------
    int
        The limit in bytes (MB * 1024 * 1024, as Streamlit counts it).
    """
    mb = MAX_UPLOAD_MB if config is None else _mb_from_config(Path(config))
    return mb * 1024 * 1024


# ---------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BOMS = (
    b"\xef\xbb\xbf",
    b"\xff\xfe\x00\x00",
    b"\x00\x00\xfe\xff",
    b"\xff\xfe",
    b"\xfe\xff",
)
# magic -> (what it is, what to do)
_MAGICS: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", "export the data from the source system as CSV or XLSX"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "upload the data as CSV or XLSX instead"),
    (b"\xff\xd8\xff", "a JPEG image", "upload the data as CSV or XLSX instead"),
    (b"GIF87a", "a GIF image", "upload the data as CSV or XLSX instead"),
    (b"GIF89a", "a GIF image", "upload the data as CSV or XLSX instead"),
    (b"II*\x00", "a TIFF image", "upload the data as CSV or XLSX instead"),
    (b"MM\x00*", "a TIFF image", "upload the data as CSV or XLSX instead"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it and upload the CSV or XLSX inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it and upload the CSV or XLSX inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it and upload the CSV or XLSX inside"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it and upload the CSV or XLSX inside"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV and upload that"),
)


_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")  # block or end-of-stream magic


def _display_name(path: Path, filename: str | None) -> str:
    return filename if filename else path.name


def _refuse(name: str, what: str, todo: str, **values: object) -> UnsupportedFile:
    """Build the refusal "<file>: <what it is>. <What to do>." (both parts translated)."""
    what_text = t(what, **values)
    todo_text = t(todo, **values)
    return UnsupportedFile(
        t(
            "{name}: {what}. {todo}.",
            name=name,
            what=what_text,
            todo=todo_text[:1].upper() + todo_text[1:],
        )
    )


def detect_format(path: str | Path, filename: str | None = None) -> str:
    """Decide from the file's content whether it is CSV (text), XLSX or Parquet.

    Parameters
    ----------
    path : str or Path
        The file to examine (for uploads: the temporary file).
    filename : str, optional
        The user's original file name, used in messages instead of the path's name.

    Returns
    -------
    str
        ``"csv"`` (any delimited or plain text, including UTF-16 with a BOM),
        ``"xlsx"`` or ``"parquet"``.

    Raises
    ------
    UnsupportedFile
        For empty files, PDF, images, archives, password-protected workbooks,
        legacy ``.xls``, ``.xlsb``, OpenDocument and Word files, other zip files,
        HTML pages and Excel 2003 XML saved under a spreadsheet name, binary
        data, and XLSX files that fail the safety checks (see :func:`read_sheet`).
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(path)
    name = _display_name(path, filename)
    size = path.stat().st_size
    if size == 0:
        raise _refuse(name, "the file is empty", "export the data again and upload the new file")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
        tail = b""
        if size >= 8:
            fh.seek(size - 8)
            tail = fh.read(8)

    if head.startswith(b"PAR1"):
        footer = struct.unpack("<I", tail[:4])[0] if len(tail) == 8 else 0
        if tail[4:] == b"PAR1" and 0 < footer <= size - 12:
            return "parquet"
        raise _refuse(
            name,
            "a damaged or incomplete Parquet file",
            "write or download the Parquet file again",
        )
    if head.startswith(_ZIP_MAGICS):
        _classify_zip(path, name)
        return "xlsx"
    if head.startswith(_CFB_MAGIC):
        raise _cfb_refusal(path, name)
    for magic, what, todo in _MAGICS:
        if head.startswith(magic):
            raise _refuse(name, what, todo)
    if _BZIP2.match(head):
        raise _refuse(
            name, "a bzip2-compressed file", "decompress it and upload the CSV or XLSX inside"
        )
    _check_text(head, name)
    return "csv"


def _check_text(head: bytes, name: str) -> None:
    """Refuse binary data, HTML pages and Excel 2003 XML; accept any other text."""
    if head.startswith(_BOMS):
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
            return  # UTF-16/32 text: NUL bytes are expected
        head = head[3:]
    elif _looks_utf16_without_bom(head):
        return
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise _refuse(
            name,
            "binary data, not a text (CSV) file or a spreadsheet",
            "upload a CSV, XLSX or Parquet file",
        )
    start = head.lstrip()[:512].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")) or (
        start.startswith(b"<?xml") and b"<html" in head[:4096].lower()
    ):
        raise _refuse(
            name,
            "an HTML page (a web or report export), not a spreadsheet",
            "open it in Excel and save it as .xlsx or CSV",
        )
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise _refuse(
            name,
            "an Excel 2003 XML spreadsheet",
            "open it in Excel and save it as .xlsx or CSV",
        )


def _looks_utf16_without_bom(head: bytes) -> bool:
    """ASCII-heavy UTF-16 text: one of the two byte lanes is almost all NUL."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    n = len(even)
    zeros_even, zeros_odd = even.count(0) / n, odd.count(0) / n
    return (zeros_odd > 0.9 and zeros_even < 0.05) or (zeros_even > 0.9 and zeros_odd < 0.05)


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26, 27))


def _control_ratio(head: bytes) -> float:
    if not head:
        return 0.0
    stripped = head.translate(None, _CONTROL)
    return (len(head) - len(stripped)) / len(head)


# --- zip containers -----------------------------------------------------------


MAX_CENTRAL_DIRECTORY_BYTES = 16 * 1024**2


def _central_directory_size(path: Path) -> tuple[int, int] | None:
    """(entries, bytes) of the zip central directory, read from the end records only.

    ``zipfile`` builds an object for every directory entry before anything can be
    checked (millions of empty entries would cost gigabytes), so the end-of-central-
    directory record is read first. None if it cannot be found (zipfile then reports
    the damage itself).
    """
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        start = max(0, size - (65536 + 22))
        fh.seek(start)
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        entries, cd_size = struct.unpack_from("<HI", tail, at + 10)
        locator = at - 20
        zip64 = entries == 0xFFFF or cd_size == 0xFFFFFFFF
        if zip64 and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            offset = struct.unpack_from("<Q", tail, locator + 8)[0]
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack_from("<QQ", record, 32)
        return entries, cd_size


def _open_zip(path: Path, name: str) -> zipfile.ZipFile:
    directory = _central_directory_size(path)
    if directory is not None and (
        directory[0] > MAX_MEMBERS or directory[1] > MAX_CENTRAL_DIRECTORY_BYTES
    ):
        raise _refuse(
            name,
            "a zip/XLSX archive with an absurd number of parts ({n})",
            "open it in Excel and save it again",
            n=f"{directory[0]:,}",
        )
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise _refuse(
            name,
            "a damaged or incomplete zip/XLSX file ({detail})",
            "save or download the file again",
            detail=str(exc) or type(exc).__name__,
        ) from exc


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
                "an Excel binary workbook (.xlsb)",
                "save it as .xlsx or CSV",
            )
        mimetype = _small_member(zf, "mimetype")
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise _refuse(
                name,
                "an OpenDocument spreadsheet (.ods)",
                "save it as .xlsx or CSV",
            )
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise _refuse(
                name, "an OpenDocument text or presentation", "upload the data as CSV or XLSX"
            )
        if "word/document.xml" in names:
            raise _refuse(name, "a Word document (.docx)", "upload the data as CSV or XLSX")
        if "ppt/presentation.xml" in names:
            raise _refuse(
                name, "a PowerPoint presentation (.pptx)", "upload the data as CSV or XLSX"
            )
        if any(n.startswith("xl/") for n in names):
            raise _refuse(
                name,
                "an incomplete Excel workbook (the workbook part is missing)",
                "open it in Excel and save it again as .xlsx",
            )
        raise _refuse(
            name,
            "a zip archive, not a spreadsheet",
            "extract it and upload the CSV or XLSX inside",
        )


def _small_member(zf: zipfile.ZipFile, member: str) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        return b""
    if info.file_size > 1024:
        return b""
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, zlib.error):
        return b""


def _check_archive(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Central-directory checks: nothing is decompressed here."""
    if len(infos) > MAX_MEMBERS:
        raise _refuse(
            name,
            "an XLSX archive with an absurd number of parts ({n})",
            "open it in Excel and save it again",
            n=f"{len(infos):,}",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise _refuse(
                name,
                "a damaged XLSX archive (part {part} appears twice)",
                "open it in Excel and save it again",
                part=info.filename,
            )
        seen.add(info.filename)
        total += info.file_size
        if info.file_size > RATIO_MIN_BYTES and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
        ):
            raise _refuse(
                name,
                "an XLSX archive with an absurd compression ratio in {part} "
                "({size} MB from {packed} KB), a typical zip bomb",
                "upload the data as CSV instead",
                part=info.filename,
                size=f"{info.file_size / 1024**2:,.0f}",
                packed=f"{info.compress_size / 1024:,.0f}",
            )
    if total > MAX_DECLARED_UNCOMPRESSED_BYTES:
        raise _refuse(
            name,
            "an XLSX archive that would unpack to {size} MB, more than the {limit} MB "
            "this app reads",
            "split the data or upload it as CSV",
            size=f"{total / 1024**2:,.0f}",
            limit=f"{MAX_DECLARED_UNCOMPRESSED_BYTES / 1024**2:,.0f}",
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
            "a manipulated XLSX file (the shared strings part announces {count} strings "
            "but can hold at most {plausible})",
            "open it in Excel and save it again",
            count=text[:20].decode("ascii", "replace"),
            plausible=f"{plausible:,}",
        )


def _dtd_refusal(name: str, part: str) -> UnsupportedFile:
    return _refuse(
        name,
        "an XLSX file whose part {part} declares a DTD or XML entities "
        "(Excel never writes these; they are used for entity-expansion attacks)",
        "open it in Excel and save it again, or upload the data as CSV",
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
            "an XLSX file whose sheet {part} declares an invalid size {ref}",
            "open it in Excel and save it again",
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
        "declares",
    )


def _check_extent(
    n_rows: int, n_cols: int, last_row: int, last_col: int, name: str, part: str, verb: str
) -> None:
    if (
        last_row > EXCEL_MAX_ROWS
        or last_col > EXCEL_MAX_COLS
        or n_rows * n_cols > MAX_SHEET_CELLS
    ):
        raise _refuse(
            name,
            "an XLSX file whose sheet {part} {verb} {rows} rows x {cols} columns, "
            "beyond what this app reads ({cells} cells at most)",
            "delete the empty rows and columns in Excel and save again, or upload CSV",
            part=part,
            verb=t(verb),
            rows=f"{n_rows:,}",
            cols=f"{n_cols:,}",
            cells=f"{MAX_SHEET_CELLS:,}",
        )


def _member_chunks(
    fh: BinaryIO,
    info: zipfile.ZipInfo,
    name: str,
    *,
    limit: int,
    head_only: bool = False,
) -> Iterator[bytes]:
    """Stream-decompress one zip member, never producing more than ``limit`` bytes.

    With ``head_only`` the stream simply stops after ``limit`` bytes. Otherwise
    the member must decompress to exactly its declared size, within ``limit``,
    with a matching CRC; anything else is refused as damaged or malicious.
    """

    def damaged(detail: str) -> UnsupportedFile:
        return _refuse(
            name,
            "a damaged or manipulated XLSX file (part {part}: {detail})",
            "open it in Excel and save it again",
            part=info.filename,
            detail=detail,
        )

    if not head_only and info.file_size > limit:
        raise damaged(f"declares {info.file_size:,} bytes, more than {limit:,} allowed")
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise damaged("bad local header")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    if info.flag_bits & 0x1:
        raise _refuse(
            name,
            "an encrypted zip archive",
            "remove the password in Excel and save again",
        )
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        decomp = None
    elif method == zipfile.ZIP_DEFLATED:
        decomp = zlib.decompressobj(-15)
    else:
        raise damaged(f"unsupported compression method {method}")
    remaining = info.compress_size
    produced = 0
    crc = 0
    budget = limit if head_only else info.file_size
    while True:
        raw = fh.read(min(_CHUNK, remaining)) if remaining > 0 else b""
        remaining -= len(raw)
        if not raw and remaining > 0:
            raise damaged("file truncated")
        if decomp is None:
            pieces: Iterator[bytes] = iter((raw,)) if raw else iter(())
        else:
            pieces = _inflate(decomp, raw, budget - produced + 1, damaged)
        for piece in pieces:
            if head_only and produced + len(piece) >= limit:
                yield piece[: limit - produced]
                return
            produced += len(piece)
            if produced > budget:
                raise damaged("unpacks to more bytes than it declares")
            crc = zlib.crc32(piece, crc)
            yield piece
        if not raw:
            break
    if head_only:
        return
    if decomp is not None and not decomp.eof:
        raise damaged("compressed data incomplete")
    if produced != info.file_size:
        raise damaged("size does not match the declared size")
    if crc != info.CRC:
        raise damaged("checksum mismatch")


def _inflate(
    decomp: Any, raw: bytes, cap: int, damaged: Callable[[str], UnsupportedFile]
) -> Iterator[bytes]:
    """Inflate ``raw`` in pieces of at most 1 MB, stopping once ``cap`` bytes came out."""
    data = raw
    try:
        while True:
            out = decomp.decompress(data, min(_CHUNK, max(cap, 1)))
            if out:
                yield out
                cap -= len(out)
                if cap <= 0:
                    return
            data = decomp.unconsumed_tail
            if not data:
                if not raw and not decomp.eof:
                    out = decomp.flush()
                    if out:
                        yield out
                return
    except zlib.error as exc:
        raise damaged(f"bad compressed data ({exc})") from exc


# --- OLE compound files ----------------------------------------------------------


def _cfb_refusal(path: Path, name: str) -> UnsupportedFile:
    names = {n.lower() for n in _cfb_stream_names(path)}
    if {"encryptioninfo", "encryptedpackage"} & names:
        return _refuse(
            name,
            "a password-protected (encrypted) workbook",
            "remove the password in Excel (File > Info > Protect Workbook > "
            "Encrypt with Password, clear it) and save again",
        )
    if {"workbook", "book"} & names:
        return _refuse(
            name,
            "a workbook in the old Excel .xls format",
            "open it in Excel and save it as .xlsx or CSV",
        )
    if "worddocument" in names:
        return _refuse(name, "an old Word document (.doc)", "upload the data as CSV or XLSX")
    if "powerpoint document" in names:
        return _refuse(
            name, "an old PowerPoint presentation (.ppt)", "upload the data as CSV or XLSX"
        )
    return _refuse(
        name,
        "an old Microsoft Office file (OLE compound document), not a supported spreadsheet",
        "open it in Excel and save it as .xlsx or CSV",
    )


def _cfb_stream_names(path: Path) -> list[str]:
    """Names of the entries in an OLE/CFB directory (best effort, bounded work).

    Follows the directory sector chain through the FAT sectors listed in the
    header. If the structure is broken, falls back to searching the first
    megabytes for the UTF-16 names we care about.
    """
    try:
        names = _cfb_directory(path)
    except (OSError, struct.error, ValueError):
        names = []
    if names:
        return names
    with path.open("rb") as fh:
        data = fh.read(8 * 1024 * 1024)
    wanted = ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument")
    return [w for w in wanted if w.encode("utf-16-le") + b"\x00\x00" in data]


def _cfb_directory(path: Path) -> list[str]:
    end_of_chain = 0xFFFFFFFE
    with path.open("rb") as fh:
        header = fh.read(512)
        if len(header) < 512 or header[:8] != _CFB_MAGIC:
            return []
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            return []
        sector_size = 1 << shift
        dir_start = struct.unpack_from("<I", header, 48)[0]
        difat = struct.unpack_from("<109I", header, 76)
        per_fat = sector_size // 4
        fat_cache: dict[int, tuple[int, ...]] = {}

        def read_sector(sector: int) -> bytes:
            fh.seek((sector + 1) * sector_size)
            data = fh.read(sector_size)
            if len(data) != sector_size:
                raise ValueError("truncated")
            return data

        def next_sector(sector: int) -> int:
            index = sector // per_fat
            if index >= len(difat) or difat[index] >= 0xFFFFFFFA:
                raise ValueError("FAT out of reach")
            if index not in fat_cache:
                fat_cache[index] = struct.unpack(f"<{per_fat}I", read_sector(difat[index]))
            return fat_cache[index][sector % per_fat]

        names: list[str] = []
        sector = dir_start
        visited: set[int] = set()
        while sector < 0xFFFFFFFA and sector not in visited and len(visited) < 4096:
            visited.add(sector)
            data = read_sector(sector)
            for offset in range(0, sector_size, 128):
                entry = data[offset : offset + 128]
                length = struct.unpack_from("<H", entry, 64)[0]
                kind = entry[66]
                if kind == 0 or not 2 <= length <= 64:
                    continue
                names.append(entry[: length - 2].decode("utf-16-le", "replace"))
            sector = next_sector(sector)
            if sector == end_of_chain:
                break
        return names


# ---------------------------------------------------------------------------
# Workbook structure
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of an XLSX workbook.

    Attributes
    ----------
    name : str
        The sheet name as shown in Excel.
    part : str or None
        The zip member holding the sheet XML (None if the workbook points nowhere).
    kind : str
        ``"worksheet"``, ``"chartsheet"``, ``"dialogsheet"`` or ``"other"``.
    hidden : bool
        True for hidden and very hidden sheets.
    parts : tuple of str
        Every zip member the sheet may be read from (readers resolve odd targets
        differently; all of them are scanned before reading). ``part`` is the first.
    """

    name: str
    part: str | None
    kind: str
    hidden: bool
    parts: tuple[str, ...] = ()


def _check_xlsx_path(path: Path, name: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.startswith(_ZIP_MAGICS):
        fmt = detect_format(path, name)  # raises with the precise reason for non-zip files
        raise _refuse(
            name,
            "a {fmt} file, not an Excel workbook",
            "read it as {fmt}",
            fmt=fmt.upper(),
        )
    _classify_zip(path, name)


def _parse_small_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Element:
    assert zf.fp is not None
    data = b"".join(_member_chunks(zf.fp, info, name, limit=MAX_SMALL_PART_BYTES))
    if _DTD.search(data):
        raise _dtd_refusal(name, info.filename)
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several types, all mean "bad XML"
        raise _refuse(
            name,
            "a damaged XLSX file (part {part} is not valid XML)",
            "open it in Excel and save it again",
            part=info.filename,
        ) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _workbook_sheets(zf: zipfile.ZipFile, name: str) -> list[SheetInfo]:
    workbook = _parse_small_xml(zf, zf.getinfo("xl/workbook.xml"), name)
    targets: dict[str, tuple[str, str]] = {}  # relationship id -> (target, kind)
    try:
        rels_info = zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        rels_info = None
    if rels_info is not None:
        rels = _parse_small_xml(zf, rels_info, name)
        for rel in rels:
            if _local(rel.tag) != "Relationship":
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            targets[rel.get("Id", "")] = (rel.get("Target", ""), kind)
    by_lower: dict[str, list[str]] = {}
    for member in zf.namelist():
        by_lower.setdefault(member.lower(), []).append(member)
    sheets: list[SheetInfo] = []
    seen: set[str] = set()
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        sheet_name = element.get("name", "")
        if sheet_name.lower() in seen:
            raise _refuse(
                name,
                "a damaged XLSX file (two sheets are named {sheet})",
                "open it in Excel and save it again",
                sheet=repr(sheet_name),
            )
        seen.add(sheet_name.lower())
        rid = element.get(f"{{{_NS_REL}}}id") or element.get(f"{{{_NS_REL_STRICT}}}id") or ""
        target, kind = targets.get(rid, ("", "other"))
        parts = _target_parts(target, by_lower) if target else ()
        if kind not in ("worksheet", "chartsheet", "dialogsheet"):
            kind = "other"
        sheets.append(
            SheetInfo(
                name=sheet_name,
                part=parts[0] if parts else None,
                kind=kind,
                hidden=element.get("state", "visible") != "visible",
                parts=parts,
            )
        )
    return sheets


def _target_parts(target: str, by_lower: dict[str, list[str]]) -> tuple[str, ...]:
    """Existing zip members a relationship target may resolve to, most standard first."""
    stripped = target.lstrip("/")
    spellings = [
        stripped if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target)),
        posixpath.normpath(stripped),
        stripped,
        posixpath.normpath(posixpath.join("xl", stripped)),
    ]
    found: list[str] = []
    for spelling in spellings:
        for member in by_lower.get(spelling.lower(), []):
            if member not in found:
                found.append(member)
    return tuple(found)


def sheet_infos(path: str | Path, filename: str | None = None) -> tuple[SheetInfo, ...]:
    """Describe every sheet of an XLSX workbook, in workbook order.

    Parameters
    ----------
    path : str or Path
        The XLSX file.
    filename : str, optional
        The user's original file name, for messages.

    Returns
    -------
    tuple of SheetInfo
        All sheets including chart sheets and hidden sheets.

    Raises
    ------
    UnsupportedFile
        If the file is not a safe XLSX workbook.
    """
    path = Path(path)
    name = _display_name(path, filename)
    _check_xlsx_path(path, name)
    with _open_zip(path, name) as zf:
        return tuple(_workbook_sheets(zf, name))


def list_sheets(path: str | Path, filename: str | None = None) -> tuple[str, ...]:
    """Return the names of the worksheets of an XLSX workbook, in workbook order.

    Chart sheets (which hold no cells) are left out; hidden worksheets are included.

    Parameters
    ----------
    path : str or Path
        The XLSX file.
    filename : str, optional
        The user's original file name, for messages.

    Returns
    -------
    tuple of str
        Worksheet names.

    Raises
    ------
    UnsupportedFile
        If the file is not a safe XLSX workbook.
    """
    return tuple(s.name for s in sheet_infos(path, filename) if s.kind == "worksheet")


# ---------------------------------------------------------------------------
# Full scan of the parts the reader will load
# ---------------------------------------------------------------------------

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
        "a manipulated XLSX file (sheet {part}: {detail})",
        "open it in Excel and save it again",
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
            name, info.filename, "has",
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
            cut = len(buffer) if len(buffer) > _CHUNK else 0
        work, pending = buffer[:cut], buffer[cut:]
        if len(pending) > 4 * _CHUNK:
            raise _manipulated(name, info.filename, "a tag of several megabytes")
        _check_chunk_common(work + pending[:_OVERLAP], extent, name, info.filename)
        for match in _TAG.finditer(work):
            ref: bytes | None = None
            if len(match.group(2)) > _MAX_TAG_BYTES:
                raise _manipulated(name, info.filename, "a tag of more than 64 KB")
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
                    raise _manipulated(name, info.filename, "an invalid row number")
                col_index = 0
                extent.last_row = max(extent.last_row, row_index + 1)
                continue
            if ref is None:
                row, col = max(row_index, 0), col_index
            else:
                cell = _CELL_REF.fullmatch(ref)
                if cell is None:
                    raise _manipulated(name, info.filename, "an invalid cell reference")
                row, col = int(cell.group(2)) - 1, _col_number(cell.group(1)) - 1
            col_index = col + 1
            extent.last_row = max(extent.last_row, row + 1)
            extent.last_col = max(extent.last_col, col + 1)
        _check_extent(
            extent.last_row, extent.last_col, extent.last_row, extent.last_col,
            name, info.filename, "has",
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


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


_EXACT_INT = 2.0**53  # whole floats below this are exact ints


def _convert(value: object) -> object:
    """calamine cell value -> the documented Python types."""
    if value == "" or value is None:
        return None
    if isinstance(value, float):
        if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
            return int(value)
        return value
    if isinstance(value, bool | int | str | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400.0
    return str(value)


def _convert_row(row: list[object]) -> list[object]:
    """Convert one reader row; text and numbers (nearly every cell) take the inline path."""
    out = [
        value
        if (type(value) is str and value)
        else (
            (int(value) if value.is_integer() and -_EXACT_INT < value < _EXACT_INT else value)
            if type(value) is float
            else _convert(value)
        )
        for value in row
    ]
    while out and out[-1] is None:
        out.pop()
    return out


def _select_sheet(sheets: list[SheetInfo], sheet: str | None, name: str) -> list[SheetInfo]:
    worksheets = [s for s in sheets if s.kind == "worksheet"]
    if sheet is None:  # visible sheets first: a hidden helper sheet is rarely the data
        return [s for s in worksheets if not s.hidden] + [s for s in worksheets if s.hidden]
    for s in sheets:
        if s.name == sheet:
            if s.kind != "worksheet":
                raise UnsupportedFile(
                    t(
                        "{name}: sheet {sheet!r} is a chart sheet without data. "
                        "Available sheets: {sheets}.",
                        name=name,
                        sheet=sheet,
                        sheets=", ".join(repr(w.name) for w in worksheets) or t("none"),
                    )
                )
            return [s]
    raise UnsupportedFile(
        t(
            "{name}: there is no sheet {sheet!r}. Available sheets: {sheets}.",
            name=name,
            sheet=sheet,
            sheets=", ".join(repr(w.name) for w in worksheets) or t("none"),
        )
    )


def iter_sheet_rows(
    path: str | Path,
    sheet: str | None = None,
    *,
    max_rows: int | None = None,
    filename: str | None = None,
) -> Iterator[list[object]]:
    """Yield the rows of one worksheet, after the safety checks (see :func:`read_sheet`).

    The reader keeps the sheet in its compact native form (32 bytes per cell);
    rows are converted to Python values one at a time as they are consumed, so
    a caller that aggregates as it goes never holds the sheet as Python objects.

    Parameters
    ----------
    path : str or Path
        The XLSX file.
    sheet : str, optional
        The sheet name. None: as in :func:`read_sheet`.
    max_rows : int, optional
        Stop after this many rows (counted from row 1 of the sheet).
    filename : str, optional
        The user's original file name, for messages.

    Returns
    -------
    Iterator of list of object
        One list per sheet row, starting at row 1 (leading empty rows are kept,
        so the row index + 1 is the Excel row number). Values as in
        :func:`read_sheet`. The checks and the reader run when this function is
        called, so refusals are raised here, not on the first ``next()``. A file
        that passed the checks is remembered (by path, inode, size and mtime), so
        a preview followed by the import scans it once.

    Raises
    ------
    UnsupportedFile
        Not a safe XLSX file, unknown sheet name (the message lists the sheets),
        or the file could not be parsed.
    ValueError
        If ``max_rows`` is negative.
    """
    import python_calamine

    if max_rows is not None and max_rows < 0:
        raise ValueError(t("max_rows must be >= 0, got {n}", n=max_rows))
    path = Path(path)
    name = _display_name(path, filename)
    key = _file_key(path, sheet)
    with _VERDICTS_LOCK:
        chosen_name = _VERDICTS.get(key) if key is not None else None
    if chosen_name is None:
        chosen = _check_and_choose(path, sheet, name)
        if chosen is None:
            return iter(())
        chosen_name = chosen.name
        if key is not None:
            with _VERDICTS_LOCK:
                if len(_VERDICTS) >= _VERDICT_CACHE_SIZE:
                    _VERDICTS.pop(next(iter(_VERDICTS)))
                _VERDICTS[key] = chosen_name
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        data = workbook.get_sheet_by_name(chosen_name)
        if data.start is None:
            return iter(())
        start_row, start_col = data.start
        # the documented layout, rows and columns from Excel's A1, for the rows up to
        # the first used one: checks the streaming layout below
        reference = data.to_python(skip_empty_area=False, nrows=start_row + 1)
        head = list(_islice(data.iter_rows(), start_row + 1))
    except Exception as exc:  # calamine raises its own error family and others
        raise _read_failure(name, exc) from exc
    padding = [""] * start_col
    if len(head) == start_row + 1 and [[*padding, *row] for row in head] == reference:
        # iter_rows yields rows from row 1 but columns from the first used column
        return _streamed_rows(data, start_col, max_rows, name)
    try:  # any other layout: take the documented (non-streaming) one
        rows = data.to_python(skip_empty_area=False, nrows=max_rows)
    except Exception as exc:
        raise _read_failure(name, exc) from exc
    return _converted_rows(rows, max_rows)


def _read_failure(name: str, exc: Exception) -> UnsupportedFile:
    return _refuse(
        name,
        "an XLSX file that could not be read ({detail})",
        "open it in Excel and save it again, or upload it as CSV",
        detail=f"{type(exc).__name__}: {exc}"[:200],
    )


def _streamed_rows(
    data: Any, start_col: int, max_rows: int | None, name: str
) -> Iterator[list[object]]:
    """Convert the reader's rows one at a time (no list of the whole sheet)."""
    padding: list[object] = [None] * start_col
    rows = data.iter_rows()
    limit = max_rows if max_rows is not None else EXCEL_MAX_ROWS + 1
    try:
        for index, row in enumerate(rows):
            if index >= limit:
                return
            converted = _convert_row(row)
            yield [*padding, *converted] if converted else converted
    except Exception as exc:
        raise _read_failure(name, exc) from exc


def _converted_rows(rows: list[list[object]], max_rows: int | None) -> Iterator[list[object]]:
    limit = len(rows) if max_rows is None else min(max_rows, len(rows))
    for index in range(limit):
        converted = _convert_row(rows[index])
        rows[index] = []  # release the reader's row as we go
        yield converted


# Files that passed the full scan: (path, inode, size, mtime, requested sheet) ->
# the sheet to read. A preview followed by the import scans an upload only once.
_VERDICT_CACHE_SIZE = 16
_VERDICTS: dict[tuple[object, ...], str] = {}
_VERDICTS_LOCK = threading.Lock()  # Streamlit serves sessions from several threads


def _file_key(path: Path, sheet: str | None) -> tuple[object, ...] | None:
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, sheet)
    except OSError:
        return None


def _check_and_choose(path: Path, sheet: str | None, name: str) -> SheetInfo | None:
    """All safety checks; the sheet to read (None: the workbook has no values)."""
    _check_xlsx_path(path, name)
    with _open_zip(path, name) as zf:
        sheets = _workbook_sheets(zf, name)
        candidates = _select_sheet(sheets, sheet, name)
        fh = zf.fp
        assert fh is not None
        budget = MAX_DECLARED_UNCOMPRESSED_BYTES
        for info in zf.infolist():
            if info.filename.lower() in _READER_PARTS:
                _scan_plain(fh, info, name, budget)
        chosen: SheetInfo | None = None
        for candidate in candidates:
            if candidate.part is None:
                if sheet is not None:
                    raise _refuse(
                        name,
                        "a damaged XLSX file (sheet {sheet} has no data part)",
                        "open it in Excel and save it again",
                        sheet=repr(candidate.name),
                    )
                continue
            has_values = False
            for part in candidate.parts:
                has_values |= _scan_sheet(fh, zf.getinfo(part), name, budget).has_values
            if has_values or sheet is not None:
                chosen = candidate
                break
    return chosen


def read_sheet(
    path: str | Path,
    sheet: str | None = None,
    *,
    max_rows: int | None = None,
    filename: str | None = None,
) -> list[list[object]]:
    """Read one worksheet of an XLSX file into rows of Python values.

    Before anything is parsed the workbook passes the safety checks: declared
    sizes and compression ratios in the zip directory, no DTD or entity
    declarations, sane declared and actual sheet extents (at most
    :data:`MAX_SHEET_CELLS` cells), and every part the reader loads is
    stream-decompressed under a byte budget. Refusals are quick and use little
    memory.

    Parameters
    ----------
    path : str or Path
        The XLSX file.
    sheet : str, optional
        The sheet name. None: the first visible worksheet that has any cell
        value (hidden worksheets only if no visible one has values).
    max_rows : int, optional
        Return at most this many rows (counted from row 1 of the sheet).
    filename : str, optional
        The user's original file name, for messages.

    Returns
    -------
    list of list of object
        One list per row from Excel row 1 (index + 1 = Excel row number); empty
        rows are ``[]``; trailing empty cells and trailing empty rows are
        dropped. Values: str; int for whole numbers (so numeric ids read as
        ``17``, not ``17.0``); float; bool; date for date-formatted cells,
        datetime when a time part is formatted; time-only cells as
        ``"HH:MM:SS"`` text; durations as float days; None for empty and error
        cells. Text cells keep leading zeros (``"00017"``).
        A workbook without any value returns ``[]``.

    Raises
    ------
    UnsupportedFile
        Not a safe XLSX file, unknown sheet name (the message lists the
        available sheets), or the file could not be parsed.
    ValueError
        If ``max_rows`` is negative.
    """
    rows = list(iter_sheet_rows(path, sheet, max_rows=max_rows, filename=filename))
    while rows and not rows[-1]:
        rows.pop()
    return rows
