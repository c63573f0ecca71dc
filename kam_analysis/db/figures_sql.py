"""SQL fragments of the per-customer figures shared by the stored facts
(:mod:`kam_analysis.db.aggregates`) and the on-the-fly queries
(:mod:`kam_analysis.db.queries`): main region and manager, purchase gaps, and
the sums of the last 6 months and the 6 months before. Constants only.
"""

from __future__ import annotations

# Main region / manager (most rows, ties by name) in [$start, $end]: CTEs
# region_mode and manager_mode, from one scan of a CTE ``win`` (the rows of the
# window and maybe more): the rows per region and manager pair first, then per
# customer the smallest (-rows, name), in one pass (first(... ORDER BY ...) sorted
# each customer's values: 0.1 s at 100,000 customers).
_MODE_FROM_PAIRS_SQL = """
    {field}_mode AS (
        SELECT customer_id, arg_min({field}, (-n, {field})) AS {field}
        FROM (SELECT customer_id, {field}, sum(n) AS n FROM pair_rows
              WHERE {field} IS NOT NULL GROUP BY ALL)
        GROUP BY customer_id
    )"""
MODES_ONE_SCAN_SQL = """
    pair_rows AS (
        SELECT customer_id, region, manager, sum(row_count) AS n FROM win
        WHERE order_date BETWEEN $start AND $end GROUP BY ALL
    ),""" + ",".join(  # noqa: S608 - constant SQL fragments only
    _MODE_FROM_PAIRS_SQL.format(field=f) for f in ("region", "manager"))

# Median days between consecutive purchase dates, from a CTE ``purchase_dates``
# with one row per customer and purchase date.
GAPS_MEDIAN_SQL = """
    gaps AS (
        SELECT customer_id,
               date_diff('day', lag(order_date) OVER (PARTITION BY customer_id
                                                     ORDER BY order_date), order_date) AS gap
        FROM purchase_dates
    ),
    gaps_median AS (
        SELECT customer_id, median(gap)::DOUBLE AS median_gap FROM gaps
        WHERE gap IS NOT NULL GROUP BY customer_id
    )"""

# The same from the purchase dates up to $end (needs ``daily_src``: day-by-day rows).
GAPS_SQL = """
    purchase_dates AS (
        SELECT DISTINCT customer_id, order_date FROM daily_src WHERE order_date <= $end
    ),""" + GAPS_MEDIAN_SQL  # noqa: S608 - constant SQL fragments only

# The median gaps stored at import (valid with no filters and $end = last date).
GAPS_FROM_FACTS_SQL = """
    gaps_median AS (
        SELECT customer_id, median_gap FROM customer_facts WHERE dataset_id = $ds
    )"""

# Sum of a measure in the 6 months up to end_date, and in the 6 months before.
RECENT_SUM_SQL = (
    "coalesce(sum({col}) FILTER (WHERE order_date > end_date - INTERVAL 6 MONTH "
    "AND order_date <= end_date), 0)"
)
PREVIOUS_SUM_SQL = (
    "coalesce(sum({col}) FILTER (WHERE order_date > end_date - INTERVAL 12 MONTH "
    "AND order_date <= end_date - INTERVAL 6 MONTH), 0)"
)
