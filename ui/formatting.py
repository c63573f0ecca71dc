"""Formatting of amounts, numbers and shares, and the readable labels of codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kam_analysis.db import DatasetInfo
from kam_analysis.i18n import t
from kam_analysis.vocabulary import CODE_LABELS, MEASURE_LABELS, PERIOD_LABELS

if TYPE_CHECKING:
    from ui.state import Context

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "RUR": "₽", "JPY": "¥",
                     "CNY": "¥", "INR": "₹", "UAH": "₴", "KZT": "₸", "TRY": "₺", "PLN": "zł"}


def currency_symbol(dataset: DatasetInfo) -> str:
    """Return the dataset's currency symbol (``€`` for ``EUR``...) or ``""``."""
    cur = (dataset.currency or "").strip()
    return _CURRENCY_SYMBOLS.get(cur.upper(), cur)


def fmt_money(value: float | None, dataset: DatasetInfo) -> str:
    """Format an amount with thousands separators and the dataset's currency symbol."""
    if value is None or pd.isna(value):
        return "–"
    symbol = currency_symbol(dataset)
    text = f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:,.2f}"
    if not symbol:
        return text
    if len(symbol) == 1:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {symbol}"


def fmt_number(value: float | None) -> str:
    """Format a plain number (quantities, counts) with thousands separators."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def fmt_value(value: float | None, ctx: Context) -> str:
    """Format a value of the context's measure (money, or a plain number for quantity)."""
    if ctx.params.measure == "quantity":
        return fmt_number(value)
    return fmt_money(value, ctx.dataset)


def fmt_pct(fraction: float | None) -> str:
    """Format a fraction as a percentage with one decimal (0.123 -> ``12.3 %``)."""
    if fraction is None or pd.isna(fraction):
        return "–"
    return f"{fraction * 100:.1f} %"


def label(code: str) -> str:
    """Return the readable, translated label of an engine code."""
    return t(CODE_LABELS.get(code, code.replace("_", " ")))


def labels(codes: str | None) -> str:
    """Turn a comma-separated list of codes into readable labels."""
    if not codes or (not isinstance(codes, str) and pd.isna(codes)):
        return ""
    return ", ".join(label(c.strip()) for c in str(codes).split(",") if c.strip())


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
