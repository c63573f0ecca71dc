"""The analysis engine: ABC/XYZ, key accounts, concentration, Pareto, Lorenz, migration.

Every figure follows ``analysis-definitions.md`` (the project's specification);
the choices that page leaves open are written down in
``docs/definitions-decisions.md``. Sums run in DuckDB (see the "Analysis
queries" section of :mod:`kam_analysis.storage`); this module ranks and
classifies the per-customer results with pandas/numpy. Each public function
reads in one ``db.read()`` snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis import storage
from kam_analysis.abc_computed import computed_limits
from kam_analysis.storage import Database, DatasetInfo
from kam_analysis.vocabulary import MEASURES

__all__ = [
    "ABC_PRESETS",
    "MANUAL_TAGS",
    "RECOMMENDATIONS",
    "XYZ_PRESETS",
    "Analysis",
    "AnalysisParams",
    "Concentration",
    "Filters",
    "KeyRule",
    "Migration",
    "abc_sensitivity",
    "analyze",
    "concentration_trend",
    "customer_class_history",
    "customer_periods",
    "customer_products",
    "filter_values",
    "get_tags",
    "migration",
    "revenue_margin_matrix",
    "set_tags",
]

ABC_PRESETS: dict[str, tuple[float, float]] = {"80/95": (0.80, 0.95), "70/90": (0.70, 0.90)}

#: XYZ limit presets per metric. The classic coefficient-of-variation limits
#: were made for yearly data: on monthly or weekly periods almost every B2B
#: customer is Z with them.
XYZ_PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "cov": {
        "Default (0.5 / 1.0)": (0.5, 1.0),
        "Classic yearly (0.10 / 0.25)": (0.10, 0.25),
        "Classic yearly (0.25 / 0.50)": (0.25, 0.50),
    },
    "frequency": {"Default (0.75 / 0.40)": (0.75, 0.40)},
}
_XYZ_DEFAULTS: dict[str, tuple[float, float]] = {"cov": (0.5, 1.0), "frequency": (0.75, 0.40)}

RECOMMENDATIONS: dict[str, str] = {
    "AX": "Key partner: secure long-term contracts, dedicated KAM, automate replenishment.",
    "AY": "Key account with swings: joint planning and regular forecast reviews.",
    "AZ": "Big but erratic: understand the project pipeline, manage capacity per deal.",
    "BX": "Steady mid-size: grow share of wallet with cross-selling and standard terms.",
    "BY": "Develop: regular contact, forecast together, targeted offers.",
    "BZ": "Irregular mid-size: watch each opportunity, avoid special terms without volume.",
    "CX": "Small but steady: serve efficiently (web shop, inside sales, standard prices).",
    "CY": "Small with swings: low-cost service channels, bundle orders.",
    "CZ": "Occasional small buyer: serve on demand, minimum order values, no dedicated effort.",
}

MANUAL_TAGS: tuple[str, ...] = ("image_maker", "expert", "partner", "innovator")

_PERIODS: tuple[str, ...] = ("week", "month", "quarter")
_ABC_METHODS: tuple[str, ...] = ("fixed", "computed")
_XYZ_METRICS: tuple[str, ...] = ("cov", "frequency")
_CELLS: tuple[str, ...] = tuple(a + x for a in "ABC" for x in "XYZ")
_EPS = 1e-12
_ROUND = 12  # decimals of cumulative shares, so float noise never moves a limit
_PERSPECTIVE_DAYS = 180
_BREADWINNER_SHARE = 0.10
_AT_RISK_DROP = 0.30
_SHORT_HISTORY = 3

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "customer_name", "region", "manager", "value", "share", "cum_before",
    "cumulative_share", "rank", "abc", "xyz", "abc_xyz", "cov", "mean", "periods",
    "active_periods", "first_purchase", "last_purchase", "days_since_last", "median_gap",
    "value_last_6m", "value_prev_6m", "key_account", "key_reasons", "account_types", "flags",
)


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
    """

    min_share: float | None = 0.10
    cum_before: float | None = 0.50
    annual_value: float | None = None
    top_n: int | None = None
    class_a: bool = False


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


@dataclass(frozen=True)
class Concentration:
    """Concentration figures over the customers with a positive value (P)."""

    customers: int
    total: float
    hhi: float
    hhi_band: str
    gini: float
    cr1: float
    cr3: float
    cr5: float
    cr10: float
    n50: int
    n80: int
    top20_share: float
    customers_for_80: float
    customers_for_80_k: int
    key_share: float
    key_share_band: str
    top_customer_id: str | None
    top_customer_name: str | None
    top_share: float
    flags: tuple[str, ...]
    revenue_at_risk: dict[int, float]

    def to_dict(self) -> dict[str, Any]:
        """Return all fields as a JSON-ready dict (plain Python numbers, lists)."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        out["revenue_at_risk"] = {str(k): float(v) for k, v in self.revenue_at_risk.items()}
        return out


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyze`."""

    dataset: DatasetInfo
    params: AnalysisParams
    window: tuple[date, date]
    customers: pd.DataFrame = field(repr=False)
    matrix: pd.DataFrame = field(repr=False)
    abc_limits: tuple[float, float]
    computed_limits: dict[str, dict[str, float]] | None
    concentration: Concentration
    pareto: pd.DataFrame = field(repr=False)
    lorenz: pd.DataFrame = field(repr=False)
    has_margin: bool


