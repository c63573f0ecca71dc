"""Customer lists you can work with: a search by name or id and filters by manager,
region, class and flag above a table (:func:`filter_table`), shared by the key-account
list, the win-back list and the ABC-XYZ cell list."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from kam_analysis.i18n import t, tn
from kam_analysis.vocabulary import FIELD_BY_NAME
from ui import formatting as fmt

#: The filter columns of the engine's customer table, in the order they are drawn.
FILTERS: tuple[str, ...] = ("manager", "region", "abc_xyz", "flags")
#: Most cells a table is written in the session's language for (pandas Styler display
#: values: the column keeps its numbers, so sorting stays numeric; a Styler costs about
#: 0.1-0.3 ms a cell); larger tables show Streamlit's own number formats, every one
#: of them in the browser's locale (its decimal sign, grouping and percent sign).
STYLED_CELLS = 5_000
#: Most rows a table sends to the browser, the first in the list's order: a table is
#: sent whole on every run, and 40,000 rows (8 MB) made a rerun of the key-account
#: page take 5-14 s in Chromium. Searches, filters and downloads reach every row.
TABLE_ROWS = 2_000


def _percent(decimals: int) -> Callable[[object], str]:
    return lambda v: fmt.fmt_percent(float(v) / 100, decimals)  # type: ignore[arg-type]


def _decimal(decimals: int) -> Callable[[object], str]:
    return lambda v: fmt.fmt_decimal(v, decimals)  # type: ignore[arg-type]


def _browser_percent(decimals: int) -> Any:
    """A percent column in the browser's locale with ``decimals`` decimals (Streamlit's
    "percent" takes fractions and as many decimals as its step has, less two)."""
    return st.column_config.NumberColumn(format="percent", step=float(f"1e-{decimals + 2}"))


def _browser_decimal(decimals: int) -> Any:
    """A number column in the browser's locale with exactly ``decimals`` decimals."""
    return st.column_config.NumberColumn(format="localized", step=float(f"1e-{decimals}"))


#: The kinds of columns: how a cell reads in the session's language, and the
#: column_config used instead when the table is too large to style.
KINDS: dict[str, tuple[Callable[[object], str], Any]] = {
    "count": (fmt.fmt_count, st.column_config.NumberColumn(format="localized")),
    "number": (fmt.fmt_number, st.column_config.NumberColumn(format="localized")),
    "pct": (_percent(1), _browser_percent(1)),
    "pct2": (_percent(2), _browser_percent(2)),
    "pct3": (_percent(3), _browser_percent(3)),
    "dec1": (_decimal(1), _browser_decimal(1)),
    "dec2": (_decimal(2), _browser_decimal(2)),
    "dec3": (_decimal(3), _browser_decimal(3)),
    "date": (lambda v: fmt.fmt_date(fmt.as_date(v)), st.column_config.DateColumn()),
    "datetime": (fmt.fmt_datetime, st.column_config.DatetimeColumn()),
}
#: The kinds whose columns hold percentages (12.5 for 12.5 %): a browser-formatted
#: column gets them as fractions.
_PERCENT_KINDS = frozenset({"pct", "pct2", "pct3"})


