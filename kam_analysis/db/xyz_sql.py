"""The SQL of the XYZ figures: history length, per-period values, mean and population sd.

One builder, :func:`xyz_ctes` (with :func:`period_count_sql`), serves both
paths: the per-customer facts built at import (one set of CTEs per period unit
and all measures) and the on-the-fly customer statistics of any window (one
measure, the period unit bound as ``$unit``). Every argument is a constant SQL
fragment or identifier, never a value.
"""

from __future__ import annotations

# The per-period sums and their moments per customer (the ``mom`` part of
# xyz_ctes, also a step of its own at import); every placeholder is a constant.
_MOMENTS_SQL = """
    per_{tag} AS (
        SELECT customer_id, date_trunc({unit}, order_date)::DATE AS p, {sums}
        FROM {source} {condition} GROUP BY ALL
    ),
    mom_{tag} AS (
        SELECT customer_id, count(*) AS k, {moments}
        FROM per_{tag} GROUP BY customer_id
    )"""

# The figures over the history: the customer's row of ``history`` with its moments.
_SPREAD_SQL = """
    sd_{tag} AS (
        SELECT h.customer_id, h.{periods} AS periods{suffix}, coalesce(o.k, 0) AS active{suffix},
               {figures}
        FROM {history} h LEFT JOIN {moments_table} o USING (customer_id)
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
    return (moments_ctes(tag, source=source, unit=unit, measures=list(measures.values()),
                         names=list(measures), where=where) + ","
            + spread_cte(tag, moments=f"mom_{tag}", names=list(measures), history=history,
                         periods=periods, suffix=suffix))


def moments_ctes(tag: str, *, source: str, unit: str, measures: list[str],
                 names: list[str] | None = None, where: str = "") -> str:
    """CTEs ``per_{tag}`` (each customer's sum of every measure per period with rows)
    and ``mom_{tag}`` (per customer: ``k`` periods with rows and, per measure name,
    ``s_``/``a_``/``v_`` their sum, mean and population variance).

    ``source`` has ``customer_id``, ``order_date`` and the ``measures`` columns,
    summed into the columns ``names`` (default: the same); ``where`` is a constant
    condition on its rows. See :func:`xyz_ctes`.
    """
    names = names or measures
    condition = f"WHERE {where}" if where else ""
    sums = ", ".join(f"coalesce(sum({col}), 0) AS {name}"
                     for name, col in zip(names, measures, strict=True))
    moments = ", ".join(
        f"sum({name}) AS s_{name}, avg({name}) AS a_{name}, var_pop({name}) AS v_{name}"
        for name in names
    )
    return _MOMENTS_SQL.format(tag=tag, source=source, unit=unit, condition=condition,
                               sums=sums, moments=moments)


def spread_cte(tag: str, *, moments: str, names: list[str], history: str, periods: str,
               suffix: str = "") -> str:
    """CTE ``sd_{tag}``: per customer of ``history``, ``periods{suffix}``,
    ``active{suffix}`` and per name ``{name}_mean{suffix}`` and ``{name}_sd{suffix}``
    (the empty periods counted as zeros), from the table or CTE ``moments`` made by
    :func:`moments_ctes`. See :func:`xyz_ctes`.
    """
    figures = ",\n               ".join(
        f"coalesce(o.s_{name}, 0) / h.{periods} AS {name}_mean{suffix}, "
        + zero_padded_sd_sql(f"h.{periods}", "o.k", f"o.a_{name}", f"o.v_{name}")
        + f" AS {name}_sd{suffix}"
        for name in names
    )
    return _SPREAD_SQL.format(tag=tag, periods=periods, suffix=suffix, figures=figures,
                              history=history, moments_table=moments)
