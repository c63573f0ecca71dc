"""Reading one worksheet of an XLSX file into rows of Python values, after the
safety checks (:func:`kam_analysis.importing.workbook._check_and_choose`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import islice as _islice
from pathlib import Path
from typing import Any

from kam_analysis.i18n import N_, t
from kam_analysis.importing.errors import UnsupportedFile, _display_name, _refuse
from kam_analysis.importing.workbook import _check_and_choose
from kam_analysis.importing.xlsx_zip import EXCEL_MAX_ROWS

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


def iter_sheet_rows(path: str | Path, sheet: str | None = None, *, max_rows: int | None = None,
                    filename: str | None = None) -> Iterator[list[object]]:
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
    chosen_name = _sheet_to_read(path, sheet, name)
    if chosen_name is None:
        return iter(())
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


def _sheet_to_read(path: Path, sheet: str | None, name: str) -> str | None:
    """The sheet to read after the safety checks (None: the workbook has no values);
    a file that passed them is remembered, so it is scanned once."""
    key = _file_key(path, sheet)
    with _VERDICTS_LOCK:
        chosen_name = _VERDICTS.get(key) if key is not None else None
    if chosen_name is None:
        chosen = _check_and_choose(path, sheet, name)
        if chosen is None:
            return None
        chosen_name = chosen.name
        # The chosen sheet passed the same checks a request for it by name runs.
        named = _file_key(path, chosen_name) if sheet is None else None
        with _VERDICTS_LOCK:
            for done in (key, named):
                if done is not None:
                    if len(_VERDICTS) >= _VERDICT_CACHE_SIZE:
                        _VERDICTS.pop(next(iter(_VERDICTS)))
                    _VERDICTS[done] = chosen_name
    return chosen_name


def first_sheet_with_values(path: str | Path, filename: str | None = None) -> str | None:
    """The sheet :func:`read_sheet` reads when no sheet is named (None: no values).

    The workbook's safety checks run once for all its sheets (not once per sheet).
    """
    path = Path(path)
    return _sheet_to_read(path, None, filename or path.name)


def _read_failure(name: str, exc: Exception) -> UnsupportedFile:
    return _refuse(
        name,
        N_("an XLSX file that could not be read ({detail})"),
        N_("open it in Excel and save it again, or upload it as CSV"),
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