def localized(frame: pd.DataFrame, kinds: Mapping[str, str],
              column_config: Mapping[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """The data and ``column_config`` for ``st.dataframe`` with the columns of ``kinds``
    (column -> a key of :data:`KINDS`) written in the session's language.

    Streamlit's number formats follow the browser's locale, not the session's
    language: the cells are written by :mod:`ui.formatting` as the display values
    of a pandas Styler, while the column keeps its numbers (sorting stays
    numeric). Tables above :data:`STYLED_CELLS` cells get Streamlit's formats instead.
    """
    config = dict(column_config or {})
    shown = {c: KINDS[k] for c, k in kinds.items() if c in frame.columns}
    if frame.size > STYLED_CELLS:
        fractions = {c: frame[c] / 100 for c, k in kinds.items()
                     if k in _PERCENT_KINDS and c in frame.columns}
        data = frame.assign(**fractions) if fractions else frame
        return data, {**{c: fallback for c, (_, fallback) in shown.items()}, **config}
    return frame.style.format({c: f for c, (f, _) in shown.items()}, na_rep="–"), config


def show(frame: pd.DataFrame, kinds: Mapping[str, str], total: int | None = None,
         **kwargs: Any) -> Any:
    """``st.dataframe`` of the first :data:`TABLE_ROWS` rows of ``frame``, with the
    columns of ``kinds`` in the session's language (see :func:`localized`);
    ``column_config`` in ``kwargs`` is kept. A longer list gets a note under the
    table that says how many rows it shows; ``total`` is the list's length when the
    caller built the table from its first :data:`TABLE_ROWS` rows only."""
    total = len(frame) if total is None else total
    data, config = localized(frame.head(TABLE_ROWS), kinds, kwargs.pop("column_config", None))
    shown = st.dataframe(data, column_config=config or None, **kwargs)
    if total > TABLE_ROWS:
        st.caption(tn("The table shows the first {shown} of {total} row; search, filter "
                      "or download the list for the others.", "The table shows the first "
                      "{shown} of {total} rows; search, filter or download the list for the "
                      "others.", total, shown=fmt.fmt_count(TABLE_ROWS),
                      total=fmt.fmt_count(total)))
    return shown


def _codes(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [c.strip() for c in text.split(",") if c.strip()]


def _options(frame: pd.DataFrame, field: str) -> list[str]:
    values = frame[field].dropna().unique()  # a few distinct values in 100,000 rows
    if field == "flags":
        return sorted({c for text in values for c in _codes(text)})
    return sorted({str(v) for v in values if str(v)})


def _label(field: str) -> str:
    if field == "abc_xyz":
        return t("Class")
    if field == "flags":
        return t("Flags")
    return t(FIELD_BY_NAME[field].label)


def _matches(frame: pd.DataFrame, field: str, chosen: list[str]) -> pd.Series:
    column = frame[field].astype(object)
    values = column.dropna().unique()
    if field == "flags":
        wanted = set(chosen)
        hits = {v for v in values if wanted & set(_codes(v))}
    else:
        hits = {v for v in values if str(v) in chosen}
    return column.isin(hits)


def search_mask(frame: pd.DataFrame, text: str) -> pd.Series:
    """Rows whose customer name or id contains ``text`` (case-insensitive)."""
    needle = text.strip().casefold()
    if not needle:
        return pd.Series(True, index=frame.index)
    found = pd.Series(False, index=frame.index)
    for column in ("customer_id", "customer_name"):
        if column in frame.columns:
            found |= frame[column].astype(str).str.casefold().str.contains(needle,
                                                                            regex=False)
    return found


def filter_table(frame: pd.DataFrame, key: str,
                 fields: Sequence[str] = FILTERS) -> pd.DataFrame:
    """Draw a search box and a filter per field with values, and return the rows of
    ``frame`` (the engine's customer columns) that match all of them.

    Parameters
    ----------
    frame : DataFrame
        Customers with ``customer_id``, ``customer_name`` and the ``fields`` columns
        (missing or empty columns get no filter).
    key : str
        The prefix of the widget keys (one per list on a page).
    fields : sequence of str
        The filters to offer, from :data:`FILTERS`.
    """
    options = {f: _options(frame, f) for f in fields if f in frame.columns}
    shown = [f for f, values in options.items() if values]
    cols = st.columns([2] + [1] * len(shown))
    text = cols[0].text_input(t("Search"), key=f"{key}_search",
                              placeholder=t("Customer name or id"))
    keep = search_mask(frame, text)
    for col, field in zip(cols[1:], shown, strict=True):
        chosen = col.multiselect(_label(field), options[field], key=f"{key}_{field}",
                                 placeholder=t("All"),
                                 format_func=fmt.label if field == "flags" else str)
        if chosen:
            keep &= _matches(frame, field, chosen)
    out = frame[keep]
    if len(out) < len(frame):
        st.caption(tn("{n} of {total} customers matches.", "{n} of {total} customers match.",
                      len(out), n=fmt.fmt_count(len(out)), total=fmt.fmt_count(len(frame))))
    return out
