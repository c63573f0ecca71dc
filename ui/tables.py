"""Customer lists you can work with: a search by name or id and filters by manager,
region, class and flag above a table (:func:`filter_table`), shared by the key-account
list, the win-back list and the ABC-XYZ cell list."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from kam_analysis.i18n import t
from kam_analysis.vocabulary import FIELD_BY_NAME
from ui import formatting as fmt

#: The filter columns of the engine's customer table, in the order they are drawn.
FILTERS: tuple[str, ...] = ("manager", "region", "abc_xyz", "flags")


def _codes(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [c.strip() for c in text.split(",") if c.strip()]


def _options(frame: pd.DataFrame, field: str) -> list[str]:
    if field == "flags":
        return sorted({c for text in frame[field] for c in _codes(text)})
    return sorted({str(v) for v in frame[field].dropna() if str(v)})


def _label(field: str) -> str:
    if field == "abc_xyz":
        return t("Class")
    if field == "flags":
        return t("Flags")
    return t(FIELD_BY_NAME[field].label)


def _matches(frame: pd.DataFrame, field: str, chosen: list[str]) -> pd.Series:
    if field == "flags":
        wanted = set(chosen)
        return frame[field].map(lambda text: bool(wanted & set(_codes(text))))
    return frame[field].astype(object).map(lambda v: str(v) in chosen)


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
    shown = [f for f in fields if f in frame.columns and _options(frame, f)]
    cols = st.columns([2] + [1] * len(shown))
    text = cols[0].text_input(t("Search"), key=f"{key}_search",
                              placeholder=t("Customer name or id"))
    keep = search_mask(frame, text)
    for col, field in zip(cols[1:], shown, strict=True):
        chosen = col.multiselect(_label(field), _options(frame, field), key=f"{key}_{field}",
                                 placeholder=t("All"),
                                 format_func=fmt.label if field == "flags" else str)
        if chosen:
            keep &= _matches(frame, field, chosen)
    out = frame[keep]
    if len(out) < len(frame):
        st.caption(t("{n} of {total} customers match.", n=f"{len(out):,}",
                     total=f"{len(frame):,}"))
    return out
