"""What an upload is, decided from its CONTENT (magic bytes, zip members), never
from its name: a PDF renamed to ``.csv`` or a password-protected workbook renamed
to ``.xlsx`` is refused with a message that says what the file really is and what
the user can do about it. Also the upload size limit.

Zip files are classified (and XLSX archives checked) by
:mod:`kam_analysis.importing.xlsx_guard`; OLE compound files (old Office formats,
encrypted workbooks) are told apart here from their directory.
"""

from __future__ import annotations

import re
import struct
import tomllib
from pathlib import Path

from kam_analysis.i18n import N_
from kam_analysis.importing.errors import UnsupportedFile, _display_name, _refuse
from kam_analysis.importing.xlsx_guard import _classify_zip
from kam_analysis.importing.xlsx_zip import _ZIP_MAGICS

ROOT = Path(__file__).resolve().parent.parent.parent


STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"


DEFAULT_UPLOAD_MB = 200


SNIFF_BYTES = 64 * 1024


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


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_BOMS = (
    b"\xef\xbb\xbf",
    b"\xff\xfe\x00\x00",
    b"\x00\x00\xfe\xff",
    b"\xff\xfe",
    b"\xfe\xff",
)


_AS_TABLE = N_("upload the data as CSV or XLSX instead")
_DECOMPRESS = N_("decompress it and upload the CSV or XLSX inside")
_EXTRACT = N_("extract it and upload the CSV or XLSX inside")

# (magics, what it is, what to do)
_MAGICS: tuple[tuple[tuple[bytes, ...], str, str], ...] = (
    ((b"%PDF",), N_("a PDF document"),
     N_("export the data from the source system as CSV or XLSX")),
    ((b"\x89PNG\r\n\x1a\n",), N_("a PNG image"), _AS_TABLE),
    ((b"\xff\xd8\xff",), N_("a JPEG image"), _AS_TABLE),
    ((b"GIF87a", b"GIF89a"), N_("a GIF image"), _AS_TABLE),
    ((b"II*\x00", b"MM\x00*"), N_("a TIFF image"), _AS_TABLE),
    ((b"\x1f\x8b",), N_("a gzip-compressed file"), _DECOMPRESS),
    ((b"7z\xbc\xaf\x27\x1c",), N_("a 7-Zip archive"), _EXTRACT),
    ((b"Rar!\x1a\x07",), N_("a RAR archive"), _EXTRACT),
    ((b"\xfd7zXZ\x00",), N_("an xz-compressed file"), _DECOMPRESS),
    ((b"SQLite format 3\x00",), N_("an SQLite database"),
     N_("export the table as CSV and upload that")),
)


_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")  # block or end-of-stream magic


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
        raise _refuse(name, N_("the file is empty"),
                      N_("export the data again and upload the new file"))
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
            N_("a damaged or incomplete Parquet file"),
            N_("write or download the Parquet file again"),
        )
    if head.startswith(_ZIP_MAGICS):
        _classify_zip(path, name)
        return "xlsx"
    if head.startswith(_CFB_MAGIC):
        raise _cfb_refusal(path, name)
    for magics, what, todo in _MAGICS:
        if head.startswith(magics):
            raise _refuse(name, what, todo)
    if _BZIP2.match(head):
        raise _refuse(name, N_("a bzip2-compressed file"), _DECOMPRESS)
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
            N_("binary data, not a text (CSV) file or a spreadsheet"),
            N_("upload a CSV, XLSX or Parquet file"),
        )
    start = head.lstrip()[:512].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")) or (
        start.startswith(b"<?xml") and b"<html" in head[:4096].lower()
    ):
        raise _refuse(
            name,
            N_("an HTML page (a web or report export), not a spreadsheet"),
            N_("open it in Excel and save it as .xlsx or CSV"),
        )
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise _refuse(
            name,
            N_("an Excel 2003 XML spreadsheet"),
            N_("open it in Excel and save it as .xlsx or CSV"),
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


def _cfb_refusal(path: Path, name: str) -> UnsupportedFile:
    names = {n.lower() for n in _cfb_stream_names(path)}
    if {"encryptioninfo", "encryptedpackage"} & names:
        return _refuse(
            name,
            N_("a password-protected (encrypted) workbook"),
            N_("remove the password in Excel (File > Info > Protect Workbook > "
            "Encrypt with Password, clear it) and save again"),
        )
    if {"workbook", "book"} & names:
        return _refuse(
            name,
            N_("a workbook in the old Excel .xls format"),
            N_("open it in Excel and save it as .xlsx or CSV"),
        )
    if "worddocument" in names:
        return _refuse(name, N_("an old Word document (.doc)"),
                       N_("upload the data as CSV or XLSX"))
    if "powerpoint document" in names:
        return _refuse(
            name, N_("an old PowerPoint presentation (.ppt)"), N_("upload the data as CSV or XLSX")
        )
    return _refuse(
        name,
        N_("an old Microsoft Office file (OLE compound document), not a supported spreadsheet"),
        N_("open it in Excel and save it as .xlsx or CSV"),
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
