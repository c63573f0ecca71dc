"""The one shared Streamlit helper module of the app.

* :func:`get_db` - the process's :class:`~kam_analysis.storage.Database`
  (``st.cache_resource``: the object is thread-safe, a cursor per operation);
* cached engine calls (``st.cache_data`` with ``max_entries``), keyed by the
  dataset id - which changes on every re-import, so caches invalidate
  themselves - and the frozen analysis parameters;
* the shared sidebar (dataset, window, measure, filters) returning a
  :class:`Context`; choices persist across pages (session state keys
  prefixed ``sb_``) and across a browser refresh (``st.query_params``,
  validated when read);
* the page settings shared by every page (ABC/XYZ limits, key-account rule),
  kept in session state (``set_`` keys) so all pages show the same figures;
* formatting helpers and :func:`guard`, which turns engine errors into a
  short message instead of a traceback.

Every user-facing text goes through :func:`kam_analysis.i18n.t`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit import config as st_config

from kam_analysis import analysis as engine
from kam_analysis.analysis import AnalysisParams, Filters
from kam_analysis.auth import (
    MODE_OIDC,
    MODE_OPEN,
    MODE_PASSWORD,
    ROLE_EDITOR,
    ROLE_VIEWER,
    ROLES,
    AuthSettings,
    attempt_sign_in,
)
from kam_analysis.demo import DEMO_DATASET, load_demo
from kam_analysis.i18n import t
from kam_analysis.masking import Masker
from kam_analysis.storage import (
    Database,
    DatasetInfo,
    DatasetNotFoundError,
    StorageError,
    default_db_path,
    list_datasets,
    open_database,
)

log = logging.getLogger("kam_analysis.app")

# --------------------------------------------------------------------------
# Session-state keys (all prefixed: sb_ = sidebar, set_ = shared page settings)
# --------------------------------------------------------------------------

K_DATASET = "sb_dataset"
K_WINDOW = "sb_window"
K_RANGE = "sb_range"
K_MEASURE = "sb_measure"
K_FILTER = {"region": "sb_region", "manager": "sb_manager", "category": "sb_category"}
K_INIT = "sb_initialised"
K_PENDING = "sb_pending_dataset"  # set by the Data page; applied before the select is drawn
K_CONTEXT = "ui_context"
K_SETTINGS = "set_analysis"  # dict of page settings shared by all pages

WINDOWS: tuple[str, ...] = ("all", "12m", "ytd", "custom")
WINDOW_LABELS: dict[str, str] = {
    "all": "Whole data",
    "12m": "Last 12 months",
    "ytd": "Year to date",
    "custom": "Custom date range",
}
MEASURE_LABELS: dict[str, str] = {
    "revenue": "Revenue",
    "margin": "Margin (gross profit)",
    "quantity": "Quantity",
}
FILTER_LABELS: dict[str, str] = {"region": "Region", "manager": "Manager", "category": "Category"}

#: Readable labels of the engine's codes (translated at display time).
LABELS: dict[str, str] = {
    # key reasons
    "share": "share ≥ limit",
    "cumulative": "first half of the value",
    "annual_value": "value per year ≥ amount",
    "top_n": "top N",
    "class_a": "class A",
    # account types
    "breadwinner": "breadwinner",
    "perspective": "perspective",
    "image_maker": "image maker",
    "expert": "expert",
    "partner": "partner",
    "innovator": "innovator",
    # customer flags
    "non_positive": "no positive value",
    "short_history": "short history",
    "lost": "lost",
    "at_risk": "at risk",
    # concentration flags
    "major_customer": "major customer (≥ 10 %)",
    "critical_dependency": "critical dependency (> 20 %)",
    "mono_client": "mono-client (> 70 %)",
    # bands
    "unconcentrated": "unconcentrated",
    "moderately concentrated": "moderately concentrated",
    "highly concentrated": "highly concentrated",
    "below": "below the healthy 30-55 %",
    "healthy": "within the healthy 30-55 %",
    "above": "above the healthy 30-55 %",
}

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "RUR": "₽", "JPY": "¥",
                     "CNY": "¥", "INR": "₹", "UAH": "₴", "KZT": "₸", "TRY": "₺", "PLN": "zł"}


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def ensure_navigation() -> None:
    """Make every run go through ``app.py`` and its ``st.navigation`` page registry.

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage
    app until ``st.navigation`` has run once in the process: the first
    request after a restart that opens a page URL directly (a bookmark such as
    ``/concentration``) would run that page file alone - without the sidebar
    and the wide layout. Every script of the app calls this first; it switches
    Streamlit (1.67) to ``st.navigation`` mode and reruns, so the same URL
    comes back through ``app.py``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# --------------------------------------------------------------------------
