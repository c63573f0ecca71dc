"""What an analysis returns: the result types and the columns of the customers frame."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from kam_analysis.analysis.params import AnalysisParams
from kam_analysis.db import DatasetInfo
from kam_analysis.vocabulary import CUSTOMER_FLAGS

#: Columns of ``Analysis.customers``, in order. The comma-joined texts
#: ``key_reasons``, ``account_types`` and ``flags`` are followed by one boolean
#: column per customer flag (named as the codes of ``vocabulary.CUSTOMER_FLAGS``).
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "customer_name", "region", "manager", "value", "revenue", "margin",
    "share", "cum_before",
    "cumulative_share", "rank", "abc", "xyz", "abc_xyz", "cov", "mean", "periods",
    "active_periods", "first_purchase", "last_purchase", "days_since_last", "median_gap",
    "value_last_6m", "value_prev_6m", "key_account", "key_reasons", "account_types", "flags",
    *CUSTOMER_FLAGS,
)


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
class CapacityNote:
    """What the key-account capacity did when the rule selected more customers.

    Attributes
    ----------
    code : str
        ``"mass_market"``: the rule wanted more key accounts than a team can manage.
    wanted : int
        Customers the rule selected (before the capacity).
    capacity : int
        The capacity.
    key_accounts : int
        Key accounts kept (the capacity, plus any customer with a share of 10 % or more
        beyond it).
    first_half : int
        Customers the first half of the value needs (``n50``).
    first_half_share : float
        ``first_half`` as a fraction of the customers with a positive value.
    """

    code: str
    wanted: int
    capacity: int
    key_accounts: int
    first_half: int
    first_half_share: float

    def to_dict(self) -> dict[str, Any]:
        """Return all fields as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`kam_analysis.analysis.analyze`."""

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
    #: Customers the key rule selected before the capacity.
    key_wanted: int = 0
    #: What the capacity did (``None`` when it left nobody out).
    capacity_note: CapacityNote | None = None


@dataclass(frozen=True)
class Migration:
    """Result of :func:`kam_analysis.analysis.migration`: ABC classes in two windows.

    ``first_covered`` is False when the first window starts in a month before the month
    of the dataset's first date (``data_start``): that part has no data, so customers look
    ``new``.
    """

    first: tuple[date, date]
    second: tuple[date, date]
    matrix: pd.DataFrame = field(repr=False)
    customers: pd.DataFrame = field(repr=False)
    first_covered: bool = True
    data_start: date | None = None
