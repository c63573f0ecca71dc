"""The source rows of an analysis query: the pre-aggregated customer-by-day table
or, with a category or product filter, the transactions, filtered by bound lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
