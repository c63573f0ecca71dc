"""How figures read: amounts, numbers, shares, changes, dates and code labels, in the
language of the context (Babel/CLDR formats; Persian digits and the Jalali calendar).

The one home of display formatting, shared by the app (``ui/formatting.py``) and the
review pack (``kam_analysis/report/build.py``), so localising it is one change.
"""

from __future__ import annotations

import decimal
import functools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import jdatetime
import numpy as np
import pandas as pd
from babel import Locale
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import (
    format_compact_decimal,
    format_decimal,
    format_percent,
    get_currency_symbol,
)

from kam_analysis.i18n import get_language, locale_name, t
from kam_analysis.vocabulary import CODE_LABELS

if TYPE_CHECKING:
    from kam_analysis.db import DatasetInfo

#: Currency codes as ERP exports write them, mapped to ISO 4217 (1C writes RUR and руб.).
_CURRENCY_ALIASES = {"RUR": "RUB", "РУБ": "RUB", "РУБ.": "RUB", "MANAT": "AZN", "RIAL": "IRR",
                     "ريال": "IRR", "ریال": "IRR", "ĐỒNG": "VND", "VNĐ": "VND", "₫": "VND",
                     "€": "EUR", "$": "USD", "₽": "RUB", "₼": "AZN"}
#: Symbols for currencies the locale writes as their ISO code (English writes "RUB").
_NARROW_SYMBOLS = {"RUB": "₽", "AZN": "₼", "VND": "₫", "UAH": "₴", "KZT": "₸", "TRY": "₺",
                   "INR": "₹", "GBP": "£", "JPY": "¥", "CNY": "¥", "USD": "$", "EUR": "€",
                   "PLN": "zł"}
_MINUS = re.compile("^\u200e?[-\u2212]")
_DASH = "–"


def babel_locale() -> Locale:
    """The Babel locale of this context's language (cached per language)."""
    return _parsed_locale(locale_name())


def _locale() -> Locale:
    return _parsed_locale(locale_name())


@functools.cache
def _parsed_locale(name: str) -> Locale:
    return Locale.parse(name)


def _digits() -> str:
    """The locale's numbering system (``arabext`` for Persian: its separators ٬ ٫ ٪)."""
    return _locale().default_numbering_system


def native(text: str) -> str:
    """Write ``text``'s digits (and ``%``) the language's own way: Babel writes Latin
    digits in every numbering system, so Persian gets ۰-۹ and ٪ here."""
    return persian_digits(text).replace("%", "٪") if get_language() == "fa" else text


def currency_code(dataset: DatasetInfo) -> str | None:
    """Return the dataset's ISO 4217 currency code (``RUR`` and ``руб.`` are ``RUB``), or
    None when the dataset names no currency Babel knows."""
    cur = (dataset.currency or "").strip()
    code = _CURRENCY_ALIASES.get(cur.upper(), cur.upper())
    return code if len(code) == 3 and code in _currencies() else None


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(get_global("all_currencies"))


def currency_symbol(dataset: DatasetInfo) -> str:
    """Return the dataset's currency symbol in this language (``€``, ``₽``, ``ریال``), the
    dataset's own text when it is no ISO code, or ``""``."""
    code = currency_code(dataset)
    if code is None:
        return (dataset.currency or "").strip()
    symbol = get_currency_symbol(code, locale=_locale())
    return _NARROW_SYMBOLS.get(code, symbol) if symbol == code else symbol


def _decimals(value: float) -> int:
    """Whole units; two decimals only for an amount below one, which would show as 0."""
    return 2 if 0 < abs(value) < 1 else 0


def _number(value: float, decimals: int) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    with decimal.localcontext() as context:
        context.prec = 400  # Babel rounds in Decimal: room for any float or count
        return native(format_decimal(value, format=pattern, locale=_locale(),
                                      numbering_system=_digits()))


def _with_symbol(text: str, dataset: DatasetInfo) -> str:
    """Place the currency symbol where the locale's currency pattern puts it."""
    symbol = currency_symbol(dataset)
    if not symbol:
        return text
    pattern = _locale().currency_formats["standard"].pattern
    sign = _MINUS.match(text)
    sign, digits = (sign.group(0), text[sign.end():]) if sign else ("", text)
    if pattern.lstrip("\u200e").startswith("¤"):
        gap = "\u00a0" if len(symbol) > 1 or "¤\u00a0" in pattern else ""
        return f"{sign}{symbol}{gap}{digits}"
    return f"{sign}{digits}\u00a0{symbol}"


