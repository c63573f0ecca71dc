"""The pre-computed tables of one dataset: ``sales_daily``, ``customers`` and
``customer_facts``, built from its transactions inside the import's transaction."""

from __future__ import annotations

from datetime import date

import duckdb

from kam_analysis.db.figures_sql import (
    GAPS_MEDIAN_SQL,
    MODES_SQL,
    PREVIOUS_SUM_SQL,
    RECENT_SUM_SQL,
)
from kam_analysis.db.xyz_sql import period_count_sql, xyz_ctes
from kam_analysis.vocabulary import MEASURES, PERIODS

# Each measure in the last 6 months and the 6 months before, from ``days``.
_HALF_YEAR_SUMS_SQL = ",\n                       ".join(
    f"{RECENT_SUM_SQL.format(col=m)} AS {m}_last_6m, "
    f"{PREVIOUS_SUM_SQL.format(col=m)} AS {m}_prev_6m"
    for m in MEASURES
)
_HALF_YEAR_COLUMNS_SQL = ", ".join(f"b.{m}_last_6m, b.{m}_prev_6m" for m in MEASURES)

# Per period unit, the history length from the customer's first purchase (or
# the dataset's first date) to the dataset's last date, zero periods included.
_HISTORY_LENGTHS_SQL = ",\n                  ".join(
    period_count_sql(f"'{u}'", f"greatest(date_trunc('{u}', first_date), "
                     f"date_trunc('{u}', first_purchase))", f"date_trunc('{u}', end_date)")
    + f" AS n_{u}"
    for u in PERIODS
)

# Per period unit: mean and population sd of every measure per period.
_XYZ_BY_UNIT_SQL = ",".join(
    xyz_ctes(u, source="days", unit=f"'{u}'", measures={m: m for m in MEASURES},
             history="base", periods=f"n_{u}", suffix=f"_{u}")
    for u in PERIODS
)
_XYZ_COLUMNS_SQL = ", ".join(f"sd_{u}.* EXCLUDE (customer_id)" for u in PERIODS)
_XYZ_JOINS_SQL = "\n            ".join(f"JOIN sd_{u} USING (customer_id)" for u in PERIODS)

# The customer's name: the name on its latest date with a name; on a tie the name
# with the most rows (in the whole dataset), then the first in text order, so the
# file's row order never decides.
_CUSTOMERS_SQL = """INSERT INTO customers
           WITH names AS (
               SELECT customer_id, customer_name, max(order_date) AS last_date,
                      count(*) AS n_rows
               FROM transactions
               WHERE dataset_id = $ds AND customer_name IS NOT NULL
               GROUP BY customer_id, customer_name
           ),
           chosen AS (
               SELECT customer_id, customer_name FROM names
               QUALIFY row_number() OVER (PARTITION BY customer_id
                   ORDER BY last_date DESC, n_rows DESC, customer_name ASC) = 1
           ),
           facts AS (
               SELECT customer_id, min(order_date) AS first_purchase,
                      max(order_date) AS last_purchase, count(*) AS row_count
               FROM transactions WHERE dataset_id = $ds
               GROUP BY customer_id
           )
           SELECT $ds, f.customer_id, c.customer_name, f.first_purchase, f.last_purchase,
                  f.row_count
           FROM facts f LEFT JOIN chosen c USING (customer_id)"""

# ``customer_facts`` (schema version 2), from sales_daily: one row per customer with
# everything the default analysis window (the whole dataset, no filters) needs: name,
# main region and manager, first and last purchase, median purchase gap, sums of each
# measure, each measure in the last 6 months and the 6 months before the last date,
# and for each period unit the history length, active periods, mean and population
# sd. The formulas are those of the on-the-fly queries (kam_analysis.db.queries);
# everything but the main region and manager is computed from per-customer-day sums
# (``days``), so only the summation order differs.
_CUSTOMER_FACTS_SQL = f"""INSERT INTO customer_facts BY NAME
            WITH src AS (
                SELECT customer_id, order_date, region, manager, revenue, margin, quantity,
                       row_count
                FROM sales_daily WHERE dataset_id = $ds
            ),
            days AS MATERIALIZED (
                SELECT customer_id, order_date, sum(revenue) AS revenue, sum(margin) AS margin,
                       sum(quantity) AS quantity, sum(row_count) AS row_count
                FROM src GROUP BY customer_id, order_date
            ),
            bounds AS (SELECT min(order_date) AS first_date, max(order_date) AS end_date
                       FROM days),
            {MODES_SQL},
            purchase_dates AS (SELECT customer_id, order_date FROM days),
            {GAPS_MEDIAN_SQL},
            base0 AS (
                SELECT customer_id, min(order_date) AS first_purchase,
                       max(order_date) AS last_purchase, sum(revenue) AS revenue,
                       sum(margin) AS margin, sum(quantity) AS quantity,
                       sum(row_count) AS row_count,
                       {_HALF_YEAR_SUMS_SQL}
                FROM days, bounds GROUP BY customer_id
            ),
            base AS (
                SELECT base0.*,
                  {_HISTORY_LENGTHS_SQL}
                FROM base0, bounds
            ),
            {_XYZ_BY_UNIT_SQL}
            SELECT $ds AS dataset_id, b.customer_id, c.customer_name, rg.region, mg.manager,
                   b.first_purchase, b.last_purchase, gp.median_gap, b.revenue, b.margin,
                   b.quantity, b.row_count,
                   row_number() OVER (ORDER BY b.customer_id) AS id_order,
                   {_HALF_YEAR_COLUMNS_SQL},
                   {_XYZ_COLUMNS_SQL}
            FROM base b
            LEFT JOIN (SELECT customer_id, customer_name FROM customers WHERE dataset_id = $ds) c
                USING (customer_id)
            LEFT JOIN region_mode rg USING (customer_id)
            LEFT JOIN manager_mode mg USING (customer_id)
            LEFT JOIN gaps_median gp USING (customer_id)
            {_XYZ_JOINS_SQL}"""  # noqa: S608 - constant identifiers only


_SALES_DAILY_SQL = """INSERT INTO sales_daily
           SELECT $ds, customer_id, order_date, region, manager,
                  sum(revenue), sum(margin), sum(quantity), count(*)
           FROM transactions WHERE dataset_id = $ds
           GROUP BY customer_id, order_date, region, manager"""


def aggregate_statements() -> list[tuple[str, str]]:
    """The statements that build a dataset's aggregates, in order: (target table,
    ``INSERT INTO`` statement in DuckDB SQL).

    Each reads ``transactions`` and the tables built before it, filtered by
    ``$ds`` (the dataset id; ``$start``/``$end`` are the whole date range). The
    DuckDB import runs them as they are (:func:`build_aggregates`); the Spark
    import (:mod:`kam_analysis.spark`) transpiles each SELECT to Spark SQL, so
    both engines run the same SQL.
    """
    return [("sales_daily", _SALES_DAILY_SQL), ("customers", _CUSTOMERS_SQL),
            ("customer_facts", _CUSTOMER_FACTS_SQL)]


def aggregate_params(dataset_id: int) -> dict[str, object]:
    """The values bound to the statements of :func:`aggregate_statements`."""
    return {"ds": dataset_id, "start": date.min, "end": date.max}


def build_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the pre-aggregated tables of one dataset from its transactions."""
    # The dataset id is a bound constant, not a grouping key (one key less to hash).
    params = aggregate_params(dataset_id)
    for _table, sql in aggregate_statements():
        cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
