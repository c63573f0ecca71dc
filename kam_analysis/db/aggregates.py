"""The pre-computed tables of one dataset, built from its transactions inside the
import's transaction: ``sales_monthly`` (customer x month x region x manager),
``customer_facts`` (every per-customer figure of the default view) and
``customers``.

The build is a list of steps (:func:`aggregate_statements`). Each big grouping is
a statement of its own whose result is one row per customer (a *scratch* table,
which lives only while the aggregates are built): run together in one statement,
their hash tables and the gap sort share the import's memory cap and spill, which
cost four times the time at 10 million rows of 100,000 customers. Nothing at the
grain of days is stored: the transactions are the day-by-day rows where a figure
needs them (:mod:`kam_analysis.db.sources`).
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

from kam_analysis.db.figures_sql import PREVIOUS_SUM_SQL, RECENT_SUM_SQL
from kam_analysis.db.monthly_sql import BUILD_MONTHLY_SQL
from kam_analysis.db.xyz_sql import moments_ctes, period_count_sql, spread_cte
from kam_analysis.vocabulary import MEASURES, PERIODS


class AggregateStep(NamedTuple):
    """One statement of the aggregate build.

    Attributes
    ----------
    table : str
        The table it fills (a constant name).
    sql : str
        DuckDB SQL filtered by ``$ds``: an ``INSERT INTO table`` for a stored
        table, a query for a scratch one.
    scratch : bool
        Whether ``table`` holds an intermediate result of the build only (a
        temporary table in DuckDB, a temporary view on Spark), never stored.
    """

    table: str
    sql: str
    scratch: bool = False


# The dataset's transactions (every imported row).
_ROWS_SQL = "(SELECT * FROM transactions WHERE dataset_id = $ds)"
# Its monthly rows, with the month's first day as order_date.
_MONTH_ROWS_SQL = """(SELECT customer_id, month AS order_date, revenue, margin, quantity
              FROM sales_monthly WHERE dataset_id = $ds)"""
_BOUNDS_SQL = """(SELECT min(first_date) AS first_date, max(last_date) AS end_date
           FROM sales_monthly WHERE dataset_id = $ds)"""

# The day gaps between each customer's consecutive rows in date order (a date's
# second row has gap 0, which distinct dates never have), then their median over
# the gaps > 0: the median gap between consecutive distinct purchase dates, the
# same figure as figures_sql.GAPS_MEDIAN_SQL without first making the dates
# distinct. Two steps: the sort's rows are written once and read once, instead of
# the sort and the median's state holding memory at the same time.
_GAP_ROWS_SQL = """SELECT customer_id,
           date_diff('day', lag(order_date) OVER (PARTITION BY customer_id
                                                 ORDER BY order_date), order_date) AS gap
    FROM """ + _ROWS_SQL + " t"  # noqa: S608 - constant identifiers only
_GAPS_SQL = """SELECT customer_id, median(gap)::DOUBLE AS median_gap FROM kam_agg_gap_rows
    WHERE gap > 0 GROUP BY customer_id"""

# Each measure in the last 6 months and the 6 months before the last date (rows
# older than 12 months are skipped before grouping).
_HALF_YEARS_SQL = "SELECT customer_id, " + ",\n           ".join(  # noqa: S608
    f"{RECENT_SUM_SQL.format(col=m)} AS {m}_last_6m, "
    f"{PREVIOUS_SUM_SQL.format(col=m)} AS {m}_prev_6m"
    for m in MEASURES
) + f"""
    FROM {_ROWS_SQL} t, {_BOUNDS_SQL} b
    WHERE order_date > end_date - INTERVAL 12 MONTH
    GROUP BY customer_id"""
_HALF_YEAR_COLUMNS_SQL = ", ".join(
    f"coalesce(hy.{m}_{h}, 0) AS {m}_{h}" for m in MEASURES for h in ("last_6m", "prev_6m"))


# Per period unit, each customer's moments of each measure per period (weeks from
# the transactions, months and quarters from the monthly rows).
_MOMENTS_SQL = {
    u: "WITH {ctes}\n    SELECT * FROM mom_{u}".format(  # noqa: S608 - constants only
        u=u, ctes=moments_ctes(u, source=f"{_ROWS_SQL if u == 'week' else _MONTH_ROWS_SQL} t",
                               unit=f"'{u}'", measures=list(MEASURES)).strip())
    for u in PERIODS
}


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

# Main region and manager (most rows, ties by name), from the monthly rows per
# customer, region and manager; and whether there is only one such pair (a missing
# region or manager counts as a value of its own).
_MODES_SQL = """
            who AS (SELECT customer_id, region, manager, sum(row_count) AS n
                    FROM sales_monthly WHERE dataset_id = $ds GROUP BY ALL),""" + ",".join(  # noqa: S608
    f"""
            {field}_mode AS (
                SELECT customer_id, first({field} ORDER BY n DESC, {field}) AS {field}
                FROM (SELECT customer_id, {field}, sum(n) AS n FROM who
                      WHERE {field} IS NOT NULL GROUP BY ALL)
                GROUP BY customer_id
            )"""  # noqa: S608 - constant identifiers only
    for field in ("region", "manager")
) + """,
            pairs AS (SELECT customer_id, count(*) = 1 AS one_region_manager
                      FROM who GROUP BY customer_id)"""

# Per period unit, the history length from the customer's first purchase (or
# the dataset's first date) to the dataset's last date, zero periods included.
_HISTORY_LENGTHS_SQL = ",\n                  ".join(
    period_count_sql(f"'{u}'", f"greatest(date_trunc('{u}', first_date), "
                     f"date_trunc('{u}', first_purchase))", f"date_trunc('{u}', end_date)")
    + f" AS n_{u}"
    for u in PERIODS
)
_SPREADS_SQL = ",".join(
    spread_cte(u, moments=f"kam_agg_moments_{u}", names=list(MEASURES), history="base",
               periods=f"n_{u}", suffix=f"_{u}")
    for u in PERIODS
)
_SPREAD_COLUMNS_SQL = ", ".join(f"sd_{u}.* EXCLUDE (customer_id)" for u in PERIODS)
_SPREAD_JOINS_SQL = "\n            ".join(f"JOIN sd_{u} USING (customer_id)" for u in PERIODS)

# Every per-customer figure: sums, dates and modes from the monthly rows, joined
# with the scratch tables' one row per customer.
_CUSTOMER_FACTS_SQL = f"""INSERT INTO customer_facts BY NAME
            WITH bounds AS {_BOUNDS_SQL},
            {_MODES_SQL.strip()},
            {_NAMES_SQL.strip()},
            base0 AS (
                SELECT customer_id, min(first_date) AS first_purchase,
                       max(last_date) AS last_purchase, sum(revenue) AS revenue,
                       sum(margin) AS margin, sum(quantity) AS quantity,
                       sum(row_count) AS row_count
                FROM sales_monthly WHERE dataset_id = $ds GROUP BY customer_id
            ),
            base AS (
                SELECT base0.*,
                  {_HISTORY_LENGTHS_SQL}
                FROM base0, bounds
            ),
            {_SPREADS_SQL.strip()}
            SELECT $ds AS dataset_id, b.customer_id, c.customer_name, rg.region, mg.manager,
                   b.first_purchase, b.last_purchase, gp.median_gap, b.revenue, b.margin,
                   b.quantity, b.row_count, pr.one_region_manager,
                   row_number() OVER (ORDER BY b.customer_id) AS id_order,
                   {_HALF_YEAR_COLUMNS_SQL},
                   {_SPREAD_COLUMNS_SQL}
            FROM base b
            LEFT JOIN chosen c USING (customer_id)
            LEFT JOIN region_mode rg USING (customer_id)
            LEFT JOIN manager_mode mg USING (customer_id)
            LEFT JOIN pairs pr USING (customer_id)
            LEFT JOIN kam_agg_gaps gp USING (customer_id)
            LEFT JOIN kam_agg_half_years hy USING (customer_id)
            {_SPREAD_JOINS_SQL}"""  # noqa: S608 - constant identifiers only

# The customers table is the first columns of the facts just built.
_CUSTOMERS_SQL = """INSERT INTO customers
           SELECT dataset_id, customer_id, customer_name, first_purchase, last_purchase,
                  row_count
           FROM customer_facts WHERE dataset_id = $ds"""


def aggregate_statements() -> list[AggregateStep]:
    """The steps that build a dataset's aggregates, in order.

    ``sales_monthly`` is the one grouping of the transactions by customer and
    month; the scratch steps each reduce the transactions or the monthly rows
    to one row per customer (median purchase gap, the sums of the last two half
    years, the moments per week, month and quarter); ``customer_facts`` joins
    them with the sums, dates and modes of the monthly rows, and ``customers``
    is copied from the facts. Each statement is filtered by ``$ds`` (the dataset
    id). The DuckDB import runs them as they are (:func:`build_aggregates`); the
    Spark import (:mod:`kam_analysis.spark`) transpiles each to Spark SQL, so
    both engines run the same SQL.
    """
    return [
        AggregateStep("sales_monthly", BUILD_MONTHLY_SQL),
        AggregateStep("kam_agg_gap_rows", _GAP_ROWS_SQL, scratch=True),
        AggregateStep("kam_agg_gaps", _GAPS_SQL, scratch=True),
        AggregateStep("kam_agg_half_years", _HALF_YEARS_SQL, scratch=True),
        *(AggregateStep(f"kam_agg_moments_{u}", _MOMENTS_SQL[u], scratch=True)
          for u in PERIODS),
        AggregateStep("customer_facts", _CUSTOMER_FACTS_SQL),
        AggregateStep("customers", _CUSTOMERS_SQL),
    ]


def stored_tables() -> list[str]:
    """The tables the aggregate build stores (its steps that are not scratch)."""
    return [step.table for step in aggregate_statements() if not step.scratch]


def aggregate_params(dataset_id: int) -> dict[str, object]:
    """The values bound to the statements of :func:`aggregate_statements`."""
    return {"ds": dataset_id}


def build_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the pre-aggregated tables of one dataset from its transactions
    (:func:`aggregate_statements`, in order), inside the caller's transaction.

    A scratch step's result is a temporary table, dropped as soon as no later
    step reads it. No step depends on row order, so DuckDB may write the rows in
    any order meanwhile (an instance-wide setting, restored afterwards): 0.5 s of
    the 4 s of the monthly table at 10 million rows.
    """
    [(order,)] = cur.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    cur.execute("SET preserve_insertion_order = false")
    try:
        _run_steps(cur, dataset_id)
    finally:
        cur.execute("SET preserve_insertion_order = ?", [bool(order)])


def _run_steps(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    params = aggregate_params(dataset_id)
    steps = aggregate_statements()
    live: list[str] = []
    for i, step in enumerate(steps):
        bound = {k: v for k, v in params.items() if f"${k}" in step.sql}
        if step.scratch:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {step.table} AS {step.sql}", bound)
            live.append(step.table)
        else:
            cur.execute(step.sql, bound)
        for table in [t for t in live if not any(t in s.sql for s in steps[i + 1:])]:
            cur.execute(f"DROP TABLE {table}")
            live.remove(table)