def fmt_money(value: float | None, dataset: DatasetInfo) -> str:
    """Format an amount in whole units in this language's format with the dataset's
    currency symbol (``€13,991``, ``13.991 €``, ``13 991 ₽``: one precision for every
    amount; two decimals only below one)."""
    if value is None or pd.isna(value):
        return _DASH
    return _with_symbol(_number(value, _decimals(value)), dataset)


def fmt_number(value: float | None) -> str:
    """Format a plain number (quantities, counts) in whole units with the language's
    thousands separator and digits."""
    if value is None or pd.isna(value):
        return _DASH
    return _number(value, _decimals(value))


def fmt_decimal(value: float | None, decimals: int | None = 2) -> str:
    """Format a number with ``decimals`` decimals (None: as many as needed, at most
    three: ``3``, ``1.5``) in the language's format."""
    if value is None or pd.isna(value):
        return _DASH
    if decimals is None:
        return native(format_decimal(value, format="#,##0.###", locale=_locale(),
                                      numbering_system=_digits()))
    return _number(value, decimals)


def fmt_count(value: int | None) -> str:
    """Format a count (customers, rows) with the language's separators and digits."""
    if value is None or pd.isna(value):
        return _DASH
    return _number(int(value), 0)


def fmt_compact(value: float | None, measure: str, dataset: DatasetInfo) -> str:
    """Format a value of ``measure`` short enough for a metric: as :func:`fmt_measure`
    below one million, else three significant digits in the language's short form
    (``€17.4M``, ``17,4 Mio. €``, ``17,4 млн ₽``; the full value belongs in the help)."""
    if value is None or pd.isna(value) or abs(value) < 1e6:
        return fmt_measure(value, measure, dataset)
    short = abs(value) / (1e9 if abs(value) >= 1e9 else 1e6)
    digits = 2 if short < 10 else 1 if short < 100 else 0
    text = native(format_compact_decimal(value, format_type="short", fraction_digits=digits,
                                          locale=_locale(), numbering_system=_digits()))
    return text if measure == "quantity" else _with_symbol(text, dataset)


def fmt_axis_number(value: float) -> str:
    """Format an axis tick in the language's short form, without currency (``1,25 млн``,
    ``750K``; ``250.000`` where the language has no short form at that size)."""
    text = format_compact_decimal(value, format_type="short", fraction_digits=2,
                                  locale=_locale(), numbering_system=_digits())
    if not any(ch.isalpha() for ch in text):  # German writes thousands in full: group them
        return fmt_number(value)
    return native(text)


def nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) for an axis from 0 to
    ``top`` with about ``ticks`` ticks."""
    if top <= 0 or not np.isfinite(top):
        return 1.0
    raw = top / ticks
    power = 10 ** np.floor(np.log10(raw))
    return float(min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda s: abs(s - raw)))


def axis_ticks(low: float, top: float, ticks: int = 5) -> list[float]:
    """Round tick values from a multiple of the step at or below ``min(low, 0)`` to one
    at or above ``max(top, 0)`` (see :func:`nice_step`)."""
    low, top = min(low, 0.0), max(top, 0.0)
    step = nice_step(top - low, ticks)
    first = float(np.floor(low / step + 1e-9)) * step
    count = int(np.ceil((top - first) / step - 1e-9)) + 1
    return [first + i * step for i in range(max(count, 2))]


def fmt_measure(value: float | None, measure: str, dataset: DatasetInfo) -> str:
    """Format a value of ``measure``: money, or a plain number for quantity."""
    return fmt_number(value) if measure == "quantity" else fmt_money(value, dataset)


def _percent(fraction: float, pattern: str) -> str:
    return native(format_percent(fraction, format=pattern, locale=_locale(),
                                  numbering_system=_digits()))


def _percent_pattern(signed: bool = False, decimals: int = 1) -> str:
    """The locale's percent pattern with ``decimals`` decimals (``#,##0.0%``,
    ``#,##0.0 %``)."""
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    base = _locale().percent_formats[None].pattern.split(";")[0].replace("#,##0", digits, 1)
    return f"+{base};-{base}" if signed else base


def fmt_percent(fraction: float | None, decimals: int = 0) -> str:
    """Format a fraction as a percentage with ``decimals`` decimals in the language's
    format (axis ticks: ``20%``, ``20 %``, ``۲۰٪``)."""
    if fraction is None or pd.isna(fraction):
        return _DASH
    return _percent(fraction, _percent_pattern(decimals=decimals))


def _texts_by_key(keys: np.ndarray, values: np.ndarray, missing: np.ndarray,
                  one: Callable[[float], str]) -> list[str]:
    """``one(value)`` for every value, called once per distinct key (the first value
    with that key); missing values are the dash."""
    texts = np.full(len(values), _DASH, dtype=object)
    present = ~missing
    if present.any():
        _, first, inverse = np.unique(keys[present], return_index=True, return_inverse=True)
        shown = np.array([one(v) for v in values[present][first]], dtype=object)
        texts[present] = shown[inverse.reshape(-1)]
    return texts.tolist()