# Database and cached engine calls
# --------------------------------------------------------------------------

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


# Cache misses (only) show what is being calculated; hits return at once.
_CALCULATING = t("Calculating...")


@st.cache_data(max_entries=32, show_spinner=_CALCULATING)
def _analysis(path: str, dataset_id: int, dataset: str, params: AnalysisParams) -> engine.Analysis:
    return engine.analyze(_open(path), dataset, params)


@st.cache_data(max_entries=16, show_spinner=_CALCULATING)
def _trend(path: str, dataset_id: int, dataset: str, params: AnalysisParams) -> pd.DataFrame:
    return engine.concentration_trend(_open(path), dataset, params)


@st.cache_data(max_entries=16, show_spinner=_CALCULATING)
def _migration(path: str, dataset_id: int, dataset: str,
               params: AnalysisParams) -> engine.Migration:
    return engine.migration(_open(path), dataset, params)


@st.cache_data(max_entries=16, show_spinner=_CALCULATING)
def _margin_matrix(path: str, dataset_id: int, dataset: str,
                   params: AnalysisParams) -> pd.DataFrame | None:
    return engine.revenue_margin_matrix(_open(path), dataset, params)


@st.cache_data(max_entries=16, show_spinner=_CALCULATING)
def _sensitivity(path: str, dataset_id: int, dataset: str, params: AnalysisParams,
                 delta: float) -> pd.DataFrame:
    return engine.abc_sensitivity(_analysis(path, dataset_id, dataset, params), delta)


@st.cache_data(max_entries=8, show_spinner=False)
def _filter_values(path: str, dataset_id: int, dataset: str) -> dict[str, list[str]]:
    return engine.filter_values(_open(path), dataset)


@st.cache_data(max_entries=64, show_spinner=_CALCULATING)
def _customer(path: str, kind: str, dataset_id: int, dataset: str, customer_id: str,
              params: AnalysisParams) -> pd.DataFrame:
    fn = {"periods": engine.customer_periods, "history": engine.customer_class_history,
          "products": engine.customer_products}[kind]
    return fn(_open(path), dataset, customer_id, params)


def analysis(ctx: Context) -> engine.Analysis:
    """Return the (cached) analysis of the context (pseudonymised while masking is on)."""
    args = (_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)
    if masking():
        return _memo(("analysis", *args), lambda: _mask_analysis(_analysis(*args)))
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
    moves = _migration(_path(), ctx.dataset.dataset_id, ctx.dataset.name, ctx.params)
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
               _customer):
        fn.clear()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Show engine errors as a short message and stop the page (never a traceback).

    ``ValueError`` (bad parameters, empty selections) becomes an info box;
    a dataset that vanished or another storage problem becomes a warning.
    """
    try:
        yield
    except DatasetNotFoundError as exc:
        st.warning(t("The dataset is no longer there ({error}). Pick another one in the "
                     "sidebar.", error=str(exc)))
        st.stop()
    except StorageError as exc:
        st.warning(str(exc))
        st.stop()
    except ValueError as exc:
        st.info(str(exc))
        st.stop()


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------

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
    return t(LABELS.get(code, code.replace("_", " ")))


def labels(codes: str | None) -> str:
    """Turn a comma-separated list of codes into readable labels."""
    if not codes or (not isinstance(codes, str) and pd.isna(codes)):
        return ""
    return ", ".join(label(c.strip()) for c in str(codes).split(",") if c.strip())


def measure_label(measure: str) -> str:
    """Return the translated label of a measure."""
    return t(MEASURE_LABELS.get(measure, measure))


def slug(text: str) -> str:
    """Return ``text`` reduced to a safe file-name part."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in text.strip())
    return cleaned.strip("_")[:60] or "dataset"


