"""Picking one customer out of up to hundreds of thousands: a search box beside a
select box that offers at most :data:`CHOICES` of them.

A select box sends every option's label to the browser on every run: 100,000
labels made each rerun of the dossier take 4 s in Chromium, most of it in the
browser. The search box looks through every customer on the server; the select box
then offers the first matches in the list's order (rank order on the pages).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from kam_analysis.i18n import t, tn
from ui import formatting as fmt
from ui import tables

#: The most customers a select box offers at once; the search box finds the others.
CHOICES = 2_000


def offered(customers: pd.DataFrame, text: str, current: str | None,
            limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """The customers to offer for the search ``text`` and how many match it.

    The offer is the first ``limit`` (default :data:`CHOICES`) matches in the frame's
    order, with the selected customer ``current`` first when it is a customer of the
    frame but not among them (a shared link or an earlier search picked it).
    """
    found = customers if not text.strip() else customers[tables.search_mask(customers, text)]
    shown = found.head(CHOICES if limit is None else limit)
    if current is not None and not shown["customer_id"].eq(current).any():
        shown = pd.concat([customers[customers["customer_id"] == current], shown])
    return shown, len(found)


def name_labels(offer: pd.DataFrame) -> list[str]:
    """ "Name (id)" of every customer of ``offer`` (the id alone stands for the name
    when there is none)."""
    named = offer["customer_name"].fillna("")
    return (named.where(named != "", offer["customer_id"]) + " (" + offer["customer_id"]
            + ")").tolist()


def rank_labels(offer: pd.DataFrame) -> list[str]:
    """ "#3 Name (id)": :func:`name_labels` after the rank, when the customer has one."""
    ranks = offer["rank"].astype("Int64")
    prefix = ("#" + ranks.astype(str) + " ").where(ranks.notna(), "")
    return (prefix + pd.Series(name_labels(offer), index=offer.index)).tolist()


def _searched(key: str) -> None:
    st.session_state[f"{key}_jump"] = True


def customer_picker(customers: pd.DataFrame, label: str, key: str,
                    labels: Callable[[pd.DataFrame], list[str]] = name_labels) -> str | None:
    """Draw the search box and the select box; return the chosen customer id.

    Parameters
    ----------
    customers : DataFrame
        The customers to choose from, with ``customer_id`` and ``customer_name``,
        in the order the select box offers them.
    label : str
        The select box's label.
    key : str
        The select box's widget key (its value is the chosen id); the search box's
        key is ``{key}_search``.
    labels : callable
        The label of each offered customer, from a frame of them (called on at most
        :data:`CHOICES` + 1 rows).
    """
    search_col, pick_col = st.columns([1, 2])
    text = search_col.text_input(t("Find a customer"), key=f"{key}_search",
                                 placeholder=t("Customer name or id"),
                                 on_change=_searched, args=(key,))
    current = st.session_state.get(key)
    if st.session_state.pop(f"{key}_jump", False):  # a new search selects its first match
        shown, matches = offered(customers, text, None)
        if matches:
            current = st.session_state[key] = shown["customer_id"].iloc[0]
    shown, matches = offered(customers, text, current)
    names = dict(zip(shown["customer_id"].tolist(), labels(shown), strict=True))
    if current is not None and current not in names:
        st.session_state.pop(key, None)  # no longer a customer of this window
    choice = pick_col.selectbox(label, list(names), key=key, format_func=names.__getitem__)
    if text.strip() and matches == 0:
        st.caption(t("No customer matches the search."))
    elif matches > CHOICES:
        st.caption(tn("The list offers the first {shown} of {n} customer; type a name or id "
                      "to find any other.", "The list offers the first {shown} of {n} "
                      "customers; type a name or id to find any other.", matches,
                      shown=fmt.fmt_count(CHOICES), n=fmt.fmt_count(matches)))
    return choice
