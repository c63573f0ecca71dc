"""Canonical sales-transaction fields shared by the importer, storage, engine and UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    Field("customer_id", "text", True, "Customer ID"),
    Field("order_date", "date", True, "Date"),
    Field("revenue", "number", True, "Revenue"),
    Field("customer_name", "text", False, "Customer name"),
    Field("margin", "number", False, "Margin (gross profit)"),
    Field("quantity", "number", False, "Quantity"),
    Field("product", "text", False, "Product"),
    Field("category", "text", False, "Category"),
    Field("region", "text", False, "Region"),
    Field("manager", "text", False, "Manager"),
    Field("document_id", "text", False, "Document number"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: Measures an analysis can run on (each a column of the transactions table).
MEASURES: tuple[str, ...] = ("revenue", "margin", "quantity")

#: Columns a user can filter on (each a column of the transactions table).
FILTER_FIELDS: tuple[str, ...] = ("region", "manager", "category", "product")
