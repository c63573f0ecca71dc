"""Value shapes decided from a sample: the decimal separator of a number column,
the date formats (and day/month order) of a date column, and the text a
spreadsheet or Parquet cell is handed to the SQL parser as."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

_NUM_CLEAN = re.compile(r"[^0-9,.']")


def _decimal_votes(values: Sequence[str]) -> tuple[int, int]:
    """Return (comma-decimal votes, point-decimal votes) over text values."""
    comma = point = 0
    for value in values:
        s = _NUM_CLEAN.sub("", value)
        has_c, has_p = "," in s, "." in s
        if has_c and has_p:
            if s.rfind(",") > s.rfind("."):
                comma += 1
            else:
                point += 1
        elif has_c:
            if s.count(",") > 1:
                point += 1
            elif len(s) - s.rfind(",") - 1 != 3:
                comma += 1
        elif has_p:
            if s.count(".") > 1:
                comma += 1
            elif len(s) - s.rfind(".") - 1 != 3:
                point += 1
    return comma, point


def _decide_decimal(values: Sequence[str], default: str) -> str:
    comma, point = _decimal_votes(values)
    if comma > point:
        return ","
    if point > comma:
        return "."
    return default


_DATE_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "%Y/%m/%d"),
    (re.compile(r"\d{4}\.\d{1,2}\.\d{1,2}"), "%Y.%m.%d"),
    (re.compile(r"\d{8}"), "%Y%m%d"),
)


_DMY_SHAPES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # pattern, day-first format, month-first format
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.\d{4}"), "%d.%m.%Y", "%m.%d.%Y"),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.\d{2}"), "%d.%m.%y", "%m.%d.%y"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/\d{4}"), "%d/%m/%Y", "%m/%d/%Y"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/\d{2}"), "%d/%m/%y", "%m/%d/%y"),
    (re.compile(r"(\d{1,2})-(\d{1,2})-\d{4}"), "%d-%m-%Y", "%m-%d-%Y"),
)


_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


@dataclass(frozen=True)
class _DateShape:
    formats: tuple[str, ...]
    excel_serial: bool
    ambiguous: bool
    order: str | None


def _date_part(value: str) -> str:
    return value.strip().replace("T", " ").split(" ", 1)[0]


def _decide_dates(values: Sequence[str], date_order: str | None) -> _DateShape:
    """Decide the date formats of a column from its text values."""
    formats: list[str] = []
    serial = False
    dmy_evidence = mdy_evidence = 0
    day_month: list[tuple[str, str]] = []  # (dmy format, mdy format) seen
    for value in values:
        part = _date_part(value)
        if not part:
            continue
        for pattern, fmt in _DATE_SHAPES:
            if pattern.fullmatch(part):
                if fmt not in formats:
                    formats.append(fmt)
                break
        else:
            for pattern, dmy, mdy in _DMY_SHAPES:
                m = pattern.fullmatch(part)
                if m:
                    first, second = int(m.group(1)), int(m.group(2))
                    if first > 12 >= second:
                        dmy_evidence += 1
                    elif second > 12 >= first:
                        mdy_evidence += 1
                    if (dmy, mdy) not in day_month:
                        day_month.append((dmy, mdy))
                    break
            else:
                if _SERIAL.fullmatch(part):
                    serial = True
    ambiguous = False
    order = date_order
    if day_month and order is None:
        if dmy_evidence > mdy_evidence:
            order = "DMY"
        elif mdy_evidence > dmy_evidence:
            order = "MDY"
        elif all(dmy.startswith("%d.") for dmy, _ in day_month):
            order = "DMY"  # dotted dates are day-first in every locale that uses them
        else:
            ambiguous = True
            order = None
    for dmy, mdy in day_month:
        fmt = mdy if order == "MDY" else dmy
        if fmt not in formats:
            formats.append(fmt)
    if "%Y-%m-%d" not in formats:
        formats.append("%Y-%m-%d")
    return _DateShape(tuple(formats), serial, ambiguous, order if day_month else None)


def _cell_text(value: Any, decimal: str = ".") -> str | None:
    """Text of a spreadsheet/Parquet cell as the SQL parser expects it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text.replace(".", ",") if decimal == "," else text
    return str(value)


def _column_values(rows: list[list[Any]], index: int) -> list[str]:
    out = []
    for row in rows:
        if index < len(row):
            value = row[index]
            if isinstance(value, str) and value.strip():
                out.append(value.strip())
    return out
