"""Session state and URL state of the shared sidebar, and the :class:`Context`.

Choices persist across pages in session state (keys prefixed ``sb_``) and
across a browser refresh in ``st.query_params`` (validated when read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import streamlit as st

from kam_analysis.analysis import AnalysisParams
from kam_analysis.analysis.window import add_months
from kam_analysis.db import DatasetInfo
from kam_analysis.i18n import N_
from kam_analysis.vocabulary import MEASURES, SIDEBAR_FILTERS
from ui import masking, settings

# Session-state keys (all prefixed: sb_ = sidebar)
K_DATASET = "sb_dataset"
K_WINDOW = "sb_window"
K_RANGE = "sb_range"
K_MEASURE = "sb_measure"
K_FILTER: dict[str, str] = {field: f"sb_{field}" for field in SIDEBAR_FILTERS}
K_INIT = "sb_initialised"
K_PENDING = "sb_pending_dataset"  # set by the Data page; applied before the select is drawn
K_CONTEXT = "ui_context"

WINDOWS: tuple[str, ...] = ("all", "12m", "ytd", "custom")
WINDOW_LABELS: dict[str, str] = {
    "all": N_("Whole data"),
    "12m": N_("Last 12 months"),
    "ytd": N_("Year to date"),
    "custom": N_("Custom date range"),
}

#: The URL query parameters the sidebar owns (pages may add their own, e.g. ``customer``).
QUERY_KEYS: tuple[str, ...] = ("dataset", "window", "start", "end", "measure", *K_FILTER,
                               settings.QUERY_RULE, masking.QUERY_MASK)


@dataclass(frozen=True)
class Context:
    """What the sidebar selected: the dataset and the analysis parameters."""

    dataset: DatasetInfo
    params: AnalysisParams


def window_dates(dataset: DatasetInfo, window: str,
                 custom: tuple[date, date] | None = None) -> tuple[date | None, date | None]:
    """Resolve a window preset to (start, end); None means the dataset's own bound.

    Parameters
    ----------
    dataset : DatasetInfo
        The dataset (its first and last dates bound every window).
    window : {"all", "12m", "ytd", "custom"}
        The preset.
    custom : tuple of date, optional
        The custom range (used with ``window="custom"``).
    """
    first, last = dataset.first_date, dataset.last_date
    if window == "12m" and last is not None:
        start = add_months(last, -12) + timedelta(days=1)
        return (max(start, first) if first else start), last
    if window == "ytd" and last is not None:
        start = date(last.year, 1, 1)
        return (max(start, first) if first else start), last
    if window == "custom" and custom:
        return custom
    return None, None


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def read_query_params(datasets: list[DatasetInfo]) -> None:
    """On a session's first run, copy valid URL choices into session state."""
    qp = st.query_params
    by_name = {d.name: d for d in datasets}
    name = qp.get("dataset")
    if name in by_name:
        st.session_state[K_DATASET] = name
    window = qp.get("window")
    if window in WINDOWS:
        st.session_state[K_WINDOW] = window
    start, end = _parse_date(qp.get("start")), _parse_date(qp.get("end"))
    if start and end and start <= end:
        st.session_state[K_RANGE] = (start, end)
    elif window == "custom":
        st.session_state.pop(K_WINDOW, None)  # a custom window needs a valid range
    measure = qp.get("measure")
    if measure in MEASURES:
        st.session_state[K_MEASURE] = measure
    for field, key in K_FILTER.items():
        values = [v for v in qp.get_all(field) if v]
        if values:
            st.session_state[key] = values
    settings.read_rule_from_url()
    masking.read_from_url()


def write_query_params(values: dict[str, str | list[str]]) -> None:
    """Make the sidebar's URL parameters equal ``values`` (only changed keys are written).

    The key-account rule of the page settings is added when it is not the default, and
    ``mask=1`` whenever masking is on (so a refresh keeps it on).
    """
    qp = st.query_params
    rule = settings.rule_query_value()
    if rule is not None and values:
        values = {**values, settings.QUERY_RULE: rule}
    if masking.masking():
        values = {**values, masking.QUERY_MASK: "1"}
    for key in [k for k in qp if k in QUERY_KEYS and k not in values]:
        del qp[key]
    for key, value in values.items():
        current = qp.get_all(key) if isinstance(value, list) else qp.get(key)
        if current != value:
            qp[key] = value


def sanitize(key: str, allowed: list[Any], multi: bool = False, default: Any = None) -> None:
    """Drop a session-state value that is not among ``allowed`` (before the widget)."""
    if key not in st.session_state:
        if default is not None:
            st.session_state[key] = default
        return
    value = st.session_state[key]
    if multi:
        kept = [v for v in (value or []) if v in allowed]
        if kept != list(value or []):
            st.session_state[key] = kept
    elif value not in allowed:
        if default is None:
            del st.session_state[key]
        else:
            st.session_state[key] = default


def select_dataset(name: str | None) -> None:
    """Make the sidebar select ``name`` on the next run (None: the default dataset)."""
    st.session_state[K_PENDING] = "" if name is None else name


def choice_from_url(key: str, param: str, parse: Callable[[str | None], Any]) -> None:
    """Before a page's widget: take a valid choice from the address (``param``) into
    session state (``key``) when the session has none yet (a refresh, a shared link).
    ``parse`` returns the value, or None for a missing or invalid one."""
    if key in st.session_state:
        return
    value = parse(st.query_params.get(param))
    if value is not None:
        st.session_state[key] = value


def choice_to_url(param: str, value: Any, default: Any = None) -> None:
    """After a page's widget: keep its choice in the address (dropped when the default)."""
    qp = st.query_params
    if value is None or value == default:
        if param in qp:
            del qp[param]
    elif qp.get(param) != str(value):
        qp[param] = str(value)
