"""Formatting of amounts, numbers and shares, the readable labels of codes, and data
shown as text in Markdown (:func:`md_text`)."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
from babel.lists import format_list
from babel.numbers import get_decimal_symbol, get_group_symbol

from kam_analysis.formatting import (  # the app's formatting lives in the engine
    as_date,
    babel_locale,
    count_texts,
    currency_symbol,
    fmt_compact,
    fmt_count,
    fmt_date,
    fmt_decimal,
    fmt_measure,
    fmt_money,
    fmt_month,
    fmt_number,
    fmt_pct,
    fmt_percent,
    fmt_period,
    label,
    labels,
    labels_column,
    native,
    percent_texts,
)
from kam_analysis.i18n import get_language, t
from kam_analysis.vocabulary import MEASURE_LABELS, PERIOD_LABELS

if TYPE_CHECKING:
    from ui.state import Context

#: Characters that start Markdown, HTML, math or Streamlit constructs anywhere in a line:
#: emphasis and code (``* _ ` ~``), links and images (``[ ]``), HTML and autolinks
#: (``< >``), ``$`` math, and the colon of ``:red[...]``, ``:material/...:``,
#: ``:smile:`` and ``http://`` (so no bare URL becomes a link), ``@`` of e-mail autolinks,
#: and the backslash.
_MD_ANYWHERE = re.compile(r"([\\`*_~\[\]<>:$@])")
#: What makes a heading, list or quote at the start of a text, and ``www.`` autolinks.
_MD_AT_START = re.compile(r"^([#+\-=|])")
_WWW = re.compile(r"(?i)\b(www)\.")
_WHITESPACE = re.compile(r"\s+")


def fmt_value(value: float | None, ctx: Context) -> str:
    """Format a value of the context's measure (money, or a plain number for quantity)."""
    return fmt_measure(value, ctx.params.measure, ctx.dataset)


def metric_value(value: float | None, ctx: Context, help: str | None = None
                 ) -> dict[str, str]:
    """A value of the context's measure as ``st.metric``'s keyword arguments: ``value``
    in the short form (:func:`fmt_compact`, ``€17.4 M``: a metric in a narrow column
    cuts a full amount off) and ``help`` ending with the full value
    (``col.metric(label, **metric_value(...))``)."""
    full = t("Exactly {value}.", value=fmt_value(value, ctx))
    return {"value": fmt_compact(value, ctx.params.measure, ctx.dataset),
            "help": f"{help} {full}" if help else full}


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


__all__ = [
    "as_date",
    "chart_text",
    "count_texts",
    "currency_symbol",
    "fmt_compact",
    "fmt_count",
    "fmt_date",
    "fmt_datetime",
    "fmt_decimal",
    "fmt_list",
    "fmt_money",
    "fmt_month",
    "fmt_number",
    "fmt_pct",
    "fmt_percent",
    "fmt_period",
    "fmt_value",
    "label",
    "labels",
    "labels_column",
    "md_text",
    "measure_label",
    "metric_value",
    "native",
    "percent_texts",
    "period_label",
    "plotly_separators",
    "slug",
]

_DASH = "–"


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def fmt_datetime(value: datetime | None) -> str:
    """A date with its time of day (``Dec 31, 2025 14:05``; Persian: Jalali date)."""
    if _missing(value):
        return _DASH
    return f"{fmt_date(value.date())} {native(f'{value:%H:%M}')}"  # type: ignore[union-attr]


def dot() -> str:
    """The separator of short facts in a row (`` · ``); Persian: the Arabic comma, since a
    middle dot reads as the Persian zero (۰) next to Persian digits."""
    return "، " if get_language() == "fa" else " · "


def fmt_list(items: list[str]) -> str:
    """Join ``items`` the language's way (``A, B and C``, ``A, B и C``)."""
    return format_list(list(items), locale=babel_locale()) if items else ""


def plotly_separators() -> str:
    """Plotly's ``layout.separators`` for the language: its decimal sign, then its
    thousands sign (``".,"`` English, ``",."`` German, ``", "`` Russian, ``"٫٬"`` Persian)."""
    loc = babel_locale()
    system = loc.default_numbering_system
    return (get_decimal_symbol(loc, numbering_system=system)
            + get_group_symbol(loc, numbering_system=system))


def bold(text: str) -> str:
    """A translated label as a bold Markdown line (the label shown as text)."""
    return f"**{md_text(text)}**"


def md_text(value: object) -> str:
    """Return ``value`` as literal text for anything Streamlit renders as Markdown.

    Markdown's active characters are backslash-escaped and runs of whitespace
    (newlines included) become one space, so a name like ``![x](http://host/x.png)``,
    ``[link](http://host)``, ``:red[ALERT]``, ``$x^2$`` or ``<img ...>`` is shown as
    typed, never as an image, a link, a colour, math or HTML. Use it for every text
    from data (customer, region, manager, dataset and file names, values quoted in
    messages) put into ``st.markdown``, ``st.caption``, alerts, toasts, metric help
    and widget labels; elements that do not interpret Markdown (dataframes, option
    lists) get the text unescaped.
    """
    text = _WHITESPACE.sub(" ", "" if value is None else str(value)).strip()
    text = _MD_ANYWHERE.sub(r"\\\1", text)
    text = _WWW.sub(r"\1\\.", text)
    found = re.match(r"^(\d+)([.)])", text)
    if found:  # "1. x" would be an ordered list
        return f"{found.group(1)}\\{text[len(found.group(1)):]}"
    return _MD_AT_START.sub(r"\\\1", text)


def chart_text(value: object) -> str:
    """Return ``value`` as literal text for a Plotly label, tick or hover text.

    Plotly reads ``<a href>``, ``<b>``, ``<br>`` and other tags in text; the
    characters ``< > & "`` are written as entities, which Plotly shows as typed.
    """
    return html.escape("" if value is None else str(value), quote=True)
