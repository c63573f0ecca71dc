"""The pre-computed tables of one dataset: ``sales_daily``, ``customers`` and
``customer_facts``, built from its transactions inside the import's transaction."""

from __future__ import annotations

import duckdb

from kam_analysis.db.figures_sql import PREVIOUS_SUM_SQL, RECENT_SUM_SQL
from kam_analysis.db.monthly_sql import BUILD_MONTHLY_SQL
from kam_analysis.db.xyz_sql import period_count_sql, xyz_ctes
from kam_analysis.vocabulary import MEASURES, PERIODS

# Each measure in the last 6 months and the 6 months before the last date.
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

# Per period unit: mean and population sd of every measure per period, summed
# from the day rows (``src``). (Quarters from the month sums would read fewer
# rows, but handing the month sums to two consumers costs more than it saves.)
_XYZ_BY_UNIT_SQL = ",".join(
    xyz_ctes(u, source="src", unit=f"'{u}'", measures={m: m for m in MEASURES},
             history="base", periods=f"n_{u}", suffix=f"_{u}")
    for u in PERIODS
)
_XYZ_COLUMNS_SQL = ", ".join(f"sd_{u}.* EXCLUDE (customer_id)" for u in PERIODS)
_XYZ_JOINS_SQL = "\n            ".join(f"JOIN sd_{u} USING (customer_id)" for u in PERIODS)

# The customer's name: the name on its latest date with a name; on a tie the name
# with the most rows (in the whole dataset), then the first in text order, so the
# file's row order never decides. Only rows with a name are read.
_NAMES_SQL = """
            names AS (
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
            )"""

# Main region and manager (most rows, ties by name): one grouping by customer,
# region and manager, then the small regroupings per field.
_MODES_FROM_PAIRS_SQL = ",".join(
    f"""
            {field}_mode AS (
                SELECT customer_id, first({field} ORDER BY n DESC, {field}) AS {field}
                FROM (SELECT customer_id, {field}, sum(n) AS n FROM who
                      WHERE {field} IS NOT NULL GROUP BY ALL)
                GROUP BY customer_id
            )"""  # noqa: S608 - constant identifiers only
    for field in ("region", "manager")
)

# The median of the day gaps between a customer's consecutive distinct purchase
# dates (NULL with fewer than two dates): the same figure as GAPS_MEDIAN_SQL,
# from the day rows without first making them distinct (a date's second row, of
# another region or manager, has gap 0, and distinct dates never do).
_GAPS_SQL = """
            gaps AS (
                SELECT customer_id,
                       date_diff('day', lag(order_date) OVER (PARTITION BY customer_id
                                                             ORDER BY order_date),
                                 order_date) AS gap
                FROM src
            ),
            gaps_median AS (
                SELECT customer_id, median(gap)::DOUBLE AS median_gap FROM gaps
                WHERE gap > 0 GROUP BY customer_id
            )"""

# Every per-customer figure in one statement over the day rows (sales_daily), each
# big grouping once: customers (sums, dates, half-year sums), customer x
# region x manager, customer x period for each period unit, and
# one sort by customer and date for the gaps. ``src`` is not materialised: each
# grouping scans the table, which costs less than buffering its rows.
_CUSTOMER_FACTS_SQL = f"""INSERT INTO customer_facts BY NAME
            WITH src AS NOT MATERIALIZED (
                SELECT customer_id, order_date, region, manager, revenue, margin, quantity,
                       row_count
                FROM sales_daily WHERE dataset_id = $ds
            ),
            bounds AS (SELECT min(order_date) AS first_date, max(order_date) AS end_date
                       FROM src),
            who AS (SELECT customer_id, region, manager, sum(row_count) AS n
                    FROM src GROUP BY ALL),
            {_MODES_FROM_PAIRS_SQL},
            {_NAMES_SQL.strip()},
            {_GAPS_SQL.strip()},
            base0 AS (
                SELECT customer_id, min(order_date) AS first_purchase,
                       max(order_date) AS last_purchase, sum(revenue) AS revenue,
                       sum(margin) AS margin, sum(quantity) AS quantity,
                       sum(row_count) AS row_count,
                       {_HALF_YEAR_SUMS_SQL}
                FROM src, bounds GROUP BY customer_id
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
            LEFT JOIN chosen c USING (customer_id)
            LEFT JOIN region_mode rg USING (customer_id)
            LEFT JOIN manager_mode mg USING (customer_id)
            LEFT JOIN gaps_median gp USING (customer_id)
            {_XYZ_JOINS_SQL}"""  # noqa: S608 - constant identifiers only

# The customers table is the first columns of the facts just built.
_CUSTOMERS_SQL = """INSERT INTO customers
           SELECT dataset_id, customer_id, customer_name, first_purchase, last_purchase,
                  row_count
           FROM customer_facts WHERE dataset_id = $ds"""

_SALES_DAILY_SQL = """INSERT INTO sales_daily
           SELECT $ds, customer_id, order_date, region, manager,
                  sum(revenue), sum(margin), sum(quantity), count(*)
           FROM transactions WHERE dataset_id = $ds
           GROUP BY customer_id, order_date, region, manager"""


def aggregate_statements() -> list[tuple[str, str]]:
    """The statements that build a dataset's aggregates, in order: (target table,
    ``INSERT INTO`` statement in DuckDB SQL).

    ``sales_daily`` is the one grouping of the transactions (the dataset id is a
    bound constant, not a grouping key); ``sales_monthly`` and ``customer_facts``
    are built from it, and ``customers`` from the facts. Each statement is filtered
    by ``$ds`` (the dataset id). The DuckDB import runs them as they are
    (:func:`build_aggregates`); the Spark import (:mod:`kam_analysis.spark`)
    transpiles each SELECT to Spark SQL, so both engines run the same SQL.
    """
    return [("sales_daily", _SALES_DAILY_SQL), ("sales_monthly", BUILD_MONTHLY_SQL),
            ("customer_facts", _CUSTOMER_FACTS_SQL), ("customers", _CUSTOMERS_SQL)]


def aggregate_params(dataset_id: int) -> dict[str, object]:
    """The values bound to the statements of :func:`aggregate_statements`."""
    return {"ds": dataset_id}


def build_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the pre-aggregated tables of one dataset from its transactions
    (:func:`aggregate_statements`, in order)."""
    params = aggregate_params(dataset_id)
    for _table, sql in aggregate_statements():
        cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
