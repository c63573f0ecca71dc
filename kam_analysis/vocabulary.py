"""The project's one vocabulary: transaction fields, measures, period units,
filter fields, and the codes of key reasons, account types and flags.

Every module (import, storage, engine, exports, pages) takes these lists from
here; labels are English and go through :mod:`kam_analysis.i18n` for display.
The figures they name are defined in ``docs/definitions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kam_analysis.i18n import N_

FieldKind = Literal["text", "date", "number"]


@dataclass(frozen=True)
class Field:
    """One canonical column of the transactions table.

    Attributes
    ----------
    name : str
        Column name in DuckDB (a constant, never user text).
    kind : {"text", "date", "number"}
        How raw cells are parsed.
    required : bool
        Whether an import without this column is refused.
    label : str
        English label; pass through :func:`kam_analysis.i18n.t` for display.
    """

    name: str
    kind: FieldKind
    required: bool
    label: str


FIELDS: tuple[Field, ...] = (
    Field("customer_id", "text", True, N_("Customer ID")),
    Field("order_date", "date", True, N_("Date")),
    Field("revenue", "number", True, N_("Revenue")),
    Field("customer_name", "text", False, N_("Customer name")),
    Field("margin", "number", False, N_("Margin (gross profit)")),
    Field("quantity", "number", False, N_("Quantity")),
    Field("product", "text", False, N_("Product")),
    Field("category", "text", False, N_("Category")),
    Field("region", "text", False, N_("Region")),
    Field("manager", "text", False, N_("Manager")),
    Field("document_id", "text", False, N_("Document number")),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: Measures an analysis can run on (each a column of the transactions table),
#: with their English labels.
MEASURE_LABELS: dict[str, str] = {
    "revenue": N_("Revenue"),
    "margin": N_("Margin (gross profit)"),
    "quantity": N_("Quantity"),
}
MEASURES: tuple[str, ...] = tuple(MEASURE_LABELS)

#: Period units of the XYZ analysis and the per-customer views, with labels.
PERIOD_LABELS: dict[str, str] = {"week": N_("Week"), "month": N_("Month"),
                                  "quarter": N_("Quarter")}
PERIODS: tuple[str, ...] = tuple(PERIOD_LABELS)
#: "XYZ by <period unit>", whole, for the parameter lines of pages, packs and exports.
XYZ_PERIOD_LABELS: dict[str, str] = {"week": N_("XYZ by week"), "month": N_("XYZ by month"),
                                     "quarter": N_("XYZ by quarter")}

#: Columns a user can filter on (each a column of the transactions table).
FILTER_FIELDS: tuple[str, ...] = ("region", "manager", "category", "product")
#: The filters the sidebar offers (product filters are for the engine and CLI).
SIDEBAR_FILTERS: tuple[str, ...] = ("region", "manager", "category")

#: Hand-set account types (kept across re-imports).
MANUAL_TAGS: tuple[str, ...] = ("image_maker", "expert", "partner", "innovator")
#: Why a customer is a key account.
KEY_REASONS: tuple[str, ...] = ("share", "cumulative", "annual_value", "top_n", "class_a")
#: Account types: the computed ones, then the hand-set ones.
ACCOUNT_TYPES: tuple[str, ...] = ("breadwinner", "perspective", *MANUAL_TAGS)
#: Per-customer flags.
CUSTOMER_FLAGS: tuple[str, ...] = ("non_positive", "short_history", "lost", "at_risk",
                                   "over_capacity")
#: Churn-model status of a customer (from P(alive); see docs/definitions.md).
CHURN_STATUSES: tuple[str, ...] = ("likely_active", "probably_lost")
#: Single-customer dependency flags of the concentration analysis.
DEPENDENCY_FLAGS: tuple[str, ...] = ("major_customer", "critical_dependency", "mono_client")

#: English labels of every code above (translated at display time).
CODE_LABELS: dict[str, str] = {
    # key reasons
    "share": N_("share ≥ limit"),
    "cumulative": N_("first half of the value"),
    "annual_value": N_("value per year ≥ amount"),
    "top_n": N_("top N"),
    "class_a": N_("class A"),
    # account types
    "breadwinner": N_("breadwinner"),
    "perspective": N_("perspective"),
    "image_maker": N_("image maker"),
    "expert": N_("expert"),
    "partner": N_("partner"),
    "innovator": N_("innovator"),
    # customer flags
    "non_positive": N_("no positive value"),
    "short_history": N_("short history"),
    "lost": N_("lost"),
    "at_risk": N_("at risk"),
    "over_capacity": N_("over the key-account capacity"),
    # churn-model status
    "likely_active": N_("likely still active"),
    "probably_lost": N_("probably lost"),
    # concentration flags
    "major_customer": N_("major customer (≥ 10 %)"),
    "critical_dependency": N_("critical dependency (> 20 %)"),
    "mono_client": N_("mono-client (> 70 %)"),
    # bands
    "unconcentrated": N_("unconcentrated"),
    "moderately concentrated": N_("moderately concentrated"),
    "highly concentrated": N_("highly concentrated"),
    "below": N_("below the healthy 30-55 %"),
    "healthy": N_("within the healthy 30-55 %"),
    "above": N_("above the healthy 30-55 %"),
    # dossier: kinds of relationship-history events
    "delivery": N_("delivery"),
    "tender": N_("tender"),
    "win": N_("win"),
    "loss": N_("loss"),
    "meeting": N_("meeting"),
    "other": N_("other"),
    # dossier: a decision maker's attitude to us and influence on the decision
    "supporter": N_("supporter"),
    "neutral": N_("neutral"),
    "critic": N_("critic"),
    "unknown": N_("unknown"),
    "decides": N_("decides"),
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low"),
}
