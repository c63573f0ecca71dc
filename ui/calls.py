"""The shared database and the cached engine calls.

:func:`get_db` is the process's :class:`~kam_analysis.db.Database`
(``st.cache_resource``: the object is thread-safe, a cursor per operation).
Engine results are cached (:func:`_kept`, bounded by ``max_entries``), keyed by
the dataset id - which changes on every re-import, so caches invalidate
themselves - and the frozen analysis parameters.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from kam_analysis import analysis as engine
from kam_analysis.analysis import AnalysisParams
from kam_analysis.analysis.window import period_start, resolve_window
from kam_analysis.db import Database, DatasetInfo, default_db_path, list_datasets, open_database
from kam_analysis.demo import DEMO_DATASET, load_demo
from kam_analysis.i18n import get_language, language, t
from kam_analysis.masking import Masker
from ui.errors import guard
from ui.masking import mask_analysis, masked, masker, masking, memo, real_id

if TYPE_CHECKING:
    from ui.state import Context


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Database:
    return open_database(path)


def _path() -> str:
    return str(default_db_path())


def get_db() -> Database:
    """Return the shared database of this process (``$KAM_DB`` or ``data/kam.duckdb``)."""
    return _open(_path())


@st.cache_resource(show_spinner=False)
def _first_start(path: str) -> bool:
    db = _open(path)
    if list_datasets(db):
        return False
    load_demo(db, DEMO_DATASET)
    return True


def ensure_demo() -> bool:
    """On the process's first start with an empty database, load the demo dataset.

    Runs once per process and database file (a user who later deletes every
    dataset is not given the demo back until the app restarts). Returns True
    if the demo was loaded.
    """
    with st.spinner(t("First start: loading the demo dataset...")):
        return _first_start(str(default_db_path()))


P = ParamSpec("P")
R = TypeVar("R")


def _own_copy(value: R) -> R:
    """A copy of a cached result for one caller: its DataFrames and Series are shallow
    copies (pandas' copy-on-write copies the data the moment either side changes it),
    its dataclasses, dicts, lists and tuples new containers; anything else is shared."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{  # type: ignore[return-value]
            f.name: _own_copy(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {k: _own_copy(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(_own_copy(v) for v in value)  # type: ignore[return-value]
    return value


def _kept(max_entries: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache an engine call's results in this process (at most ``max_entries``), and
    give every caller its own copy (:func:`_own_copy`).

    ``st.cache_data`` would pickle each result when it is stored and unpickle it on
    every hit: at 100,000 customers 0.1-0.35 s per result, several times per page
    run. The results are kept as objects instead (``st.cache_resource``); they are
    never changed after they are made, and a caller's changes stay in its copy.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        cached = st.cache_resource(max_entries=max_entries, show_spinner=False)(fn)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return _own_copy(cached(*args, **kwargs))

        call.clear = cached.clear  # type: ignore[attr-defined] - clear_caches() empties it
        return call

    return decorate


def _calculating(cached: Callable[P, R]) -> Callable[P, R]:
    """Show "Calculating..." in the session's language while a cached call runs longer
    than half a second (a miss; ``st.spinner`` waits 0.5 s before it shows, so a hit
    shows nothing). ``show_spinner`` of ``st.cache_data`` takes one text for the whole
    process, hence the spinner here."""

    @functools.wraps(cached)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with st.spinner(t("Calculating...")):
            return cached(*args, **kwargs)

    run.clear = cached.clear  # type: ignore[attr-defined] - clear_caches() empties it
    return run


@_calculating
@_kept(max_entries=32)
def _analysis(path: str, dataset_id: int, dataset: str, params: AnalysisParams) -> engine.Analysis:
    return engine.analyze(_open(path), dataset, params)


@_calculating
@_kept(max_entries=16)
def _trend(path: str, dataset_id: int, dataset: str, params: AnalysisParams) -> pd.DataFrame:
    return engine.concentration_trend(_open(path), dataset, params)


@_calculating
@_kept(max_entries=16)
def _migration(path: str, dataset_id: int, dataset: str,
               params: AnalysisParams) -> engine.Migration:
    return engine.migration(_open(path), dataset, params)


@_calculating
@_kept(max_entries=16)
def _margin_matrix(path: str, dataset_id: int, dataset: str,
                   params: AnalysisParams) -> pd.DataFrame | None:
    # From the (cached) analysis of the same parameters: its sums, no query of its own.
    return engine.revenue_margin_matrix(_analysis(path, dataset_id, dataset, params))


@_calculating
@_kept(max_entries=16)
def _sensitivity(path: str, dataset_id: int, dataset: str, params: AnalysisParams,
                 delta: float) -> pd.DataFrame:
    return engine.abc_sensitivity(_analysis(path, dataset_id, dataset, params), delta)


@_calculating
@_kept(max_entries=16)
def _churn(path: str, dataset_id: int, dataset: str, params: AnalysisParams,
           model: str, lang: str) -> engine.ChurnResult:
    with language(lang):  # the reason it cannot be fitted is a sentence in this language
        return engine.churn(_open(path), dataset, params, model)


@_kept(max_entries=16)
def _scored(path: str, dataset_id: int, dataset: str, params: AnalysisParams,
            churn_params: AnalysisParams, model: str, lang: str) -> pd.DataFrame:
    return engine.with_churn(_analysis(path, dataset_id, dataset, params).customers,
                             _churn(path, dataset_id, dataset, churn_params, model, lang))


@_calculating
@_kept(max_entries=16)
def _window_values(path: str, dataset_id: int, dataset: str,
                   params: AnalysisParams) -> engine.WindowValues:
    # One scan of the three windows, read by the comparison and the headline figures.
    return engine.window_values(_open(path), dataset, params)


@_calculating
@_kept(max_entries=16)
def _comparison(path: str, dataset_id: int, dataset: str,
                params: AnalysisParams) -> engine.Comparison:
    return engine.compare(_open(path), dataset, params,
                          values=_window_values(path, dataset_id, dataset, params))


@_calculating
@_kept(max_entries=16)
def _headline(path: str, dataset_id: int, dataset: str, params: AnalysisParams) -> pd.DataFrame:
    # The window's own figures come from the (cached) analysis the page already shows.
    return engine.headline_changes(_open(path), dataset, params,
                                   now=_analysis(path, dataset_id, dataset, params),
                                   values=_window_values(path, dataset_id, dataset, params))


@_calculating
@_kept(max_entries=16)
def _flow(path: str, dataset_id: int, dataset: str, params: AnalysisParams,
          period: str) -> pd.DataFrame:
    return engine.customer_flow(_open(path), dataset, params, period)


@_kept(max_entries=8)
def _filter_values(path: str, dataset_id: int, dataset: str) -> dict[str, list[str]]:
    return engine.filter_values(_open(path), dataset)


@_calculating
@_kept(max_entries=8)
def _trailing(path: str, dataset_id: int, dataset: str,
              params: AnalysisParams) -> engine.TrailingValues:
    return engine.trailing_values(_open(path), dataset, params)


@_calculating
@_kept(max_entries=64)
def _customer(path: str, kind: str, dataset_id: int, dataset: str, customer_id: str,
              params: AnalysisParams) -> pd.DataFrame:
    if kind == "history":  # every customer's trailing values once per window, then one row
        return engine.class_history(_trailing(path, dataset_id, dataset, params),
                                    customer_id, params)
    fn = {"periods": engine.customer_periods, "products": engine.customer_products}[kind]
    return fn(_open(path), dataset, customer_id, params)


def analysis(ctx: Context) -> engine.Analysis:
    """Return the (cached) analysis of the context (pseudonymised while masking is on)."""
    args = (_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)
    if masking():
        return memo(("analysis", *args), lambda: mask_analysis(_analysis(*args)))
    return _analysis(*args)


def positive_analysis(ctx: Context) -> engine.Analysis:
    """Return :func:`analysis`, or explain and stop the page when no customer has a
    positive value in the selection (nothing to rank, classify or measure)."""
    with guard():
        result = analysis(ctx)
    if result.concentration.customers == 0:
        st.info(t("No customer has a positive value in this selection. Widen the period or "
                  "remove filters in the sidebar."))
        st.stop()
    return result


def trend(ctx: Context) -> pd.DataFrame:
    """Return the (cached) concentration trend per quarter."""
    return _trend(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)


def migration(ctx: Context, mask: Masker | None = None) -> engine.Migration:
    """Return the (cached) class migration: last 12 months vs the 12 before.

    Customers are pseudonymised with ``mask`` if given, else with the session's
    Masker while masking is on. Code that runs outside the session's script run
    (a deferred download) passes the Masker it captured, since it cannot read
    the session.
    """
    # The two windows end at the window's end: its start is no part of the key.
    end = resolve_window(ctx.params, ctx.dataset)[1]
    moves = _migration(_path(), ctx.dataset.dataset_id, ctx.dataset.name,
                       dataclasses.replace(ctx.params, start=end, end=end))
    if mask is None and masking():
        mask = masker()
    if mask is not None:
        return dataclasses.replace(moves, customers=mask.mask_frame(moves.customers))
    return moves


def margin_matrix(ctx: Context) -> pd.DataFrame | None:
    """Return the (cached) revenue-by-margin class matrix (None without margin)."""
    return _margin_matrix(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)


def sensitivity(ctx: Context, delta: float = 0.05) -> pd.DataFrame:
    """Return the (cached) ABC sensitivity table for an A limit moved by ±delta (masked
    while masking is on)."""
    return masked(_sensitivity(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params,
                               delta))


def _churn_args(ctx: Context, model: str) -> tuple[tuple, tuple]:
    """The arguments of :func:`_churn` for the context (the key holds the window's end,
    the measure and the filters only), and the window."""
    p = ctx.params
    window = resolve_window(p, ctx.dataset)
    key = AnalysisParams(measure=p.measure, start=window[1], end=window[1], filters=p.filters)
    return (_path(), ctx.dataset.dataset_id, ctx.dataset.name, key, model, get_language()), window


def churn(ctx: Context, model: str = "pareto-nbd") -> engine.ChurnResult:
    """Return the (cached) churn figures of the context (masked while masking is on).

    The figures are as of the window's end: the cache key holds only what they depend
    on, the dataset version, the window's end, the measure and the filters (not the
    window's start, the key rule or the ABC settings), so moving the start does not
    refit the model.
    """
    args, window = _churn_args(ctx, model)

    def _found() -> engine.ChurnResult:
        return dataclasses.replace(_churn(*args), window=window)

    if not masking():
        return _found()

    def _masked() -> engine.ChurnResult:
        found = _found()
        return dataclasses.replace(found, customers=masker().mask_frame(found.customers))

    return memo(("churn", *args, window), _masked)


def scored_customers(ctx: Context, model: str = "pareto-nbd") -> pd.DataFrame:
    """Return the analysis's customers with the churn figures (``with_churn`` of
    :func:`analysis` and :func:`churn`), cached like both: joining them took 0.12-0.2 s
    on every run of the Key accounts and dossier pages at 100,000 customers."""
    if masking():
        return engine.with_churn(analysis(ctx).customers, churn(ctx, model))
    (path, dataset_id, dataset, churn_params, model, lang), _ = _churn_args(ctx, model)
    return _scored(path, dataset_id, dataset, ctx.params, churn_params, model, lang)


def comparison(ctx: Context) -> engine.Comparison:
    """Return the (cached) comparison with the previous period and a year earlier
    (customer ids pseudonymised while masking is on)."""
    found = _comparison(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)
    if masking():
        return dataclasses.replace(found, customers=masker().mask_frame(found.customers))
    return found


def headline(ctx: Context) -> pd.DataFrame:
    """Return the (cached) headline figures against the two comparison windows."""
    return _headline(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)


def flow(ctx: Context, period: str = "month") -> pd.DataFrame:
    """Return the (cached) new, returning, recovered and stopped customers per period.

    A period's figures depend on the history up to the window's end, not on the
    window's start: the flow is cached from the dataset's first day to the window's
    end (per end, period and filters) and the window's periods are taken from it, so
    moving the start reads nothing again.
    """
    p = ctx.params
    window = resolve_window(p, ctx.dataset)
    history = min(ctx.dataset.first_date or window[0], window[0])
    key = AnalysisParams(start=history, end=window[1], filters=p.filters)
    rows = _flow(_path(), ctx.dataset.dataset_id, ctx.dataset.name, key, period)
    shown = rows["period"] >= period_start(window[0], period)
    return rows[shown].reset_index(drop=True)


def filter_values(dataset: DatasetInfo) -> dict[str, list[str]]:
    """Return the (cached) filter values of a dataset."""
    return _filter_values(_path(), dataset.dataset_id, dataset.name)


def customer_data(ctx: Context, kind: str, customer_id: str) -> pd.DataFrame:
    """Return cached per-customer data: kind ``periods``, ``history`` or ``products``.

    ``customer_id`` may be the shown id (a pseudonym while masking is on).
    """
    return _customer(_path(), kind, ctx.dataset.dataset_id, ctx.dataset.name,
                     real_id(customer_id), ctx.params)


def clear_caches() -> None:
    """Forget every cached engine result (after an import or a tag change)."""
    for fn in (_analysis, _trend, _migration, _margin_matrix, _sensitivity, _filter_values,
               _trailing, _customer, _churn, _scored, _window_values, _comparison, _headline,
               _flow):
        fn.clear()
