"""Zip access for XLSX archives without trusting them: the directory size is read
from the end records before ``zipfile`` parses it, and members are
stream-decompressed under a byte budget with size and CRC checked."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from kam_analysis.formatting import fmt_count
from kam_analysis.i18n import N_
from kam_analysis.importing.errors import UnsupportedFile, _refuse

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


_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


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
            N_("a zip/XLSX archive with an absurd number of parts ({n})"),
            N_("open it in Excel and save it again"),
            n=fmt_count(directory[0]),
        )
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise _refuse(
            name,
            N_("a damaged or incomplete zip/XLSX file ({detail})"),
            N_("save or download the file again"),
            detail=str(exc) or type(exc).__name__,
        ) from exc


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
            N_("a damaged or manipulated XLSX file (part {part}: {detail})"),
            N_("open it in Excel and save it again"),
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
            N_("an encrypted zip archive"),
            N_("remove the password in Excel and save again"),
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
