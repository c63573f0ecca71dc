"""ABC classes: the class rule (fixed limits on cum_before, or computed limits by rank),
written once and used by the full ranking, the one-customer shortcut and the sensitivity."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kam_analysis.analysis.abc_computed import ComputedLimits, computed_limits
from kam_analysis.analysis.params import EPS, ROUND, AnalysisParams
from kam_analysis.analysis.ranking import rank, rank_frame
from kam_analysis.analysis.results import Analysis

#: ABC classes with the limits used and, for computed limits, their (effort, yield) points.
AbcResult = tuple[np.ndarray, tuple[float, float], dict[str, dict[str, float]] | None]


def fixed_classes(cum_before: np.ndarray, positive: np.ndarray, a: float, b: float
                  ) -> np.ndarray:
    """The fixed-limit rule: A if cum_before < a, B if < b, else C; non-positive are C."""
    cb = np.nan_to_num(cum_before, nan=1.0)
    cls = np.where(cb < a - EPS, "A", np.where(cb < b - EPS, "B", "C"))
    return np.where(positive, cls, "C").astype(object)


def computed_classes(ranks: np.ndarray, limits: ComputedLimits) -> np.ndarray:
    """The computed-limit rule: A up to rank a_count, B up to ab_count, else C."""
    ranks = np.asarray(ranks)
    return np.where(ranks <= limits.a_count, "A",
                    np.where(ranks <= limits.ab_count, "B", "C")).astype(object)


def _computed(params: AnalysisParams, n_positive: int) -> bool:
    """Whether computed limits apply (they need at least 3 customers in P)."""
    return params.abc_method == "computed" and n_positive >= 3


def resolve_abc(values: np.ndarray, positive: np.ndarray, cum_before: np.ndarray,
                cum_share: np.ndarray, params: AnalysisParams) -> AbcResult:
    """ABC classes of customers in rank order, the limits used, computed-limit points."""
    a, b = (float(x) for x in params.abc_limits)
    if _computed(params, int(positive.sum())):
        lim = computed_limits(values[positive])
        a = float(cum_share[lim.a_count - 1])
        b = float(cum_share[lim.ab_count - 1])
        computed = {
            "A": {"effort": lim.a_effort, "yield": lim.a_yield},
            "C": {"effort": lim.c_effort, "yield": lim.c_yield},
        }
        return computed_classes(np.arange(1, len(values) + 1), lim), (a, b), computed
    return fixed_classes(cum_before, positive, a, b), (a, b), None


def class_per_customer(values: np.ndarray, id_order: np.ndarray,
                       params: AnalysisParams) -> np.ndarray:
    """Each customer's ABC class, in the order given (``values`` and ``id_order`` as
    for :func:`~kam_analysis.analysis.ranking.rank`): the classes of
    :func:`classes_for` without building the ranked frame."""
    r = rank(values, id_order)
    classes, _, _ = resolve_abc(r.values, r.positive, r.cum_before, r.cum_share, params)
    out = np.empty(len(r.order), dtype=object)
    out[r.order] = classes
    return out


def classes_for(values: pd.DataFrame, params: AnalysisParams, value_col: str) -> pd.DataFrame:
    """Rank ``values`` (customer_id, ``value_col``) and add their ABC class as ``abc``."""
    ranked = rank_frame(values, value_col)
    amounts = ranked[value_col].to_numpy(dtype=float)
    classes, _, _ = resolve_abc(amounts, amounts > 0,
                                ranked["cum_before"].to_numpy(dtype=float),
                                ranked["cumulative_share"].to_numpy(dtype=float), params)
    ranked["abc"] = classes
    return ranked


def class_of(values: np.ndarray, ids: Any, i: int,
             params: AnalysisParams) -> tuple[str, float, int | None]:
    """ABC class, share and rank of customer ``i`` among ``values`` without a full sort."""
    positive = values > 0
    total = float(values[positive].sum())
    v = float(values[i])
    share = v / total if total > 0 else 0.0
    if v <= 0:
        return "C", share, None
    cid = str(ids[i])
    tied_before = np.flatnonzero(positive & (values == v))
    tied_before = [k for k in tied_before if str(ids[k]) < cid]
    above = positive & (values > v)
    rank = int(above.sum()) + len(tied_before) + 1
    if _computed(params, int(positive.sum())):
        abc = computed_classes(np.array([rank]), computed_limits(values[positive]))[0]
        return str(abc), share, rank
    cum_before = round((float(values[above].sum()) + v * len(tied_before)) / total, ROUND)
    a, b = (float(x) for x in params.abc_limits)
    abc = fixed_classes(np.array([cum_before]), np.array([True]), a, b)[0]
    return str(abc), share, rank


def abc_sensitivity(analysis: Analysis, delta: float = 0.05) -> pd.DataFrame:
    """Customers whose ABC class changes if the A limit moves down or up by ``delta``.

    The B limit stays; a moved A limit is clipped to [0, 1].

    Parameters
    ----------
    analysis : Analysis
        A result of :func:`kam_analysis.analysis.analyze`.
    delta : float
        How far the A limit moves each way, between 0 and 1.

    Returns
    -------
    DataFrame
        customer_id, customer_name, abc, abc_if_lower, abc_if_higher, share,
        cumulative_share.

    Raises
    ------
    ValueError
        If ``delta`` is not between 0 and 1.
    """
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise ValueError(f"delta must be between 0 and 1, got {delta!r}.")
    df = analysis.customers
    a, b = analysis.abc_limits
    positive = df["rank"].notna().to_numpy()
    cb = df["cum_before"].to_numpy(dtype=float)
    lower = fixed_classes(cb, positive, max(0.0, a - delta), b)
    higher = fixed_classes(cb, positive, min(1.0, a + delta), max(b, min(1.0, a + delta)))
    out = df[["customer_id", "customer_name", "abc"]].copy()
    out["abc_if_lower"] = lower
    out["abc_if_higher"] = higher
    out["share"] = df["share"]
    out["cumulative_share"] = df["cumulative_share"]
    changed = (out["abc_if_lower"] != out["abc"]) | (out["abc_if_higher"] != out["abc"])
    return out[changed.to_numpy()].reset_index(drop=True)


def sensitivity_summary(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """Summarise :func:`abc_sensitivity` per move of the A limit.

    On a large customer base the customers who change class are many small ones near
    the limits, so a list of them shows the same tiny share and nearly the same
    cumulative share on every row; this says how many move and how much value moves.

    Parameters
    ----------
    sensitivity : DataFrame
        A result of :func:`abc_sensitivity`.

    Returns
    -------
    DataFrame
        One row per move that happens (``lower`` then ``higher``): move, from_class,
        to_class, customers, share (of the total value), cumulative_from and
        cumulative_to (the cumulative shares of the first and last customer moving).
    """
    rows = []
    for move, col in (("lower", "abc_if_lower"), ("higher", "abc_if_higher")):
        moved = sensitivity[sensitivity[col] != sensitivity["abc"]]
        for (old, new), part in moved.groupby(["abc", col], sort=True):
            rows.append({"move": move, "from_class": old, "to_class": new,
                         "customers": len(part), "share": float(part["share"].sum()),
                         "cumulative_from": float(part["cumulative_share"].min()),
                         "cumulative_to": float(part["cumulative_share"].max())})
    return pd.DataFrame(rows, columns=["move", "from_class", "to_class", "customers", "share",
                                       "cumulative_from", "cumulative_to"])
