"""The SQL of the per-customer figures of an analysis window
(:func:`kam_analysis.db.queries.analysis_customer_stats`): the on-the-fly query of
any window and filters, and the read of the stored facts of the default view.

Placeholders as in :mod:`kam_analysis.db.queries`: {src} the filtered source rows
(whole months from ``sales_monthly`` where the figures allow it), {daily} the
day-by-day rows, {col} the validated measure column. Constants only.
"""

from __future__ import annotations

from kam_analysis.db.figures_sql import GAPS_FROM_FACTS_SQL, GAPS_SQL, MODES_ONE_SCAN_SQL
from kam_analysis.db.xyz_sql import period_count_sql, xyz_ctes

# Per-customer facts of the window $start..$end, the history length of each
# customer (from $start or the first purchase to $end, zero periods included),
# and the XYZ mean and sd of {col} per $unit period of the window.
_CUSTOMER_STATS_BODY_SQL = """
    facts_raw AS (
        SELECT customer_id,
               max(last_date) AS last_purchase,
               sum({col}) FILTER (WHERE order_date >= $start) AS value,
               sum(revenue) FILTER (WHERE order_date >= $start) AS revenue,
               sum(margin) FILTER (WHERE order_date >= $start) AS margin,
               sum(row_count) FILTER (WHERE order_date >= $start) AS rows,
               coalesce(sum({col}) FILTER (WHERE order_date > $end_6m), 0) AS value_last_6m,
               coalesce(sum({col}) FILTER (WHERE order_date > $end_12m
                                           AND order_date <= $end_6m), 0) AS value_prev_6m
        FROM win
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE order_date >= $start) > 0
    ),
    facts AS (
        SELECT f.*, fp.first_purchase, fp.customer_name, <MODES>,
               <GAP> AS median_gap
        FROM facts_raw f
        JOIN firsts fp USING (customer_id)
        LEFT JOIN region_mode rg USING (customer_id)
        LEFT JOIN manager_mode mg USING (customer_id)<GAPS_JOIN>
    ),
    hist AS (
        SELECT f.*,
               greatest(date_trunc($unit, $start::DATE),
                        date_trunc($unit, f.first_purchase))::DATE AS hist_start,
               date_trunc($unit, $end::DATE)::DATE AS last_period
        FROM facts f
    ),
    hist_periods AS (
        SELECT hist.*,
               """ + period_count_sql("$unit", "hist_start", "last_period") + """ AS periods
        FROM hist
    ),""" + xyz_ctes(  # noqa: S608 - constant SQL fragments only
    "window", source="win", unit="$unit", measures={"value": "{col}"},
    history="hist_periods", periods="periods", where="order_date BETWEEN $start AND $end",
) + """
    SELECT h.customer_id, h.customer_name, h.region, h.manager,
           coalesce(h.value, 0) AS value, coalesce(h.revenue, 0) AS revenue,
           coalesce(h.margin, 0) AS margin, h.rows,
           h.first_purchase, h.last_purchase, h.periods,
           m.active AS active_periods, m.value_mean AS mean, m.value_sd AS sd,
           h.median_gap, h.value_last_6m, h.value_prev_6m
    FROM hist_periods h
    JOIN sd_window m USING (customer_id)"""

# The rows of the window and of the 12 months before its end ($from: the earlier
# start). The condition sits inside the CTE's own subquery, so that DuckDB takes it
# to the table scan (skipping the row groups of other months).
_WINDOW_ROWS_SQL = """
    win AS (SELECT * FROM ({src}) WHERE order_date BETWEEN $from AND $end)"""

