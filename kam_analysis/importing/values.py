"""Value shapes decided from a sample: the decimal separator of a number column,
the date formats (and day/month order) of a date column, and the text a
spreadsheet or Parquet cell is handed to the SQL parser as."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import jdatetime

from kam_analysis.importing.patterns import (
    ARABIC_DECIMAL,
    ARABIC_THOUSANDS,
    ASCII_DIGITS,
    JALALI_FIRST_YEAR,
    JALALI_LAST_YEAR,
    NATIVE_DIGITS,
)

_NUM_CLEAN = re.compile(r"[^0-9,.']")

#: Persian and Arabic-Indic digits -> ASCII.
_ASCII = str.maketrans(NATIVE_DIGITS, ASCII_DIGITS)
#: The same for numbers: ٬ -> a thousands separator, ٫ -> the decimal point.
_ASCII_NUMBER = str.maketrans(NATIVE_DIGITS + ARABIC_THOUSANDS + ARABIC_DECIMAL,
                              ASCII_DIGITS + "'.")
_NATIVE_TEXT = frozenset(NATIVE_DIGITS + "\u064a\u0643")


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits as ASCII digits (``۱۴۰۳`` -> ``1403``)."""
    return text.translate(_ASCII)


def has_native_text(values: Sequence[str]) -> bool:
    """Whether any value holds a Persian or Arabic-Indic digit or Arabic ي/ك, or is
    not in Unicode NFC (Vietnamese exported decomposed)."""
    return any(not _NATIVE_TEXT.isdisjoint(value) or not unicodedata.is_normalized("NFC", value)
               for value in values)


def _decimal_votes(values: Sequence[str]) -> tuple[int, int]:
    """Return (comma-decimal votes, point-decimal votes) over text values."""
    comma = point = 0
    for value in values:
        s = _NUM_CLEAN.sub("", value.translate(_ASCII_NUMBER))
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


_JALALI = re.compile(r"(1[34][0-9]{2})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})")


@dataclass(frozen=True)
class _DateShape:
    formats: tuple[str, ...]
    excel_serial: bool
    ambiguous: bool
    order: str | None
    calendar: str = "gregorian"


def _date_part(value: str) -> str:
    return ascii_digits(value.strip()).replace("T", " ").split(" ", 1)[0]


def _is_jalali(part: str) -> bool:
    """Whether a date (ASCII digits) is a valid Jalali year/month/day in the years read."""
    m = _JALALI.fullmatch(part)
    if m is None or not JALALI_FIRST_YEAR <= int(m.group(1)) <= JALALI_LAST_YEAR:
        return False
    try:
        jdatetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _jalali_column(values: Sequence[str]) -> bool:
    """A column is in the Jalali calendar when most of its dates are valid Jalali
    dates of the years 1300-1499 (no Gregorian date of the accepted range is)."""
    parts = [p for p in (_date_part(v) for v in values) if p]
    return bool(parts) and 2 * sum(1 for p in parts if _is_jalali(p)) > len(parts)


def _decide_dates(values: Sequence[str], date_order: str | None) -> _DateShape:
    """Decide the date formats (or the Jalali calendar) of a column from its text values."""
    if _jalali_column(values):
        return _DateShape(("%Y/%m/%d",), False, False, None, "jalali")
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