# --------------------------------------------------------------------------
# Sidebar, context and persistence
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What the sidebar selected: the dataset and the analysis parameters."""

    dataset: DatasetInfo
    params: AnalysisParams


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


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
        start = _months_back(last, 12) + timedelta(days=1)
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


def _read_query_params(datasets: list[DatasetInfo]) -> None:
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
    if measure in MEASURE_LABELS:
        st.session_state[K_MEASURE] = measure
    for field, key in K_FILTER.items():
        values = [v for v in qp.get_all(field) if v]
        if values:
            st.session_state[key] = values


#: The URL query parameters the sidebar owns (pages may add their own, e.g. ``customer``).
QUERY_KEYS: tuple[str, ...] = ("dataset", "window", "start", "end", "measure", *K_FILTER)


def _write_query_params(values: dict[str, str | list[str]]) -> None:
    """Make the sidebar's URL parameters equal ``values`` (only changed keys are written)."""
    qp = st.query_params
    for key in [k for k in qp if k in QUERY_KEYS and k not in values]:
        del qp[key]
    for key, value in values.items():
        current = qp.get_all(key) if isinstance(value, list) else qp.get(key)
        if current != value:
            qp[key] = value


def _sanitize(key: str, allowed: list[Any], multi: bool = False,
              default: Any = None) -> None:
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


def sidebar() -> Context | None:
    """Draw the shared sidebar and return the selection (None without datasets).

    The result is also kept for :func:`context` in this run. Choices persist
    in session state (``sb_*`` keys) and in the URL query parameters
    ``dataset, window, start, end, measure, region, manager, category``.
    """
    db = get_db()
    datasets = list_datasets(db)
    if not st.session_state.get(K_INIT):
        _read_query_params(datasets)
        st.session_state[K_INIT] = True
    if not datasets:
        st.sidebar.info(t("No datasets yet: import one on the Data page."))
        _write_query_params({})
        st.session_state[K_CONTEXT] = None
        return None

    names = [d.name for d in datasets]
    pending = st.session_state.pop(K_PENDING, None)
    if pending in names:
        st.session_state[K_DATASET] = pending
    elif pending == "":
        st.session_state.pop(K_DATASET, None)
    default_name = DEMO_DATASET if DEMO_DATASET in names else names[0]
    _sanitize(K_DATASET, names, default=default_name)
    side = st.sidebar
    name = side.selectbox(t("Dataset"), names, key=K_DATASET)
    info = next(d for d in datasets if d.name == name)

    _sanitize(K_WINDOW, list(WINDOWS), default="all")
    window = side.radio(t("Period"), WINDOWS, key=K_WINDOW,
                        format_func=lambda w: t(WINDOW_LABELS[w]))
    custom: tuple[date, date] | None = None
    if window == "custom" and info.first_date and info.last_date:
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
            custom = (picked[0], picked[1])
        else:
            side.caption(t("Pick the end date too; until then the whole range is used."))
            custom = (first, last)
    start, end = window_dates(info, window, custom)
    if info.first_date and info.last_date:
        shown_start, shown_end = start or info.first_date, end or info.last_date
        side.caption(t("{start} to {end}", start=shown_start, end=shown_end))

    measures = ["revenue"]
    if info.has_margin:
        measures.append("margin")
    if info.has_quantity:
        measures.append("quantity")
    _sanitize(K_MEASURE, measures, default="revenue")
    measure = side.selectbox(t("Measure"), measures, key=K_MEASURE, format_func=measure_label)

    try:
        values = filter_values(info)
    except (DatasetNotFoundError, ValueError):
        values = {}
    chosen: dict[str, tuple[str, ...]] = {}
    with side.expander(t("Filters"), expanded=any(st.session_state.get(k)
                                                   for k in K_FILTER.values())):
        for field, key in K_FILTER.items():
            options = list(values.get(field, []))
            _sanitize(key, options, multi=True)
            if not options:
                chosen[field] = ()
                continue
            chosen[field] = tuple(st.multiselect(t(FILTER_LABELS[field]), options, key=key,
                                                 placeholder=t("All")))
    filters = Filters(regions=chosen["region"], managers=chosen["manager"],
                      categories=chosen["category"])
    base = AnalysisParams(measure=measure, start=start, end=end, filters=filters)
    ctx = Context(dataset=info, params=apply_settings(base))

    query: dict[str, str | list[str]] = {"dataset": name, "window": window}
    if window == "custom" and custom:
        query["start"], query["end"] = custom[0].isoformat(), custom[1].isoformat()
    if measure != "revenue":
        query["measure"] = measure
    for field in K_FILTER:
        if chosen[field]:
            query[field] = list(chosen[field])
    _write_query_params(query)
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