# Each customer's first purchase (in the whole dataset, within the filters) and name:
# from the filtered rows and the customers table, or without filters from the
# customers table alone.
_FIRSTS_SQL: dict[bool, str] = {
    True: """
    firsts AS (
        SELECT f.customer_id, f.first_purchase, c.customer_name
        FROM (SELECT customer_id, min(order_date) AS first_purchase FROM src
              GROUP BY customer_id) f
        LEFT JOIN customers c ON c.dataset_id = $ds AND c.customer_id = f.customer_id
    ),""",
    False: """
    firsts AS (
        SELECT customer_id, first_purchase, customer_name FROM customers WHERE dataset_id = $ds
    ),""",
}
# Without filters and with the stored median gaps, customer_facts holds all three
# (one join of 100,000 customers instead of three: 0.07 s at 10 million rows), and
# the main region and manager of every customer who only ever had one of each
# (``one_region_manager``): the modes of any window. Only the other customers' rows
# are counted for the modes (``mixed``): 0.1-0.15 s less at 100,000 customers.
_FIRSTS_AND_GAPS_SQL = """
    firsts AS (
        SELECT customer_id, first_purchase, customer_name, median_gap, region, manager,
               coalesce(one_region_manager, false) AS one_region_manager
        FROM customer_facts WHERE dataset_id = $ds
    ),
    mixed AS (SELECT customer_id FROM firsts WHERE NOT one_region_manager),"""
_MODES_OF_MIXED_SQL = MODES_ONE_SCAN_SQL.replace(
    "FROM win\n", "FROM win SEMI JOIN mixed USING (customer_id)\n", 1)
assert _MODES_OF_MIXED_SQL != MODES_ONE_SCAN_SQL
_MODES: dict[bool, str] = {  # by whether the facts' modes stand in for one pair
    False: "rg.region, mg.manager",
    True: ", ".join(f"CASE WHEN fp.one_region_manager THEN fp.{field} "
                    f"ELSE {alias}.{field} END AS {field}"
                    for field, alias in (("region", "rg"), ("manager", "mg"))),
}


def _customer_stats_sql(stored: bool, filtered: bool) -> str:
    """The query for the median gaps stored or computed, with or without filters."""
    head = "WITH src AS ({src}), daily_src AS ({daily}), " + _WINDOW_ROWS_SQL + ", "
    if stored and not filtered:
        return head + _FIRSTS_AND_GAPS_SQL + _MODES_OF_MIXED_SQL + ", " + (
            _CUSTOMER_STATS_BODY_SQL.replace("<GAP>", "fp.median_gap").replace(
                "<GAPS_JOIN>", "").replace("<MODES>", _MODES[True]))
    gaps = GAPS_FROM_FACTS_SQL if stored else GAPS_SQL
    return head + MODES_ONE_SCAN_SQL + ", " + gaps + ", " + _FIRSTS_SQL[filtered] + (
        _CUSTOMER_STATS_BODY_SQL.replace("<GAP>", "gp.median_gap").replace(
            "<GAPS_JOIN>", "\n        LEFT JOIN gaps_median gp USING (customer_id)").replace(
            "<MODES>", _MODES[False]))


# By (precomputed_gaps, filtered): the median gaps from the rows or from
# customer_facts, the first purchases from the rows or from customers.
CUSTOMER_STATS_SQL: dict[tuple[bool, bool], str] = {
    (stored, filtered): _customer_stats_sql(stored, filtered)
    for stored in (False, True) for filtered in (False, True)
}

# Default window (the whole dataset), no filters: read customer_facts. {col}
# is a measure column and {unit} a period unit, both validated constants.
CUSTOMER_STATS_FAST_SQL = """
    SELECT customer_id, customer_name, region, manager, coalesce({col}, 0) AS value,
           coalesce(revenue, 0) AS revenue, coalesce(margin, 0) AS margin,
           row_count AS rows, id_order, first_purchase, last_purchase,
           periods_{unit} AS periods,
           active_{unit} AS active_periods, {col}_mean_{unit} AS mean, {col}_sd_{unit} AS sd,
           median_gap, {col}_last_6m AS value_last_6m, {col}_prev_6m AS value_prev_6m
    FROM customer_facts WHERE dataset_id = $ds"""
