"""The shared sidebar (dataset, period, measure, filters) and the page's :class:`Context`."""

from __future__ import annotations

import dataclasses
from datetime import date

import streamlit as st

from kam_analysis.analysis import AnalysisParams, Filters
from kam_analysis.db import DatasetInfo, DatasetNotFoundError, list_datasets
from kam_analysis.demo import DEMO_DATASET
from kam_analysis.i18n import t
from kam_analysis.vocabulary import FIELD_BY_NAME
from ui.calls import filter_values, get_db
from ui.formatting import fmt_date, measure_label
from ui.settings import apply_settings
from ui.state import (
    K_CONTEXT,
    K_DATASET,
    K_FILTER,
    K_INIT,
    K_MEASURE,
    K_PENDING,
    K_RANGE,
    K_WINDOW,
    WINDOW_LABELS,
    WINDOWS,
    Context,
    read_query_params,
    sanitize,
    window_dates,
    write_query_params,
)


def _dataset(datasets: list[DatasetInfo]) -> DatasetInfo:
    names = [d.name for d in datasets]
    pending = st.session_state.pop(K_PENDING, None)
    if pending in names:
        st.session_state[K_DATASET] = pending
    elif pending == "":
        st.session_state.pop(K_DATASET, None)
    default_name = DEMO_DATASET if DEMO_DATASET in names else names[0]
    sanitize(K_DATASET, names, default=default_name)
    name = st.sidebar.selectbox(t("Dataset"), names, key=K_DATASET)
    return next(d for d in datasets if d.name == name)


def _custom_range(info: DatasetInfo) -> tuple[date, date]:
    """Draw the date range picker of the custom window and return the range to use."""
    side = st.sidebar
    first, last = info.first_date, info.last_date
    rng = st.session_state.get(K_RANGE)
    picking = isinstance(rng, tuple | list) and len(rng) == 1  # end not picked yet
    if not picking:
        valid = (isinstance(rng, tuple | list) and len(rng) == 2
                 and all(isinstance(d, date) for d in rng))
        fixed = ((min(max(rng[0], first), last), max(min(rng[1], last), first))
                 if valid else (first, last))
        if fixed[0] > fixed[1]:
            fixed = (first, last)
        if not valid or tuple(rng) != fixed:  # another dataset, or a stale range
            st.session_state[K_RANGE] = fixed
    picked = side.date_input(t("From - to"), min_value=first, max_value=last,
                             key=K_RANGE, format="YYYY-MM-DD")
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return (picked[0], picked[1])
    side.caption(t("Pick the end date too; until then the whole range is used."))
    return (first, last)


def _window(info: DatasetInfo) -> tuple[str, tuple[date, date] | None]:
    side = st.sidebar
    sanitize(K_WINDOW, list(WINDOWS), default="all")
    window = side.radio(t("Period"), WINDOWS, key=K_WINDOW,
                        format_func=lambda w: t(WINDOW_LABELS[w]))
    custom: tuple[date, date] | None = None
    if window == "custom" and info.first_date and info.last_date:
        custom = _custom_range(info)
    return window, custom


def _measure(info: DatasetInfo) -> str:
    measures = ["revenue"]
    if info.has_margin:
        measures.append("margin")
    if info.has_quantity:
        measures.append("quantity")
    sanitize(K_MEASURE, measures, default="revenue")
    return st.sidebar.selectbox(t("Measure"), measures, key=K_MEASURE,
                                format_func=measure_label)


def _filters(info: DatasetInfo) -> dict[str, tuple[str, ...]]:
    try:
        values = filter_values(info)
    except (DatasetNotFoundError, ValueError):
        values = {}
    chosen: dict[str, tuple[str, ...]] = {field: () for field in K_FILTER}
    if not any(values.get(field) for field in K_FILTER):
        for key in K_FILTER.values():  # nothing to filter by: no empty Filters box
            st.session_state.pop(key, None)
        return chosen
    with st.sidebar.expander(t("Filters"), expanded=any(st.session_state.get(k)
                                                         for k in K_FILTER.values())):
        for field, key in K_FILTER.items():
            options = list(values.get(field, []))
            sanitize(key, options, multi=True)
            if not options:
                chosen[field] = ()
                continue
            chosen[field] = tuple(st.multiselect(t(FIELD_BY_NAME[field].label), options,
                                                 key=key, placeholder=t("All")))
    return chosen


def sidebar() -> Context | None:
    """Draw the shared sidebar and return the selection (None without datasets).

    The result is also kept for :func:`context` in this run. Choices persist
    in session state (``sb_*`` keys) and in the URL query parameters
    ``dataset, window, start, end, measure, region, manager, category``.
    """
    datasets = list_datasets(get_db())
    if not st.session_state.get(K_INIT):
        read_query_params(datasets)
        st.session_state[K_INIT] = True
    if not datasets:
        st.sidebar.info(t("No datasets yet: import one on the Data page."))
        write_query_params({})
        st.session_state[K_CONTEXT] = None
        return None

    info = _dataset(datasets)
    window, custom = _window(info)
    start, end = window_dates(info, window, custom)
    if info.first_date and info.last_date:
        shown_start, shown_end = start or info.first_date, end or info.last_date
        st.sidebar.caption(t("{start} to {end}", start=fmt_date(shown_start),
                             end=fmt_date(shown_end)))
    measure = _measure(info)
    chosen = _filters(info)
    filters = Filters(regions=chosen["region"], managers=chosen["manager"],
                      categories=chosen["category"])
    base = AnalysisParams(measure=measure, start=start, end=end, filters=filters)
    ctx = Context(dataset=info, params=apply_settings(base))

    query: dict[str, str | list[str]] = {"dataset": info.name, "window": window}
    if window == "custom" and custom:
        query["start"], query["end"] = custom[0].isoformat(), custom[1].isoformat()
    if measure != "revenue":
        query["measure"] = measure
    for field in K_FILTER:
        if chosen[field]:
            query[field] = list(chosen[field])
    write_query_params(query)
    st.session_state[K_CONTEXT] = ctx
    return ctx


def context() -> Context | None:
    """Return this run's selection: from the sidebar ``app.py`` drew, or draw it now.

    A page run on its own (tests) draws the sidebar itself. Shows a hint and
    returns None when there is no dataset.
    """
    if K_CONTEXT in st.session_state:  # drawn by app.py in this run
        ctx = st.session_state.pop(K_CONTEXT)
    else:
        ctx = sidebar()
        st.session_state.pop(K_CONTEXT, None)
    if ctx is None:
        st.info(t("There is no dataset yet. Import your sales data on the Data page."))
        return None
    # Page settings may have changed in a form since the sidebar ran.
    return dataclasses.replace(ctx, params=apply_settings(ctx.params))


def require_context() -> Context:
    """Return the selection or stop the page (with the hint shown by :func:`context`)."""
    ctx = context()
    if ctx is None:
        st.stop()
    return ctx