# --------------------------------------------------------------------------
# Shared page settings (ABC/XYZ limits, key-account rule, lost thresholds)
# --------------------------------------------------------------------------

_SETTING_FIELDS = ("abc_method", "abc_limits", "xyz_metric", "xyz_limits", "period",
                   "key_rule", "lost_after_days", "lost_gap_factor")


def settings() -> dict[str, Any]:
    """Return the page settings shared by all pages (defaults from ``AnalysisParams``)."""
    defaults = AnalysisParams()
    stored = st.session_state.get(K_SETTINGS, {})
    return {f: stored.get(f, getattr(defaults, f)) for f in _SETTING_FIELDS}


def update_settings(**values: Any) -> None:
    """Store page settings (validated by building ``AnalysisParams``); raise ValueError."""
    unknown = set(values) - set(_SETTING_FIELDS)
    if unknown:
        raise ValueError(f"Unknown settings: {', '.join(sorted(unknown))}")
    merged = {**settings(), **values}
    AnalysisParams(**merged)  # the engine validates when analysing; this checks the types
    st.session_state[K_SETTINGS] = merged


def apply_settings(params: AnalysisParams) -> AnalysisParams:
    """Return ``params`` with the shared page settings applied."""
    return dataclasses.replace(params, **settings())


def report_exception(exc: Exception) -> None:
    """Show an unexpected error in one line (logged with its traceback)."""
    log.exception("page failed")
    st.error(t("Something went wrong: {error}", error=str(exc) or type(exc).__name__))


def select_dataset(name: str | None) -> None:
    """Make the sidebar select ``name`` on the next run (None: the default dataset)."""
    st.session_state[K_PENDING] = "" if name is None else name


# --------------------------------------------------------------------------
# Access control (settings: kam_analysis.auth; README "Safe deployment")
# --------------------------------------------------------------------------

K_ROLE = "auth_role"          # "viewer" | "editor" for this session (never the password)
K_ROLE_FOR = "auth_settings"  # fingerprint of the password settings the role was granted under
K_USER = "auth_user"          # the signed-in e-mail (company sign-in)
LOCAL_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
WRONG_PASSWORD_DELAY = 1.0    # seconds: slows guessing in one session down
_SECRETS_PREFIX = re.compile(r"^Error parsing secrets file at .*?: ")


def auth_settings() -> AuthSettings:
    """Read the sign-in settings from ``st.secrets`` (no secrets file: open mode).

    Raises
    ------
    ValueError
        One line saying what is wrong: a secrets file that cannot be parsed, or
        ``[auth]`` settings that :meth:`AuthSettings.from_mapping` refuses.
    """
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError as exc:  # no secrets file - or one Streamlit cannot parse
        if any(Path(f).is_file() for f in st_config.get_option("secrets.files") or []):
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            raise ValueError(t("The secrets file cannot be read: {error}",
                               error=_SECRETS_PREFIX.sub("", lines[0]))) from None
        section = None
    return AuthSettings.from_mapping(None if section is None else {"auth": section})


def _fingerprint(settings: AuthSettings) -> str:
    text = f"{settings.mode}|{settings.password_hash}|{settings.editor_password_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _local_only() -> bool:
    address = st_config.get_option("server.address")
    return isinstance(address, str) and address.strip().lower() in LOCAL_ADDRESSES