@dataclass(frozen=True)
class Migration:
    """Result of :func:`migration`: ABC classes in two windows and the transitions."""

    first: tuple[date, date]
    second: tuple[date, date]
    matrix: pd.DataFrame = field(repr=False)
    customers: pd.DataFrame = field(repr=False)


# --------------------------------------------------------------------------
# Validation and windows
# --------------------------------------------------------------------------


def _check_limits(name: str, limits: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in limits)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers, got {limits!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite numbers, got {limits!r}.")
    return lo, hi


def _validate(params: AnalysisParams, info: DatasetInfo) -> None:
    if not isinstance(params, AnalysisParams):
        raise ValueError("params must be an AnalysisParams.")
    if params.measure not in MEASURES:
        raise ValueError(
            f"Unknown measure {params.measure!r}; use one of {', '.join(MEASURES)}."
        )
    if params.measure == "margin" and not info.has_margin:
        raise ValueError(f"The dataset {info.name!r} has no margin column.")
    if params.measure == "quantity" and not info.has_quantity:
        raise ValueError(f"The dataset {info.name!r} has no quantity column.")
    if params.period not in _PERIODS:
        raise ValueError(f"Unknown period {params.period!r}; use one of {', '.join(_PERIODS)}.")
    if params.abc_method not in _ABC_METHODS:
        raise ValueError(
            f"Unknown ABC method {params.abc_method!r}; use one of {', '.join(_ABC_METHODS)}."
        )
    a, b = _check_limits("ABC limits", params.abc_limits)
    if not 0 < a <= b <= 1:
        raise ValueError(f"ABC limits must satisfy 0 < A <= B <= 1, got {params.abc_limits!r}.")
    if params.xyz_metric not in _XYZ_METRICS:
        raise ValueError(
            f"Unknown XYZ metric {params.xyz_metric!r}; use one of {', '.join(_XYZ_METRICS)}."
        )
    x, y = _xyz_limits(params)
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
    if params.lost_after_days < 0:
        raise ValueError(f"lost_after_days must be >= 0, got {params.lost_after_days!r}.")
    if params.lost_gap_factor < 0:
        raise ValueError(f"lost_gap_factor must be >= 0, got {params.lost_gap_factor!r}.")


def _xyz_limits(params: AnalysisParams) -> tuple[float, float]:
    if params.xyz_limits is None:
        return _XYZ_DEFAULTS.get(params.xyz_metric, (0.5, 1.0))
    return _check_limits("XYZ limits", params.xyz_limits)


def _window(params: AnalysisParams, info: DatasetInfo) -> tuple[date, date]:
    start = params.start or info.first_date
    end = params.end or info.last_date
    if start is None or end is None:
        raise ValueError(f"The dataset {info.name!r} has no dated rows.")
    start, end = _as_date(start), _as_date(end)
    if start > end:
        raise ValueError(f"The window start {start} is after its end {end}.")
    return start, end


def _as_date(value: Any) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"Not a date: {value!r}")


