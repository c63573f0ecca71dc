"""Computed ABC limits of Ultsch & Lötsch (2015), without SciPy.

Ultsch A., Lötsch J. (2015) "Computed ABC Analysis for Rational Selection of
Most Informative Variables in Multivariate Data", PLoS ONE 10(6): e0129767.
The method is the one of R's ``ABCanalysis`` and PyPI's ``abc-analysis``:

1. the ABC curve: effort x = fraction of items (largest first), yield y =
   their fraction of the total, sampled on a grid of 101 points (fewer than
   101 items) or 1001 points;
2. the Pareto point: the curve point nearest to (0, 1);
3. the break-even point: where the curve's slope dy/dx crosses 1 (the grid
   point nearest to it; on integer data at the edge of a run of equal values);
4. the A/B limit is the one of the two with the smaller effort, the other is
   point B (the two are swapped if needed);
5. the B/C limit: the curve point nearest to (x_B, 1).

The packages interpolate the curve with a cubic spline; here the curve is the
exact polyline through the items (their slope is n * value / total), which
needs no SciPy and agrees with the packages on all but about one item at each
limit (see tests/test_analysis_abc_computed.py). Used by :mod:`kam_analysis.analysis.abc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ComputedLimits:
    """Result of :func:`computed_limits`.

    Attributes
    ----------
    a_count, ab_count : int
        Number of items in class A, and in classes A and B together (items
        sorted by value descending).
    a_effort, a_yield : float
        The A/B limit as fraction of items and fraction of the total.
    c_effort, c_yield : float
        The B/C limit likewise.
    exchanged : bool
        Whether the Pareto and break-even points were swapped.
    """

    a_count: int
    ab_count: int
    a_effort: float
    a_yield: float
    c_effort: float
    c_yield: float
    exchanged: bool


def computed_limits(values: np.ndarray) -> ComputedLimits:
    """Find the computed ABC limits of positive values.

    Parameters
    ----------
    values : array of float
        Positive values (any order); at least 3.

    Returns
    -------
    ComputedLimits

    Raises
    ------
    ValueError
        With fewer than 3 values or a non-positive value.
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    n = len(v)
    if n < 3:
        raise ValueError("Computed ABC limits need at least 3 customers with a positive value.")
    if not np.all(v > 0) or not np.all(np.isfinite(v)):
        raise ValueError("Computed ABC limits need positive finite values.")
    total = v.sum()
    cum = np.concatenate(([0.0], np.cumsum(v) / total))
    cum[-1] = 1.0
    xs = np.arange(n + 1) / n
    grid = np.linspace(0.0, 1.0, 101 if n < 101 else 1001)
    curve = np.interp(grid, xs, cum)

    # Pareto point: nearest to (0, 1).
    pareto = int(np.argmin(np.hypot(grid, curve - 1.0)))
    # Break-even point: where the slope crosses 1. The slope on the segment
    # ((k-1)/n, k/n] is n * v_k / total and falls with k, so it crosses 1 at the
    # end of the last segment with a slope >= 1 (k* = customers with a value of at
    # least the mean); the grid point nearest to k*/n, the later one on a tie. On
    # integer data a run of equal values has one slope: the crossing is at the
    # run's edge, never at its far end.
    k_star = max(1, int(np.count_nonzero(v * n >= total * (1.0 - 1e-12))))
    pos = k_star / n * (len(grid) - 1)
    breakeven = min(int(np.floor(pos + 0.5 + 1e-9)), len(grid) - 1)

    exchanged = grid[breakeven] < grid[pareto]
    a_idx, b_idx = (breakeven, pareto) if exchanged else (pareto, breakeven)
    # B/C limit: nearest to (x_B, 1).
    c_idx = int(np.argmin(np.hypot(grid - grid[b_idx], curve - 1.0)))

    a_count = max(1, round(grid[a_idx] * n))
    ab_count = max(a_count, round(grid[c_idx] * n))
    return ComputedLimits(
        a_count=a_count,
        ab_count=ab_count,
        a_effort=a_count / n,
        a_yield=float(cum[a_count]),
        c_effort=ab_count / n,
        c_yield=float(cum[ab_count]),
        exchanged=bool(exchanged),
    )