def gate() -> str:
    """Let only signed-in users past, and return their role (``app.py`` calls it first).

    Open mode (no ``[auth]``): everybody is an editor; a warning banner says so
    when the server accepts connections from other machines. Password mode: a
    sign-in form; the granted role (never the password) is kept in session
    state. Company sign-in: Streamlit's ``st.login``; e-mails that are not
    allowed get a "no access" message. Settings that are wrong stop the app
    with a one-line message. The run stops until the user is signed in.
    """
    if K_MASK in st.session_state:  # keep the masking choice even in runs without the toggle
        st.session_state[K_MASK] = st.session_state[K_MASK]
    try:
        settings = auth_settings()
    except ValueError as exc:
        log.error("sign-in settings: %s", exc)
        st.error(t("Sign-in is not set up correctly, so the app stays closed. {error}",
                   error=str(exc)))
        st.stop()
    if settings.mode == MODE_OPEN:
        role = ROLE_EDITOR
        if not _local_only():
            st.warning(t("This app runs without sign-in and accepts connections from other "
                         "computers: anyone who reaches it can see and change the data. See "
                         "\"Safe deployment\" in the README."), icon=":material/lock_open:")
    elif settings.mode == MODE_PASSWORD:
        role = _password_gate(settings)
    else:
        role = _oidc_gate(settings)
    st.session_state[K_ROLE] = role
    return role