def percent_texts(fractions: Iterable[float | None], decimals: int = 0) -> list[str]:
    """:func:`fmt_percent` of many fractions (a chart's hover texts for every customer),
    each distinct shown value formatted once.

    Values are grouped by the number Babel shows: the fraction's decimal text scaled
    to percent and rounded half to even. NumPy rounds the binary value the same way
    except within a hair of a tie, where the decimal text decides.
    """
    values = np.array([np.nan if f is None else f for f in fractions], dtype=float)
    missing = np.isnan(values)
    scaled = np.where(missing, 0.0, values) * 10.0 ** (decimals + 2)
    keys = np.round(scaled)
    tie = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    quantum = decimal.Decimal(1).scaleb(-decimals)
    for i in np.flatnonzero(tie & ~missing):
        exact = decimal.Decimal(str(values[i])).scaleb(2).quantize(quantum)
        keys[i] = float(exact.scaleb(decimals))
    negative_zero = np.signbit(keys) & (keys == 0)  # shown as -0 %
    return _texts_by_key(np.where(negative_zero, -0.5, keys), values, missing,
                         lambda f: fmt_percent(f, decimals))


def count_texts(values: Iterable[float | None]) -> list[str]:
    """:func:`fmt_count` of many counts, each distinct count formatted once."""
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    missing = np.isnan(array)
    keys = np.where(missing, 0, np.trunc(array))
    return _texts_by_key(keys, array, missing, fmt_count)


def fmt_pct(fraction: float | None) -> str:
    """Format a fraction as a percentage with one decimal, in the language's format
    (0.123 -> ``12.3%``, ``12,3 %``, ``۱۲٫۳٪``)."""
    return fmt_percent(fraction, 1)


def fmt_change(fraction: float | None, covered: bool = True) -> str:
    """Format a change with its sign (``+4.2%``); ``not covered`` when the data
    does not reach the comparison window, ``–`` when the change is undefined."""
    if not covered:
        return t("not covered")
    if fraction is None or pd.isna(fraction):
        return _DASH
    return _percent(fraction, _percent_pattern(signed=True))


def _jalali(value: date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=value, locale="fa_IR")


def fmt_date(value: date | None) -> str:
    """Format a date in the language's medium form (``Dec 31, 2025``, ``31.12.2025``);
    Persian: the Iranian (Jalali) calendar in Persian digits (``۱۴۰۴/۱۰/۱۰``)."""
    if value is None or pd.isna(value):
        return _DASH
    if get_language() == "fa":
        return persian_digits(_jalali(value).strftime("%Y/%m/%d"))
    return format_date(value, format="medium", locale=_locale())


def fmt_month(value: date) -> str:
    """Format a month for chart axes (``Jan 25``, ``янв. 25``; Persian: the Jalali month)."""
    if get_language() == "fa":
        return persian_digits(_jalali(value).strftime("%B %y"))
    return format_date(value, format="MMM yy", locale=_locale())


def fmt_period(value: object, period: str) -> str:
    """The label of a sales period starting on ``value``: the week's first day, the
    month (:func:`fmt_month`) or the quarter (``2025 Q1``, as the engine's labels), in
    the session's language."""
    day = as_date(value)
    if day is None:
        return _DASH
    if period == "month":
        return fmt_month(day)
    if period == "quarter":
        return t("{year} Q{quarter}", quarter=native(str((day.month - 1) // 3 + 1)),
                 year=native(str(day.year)))
    return fmt_date(day)


def as_date(value: object) -> date | None:
    """A date from a date, datetime, Timestamp or ISO text (None when missing)."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(text: str) -> str:
    """Write the Latin digits of ``text`` as Persian digits."""
    return text.translate(_PERSIAN_DIGITS)


def label(code: str) -> str:
    """Return the readable, translated label of an engine code."""
    return t(CODE_LABELS.get(code, code.replace("_", " ")))


def labels_column(codes: pd.Series) -> pd.Series:
    """:func:`labels` of every cell of a column, worked out once per distinct value
    (100,000 customers share a few dozen flag combinations)."""
    cells = codes.astype(object).where(codes.notna(), "")
    return cells.map({value: labels(value) for value in cells.unique()})


def labels(codes: str | None) -> str:
    """Turn a comma-separated list of codes into readable labels."""
    if not codes or (not isinstance(codes, str) and pd.isna(codes)):
        return ""
    separator = "، " if get_language() == "fa" else ", "  # the Persian comma in Persian
    return separator.join(label(c.strip()) for c in str(codes).split(",") if c.strip())