def _add_months(d: date, months: int) -> date:
    """Shift by whole months, clamping the day to the month's end (like DuckDB)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def _filters(params: AnalysisParams) -> dict[str, tuple[str, ...]]:
    return params.filters.as_dict()


# --------------------------------------------------------------------------
# Ranking and classes (pure functions over values)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranking:
    """Rank order of customers and the cumulative figures in that order."""

    order: np.ndarray        # positions into the input, in rank order
    values: np.ndarray       # values in rank order
    positive: np.ndarray     # value > 0, in rank order (a prefix)
    share: np.ndarray
    cum_before: np.ndarray   # NaN outside P
    cum_share: np.ndarray    # NaN outside P
    rank: pd.arrays.IntegerArray


def _rank(values: np.ndarray, id_order: np.ndarray) -> _Ranking:
    """P by value descending, ties by id text order (``id_order``), then the rest by id."""
    values = np.asarray(values, dtype=float)
    positive = values > 0
    # lexsort: the last key is the primary one.
    order = np.lexsort((id_order, np.where(positive, -values, 0.0), ~positive))
    values = values[order]
    positive = positive[order]
    n_pos = int(positive.sum())
    total = float(values[:n_pos].sum())
    share = values / total if total > 0 else np.zeros(len(values))
    cum_share = np.full(len(values), np.nan)
    cum_before = np.full(len(values), np.nan)
    if n_pos:
        cum = np.round(np.cumsum(values[:n_pos]) / total, _ROUND)
        cum[-1] = 1.0
        cum_share[:n_pos] = cum
        cum_before[:n_pos] = np.concatenate(([0.0], cum[:-1]))
    rank = pd.arrays.IntegerArray(np.arange(1, len(values) + 1, dtype="int64"), mask=~positive)
    return _Ranking(order, values, positive, share, cum_before, cum_share, rank)


def _text_order(ids: Any) -> np.ndarray:
    """Position of each id in text order (for tie-breaking)."""
    arr = np.asarray(ids, dtype=object).astype(str)
    if pd.Index(arr).is_monotonic_increasing:  # queries return ids in text order
        return np.arange(len(arr))
    return np.argsort(np.argsort(arr, kind="stable"), kind="stable")


def _rank_frame(df: pd.DataFrame, value_col: str = "value") -> pd.DataFrame:
    """Sort ranked customers (P by value desc, id asc) first, then the rest by id.

    Adds share, cum_before, cumulative_share, rank (Int64).
    """
    r = _rank(df[value_col].to_numpy(dtype=float), _text_order(df["customer_id"]))
    out = df.iloc[r.order].reset_index(drop=True)
    out["share"] = r.share
    out["cum_before"] = r.cum_before
    out["cumulative_share"] = r.cum_share
    out["rank"] = r.rank
    return out


def _abc_classes(cum_before: np.ndarray, positive: np.ndarray, a: float, b: float) -> np.ndarray:
    cb = np.nan_to_num(cum_before, nan=1.0)
    cls = np.where(cb < a - _EPS, "A", np.where(cb < b - _EPS, "B", "C"))
    return np.where(positive, cls, "C").astype(object)


def _resolve_abc_arrays(
    values: np.ndarray, positive: np.ndarray, cum_before: np.ndarray, cum_share: np.ndarray,
    params: AnalysisParams,
) -> tuple[np.ndarray, tuple[float, float], dict[str, dict[str, float]] | None]:
    """ABC classes of customers in rank order, the limits used, computed-limit points."""
    a, b = (float(x) for x in params.abc_limits)
    if params.abc_method == "computed" and positive.sum() >= 3:
        lim = computed_limits(values[positive])
        a = float(cum_share[lim.a_count - 1])
        b = float(cum_share[lim.ab_count - 1])
        classes = np.full(len(values), "C", dtype=object)
        classes[: lim.a_count] = "A"
        classes[lim.a_count: lim.ab_count] = "B"
        computed = {
            "A": {"effort": lim.a_effort, "yield": lim.a_yield},
            "C": {"effort": lim.c_effort, "yield": lim.c_yield},
        }
        return classes, (a, b), computed
    return _abc_classes(cum_before, positive, a, b), (a, b), None


def _resolve_abc(
    ranked: pd.DataFrame, params: AnalysisParams, value_col: str = "value"
) -> tuple[np.ndarray, tuple[float, float], dict[str, dict[str, float]] | None]:
    values = ranked[value_col].to_numpy(dtype=float)
    return _resolve_abc_arrays(values, values > 0, ranked["cum_before"].to_numpy(dtype=float),
                               ranked["cumulative_share"].to_numpy(dtype=float), params)


# --------------------------------------------------------------------------
# analyze
# --------------------------------------------------------------------------


def _use_precomputed(cur: Any, info: DatasetInfo, params: AnalysisParams,
                     window: tuple[date, date]) -> bool:
    return (
        not params.filters.active
        and info.first_date is not None
        and window[0] <= info.first_date
        and window[1] == info.last_date
        and storage.has_analysis_aggregates(cur, info.dataset_id)
    )


_STAT_FLOATS = ("value", "revenue", "margin", "mean", "sd", "median_gap", "value_last_6m",
                "value_prev_6m")
_STAT_INTS = ("periods", "active_periods", "id_order")
_STAT_TEXTS = ("customer_id", "customer_name", "region", "manager")
_STR_DTYPE = pd.Series(["x"]).dtype  # pandas' default string dtype
_KEY_CODES = ("share", "cumulative", "annual_value", "top_n", "class_a")
_TYPE_CODES = ("breadwinner", "perspective", *MANUAL_TAGS)
_FLAG_CODES = ("non_positive", "short_history", "lost", "at_risk")


def _customer_stats(cur: Any, info: DatasetInfo, params: AnalysisParams,
                    window: tuple[date, date]) -> dict[str, Any]:
    """Per-customer sums as numpy arrays (numbers, dates) and Arrow arrays (texts)."""
    facts = not params.filters.active and storage.has_analysis_aggregates(cur, info.dataset_id)
    at_end = window[1] == info.last_date
    table = storage.analysis_customer_stats(
        cur, info.dataset_id, params.measure, window[0], window[1], params.period,
        _filters(params), precomputed=facts and at_end and _use_precomputed(
            cur, info, params, window),
        precomputed_gaps=facts and at_end,
    )
    stats: dict[str, Any] = {}
    for col in _STAT_FLOATS:
        arr = pc.cast(table.column(col), pa.float64())
        stats[col] = pc.fill_null(arr, np.nan).to_numpy()
    # Round sums to 6 decimals so that the order rows were summed in (float
    # noise) never changes a tie or a rank.
    for col in ("value", "revenue", "margin", "value_last_6m", "value_prev_6m"):
        stats[col] = np.round(np.nan_to_num(stats[col], nan=0.0), 6)
    for col in _STAT_INTS:
        stats[col] = pc.fill_null(pc.cast(table.column(col), pa.int64()), 0).to_numpy()
    for col in ("first_purchase", "last_purchase"):
        stats[col] = pc.cast(table.column(col), pa.date32()).to_numpy().astype("datetime64[D]")
    for col in _STAT_TEXTS:
        stats[col] = pc.cast(table.column(col), pa.large_string())
    return stats


def _code_strings(bits: list[np.ndarray], codes: tuple[str, ...]) -> pa.Array:
    """Comma+space joined codes per row from boolean masks (one per code, in order)."""
    n = len(bits[0]) if bits else 0
    index = np.zeros(n, dtype=np.int32)
    for i, mask in enumerate(bits):
        index |= np.asarray(mask, dtype=np.int32) << i
    labels = [", ".join(c for i, c in enumerate(codes[: len(bits)]) if m >> i & 1)
              for m in range(1 << len(bits))]
    return pa.DictionaryArray.from_arrays(index, pa.array(labels, pa.large_string())).cast(
        pa.large_string())


def _letters(index: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        np.asarray(index, dtype=np.int32), pa.array(list(labels), pa.large_string())
    ).cast(pa.large_string())


def _classify(stats: dict[str, Any], params: AnalysisParams,
              window: tuple[date, date], tags: dict[str, tuple[str, ...]], has_margin: bool
              ) -> tuple[pd.DataFrame, tuple[float, float], dict | None]:
    r = _rank(stats["value"], stats["id_order"])
    take = pa.array(r.order)
    s = {k: (v.take(take) if isinstance(v, pa.ChunkedArray | pa.Array) else v[r.order])
         for k, v in stats.items()}
    n = len(r.values)
    positive = r.positive
    abc, abc_limits, computed = _resolve_abc_arrays(r.values, positive, r.cum_before,
                                                    r.cum_share, params)
    abc_idx = np.where(abc == "A", 0, np.where(abc == "B", 1, 2))

    # XYZ
    x_lim, y_lim = _xyz_limits(params)
    mean = s["mean"]
    periods = s["periods"]
    with np.errstate(divide="ignore", invalid="ignore"):
        if params.xyz_metric == "cov":
            metric = np.where(mean > 0, s["sd"] / mean, np.nan)
            xyz_idx = np.where(metric <= x_lim + _EPS, 0, np.where(metric <= y_lim + _EPS, 1, 2))
        else:
            metric = s["active_periods"] / periods
            xyz_idx = np.where(metric >= x_lim - _EPS, 0, np.where(metric >= y_lim - _EPS, 1, 2))
    short = periods < _SHORT_HISTORY
    xyz_idx = np.where((mean <= 0) | short | np.isnan(metric), 2, xyz_idx)

    # Recency
    end = window[1]
    days_since = (np.datetime64(end, "D") - s["last_purchase"]).astype(np.int64)
    gap = s["median_gap"]
    threshold = np.maximum(float(params.lost_after_days),
                           np.nan_to_num(params.lost_gap_factor * gap, nan=0.0))
    lost = days_since > threshold
    last6, prev6 = s["value_last_6m"], s["value_prev_6m"]
    at_risk = ~lost & (prev6 > 0) & (last6 <= (1 - _AT_RISK_DROP) * prev6 + _EPS * np.abs(prev6))

    # Key accounts: one mask per code of _KEY_CODES (all False when the rule is off).
    rule = params.key_rule
    off = np.zeros(n, dtype=bool)
    share_r = np.round(r.share, _ROUND)
    window_days = (window[1] - window[0]).days + 1
    key_bits = [
        off if rule.min_share is None else share_r >= float(rule.min_share) - _EPS,
        off if rule.cum_before is None else (np.nan_to_num(r.cum_before, nan=2.0)
                                            < float(rule.cum_before) - _EPS),
        off if rule.annual_value is None else (r.values * 365.0 / window_days
                                               >= float(rule.annual_value)),
        off if rule.top_n is None else np.arange(1, n + 1) <= int(rule.top_n),
        (abc_idx == 0) if rule.class_a else off,
    ]
    key_bits = [m & positive for m in key_bits]
    key_account = np.logical_or.reduce(key_bits) if n else off

    # Account types
    base = s["margin"] if has_margin else s["revenue"]
    base_total = float(base[base > 0].sum())
    breadwinner = ((base > 0) & (base >= _BREADWINNER_SHARE * base_total * (1 - _EPS))
                   if base_total > 0 else off)
    recent_first = s["first_purchase"] > np.datetime64(end - timedelta(days=_PERSPECTIVE_DAYS), "D")
    perspective = recent_first & (abc_idx <= 1) & positive
    type_bits = [breadwinner, perspective]
    for tag in MANUAL_TAGS:
        tagged = [cid for cid, codes in tags.items() if tag in codes]
        type_bits.append(
            pc.is_in(s["customer_id"], value_set=pa.array(tagged, pa.large_string()))
            .to_numpy(zero_copy_only=False).astype(bool) if tagged and n else off)
    flag_bits = [~positive, short, lost, at_risk]

    def text(arr: Any) -> pd.Series:
        return pd.Series(arr, dtype=_STR_DTYPE)

    columns: dict[str, Any] = {
        "customer_id": text(s["customer_id"]), "customer_name": text(s["customer_name"]),
        "region": text(s["region"]), "manager": text(s["manager"]), "value": r.values,
        "share": r.share, "cum_before": r.cum_before, "cumulative_share": r.cum_share,
        "rank": r.rank, "abc": text(_letters(abc_idx, ("A", "B", "C"))),
        "xyz": text(_letters(xyz_idx, ("X", "Y", "Z"))),
        "abc_xyz": text(_letters(abc_idx * 3 + xyz_idx, _CELLS)), "cov": metric,
        "mean": mean, "periods": periods, "active_periods": s["active_periods"],
        "first_purchase": s["first_purchase"].astype(object),
        "last_purchase": s["last_purchase"].astype(object),
        "days_since_last": days_since, "median_gap": gap,
        "value_last_6m": last6, "value_prev_6m": prev6,
        "key_account": key_account, "key_reasons": text(_code_strings(key_bits, _KEY_CODES)),
        "account_types": text(_code_strings(type_bits, _TYPE_CODES)),
        "flags": text(_code_strings(flag_bits, _FLAG_CODES)),
    }
    return pd.DataFrame(columns, columns=list(CUSTOMER_COLUMNS)), abc_limits, computed


def _matrix(df: pd.DataFrame, total: float) -> pd.DataFrame:
    codes = pd.Categorical(df["abc_xyz"], categories=list(_CELLS)).codes
    counts = np.bincount(codes, minlength=9)
    values = np.bincount(codes, weights=df["value"].to_numpy(dtype=float), minlength=9)
    return pd.DataFrame({
        "abc": [c[0] for c in _CELLS], "xyz": [c[1] for c in _CELLS], "abc_xyz": list(_CELLS),
        "customers": counts.astype(int), "value": values,
        "share": values / total if total > 0 else np.zeros(9),
    })


def _pareto(values_desc: np.ndarray) -> pd.DataFrame:
    n = len(values_desc)
    total = values_desc.sum()
    k = np.arange(n + 1)
    y = np.concatenate(([0.0], np.cumsum(values_desc) / total)) if n else np.array([0.0])
    if n:
        y[-1] = 1.0
    x = k / n if n else np.array([0.0])
    return pd.DataFrame({"k": k, "x": x, "y": y})


def _lorenz(values_desc: np.ndarray) -> pd.DataFrame:
    n = len(values_desc)
    if n == 0:
        return pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    asc = values_desc[::-1]
    y = np.concatenate(([0.0], np.cumsum(asc) / asc.sum()))
    y[-1] = 1.0
    return pd.DataFrame({"x": np.arange(n + 1) / n, "y": y})


def _concentration_figures(values_desc: np.ndarray) -> dict[str, Any]:
    """Figures over P from positive values sorted descending (ties already ordered)."""
    n = len(values_desc)
    if n == 0:
        return {"customers": 0, "total": 0.0, "hhi": 0.0, "hhi_band": "unconcentrated",
                "gini": 0.0, "cr1": 0.0, "cr3": 0.0, "cr5": 0.0, "cr10": 0.0, "n50": 0,
                "n80": 0, "top20_share": 0.0, "customers_for_80": 0.0,
                "customers_for_80_k": 0, "top_share": 0.0}
    total = float(values_desc.sum())
    s = values_desc / total
    cum = np.round(np.cumsum(values_desc) / total, _ROUND)
    cum[-1] = 1.0
    hhi = float(np.sum((100.0 * s) ** 2))
    band = ("unconcentrated" if hhi <= 1000 else
            "moderately concentrated" if hhi <= 1800 else "highly concentrated")
    asc = values_desc[::-1]
    i = np.arange(1, n + 1)
    gini = float(np.sum((2 * i - n - 1) * asc) / (n * asc.sum()))

    def cr(k: int) -> float:
        return float(cum[min(k, n) - 1])

    n50 = int(np.argmax(cum >= 0.5 - _EPS)) + 1
    n80 = int(np.argmax(cum >= 0.8 - _EPS)) + 1
    return {"customers": n, "total": total, "hhi": hhi, "hhi_band": band,
            "gini": max(0.0, gini), "cr1": cr(1), "cr3": cr(3), "cr5": cr(5), "cr10": cr(10),
            "n50": n50, "n80": n80, "top20_share": cr(-(-n // 5)),
            "customers_for_80": n80 / n, "customers_for_80_k": n80,
            "top_share": float(s[0])}


def _concentration(df: pd.DataFrame) -> Concentration:
    n_pos = int(df["rank"].notna().sum())  # ranked customers come first
    values = df["value"].to_numpy(dtype=float)[:n_pos]
    fig = _concentration_figures(values)
    total = fig["total"]
    key = df["key_account"].to_numpy(dtype=bool)[:n_pos]
    key_value = float(values[key].sum())
    key_share = key_value / total if total > 0 else 0.0
    key_band = ("below" if key_share < 0.30 - _EPS else
                "above" if key_share > 0.55 + _EPS else "healthy")
    top = fig["top_share"]
    flags = tuple(code for code, hit in (
        ("major_customer", top >= 0.10 - _EPS),
        ("critical_dependency", top > 0.20 + _EPS),
        ("mono_client", top > 0.70 + _EPS),
    ) if hit)
    at_risk = {k: float(values[:k].sum()) for k in (1, 3, 5)}
    top_id = str(df["customer_id"].iat[0]) if n_pos else None
    top_name = df["customer_name"].iat[0] if n_pos else None
    return Concentration(
        customers=fig["customers"], total=total, hhi=fig["hhi"], hhi_band=fig["hhi_band"],
        gini=fig["gini"], cr1=fig["cr1"], cr3=fig["cr3"], cr5=fig["cr5"], cr10=fig["cr10"],
        n50=fig["n50"], n80=fig["n80"], top20_share=fig["top20_share"],
        customers_for_80=fig["customers_for_80"], customers_for_80_k=fig["customers_for_80_k"],
        key_share=key_share, key_share_band=key_band,
        top_customer_id=top_id,
        top_customer_name=None if top_name is None or pd.isna(top_name) else str(top_name),
        top_share=top, flags=flags, revenue_at_risk=at_risk,
    )


def analyze(db: Database, dataset: str, params: AnalysisParams = AnalysisParams()) -> Analysis:
    """Classify every customer of a dataset and compute the portfolio figures.

    Parameters
    ----------
    db : Database
        The database.
    dataset : str
        Dataset name.
    params : AnalysisParams
        Measure, window, filters, ABC/XYZ settings, key rule, lost/at-risk settings.

    Returns
    -------
    Analysis
        ``customers`` (one row per customer with rows in the window: ranked
        customers first, then the non-positive ones by id), the 9-cell ABC-XYZ
        matrix, limits used, concentration, Pareto and Lorenz curves.

    Raises
    ------
    storage.DatasetNotFoundError
        If the dataset does not exist.
    ValueError
        For invalid parameters.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        stats = _customer_stats(cur, info, params, window)
        tags = storage.account_tags_in(cur)
    df, abc_limits, computed = _classify(stats, params, window, tags, info.has_margin)
    conc = _concentration(df)
    ranked_values = df["value"].to_numpy(dtype=float)[: conc.customers]
    return Analysis(
        dataset=info, params=params, window=window, customers=df,
        matrix=_matrix(df, conc.total), abc_limits=abc_limits, computed_limits=computed,
        concentration=conc, pareto=_pareto(ranked_values), lorenz=_lorenz(ranked_values),
        has_margin=info.has_margin,
    )


