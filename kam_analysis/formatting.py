"""How figures read: amounts, numbers, shares, changes, dates and code labels.

The one home of display formatting, shared by the app (``ui/formatting.py``) and the
review pack (``kam_analysis/report/build.py``), so localising it is one change.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from kam_analysis.db import DatasetInfo
from kam_analysis.i18n import t
from kam_analysis.vocabulary import CODE_LABELS

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "RUR": "₽", "JPY": "¥",
                     "CNY": "¥", "INR": "₹", "UAH": "₴", "KZT": "₸", "TRY": "₺", "PLN": "zł"}


def currency_symbol(dataset: DatasetInfo) -> str:
    """Return the dataset's currency symbol (``€`` for ``EUR``...) or ``""``."""
    cur = (dataset.currency or "").strip()
    return _CURRENCY_SYMBOLS.get(cur.upper(), cur)


def _whole(value: float) -> str:
    """Whole units with thousands separators (``13,991``, ``94``); two decimals only for
    an amount below one (``0.40``), which whole units would show as ``0``."""
    return f"{value:,.2f}" if 0 < abs(value) < 1 else f"{value:,.0f}"


def _with_symbol(text: str, dataset: DatasetInfo) -> str:
    symbol = currency_symbol(dataset)
    if not symbol:
        return text
    if len(symbol) == 1:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {symbol}"


def fmt_money(value: float | None, dataset: DatasetInfo) -> str:
    """Format an amount in whole units with thousands separators and the dataset's
    currency symbol (``€13,991``, ``€94``: one precision for every amount)."""
    if value is None or pd.isna(value):
        return "–"
    return _with_symbol(_whole(value), dataset)


def fmt_number(value: float | None) -> str:
    """Format a plain number (quantities, counts) in whole units with thousands
    separators."""
    if value is None or pd.isna(value):
        return "–"
    return _whole(value)


def fmt_compact(value: float | None, measure: str, dataset: DatasetInfo) -> str:
    """Format a value of ``measure`` short enough for a metric: as :func:`fmt_measure`
    below one million, else three significant digits and ``M`` or ``bn``
    (``€17.4 M``, ``€1.23 bn``; the full value belongs in the metric's help)."""
    if value is None or pd.isna(value) or abs(value) < 1e6:
        return fmt_measure(value, measure, dataset)
    scale, unit = (1e9, "bn") if abs(value) >= 1e9 else (1e6, "M")
    short = value / scale
    digits = 2 if abs(short) < 10 else 1 if abs(short) < 100 else 0
    text = f"{short:,.{digits}f} {unit}"
    return text if measure == "quantity" else _with_symbol(text, dataset)


def fmt_measure(value: float | None, measure: str, dataset: DatasetInfo) -> str:
    """Format a value of ``measure``: money, or a plain number for quantity."""
    return fmt_number(value) if measure == "quantity" else fmt_money(value, dataset)


def fmt_pct(fraction: float | None) -> str:
    """Format a fraction as a percentage with one decimal (0.123 -> ``12.3 %``)."""
    if fraction is None or pd.isna(fraction):
        return "–"
    return f"{fraction * 100:.1f} %"


def fmt_change(fraction: float | None, covered: bool = True) -> str:
    """Format a change with its sign (``+4.2 %``); ``not covered`` when the data
    does not reach the comparison window, ``–`` when the change is undefined."""
    if not covered:
        return t("not covered")
    if fraction is None or pd.isna(fraction):
        return "–"
    return f"{fraction * 100:+.1f} %"


def fmt_date(value: date | None) -> str:
    """Format a date as ``2025-12-31`` (``–`` for none)."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:%Y-%m-%d}"


def fmt_month(value: date) -> str:
    """Format a month as ``Jan 25`` (chart axes)."""
    return f"{value:%b %y}"


def label(code: str) -> str:
    """Return the readable, translated label of an engine code."""
    return t(CODE_LABELS.get(code, code.replace("_", " ")))


def labels(codes: str | None) -> str:
    """Turn a comma-separated list of codes into readable labels."""
    if not codes or (not isinstance(codes, str) and pd.isna(codes)):
        return ""
    return ", ".join(label(c.strip()) for c in str(codes).split(",") if c.strip())
