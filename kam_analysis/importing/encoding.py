"""Text encodings of CSV files: detection (BOM, UTF-16, strict UTF-8, Cyrillic
cp1251 vs Western cp1252) and streaming transcoding to UTF-8."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import tempfile
from pathlib import Path

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
    text = head.decode("cp1251", errors="replace")
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


def _transcode(path: Path, encoding: str, out_dir: str | None = None) -> Path:
    """Write a UTF-8 copy of ``path`` (decoded from ``encoding``) in bounded-memory chunks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    fd, name = tempfile.mkstemp(prefix="kam-import-", suffix=".csv", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            while chunk := src.read(_TRANSCODE_CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)
