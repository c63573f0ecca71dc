"""Text encodings of CSV files: detection (BOM, UTF-16, strict UTF-8, Cyrillic
cp1251 vs Western cp1252) and streaming transcoding to UTF-8."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed

_TRANSCODE_CHUNK = 4 << 20


_CYRILLIC = re.compile(r"[А-яЁё]")


def detect_encoding(head: bytes) -> str:
    """Detect the encoding of a text file from its first bytes.

    Order: BOM (UTF-8, UTF-16 LE/BE), UTF-16 without BOM (NUL byte pattern),
    strict UTF-8, then cp1251 when the high bytes form Cyrillic words, else
    cp1252 (Western European, a superset of printable latin-1).

    Parameters
    ----------
    head : bytes
        The first bytes of the file (a megabyte is plenty).

    Returns
    -------
    str
        A Python codec name: ``utf-8-sig``, ``utf-16``, ``utf-16-le``,
        ``utf-16-be``, ``utf-8``, ``cp1251`` or ``cp1252``.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = head[:4096]
    if len(probe) >= 4:
        even_nul = probe[0::2].count(0) / max(1, len(probe[0::2]))
        odd_nul = probe[1::2].count(0) / max(1, len(probe[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Judge the legacy code page on the lines that are not UTF-8 (a file may mix both).
    text = b"\n".join(line for line in head.split(b"\n") if not _is_utf8(line)
                      ).decode("cp1251", errors="replace")
    letters = [m.start() for m in _CYRILLIC.finditer(text)]
    if letters:
        positions = set(letters)
        in_words = sum(1 for p in letters if p - 1 in positions or p + 1 in positions)
        if in_words / len(letters) > 0.6:
            return "cp1251"
    return "cp1252"


def _check_codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ImportFailed(t("Unknown text encoding {enc!r}.", enc=encoding)) from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


#: Single-byte code pages whose files may hold some UTF-8 lines (decoded per line).
LINE_WISE = ("cp1251", "cp1252")
_UTF8_PAIR = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_HIGH = re.compile(rb"[\x80-\xff]")


@dataclass
class LineEncodings:
    """Which lines of a single-byte code page file were read as UTF-8 and which
    (holding non-ASCII bytes) in the code page; ``bulk`` when data without any
    UTF-8 was decoded at once (its lines not listed)."""

    utf8: list[int] = field(default_factory=list)
    legacy: list[int] = field(default_factory=list)
    bulk: bool = False


def decode_lines(data: bytes, encoding: str, first_line: int, seen: LineEncodings) -> str:
    """Decode whole lines of a file detected as a single-byte code page.

    A line that is valid UTF-8 and holds a UTF-8 sequence is decoded as UTF-8,
    every other line as ``encoding``; ``seen`` records which (1-based lines).
    A text in cp1251 or cp1252 with non-ASCII letters is almost never valid
    UTF-8, so a file that mixes both is read right instead of garbling one
    half. Data without any UTF-8 sequence is decoded at once.
    """
    if not _UTF8_PAIR.search(data):
        seen.bulk = seen.bulk or bool(_HIGH.search(data))
        return data.decode(encoding, errors="replace")
    out: list[str] = []
    for number, line in enumerate(data.split(b"\n"), first_line):
        if _UTF8_PAIR.search(line) and _is_utf8(line):
            out.append(line.decode("utf-8"))
            seen.utf8.append(number)
        else:
            out.append(line.decode(encoding, errors="replace"))
            if _HIGH.search(line):
                seen.legacy.append(number)
    return "\n".join(out)


def mixed_warning(encoding: str, seen: LineEncodings) -> str | None:
    """The warning for a file whose lines are in two encodings (None: one encoding)."""
    if not seen.utf8 or not (seen.legacy or seen.bulk):
        return None
    few, few_enc, other_enc = seen.utf8, "UTF-8", encoding
    if not seen.bulk and len(seen.legacy) < len(seen.utf8):
        few, few_enc, other_enc = seen.legacy, encoding, "UTF-8"
    return t("The file mixes two encodings: {n} lines are {enc} (lines {lines}), the "
             "others {other}; each line was read in its own encoding.",
             n=len(few), enc=few_enc, other=other_enc,
             lines=", ".join(str(n) for n in few[:10]) + (", ..." if len(few) > 10 else ""))


def _transcode(path: Path, encoding: str, out_dir: str | None = None,
               seen: LineEncodings | None = None) -> Path:
    """Write a UTF-8 copy of ``path`` (decoded from ``encoding``) in bounded-memory chunks.

    For the code pages in :data:`LINE_WISE` lines that are UTF-8 are kept as
    they are (see :func:`decode_lines`; ``seen`` records which lines).
    """
    fd, name = tempfile.mkstemp(prefix="kam-import-", suffix=".csv", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            if codecs.lookup(encoding).name in LINE_WISE:
                _transcode_lines(src, out, encoding, seen or LineEncodings())
                return Path(name)
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            while chunk := src.read(_TRANSCODE_CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _transcode_lines(src: BinaryIO, out: BinaryIO, encoding: str,
                     seen: LineEncodings) -> None:
    """Transcode a single-byte code page file in chunks cut at line ends."""
    line, rest = 1, b""
    while chunk := src.read(_TRANSCODE_CHUNK):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        if data:
            out.write(decode_lines(data[:-1], encoding, line, seen).encode("utf-8"))
            out.write(b"\n")
            line += data.count(b"\n")
    if rest:
        out.write(decode_lines(rest, encoding, line, seen).encode("utf-8"))
