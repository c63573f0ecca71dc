"""Formatting of amounts, numbers and shares, and the readable labels of codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kam_analysis.formatting import (  # the app's formatting lives in the engine
    currency_symbol,
    fmt_measure,
    fmt_money,
    fmt_number,
    fmt_pct,
    label,
    labels,
)
from kam_analysis.i18n import t
from kam_analysis.vocabulary import MEASURE_LABELS, PERIOD_LABELS

if TYPE_CHECKING:
    from ui.state import Context


def fmt_value(value: float | None, ctx: Context) -> str:
    """Format a value of the context's measure (money, or a plain number for quantity)."""
    return fmt_measure(value, ctx.params.measure, ctx.dataset)


def measure_label(measure: str) -> str:
    """Return the translated label of a measure."""
    return t(MEASURE_LABELS.get(measure, measure))


def period_label(period: str) -> str:
    """Return the translated label of a period unit (week, month, quarter)."""
    return t(PERIOD_LABELS.get(period, period))


def slug(text: str) -> str:
    """Return ``text`` reduced to a safe file-name part."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in text.strip())
    return cleaned.strip("_")[:60] or "dataset"


__all__ = ["currency_symbol", "fmt_money", "fmt_number", "fmt_pct", "fmt_value", "label",
           "labels", "measure_label", "period_label", "slug"]
