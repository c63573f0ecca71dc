"""The source rows of an analysis query: the pre-aggregated customer-by-month table
(whole months) with the transactions (months a bound cuts through), or the
transactions alone (day-precise figures, weeks, or a category or product filter),
filtered by bound lists; and :func:`bind_query`, which binds a query template to
them."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from kam_analysis.db.monthly_sql import (
    DAY_ROWS_SQL,
    REGION_MANAGER_SQL,
    SRC_MIXED_SQL,
    SRC_MONTHS_ONLY_SQL,
)
from kam_analysis.vocabulary import MEASURES, PERIODS

# All filters but product, on the transactions.
FILTERS_SQL = REGION_MANAGER_SQL + """
      AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))"""

# The day-by-day rows: the transactions, with every filter.
_SRC_DAILY_SQL = "".join((
    """SELECT customer_id, order_date, order_date AS last_date, region, manager, revenue,
              margin, quantity, """ + DAY_ROWS_SQL + """ AS row_count
       FROM transactions WHERE dataset_id = $ds
         AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product))""",  # noqa: S608
    FILTERS_SQL,
))


def filter_params(filters: dict[str, Iterable[str]] | None) -> dict[str, list[str]]:
    """Bound parameters of the filters: regions, managers, categories, products -> values
    (an empty list allows all)."""
    filters = filters or {}
    return {
        key: [str(v) for v in filters.get(field, ())]
        for key, field in (("regions", "region"), ("managers", "manager"),
                           ("categories", "category"), ("products", "product"))
    }


def range_cuts(*ranges: tuple[date, date]) -> list[date]:
    """The cuts of inclusive date ranges: each one's first day and the day after its last
    (none after the last representable date)."""
    return [d for start, end in ranges
            for d in ((start, end + timedelta(days=1)) if end < date.max else (start,))]


def months_before(d: date, months: int) -> date:
    """``d`` minus whole ``months``, the day clamped to the month's end (as DuckDB's
    ``d - INTERVAL n MONTH``)."""
    year, month = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def split_months(cuts: Iterable[date]) -> list[date]:
    """The first days of the months that a cut (the first day of a range, or the day
    after its last) falls inside of, i.e. every cut that is not a month's first day."""
    return sorted({c.replace(day=1) for c in cuts if c.day != 1})


def _monthly_source(params: dict[str, Any], cuts: Iterable[date] | None,
                    period: str | None) -> str | None:
    """The source rows read from the monthly table (whole months) and the
    transactions (the months a cut falls in; bound as $split), or None where the monthly
    rows cannot answer exactly (no cuts given, weekly periods, a category or
    product filter)."""
    if cuts is None or period == "week" or params["products"] or params["categories"]:
        return None
    params["split"] = split_months(cuts)
    return SRC_MIXED_SQL if params["split"] else SRC_MONTHS_ONLY_SQL


def measure_column(measure: str) -> str:
    """The column of ``measure``; ValueError unless it is one of ``MEASURES``."""
    if measure not in MEASURES:
        raise ValueError(f"Unknown measure {measure!r}; use one of {', '.join(MEASURES)}.")
    return measure


def period_unit(period: str) -> str:
    """The period unit ``period``; ValueError unless it is one of ``PERIODS``."""
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    return period


def bind_query(
    template: str,
    dataset_id: int,
    values: dict[str, Any],
    filters: dict[str, Iterable[str]] | None,
    *,
    measure: str | None = None,
    period: str | None = None,
    cuts: Iterable[date] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Validate ``measure`` and ``period``, bind the values and filters, and fill
    ``template``'s constant placeholders ({src} the source rows, {daily} the
    day-by-day source rows (the transactions), {col} the measure column, {filters} the filters on
    the transactions); return the SQL and its parameters.

    ``cuts`` (optional) are every date range bound of the template's figures: the
    first day of each range and the day after its last. Given them, ``{src}``
    reads whole months from the monthly table where the figures allow it (not
    for weekly periods, nor with a category or product filter); the template must
    then take dates only through range conditions, ``min(order_date)``,
    ``max(last_date)`` and ``date_trunc`` by month or quarter, and count rows
    with ``sum(row_count)``.
    """
    col = measure_column(measure) if measure is not None else ""
    params: dict[str, Any] = {"ds": dataset_id, **values}
    if period is not None:
        params["unit"] = period_unit(period)
    params.update(filter_params(filters))
    src = _monthly_source(params, cuts, period) or _SRC_DAILY_SQL
    sql = template.format(src=src, daily=_SRC_DAILY_SQL, col=col, filters=FILTERS_SQL)
    # The monthly rows have no category or product: drop what the SQL leaves unused.
    return sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
