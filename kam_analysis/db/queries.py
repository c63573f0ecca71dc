"""The analysis queries: per-customer figures of a window, values per period, two
windows, three windows, the customer flow, one customer's periods and products, filter values.

The analysis engine (:mod:`kam_analysis.analysis`) calls these with the cursor of
its one ``db.read()`` snapshot. Measures and period units are validated against
:mod:`kam_analysis.vocabulary`; every value is a bound (named) parameter. Each
query is a template bound by :func:`kam_analysis.db.sources.bind_query` (and run
by :func:`_frame`), which validates the measure and period, binds the filters and
picks the source rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.db.customer_stats_sql import CUSTOMER_STATS_FAST_SQL, CUSTOMER_STATS_SQL
from kam_analysis.db.sources import (
    bind_query,
    filter_params,
    measure_column,
    months_before,
    period_unit,
    range_cuts,
)
from kam_analysis.vocabulary import FILTER_FIELDS

#: The optional filters of a query: field -> accepted values.
_Filters = dict[str, Iterable[str]] | None
_DAY = timedelta(days=1)

# Placeholders of every template below: {src} the filtered source rows (whole
# months from the monthly table where the query passes its cuts, see
# kam_analysis.db.sources.bind_query), {daily} the filtered day-by-day rows, {col}
# the validated measure column, {filters} the filters on the transactions.

_PERIOD_VALUES_SQL = """WITH src AS ({src})
    SELECT customer_id, date_trunc($unit, order_date)::DATE AS period,
           coalesce(sum({col}), 0) AS value
    FROM src WHERE order_date BETWEEN $start AND $end
    GROUP BY ALL ORDER BY period, customer_id"""

# The same values without the customer ids, unordered: the concentration figures of a
# period need its customers' values only (a third of the time at 100,000 customers).
_PERIOD_AMOUNTS_SQL = _PERIOD_VALUES_SQL.replace(
    "SELECT customer_id, date_trunc", "SELECT date_trunc").replace(
    "GROUP BY ALL ORDER BY period, customer_id", "GROUP BY customer_id, period")
assert "ORDER BY" not in _PERIOD_AMOUNTS_SQL

_TWO_WINDOWS_SQL = """WITH src AS ({src}),
    w AS (
        SELECT customer_id,
               coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s1 AND $e1), 0)
                   AS value_first,
               coalesce(sum(row_count) FILTER (WHERE order_date BETWEEN $s1 AND $e1), 0)
                   AS rows_first,
               coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s2 AND $e2), 0)
                   AS value_second,
               coalesce(sum(row_count) FILTER (WHERE order_date BETWEEN $s2 AND $e2), 0)
                   AS rows_second
        FROM src
        WHERE order_date BETWEEN $lo AND $hi
          AND (order_date BETWEEN $s1 AND $e1 OR order_date BETWEEN $s2 AND $e2)
        GROUP BY customer_id
    )
    SELECT w.customer_id, c.customer_name, w.value_first, w.rows_first,
           w.value_second, w.rows_second
    FROM w LEFT JOIN customers c ON c.dataset_id = $ds AND c.customer_id = w.customer_id
    ORDER BY w.customer_id"""

_THREE_WINDOWS_SQL = """WITH src AS ({src})
    SELECT customer_id,
           coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s1 AND $e1), 0) AS value,
           coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s2 AND $e2), 0)
               AS value_previous,
           coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s3 AND $e3), 0)
               AS value_year
    FROM src
    WHERE order_date BETWEEN $lo AND $hi
      AND (order_date BETWEEN $s1 AND $e1 OR order_date BETWEEN $s2 AND $e2
           OR order_date BETWEEN $s3 AND $e3)
    GROUP BY customer_id ORDER BY customer_id"""

# Customer flow: per period, the customers active in it, those whose first active
# period it is, those also active in the period before, and those active in it but
# not in the next period ($months: the period's length).
_FLOW_SQL = """WITH src AS ({src}),
    p AS (SELECT DISTINCT customer_id, date_trunc($unit, order_date)::DATE AS period
          FROM src WHERE order_date BETWEEN $start AND $end),
    x AS (SELECT period,
                 min(period) OVER (PARTITION BY customer_id) AS first_period,
                 lag(period) OVER (PARTITION BY customer_id ORDER BY period) AS before,
                 lead(period) OVER (PARTITION BY customer_id ORDER BY period) AS after
          FROM p)
    SELECT period, count(*) AS active,
           count(*) FILTER (WHERE period = first_period) AS new,
           count(*) FILTER (WHERE (before + to_months($months))::DATE = period)
               AS returning,
           count(*) FILTER (WHERE after IS NULL
                            OR after <> (period + to_months($months))::DATE) AS stopping
    FROM x GROUP BY period ORDER BY period"""

_CUSTOMER_PERIODS_SQL = """WITH src AS ({src})
    SELECT date_trunc($unit, order_date)::DATE AS period, sum(revenue) AS revenue,
           sum(margin) AS margin, sum(quantity) AS quantity, sum(row_count) AS rows
    FROM src WHERE customer_id = $cid AND order_date BETWEEN $start AND $end
    GROUP BY ALL ORDER BY period"""

_CUSTOMER_PRODUCTS_SQL = """SELECT category, product, coalesce(sum({col}), 0) AS value,
           sum(quantity) AS quantity, count(*) AS rows,
           max(order_date) AS last_purchase
    FROM transactions
    WHERE dataset_id = $ds AND customer_id = $cid AND order_date BETWEEN $start AND $end
      AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product))
      {filters}
    GROUP BY ALL
    ORDER BY value DESC, category NULLS LAST, product NULLS LAST"""


# The same for a list of customers ($cids), with the customer id in each row (in id
# order, so that the rows of one period come in the same order from either source).
_CUSTOMERS_PERIODS_SQL = _CUSTOMER_PERIODS_SQL.replace(
    "SELECT date_trunc", "SELECT customer_id, date_trunc").replace(
    "customer_id = $cid", "list_contains($cids::VARCHAR[], customer_id)").replace(
    "ORDER BY period", "ORDER BY customer_id, period")
_CUSTOMERS_PRODUCTS_SQL = _CUSTOMER_PRODUCTS_SQL.replace(
    "SELECT category", "SELECT customer_id, category").replace(
    "customer_id = $cid", "list_contains($cids::VARCHAR[], customer_id)")


def _frame(cur: duckdb.DuckDBPyConnection, bound: tuple[str, dict[str, Any]]) -> pd.DataFrame:
    """Run a query bound by ``bind_query`` and return its rows as a DataFrame."""
    sql, params = bound
    return cur.execute(sql, params).df()


def _customers_frame(cur: duckdb.DuckDBPyConnection, template: str, dataset_id: int,
                     customer_ids: Iterable[str], window: tuple[date, date],
                     filters: _Filters, **checked: Any) -> pd.DataFrame:
    """Run ``template`` for the customers ``customer_ids`` ($cids) in the inclusive
    ``window``; ``checked`` is the measure, period and/or cuts passed to ``bind_query``."""
    values = {"start": window[0], "end": window[1], "cids": [str(c) for c in customer_ids]}
    return _frame(cur, bind_query(template, dataset_id, values, filters, **checked))


def has_analysis_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> bool:
    """Whether the dataset has the version-2 pre-aggregated tables (imported since v2)."""
    rows = cur.execute(
        "SELECT 1 FROM customer_facts WHERE dataset_id = ? LIMIT 1", [dataset_id]
    ).fetchall()
    return bool(rows)


def analysis_customer_stats(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    measure: str,
    start: date,
    end: date,
    period: str,
    filters: dict[str, Iterable[str]] | None = None,
    *,
    precomputed: bool = False,
    precomputed_gaps: bool = False,
) -> pa.Table:
    """Per-customer figures of one analysis window, one row per customer with rows in it.

    Parameters
    ----------
    cur : DuckDB cursor
        Cursor of the caller's read snapshot.
    dataset_id : int
        Dataset.
    measure : {"revenue", "margin", "quantity"}
        Measure summed into ``value``.
    start, end : date
        Inclusive window.
    period : {"week", "month", "quarter"}
        XYZ period granularity.
    filters : dict, optional
        ``region``/``manager``/``category``/``product`` -> allowed values.
    precomputed : bool
        Read ``customer_facts`` (valid only for the whole dataset as window,
        that is start <= first date and end == last date, and no filters).
    precomputed_gaps : bool
        Take the median purchase gap from ``customer_facts`` (valid when there
        are no filters and end == the dataset's last date, whatever the start).

    Returns
    -------
    pyarrow.Table
        customer_id, customer_name, region, manager, value, revenue, margin,
        rows, id_order (1-based position in customer_id text order),
        first_purchase, last_purchase, periods, active_periods, mean, sd,
        median_gap, value_last_6m, value_prev_6m.
    """
    if precomputed:
        col, unit = measure_column(measure), period_unit(period)
        sql = CUSTOMER_STATS_FAST_SQL.format(col=col, unit=unit)
        return cur.sql(sql, params={"ds": dataset_id}).to_arrow_table()
    # The window, and the 6 and 12 months before its end (value_last_6m, value_prev_6m).
    values = {"start": start, "end": end, "end_6m": months_before(end, 6),
              "end_12m": months_before(end, 12)}
    values["from"] = min(start, values["end_12m"] + _DAY)
    cuts = [*range_cuts((start, end)), values["end_6m"] + _DAY, values["end_12m"] + _DAY]
    filtered = any(filter_params(filters).values())
    sql, params = bind_query(CUSTOMER_STATS_SQL[precomputed_gaps, filtered], dataset_id,
                             values, filters, measure=measure, period=period, cuts=cuts)
    return _with_id_order(cur.sql(sql, params=params).to_arrow_table())


def _with_id_order(table: pa.Table) -> pa.Table:
    """Add ``id_order`` after ``rows``: each row's 1-based position in customer_id text
    order. Arrow sorts the ids by their bytes, as DuckDB's ORDER BY does, in a tenth of
    the time of a window function over the query's rows."""
    order = pc.sort_indices(table.column("customer_id")).to_numpy()
    positions = np.empty(len(order), dtype=np.int64)
    positions[order] = np.arange(1, len(order) + 1)
    return table.add_column(table.schema.get_field_index("rows") + 1, "id_order",
                            pa.array(positions))


def analysis_period_values(cur: duckdb.DuckDBPyConnection, dataset_id: int, measure: str,
                           start: date, end: date, period: str,
                           filters: _Filters = None) -> pd.DataFrame:
    """Value of every customer in every period of [start, end] that has rows; columns
    customer_id, period (date of period start), value.
    """
    return _frame(cur, bind_query(_PERIOD_VALUES_SQL, dataset_id, {"start": start, "end": end},
                                  filters, measure=measure, period=period,
                                  cuts=range_cuts((start, end))))


def analysis_period_amounts(cur: duckdb.DuckDBPyConnection, dataset_id: int, measure: str,
                            start: date, end: date, period: str,
                            filters: _Filters = None) -> pa.Table:
    """The values of :func:`analysis_period_values` without the customer ids, in no
    particular order: one row per customer and period of [start, end] with rows;
    columns period (date of period start), value."""
    sql, params = bind_query(_PERIOD_AMOUNTS_SQL, dataset_id, {"start": start, "end": end},
                             filters, measure=measure, period=period,
                             cuts=range_cuts((start, end)))
    return cur.sql(sql, params=params).to_arrow_table()


def analysis_two_windows(cur: duckdb.DuckDBPyConnection, dataset_id: int, measure: str,
                         first: tuple[date, date], second: tuple[date, date],
                         filters: _Filters = None) -> pd.DataFrame:
    """Each customer's value and row count in two windows (customers with rows in
    either); columns customer_id, customer_name, value_first, rows_first,
    value_second, rows_second.
    """
    windows = {"s1": first[0], "e1": first[1], "s2": second[0], "e2": second[1],
               "lo": min(first[0], second[0]), "hi": max(first[1], second[1])}
    return _frame(cur, bind_query(_TWO_WINDOWS_SQL, dataset_id, windows, filters,
                                  measure=measure, cuts=range_cuts(first, second)))


def analysis_three_windows(cur: duckdb.DuckDBPyConnection, dataset_id: int, measure: str,
                           window: tuple[date, date], previous: tuple[date, date],
                           year: tuple[date, date], filters: _Filters = None) -> pd.DataFrame:
    """Each customer's value in the window and two comparison windows, in one scan (one
    row per customer with rows in any of them); columns customer_id, value,
    value_previous, value_year.
    """
    windows = {"s1": window[0], "e1": window[1], "s2": previous[0], "e2": previous[1],
               "s3": year[0], "e3": year[1], "lo": min(window[0], previous[0], year[0]),
               "hi": max(window[1], previous[1], year[1])}
    return _frame(cur, bind_query(_THREE_WINDOWS_SQL, dataset_id, windows, filters,
                                  measure=measure, cuts=range_cuts(window, previous, year)))


def analysis_flow_counts(cur: duckdb.DuckDBPyConnection, dataset_id: int, start: date,
                         end: date, period: str, filters: _Filters = None) -> pd.DataFrame:
    """Per period (``"month"`` or ``"quarter"``) of [start, end] with rows: columns
    period (its first day), active (customers with rows in it), new (their first such
    period), returning (also with rows in the period before) and stopping (no rows in
    the period after).
    """
    months = {"month": 1, "quarter": 3}.get(period)
    if months is None:
        raise ValueError(f"Unknown period {period!r}: use 'month' or 'quarter'.")
    values = {"start": start, "end": end, "months": months}
    return _frame(cur, bind_query(_FLOW_SQL, dataset_id, values, filters, period=period,
                                  cuts=range_cuts((start, end))))


def customer_period_values(cur: duckdb.DuckDBPyConnection, dataset_id: int, customer_id: str,
                           start: date, end: date, period: str,
                           filters: _Filters = None) -> pd.DataFrame:
    """One customer's sums per period of [start, end] (periods with rows only); columns
    period, revenue, margin, quantity, rows.
    """
    values = {"start": start, "end": end, "cid": customer_id}
    return _frame(cur, bind_query(_CUSTOMER_PERIODS_SQL, dataset_id, values, filters,
                                  period=period, cuts=range_cuts((start, end))))


def customer_product_values(cur: duckdb.DuckDBPyConnection, dataset_id: int, customer_id: str,
                            measure: str, start: date, end: date,
                            filters: _Filters = None) -> pd.DataFrame:
    """One customer's products in [start, end], by value descending; columns
    category, product, value, quantity, rows, last_purchase.
    """
    values = {"start": start, "end": end, "cid": customer_id}
    return _frame(cur, bind_query(_CUSTOMER_PRODUCTS_SQL, dataset_id, values, filters,
                                  measure=measure))


def customers_period_values(cur: duckdb.DuckDBPyConnection, dataset_id: int,
                            customer_ids: Iterable[str], start: date, end: date, period: str,
                            filters: _Filters = None) -> pd.DataFrame:
    """:func:`customer_period_values` of several customers in one scan.

    Returns
    -------
    DataFrame
        customer_id, period, revenue, margin, quantity, rows (periods with rows only).
    """
    return _customers_frame(cur, _CUSTOMERS_PERIODS_SQL, dataset_id, customer_ids,
                            (start, end), filters, period=period, cuts=range_cuts((start, end)))


def customers_product_values(cur: duckdb.DuckDBPyConnection, dataset_id: int,
                             customer_ids: Iterable[str], measure: str, start: date, end: date,
                             filters: _Filters = None) -> pd.DataFrame:
    """The products of several customers in one scan (as in
    :func:`customer_product_values`, with each row's customer_id): columns
    customer_id, category, product, value, quantity, rows, last_purchase."""
    return _customers_frame(cur, _CUSTOMERS_PRODUCTS_SQL, dataset_id, customer_ids,
                            (start, end), filters, measure=measure)


def distinct_filter_values(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, list[str]]:
    """Sorted distinct non-null region, manager, category and product values of a dataset."""
    result: dict[str, list[str]] = {}
    for column in FILTER_FIELDS:
        rows = cur.execute(
            f"SELECT DISTINCT {column} FROM transactions "  # noqa: S608 - constant column
            f"WHERE dataset_id = ? AND {column} IS NOT NULL ORDER BY 1",
            [dataset_id],
        ).fetchall()
        result[column] = [r[0] for r in rows]
    return result