# --------------------------------------------------------------------------
# Other views
# --------------------------------------------------------------------------


def _quarter_label(d: date) -> str:
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def concentration_trend(db: Database, dataset: str,
                        params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """Concentration per calendar quarter inside the window.

    Returns
    -------
    DataFrame
        quarter (date of quarter start), label ("2025 Q1"), customers, total, hhi,
        gini, cr1, cr3, cr5; one row per quarter overlapping the window (quarters
        at the window's edges count only their days inside it).
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        values = storage.analysis_period_values(
            cur, info.dataset_id, params.measure, window[0], window[1], "quarter",
            _filters(params))
    quarters = _period_starts(window, "quarter")
    rows = []
    values["period"] = pd.to_datetime(values["period"]).dt.date
    period = values["period"].to_numpy()
    amounts = values["value"].to_numpy(dtype=float).round(6)
    for q in quarters:
        vals = amounts[period == q]
        # Ties do not change any of these figures, so no id order is needed.
        fig = _concentration_figures(np.sort(vals[vals > 0])[::-1])
        rows.append({"quarter": q, "label": _quarter_label(q), "customers": fig["customers"],
                     "total": fig["total"], "hhi": fig["hhi"], "gini": fig["gini"],
                     "cr1": fig["cr1"], "cr3": fig["cr3"], "cr5": fig["cr5"]})
    return pd.DataFrame(rows, columns=["quarter", "label", "customers", "total", "hhi", "gini",
                                       "cr1", "cr3", "cr5"])


def _period_start(d: date, period: str) -> date:
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _period_starts(window: tuple[date, date], period: str) -> list[date]:
    current = _period_start(window[0], period)
    last = _period_start(window[1], period)
    out = []
    while current <= last:
        out.append(current)
        current = (current + timedelta(days=7) if period == "week"
                   else _add_months(current, 1 if period == "month" else 3))
    return out


def _classes_for(values: pd.DataFrame, params: AnalysisParams, value_col: str) -> pd.DataFrame:
    ranked = _rank_frame(values, value_col)
    classes, _, _ = _resolve_abc(ranked, params, value_col)
    ranked["abc"] = classes
    return ranked


def _default_migration_windows(end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    second_start = _add_months(end, -12) + timedelta(days=1)
    first_end = second_start - timedelta(days=1)
    first_start = _add_months(first_end, -12) + timedelta(days=1)
    return (first_start, first_end), (second_start, end)


def _whole_months(w: tuple[date, date]) -> int | None:
    """k if the window is k whole months from its start day (e.g. Mar 5 .. Apr 4), else None."""
    for k in range(1, 1201):
        end = _add_months(w[0], k) - timedelta(days=1)
        if end == w[1]:
            return k
        if end > w[1]:
            return None
    return None


def _same_length(a: tuple[date, date], b: tuple[date, date]) -> bool:
    if (a[1] - a[0]) == (b[1] - b[0]):
        return True
    ka, kb = _whole_months(a), _whole_months(b)
    return ka is not None and ka == kb


def migration(db: Database, dataset: str, params: AnalysisParams = AnalysisParams(),
              first: tuple[date, date] | None = None,
              second: tuple[date, date] | None = None) -> Migration:
    """ABC class migration between two windows of equal length.

    Parameters
    ----------
    db, dataset, params
        As for :func:`analyze` (measure, filters, ABC method and limits are used).
    first, second : (date, date), optional
        Inclusive windows. Default: the 12 months ending at the window end
        (``params.end`` or the dataset's last date) and the 12 months before.

    Returns
    -------
    Migration
        ``matrix``: from_class (A, B, C, new) x to_class (A, B, C, lost) with
        customers, value_first, value_second (16 rows); ``customers``: one row
        per customer with rows in either window.

    Raises
    ------
    ValueError
        If a window is inverted or the two differ in length.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        given = first is not None or second is not None
        if first is None and second is None:
            first, second = _default_migration_windows(window[1])
        if first is None or second is None:
            raise ValueError("Give both migration windows or neither.")
        first = (_as_date(first[0]), _as_date(first[1]))
        second = (_as_date(second[0]), _as_date(second[1]))
        for w in (first, second):
            if w[0] > w[1]:
                raise ValueError(f"The migration window {w[0]} .. {w[1]} is inverted.")
        if given and not _same_length(first, second):
            raise ValueError(
                "The two migration windows must have the same length (in days, or both "
                "the same number of whole months)."
            )
        values = storage.analysis_two_windows(cur, info.dataset_id, params.measure,
                                              first, second, _filters(params))
    for col in ("value_first", "value_second"):
        values[col] = values[col].astype(float).round(6)
    in_first = values[values["rows_first"] > 0]
    in_second = values[values["rows_second"] > 0]
    c1 = _classes_for(in_first[["customer_id", "value_first"]], params, "value_first")
    c2 = _classes_for(in_second[["customer_id", "value_second"]], params, "value_second")
    from_map = dict(zip(c1["customer_id"], c1["abc"], strict=True))
    to_map = dict(zip(c2["customer_id"], c2["abc"], strict=True))
    out = values[["customer_id", "customer_name"]].copy()
    out["from_class"] = [from_map.get(c, "new") for c in values["customer_id"]]
    out["to_class"] = [to_map.get(c, "lost") for c in values["customer_id"]]
    out["value_first"] = values["value_first"].to_numpy()
    out["value_second"] = values["value_second"].to_numpy()
    rows = []
    for f in ("A", "B", "C", "new"):
        for t_ in ("A", "B", "C", "lost"):
            sel = (out["from_class"] == f) & (out["to_class"] == t_)
            rows.append({"from_class": f, "to_class": t_, "customers": int(sel.sum()),
                         "value_first": float(out.loc[sel, "value_first"].sum()),
                         "value_second": float(out.loc[sel, "value_second"].sum())})
    order = {"A": 0, "B": 1, "C": 2, "new": 3, "lost": 3}
    out = out.assign(_f=out["from_class"].map(order), _t=out["to_class"].map(order))
    out = out.sort_values(["_f", "_t", "customer_id"]).drop(columns=["_f", "_t"])
    return Migration(first=first, second=second, matrix=pd.DataFrame(rows),
                     customers=out.reset_index(drop=True))


def revenue_margin_matrix(db: Database, dataset: str,
                          params: AnalysisParams = AnalysisParams()) -> pd.DataFrame | None:
    """Revenue ABC class by margin ABC class (9 cells), or None without a margin column.

    Each customer with rows in the window is classed on revenue and on margin
    with the ABC settings of ``params`` (non-positive values are C).

    Returns
    -------
    DataFrame or None
        revenue_abc, margin_abc, customers, revenue, margin.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        if not info.has_margin:
            return None
        window = _window(params, info)
        values = storage.analysis_revenue_margin(cur, info.dataset_id, window[0], window[1],
                                                 _filters(params))
    for col in ("revenue", "margin"):
        values[col] = values[col].astype(float).round(6)
    rev = _classes_for(values, params, "revenue").set_index("customer_id")["abc"]
    mar = _classes_for(values, params, "margin").set_index("customer_id")["abc"]
    values["revenue_abc"] = values["customer_id"].map(rev)
    values["margin_abc"] = values["customer_id"].map(mar)
    rows = []
    for r in "ABC":
        for m in "ABC":
            sel = (values["revenue_abc"] == r) & (values["margin_abc"] == m)
            rows.append({"revenue_abc": r, "margin_abc": m, "customers": int(sel.sum()),
                         "revenue": float(values.loc[sel, "revenue"].sum()),
                         "margin": float(values.loc[sel, "margin"].sum())})
    return pd.DataFrame(rows)


def abc_sensitivity(analysis: Analysis, delta: float = 0.05) -> pd.DataFrame:
    """Customers whose ABC class changes if the A limit moves down or up by ``delta``.

    The B limit stays; a moved A limit is clipped to [0, 1].

    Returns
    -------
    DataFrame
        customer_id, customer_name, abc, abc_if_lower, abc_if_higher, share,
        cumulative_share.
    """
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise ValueError(f"delta must be between 0 and 1, got {delta!r}.")
    df = analysis.customers
    a, b = analysis.abc_limits
    positive = df["rank"].notna().to_numpy()
    cb = df["cum_before"].to_numpy(dtype=float)
    lower = _abc_classes(cb, positive, max(0.0, a - delta), b)
    higher = _abc_classes(cb, positive, min(1.0, a + delta), max(b, min(1.0, a + delta)))
    out = df[["customer_id", "customer_name", "abc"]].copy()
    out["abc_if_lower"] = lower
    out["abc_if_higher"] = higher
    out["share"] = df["share"]
    out["cumulative_share"] = df["cumulative_share"]
    changed = (out["abc_if_lower"] != out["abc"]) | (out["abc_if_higher"] != out["abc"])
    return out[changed.to_numpy()].reset_index(drop=True)


def customer_periods(db: Database, dataset: str, customer_id: str,
                     params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """One customer's sums per period of the window, zero periods included.

    Returns
    -------
    DataFrame
        period (date of period start), revenue, margin, quantity, rows.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        values = storage.customer_period_values(cur, info.dataset_id, str(customer_id),
                                                window[0], window[1], params.period,
                                                _filters(params))
    values["period"] = pd.to_datetime(values["period"]).dt.date
    frame = pd.DataFrame({"period": _period_starts(window, params.period)})
    out = frame.merge(values, on="period", how="left")
    for col in ("revenue", "margin", "quantity"):
        out[col] = out[col].astype(float).fillna(0.0)
    out["rows"] = out["rows"].fillna(0).astype(int)
    return out[["period", "revenue", "margin", "quantity", "rows"]]


def customer_class_history(db: Database, dataset: str, customer_id: str,
                           params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """The customer's ABC class over the trailing 12 months at each quarter end in the window.

    Returns
    -------
    DataFrame
        quarter (quarter end date), label, abc, share, rank (Int64; <NA> and
        class C when the customer's trailing value is not positive; rows for
        quarters in which the customer had no trailing rows are left out).
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        ends = [_add_months(q, 3) - timedelta(days=1) for q in _period_starts(window, "quarter")]
        ends = [e for e in ends if window[0] <= e <= window[1]]
        if not ends:
            return pd.DataFrame(columns=["quarter", "label", "abc", "share", "rank"])
        span = (_add_months(ends[0], -12) + timedelta(days=1), ends[-1])
        values = storage.analysis_period_values(cur, info.dataset_id, params.measure,
                                                span[0], span[1], "quarter", _filters(params))
    cid = str(customer_id)
    quarters = _period_starts(span, "quarter")
    q_index = {q: i for i, q in enumerate(quarters)}
    codes, ids = pd.factorize(values["customer_id"].astype(str))
    cols = np.array([q_index[p] for p in pd.to_datetime(values["period"]).dt.date])
    n_cust, n_q = len(ids), len(quarters)
    amounts = np.zeros((n_cust, n_q))
    present = np.zeros((n_cust, n_q), dtype=bool)
    np.add.at(amounts, (codes, cols), values["value"].to_numpy(dtype=float))
    present[codes, cols] = True
    me = np.flatnonzero(np.asarray(ids) == cid)
    rows = []
    for qe in ends:
        j = q_index[_period_start(qe, "quarter")]
        lo = max(0, j - 3)  # the 4 quarters ending at qe = the trailing 12 months
        if not me.size or not present[me[0], lo: j + 1].any():
            continue
        trailing = amounts[:, lo: j + 1].sum(axis=1).round(6)
        abc, share, rank = _class_of(trailing, ids, int(me[0]), params)
        rows.append({"quarter": qe, "label": _quarter_label(qe), "abc": abc,
                     "share": share, "rank": rank})
    out = pd.DataFrame(rows, columns=["quarter", "label", "abc", "share", "rank"])
    out["rank"] = out["rank"].astype("Int64")
    return out


def _class_of(values: np.ndarray, ids: Any, i: int,
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
    if params.abc_method == "computed" and positive.sum() >= 3:
        lim = computed_limits(values[positive])
        abc = "A" if rank <= lim.a_count else "B" if rank <= lim.ab_count else "C"
        return abc, share, rank
    cum_before = round((float(values[above].sum()) + v * len(tied_before)) / total, _ROUND)
    a, b = (float(x) for x in params.abc_limits)
    abc = "A" if cum_before < a - _EPS else "B" if cum_before < b - _EPS else "C"
    return abc, share, rank


def customer_products(db: Database, dataset: str, customer_id: str,
                      params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """The customer's products in the window, by value (the analysis measure) descending.

    Returns
    -------
    DataFrame
        category, product, value, quantity, rows, last_purchase.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        _validate(params, info)
        window = _window(params, info)
        out = storage.customer_product_values(cur, info.dataset_id, str(customer_id),
                                              params.measure, window[0], window[1],
                                              _filters(params))
    out["last_purchase"] = pd.to_datetime(out["last_purchase"]).dt.date
    out["rows"] = out["rows"].astype(int)
    return out


def filter_values(db: Database, dataset: str) -> dict[str, list[str]]:
    """Sorted distinct non-null values of region, manager, category, product.

    Raises
    ------
    storage.DatasetNotFoundError
        If the dataset does not exist.
    """
    with db.read() as cur:
        info = storage.dataset_in(cur, dataset)
        return storage.distinct_filter_values(cur, info.dataset_id)


def get_tags(db: Database) -> dict[str, tuple[str, ...]]:
    """Return customer_id -> hand-set account types (kept across re-imports)."""
    return storage.account_tags(db)


def set_tags(db: Database, customer_id: str, tags: Iterable[str]) -> None:
    """Replace the hand-set account types of one customer.

    Parameters
    ----------
    customer_id : str
        Customer id (any dataset: tags are kept per id).
    tags : iterable of str
        Subset of :data:`MANUAL_TAGS`; empty clears the customer's tags.

    Raises
    ------
    ValueError
        For an unknown tag or an empty customer id.
    """
    cid = str(customer_id)
    if not cid.strip():
        raise ValueError("The customer id is empty.")
    tags = list(tags)
    unknown = sorted({t for t in tags if t not in MANUAL_TAGS})
    if unknown:
        raise ValueError(
            f"Unknown account type(s) {', '.join(unknown)}; use {', '.join(MANUAL_TAGS)}."
        )
    storage.replace_account_tags(db, cid, tags)
