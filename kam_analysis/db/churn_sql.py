"""The SQL of the churn models' per-customer summary (repeat purchases, recency, age).

One query, :func:`churn_customer_summary`, counts each customer's distinct purchase
days up to the window's end from the transactions, within the
region/manager/category/product filters. Every value is a bound parameter; the
measure column is validated against :mod:`kam_analysis.vocabulary` (by
:func:`kam_analysis.db.sources.bind_query`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import pandas as pd

from kam_analysis.db.figures_sql import RECENT_SUM_SQL
from kam_analysis.db.sources import bind_query

# {src}: the filtered source rows; {col}: the measure column (in RECENT_SUM_SQL).
_SUMMARY_SQL = """WITH src AS ({src}),
    purchase_days AS (
        SELECT DISTINCT customer_id, order_date FROM src WHERE order_date <= $end
    ),
    summary AS (
        SELECT customer_id,
               count(*) - 1 AS frequency,
               date_diff('day', min(order_date), max(order_date)) AS recency,
               date_diff('day', min(order_date), $end::DATE) AS T
        FROM purchase_days GROUP BY customer_id
    ),
    recent AS (
        SELECT customer_id, """ + RECENT_SUM_SQL + """ AS value_last_6m
        FROM src, (SELECT $end::DATE AS end_date) e
        WHERE order_date <= $end
        GROUP BY customer_id
    )
    SELECT s.customer_id, s.frequency::BIGINT AS frequency, s.recency::BIGINT AS recency,
           s.T::BIGINT AS T, coalesce(r.value_last_6m, 0)::DOUBLE AS value_last_6m
    FROM summary s LEFT JOIN recent r USING (customer_id)
    ORDER BY s.customer_id"""  # noqa: S608 - constant SQL fragments only


def churn_customer_summary(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, measure: str, end: date,
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Repeat purchases, recency and age (days) of every customer up to ``end``.

    Parameters
    ----------
    cur : duckdb.DuckDBPyConnection
        The read snapshot's cursor.
    dataset_id : int
        The dataset's id.
    measure : {"revenue", "margin", "quantity"}
        The measure summed into ``value_last_6m``.
    end : date
        The window's end (inclusive); later rows are ignored.
    filters : dict, optional
        Allowed values by field (``region``, ``manager``, ``category``, ``product``).

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase day on or before ``end``, by
        ``customer_id``: ``frequency`` (distinct purchase days after the first),
        ``recency`` (days from the first to the last purchase day), ``T`` (days
        from the first purchase day to ``end``) and ``value_last_6m`` (the
        measure in (end - 6 months, end]).
    """
    sql, params = bind_query(_SUMMARY_SQL, dataset_id, {"end": end}, filters, measure=measure)
    return cur.execute(sql, params).df()
