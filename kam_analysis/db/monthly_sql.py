"""The per-customer-per-month table ``sales_monthly`` (schema version 5): its build
from the transactions as one plain SQL statement, and the source rows of a window
that read it.

One row per dataset, customer, calendar month, region and manager: the sums of
each measure and of the row counts, and the first and last purchase date of the
group in that month. Any figure made of sums over date ranges whose bounds fall on month boundaries
(values, row counts, main region and manager, the XYZ figures per month and
quarter, first and last purchase) is exact from it; the months a bound cuts
through are read from the transactions instead (:data:`SRC_MIXED_SQL`), so every
window stays exact. Distinct purchase days (median gap, churn) and weeks still
need the transactions.
"""

from __future__ import annotations

# The grouped sums of the transactions per customer and month; {ds} is the dataset
# id column or the bound $ds, {where} the rows' condition, {rows} the rows each
# transaction stands for (constants). Not sorted: sorting by month would let a
# window's scan skip row groups, but the scan of a few million rows costs less
# than the sort at import.
_MONTHLY_SELECT_SQL = """SELECT {ds} AS dataset_id, customer_id,
           date_trunc('month', order_date)::DATE AS month, region, manager,
           min(order_date) AS first_date, max(order_date) AS last_date,
           sum(revenue) AS revenue, sum(margin) AS margin, sum(quantity) AS quantity,
           {rows} AS row_count
    FROM {table} WHERE {where}
    GROUP BY {keys}customer_id, month, region, manager"""

#: Build the monthly rows of the dataset $ds (at import, from its transactions).
BUILD_MONTHLY_SQL = "INSERT INTO sales_monthly BY NAME " + _MONTHLY_SELECT_SQL.format(
    ds="$ds", where="dataset_id = $ds", keys="", rows="count(*)", table="transactions")

#: Build the monthly rows of every dataset that has none (the version-5
#: migration, from the customer-by-day table of that version).
MIGRATE_MONTHLY_SQL = "INSERT INTO sales_monthly BY NAME " + _MONTHLY_SELECT_SQL.format(  # noqa: S608
    ds="dataset_id", keys="dataset_id, ", rows="sum(row_count)", table="sales_daily",
    where="dataset_id NOT IN (SELECT DISTINCT dataset_id FROM sales_monthly)")

#: The table (created by the version-5 migration).
CREATE_MONTHLY_SQL = """CREATE TABLE IF NOT EXISTS sales_monthly (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            month DATE NOT NULL,
            region VARCHAR,
            manager VARCHAR,
            first_date DATE NOT NULL,
            last_date DATE NOT NULL,
            revenue DOUBLE NOT NULL,
            margin DOUBLE,
            quantity DOUBLE,
            row_count BIGINT NOT NULL
        )"""

#: The source rows one transaction stands for: 1, or for the summed rows of a
#: dataset built on Spark (:mod:`kam_analysis.db.landing`) their count.
DAY_ROWS_SQL = "coalesce(row_count, 1)"

#: Region and manager filters (bound lists; empty = all), on either pre-aggregated table.
REGION_MANAGER_SQL = """
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], region))
      AND (len($managers::VARCHAR[]) = 0 OR list_contains($managers::VARCHAR[], manager))"""

# The whole months: one row per group, order_date its first purchase in the month.
_SRC_MONTHS_SQL = """SELECT customer_id, first_date AS order_date, last_date, region, manager,
              revenue, margin, quantity, row_count
       FROM sales_monthly WHERE dataset_id = $ds"""
_NOT_SPLIT_SQL = """
         AND NOT list_contains($split::DATE[], month)"""

# The months cut by a bound ($split), day by day from the transactions.
_SRC_SPLIT_DAYS_SQL = """
       UNION ALL
       SELECT customer_id, order_date, order_date AS last_date, region, manager,
              revenue, margin, quantity, """ + DAY_ROWS_SQL + """ AS row_count
       FROM transactions WHERE dataset_id = $ds
         AND order_date BETWEEN list_min($split::DATE[])
                            AND last_day(list_max($split::DATE[]))
         AND list_contains($split::DATE[], date_trunc('month', order_date)::DATE)""" + (  # noqa: S608
    REGION_MANAGER_SQL)

#: Source rows of whole months from sales_monthly, of the months in $split from
#: the transactions; columns as the daily source (order_date = the first purchase of
#: the row's group, last_date its last), region and manager filters applied.
SRC_MONTHS_ONLY_SQL = _SRC_MONTHS_SQL + REGION_MANAGER_SQL
SRC_MIXED_SQL = _SRC_MONTHS_SQL + _NOT_SPLIT_SQL + REGION_MANAGER_SQL + _SRC_SPLIT_DAYS_SQL
