"""What determines an analysis: parameters, filters, the key rule, presets, validation.

Also the two numeric tolerances every comparison of the engine uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from kam_analysis.db import DatasetInfo
from kam_analysis.i18n import N_
from kam_analysis.vocabulary import MEASURES, PERIODS

#: Slack of every limit comparison, so float noise never moves a customer across a limit.
EPS = 1e-12
#: Decimals of cumulative shares, so float noise never moves a limit.
ROUND = 12

ABC_PRESETS: dict[str, tuple[float, float]] = {"80/95": (0.80, 0.95), "70/90": (0.70, 0.90)}

#: XYZ limit presets per metric. The classic coefficient-of-variation limits
#: were made for yearly data: on monthly or weekly periods almost every B2B
#: customer is Z with them.
XYZ_PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "cov": {
        N_("Default (0.5 / 1.0)"): (0.5, 1.0),
        N_("Classic yearly (0.10 / 0.25)"): (0.10, 0.25),
        N_("Classic yearly (0.25 / 0.50)"): (0.25, 0.50),
    },
    "frequency": {N_("Default (0.75 / 0.40)"): (0.75, 0.40)},
}
_XYZ_DEFAULTS: dict[str, tuple[float, float]] = {"cov": (0.5, 1.0), "frequency": (0.75, 0.40)}
_ABC_METHODS: tuple[str, ...] = ("fixed", "computed")
_XYZ_METRICS: tuple[str, ...] = ("cov", "frequency")


@dataclass(frozen=True)
class Filters:
    """Row filters; an empty tuple means no filter on that field."""

    regions: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        """Return field name -> allowed values, as storage queries take them."""
        return {"region": self.regions, "manager": self.managers,
                "category": self.categories, "product": self.products}

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.regions or self.managers or self.categories or self.products)


@dataclass(frozen=True)
class KeyRule:
    """Key-account rule: a customer in P is key if ANY enabled (non-None/True) rule holds.

    Attributes
    ----------
    min_share : float or None
        ``share >= min_share`` -> reason ``share``.
    cum_before : float or None
        ``cum_before < cum_before`` -> reason ``cumulative``.
    annual_value : float or None
        ``value * 365 / window_days >= annual_value`` -> reason ``annual_value``.
    top_n : int or None
        ``rank <= top_n`` -> reason ``top_n``.
    class_a : bool
        ``abc == "A"`` -> reason ``class_a``.
    capacity : int
        At most this many key accounts (0 = no limit): when the rules select
        more, only the ``capacity`` highest-ranked are key (a customer with a
        share of 10 % or more always is); the others carry ``over_capacity``.
    """

    min_share: float | None = 0.10
    cum_before: float | None = 0.50
    annual_value: float | None = None
    top_n: int | None = None
    class_a: bool = False
    capacity: int = 50


@dataclass(frozen=True)
class AnalysisParams:
    """Everything that determines an analysis (hashable: a cache key for the UI)."""

    measure: str = "revenue"
    start: date | None = None
    end: date | None = None
    filters: Filters = Filters()
    abc_method: str = "fixed"
    abc_limits: tuple[float, float] = (0.80, 0.95)
    xyz_metric: str = "cov"
    xyz_limits: tuple[float, float] | None = None
    period: str = "month"
    key_rule: KeyRule = KeyRule()
    lost_after_days: int = 180
    lost_gap_factor: float = 3.0


def _check_limits(name: str, limits: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in limits)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers, got {limits!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite numbers, got {limits!r}.")
    return lo, hi


def xyz_limits(params: AnalysisParams) -> tuple[float, float]:
    """Return the XYZ limits of ``params``, the metric's default when none are given."""
    if params.xyz_limits is None:
        return _XYZ_DEFAULTS.get(params.xyz_metric, (0.5, 1.0))
    return _check_limits("XYZ limits", params.xyz_limits)


def _one_of(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {what} {value!r}; use one of {', '.join(allowed)}.")


def validate(params: AnalysisParams, info: DatasetInfo) -> None:
    """Raise ValueError unless ``params`` can run on the dataset ``info``."""
    if not isinstance(params, AnalysisParams):
        raise ValueError("params must be an AnalysisParams.")
    _one_of("measure", params.measure, MEASURES)
    if params.measure == "margin" and not info.has_margin:
        raise ValueError(f"The dataset {info.name!r} has no margin column.")
    if params.measure == "quantity" and not info.has_quantity:
        raise ValueError(f"The dataset {info.name!r} has no quantity column.")
    _one_of("period", params.period, PERIODS)
    _one_of("ABC method", params.abc_method, _ABC_METHODS)
    a, b = _check_limits("ABC limits", params.abc_limits)
    if not 0 < a <= b <= 1:
        raise ValueError(f"ABC limits must satisfy 0 < A <= B <= 1, got {params.abc_limits!r}.")
    _one_of("XYZ metric", params.xyz_metric, _XYZ_METRICS)
    x, y = xyz_limits(params)
    if params.xyz_metric == "cov" and not 0 <= x <= y:
        raise ValueError(f"XYZ limits for cov must satisfy 0 <= X <= Y, got {(x, y)!r}.")
    if params.xyz_metric == "frequency" and not 0 <= y <= x <= 1:
        raise ValueError(
            f"XYZ limits for frequency must satisfy 1 >= X >= Y >= 0, got {(x, y)!r}."
        )
    if not isinstance(params.filters, Filters):
        raise ValueError("filters must be a Filters.")
    if not isinstance(params.key_rule, KeyRule):
        raise ValueError("key_rule must be a KeyRule.")
    rule = params.key_rule
    if rule.top_n is not None and int(rule.top_n) < 1:
        raise ValueError(f"Key rule top N must be at least 1, got {rule.top_n!r}.")
    if isinstance(rule.capacity, bool) or not isinstance(rule.capacity, int | np.integer) \
            or rule.capacity < 0:
        raise ValueError(
            f"Key-account capacity must be a whole number >= 0, got {rule.capacity!r}.")
    if params.lost_after_days < 0:
        raise ValueError(f"lost_after_days must be >= 0, got {params.lost_after_days!r}.")
    if params.lost_gap_factor < 0:
        raise ValueError(f"lost_gap_factor must be >= 0, got {params.lost_gap_factor!r}.")


#: The default parameters of every public function (frozen: safe to share).
DEFAULT_PARAMS = AnalysisParams()
