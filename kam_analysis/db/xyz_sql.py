"""The SQL of the XYZ figures: history length, per-period values, mean and population sd.

One builder, :func:`xyz_ctes` (with :func:`period_count_sql`), serves both
paths: the per-customer facts built at import (one set of CTEs per period unit
and all measures) and the on-the-fly customer statistics of any window (one
measure, the period unit bound as ``$unit``). Every argument is a constant SQL
fragment or identifier, never a value.
"""

from __future__ import annotations

# The three CTEs of xyz_ctes; every placeholder is a constant fragment.
_XYZ_SQL = """
    per_{tag} AS (
        SELECT customer_id, date_trunc({unit}, order_date)::DATE AS p, {sums}
        FROM {source} {condition} GROUP BY ALL
    ),
    mom_{tag} AS (
        SELECT customer_id, count(*) AS k, {moments}
        FROM per_{tag} GROUP BY customer_id
    ),
    sd_{tag} AS (
        SELECT h.customer_id, h.{periods} AS periods{suffix}, coalesce(o.k, 0) AS active{suffix},
               {figures}
        FROM {history} h LEFT JOIN mom_{tag} o USING (customer_id)
    )"""


def zero_padded_sd_sql(n: str, k: str, mean: str, var: str) -> str:
    """SQL for the population sd over ``n`` periods, ``k`` of them with values.

    ``mean`` and ``var`` are the mean and population variance of the ``k``
    values; the other ``n - k`` periods are zero. The two groups are combined
    with Chan et al.'s pairwise formula (sum of squares = k * var +
    k * (n - k) / n * mean^2), which is as stable as the two-pass one but needs
    one aggregation instead of a second join over the periods. The arguments
    are column names (constants).
    """
    return (f"sqrt(greatest((coalesce({k} * {var}, 0) "
            f"+ coalesce({k} * ({n} - {k}) * {mean} ^ 2 / {n}, 0)) / {n}, 0))")


def period_count_sql(unit: str, first: str, last: str) -> str:
    """SQL for the number of ``unit`` periods from period ``first`` to period ``last``.

    Both ends are included; ``first`` and ``last`` are period starts (SQL of
    constant columns), ``unit`` a quoted constant (``'month'``) or ``$unit``.
    This is a customer's history length: zero periods count.
    """
    return (f"(CASE {unit} WHEN 'week' THEN date_diff('day', {first}, {last}) // 7 "
            f"WHEN 'month' THEN date_diff('month', {first}, {last}) "
            f"ELSE date_diff('quarter', {first}, {last}) END) + 1")


def xyz_ctes(
    tag: str,
    *,
    source: str,
    unit: str,
    measures: dict[str, str],
    history: str,
    periods: str,
    where: str = "",
    suffix: str = "",
) -> str:
    """CTEs ``per_{tag}``, ``mom_{tag}`` and ``sd_{tag}`` of the XYZ figures.

    Parameters
    ----------
    tag : str
        Suffix of the three CTE names.
    source : str
        CTE with ``customer_id``, ``order_date`` and the measure columns.
    unit : str
        SQL of the period unit: a quoted constant (``'month'``) or ``$unit``.
    measures : dict
        Output name -> measure column of ``source`` (constants).
    history : str
        CTE with one row per customer and its history length.
    periods : str
        Column of ``history`` with the number of periods (zero periods included).
    where : str, optional
        Condition on ``source`` rows (constant SQL), e.g. the window.
    suffix : str, optional
        Suffix of the output columns.

    Returns
    -------
    str
        ``sd_{tag}`` has ``customer_id``, ``periods{suffix}``, ``active{suffix}``
        and per measure ``{name}_mean{suffix}`` and ``{name}_sd{suffix}``.
    """
    condition = f"WHERE {where}" if where else ""
    sums = ", ".join(f"coalesce(sum({col}), 0) AS {name}" for name, col in measures.items())
    moments = ", ".join(
        f"sum({name}) AS s_{name}, avg({name}) AS a_{name}, var_pop({name}) AS v_{name}"
        for name in measures
    )
    figures = ",\n               ".join(
        f"coalesce(o.s_{name}, 0) / h.{periods} AS {name}_mean{suffix}, "
        + zero_padded_sd_sql(f"h.{periods}", "o.k", f"o.a_{name}", f"o.v_{name}")
        + f" AS {name}_sd{suffix}"
        for name in measures
    )
    return _XYZ_SQL.format(tag=tag, source=source, unit=unit, periods=periods, history=history,
                           suffix=suffix, condition=condition, sums=sums, moments=moments,
                           figures=figures)
