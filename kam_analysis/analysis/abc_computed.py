"""Computed ABC limits of Ultsch & Lötsch (2015), exactly as PyPI's ``abc-analysis``.

Ultsch A., Lötsch J. (2015) "Computed ABC Analysis for Rational Selection of
Most Informative Variables in Multivariate Data", PLoS ONE 10(6): e0129767.
The steps are those of ``abc-analysis`` 0.1.23 (after R's ``ABCanalysis``),
reproduced number for number so that the limits equal the package's:

1. the ABC curve: knots (0, 0) and (k/n, cum_k / total) for k = 1..n (items
   largest first), interpolated by SciPy's cubic ``UnivariateSpline(k=3, s=0)``
   and sampled on a grid p of 101 points (fewer than 101 items) or 1001 points,
   the yield clipped to [0, 1];
2. the Pareto point: the first grid point nearest to (0, 1);
3. the break-even point: a second spline through the sampled (unclipped) curve
   is differentiated and read at j/len(p) for j = 1..len(p) (so the slope given
   for grid point i is the one at (i + 1)/len(p), about one step later); the
   grid point whose slope is nearest to 1, the last one on a tie;
4. the A/B limit is the one of the two with the smaller effort, the other is
   point B (the two are swapped if the break-even point comes first);
5. the B/C limit: the first grid point nearest to (x_B, 1).

Classes follow ranks (see :func:`kam_analysis.analysis.abc.computed_classes`):
A up to rank round(x_A · n), B up to round(x_C · n). Used by
:mod:`kam_analysis.analysis.abc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import UnivariateSpline


@dataclass(frozen=True)
class ComputedLimits:
    """Result of :func:`computed_limits`.

    Attributes
    ----------
    a_count, ab_count : int
        Number of items in class A, and in classes A and B together (items
        sorted by value descending): round(effort · n) of the two limits.
    a_effort, a_yield : float
        The A/B limit: its grid effort and the curve's yield there.
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


def _nearest(grid: np.ndarray, curve: np.ndarray, x: float) -> int:
    """First grid index nearest to (x, 1) (the package's Euclidean norm, ``idxmin``)."""
    dist = np.linalg.norm(np.column_stack((grid - x, curve - 1.0)), axis=1)
    return int(np.argmin(dist))


def _curve(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid, clipped yield on the grid and slope per grid point (values sorted descending)."""
    n = len(v)
    grid = np.linspace(0.0, 1.0, 101 if n < 101 else 1001)
    y = np.cumsum(v)
    y = y / y.max()
    x = np.arange(1, n + 1) / n
    if y[0] > 0:
        y = np.concatenate(([0.0], y))
        x = np.concatenate(([0.0], x))
    if y[-1] < 1:
        y = np.append(y, 1.0)
        x = np.append(x, 1.0)
    spline = UnivariateSpline(x, y, k=3, s=0)
    sampled = spline(grid)
    curve = np.nan_to_num(np.clip(sampled, None, 1.0), nan=0.0)
    curve = np.where(curve < 0, 0.0, curve)
    m = len(grid)
    slope = UnivariateSpline(grid, sampled, k=3, s=0).derivative()(np.arange(1, m + 1) / m)
    return grid, curve, slope


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
    grid, curve, slope = _curve(v)
    pareto = _nearest(grid, curve, 0.0)
    gap = np.abs(slope - 1.0)
    breakeven = int(np.flatnonzero(gap == gap.min()).max())
    exchanged = bool(grid[breakeven] < grid[pareto])
    a_idx, b_idx = (breakeven, pareto) if exchanged else (pareto, breakeven)
    c_idx = _nearest(grid, curve, float(grid[b_idx]))

    a_count = max(1, round(float(grid[a_idx]) * n))
    ab_count = max(a_count, round(float(grid[c_idx]) * n))
    return ComputedLimits(
        a_count=a_count,
        ab_count=ab_count,
        a_effort=float(grid[a_idx]),
        a_yield=float(curve[a_idx]),
        c_effort=float(grid[c_idx]),
        c_yield=float(curve[c_idx]),
        exchanged=exchanged,
    )
