"""The source rows of an analysis query: the pre-aggregated customer-by-day table
or, with a category or product filter, the transactions, filtered by bound lists;
and :func:`bind_query`, which binds a query template to them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kam_analysis.vocabulary import MEASURES, PERIODS

# Region and manager filters, on the pre-aggregated customer-by-day table (which
# has no product or category column: those filters read the transactions instead).
_DAILY_FILTERS_SQL = """
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], region))
      AND (len($managers::VARCHAR[]) = 0 OR list_contains($managers::VARCHAR[], manager))"""

# All filters but product, on the transactions.
FILTERS_SQL = _DAILY_FILTERS_SQL + """
      AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))"""

_SRC_DAILY_SQL = "".join((
    """SELECT customer_id, order_date, region, manager, revenue, margin, quantity, row_count
       FROM sales_daily WHERE dataset_id = $ds AND len($products::VARCHAR[]) = 0
         AND len($categories::VARCHAR[]) = 0""",
    _DAILY_FILTERS_SQL,
))

_SRC_TRANSACTIONS_SQL = "".join((
    """SELECT customer_id, order_date, region, manager, revenue, margin, quantity,
              1 AS row_count
       FROM transactions WHERE dataset_id = $ds
         AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product))""",
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


def source_sql(params: dict[str, Any]) -> str:
    """SQL of the source rows for ``params`` (see :func:`filter_params`): the
    customer-by-day table, or the transactions when a category or product filter is set."""
    if params["products"] or params["categories"]:
        return _SRC_TRANSACTIONS_SQL
    return _SRC_DAILY_SQL


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
) -> tuple[str, dict[str, Any]]:
    """Validate ``measure`` and ``period``, bind the values and filters, and fill
    ``template``'s constant placeholders ({src} the source rows, {col} the measure
    column, {filters} the filters on the transactions); return the SQL and its
    parameters."""
    col = measure_column(measure) if measure is not None else ""
    params: dict[str, Any] = {"ds": dataset_id, **values}
    if period is not None:
        params["unit"] = period_unit(period)
    params.update(filter_params(filters))
    sql = template.format(src=source_sql(params), col=col, filters=FILTERS_SQL)
    return sql, params
