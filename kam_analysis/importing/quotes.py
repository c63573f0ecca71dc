"""Quotes that never close in a CSV file.

A field that starts with a quote which is never closed makes a CSV reader take
the rest of the file as that one cell. DuckDB then reports one broken row whose
raw text is the rest of the file, and every row after it is gone. The import
(:func:`kam_analysis.importing.importer.import_file`) therefore, only when
DuckDB reports such a row, finds the line the quote opened on
(:func:`unclosed_quote_lines`), reads a copy of the file with that line emptied
(:func:`without_lines`) and rejects that line alone.

The scan follows DuckDB's reading (quote ``"``, escaped by doubling): a quote
opens a quoted field only at the start of a field; inside one, ``""`` is a
quote and a lone ``"`` closes it. A quoted field that spans lines and is closed
by a quote followed by more text (a stray quote further down) counts as never
closed too: the reader gives up on that record.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

_QUOTE = 0x22


def unclosed_quote_lines(path: str | Path, delimiter: str, skip: int,
                         limit: int = 100) -> list[int]:
    """Return the 1-based lines on which a quoted field opens that never closes.

    After such a line the scan goes on at the next line (as a reader of the file
    with that line emptied would).

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV file (lines end with ``\\n``; a ``\\r`` before it is data).
    delimiter : str
        The one-character (ASCII) delimiter.
    skip : int
        Lines before the first record (they are not scanned).
    limit : int
        Stop after this many lines.

    Returns
    -------
    list of int
        The lines, in file order (empty when every quote closes).
    """
    found: list[int] = []
    start = skip
    while len(found) < limit:
        line = _first_unclosed(path, delimiter.encode("utf-8"), start)
        if line is None:
            break
        found.append(line)
        start = line
    return found


def _first_unclosed(path: str | Path, delim: bytes, skip: int) -> int | None:
    opened: int | None = None  # the line the quoted field we are in opened on
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if number <= skip or (opened is None and b'"' not in line):
                continue
            opened, broken = _scan_line(line, delim, number, opened)
            if broken is not None:
                return broken
    return opened


_ENDS = (b"\r", b"\n")


def _scan_line(line: bytes, delim: bytes, number: int, opened: int | None
               ) -> tuple[int | None, int | None]:
    """Follow one line's quotes. Returns the line the open quoted field began on,
    and the line of a quoted field that spanned lines and closed badly (text
    after its closing quote, which makes the reader give up on the record)."""
    i, n = 0, len(line)
    at_start = opened is None
    while i < n:
        if opened is not None:
            j = line.find(b'"', i)
            if j < 0:
                return opened, None
            if j + 1 < n and line[j + 1] == _QUOTE:
                i = j + 2
                continue
            after = line[j + 1 : j + 2]
            if after and after != delim and after not in _ENDS and opened != number:
                return None, opened
            opened, i, at_start = None, j + 1, False
            continue
        if at_start and line[i] == _QUOTE:
            opened, i = number, i + 1
            continue
        j = line.find(delim, i)
        if j < 0:
            return None, None
        i, at_start = j + 1, True
    return opened, None


def lines_text(path: str | Path, numbers: list[int]) -> dict[int, str]:
    """The text of the lines ``numbers`` (1-based) of a UTF-8 file, without line breaks."""
    wanted = set(numbers)
    out: dict[int, str] = {}
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if number in wanted:
                text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
                out[number] = text.lstrip("\ufeff")
                if len(out) == len(wanted):
                    break
    return out


def without_lines(path: str | Path, numbers: set[int], out_dir: str | None = None) -> Path:
    """Write a copy of ``path`` with the lines ``numbers`` (1-based) emptied.

    The line breaks stay, so every other line keeps its number; a CSV reader
    skips an empty line. An emptied last line gets a line break too, so it is
    still a line (the import counts each emptied line among the empty ones).
    """
    fd, name = tempfile.mkstemp(prefix="kam-import-", suffix=".csv", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            for number, line in enumerate(src, 1):
                if number in numbers:
                    out.write(b"\n")
                else:
                    out.write(line)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)
