"""The analysis window and calendar arithmetic: dates, whole months, period starts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from kam_analysis.analysis.params import AnalysisParams
from kam_analysis.db import DatasetInfo


def as_date(value: Any) -> date:
    """Return ``value`` (date, datetime, Timestamp) as a date; ValueError otherwise."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"Not a date: {value!r}")


def resolve_window(params: AnalysisParams, info: DatasetInfo) -> tuple[date, date]:
    """The inclusive window: ``params.start``/``end``, else the dataset's first/last date.

    Raises
    ------
    ValueError
        If the dataset has no dated rows or the window is inverted.
    """
    start = params.start or info.first_date
    end = params.end or info.last_date
    if start is None or end is None:
        raise ValueError(f"The dataset {info.name!r} has no dated rows.")
    start, end = as_date(start), as_date(end)
    if start > end:
        raise ValueError(f"The window start {start} is after its end {end}.")
    return start, end


def add_months(d: date, months: int) -> date:
    """Shift by whole months, clamping the day to the month's end (like DuckDB).

    Parameters
    ----------
    d : date
        The date to shift.
    months : int
        Months to add (negative: back in time).

    Returns
    -------
    date
        E.g. Jan 31 + 1 month = Feb 28 (or 29).
    """
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def period_start(d: date, period: str) -> date:
    """First day of the week (Monday), month or quarter holding ``d``."""
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def period_starts(window: tuple[date, date], period: str) -> list[date]:
    """Start dates of every period overlapping the inclusive ``window``."""
    current = period_start(window[0], period)
    last = period_start(window[1], period)
    out = []
    while current <= last:
        out.append(current)
        current = (current + timedelta(days=7) if period == "week"
                   else add_months(current, 1 if period == "month" else 3))
    return out


def quarter_end(quarter_start: date) -> date:
    """Last day of the quarter starting on ``quarter_start``."""
    return add_months(quarter_start, 3) - timedelta(days=1)


def trailing_year_start(end: date) -> date:
    """First day of the 12 months ending on ``end`` (inclusive)."""
    return add_months(end, -12) + timedelta(days=1)


def quarter_label(d: date) -> str:
    """``"2025 Q1"`` for any date in that quarter."""
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"