def _password_gate(settings: AuthSettings) -> str:
    fingerprint = _fingerprint(settings)
    role = st.session_state.get(K_ROLE)
    if role in ROLES and st.session_state.get(K_ROLE_FOR) == fingerprint:
        return str(role)
    st.session_state.pop(K_ROLE, None)  # granted under other settings (or never)
    st.title(t("KAM Analysis"))
    with st.form("auth_login", clear_on_submit=True):
        password = st.text_input(t("Password"), type="password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if submitted:
        # -- process-wide limits on password checks (kam_analysis.auth.attempt_sign_in) --
        attempt = attempt_sign_in(
            settings, password, peer=st.context.ip_address,
            forwarded_for=", ".join(st.context.headers.get_all("X-Forwarded-For")) or None)
        if attempt.retry_after is not None:
            st.error(t("Too many sign-in attempts; try again in {seconds} seconds.",
                       seconds=attempt.retry_after))
            st.stop()
        granted = attempt.role
        # -- end of the limits --
        if granted is not None:
            st.session_state[K_ROLE] = granted
            st.session_state[K_ROLE_FOR] = fingerprint
            st.rerun()
        time.sleep(WRONG_PASSWORD_DELAY)
        st.error(t("Wrong password."))
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the run


def _oidc_provider() -> str | None:
    """The provider for ``st.login``: None for keys in ``[auth]``, else the first
    ``[auth.<name>]`` table with a ``client_id``."""
    try:
        section = st.secrets.get("auth") or {}
    except FileNotFoundError:
        return None
    if section.get("client_id"):
        return None
    named = [k for k, v in section.items()
             if hasattr(v, "get") and v.get("client_id") and "_" not in k]
    return named[0] if named else None


def _oidc_gate(settings: AuthSettings) -> str:
    from streamlit.errors import Error as StreamlitError

    user = st.user
    if not user.get("is_logged_in"):
        st.title(t("KAM Analysis"))
        st.write(t("Sign in with your company account to continue."))
        if st.button(t("Sign in"), type="primary", key="auth_login_oidc"):
            try:
                st.login(_oidc_provider())
            except StreamlitError as exc:
                log.error("st.login: %s", exc)
                st.error(t("Sign-in is not set up correctly: {error}",
                           error=str(exc).strip().splitlines()[0]))
        st.stop()
    email = user.get("email")
    email = email if isinstance(email, str) else None
    # A provider that says the address is unverified must not open an allow list.
    role = None if user.get("email_verified") is False else settings.role_for(email)
    if role is None:
        st.title(t("KAM Analysis"))
        st.error(t("{who} has no access to this app. Ask whoever runs it to add your e-mail "
                   "address or domain.", who=email or t("This account")))
        if st.button(t("Sign out"), key="auth_logout_denied"):
            st.logout()
            st.rerun()
        st.stop()
    st.session_state[K_USER] = email
    return role


def role() -> str:
    """Return the session's role, ``"editor"`` or ``"viewer"``.

    Set by :func:`gate`; a page run on its own (tests) is an editor in open mode
    and a viewer otherwise.
    """
    stored = st.session_state.get(K_ROLE)
    if stored in ROLES:
        return str(stored)
    try:
        return ROLE_EDITOR if auth_settings().mode == MODE_OPEN else ROLE_VIEWER
    except ValueError:
        return ROLE_VIEWER


def can_edit() -> bool:
    """True if the session may import, delete datasets and edit tags and dossiers."""
    return role() == ROLE_EDITOR


def sidebar_footer() -> None:
    """Draw the masking toggle and, when signed in, who and a sign-out button."""
    side = st.sidebar
    side.divider()
    side.toggle(t("Mask customer names"), key=K_MASK,
                help=t("Show stable pseudonyms instead of customer names and ids on every "
                       "page, chart and export of this session (for demos and slides)."))
    try:
        mode = auth_settings().mode
    except ValueError:
        return
    if mode == MODE_OPEN:
        return
    who = st.session_state.get(K_USER) if mode == MODE_OIDC else None
    role_text = t("editor") if can_edit() else t("viewer")
    side.caption(t("Signed in as {who} ({role})", who=who, role=role_text) if who
                 else t("Signed in ({role})", role=role_text))
    if side.button(t("Sign out"), key="auth_logout", icon=":material/logout:"):
        for key in (K_ROLE, K_ROLE_FOR, K_USER):
            st.session_state.pop(key, None)
        if mode == MODE_OIDC:
            st.logout()
        st.rerun()


# --------------------------------------------------------------------------
# Demo masking (kam_analysis.masking): one Masker per session
# --------------------------------------------------------------------------

K_MASK = "sb_mask"              # the sidebar toggle
K_MASKER = "ui_masker"          # this session's Masker (its salt never leaves the server)
K_MASK_MEMO = "ui_mask_memo"    # masked results of this session, by what they mask
_MEMO_SIZE = 8


def masking() -> bool:
    """True while the session shows pseudonyms instead of customer names and ids."""
    return bool(st.session_state.get(K_MASK))


def masker() -> Masker:
    """Return the session's Masker (made on first use with a random salt)."""
    found = st.session_state.get(K_MASKER)
    if not isinstance(found, Masker):
        found = Masker.random()
        st.session_state[K_MASKER] = found
    return found


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with customer id and name columns pseudonymised while masking is on."""
    return masker().mask_frame(df) if masking() else df


def customer_label(customer_id: object, name: object = None) -> str:
    """Return how to show a customer: its name (or id), or its pseudonym while masking."""
    if masking():
        return masker().customer_label(customer_id)
    if isinstance(name, str) and name:
        return name
    return str(customer_id)


def shown_id(customer_id: object) -> str:
    """Return how to show a customer id: itself, or ``C-…`` while masking."""
    return masker().customer_id_label(customer_id) if masking() else str(customer_id)


def real_id(shown: object) -> str:
    """Return the customer id behind a shown id (a pseudonym while masking)."""
    if masking():
        found = masker().real_id(shown)
        if found is not None:
            return found
    return str(shown)


def hidden_note() -> str:
    """The text shown instead of free text while names are masked."""
    return t("hidden while names are masked")


def _memo(key: tuple, make: Any) -> Any:
    memo = st.session_state.setdefault(K_MASK_MEMO, {})
    if key not in memo:
        if len(memo) >= _MEMO_SIZE:
            memo.pop(next(iter(memo)))
        memo[key] = make()
    return memo[key]


def _mask_analysis(result: engine.Analysis) -> engine.Analysis:
    m = masker()
    customers = m.mask_frame(result.customers)
    c = result.concentration
    if c.top_customer_id is not None:
        top_id: str | None = m.customer_id_label(c.top_customer_id)
        top_name: str | None = m.customer_label(c.top_customer_id)
    else:
        top_id = None
        top_name = None if c.top_customer_name is None else m.name_label(c.top_customer_name)
    concentration = dataclasses.replace(c, top_customer_id=top_id, top_customer_name=top_name)
    return dataclasses.replace(result, customers=customers, concentration=concentration)
